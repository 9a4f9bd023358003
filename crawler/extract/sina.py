"""Sina article pages, every template in use since 2004, recognised by structure:

* ``desktop``: the div#artibody template (2016-2019) and the div#article one (2019-),
  h1.main-title, the time and the media in .date-source;
* ``mobile``: finance.sina.cn / news.sina.cn pages: article.art_box with h1.art_tit_h1,
  the media in h2.weibo_user (or cite.art_cite), the time in time.weibo_time /
  time.art_time ("2005.08.26" + "05:39"), the text in section.art_content;
* ``table``: the 2004-2005 table layout: the headline in th.f24 / td.title14, under it
  a dateline cell (channel URL, date and time, outlet), the text in td.l17 (font#zoom).

The text is read by clutter.article_text: the 原标题 line (record.original_title),
video captions and photo credits (meta), link, promotion and credit lines, and the
repeated headline / channel URL / dateline of old pages are not text.

Publication time rule
---------------------
Sources collected raw in published_at_candidates:

* "visible": the time shown to readers under the title (span.date "2018年12月28日 19:55",
  span#pub_date, span.time-source, the mobile time element, the old dateline),
  Asia/Shanghai, to the minute;
* "weibo: article:create_at": meta "2018-12-28 19:55:10", Asia/Shanghai;
* "article:published_time": meta "2018-12-28T19:56:29+08:00".

published_at is what readers saw: the visible time. When a meta time falls in the same
minute, its seconds are kept (weibo: article:create_at first, then article:published_time).
A meta time in another minute is a later edit or a re-publication (the 2024-05-10 page
shows 00:26 while article:published_time says 05:54) and is ignored. Without a visible
time: article:published_time, then weibo: article:create_at, and for pages that have
neither the first "YYYY年MM月DD日 HH:MM" near the top of the page ("page text").

Source rule: a 来源：XXX line at the start or end of the text, or a closing （来源：XXX）,
is the declared origin and wins; otherwise the media named next to the time (a.source,
span.source, the mobile h2.weibo_user, the outlet on an old dateline). That media
name is kept in meta["media"] either way. On an old page whose dateline names the
outlet, a closing 来源 line that is a person's name ("来源: 尹娟") is the writer.

Author rule: the 作者 shown next to the time, unless it only repeats the media name;
then the writer the text credits (a credit line such as （总台央视记者 奚丹霓 张赛）,
a byline such as 新京报快讯（记者 裴剑飞）, a closing (李楠), the WeChat header 原创：
NAME 编译 ACCOUNT); then the 作者 field even when it names the outlet (the page says
so and names nobody else); then article:author (not on the mobile template, where it
is the account shown as the media).
"""

from __future__ import annotations

import re
from datetime import timedelta

from newsmon.crawler.extract import clutter, common
from newsmon.crawler.extract.charset import ensure_text
from newsmon.crawler.extract.record import ArticleRecord

PARSER = "sina"

TITLE_SELECTORS = (
    "h1.main-title",
    "h1#artibodyTitle",
    "#artibodyTitle",
    "div.article-header h1",
    "h1.art_tit_h1",
    "th.f24",
    "td.title14",
    "h1",
)
#: template name -> body selectors, in the order templates are tried
BODY_TEMPLATES = (
    ("desktop", ("div#artibody", "div#article", "div.article-content-left div.article")),
    ("mobile", ("article.art_box section.art_content", "section.art_content", "article.art_box")),
    ("table", ("font#zoom", "td.l17")),
)
#: where the visible time sits, newest template first
VISIBLE_TIME_SELECTORS = (
    ".date-source span.date",
    "span.date",
    "span#pub_date",
    "span.time-source",
    "#top_bar .date",
    "article.art_box time.weibo_time",
    "article.art_box time.art_time",
    "time.weibo_time",
)
SOURCE_SELECTORS = (
    ".date-source a.source",
    ".date-source span.source",
    "a.source",
    "span.source",
    "span#media_name a",
    "span#media_name",
    "article.art_box h2.weibo_user",
    "article.art_box cite.art_cite",
)
AUTHOR_SELECTORS = (
    ".date-source .author",
    "span.date[data-sudaclick=content_author_p]",
    "p.show_author",
)
#: meta author values that mark the site version, not anybody
SITE_MARKERS = ("sina_mobile",)
#: the WeChat header a self-media reprint opens with: 原创： NAME[编译] ACCOUNT
WECHAT_HEADER_RE = re.compile(
    r"^原创\s*[：:]\s*(?P<name>\S{2,12}?)(?:编译|整理)?\s+(?P<account>\S.{0,20})$"
)
HEADER_AUTHOR_RE = re.compile(r"作者\s*[：:]\s*([\u4e00-\u9fff·]{2,8})")
#: a person's name given as 来源 on old pages (when the dateline names the outlet)
PERSON_SOURCE_RE = re.compile(r"^[\u4e00-\u9fff]{2,3}$")
#: an older page without a known time element: the first "YYYY年MM月DD日 HH:MM" within the
#: first characters of its text is taken as the visible time
PAGE_TIME_SCAN_CHARS = 3000
#: a mobile time element gives the day and the time apart: "2005.08.26" "05:39"
MOBILE_TIME_RE = re.compile(
    r"((?:19|20)\d{2})[.\-/年](\d{1,2})[.\-/月](\d{1,2})日?\s*(\d{1,2}:\d{2})"
)
MIN_BODY_CHARS = 1  # any text at all counts as a body: the parser never guesses one


def _visible_time(tree) -> str | None:
    for selector in VISIBLE_TIME_SELECTORS:
        for element in common.select(tree, selector):
            text = common.text_of(element)
            m = common.DATETIME_RE.search(text)
            if m and m.group("H") is not None:
                return m.group(0).strip()
            m = MOBILE_TIME_RE.search(text.replace(" ", ""))
            if m:
                return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d} {m.group(4)}"
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
        for element in common.select(tree, selector):
            name = common.clean_source(common.text_of(element))
            if name:
                return name
    # span.time-source: "2016年05月25日10:10 新浪财经"; the artInfo line of 2019 tech pages
    for selector in ("span.time-source", "#blk_n001_003 div", "div.artInfo"):
        element = common.first(tree, (selector,))
        if element is not None:
            rest = common.DATETIME_RE.sub("", common.text_of(element)).strip()
            rest = rest.split(" ")[0] if rest else ""
            if rest:
                return common.clean_source(rest)
    return None


def _page_author(tree) -> str | None:
    for selector in AUTHOR_SELECTORS:
        for element in common.select(tree, selector):
            text = common.normalize_labels(common.text_of(element))
            if text.startswith(("作者：", "作者:")):
                return text[3:].strip() or None
    return None


def _body(tree, title_el=None) -> tuple[str, object | None]:
    """The first template whose body selector matches an element with text that does not
    hold the headline (an old page's div#article wraps the whole page)."""
    for template, selectors in BODY_TEMPLATES:
        found = []
        for selector in selectors:
            for element in common.select(tree, selector):
                if title_el is not None and any(e is title_el for e in element.iter()):
                    continue
                if len(common.text_of(element)) >= MIN_BODY_CHARS:
                    found.append(element)
            if found and template != "table":
                return template, found[0]
        if found:  # table pages reuse td.l17 / font#zoom for link rows: the longest is the text
            return template, max(found, key=lambda e: len(common.text_of(e)))
    return "", None


def _table_dateline(title_el) -> str | None:
    """The dateline cell under a table-layout headline (channel URL, date, time, outlet)."""
    row = title_el.getparent() if title_el is not None else None
    for _ in range(3):  # the headline's row, then the rows after it
        if row is None:
            return None
        row = row.getnext()
        if row is None:
            return None
        text = common.text_of(row)
        if common.DATETIME_RE.search(text):
            return text
    return None


def parse_sina(body: bytes | str, url: str, headers: dict | None = None) -> ArticleRecord:
    """A Sina article page as a record (see the module docstring for the rules)."""
    tree = common.parse_document(ensure_text(body, headers))
    record = ArticleRecord(url=url, site="sina", parser=PARSER)
    record.canonical_url = common.canonical_url(tree, url)

    title_el = common.first(tree, TITLE_SELECTORS)
    record.title = common.clean_title(common.text_of(title_el))
    record.meta["title_from"] = "h1"
    if not record.title:
        record.title = common.meta_content(tree, "og:title") or common.title_from_title_tag(tree)
        record.meta["title_from"] = "meta/title"

    template, element = _body(tree, title_el)
    if template:
        record.meta["template"] = template
    cleaned = clutter.article_text(element, record.title) if element is not None else None
    if template == "table" and cleaned is not None and not cleaned.dateline_time:
        dateline = _table_dateline(title_el)
        if dateline:
            cleaned.dateline_time, cleaned.dateline_source = _read_dateline(dateline)

    common.set_time(
        record, "article:published_time", common.meta_content(tree, "article:published_time")
    )
    common.set_time(
        record, "weibo: article:create_at", common.meta_content(tree, "weibo: article:create_at")
    )
    visible = _visible_time(tree) or (cleaned.dateline_time if cleaned is not None else None)
    if visible:
        common.set_time(record, "visible", visible)
    elif not record.published_at_candidates:
        common.set_time(record, "page text", _page_text_time(tree))
    choose_sina_time(record)

    media = _media(tree) or (cleaned.dateline_source if cleaned is not None else None)
    if media:
        record.meta["media"] = media
    record.editor = common.editor_name(element) if element is not None else None
    record.editor = record.editor or common.editor_name(tree)
    declared = None
    text_author = None
    if element is not None and cleaned is not None:
        clutter.note_clutter(record, cleaned)
        lines = list(cleaned.lines)
        if lines and (m := WECHAT_HEADER_RE.match(lines[0])):
            text_author = m.group("name")
            record.meta["wechat_account"] = m.group("account")
            lines = lines[1:]
        cleaned.lines = lines
        record.body_html = common.inner_html(element)
        record.text = cleaned.text
        record.stock_tags = common.stock_tags(element)
        record.origin_links = common.origin_links(element, url)
        record.images = common.image_urls(common.clean_copy(element), url)
        declared = cleaned.declared_source or cleaned.trailing_source
        if (
            declared
            and cleaned.dateline_source
            and PERSON_SOURCE_RE.match(declared)
            and not media_like(declared)
        ):
            text_author, declared = text_author or declared, None
        text_author = text_author or clutter.body_author(cleaned, record.editor)
    record.source = declared or common.declared_source(record.text) or media

    page_author = _page_author(tree)
    if not page_author and template == "table" and title_el is not None:
        # old pages name the writer in the rows under the headline (作者：罗银胜)
        m = HEADER_AUTHOR_RE.search(
            common.normalize_labels(common.text_between(tree, title_el, element, 200))
        )
        page_author = m.group(1) if m else None
    outlet_author = None
    if page_author and media and common.squash(page_author) == common.squash(media):
        # the 作者 field repeating the outlet: the people the text credits come first
        outlet_author, page_author = page_author, None
    meta_author = common.meta_content(tree, "article:author", "author")
    if meta_author in SITE_MARKERS or (template == "mobile" and meta_author == media):
        meta_author = None  # the mobile template's article:author is the account shown as media
    record.author = page_author or text_author or outlet_author or meta_author
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
            "text": "no article body (div#artibody / div#article / section.art_content / "
            "td.l17) on the page",
            "source": "no 来源 line and no media name next to the time",
            "author": "no 作者 line, byline or article:author meta",
            "editor": "no 责任编辑 line",
        },
    )
    return record


#: words that make a short 来源 value an outlet rather than a person
MEDIA_WORDS = ("报", "网", "社", "刊", "台", "局", "部", "委", "新闻", "财经", "周刊", "中心")


def media_like(value: str) -> bool:
    return any(word in value for word in MEDIA_WORDS)


def _read_dateline(text: str) -> tuple[str | None, str | None]:
    m = common.DATETIME_RE.search(text)
    if not m or m.group("H") is None:
        return None, None
    rest = text[m.end() :].strip().strip("《》")
    return m.group(0).strip(), common.clean_source(rest.split(" ")[0]) if rest else None
