"""Archived documents for `newsmon import`: one file in, one record out.

Formats, recognised from the content (not the file name):

* YAML front matter + HTML body (archived blog posts of media articles): title,
  categories, author, date (RFC 2822, "Fri, 08 Jul 2022 02:37:56 GMT"), headimg, and the
  page it was archived from when given (url, link, permalink, ...); the body
  read with the shared helpers (stock tags, declared 来源, 官方原文 links, cited titles, the
  责任编辑 editor, text without boilerplate). Without such a field: url None.
* Saved HTML pages (<!doctype / <html): the site parser chosen by the page's own canonical
  / og:url URL (generic when it has none). A page that holds several items (an archive,
  a list) is refused: it is not one article.
* PDF files: text by pypdf, then read as plain text; kind "document".
* Plain text (official documents and notes, text extracted from PDFs): no metadata; the
  title, document number, 成文日期 and issuer are recovered from the text's layout.

Errors (empty file, binary data, an unknown encoding, an impossible date, HTML without a
body) raise ValueError with the reason; the caller reports "<filename>: <reason>".
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Any

import yaml

from newsmon.crawler.extract import common
from newsmon.crawler.extract.record import LISTING, ArticleRecord
from newsmon.timefmt import declared_time

PARSER = "archive"
FRONT_MATTER_RE = re.compile(
    r"^\s*---[ \t]*\r?\n(?P<yaml>.*?)\r?\n---[ \t]*\r?\n(?P<body>.*)$", re.S
)
#: share of control characters above which decoded text is taken for binary data
MAX_CONTROL_CHAR_RATIO = 0.02
#: charset-normalizer's "chaos" (0 = clean) above which its guess is noise, not an encoding
MAX_DETECTED_CHAOS = 0.1
#: a saved page starts (possibly after a comment such as a save-as URL) with these
SAVED_PAGE_RE = re.compile(r"^\ufeff?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
HTML_SNIFF_CHARS = 4096
#: front matter hints of the site that published a post
SITE_HINTS = (
    (("新浪", "sina"), "sina"),
    (("it之家", "ithome"), "ithome"),
)

# --- official documents in plain text ------------------------------------------------------

#: the kinds of official document a notice title ends with
DOC_KIND_ENDINGS = (
    "通知",
    "意见",
    "方案",
    "决定",
    "办法",
    "通告",
    "公告",
    "规划",
    "批复",
    "报告",
    "规定",
    "细则",
    "纲要",
    "决议",
    "命令",
    "函",
    "说明",
    "公报",
    "条例",
    "通报",
    "指引",
    "计划",
    "措施",
)
#: how many lines after the document number a title may span
MAX_TITLE_LINES = 6
#: where an official document's header (masthead, number, title) is looked for
HEADER_LINES = 15
#: a masthead or issuer line ends with the name of a body
ISSUER_RE = re.compile(r"(?:人民政府办公厅|人民政府|委员会|办公厅|办公室|局|厅|部|委)$")
GOVERNMENT_MARKERS = ("此件公开发布", "人民政府", "印发", "办公厅", "委员会")
MASTHEAD_RE = re.compile(r"^(?P<issuer>.+?)文件$")


def _unspace(line: str) -> str:
    """'上 海 市 人 民 政 府' -> '上海市人民政府' (letter-spaced headers); other lines unchanged."""
    stripped = line.strip(common.LINE_STRIP)
    chars = stripped.split()
    if len(chars) >= 3 and all(len(c) == 1 for c in chars):
        return "".join(chars)
    return stripped


def _lines(text: str) -> list[str]:
    return [x for x in (_unspace(line) for line in text.split("\n")) if x]


def official_header(text: str) -> dict[str, Any]:
    """Title, document number, issuer and 成文日期 of an official document in plain text."""
    lines = _lines(text)
    head = lines[:HEADER_LINES]
    out: dict[str, Any] = {"title": None, "doc_number": None, "issuer": None, "document_date": None}
    number_at = None
    for i, line in enumerate(head):
        found = common.doc_numbers(line)
        if found and len(unicodedata.normalize("NFKC", line).replace(" ", "")) <= len(found[0]) + 4:
            out["doc_number"], number_at = found[0], i
            break
    if number_at is not None:
        parts: list[str] = []
        for line in lines[number_at + 1 : number_at + 1 + MAX_TITLE_LINES]:
            parts.append(line)
            if line.endswith(DOC_KIND_ENDINGS):
                out["title"] = "".join(parts)
                break
        for line in head[:number_at]:
            m = MASTHEAD_RE.match(line)
            if m and ISSUER_RE.search(m.group("issuer")):
                out["issuer"] = m.group("issuer")
    if out["title"] is None and lines:
        out["title"] = lines[0]
        if len(lines) > 1 and len(lines[1]) <= 30 and ISSUER_RE.search(lines[1]):
            out["issuer"] = lines[1]
    if out["doc_number"]:
        out["document_date"] = common.signature_date(text)
    return out


def looks_governmental(text: str, header: dict[str, Any]) -> bool:
    head = "\n".join(_lines(text)[:HEADER_LINES])
    return bool(header.get("doc_number") or header.get("issuer")) or any(
        marker in head for marker in GOVERNMENT_MARKERS
    )


def parse_plain_text(text: str, filename: str, parser: str = PARSER + "-text") -> ArticleRecord:
    """A plain-text document (no metadata): title and document fields from its layout."""
    header = official_header(text)
    government = looks_governmental(text, header)
    record = ArticleRecord(
        url=None,
        site="government" if government else "unknown",
        kind="document",
        parser=parser,
        title=header["title"] or "",
        text=text.strip("\ufeff"),
        doc_number=header["doc_number"],
        issuer=header["issuer"],
        document_date=header["document_date"],
    )
    record.cited_titles = common.cited_titles(text)
    record.source = common.declared_source(text)
    record.missing["published_at"] = "a plain-text document gives no publication time"
    if header["document_date"]:
        record.meta["document_date_from"] = "the date line under the notice"
    cited_numbers = [n for n in common.doc_numbers(text) if n != record.doc_number]
    if cited_numbers:
        record.meta["doc_numbers_cited"] = cited_numbers
    common.note_missing(
        record, {"title": "the text has no non-empty line", "text": "the text is empty"}
    )
    return record


# --- posts with front matter ----------------------------------------------------------------


def _post_date(value: Any) -> tuple[str | None, str | None]:
    """The front matter's date as ISO UTC, and a note when it gave no zone (Asia/Shanghai)."""
    try:
        return declared_time(value)
    except ValueError as exc:
        raise ValueError(f"front matter field 'date': {exc}") from exc


def _site_of(front: dict[str, Any]) -> str:
    cats = front.get("categories") or []
    hints = " ".join(
        str(x)
        for x in [
            *(cats if isinstance(cats, list) else [cats]),
            front.get("author"),
            front.get("headimg"),
        ]
    )
    hints = hints.lower().replace(" ", "")
    for words, site in SITE_HINTS:
        if any(w in hints for w in words):
            return site
    return "unknown"


#: front matter fields that name the page a post was archived from
URL_FIELDS = ("url", "link", "permalink", "source_url", "original_url", "canonical_url")


def _post_url(front: dict[str, Any]) -> str | None:
    """The page a post is a copy of, when its front matter names one (http/https)."""
    for key in URL_FIELDS:
        value = str(front.get(key) or "").strip()
        if value.startswith(("http://", "https://")):
            return value
    return None


def repaired_title(title: str) -> str | None:
    """'培育_元宇宙_新赛道' -> '培育“元宇宙”新赛道': archives replaced quotes by '_'."""
    if title.count("_") < 2 or title.count("_") % 2:
        return None
    return re.sub(r"_([^_]+)_", r"“\1”", title)


def parse_post(front_text: str, body_html: str, filename: str) -> ArticleRecord:
    try:
        front = yaml.safe_load(front_text) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"front matter is not valid YAML ({exc})") from exc
    if not isinstance(front, dict):
        raise ValueError("front matter is not a mapping of fields")
    body = common.as_element(body_html)
    text = common.html_to_text(body)
    if not text.strip():
        raise ValueError("the post has no body text")
    record = ArticleRecord(url=_post_url(front), site=_site_of(front), parser=PARSER + "-post")
    record.title = common.squash(str(front.get("title") or ""))
    repaired = repaired_title(record.title)
    if repaired:
        record.meta["title_repaired"] = repaired
    record.published_at, zone_note = _post_date(front.get("date"))
    if zone_note:
        record.meta["published_at_zone"] = zone_note
    if front.get("date"):
        record.published_at_candidates["front matter"] = str(front["date"])
        record.meta["published_at_from"] = "front matter"
    author = common.squash(str(front.get("author") or "")) or None
    record.author = author
    record.body_html = body_html.strip()
    record.text = text
    record.editor = common.editor_name(body)
    record.stock_tags = common.stock_tags(body)
    record.origin_links = common.origin_links(body, None, page_is_government=False)
    record.cited_titles = common.cited_titles(text)
    record.images = common.image_urls(common.clean_copy(body), None)
    # no 来源 line: the outlet that published the post is its source
    record.source = common.declared_source(text) or (author.replace(" ", "") if author else None)
    cats = front.get("categories")
    if cats:
        record.meta["categories"] = [str(c) for c in (cats if isinstance(cats, list) else [cats])]
    for key in ("headimg", "thumbnail"):
        if front.get(key):
            record.meta[key] = str(front[key])
    common.note_missing(
        record,
        {
            "title": "the front matter has no title",
            "published_at": "the front matter has no date",
            "editor": "no 责任编辑 line in the body",
        },
    )
    return record


# --- entry point ------------------------------------------------------------------------------


def decode_archive(data: bytes) -> str:
    """Text of an archived file; ValueError for binary data or an unknown encoding."""
    if b"\x00" in data:
        raise ValueError("binary file (it contains NUL bytes), not a text document")
    for name in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(name)
            break
        except UnicodeDecodeError:
            continue
    else:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None or best.chaos > MAX_DETECTED_CHAOS:
            raise ValueError("unknown text encoding (neither UTF-8 nor GB18030, and not detected)")
        text = str(best)
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if text and controls / len(text) > MAX_CONTROL_CHAR_RATIO:
        raise ValueError("binary file (control characters), not a text document")
    return text


#: a PDF's text is read from at most this many pages, and kept to this many characters:
#: a notice is a few pages; a 5,000-page PDF (17 M characters) would take gigabytes
MAX_PDF_PAGES = 1000
MAX_PDF_CHARS = 1_000_000


def pdf_pages_text(stream) -> tuple[str, str | None]:
    """A PDF's text by pypdf within MAX_PDF_PAGES and MAX_PDF_CHARS, and a note saying
    what was left out (None when nothing was). Raises pypdf's errors."""
    from pypdf import PdfReader

    reader = PdfReader(stream)
    total = len(reader.pages)
    parts: list[str] = []
    size = 0
    read = 0
    for page in reader.pages:
        if read >= MAX_PDF_PAGES or size >= MAX_PDF_CHARS:
            break
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text) + 1
        read += 1
    text = "\n".join(parts)
    note = None
    if read < total or len(text) > MAX_PDF_CHARS:
        text = text[:MAX_PDF_CHARS]
        note = (
            f"PDF text capped: {read} of {total} pages read, {len(text):,} characters kept "
            f"(at most {MAX_PDF_PAGES} pages and {MAX_PDF_CHARS:,} characters)"
        )
    return text, note


def pdf_text(data: bytes, notes: dict[str, str] | None = None) -> str:
    """A PDF's text (capped, see pdf_pages_text; the note goes into notes["text_capped"])."""
    try:
        text, note = pdf_pages_text(io.BytesIO(data))
    except Exception as exc:  # pypdf raises many kinds on broken files
        raise ValueError(f"PDF could not be read ({type(exc).__name__}: {exc})") from exc
    if note and notes is not None:
        notes["text_capped"] = note
    return text


def parse_archive(data: bytes, filename: str) -> ArticleRecord:
    """One archived file as a record (see the module docstring)."""
    if not data or not data.strip():
        raise ValueError("empty file")
    if data.lstrip()[:5] == b"%PDF-":
        notes: dict[str, str] = {}
        text = pdf_text(data, notes)
        if not text.strip():
            raise ValueError("PDF has no extractable text (scanned images?)")
        record = parse_plain_text(text, filename, parser=PARSER + "-pdf")
        record.meta["format"] = "pdf"
        record.meta.update(notes)
        return record
    text = decode_archive(data)
    if not text.strip():
        raise ValueError("empty file")
    m = FRONT_MATTER_RE.match(text)
    if m:
        return parse_post(m.group("yaml"), m.group("body"), filename)
    if SAVED_PAGE_RE.search(text[:HTML_SNIFF_CHARS]):
        return parse_saved_page(text)
    return parse_plain_text(text, filename)


def parse_saved_page(text: str) -> ArticleRecord:
    from newsmon.crawler.extract.dispatch import parse_page

    tree = common.parse_document(text)
    url = common.canonical_url(tree, None)
    record = parse_page(text, url, None)
    if record.kind == LISTING:
        raise ValueError(f"not one article: {record.missing.get('not_article', 'a listing')}")
    if not record.text.strip():
        raise ValueError("HTML page has no body text")
    record.url = url
    record.meta["format"] = "html"
    return record
