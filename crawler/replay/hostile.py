"""Hostile pages for the replay site: what a crawl meets in the wild, made from a route.

Each builder takes a recorded page's body (bytes) and returns the hostile version;
the replay serves them as fault kinds (crawler.replay.FAULT_KINDS), so any recorded URL
can be made hostile:

- ``huge``: the page padded to ``size`` bytes (default 50 MB), sent without a
  Content-Length (the end is where the connection closes), so only a cap on what is
  received stops it;
- ``gzip-bomb``: ``Content-Encoding: gzip``, about 1 MB on the wire that inflates to
  ``size`` bytes (default 1 GiB) of white space;
- ``deep-nesting``: 100,000 nested ``<div>`` elements at the start of the body;
- ``nul-bytes``: NUL bytes after every full stop of the text;
- ``invalid-utf8``: bytes that are not UTF-8 after every full stop, under a UTF-8
  declaration;
- ``hostile-canonical``: a ``<link rel="canonical">`` naming another URL (``target``),
  the page's own canonical links removed;
- ``offsite-redirect``: a 302 to a page on another host (``to``; the replay serves a
  small page at OFFSITE_URL);
- ``script-title``: a script in the ``<title>``, the og:title and the ``<h1>``.
"""

from __future__ import annotations

import functools
import re
import zlib

#: defaults of the hostile pages' sizes
HUGE_BYTES = 50_000_000
BOMB_BYTES = 1 << 30
NESTING = 100_000
#: the off-domain page an offsite-redirect sends the crawler to
OFFSITE_URL = "https://www.example.com/news/offsite.html"
OFFSITE_PAGE = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>站外页面（不应抓取）</title>'
    '</head><body><h1>站外页面（不应抓取）</h1><div class="content"><p>这是另一个网站上的页面。'
    "一个允许的网站把请求重定向到这里：这个页面不应被抓取，也不应作为文章保存。</p></div>"
    "</body></html>\n"
).encode()
#: the canonical URL a hostile-canonical page claims unless told (a stored Sina article)
CANONICAL_TARGET = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
SCRIPT = b'<script>alert("newsmon")</script>'
FULL_STOP = "。".encode()

_BODY_TAG = re.compile(rb"<body\b[^>]*>", re.I)
_HEAD_TAG = re.compile(rb"<head\b[^>]*>", re.I)
_CANONICAL = re.compile(rb"<link\b[^>]*\brel\s*=\s*[\"']?canonical[^>]*>", re.I)
_OG_URL = re.compile(rb"<meta\b[^>]*\bproperty\s*=\s*[\"']og:url[^>]*>", re.I)


def _after(pattern: re.Pattern[bytes], body: bytes, insert: bytes) -> bytes:
    m = pattern.search(body)
    if m is None:
        return insert + body
    return body[: m.end()] + insert + body[m.end() :]


def huge_chunks(body: bytes, size: int = HUGE_BYTES, chunk: int = 1 << 20):
    """The page padded with paragraphs to size bytes, in chunks (never all in memory)."""
    m = _BODY_TAG.search(body)
    head = body[: m.end()] if m else body[:0]
    tail = body[m.end() :] if m else body
    yield head
    sent = len(head)
    paragraph = "<p>这是一个非常长的页面中的一段重复文字，用来测试抓取时的大小上限。</p>\n".encode()
    block = paragraph * max(1, chunk // len(paragraph))
    while sent + len(block) < size - len(tail):
        yield block
        sent += len(block)
    rest = max(0, size - len(tail) - sent)
    yield (paragraph * (rest // len(paragraph) + 1))[:rest]
    yield tail


def huge_page(body: bytes, size: int = HUGE_BYTES) -> bytes:
    """The huge page as one bytes object (for a file to import)."""
    return b"".join(huge_chunks(body, size))


@functools.lru_cache(maxsize=4)
def gzip_bomb(size: int = BOMB_BYTES) -> bytes:
    """A gzip stream that inflates to size bytes of spaces: one 8 MiB member, repeated."""
    member_size = min(size, 8 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    member = c.compress(b" " * member_size) + c.flush()
    return member * max(1, size // member_size)


def deep_nesting(body: bytes, depth: int = NESTING) -> bytes:
    return _after(_BODY_TAG, body, b"<div>" * depth + "深".encode() + b"</div>" * depth)


def nul_bytes(body: bytes) -> bytes:
    return body.replace(FULL_STOP, FULL_STOP + b"\x00")


def invalid_utf8(body: bytes) -> bytes:
    return body.replace(FULL_STOP, FULL_STOP + b"\xff\xfe\xc3\x28")


def hostile_canonical(body: bytes, target: str = CANONICAL_TARGET) -> bytes:
    body = _OG_URL.sub(b"", _CANONICAL.sub(b"", body))
    link = f'<link rel="canonical" href="{target}">'.encode()
    return _after(_HEAD_TAG, body, link)


def script_title(body: bytes) -> bytes:
    body = re.sub(rb"(<title[^>]*>)", rb"\1" + SCRIPT, body, count=1, flags=re.I)
    body = re.sub(
        rb"(<meta\b[^>]*\bproperty\s*=\s*[\"']og:title[\"'][^>]*\bcontent\s*=\s*[\"'])",
        rb"\1" + SCRIPT.replace(b'"', b"&quot;").replace(b"<", b"&lt;").replace(b">", b"&gt;"),
        body,
        count=1,
        flags=re.I,
    )
    return re.sub(rb"(<h1[^>]*>)", rb"\1" + SCRIPT, body, count=1, flags=re.I)


#: fault kind -> body builder (the kinds that change a body)
BODY_FAULTS = {
    "deep-nesting": deep_nesting,
    "nul-bytes": nul_bytes,
    "invalid-utf8": invalid_utf8,
    "script-title": script_title,
}
