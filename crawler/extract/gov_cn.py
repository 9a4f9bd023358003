"""Government pages: www.gov.cn articles (site "gov_cn") and the common layout of provincial
and city government sites (site "government"), plus gov.cn's list formats.

What is read
------------
* title: meta ArticleTitle (markup stripped), the policy table's 标题, the page's title
  heading, og:title, then <title> without the site name;
* times, all kept raw in published_at_candidates: meta firstpublishedtime /
  lastmodifiedtime ("2007-08-20-23:59:59", gov.cn), meta PubDate ("2019-09-18 06:23"),
  the policy table's 发布日期, and the time shown near the title. published_at is the first
  of these that parses, in that order, read as Asia/Shanghai (a day alone: 00:00, precision
  "day"); lastmodifiedtime goes to meta["last_modified"];
* the policy-library table (发文机关, 发文字号, 成文日期, 发布日期, 主题分类, 索引号 ...) ->
  issuer, doc_number, document_date and meta; without a table, a body line that is only a
  document number is taken as the doc_number;
* source: meta ContentSource, the 来源 shown near the title, a 来源 line in the body;
  editor: 编辑/责任编辑 near the title or the body (gov.cn's meta author is its editor);
* body: #UCAP-CONTENT / div.TRS_UEDITOR / .pages_content / div.TRS_Editor / ... (the
  longest match of the first selector that has text); attachments are links to
  .pdf/.doc/.docx/.wps/.ofd/... anywhere on the page.

kind is "document" when the page gives a document number, an issuer or a 成文日期.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from newsmon.crawler.extract import clutter, common
from newsmon.crawler.extract.charset import ensure_text
from newsmon.crawler.extract.record import ArticleRecord

PARSER = "gov_cn"

#: labels of the policy-library metadata table, as written (spaces removed) -> meta key
POLICY_LABELS = {
    "索引号": "index_number",
    "主题分类": "topic",
    "分类": "topic",
    "发文机关": "issuer",
    "发布机构": "issuer",
    "发文单位": "issuer",
    "成文日期": "document_date",
    "印发日期": "document_date",
    "标题": "title",
    "名称": "title",
    "发文字号": "doc_number",
    "文号": "doc_number",
    "发布日期": "published",
    "公开日期": "published",
    "主题词": "keywords",
    "来源": "source",
    "信息来源": "source",
    "有效性": "validity",
    "生效日期": "effective_date",
}
LABEL_TEXT_RE = re.compile(
    r"^(?P<label>"
    + "|".join(sorted(POLICY_LABELS, key=len, reverse=True))
    + r")[：:]\s*(?P<value>.*)$"
)
#: a labelled value longer than this is running text, not a table cell
MAX_LABEL_VALUE_CHARS = 120
#: how many leading body lines are searched for a line that is only a document number
DOC_NUMBER_HEAD_LINES = 12
#: the time near the title is looked for in this much text before the body
HEADER_TIME_SCAN_CHARS = 600
#: a body candidate shorter than this is page furniture (footers also use div.TRS_Editor)
MIN_BODY_CHARS = 20


@dataclass(frozen=True)
class GovProfile:
    """Selectors of one government page family (named, in priority order)."""

    parser: str
    title_selectors: tuple[str, ...]
    body_selectors: tuple[str, ...]
    time_metas: tuple[str, ...] = ("firstpublishedtime", "PubDate", "publishdate")
    visible_time_selectors: tuple[str, ...] = ()
    source_selectors: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


GOV_CN = GovProfile(
    parser=PARSER,
    title_selectors=(
        "div.article h1",
        "h1#ti",
        ".pages-title",
        "#ivs_title",
        ".detail-article-title h2",
        "h1.ql_detailbro_title",
        ".detil-new-title > div",
        "div.Article h2",
        "h1",
    ),
    body_selectors=(
        "#UCAP-CONTENT",
        "div.TRS_UEDITOR",
        ".pages_content",
        "div.TRS_Editor",
        "#ivs_content",
        ".Article_content",
        ".article-content",
        ".contents_div",
        "#zoom",
        "#content",
        ".content",
    ),
    visible_time_selectors=(".pages-date", "#ivs_date", ".PBtime", ".Article-time"),
    source_selectors=(".pages-date .font", ".article-infos-source", ".lybj", ".detil-new-title"),
)


# --- the policy table -----------------------------------------------------------------------


def _label(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text).rstrip("：:")


def policy_table(tree) -> dict[str, str]:
    """Labelled metadata (发文机关：X ...) from tables, definition lists and label lines."""
    found: dict[str, str] = {}
    for cell in tree.iter("td", "th", "dt", "label", "b", "strong"):
        raw = common.text_of(cell)
        label = _label(raw)
        if label not in POLICY_LABELS or len(raw) > 12:
            continue
        value_el = cell.getnext()
        if cell.tag in ("b", "strong", "label") and value_el is None:
            tail = common.squash(cell.tail)
            parent = cell.getparent()
            if not tail and parent is not None and parent.tag in ("td", "th"):
                value_el = parent.getnext()
            elif tail:
                found.setdefault(label, tail)
                continue
        value = common.text_of(value_el) if value_el is not None else ""
        if value and len(value) <= MAX_LABEL_VALUE_CHARS and _label(value) not in POLICY_LABELS:
            found.setdefault(label, value)
    lines: dict[str, tuple[int, str]] = {}
    for element in tree.iter("li", "p", "span", "div", "label", "small", "td", "dd"):
        text = common.text_of(element)
        if not text or len(text) > MAX_LABEL_VALUE_CHARS + 8:
            continue
        m = LABEL_TEXT_RE.match(re.sub(r"^([^：:]{1,8})", lambda g: _label(g.group(1)), text))
        value = m.group("value").strip() if m else ""
        # the innermost element says it best: "<span>发布日期：X</span>" beats its parent line
        if value and (m.group("label") not in lines or len(text) < lines[m.group("label")][0]):
            lines[m.group("label")] = (len(text), value)
    for label, (_, value) in lines.items():
        found.setdefault(label, value)
    return found


# --- pieces -----------------------------------------------------------------------------------


def best_body(tree, selectors) -> Any:
    """The longest element of the first selector whose matches carry text."""
    for selector in selectors:
        matches = [(len(common.text_of(e)), e) for e in common.select(tree, selector)]
        matches = [(n, e) for n, e in matches if n >= MIN_BODY_CHARS]
        if matches:
            return max(matches, key=lambda pair: pair[0])[1]
    return None


def _text_before(tree, stop) -> str:
    """The page text that comes before element stop (the title block, the info line)."""
    parts: list[str] = []
    body = tree.find(".//body")
    if body is None or stop is None:
        return ""
    for element in body.iter():
        if element is stop:
            break
        if not isinstance(element.tag, str) or element.tag in ("script", "style"):
            continue
        if element.text:
            parts.append(element.text)
        if element.tail:
            parts.append(element.tail)
    return common.squash(" ".join(parts))


def header_time(tree, body_el, selectors) -> str | None:
    """The time shown near the title: a known element, else the last date-time before the body."""
    for selector in selectors:
        for element in common.select(tree, selector):
            m = common.DATETIME_RE.search(common.text_of(element))
            if m:
                return m.group(0).strip()
    text = _text_before(tree, body_el)[-HEADER_TIME_SCAN_CHARS:]
    matches = [m for m in common.DATETIME_RE.finditer(text) if m.group("H") is not None]
    return matches[-1].group(0).strip() if matches else None


HEADER_SOURCE_RE = re.compile(r"(?:文章|信息)?来源\s*[：:]\s*([^\s|｜]+)")
HEADER_EDITOR_RE = re.compile(r"(?:责任编辑|编辑)\s*[：:]\s*([^\s|｜（）()]+)")
#: what an empty labelled field is followed by (the next label or a date), not a value
LABEL_OR_DATE_RE = re.compile(r"^(?:编辑|作者|来源|时间|日期|发布|浏览|字体|\d{4}[-年/.])")
HEADER_AUTHOR_RE = re.compile(r"作者\s*[：:]\s*([^\s|｜（）()]+)")


def _header_value(tree, body_el, selectors, pattern) -> str | None:
    texts = [
        common.normalize_labels(common.text_of(e))
        for s in selectors
        for e in common.select(tree, s)
    ]
    texts.append(common.normalize_labels(_text_before(tree, body_el)[-HEADER_TIME_SCAN_CHARS:]))
    for text in texts:
        m = pattern.search(text)
        if m:
            value = common.clean_source(m.group(1))
            if value and not LABEL_OR_DATE_RE.match(value):
                return value
    return None


def document_number_line(text: str) -> str | None:
    """A doc number given alone on a line near the top of the body."""
    for line in text.split("\n")[:DOC_NUMBER_HEAD_LINES]:
        found = common.doc_numbers(line)
        if found and len(line.strip()) <= len(found[0]) + 4:
            return found[0]
    return None


# --- the page ---------------------------------------------------------------------------------


def parse_gov_page(text: str, url: str | None, site: str, profile: GovProfile) -> ArticleRecord:
    """A government page read with profile's selectors (shared by gov_cn and shanghai_gov)."""
    tree = common.parse_document(text)
    record = ArticleRecord(url=url, site=site, parser=profile.parser)
    record.canonical_url = common.canonical_url(tree, url)
    table = policy_table(tree)
    body_el = best_body(tree, profile.body_selectors)

    title = common.strip_tags(common.meta_content(tree, "ArticleTitle"))
    title_from = "meta ArticleTitle"
    if not title and table.get("标题"):
        title, title_from = table["标题"], "policy table"
    if not title:
        heading = common.first(tree, profile.title_selectors)
        title, title_from = common.text_of(heading), "heading"
    if not title:
        title = common.meta_content(tree, "og:title", "title") or common.title_from_title_tag(tree)
        title_from = "meta/title"
    record.title = title
    record.meta["title_from"] = title_from

    for name in profile.time_metas:
        common.set_time(record, name, common.meta_content(tree, name))
    for label in ("发布日期", "公开日期"):
        if table.get(label):
            common.set_time(record, label, table[label])
    visible = header_time(tree, body_el, profile.visible_time_selectors)
    if visible:
        common.set_time(record, "visible", visible)
    for key, value in profile.extra.get("time_candidates", {}).items():
        common.set_time(record, key, value)
    order = [
        *profile.time_metas,
        "发布日期",
        "公开日期",
        "visible",
        *profile.extra.get("time_candidates", {}),
    ]
    common.choose_time(record, order, "meta first, then the policy table, then the visible time")
    modified, _ = common.parse_local_time(common.meta_content(tree, "lastmodifiedtime"))
    if modified:
        record.meta["last_modified"] = common.iso_utc(modified)

    raw_text = ""
    body = None
    if body_el is not None:
        cleaned = common.clean_copy(body_el)
        record.body_html = common.inner_html(body_el)
        raw_text = common.html_to_text(cleaned)
        # the text as read: the title and number repeated on top, credits, links out
        body = clutter.article_text(body_el, record.title)
        clutter.note_clutter(record, body)
        record.text = body.text
        record.images = common.image_urls(cleaned, url)
    # a government page: only anchor texts such as 原文链接 make a link an origin
    record.origin_links = common.origin_links(
        body_el if body_el is not None else tree, url, page_is_government=True
    )
    record.attachments = common.attachment_links(tree, url)

    issuer = next((table[k] for k in ("发文机关", "发布机构", "发文单位") if table.get(k)), None)
    record.issuer = issuer
    number = next((table[k] for k in ("发文字号", "文号") if table.get(k)), None)
    record.doc_number = common.doc_number_of(number) if number else document_number_line(raw_text)
    written = next((table[k] for k in ("成文日期", "印发日期") if table.get(k)), None)
    record.document_date = common.local_date(written)
    for label, value in table.items():
        key = POLICY_LABELS[label]
        if key in ("topic", "index_number", "keywords", "validity", "effective_date"):
            record.meta.setdefault(key, value)
    if table:
        record.meta["policy_table"] = table
    if record.doc_number or record.issuer or record.document_date:
        record.kind = "document"

    record.source = (
        common.clean_source(next((table[k] for k in ("来源", "信息来源") if table.get(k)), None))
        or common.meta_content(tree, "ContentSource")
        or _header_value(tree, body_el, profile.source_selectors, HEADER_SOURCE_RE)
        or (body.declared_source or body.trailing_source if body is not None else None)
        or common.declared_source(raw_text)
    )
    record.author = _header_value(tree, body_el, profile.source_selectors, HEADER_AUTHOR_RE)
    record.editor = (
        _header_value(tree, body_el, profile.source_selectors, HEADER_EDITOR_RE)
        or (common.editor_name(body_el) if body_el is not None else None)
        # www.gov.cn's meta author is the page's 责任编辑; elsewhere it is often the site name
        or (common.meta_content(tree, "author") if site == "gov_cn" else None)
    )
    if not record.author and body is not None:
        record.author = clutter.body_author(body, record.editor)
    record.cited_titles = common.cited_titles(record.text)
    record.tags = common.split_tags(common.meta_content(tree, "keywords"))
    for name, key in (
        ("manuscriptId", "manuscript_id"),
        ("SiteName", "site_name"),
        ("ColumnName", "column"),
        ("lanmu", "lanmu"),
        ("catalog", "catalog"),
        ("IDCode", "id_code"),
    ):
        value = common.meta_content(tree, name)
        if value:
            record.meta[key] = value

    common.note_missing(
        record,
        {
            "title": "no ArticleTitle meta, title heading or <title>",
            "text": "no article body among " + ", ".join(profile.body_selectors[:6]),
            "source": "no ContentSource meta and no 来源 near the title or in the body",
        },
    )
    if record.kind == "document":
        common.note_missing(
            record,
            {
                "doc_number": "no 发文字号 in the page's metadata or its first lines",
                "issuer": "no 发文机关 in the page's metadata",
                "document_date": "no 成文日期 in the page's metadata",
            },
        )
    return record


def _site_of(url: str | None) -> str:
    host = common.host_of(url)
    return "gov_cn" if host in ("www.gov.cn", "gov.cn") else "government"


def parse_gov_cn(body: bytes | str, url: str, headers: dict | None = None) -> ArticleRecord:
    """A www.gov.cn page (site "gov_cn"); any other government host gets site "government"."""
    return parse_gov_page(ensure_text(body, headers), url, _site_of(url), GOV_CN)


def parse_government(
    body: bytes | str, url: str | None, headers: dict | None = None
) -> ArticleRecord:
    """A provincial / city government page (standard gov meta set, div.TRS_Editor ...)."""
    return parse_gov_page(ensure_text(body, headers), url, "government", GOV_CN)


# --- list formats -------------------------------------------------------------------------

LIST_ITEM_SELECTOR = "li"
LIST_DATE_RE = re.compile(r"(?:19|20)\d{2}[-./年]\d{1,2}[-./月]\d{1,2}日?")


def parse_gov_cn_list(html: str, url: str) -> list[dict[str, Any]]:
    """gov.cn list blocks (li > a + span date) -> [{url, title, date}] with absolute URLs.

    Items without a date are kept (date None); links that are not pages (javascript:,
    "更多" buttons outside li) are skipped. ValueError when html is not HTML.
    """
    tree = common.parse_document(ensure_text(html))
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for li in tree.iter(LIST_ITEM_SELECTOR):
        a = li.find(".//a[@href]")
        if a is None:
            continue
        link = common.absolute_url(a.get("href"), url)
        title = common.text_of(a) or common.squash(a.get("title"))
        if not link or not title or link in seen:
            continue
        seen.add(link)
        rest = common.text_of(li).replace(title, "")
        m = LIST_DATE_RE.search(rest)
        out.append(
            {"url": link, "title": title, "date": common.local_date(m.group(0)) if m else None}
        )
    return out


JSON_FIELDS = {"title": "TITLE", "sub_title": "SUB_TITLE", "url": "URL", "date": "DOCRELPUBTIME"}


def parse_gov_cn_json_feed(data: bytes | str, url: str) -> list[dict[str, Any]]:
    """gov.cn static JSON lists ([{TITLE, SUB_TITLE, URL, DOCRELPUBTIME}, ...]) ->
    [{url, title, sub_title, date}]. ValueError (with the reason) for malformed JSON or
    another shape."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"gov.cn JSON list {url}: malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    if isinstance(rows, dict):
        rows = next((v for v in rows.values() if isinstance(v, list)), None)
    if not isinstance(rows, list):
        raise ValueError(
            f"gov.cn JSON list {url}: expected an array of items, got {type(rows).__name__}"
        )
    out = []
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError(
                f"gov.cn JSON list {url}: an item is {type(row).__name__}, not an object"
            )
        link = common.absolute_url(str(row.get("URL") or ""), url)
        if not link:
            continue
        out.append(
            {
                "url": link,
                "title": common.squash(str(row.get("TITLE") or "")),
                "sub_title": common.squash(str(row.get("SUB_TITLE") or "")) or None,
                "date": common.local_date(str(row.get("DOCRELPUBTIME") or "")),
            }
        )
    return out


__all__ = [
    "GOV_CN",
    "GovProfile",
    "parse_gov_cn",
    "parse_gov_cn_json_feed",
    "parse_gov_cn_list",
    "parse_gov_page",
    "parse_government",
    "policy_table",
]
