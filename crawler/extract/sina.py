"""Sina article pages (finance/news/tech doc-i*.shtml): the div#artibody template (2016-2019)
and the newer div#article one (2019-), plus what can be read from older pages without
either (title and the visible time; their body is left to the generic extractor).

Publication time rule
---------------------
Three sources are collected in published_at_candidates, raw:

* "visible": the time shown to readers under the title (span.date "2018年12月28日 19:55",
  span#pub_date, span.time-source), Asia/Shanghai, to the minute;
* "weibo: article:create_at": meta "2018-12-28 19:55:10", Asia/Shanghai;
* "article:published_time": meta "2018-12-28T19:56:29+08:00".

published_at is what readers saw: the visible time. When a meta time falls in the same
minute, its seconds are kept (weibo: article:create_at first, then article:published_time).
A meta time in another minute is a later edit or a re-publication (the 2024-05-10 page
shows 00:26 while article:published_time says 05:54) and is ignored. Without a visible
time: article:published_time, then weibo: article:create_at, and for old pages that have
neither (2005 chanye pages) the first "YYYY年MM月DD日 HH:MM" near the top of the page
("page text").

Source rule: a 来源：XXX line at the start or end of the body is the declared origin of the
text and wins; otherwise the media named next to the time (a.source, span.source). That
media name is kept in meta["media"] either way.
"""

from __future__ import annotations

from datetime import timedelta

from newsmon.crawler.extract import common
from newsmon.crawler.extract.charset import ensure_text
from newsmon.crawler.extract.record import ArticleRecord

PARSER = "sina"

TITLE_SELECTORS = ("h1.main-title", "h1#artibodyTitle", "#artibodyTitle", "div.article-header h1")
BODY_SELECTORS = ("div#artibody", "div#article", "div.article-content-left div.article")
#: where the visible time sits, newest template first
VISIBLE_TIME_SELECTORS = (
    ".date-source span.date",
    "span.date",
    "span#pub_date",
    "span.time-source",
    "#top_bar .date",
)
SOURCE_SELECTORS = (
    ".date-source a.source",
    ".date-source span.source",
    "a.source",
    "span.source",
    "span#media_name a",
    "span#media_name",
)
AUTHOR_SELECTORS = (
    ".date-source .author",
    "span.date[data-sudaclick=content_author_p]",
    "p.show_author",
)
#: an older page without a known time element: the first "YYYY年MM月DD日 HH:MM" within the
#: first characters of its text is taken as the visible time
PAGE_TIME_SCAN_CHARS = 3000
MIN_BODY_CHARS = 1  # any text at all counts as a body: the parser never guesses one


def _visible_time(tree) -> str | None:
    for selector in VISIBLE_TIME_SELECTORS:
        for element in tree.cssselect(selector):
            text = common.text_of(element)
            m = common.DATETIME_RE.search(text)
            if m and m.group("H") is not None:
                return m.group(0).strip()
    return None


def _page_text_time(tree) -> str | None:
    body = tree.find(".//body")
    text = common.squash(body.text_content() if body is not None else "")[:PAGE_TIME_SCAN_CHARS]
    for m in common.DATETIME_RE.finditer(text):
        if m.group("H") is not None and "年" in m.group(0):
            return m.group(0).strip()
    return None


def choose_sina_time(record: ArticleRecord) -> None:
    """Apply the module's publication time rule to record.published_at_candidates."""
    c = record.published_at_candidates
    record.meta["published_at_rule"] = "visible time, seconds from a meta time in the same minute"
    visible, _ = common.parse_local_time(c.get("visible"))
    if visible is not None:
        chosen, source = visible, "visible"
        for key in ("weibo: article:create_at", "article:published_time"):
            meta_time, _ = common.parse_local_time(c.get(key))
            if meta_time is not None and visible <= meta_time < visible + timedelta(minutes=1):
                chosen, source = meta_time, key
                break
        record.published_at = common.iso_utc(chosen)
        record.meta["published_at_from"] = source
        record.meta["published_at_precision"] = "minute" if source == "visible" else "second"
        return
    common.choose_time(
        record, ("article:published_time", "weibo: article:create_at", "page text"), "meta"
    )


def _media(tree) -> str | None:
    for selector in SOURCE_SELECTORS:
        for element in tree.cssselect(selector):
            name = common.clean_source(common.text_of(element))
            if name:
                return name
    # span.time-source: "2016年05月25日10:10 新浪财经"
    element = common.first(tree, ("span.time-source",))
    if element is not None:
        rest = common.DATETIME_RE.sub("", common.text_of(element)).strip()
        if rest:
            return rest
    return None


def _author(tree) -> str | None:
    for selector in AUTHOR_SELECTORS:
        for element in tree.cssselect(selector):
            text = common.text_of(element)
            if text.startswith(("作者：", "作者:")):
                return text[3:].strip() or None
    return common.meta_content(tree, "article:author", "author")


def _body(tree):
    for selector in BODY_SELECTORS:
        for element in tree.cssselect(selector):
            if len(common.text_of(element)) >= MIN_BODY_CHARS:
                return element
    return None


def parse_sina(body: bytes | str, url: str, headers: dict | None = None) -> ArticleRecord:
    """A Sina article page as a record (see the module docstring for the rules)."""
    tree = common.parse_document(ensure_text(body, headers))
    record = ArticleRecord(url=url, site="sina", parser=PARSER)
    record.canonical_url = common.canonical_url(tree, url)

    title_el = common.first(tree, TITLE_SELECTORS)
    record.title = common.text_of(title_el)
    record.meta["title_from"] = "h1"
    if not record.title:
        record.title = common.meta_content(tree, "og:title") or common.title_from_title_tag(tree)
        record.meta["title_from"] = "meta/title"

    common.set_time(
        record, "article:published_time", common.meta_content(tree, "article:published_time")
    )
    common.set_time(
        record, "weibo: article:create_at", common.meta_content(tree, "weibo: article:create_at")
    )
    visible = _visible_time(tree)
    if visible:
        common.set_time(record, "visible", visible)
    elif not record.published_at_candidates:
        common.set_time(record, "page text", _page_text_time(tree))
    choose_sina_time(record)

    element = _body(tree)
    media = _media(tree)
    if media:
        record.meta["media"] = media
    record.author = _author(tree)
    record.editor = common.editor_name(element) if element is not None else None
    record.editor = record.editor or common.editor_name(tree)
    if element is not None:
        record.body_html = common.inner_html(element)
        record.text = common.html_to_text(element)
        record.stock_tags = common.stock_tags(element)
        record.origin_links = common.origin_links(element, url)
        record.images = common.image_urls(common.clean_copy(element), url)
    record.source = common.declared_source(record.text) or media
    record.cited_titles = common.cited_titles(record.text)
    keywords = common.meta_content(tree, "tags") or common.meta_content(tree, "keywords")
    if keywords and keywords != record.title:  # some pages repeat the title as keywords
        record.tags = common.split_tags(keywords)
    for key in ("mediaid", "news_keyword_pub"):
        value = common.meta_content(tree, key)
        if value:
            record.meta[key] = value

    common.note_missing(
        record,
        {
            "title": "no h1.main-title, og:title or <title>",
            "text": "no article body (div#artibody / div#article) on the page",
            "source": "no 来源 line and no media name next to the time",
            "author": "no 作者 line and no article:author meta",
            "editor": "no 责任编辑 line",
        },
    )
    return record
