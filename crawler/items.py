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
    #: the frontier row this item answers (the requested URL; a JSON API's document URL)
    frontier_url: str | None = None
    #: the request's role (article, origin, attachment), for the frontier
    role: str | None = None
    #: why this copy is not the whole document (cut short, no body where the template has
    #: one): stored marked so, and fetched again
    incomplete: str | None = None
    #: why the URL must be fetched again although a record was stored (a feed's copy for
    #: a failed page, an attachment that answered 404, a raw page not archived)
    retry: str | None = None
    #: the HTTP status behind retry, if any (a 404/410 counts towards "gone")
    status: int | None = None
    #: failures met on the way (stage, reason), such as a raw page not archived
    problems: list[tuple[str, str]] = field(default_factory=list)
    # set by the store pipeline
    article_id: str | None = None
    outcome: str | None = None  # "new" | "updated" | "unchanged"


@dataclass
class FailureItem:
    """Something that could not be fetched or read; counted and listed in crawl_runs."""

    url: str
    reason: str
    stage: str = "fetch"  # fetch | discovery | parse | store | incomplete
    raw: RawResponse | None = None
    #: the frontier row this failure is about (None: not a frontier URL)
    frontier_url: str | None = None
    role: str | None = None
    #: the HTTP status that failed, if any (a 404/410 counts towards "gone")
    status: int | None = None
    #: never worth asking again as it stands (a redirect off the allowed domains)
    permanent: bool = False
    #: counted in the run's failures (False: reported in the frontier only)
    counted: bool = True
