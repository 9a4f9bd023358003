"""Helpers on HTML trees and plain text shared by every parser (site pages and archives).

Everything here is pure: a tree or a string in, values out; the input tree is never
changed (helpers that remove boilerplate work on a copy).

Times: pages give local times in Asia/Shanghai; records keep ISO 8601 UTC strings
("2022-07-08T02:06:12Z"). A value that gives only a day is read as 00:00 that day in
Asia/Shanghai and marked with precision "day" (see parse_local_time).
"""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from lxml import etree
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector

from newsmon.crawler.extract.record import ArticleRecord, Link, StockTag
from newsmon.timefmt import utc_iso

SHANGHAI = ZoneInfo("Asia/Shanghai")

# --- parsing ----------------------------------------------------------------------------

#: how much of a document is looked at to decide whether it is HTML at all
SNIFF_CHARS = 2048


#: a tag that only HTML has; saved corpora also wrap pages in <text id=URL ...> and
#: may open with a long <script> block before any of the others
HTML_TAG_SNIFF_RE = re.compile(
    r"<\s*(!doctype|html|head|body|meta|title|div|p|table|span|a|script|style|link|font|center)\b"
)


def looks_like_html(text: str) -> bool:
    head = text[:SNIFF_CHARS].lstrip("\ufeff \t\r\n").lower()
    if not head or head.startswith(("%pdf", "{", "[")):
        return False
    return bool(HTML_TAG_SNIFF_RE.search(head))


STRAY_CLOSE_RE = re.compile(r"</\s*(?:html|body)\s*>", re.I)


#: parsed pages kept for the next parser reading the same text (a site parser, then the
#: generic fallback, then the listing check); trees are only read, never changed
PARSE_CACHE_SIZE = 4


def parse_document(text: str) -> lxml_html.HtmlElement:
    """The page as an lxml tree; ValueError when the input is not HTML at all. The tree
    must not be changed (it is shared with the next reader of the same text)."""
    return _parse_document(text)


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_document(text: str) -> lxml_html.HtmlElement:
    if "\x00" in text[:SNIFF_CHARS]:
        raise ValueError("not an HTML page: the body contains NUL bytes (binary data)")
    if not looks_like_html(text):
        start = text[:40].strip()
        raise ValueError(f"not an HTML page: it starts with {start!r}")
    # lxml refuses str input that carries an XML encoding declaration
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"))
    # server-side includes leave a stray </html> or </body> mid-page (gov.cn's header
    # template); libxml2 would stop there, so the closing tags are dropped and implied
    text = STRAY_CLOSE_RE.sub("", text)
    try:
        return lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ValueError(f"not an HTML page: {exc}") from exc


def as_element(tree_or_html: Any) -> lxml_html.HtmlElement:
    """An element for a tree, an element or an HTML fragment string."""
    if isinstance(tree_or_html, etree._ElementTree):
        return tree_or_html.getroot()
    if isinstance(tree_or_html, etree._Element):
        return tree_or_html
    text = str(tree_or_html or "")
    if not text.strip():
        return lxml_html.fragment_fromstring("<div></div>")
    return lxml_html.fragment_fromstring(text, create_parent="div")


@functools.lru_cache(maxsize=512)
def _compiled(selector: str) -> CSSSelector:
    return CSSSelector(selector, translator="html")


def select(tree: etree._Element, selector: str) -> list[etree._Element]:
    """tree.cssselect(selector) with the selector compiled once per process."""
    return _compiled(selector)(tree)


def first(tree: etree._Element, selectors: Iterable[str]) -> etree._Element | None:
    """The first element matched by the first selector that matches anything."""
    for selector in selectors:
        found = select(tree, selector)
        if found:
            return found[0]
    return None


SPACE_RUN_RE = re.compile(r"[\s\u3000\xa0]+")


def squash(text: str | None) -> str:
    """Whitespace runs (including U+3000 and NBSP) as one space, trimmed."""
    return SPACE_RUN_RE.sub(" ", text).strip() if text else ""


#: elements whose content is code, never text (a script written into a title)
CODE_TAGS = ("script", "style", "noscript", "template")


def text_of(element: etree._Element | None) -> str:
    if element is None:
        return ""
    if next((e for e in element.iter(*CODE_TAGS) if e is not element), None) is None:
        return squash(element.text_content())
    import copy

    clean = copy.deepcopy(element)
    etree.strip_elements(clean, *CODE_TAGS, with_tail=False)
    return squash(clean.text_content())


def meta_content(tree: etree._Element, *names: str) -> str | None:
    """The content of the first non-empty <meta name|property|itemprop=NAME> (case-insensitive)."""
    wanted = [n.lower() for n in names]
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (
            (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").strip().lower()
        )
        if key in wanted and key not in found:
            value = squash(meta.get("content"))
            if value:
                found[key] = value
    for key in wanted:
        if key in found:
            return found[key]
    return None


def canonical_url(tree: etree._Element, base_url: str | None = None) -> str | None:
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            return absolute_url(link.get("href"), base_url)
    og = meta_content(tree, "og:url")
    return absolute_url(og, base_url) if og else None


def absolute_url(href: str | None, base_url: str | None) -> str | None:
    """An absolute http(s) URL for href, or None (javascript:, mailto:, unresolvable)."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "data:", "tel:")):
        return None
    if href.startswith("//"):
        scheme = urlsplit(base_url).scheme if base_url else "https"
        return f"{scheme or 'https'}:{href}"
    joined = urljoin(base_url or "", href)
    return joined if joined.startswith(("http://", "https://")) else None


def host_of(url: str | None) -> str:
    return (urlsplit(url or "").hostname or "").lower()


def is_government_host(host: str) -> bool:
    return host == "gov.cn" or host.endswith(".gov.cn")


# --- titles ---------------------------------------------------------------------------------

#: separators between an article title and the site name in <title>
TITLE_SUFFIX_RE = re.compile(r"\s*(?:_{1,2}|\s[-–|]\s|\s?[-–|]\s?(?=[^-–|]{0,30}$))")


def title_from_title_tag(tree: etree._Element) -> str:
    """<title> without the site name after '_' / ' - ' / '|'."""
    element = tree.find(".//title")
    raw = squash(element.text_content()) if element is not None else ""
    if not raw:
        return ""
    return TITLE_SUFFIX_RE.split(raw, maxsplit=1)[0].strip() or raw


#: private-use code points: what a GBK page's user-defined characters decode to (no glyph)
PRIVATE_USE_RE = re.compile("[\ue000-\uf8ff]")


def clean_title(text: str | None) -> str:
    """A headline as read: whitespace squashed, private-use code points removed."""
    return squash(PRIVATE_USE_RE.sub("", text or ""))


def text_between(tree: etree._Element, start: Any, stop: Any, limit: int = 600) -> str:
    """The page text after element start (exclusive of it) up to element stop, squashed,
    at most limit characters (the info line between a headline and the article text).
    Without start: the limit characters before stop; without stop: limit after start."""
    body = tree.find(".//body")
    if body is None:
        return ""
    parts: list[str] = []
    started = start is None
    # the last node inside start: held, so that lxml hands back this very proxy (``is``)
    last_inside = None
    if start is not None:
        *_, last_inside = start.iter()
    inside = False
    for element in body.iter():
        if element is stop:
            break
        if element is start:
            started, inside = True, element is not last_inside
            if not inside and element.tail:
                parts.append(element.tail)
            continue
        if inside:
            if element is last_inside:
                inside = False
                parts.extend(t for t in (element.tail, start.tail) if t)
            continue
        if not started:
            continue
        if isinstance(element.tag, str) and element.tag not in ("script", "style", "noscript"):
            if element.text:
                parts.append(element.text)
        if element.tail:
            parts.append(element.tail)
        if start is not None and sum(map(len, parts)) > limit * 2:
            break
    text = squash(" ".join(parts))
    return text[:limit] if start is not None else text[-limit:]


def strip_tags(text: str | None) -> str:
    """Text of a value that carries markup (some sites put <div> in meta ArticleTitle)."""
    if not text or "<" not in text:
        return squash(text)
    return squash(lxml_html.fragment_fromstring(text, create_parent="div").text_content())


# --- times ------------------------------------------------------------------------------------

#: YYYY-MM-DD[ T-]HH:MM[:SS], YYYY/M/D H:M:S, YYYY年M月D日 H:M, YYYY.MM.DD
DATETIME_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:\s*|T|-)(?P<ampm_cn>上午|下午|晚上)?\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{2})"
    r"(?:\s*[:：分]\s*(?P<S>\d{2}))?(?:\s*(?P<ampm>[AaPp][Mm])\b)?)?"
)
OFFSET_RE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def iso_utc(moment: datetime) -> str:
    """An aware moment as stored: '2022-07-08T02:06:12Z'."""
    return utc_iso(moment)


def parse_local_time(value: str | None) -> tuple[datetime | None, str]:
    """A time as written on a page -> (aware datetime, precision "second"|"minute"|"day").

    Without an explicit offset the time is Asia/Shanghai; a day alone is 00:00 that day.
    Full-width digits are accepted. (None, "") when nothing parses or the date is impossible.
    """
    if not value:
        return None, ""
    text = unicodedata.normalize("NFKC", value).strip()
    iso = re.fullmatch(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})", text
    )
    if iso:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None, ""
        return moment, "second" if text.count(":") >= 3 or "Z" in text else "minute"
    m = DATETIME_RE.search(text)
    if not m:
        return None, ""
    try:
        parts = [int(m.group(k) or 0) for k in ("y", "m", "d", "H", "M", "S")]
        afternoon = (m.group("ampm") or "").lower() == "pm" or m.group("ampm_cn") in (
            "下午",
            "晚上",
        )
        if afternoon and parts[3] < 12:
            parts[3] += 12
        elif (m.group("ampm") or "").lower() == "am" and parts[3] == 12:
            parts[3] = 0
        moment = datetime(*parts, tzinfo=SHANGHAI)
    except ValueError:
        return None, ""
    if m.group("H") is None:
        return moment, "day"
    return moment, "second" if m.group("S") is not None else "minute"


def local_date(value: str | None) -> str | None:
    """YYYY-MM-DD of a date as written (2022年01月27日, ２０２２年６月２４日, 2022-06-24)."""
    moment, _ = parse_local_time(value)
    return moment.strftime("%Y-%m-%d") if moment else None


# --- stock tags -----------------------------------------------------------------------------

STOCK_SPAN_PREFIXES = {"stock_": "", "usstock_": "usstock:"}
KEYWORD_COMMENT_RE = re.compile(r"news_keyword_pub\s*,\s*(stock|usstock)\s*,\s*([^\s]*)")


def stock_tags(tree_or_html: Any) -> list[StockTag]:
    """Stocks the site linked: span#stock_sz300024 / span#usstock_JPM, plus the codes listed
    in <!-- news_keyword_pub,stock,sz300024&sz300832 --> (source "comment", merged)."""
    root = as_element(tree_or_html)
    found: dict[str, StockTag] = {}
    for span in root.iter("span"):
        sid = span.get("id") or ""
        for prefix, label in STOCK_SPAN_PREFIXES.items():
            if sid.startswith(prefix) and len(sid) > len(prefix):
                code = label + sid[len(prefix) :]
                anchor_el = span.find(".//a")
                anchor = text_of(anchor_el if anchor_el is not None else span)
                found.setdefault(code, StockTag(code=code, anchor=anchor, source="span"))
    for comment in root.iter(etree.Comment):
        m = KEYWORD_COMMENT_RE.search(comment.text or "")
        if not m:
            continue
        label = STOCK_SPAN_PREFIXES[m.group(1) + "_"]
        for raw in m.group(2).split("&"):
            raw = raw.strip().rstrip("-").strip()
            if raw:
                code = label + raw
                found.setdefault(code, StockTag(code=code, anchor="", source="comment"))
    return list(found.values())


# --- labels -------------------------------------------------------------------------------

#: labels pages write with spaces or non-breaking spaces between their characters to line
#: them up ("来&nbsp;&nbsp;源：", "作 者：", "索 引 号："); longest first
SPACED_LABELS = sorted(
    (
        "来源 作者 编辑 责编 记者 时间 日期 标题 分类 文号 索引号 主题分类 发布时间 发布日期 发稿时间 "
        "发表时间 成文日期 发文机关 发文字号 信息来源 文章来源 稿件来源 责任编辑 监制 总监制 审读 审校 "
        "排版 校对 策划 统筹 摄影 出处"
    ).split(),
    key=len,
    reverse=True,
)
LABEL_GAP = r"[ \t\u3000\xa0]*"
SPACED_LABEL_RE = re.compile(
    "(?P<label>"
    + "|".join(LABEL_GAP.join(map(re.escape, label)) for label in SPACED_LABELS)
    + f"){LABEL_GAP}(?P<colon>[：:])"
)


def normalize_labels(text: str | None) -> str:
    """Labels written with spaces between their characters read as the label:
    "来\xa0\xa0源：X" -> "来源：X", "索 引 号：" -> "索引号：". Other text is unchanged."""
    if not text:
        return text or ""
    return SPACED_LABEL_RE.sub(
        lambda m: re.sub(r"[ \t\u3000\xa0]+", "", m.group("label")) + m.group("colon"), text
    )


# --- declared source, editor ------------------------------------------------------------------

DECLARED_SOURCE_RE = re.compile(
    r"^[\s\u3000\xa0]*[（(]?(?:文章|信息|稿件|内容)?来源\s*[：:]\s*(?P<src>[^\n]+)$", re.M
)
#: a declared source is read only near the start or the end of a text (figure credits such
#: as "来源：Wind" in the middle of an article are not the article's origin)
DECLARED_SOURCE_EDGE_LINES = 3
#: what may follow the source on the same line and is not part of it
SOURCE_TAIL_RE = re.compile(
    r"(?:\s{2,}|[\s\u3000]*(?:编辑|作者|责任编辑|记者|日期|时间)\s*[：:]).*$"
)


def clean_source(value: str | None) -> str | None:
    if not value:
        return None
    value = SOURCE_TAIL_RE.sub("", value.replace("\xa0", " ").replace("\u3000", " "))
    value = value.strip(" \t）)")
    return value or None


def declared_source(text: str) -> str | None:
    """来源：XXX / 来源:XXX / 文章来源：XXX at the start of a paragraph -> "XXX"."""
    lines = [line for line in (text or "").split("\n") if line.strip()]
    n = DECLARED_SOURCE_EDGE_LINES
    edge = lines[:n] + lines[-n:] if len(lines) > 2 * n else lines
    for line in edge:
        m = DECLARED_SOURCE_RE.match(line)
        if m:
            source = clean_source(m.group("src"))
            if source:
                return source
    return None


EDITOR_RE = re.compile(
    r"^[\s\u3000\xa0]*[（(【\[]?\s*(?:责任编辑|责编|编辑)\s*[：:]\s*(?P<name>.*?)\s*[）)】\]]?\s*$"
)
#: a 责任编辑 label inside a short line of page furniture
EDITOR_INLINE_RE = re.compile(r"(?:责任编辑|责编)\s*[：:]\s*[^\s）)】\]]+")
#: how an editor line starts (after an opening bracket)
EDITOR_PREFIXES = ("责任编辑", "责编", "编辑")
#: Sina appends the editor's work code ("吴剑 SF031"); it is not part of the name
EDITOR_CODE_RE = re.compile(r"\s*[A-Za-z]{1,4}\d{2,}\s*$")


def editor_from_line(line: str) -> str | None:
    m = EDITOR_RE.match(normalize_labels(line or ""))
    if not m:
        return None
    name = EDITOR_CODE_RE.sub("", m.group("name")).strip()
    name = re.split(r"[\s\u3000]+", name)[0] if name else ""
    return name or None


def editor_name(tree_or_html: Any) -> str | None:
    """The 责任编辑 of a page or fragment (p.article-editor, or a 责任编辑： paragraph)."""
    root = as_element(tree_or_html)
    for element in select(root, "p.article-editor, .article-editor"):
        name = editor_from_line(text_of(element))
        if name:
            return name
    for element in root.iter("p", "div", "span"):
        text = text_of(element)
        if len(text) >= FURNITURE_MAX_CHARS:
            continue
        if text.lstrip("（(【[ ").startswith(EDITOR_PREFIXES):
            name = editor_from_line(text)
            if name:
                return name
        m = EDITOR_INLINE_RE.search(normalize_labels(text))  # "【纠错】 责任编辑： 尹世杰"
        if m:
            name = editor_from_line(m.group(0))
            if name:
                return name
    return None


# --- links --------------------------------------------------------------------------------

#: anchor texts that point to the official original of what the page reprints
ORIGIN_ANCHOR_RE = re.compile(
    r"^(?:点击)?(?:查看|阅读|访问|浏览)?(?:官方|政府|政策)?原文(?:链接|地址|全文|网址)?(?:[：:>》]+)?$"
)
#: an anchor longer than this is a headline, never "原文链接"
MAX_ORIGIN_ANCHOR_CHARS = 20
#: links to these government hosts are site furniture (ICP filing), never an origin
NOT_ORIGIN_HOSTS = ("beian.miit.gov.cn", "beian.gov.cn", "miibeian.gov.cn", "www.beian.gov.cn")


def origin_links(
    tree: Any, base_url: str | None, page_is_government: bool | None = None
) -> list[Link]:
    """Links to the declared original: anchor text 官方原文 / 原文链接 / 原文 / 查看原文 ..., or
    (on a page that is not itself a government page) any link to a *.gov.cn host."""
    root = as_element(tree)
    if page_is_government is None:
        page_is_government = is_government_host(host_of(base_url))
    out: dict[str, Link] = {}
    for a in root.iter("a"):
        href = a.get("href") or ""
        if not href:
            continue
        anchor = text_of(a)
        by_anchor = len(anchor) <= MAX_ORIGIN_ANCHOR_CHARS and bool(
            ORIGIN_ANCHOR_RE.match(anchor.replace(" ", ""))
        )
        if not by_anchor and (page_is_government or "gov.cn" not in href):
            continue  # decided without resolving the address
        url = absolute_url(href, base_url)
        if not url:
            continue
        host = host_of(url)
        if any(host == h or host.endswith("." + h) for h in NOT_ORIGIN_HOSTS):
            continue
        by_domain = not page_is_government and is_government_host(host)
        if by_anchor or by_domain:
            out.setdefault(url, Link(url=url, anchor=anchor))
    return list(out.values())


ATTACHMENT_EXT_RE = re.compile(r"\.(pdf|docx?|wps|ofd|xlsx?|et|zip|rar)$", re.I)


def attachment_links(tree: Any, base_url: str | None) -> list[Link]:
    """Links to PDF / Word / WPS / OFD / spreadsheet / archive files."""
    root = as_element(tree)
    out: dict[str, Link] = {}
    for a in root.iter("a"):
        href = (a.get("href") or "").split("#", 1)[0].split("?", 1)[0]
        if not ATTACHMENT_EXT_RE.search(href.strip()):
            continue  # decided on the raw address, before resolving it
        url = absolute_url(a.get("href"), base_url)
        if url and ATTACHMENT_EXT_RE.search(urlsplit(url).path):
            out.setdefault(url, Link(url=url, anchor=text_of(a)))
    return list(out.values())


#: lazy-loading attributes that hold the real image when src is a placeholder
LAZY_IMAGE_ATTRS = ("data-original", "data-src", "data-lazy-src", "data-echo")


def image_urls(tree: Any, base_url: str | None) -> list[str]:
    """Image URLs, honouring lazy data-original / data-src over a placeholder src."""
    root = as_element(tree)
    out: dict[str, None] = {}
    for img in root.iter("img"):
        src = next((img.get(a) for a in LAZY_IMAGE_ATTRS if img.get(a)), None) or img.get("src")
        url = absolute_url(src, base_url)
        if url:
            out.setdefault(url, None)
    return list(out)


# --- cited titles and document numbers ------------------------------------------------------

TITLE_BRACKETS = {"《": "》", "«": "»"}
#: a cited title longer than this is a bracket that was never closed
MAX_CITED_TITLE_CHARS = 200


def cited_titles(text: str) -> list[str]:
    """Every 《...》 (and «...», which PDF extraction gives) title as written, without the
    brackets, de-duplicated in order of appearance; nested titles are listed too. A line
    break inside a title (hard-wrapped PDF text) is removed."""
    if not text or not any(bracket in text for bracket in TITLE_BRACKETS):
        return []
    stack: list[tuple[str, int]] = []
    spans: list[tuple[int, str]] = []
    for i, ch in enumerate(text):
        if ch in TITLE_BRACKETS:
            stack.append((ch, i))
        elif stack and ch == TITLE_BRACKETS[stack[-1][0]]:
            _, start = stack.pop()
            inner = text[start + 1 : i]
            if 0 < len(inner) <= MAX_CITED_TITLE_CHARS:
                spans.append((start, re.sub(r"[ \t\u3000]*\n[\s\u3000]*", "", inner).strip()))
        elif ch in TITLE_BRACKETS.values():
            stack.clear()  # an unmatched closing bracket: start again
    out: dict[str, None] = {}
    for _, title in sorted(spans):
        if title:
            out.setdefault(title, None)
    return list(out)


DOC_NUMBER_RE = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1,12})\s*[〔\[(（【]\s*(?P<year>(?:19|20)\d{2})\s*[〕\])）】]"
    r"\s*第?\s*(?P<num>\d{1,4})\s*号"
)
#: words that end the text before a document number's issuer code ("现将沪府办发〔...〕")
DOC_PREFIX_CUT_RE = re.compile(
    r".*(?:现将|印发|根据|按照|依据|参照|执行|关于|转发|详见|即|的|和|及|与|见|以)"
)
#: longest issuer code kept ("沪府办发", "吉政明电", "国办发明电")
MAX_DOC_PREFIX_CHARS = 8


def doc_numbers(text: str) -> list[str]:
    """Document numbers (发文字号) like 沪府办发〔2022〕12号, NFKC-normalised, with 〔〕."""
    normal = unicodedata.normalize("NFKC", text or "")
    out: dict[str, None] = {}
    for m in DOC_NUMBER_RE.finditer(normal):
        prefix = DOC_PREFIX_CUT_RE.sub("", m.group("prefix"))[-MAX_DOC_PREFIX_CHARS:]
        if prefix:
            out.setdefault(f"{prefix}〔{m.group('year')}〕{int(m.group('num'))}号", None)
    return list(out)


#: a date alone on a line: the signature date under an official notice (成文日期)
DATE_LINE_RE = re.compile(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
#: how many lines from the top of a document the signature date is looked for in
SIGNATURE_DATE_LINES = 40


def signature_date(text: str) -> str | None:
    """YYYY-MM-DD of the first line that is only a date ("２０２２年６月２４日") near the top of
    an official document: the date under the notice, not the 印发 date at its end."""
    lines = [
        unicodedata.normalize("NFKC", line).strip(LINE_STRIP) for line in (text or "").split("\n")
    ]
    for line in [x for x in lines if x][:SIGNATURE_DATE_LINES]:
        if DATE_LINE_RE.match(line):
            return local_date(line)
    return None


def doc_number_of(value: str | None) -> str | None:
    found = doc_numbers(value or "")
    return found[0] if found else (squash(value) or None)


# --- HTML to text ---------------------------------------------------------------------------

BLOCK_TAGS = frozenset(
    "p div br li ul ol blockquote h1 h2 h3 h4 h5 h6 tr table section article header footer "
    "center pre dd dt dl figure figcaption hr form address aside nav main td th caption".split()
)
DROP_TAGS = frozenset(
    "script style noscript iframe ins object embed template button select".split()
)
#: blocks that are never article text: QR codes / app download, share bars, ads, promos
BOILERPLATE_SELECTORS = (
    "div.appendQr_wrap",
    ".appendQr_normal_txt",
    "p.article-editor",
    "div.tech-quotation",
    "div.tougao-user",
    "p.ad-tips",
    "div.otherContent_01",
    "div.keywords",
    ".bdsharebuttonbox",
    ".bshare-custom",
    "#qrcode",
    ".qrcode",
    "div.sinaads",
    "div.artical-player-wrap",
    "div.ct_hqimg",
    "span[id^='quote_']",
    "div[data-sudaclick='suda_1028_guba']",
)
#: a paragraph shorter than this that says one of these is page furniture
FURNITURE_MAX_CHARS = 40
FURNITURE_RE = re.compile(
    r"^(?:扫一扫在手机(?:上)?打开当前页|打印本页|关闭窗口|【?字体[：:].*|分享到[：:]?.*)$"
)
LINE_STRIP = " \t\r\f\v\u3000\xa0\u200b\ufeff"


def _walk(element: etree._Element, parts: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else None
    if tag is not None and tag.lower() not in DROP_TAGS:
        block = tag.lower() in BLOCK_TAGS
        if block:
            parts.append("\n")
        if element.text:
            parts.append(element.text)
        for child in element:
            _walk(child, parts)
        if block:
            parts.append("\n")
    if element.tail:
        parts.append(element.tail)


def remove_boilerplate(root: etree._Element) -> None:
    """Drop boilerplate blocks from root in place (call it on a copy)."""
    for selector in BOILERPLATE_SELECTORS:
        for element in select(root, selector):
            _drop(element)


def _drop(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:  # keep the text that follows the dropped element
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def clean_copy(element: Any) -> etree._Element:
    """A copy of element without its boilerplate blocks."""
    root = copy.deepcopy(as_element(element))
    remove_boilerplate(root)
    return root


def html_to_text(element: Any) -> str:
    """Paragraph-aware plain text: one line per <p>/<div>/<br>/<li>/blockquote paragraph;
    scripts, styles, comments, QR/app blocks and the 责任编辑 line dropped (see
    editor_name for the editor); leading U+3000 indentation stripped."""
    root = clean_copy(element)
    parts: list[str] = []
    if root.text:
        parts.append(root.text)
    for child in root:
        _walk(child, parts)
    lines = []
    for raw in "".join(parts).split("\n"):
        line = re.sub(r"[ \t\r\f\v\xa0]+", " ", raw).strip(LINE_STRIP)
        if not line:
            continue
        if editor_from_line(line) and len(line) < FURNITURE_MAX_CHARS:
            continue
        if len(line) < FURNITURE_MAX_CHARS and FURNITURE_RE.match(line):
            continue
        lines.append(line)
    return "\n".join(lines)


def inner_html(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return etree.tostring(element, encoding="unicode", method="html", with_tail=False)


# --- records ----------------------------------------------------------------------------------


def split_tags(*values: str | None) -> list[str]:
    out: dict[str, None] = {}
    for value in values:
        for tag in re.split(r"[,，;；、|]+", value or ""):
            tag = tag.strip()
            if tag:
                out.setdefault(tag, None)
    return list(out)


def set_time(record: ArticleRecord, key: str, raw: str | None) -> datetime | None:
    """Record what a time source said (raw) and return it parsed."""
    if not raw:
        return None
    record.published_at_candidates[key] = raw
    return parse_local_time(raw)[0]


def choose_time(record: ArticleRecord, order: Iterable[str], rule: str) -> None:
    """published_at from the first candidate in order that gives a time of day.

    A candidate that gives a day alone never becomes a time (midnight would be made
    up): when no candidate has a time, published_at stays None and the day is kept
    in meta["published_date"], with the reason in record.missing.
    """
    record.meta.setdefault("published_at_rule", rule)
    day_only: tuple[str, datetime] | None = None
    for key in order:
        raw = record.published_at_candidates.get(key)
        moment, precision = parse_local_time(raw)
        if moment is None:
            continue
        if precision == "day":
            day_only = day_only or (key, moment)
            continue
        record.published_at = iso_utc(moment)
        record.meta["published_at_from"] = key
        record.meta["published_at_precision"] = precision
        return
    record.published_at = None
    if day_only is not None:
        key, moment = day_only
        record.meta["published_date"] = moment.astimezone(SHANGHAI).date().isoformat()
        record.meta["published_at_from"] = key
        record.meta["published_at_precision"] = "day"
        record.missing.setdefault(
            "published_at", f"the page gives a day only ({key}), no time of day"
        )
        return
    reason = (
        "no publication time on the page"
        if not record.published_at_candidates
        else ("no time source could be read: " + ", ".join(sorted(record.published_at_candidates)))
    )
    record.missing.setdefault("published_at", reason)


def note_missing(record: ArticleRecord, reasons: dict[str, str]) -> None:
    """For each field still empty, say why."""
    for name, reason in reasons.items():
        if not getattr(record, name, None):
            record.missing.setdefault(name, reason)
