"""IT之家 article pages (www.ithome.com/0/866/661.htm).

The page names its own metadata for Baidu: span#pubtime_baidu "2025/7/8 18:04:18"
(Asia/Shanghai, to the second), span#source_baidu "来源：IT之家", span#author_baidu
"作者：远洋", span#editor_baidu "责编：远洋". The body is div#paragraph, without the
contributor thanks (div.tougao-user) and the advertising notice (p.ad-tips); images are
lazy (src is a placeholder t.png, data-original the real image).

Source rule: span#source_baidu is the page's own 来源 line; a 来源 line in the body is used
only when the span is absent or empty.
"""

from __future__ import annotations

import re

from newsmon.crawler.extract import common
from newsmon.crawler.extract.charset import ensure_text
from newsmon.crawler.extract.record import ArticleRecord

PARSER = "ithome"

TITLE_SELECTORS = ("#dt h1", "div.content h1", "h1")
BODY_SELECTORS = ("div#paragraph", "div.post_content")
PUBTIME_SELECTOR = "span#pubtime_baidu"
SOURCE_SELECTOR = "span#source_baidu"
AUTHOR_SELECTOR = "span#author_baidu"
EDITOR_SELECTOR = "span#editor_baidu"
TAG_SELECTORS = (".hot_tags a", "div.tags a")
#: the label before a Baidu metadata value ("来源：", "作者：", "责编：")
LABEL_RE = re.compile(r"^[^：:]{1,4}[：:]\s*")


def _labelled(tree, selector: str) -> str | None:
    element = common.first(tree, (selector,))
    if element is None:
        return None
    return LABEL_RE.sub("", common.text_of(element)).strip() or None


def parse_ithome(body: bytes | str, url: str, headers: dict | None = None) -> ArticleRecord:
    tree = common.parse_document(ensure_text(body, headers))
    record = ArticleRecord(url=url, site="ithome", parser=PARSER)
    record.canonical_url = common.canonical_url(tree, url)

    record.title = common.text_of(common.first(tree, TITLE_SELECTORS))
    if not record.title:
        record.title = common.meta_content(tree, "og:title") or common.title_from_title_tag(tree)

    common.set_time(
        record, "pubtime_baidu", common.text_of(common.first(tree, (PUBTIME_SELECTOR,)))
    )
    common.set_time(
        record, "article:published_time", common.meta_content(tree, "article:published_time")
    )
    common.choose_time(record, ("pubtime_baidu", "article:published_time"), "span#pubtime_baidu")

    record.author = _labelled(tree, AUTHOR_SELECTOR)
    record.editor = _labelled(tree, EDITOR_SELECTOR)
    page_source = common.clean_source(_labelled(tree, SOURCE_SELECTOR))

    element = common.first(tree, BODY_SELECTORS)
    if element is not None:
        cleaned = common.clean_copy(element)
        record.body_html = common.inner_html(element)
        record.text = common.html_to_text(cleaned)
        record.images = common.image_urls(cleaned, url)
        record.origin_links = common.origin_links(cleaned, url)
        record.stock_tags = common.stock_tags(cleaned)
    record.source = page_source or common.declared_source(record.text)
    record.cited_titles = common.cited_titles(record.text)
    tags = common.split_tags(common.meta_content(tree, "keywords"))
    for selector in TAG_SELECTORS:
        tags.extend(
            t for t in (common.text_of(a) for a in common.select(tree, selector)) if t not in tags
        )
    record.tags = tags

    common.note_missing(
        record,
        {
            "title": "no h1 or <title>",
            "text": "no div#paragraph body on the page",
            "author": "span#author_baidu absent or empty",
            "editor": "span#editor_baidu absent or empty",
            "source": "span#source_baidu absent and no 来源 line in the body",
        },
    )
    return record
