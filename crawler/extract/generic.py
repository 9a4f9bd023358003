"""Pages of sites without a parser of their own: trafilatura's extraction with metadata.

trafilatura.bare_extraction (with metadata, without tables) gives the main text, title,
author, date, site name and tags;
what it cannot say (a declared 来源, 官方原文 links, cited titles) is read from its text and
from the page with the shared helpers. trafilatura's date is usually a day alone: it is
kept as the candidate "trafilatura" and used with precision "day" (00:00 Asia/Shanghai).
"""

from __future__ import annotations

from typing import Any

import trafilatura
from lxml import etree

from newsmon.crawler.extract import common
from newsmon.crawler.extract.charset import ensure_text
from newsmon.crawler.extract.record import ArticleRecord

PARSER = "generic"


def _extract(text: str, url: str | None) -> dict[str, Any] | None:
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


def parse_generic(
    body: bytes | str, url: str | None, headers: dict | None = None, site: str = "unknown"
) -> ArticleRecord:
    """Any page through trafilatura; site "unknown" unless the caller knows better."""
    text = ensure_text(body, headers)
    tree = common.parse_document(text)  # ValueError for input that is not HTML
    record = ArticleRecord(url=url, site=site, parser=PARSER)
    record.canonical_url = common.canonical_url(tree, url)
    data = _extract(text, url) or {}
    record.title = common.squash(data.get("title")) or common.title_from_title_tag(tree)
    record.author = common.squash(data.get("author")) or None
    record.text = "\n".join(
        line.strip(common.LINE_STRIP)
        for line in (data.get("text") or "").split("\n")
        if line.strip(common.LINE_STRIP)
    )
    record.body_html = data.get("body_html")
    if data.get("date"):
        common.set_time(record, "trafilatura", str(data["date"]))
    for key in ("article:published_time", "PubDate", "pubdate", "publishdate"):
        common.set_time(record, key, common.meta_content(tree, key))
    common.choose_time(
        record,
        ("article:published_time", "PubDate", "publishdate", "trafilatura"),
        "page meta first, then trafilatura's date",
    )
    record.source = common.declared_source(record.text) or common.meta_content(
        tree, "ContentSource"
    )
    record.editor = common.editor_name(tree)
    record.cited_titles = common.cited_titles(record.text)
    record.origin_links = [
        link
        for link in common.origin_links(tree, url)
        if common.ORIGIN_ANCHOR_RE.match(link.anchor.replace(" ", ""))
    ]
    record.attachments = common.attachment_links(tree, url)
    record.tags = common.split_tags(*(data.get("tags") or []), *(data.get("categories") or []))
    for key in ("sitename", "description", "hostname", "image"):
        if data.get(key):
            record.meta[key] = data[key]
    common.note_missing(
        record,
        {
            "title": "trafilatura found no title and the page has no <title>",
            "text": "trafilatura found no main text on the page",
            "author": "trafilatura found no author",
        },
    )
    return record
