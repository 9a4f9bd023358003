"""The record every parser returns: one article or document as read from a page.

Pure data: no Scrapy, no database. Times are ISO 8601 UTC strings
("2022-07-08T02:06:12Z"); a time a page does not give stays None (never made up).
A page that holds several items gets kind "listing" and missing["not_article"]: it
must not be stored as one article.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: site names, one per source family, used everywhere (spiders, fixtures, tests)
SITES = ("sina", "ithome", "gov_cn", "shanghai_gov", "government", "unknown")


@dataclass
class Link:
    url: str
    anchor: str = ""


@dataclass
class StockTag:
    """A stock the site itself linked in the article (Sina's span#stock_xxNNNNNN)."""

    code: str  # as the site wrote it: "sz300024", "usstock:AAPL"
    anchor: str = ""  # the word the link sits on ("机器人"); "" when only listed
    source: str = ""  # "span" (linked in text) or "comment" (news_keyword_pub)


@dataclass
class ArticleRecord:
    url: str | None
    site: str
    title: str = ""
    canonical_url: str | None = None
    kind: str = "article"  # article | document | attachment | listing (not one article)
    author: str | None = None
    editor: str | None = None
    source: str | None = None  # declared origin (来源：...)
    published_at: str | None = None  # ISO UTC, chosen by the parser's documented rule
    published_at_candidates: dict[str, str] = field(
        default_factory=dict
    )  # what each time source said, raw
    document_date: str | None = None  # 成文日期, YYYY-MM-DD
    doc_number: str | None = None  # 发文字号, e.g. 沪府办发〔2022〕12号
    issuer: str | None = None  # 发文机关
    original_title: str | None = None  # 原标题：… line of a reprint (also in meta)
    body_html: str | None = None  # the article body as the site served it
    text: str = ""  # body as plain text, paragraphs separated by "\n"
    origin_links: list[Link] = field(default_factory=list)  # 官方原文 and the like
    attachments: list[Link] = field(default_factory=list)  # PDF / Word attachments
    stock_tags: list[StockTag] = field(default_factory=list)
    cited_titles: list[str] = field(default_factory=list)  # 《...》 as written
    images: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # site keywords / topic tags
    parser: str = ""  # which parser produced this record
    missing: dict[str, str] = field(default_factory=dict)  # field -> why it could not be read
    meta: dict[str, Any] = field(default_factory=dict)  # anything else the page said

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def extracted(self) -> dict[str, Any]:
        """The fields a parser reads from a page, in a stable, comparable form: what a
        re-extraction compares field by field (see EXTRACTED_FIELDS)."""
        data = asdict(self)
        return {name: data[name] for name in EXTRACTED_FIELDS}


#: the fields of a record that come from the page (not the URL or the parser's name);
#: two extractions of the same bytes by the same parsers give equal values
EXTRACTED_FIELDS = (
    "title",
    "kind",
    "published_at",
    "document_date",
    "source",
    "author",
    "editor",
    "doc_number",
    "issuer",
    "original_title",
    "canonical_url",
    "text",
    "origin_links",
    "attachments",
    "stock_tags",
    "cited_titles",
    "images",
    "tags",
)
#: the kind of a page that holds several items (an archive, a list): never one article;
#: record.missing["not_article"] says why
LISTING = "listing"
