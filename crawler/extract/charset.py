"""Bytes to text for HTML pages whose declared charset may be wrong.

Chinese sites still serve GB2312/GBK pages, sometimes with a UTF-8 Content-Type header
(or none). decode_html tries, in order, each strictly (no replacement characters):

1. a byte-order mark, if there is one;
2. the charset the server declared (Content-Type) - a GB2312/GBK declaration also
   tries GB18030, its superset; a Western default (ISO-8859-1, which decodes any bytes)
   is only tried after step 4;
3. the charset the page declares in <meta charset> / <meta http-equiv="Content-Type">;
4. UTF-8, then GB18030 (a superset of GB2312 and GBK);
5. UTF-8 with replacement characters, when only a few bytes are broken (the rest is
   clearly UTF-8; encoding "utf-8 (replaced)");
6. charset-normalizer's detection.

If nothing decodes strictly, UTF-8 with replacement characters is returned and the
encoding is reported as "utf-8 (replaced)".
"""

from __future__ import annotations

import codecs
import re

#: how far into the body a <meta> charset declaration is looked for
META_SNIFF_BYTES = 4096
META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: declared names that are narrower than what such pages really contain
#: charsets servers send by default; they decode anything, so they are tried last
WESTERN_DEFAULTS = {"iso8859-1", "cp1252", "ascii"}
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "iso8859-1": "cp1252"}


def canonical_name(name: str | None) -> str | None:
    """A codec name Python knows for a declared charset name, or None."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(headers: dict | None) -> str | None:
    """The charset of a Content-Type header in a plain dict (any key case)."""
    for key, value in (headers or {}).items():
        if str(key).lower() == "content-type":
            if isinstance(value, list | tuple):
                value = value[0] if value else ""
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            m = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", str(value), re.I)
            return m.group(1) if m else None
    return None


def meta_charset(body: bytes) -> str | None:
    m = META_CHARSET_RE.search(body[:META_SNIFF_BYTES])
    return m.group(1).decode("ascii", "ignore") if m else None


def _try(body: bytes, name: str | None) -> tuple[str, str] | None:
    codec = canonical_name(name)
    if codec is None:
        return None
    for candidate in (codec, SUPERSETS.get(codec)):
        if not candidate:
            continue
        try:
            return body.decode(candidate), (
                name or candidate
            ).lower() if candidate == codec else candidate
        except (UnicodeDecodeError, LookupError):
            continue
    return None


#: a body is UTF-8 with a few broken bytes when at most this share of its non-ASCII
#: characters decode to U+FFFD (a GBK or Latin-1 body decoded as UTF-8 is nearly all
#: U+FFFD): guessing a legacy code page for it would turn every character to mojibake
MAX_BROKEN_UTF8_SHARE = 0.2
MIN_UTF8_CHARS = 20


def _mostly_utf8(body: bytes) -> str | None:
    """The body as UTF-8 with its few broken bytes replaced, or None if it is not UTF-8."""
    text = body.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    wide = sum(1 for ch in text if ord(ch) > 127)
    if wide - broken < MIN_UTF8_CHARS or broken > MAX_BROKEN_UTF8_SHARE * wide:
        return None
    return text


def decode_html(body: bytes, declared: str | None) -> tuple[str, str]:
    """(text, encoding used). Never raises on bytes; see the module docstring for the order."""
    if isinstance(body, str):
        return body, "str"
    for bom, name in BOMS:
        if body.startswith(bom):
            try:
                return body.decode(name), name
            except UnicodeDecodeError:
                break
    # a Western single-byte charset decodes any bytes: it is believed only after the rest
    western = canonical_name(declared) in WESTERN_DEFAULTS
    for name in (None if western else declared, meta_charset(body), "utf-8", "gb18030"):
        found = _try(body, name) if name else None
        if found is not None:
            return found
    if western:
        found = _try(body, declared)
        if found is not None:
            return found
    mostly = _mostly_utf8(body)
    if mostly is not None:
        return mostly, "utf-8 (replaced)"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body).best()
        if best is not None and best.encoding:
            return str(best), best.encoding
    except Exception:  # detection is a last resort; fall through to replacement
        pass
    return body.decode("utf-8", errors="replace"), "utf-8 (replaced)"


def ensure_text(body: bytes | str, headers: dict | None = None) -> str:
    """Text of a page body given as bytes (decoded as decode_html does) or already as text."""
    if isinstance(body, str):
        return body
    if not isinstance(body, bytes | bytearray):
        raise ValueError(f"a page body must be bytes or text, not {type(body).__name__}")
    return decode_html(bytes(body), declared_charset(headers))[0]
