"""Pages that hold several items (a blog's month archive, a list of links, an index
page) are not one article: ``listing_reason`` says why, or None for an article.

Signals, each on its own enough:

* several posts: at least MIN_POSTS distinct post titles (elements named post-title /
  entry-title / postTitle whose text is not a time) with their posts' texts (blocks
  named post-body / entry-content ...), or MIN_POSTS "posted" lines
  (发表于 / 张贴 @ / posted at, each with its time) outside the readers' comments;
* a list instead of a text: the text read as the body is mostly link text (at least
  MIN_LIST_LINKS links holding LIST_LINK_SHARE of its characters), or no element of
  the page carries an article text (the generic path had to ask trafilatura, or found
  nothing) and the page holds at least MIN_LINKS_WITHOUT_TEXT links with titles.

dispatch.parse_page applies it to every page: the record gets kind "listing" and
missing["not_article"] = the reason; the store must not keep it as an article.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from newsmon.crawler.extract import common
from newsmon.crawler.extract.record import LISTING, ArticleRecord

POST_TITLE_CLASS_RE = re.compile(r"post[-_]?title|entry[-_]?title|posttitle", re.I)
POSTED_RE = re.compile(r"(?:发表于|发布于|张贴\s*@|posted\s+(?:at|on|by))", re.I)
POST_BODY_CLASS_RE = re.compile(r"post[-_]?(?:body|text|content)|entry[-_]?content|posttext", re.I)
POST_BODY_XPATH = etree.XPath(
    "//*[contains(translate(@class, 'POSTENTRY', 'postentry'), 'post') "
    "or contains(translate(@class, 'POSTENTRY', 'postentry'), 'entry') "
    "or contains(translate(@id, 'POSTENTRY', 'postentry'), 'post')]"
)
#: a post's text is at least this long
MIN_POST_BODY_CHARS = 40
#: class / id of the readers' comments under an article
COMMENTS_RE = re.compile(r"comment|cmt|reply|remark|guestbook|pinglun|liuyan", re.I)
#: this many posts on one page make it an archive
MIN_POSTS = 3
#: a list page has at least this many links ...
MIN_LIST_LINKS = 10
#: ... holding at least this share of the text read as its body
LIST_LINK_SHARE = 0.5
#: a link whose text is at least this long is an item title, not a menu word
MIN_ITEM_TITLE_CHARS = 8
#: without any article text, this many item links make the page a list
MIN_LINKS_WITHOUT_TEXT = 5
#: a body shorter than this is no text (the page is its links)
MIN_TEXT_CHARS = 50


#: elements whose class or id mentions a title (libxml2 finds them; the regex decides)
TITLED_XPATH = etree.XPath(
    "//*[contains(translate(@class, 'TITLE', 'title'), 'title') "
    "or contains(translate(@id, 'TITLE', 'title'), 'title')]"
)


def _post_titles(tree) -> int:
    titles: set[str] = set()
    for element in TITLED_XPATH(tree):
        names = f"{element.get('class') or ''} {element.get('id') or ''}"
        if names.strip() and POST_TITLE_CLASS_RE.search(names):
            text = common.text_of(element)
            m = common.DATETIME_RE.search(text)
            if text and not (m and len(text) - len(m.group(0)) < 4):
                titles.add(text)
    return len(titles)


#: the text nodes that may hold a posted line (found by libxml2, not by walking)
POSTED_TEXT_XPATH = etree.XPath(
    '//text()[contains(., "发表于") or contains(., "发布于") or contains(., "张贴") '
    'or contains(., "osted")]'
)


def _in_comments(element) -> bool:
    for node in (element, *element.iterancestors()):
        names = f"{node.get('class') or ''} {node.get('id') or ''}"
        if names.strip() and COMMENTS_RE.search(names):
            return True
    return False


def _posted_lines(tree) -> int:
    stamps: set[str] = set()
    for node in POSTED_TEXT_XPATH(tree):
        element = node.getparent()
        while element is not None and element.tag not in ("td", "div", "p", "span", "li"):
            element = element.getparent()
        if element is None or _in_comments(element):
            continue  # readers' comments are posted too, under one article
        text = common.text_of(element)
        if not text or len(text) > 120 or not POSTED_RE.search(text):
            continue
        m = common.DATETIME_RE.search(text)
        if m and m.group("H") is not None:
            stamps.add(m.group(0))
    return len(stamps)


def _links(root) -> tuple[int, int, int]:
    """(item links, characters in links, characters in all) of an element."""
    items = linked = 0
    for a in root.iter("a"):
        text = common.text_of(a)
        linked += len(text)
        if len(text) >= MIN_ITEM_TITLE_CHARS:
            items += 1
    return items, linked, len(common.text_of(root))


def _post_bodies(tree) -> int:
    """Blocks named as a post's text (post-body, entry-content ...) that hold a text."""
    return sum(
        1
        for element in POST_BODY_XPATH(tree)
        if POST_BODY_CLASS_RE.search(f"{element.get('class') or ''} {element.get('id') or ''}")
        and len(common.text_of(element)) >= MIN_POST_BODY_CHARS
    )


def listing_reason(tree: Any, record: ArticleRecord) -> str | None:
    """Why the page is not one article, or None (see the module docstring)."""
    titles = _post_titles(tree)
    # post titles count only with their posts' texts (teaser lists name their items so too)
    titles = titles if titles >= MIN_POSTS and _post_bodies(tree) >= MIN_POSTS - 1 else 0
    posts = max(titles, _posted_lines(tree))
    if posts >= MIN_POSTS:
        return f"the page holds {posts} posts (an archive), not one article"
    if (
        record.body_html
        and len(record.text) >= MIN_TEXT_CHARS
        and record.meta.get("body_from") != "trafilatura"
    ):
        try:
            body = lxml_html.fragment_fromstring(record.body_html, create_parent="div")
        except Exception:  # markup the fragment parser refuses: judged by the page
            body = None
        if body is not None:
            items, linked, total = _links(body)
            if items >= MIN_LIST_LINKS and total and linked / total >= LIST_LINK_SHARE:
                return f"the text read as the body is a list of {items} links, not one article"
        return None
    no_text = len(record.text) < MIN_TEXT_CHARS or record.meta.get("body_from") == "trafilatura"
    if no_text:
        root = tree.find(".//body")
        items, _, _ = _links(root) if root is not None else (0, 0, 0)
        if items >= MIN_LINKS_WITHOUT_TEXT:
            return f"no element carries an article text; the page is a list of {items} links"
    return None


def mark_listing(record: ArticleRecord, reason: str) -> ArticleRecord:
    record.kind = LISTING
    record.missing["not_article"] = reason
    return record
