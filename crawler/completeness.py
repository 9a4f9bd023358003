"""Whether a fetched copy is the whole document, and notes on hostile pages.

A copy is incomplete when the response was cut short (fewer bytes than its
Content-Length: Scrapy's "dataloss" flag), when an HTML document ends in the middle
of its markup (no closing ``</html>`` near its end), when a PDF has no ``%%EOF``
trailer, or when a site parser found no body on a page of its site, whose template
has one (the text came from the generic path). Such a copy is stored marked
(meta["incomplete"], and missing["text"] names it), put back in the frontier and
reported; a later healthy fetch replaces it.

Pure functions: bytes, text and records in, reasons out.
"""

from __future__ import annotations

import re
from typing import Any

from newsmon.crawler.extract.record import ArticleRecord

#: sites whose parser knows the site's article templates: a page of theirs with no body
#: where the template has one is a broken copy, not a page without text
TEMPLATE_SITES = ("sina", "ithome", "gov_cn", "shanghai_gov")
#: how far from the end a closing </html> (or </body>) is looked for
TAIL_CHARS = 65536
CLOSING_RE = re.compile(r"</(?:html|body)\s*>", re.I)
#: where a PDF's %%EOF trailer must be
PDF_TAIL_BYTES = 2048
#: libxml2's limit on element depth, past which the rest of a document is dropped
MARKUP_DEPTH_LIMIT = 256


def looks_html(text: str, content_type: str | None = None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    head = text[:2048].lstrip("\ufeff \t\r\n").lower()
    return head.startswith(("<!doctype html", "<html"))


def ends_mid_markup(text: str) -> bool:
    """An HTML document with no closing </html> or </body> in its last TAIL_CHARS."""
    return CLOSING_RE.search(text[-TAIL_CHARS:]) is None


def cut_short_reason(body: bytes, headers: dict[str, str] | None, dataloss: bool) -> str | None:
    """Why a response is shorter than it said it would be, or None."""
    plain = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    declared = plain.get("content-length", "").strip()
    if dataloss:
        of = f" of the {declared} its Content-Length announced" if declared.isdigit() else ""
        return f"the response was cut short (DataLoss): {len(body)} bytes received{of}"
    if declared.isdigit() and "content-encoding" not in plain and len(body) < int(declared):
        return f"the response was cut short (DataLoss): {len(body)} of {declared} bytes"
    return None


def page_incomplete(
    record: ArticleRecord,
    text: str | None,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    dataloss: bool = False,
) -> str | None:
    """Why this copy of a page is not the whole document, or None when it is."""
    reason = cut_short_reason(body, headers, dataloss)
    if reason:
        return reason
    content_type = next(
        (str(v) for k, v in (headers or {}).items() if str(k).lower() == "content-type"), None
    )
    if text is not None and looks_html(text, content_type) and ends_mid_markup(text):
        return "the document ends in the middle of its markup (no closing </html>)"
    if record.site in TEMPLATE_SITES and record.parser.endswith("+generic"):
        if text and markup_too_deep(text):
            return (
                f"the document nests elements deeper than {MARKUP_DEPTH_LIMIT} levels: "
                "the parser stopped there, and the page's body was not read"
            )
        why = record.meta.get("fallback") or f"the {record.site} parser found no body"
        return f"the {record.site} template's body was not found ({why})"
    return None


def attachment_incomplete(
    data: bytes, kind: str, *, headers: dict[str, str] | None = None, dataloss: bool = False
) -> str | None:
    """Why a fetched file is not whole, or None."""
    reason = cut_short_reason(data, headers, dataloss)
    if reason:
        return reason
    if kind == "pdf" and b"%%EOF" not in data[-PDF_TAIL_BYTES:]:
        return "the PDF ends before its %%EOF trailer"
    return None


def mark_incomplete(record: ArticleRecord, reason: str) -> None:
    """Write an incomplete copy's reason into the record (meta and missing["text"])."""
    record.meta["incomplete"] = reason
    n = len(record.text or "")
    record.missing["text"] = f"incomplete: {reason}; {n} characters read"


# --- notes on hostile pages ------------------------------------------------------------------

TAG_RE = re.compile(r"<[^>]*>")
SCRIPT_RE = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.I | re.S)


def clean_title(title: str) -> tuple[str, str | None]:
    """A title without markup (a script written into a page's title), and a note if any
    was removed."""
    if "<" not in title or not TAG_RE.search(title):
        return title, None
    cleaned = " ".join(TAG_RE.sub(" ", SCRIPT_RE.sub(" ", title)).split())
    return cleaned, "markup in the title removed (it held HTML tags or a script)"


TITLE_ELEMENT_RE = re.compile(r"<(title|h1)\b[^>]*>(.{0,4000}?)</\1\s*>", re.I | re.S)


def title_script_note(text: str | None) -> str | None:
    """A note when the page's <title> or <h1> holds a script (left out of the title)."""
    for m in TITLE_ELEMENT_RE.finditer((text or "")[:400_000]):
        if re.search(r"<\s*script\b", m.group(2), re.I) or "&lt;script" in m.group(2).lower():
            return f"a script in the page's <{m.group(1).lower()}> was left out of the title"
    return None


def markup_too_deep(text: str) -> bool:
    """Whether libxml2 gave up on the document's nesting (deeper than its limit)."""
    from lxml import etree
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(recover=True)
    try:
        lxml_html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        pass
    return any("depth" in (e.message or "").lower() for e in parser.error_log)


def decode_note(encoding: str | None) -> str | None:
    if encoding and "replaced" in encoding:
        return "bytes that are not valid in the page's charset were replaced (U+FFFD)"
    return None


def notes_of(record: ArticleRecord) -> dict[str, Any]:
    """The notes a crawl reports about a stored record (hostile or odd pages)."""
    keys = ("canonical_ignored", "title_markup", "encoding_note", "nul_bytes", "text_capped")
    return {k: record.meta[k] for k in keys if record.meta.get(k)}
