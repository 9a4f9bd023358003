"""What spiders yield: dataclass items, read by the pipelines in crawler/pipelines.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsmon.crawler.extract.record import ArticleRecord


@dataclass
class RawResponse:
    """A response as received, for the raw_pages archive."""

    url: str  # the live URL
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    encoding: str | None = None
    truncated: bool = False


@dataclass
class ArticleItem:
    """One parsed page, attachment or feed fallback, to validate, store and archive."""

    record: ArticleRecord
    raw: RawResponse | None = None
    #: how the record was made: "page", "attachment", "origin", "feed-fallback"
    via: str = "page"
    #: the URL had been stored before and was fetched again (--refresh)
    refetched: bool = False
    # set by the store pipeline
    article_id: str | None = None
    outcome: str | None = None  # "new" | "updated" | "unchanged"


@dataclass
class FailureItem:
    """Something that could not be fetched or read; counted and listed in crawl_runs."""

    url: str
    reason: str
    stage: str = "fetch"  # fetch | discovery | parse | store
    raw: RawResponse | None = None
