"""Pages of sites without a parser of their own, read the way a reader reads them.

* title: the heading on the page whose text is the <title> without its site name
  (any element: h1, h2, p.pbt, div.title ...); else og:title; else <title> without
  the site name;
* body: the element whose paragraphs carry the most text (paragraph units weighed by
  their length, Chinese punctuation and link share; link lists and furniture weigh
  against), read with the shared clutter rules; trafilatura only when no element
  carries a text (meta["body_from"] = "trafilatura"), and not even then on a page
  whose text is mostly links (body_from "none": a list page, see listing.py);
* info line: the text between the headline and the body (and, for blog footers, just
  after the body) gives the time shown (to the minute, AM/PM read), the source
  (来源：X, 本文来源于X, an element whose class names the source or the media, a name
  after the time, "writer/outlet"), the author (作者：X, 本报记者 X, writer/outlet)
  and the editor;
* times: the time shown near the headline first (what readers see), then the page's
  meta (article:published_time, og:time, PubDate ...), then a dateline inside the
  text, then trafilatura's date (a day alone: precision "day").

Each choice is recorded in meta (title_from, body_from, published_at_from).
"""

from __future__ import annotations

import math
import re
from typing import Any

from lxml import etree

from newsmon.crawler.extract import clutter, common
from newsmon.crawler.extract.charset import ensure_text
from newsmon.crawler.extract.record import ArticleRecord

PARSER = "generic"

# --- title ----------------------------------------------------------------------------------

#: elements a headline is looked for in, most usual first
HEADLINE_TAGS = ("h1", "h2", "h3", "p", "div", "td", "th", "span", "strong", "b")
#: a headline is at most this long; an element with more text is a container
MAX_HEADLINE_CHARS = 120
#: a heading sharing at least this many leading characters with <title> is the headline
MIN_TITLE_PREFIX = 8

# --- body -----------------------------------------------------------------------------------

#: never text
SKIP_TAGS = frozenset(
    "script style noscript iframe ins object embed template button select option "
    "textarea nav footer header aside".split()
)
#: Chinese (and Western) sentence punctuation: text has it, menus and link lists rarely do
PUNCTUATION_RE = re.compile(r"[，。！？；：、“”‘’（）,.!?;:]")
#: a paragraph unit counts as text at or above this length when it has punctuation
MIN_TEXT_UNIT_CHARS = 8
#: a unit with this share of its characters in links is a link, not text
MAX_TEXT_LINK_SHARE = 0.5
#: weight of a furniture unit (short, no punctuation, or links): per character, negative
FURNITURE_WEIGHT = -0.6
#: fixed cost of each furniture unit (a list of 50 links weighs against its container)
FURNITURE_COST = 3.0
#: what site footers say (copyright, ICP filing, hotlines): never article text
SITE_FOOTER_RE = re.compile(
    r"Copyright|版权所有|ICP\s*(?:备|证)|备案号|举报电话|客服电话|违法和不良信息|公网安备|"
    r"All Rights Reserved|联系我们|网站地图|关于我们",
    re.I,
)
#: class / id of blocks that are page frame, never the article: not walked into
FRAME_RE = re.compile(
    r"(?:^|[\s_-])(?:footer|foot|bottom|copyright|header|topbar|navbar|nav|menu|sidebar)(?:$|[\s_-])",
    re.I,
)
#: list items are teasers (a summary under a recommended link) unless they are long
LIST_ITEM_TAGS = frozenset(("li", "dd", "dt"))
LONG_ITEM_CHARS = 150
LIST_ITEM_FACTOR = 0.25
#: how much of a unit's weight goes to the unit, its parent and its grandparent
ANCESTOR_SHARES = (1.0, 0.8, 0.4)
#: a sibling of the winner scoring this share of it is text too: their parent is the body
SIBLING_SHARE = 0.3
#: below this weight no element is taken for the body (trafilatura is asked instead)
MIN_BODY_WEIGHT = 60.0
#: class / id words of blocks inside an article container that are not its text
NOISE_RE = re.compile(
    r"share|comment|recommend|related|relevant|hot|toolbar|vote|qrcode|qr_code|advert|"
    r"copyright|print|font[-_]?size|fontsize|pager|page-tools|setfont|statement|"
    r"tags?\b|keyword|bshare|bdshare|zan|dig|attitude|report|follow|subscribe",
    re.I,
)
#: a noise-named block with more text than this and few links is text after all
MAX_NOISE_TEXT_CHARS = 80

# --- info line ------------------------------------------------------------------------------

#: how much text after the headline is the info line (time, source, author)
INFO_SCAN_CHARS = 400
#: how much text after the body is a footer (blog "发表于 …", "[作者: …]")
FOOTER_SCAN_CHARS = 300
SOURCE_LABEL_RE = re.compile(
    r"(?:本文来源于|文章来源|信息来源|稿件来源|来源)\s*[：:]?\s*(?P<v>[^\s|｜]{2,30})"
)
AUTHOR_LABEL_RE = re.compile(
    r"(?:作者|文\s*/|撰文)\s*[：:]?\s*(?P<v>[\u4e00-\u9fff·]{2,4}(?:[ 、][\u4e00-\u9fff·]{2,4}){0,3})"
)
#: a value ends before these (the next label, a date, a location note)
VALUE_STOP_RE = re.compile(
    r"(?:作者|编辑|责任编辑|责编|记者|日期|时间|发布|浏览|字号|分享|打印|举报|来自|评论|阅读|"
    r"(?:19|20)\d{2}[-年/.]).*$"
)
#: "石佳/中国青年报": writer and outlet under the headline
WRITER_OUTLET_RE = re.compile(
    r"(?:^|\s)(?P<a>[\u4e00-\u9fff]{2,4})\s*/\s*(?P<s>[\u4e00-\u9fff]{2,12})(?=\s|$)"
)
#: a media name right after the time: "2019-09-26 10:56:28 证券时报网", "…09:52:19政能亮 来自…"
MEDIA_AFTER_TIME_RE = re.compile(r"^\s*(?P<s>[\u4e00-\u9fffA-Za-z·\-－]{2,16})")
NOT_MEDIA_RE = re.compile(
    r"^(?:来源|作者|编辑|责编|发布|来自|浏览|评论|字号|分享|打印|举报|阅读|点击|星期|周[一二三四五六日])"
)
#: class / id of an element naming the source or the media account near the headline
SOURCE_CLASS_RE = re.compile(r"source|media[-_]?name|sourcetitle|laiyuan|\bly\b", re.I)
POSTED_RE = re.compile(r"(?:发表于|发布于|发表时间|发布时间|posted\s+(?:at|on)?)\s*[：:]?\s*", re.I)
#: page meta that gives the publication time, in order
TIME_METAS = (
    "article:published_time",
    "og:release_date",
    "og:time",
    "weibo: article:create_at",
    "PubDate",
    "pubdate",
    "publishdate",
    "pubtime",
)


def _extract(text: str, url: str | None) -> dict[str, Any] | None:
    import trafilatura

    document = trafilatura.bare_extraction(
        text,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        # old table-layout pages put the navigation in tables: tables as text cost more
        # than they bring (the 2005 Sina page: token F1 0.93 with tables, 0.99 without)
        include_tables=False,
        include_images=False,
    )
    if document is None:
        return None
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    body = data.get("body")
    data["body_html"] = (
        etree.tostring(body, encoding="unicode", method="html") if body is not None else None
    )
    return data


# --- the headline -------------------------------------------------------------------------


def _flat(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text or "")


def find_headline(tree) -> tuple[Any, str, str]:
    """(element or None, headline, how it was found)."""
    raw_title = common.squash(common.text_of(tree.find(".//title")))
    short = common.title_from_title_tag(tree)
    og = common.meta_content(tree, "og:title")
    targets = [t for t in (short, og) if t]
    body = tree.find(".//body")
    best, best_score = None, 0
    if body is not None and targets:
        flat_targets = [_flat(t) for t in targets] + [_flat(raw_title)]
        # only elements whose text holds the start of a target can match (found by libxml2)
        prefixes = {t[:HEADLINE_PREFIX_CHARS] for t in flat_targets if len(t) >= 4}
        candidates: dict[int, Any] = {}
        for prefix in prefixes:
            for element in HEADLINE_XPATH(body, p=prefix):
                candidates.setdefault(id(element), element)
        for element in sorted(candidates.values(), key=_document_order(body)):
            text = common.text_of(element)
            if not text or len(text) > MAX_HEADLINE_CHARS:
                continue
            flat = _flat(text)
            if len(flat) < 4:
                continue
            score = 0
            for target in flat_targets:
                if flat == target:
                    score = max(score, 1000 + len(flat))
                elif target.startswith(flat) and len(flat) >= MIN_TITLE_PREFIX:
                    score = max(score, 500 + len(flat))
                elif flat.startswith(target) and len(target) >= MIN_TITLE_PREFIX:
                    score = max(score, 400 + len(target))
            if score:
                score += _headline_bonus(element)
                # the headline has the info line (a time) right under it
                after = common.text_between(tree, element, None, NEAR_TIME_CHARS)
                m = common.DATETIME_RE.search(after)
                if m and m.group("H") is not None:
                    score += 40
            # the innermost element holding the headline: a child with the same text wins
            if score > best_score or (
                score == best_score and best is not None and _inside(element, best)
            ):
                best, best_score = element, score
    if best is not None:
        return best, common.clean_title(common.text_of(best)), "heading"
    # blog-like pages: <title> names the blog; the post's title is named so, or stands
    # right above the "NAME 发表于 TIME" line
    for element in body.iter("div", "td", "h2", "h3", "span", "p", "a") if body is not None else ():
        names = f"{element.get('class') or ''} {element.get('id') or ''}"
        text = common.text_of(element)
        if POST_TITLE_CLASS_RE.search(names) and 2 <= len(text) <= MAX_HEADLINE_CHARS:
            return element, common.clean_title(text), "post title"
    posted = _posted_line(tree)
    if posted is not None:
        element, above, _ = posted
        if above:
            return element, common.clean_title(above), "above the posted line"
        previous = _previous_block(element)
        if previous is not None:
            return previous, common.clean_title(common.text_of(previous)), "above the posted line"
    h1 = common.first(tree, ("h1",))
    if h1 is not None and 4 <= len(common.text_of(h1)) <= MAX_HEADLINE_CHARS and not targets:
        return h1, common.clean_title(common.text_of(h1)), "h1"
    title = og or short or raw_title
    return None, common.clean_title(title), "meta/title"


#: a time within this much text after a heading marks it as the page's headline
NEAR_TIME_CHARS = 150
HEADLINE_CLASS_RE = re.compile(r"title|headline|biaoti|bt\b|tit\b", re.I)
#: containers of link lists: a headline inside one is a teaser of another page
TEASER_ANCESTORS = frozenset(("a", "li", "dd", "dt", "nav", "ul", "ol", "option"))


def _headline_bonus(element) -> int:
    """Ties between elements showing the same text: the page's own headline is an h1/h2
    or named like a title, and is not inside a link list (a carousel of teasers)."""
    bonus = 0
    if element.tag in ("h1", "h2"):
        bonus += 50
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    if HEADLINE_CLASS_RE.search(names):
        bonus += 30
    for ancestor in element.iterancestors():
        if ancestor.tag in TEASER_ANCESTORS:
            bonus -= 200
            break
    if element.find(".//a") is not None and element.tag not in ("h1", "h2"):
        bonus -= 100
    return bonus


POST_TITLE_CLASS_RE = re.compile(r"post[-_]?title|entry[-_]?title|posttitle|art[-_]?title", re.I)
#: "ggjjzhzz 发表于 2005-9-15 11:46:00": who posted and when, beside a post's title
POSTED_LINE_RE = re.compile(
    r"^(?P<who>[\w.\-]{1,16})?\s*(?:发表于|发布于|posted\s+(?:at|on|by)?)\s*[：:]?\s*(?:19|20)\d{2}",
    re.I,
)
MAX_POSTED_LINE_CHARS = 60


def _posted_line(tree) -> tuple[Any, str | None, str] | None:
    """(element, the title line above it or None, the posted line) of the first
    "NAME 发表于 TIME" line of the page (lines split at <br> too)."""
    body = tree.find(".//body")
    for element in body.iter("td", "div", "p", "span") if body is not None else ():
        text = common.text_of(element)
        if (
            not text
            or len(text) > MAX_HEADLINE_CHARS + MAX_POSTED_LINE_CHARS
            or "发表于" not in text
            and "发布于" not in text
            and "osted" not in text
        ):
            continue
        lines = common.html_to_text(element).split("\n")
        for i, line in enumerate(lines):
            if len(line) <= MAX_POSTED_LINE_CHARS and POSTED_LINE_RE.match(line):
                m = common.DATETIME_RE.search(line)
                if m and m.group("H") is not None:
                    return element, (lines[i - 1] if i else None), line
    return None


def _previous_block(element):
    """The nearest element before element (in document order) with a short text of its own."""
    node = element
    for _ in range(8):
        previous = node.getprevious()
        while previous is None:
            node = node.getparent()
            if node is None:
                return None
            previous = node.getprevious()
        text = common.text_of(previous)
        if text and len(text) <= MAX_HEADLINE_CHARS and not text.endswith("。"):
            return previous
        node = previous
    return None


#: how many leading characters of a title the candidate headlines are looked up by
HEADLINE_PREFIX_CHARS = 3
HEADLINE_XPATH = etree.XPath(
    ".//*[" + " or ".join(f"self::{t}" for t in HEADLINE_TAGS) + "][contains(., $p)]"
)


def _document_order(root):
    order = {id(e): i for i, e in enumerate(root.iter())}
    return lambda element: order.get(id(element), 0)


def _inside(element, ancestor) -> bool:
    return any(a is ancestor for a in element.iterancestors())


# --- the body -------------------------------------------------------------------------------


def _own_text(element) -> tuple[str, int]:
    """The text directly in element (its text, inline children, their tails) and how
    much of it sits in links; block children are units of their own."""
    parts: list[str] = [element.text or ""]
    linked = 0
    for child in element:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if (
            tag
            and tag not in common.BLOCK_TAGS
            and tag not in SKIP_TAGS
            and not _holds_blocks(child)
        ):
            inner = child.text_content() or ""
            parts.append(inner)
            if tag == "a":
                linked += len(common.squash(inner))
            else:
                linked += sum(len(common.squash(a.text_content())) for a in child.iter("a"))
        parts.append(child.tail or "")
    return common.squash("".join(parts)), linked


def _holds_blocks(element) -> bool:
    """An inline element wrapping paragraphs (span#detailContent > p): a container."""
    return any(
        isinstance(d.tag, str) and d.tag.lower() in common.BLOCK_TAGS
        for d in element.iterdescendants()
    )


def _weight(element) -> float:
    text, linked = _own_text(element)
    n = len(text)
    if not n:
        return 0.0
    share = linked / n
    if clutter.BREADCRUMB_RE.match(text) or SITE_FOOTER_RE.search(text) or _is_info_line(text):
        return n * FURNITURE_WEIGHT - FURNITURE_COST
    if n >= MIN_TEXT_UNIT_CHARS and PUNCTUATION_RE.search(text) and share <= MAX_TEXT_LINK_SHARE:
        weight = n * (1 - share) * (1 + math.log1p(len(PUNCTUATION_RE.findall(text))) / 10)
        if element.tag in LIST_ITEM_TAGS and (n < LONG_ITEM_CHARS or linked):
            weight *= LIST_ITEM_FACTOR  # teasers in recommendation lists, not paragraphs
        return weight
    return n * FURNITURE_WEIGHT - FURNITURE_COST


def find_body(tree, headline=None):
    """The element the paragraph units vote for (see the module docstring).

    Each unit's weight goes to the unit itself, its parent and its grandparent, less at
    each step up (ANCESTOR_SHARES): text paragraphs elect the element that holds them,
    not the whole page, and the teasers of a recommendation block elect their own
    block. When the winner's siblings also carry text, their common parent is taken.
    Returns (element or None, its score)."""
    body = tree.find(".//body")
    if body is None:
        return None, 0.0
    scores: dict[int, float] = {}
    elements: dict[int, Any] = {}  # holds the proxies alive while their ids key the scores

    def vote(element, weight: float) -> None:
        node = element
        for share in ANCESTOR_SHARES:
            if node is None or node is body.getparent():
                break
            key = id(node)
            elements[key] = node
            scores[key] = scores.get(key, 0.0) + weight * share
            node = node.getparent()

    def walk(element) -> None:
        tag = element.tag.lower() if isinstance(element.tag, str) else None
        if tag is None or tag in SKIP_TAGS or element is headline:
            return
        names = f"{element.get('class') or ''} {element.get('id') or ''}"
        if names.strip() and FRAME_RE.search(names):
            return
        if tag in common.BLOCK_TAGS:
            weight = _weight(element)
            if weight:
                vote(element, weight)
        for child in element:
            if isinstance(child.tag, str) and (
                child.tag.lower() in common.BLOCK_TAGS or (len(child) and _holds_blocks(child))
            ):
                walk(child)

    walk(body)
    if not scores:
        return None, 0.0
    key = max(scores, key=lambda k: scores[k])
    best, best_score = elements[key], scores[key]
    parent = best.getparent()
    if parent is not None and id(parent) in scores and parent is not body.getparent():
        siblings = [
            scores[id(c)] for c in parent if c is not best and id(c) in scores and scores[id(c)] > 0
        ]
        if siblings and max(siblings) >= SIBLING_SHARE * best_score:
            best, best_score = parent, max(scores[id(parent)], best_score)
    return best, best_score


def _strip_noise(root) -> None:
    """Drop share bars, vote forms, tag lists and the like inside an article container."""
    for element in list(root.iter()):
        if element is root or not isinstance(element.tag, str) or element.getparent() is None:
            continue
        names = f"{element.get('class') or ''} {element.get('id') or ''}"
        if not names.strip() or not NOISE_RE.search(names):
            continue
        text = common.text_of(element)
        linked = sum(len(common.text_of(a)) for a in element.iter("a"))
        if len(text) <= MAX_NOISE_TEXT_CHARS or linked > len(text) * 0.5:
            common._drop(element)


def _cut_before(root, headline) -> None:
    """Within an article container that also holds the headline: drop the headline and
    everything before it (breadcrumbs), so that the text starts under it."""
    if headline is None or not any(e is headline for e in root.iter()):
        return
    node = headline
    while node is not None and node is not root:
        parent = node.getparent()
        for sibling in list(node.itersiblings(preceding=True)):
            parent.remove(sibling)
        if node is headline:
            common._drop(node)
        node = parent


def _body_text(element, headline, title: str) -> clutter.Cleaned:
    import copy

    root = copy.deepcopy(element)
    common.remove_boilerplate(root)
    _strip_noise(root)
    _cut_before(root, headline)
    clutter.remove_link_blocks(root)
    cleaned = clutter.clean_text(common.html_to_text(root), title=title)
    # the info line under the headline, when the container held it: time, source, author
    while cleaned.lines and _is_info_line(cleaned.lines[0]):
        cleaned.dropped.append(("info line", cleaned.lines.pop(0)))
    return cleaned


INFO_LINE_RE = re.compile(r"(?:来源|作者|编辑|责编|发布|时间|日期|浏览|字号|打印|分享)\s*[：:]")
#: an info line is short
MAX_INFO_LINE_CHARS = 80


def _is_info_line(line: str) -> bool:
    if len(line) > MAX_INFO_LINE_CHARS:
        return False
    m = common.DATETIME_RE.search(line)
    if m and len(line) - len(m.group(0)) <= MAX_INFO_LINE_CHARS / 2 and not line.endswith("。"):
        return True
    return bool(INFO_LINE_RE.search(line)) and not line.endswith("。")


#: a page whose text is mostly links (this share), with this many links with titles,
#: is a page of links: when no element carries a text, trafilatura is not asked either
LINK_PAGE_SHARE = 0.4
MIN_ITEM_LINKS = 10
MIN_ITEM_LINK_CHARS = 8
#: this many links with titles make a page without any text element a page of links
MANY_ITEM_LINKS = 30


def _is_link_page(tree) -> bool:
    body = tree.find(".//body")
    if body is None:
        return False
    total = len(common.text_of(body))
    items = linked = 0
    for a in body.iter("a"):
        n = len(common.text_of(a))
        linked += n
        items += n >= MIN_ITEM_LINK_CHARS
    if items >= MANY_ITEM_LINKS:
        return True
    return items >= MIN_ITEM_LINKS and total > 0 and linked / total >= LINK_PAGE_SHARE


# --- the info line --------------------------------------------------------------------------


def _value(raw: str) -> str | None:
    value = VALUE_STOP_RE.sub("", raw).strip(" -－—|｜:：·")
    return common.clean_source(value) if value else None


def info_fields(info: str) -> dict[str, str]:
    """time / source / author read from an info line (already label-normalised)."""
    out: dict[str, str] = {}
    m = common.DATETIME_RE.search(info)
    if m and m.group("H") is not None:
        out["time"] = m.group(0).strip()
        after = info[m.end() :]
        media = MEDIA_AFTER_TIME_RE.match(after)
        if media and not NOT_MEDIA_RE.match(media.group("s")):
            value = _value(media.group("s"))
            if value:
                out["media"] = value
    m = SOURCE_LABEL_RE.search(info)
    if m:
        value = _value(m.group("v"))
        if value:
            out["source"] = value
    m = AUTHOR_LABEL_RE.search(info)
    if m and clutter.names(m.group("v")):
        out["author"] = clutter.names(m.group("v"))
    m = WRITER_OUTLET_RE.search(info)
    if m and "source" not in out:
        out.setdefault("author", m.group("a"))
        out["source"] = m.group("s")
    for line in re.split(r"\s{2,}|\|", info):
        credit = clutter.Cleaned(lines=[])
        if clutter._line_class(line.strip(), credit) == "credit" and credit.author:
            out.setdefault("author", credit.author)
    return out


def _source_element(tree, headline, body_el, info: str) -> str | None:
    """The text of an element naming the source / media account near the headline (one
    whose text is part of the info line between the headline and the body)."""
    scope = headline.getparent() if headline is not None else None
    for _ in range(3):
        if scope is None:
            break
        for element in scope.iter():
            if element is body_el or not isinstance(element.tag, str):
                continue
            names = f"{element.get('class') or ''} {element.get('id') or ''}"
            if names.strip() and SOURCE_CLASS_RE.search(names):
                text = common.normalize_labels(common.text_of(element))
                text = re.sub(r"^(?:来源|信息来源|文章来源)\s*[：:]\s*", "", text)
                value = _value(text)
                if (
                    value
                    and 2 <= len(value) <= 20
                    and value in info
                    and not common.DATETIME_RE.search(value)
                ):
                    return value
        scope = scope.getparent()
    return None


def _footer_time(tree, body_el) -> str | None:
    """A blog footer's time right after the body: 发表于2005年09月07日 11:57 AM."""
    if body_el is None:
        return None
    after = common.text_between(tree, body_el, None, FOOTER_SCAN_CHARS)
    for m in common.DATETIME_RE.finditer(after):
        if m.group("H") is not None and POSTED_RE.search(after[max(0, m.start() - 12) : m.start()]):
            return m.group(0).strip()
    return None


# --- the page -------------------------------------------------------------------------------


def parse_generic(
    body: bytes | str, url: str | None, headers: dict | None = None, site: str = "unknown"
) -> ArticleRecord:
    """Any page read by the rules of the module docstring; site "unknown" unless the
    caller knows better."""
    text = ensure_text(body, headers)
    tree = common.parse_document(text)  # ValueError for input that is not HTML
    record = ArticleRecord(url=url, site=site, parser=PARSER)
    record.canonical_url = common.canonical_url(tree, url)

    headline, record.title, record.meta["title_from"] = find_headline(tree)
    body_el, weight = find_body(tree, headline)
    cleaned = None
    if body_el is not None and weight >= MIN_BODY_WEIGHT:
        cleaned = _body_text(body_el, headline, record.title)
    if cleaned is not None and cleaned.lines:
        record.meta["body_from"] = "page"
        record.body_html = common.inner_html(body_el)
        record.text = cleaned.text
        record.images = common.image_urls(common.clean_copy(body_el), url)
        clutter.note_clutter(record, cleaned)
    data: dict[str, Any] = {}
    if not record.text and _is_link_page(tree):
        record.meta["body_from"] = "none"  # a page of links: no text to ask trafilatura for
        record.missing["text"] = "no element of the page carries a text; it is a page of links"
    elif not record.text:
        data = _extract(text, url) or {}
        record.meta["body_from"] = "trafilatura"
        record.text = "\n".join(
            line.strip(common.LINE_STRIP)
            for line in (data.get("text") or "").split("\n")
            if line.strip(common.LINE_STRIP)
        )
        record.body_html = data.get("body_html")
        record.title = record.title or common.squash(data.get("title"))
        cleaned = clutter.clean_text(record.text, record.title)

    # the info line: between the headline and the body (or just before the body)
    info = common.normalize_labels(
        common.text_between(
            tree, headline, body_el if record.meta["body_from"] == "page" else None, INFO_SCAN_CHARS
        )
        if headline is not None
        else (
            common.text_between(tree, None, body_el, INFO_SCAN_CHARS) if body_el is not None else ""
        )
    )
    fields = info_fields(info)
    record.meta["info_line"] = info[:200] if info else None
    if record.meta["title_from"] == "above the posted line":
        _, _, posted = _posted_line(tree)
        m = POSTED_LINE_RE.match(posted)
        if m and m.group("who"):
            fields.setdefault("author", m.group("who"))
        fields.setdefault("time", common.DATETIME_RE.search(posted).group(0).strip())

    if fields.get("time"):
        common.set_time(record, "visible", fields["time"])
    footer = _footer_time(tree, body_el) if record.meta["body_from"] == "page" else None
    if footer:
        common.set_time(record, "footer", footer)
    for key in TIME_METAS:
        common.set_time(record, key, common.meta_content(tree, key))
    if cleaned is not None and cleaned.dateline_time:
        common.set_time(record, "dateline", cleaned.dateline_time)
    if data.get("date"):
        common.set_time(record, "trafilatura", str(data["date"]))
    common.choose_time(
        record,
        ("visible", "footer", *TIME_METAS, "dateline", "trafilatura"),
        "the time shown near the headline, then the page meta, then a dateline in the text",
    )

    record.editor = common.editor_name(body_el) if body_el is not None else None
    record.editor = record.editor or common.editor_name(tree)
    declared = None
    if cleaned is not None:
        declared = cleaned.declared_source or cleaned.trailing_source
    media = fields.get("media")
    if media and cleaned is not None and cleaned.author and media in cleaned.author:
        media = None  # the names after the time are the writers the text credits
    record.source = (
        fields.get("source")
        or _source_element(tree, headline, body_el, info)
        or media
        or (cleaned.dateline_source if cleaned is not None else None)
        or declared
        or common.declared_source(record.text)
        or common.meta_content(tree, "ContentSource")
    )
    footer_text = (
        common.normalize_labels(common.text_between(tree, body_el, None, FOOTER_SCAN_CHARS))
        if body_el is not None and record.meta["body_from"] == "page"
        else ""
    )
    footer_author = AUTHOR_LABEL_RE.search(footer_text[:FOOTER_SCAN_CHARS])
    record.author = (
        fields.get("author")
        or (clutter.body_author(cleaned, record.editor) if cleaned is not None else None)
        or (clutter.names(footer_author.group("v")) if footer_author else None)
        or (common.squash(data.get("author")) or None if data else None)
    )
    record.cited_titles = common.cited_titles(record.text)
    # an unknown outlet's links to government sites are not its declared origin: anchors only
    record.origin_links = common.origin_links(tree, url, page_is_government=True)
    record.attachments = common.attachment_links(tree, url)
    record.tags = common.split_tags(
        *(data.get("tags") or []), *(data.get("categories") or [])
    ) or common.split_tags(common.meta_content(tree, "keywords"))
    for key in ("sitename", "description", "hostname", "image"):
        if data.get(key):
            record.meta[key] = data[key]
    site_name = common.meta_content(tree, "og:site_name", "SiteName")
    if site_name:
        record.meta["sitename"] = site_name
    common.note_missing(
        record,
        {
            "title": "no headline, og:title or <title> on the page",
            "text": "no element of the page carries a text, and trafilatura found none",
            "author": "no 作者 label, byline or credit on the page",
        },
    )
    return record
