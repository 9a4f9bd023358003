"""Downloader middlewares: stored articles not fetched again, and retries with exponential
back-off and Retry-After honoured."""

from __future__ import annotations

import email.utils
import logging
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message
from twisted.internet import defer

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: statuses whose Retry-After header says how long to wait
RETRY_AFTER_STATUSES = (429, 503)


def parse_retry_after(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", errors="replace")
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class StoredURL(IgnoreRequest):
    """A document request not sent: the document is stored already."""


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def other_scheme(url: str) -> str:
    """The same URL over the other of http and https."""
    if url.startswith("https://"):
        return "http://" + url[len("https://") :]
    if url.startswith("http://"):
        return "https://" + url[len("http://") :]
    return url


class StoredArticleMiddleware:
    """A document stored already (from its own page) is not fetched again, unless refresh.

    Asks the database, through newsmon.db, about requests whose meta role is a document
    (article, origin, attachment): the URL checked is meta "document_url" (a JSON API's
    detail request names the document it asks for) or else the live URL, over http or
    https. A stored one raises StoredURL (an IgnoreRequest; counted as
    newsmon/skipped_known); with refresh it goes through marked meta "refetched". An
    article kept only from a feed's copy (its page failed) does not count as stored.
    Lists, feeds and JSON API lists (role "discovery") always go through.
    """

    #: request roles that fetch a document, which a stored copy makes unnecessary
    DOCUMENT_ROLES = ("article", "origin", "attachment")

    def __init__(self, crawler: Crawler, *, db_path: str, busy_timeout_ms: int, refresh: bool):
        self.crawler = crawler
        self.db_path = db_path
        self.busy_timeout_ms = busy_timeout_ms
        self.refresh = refresh
        self.db = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoredArticleMiddleware:
        s = crawler.settings
        o = cls(
            crawler,
            db_path=s.get("NEWSMON_DB"),
            busy_timeout_ms=s.getint("NEWSMON_BUSY_TIMEOUT_MS", 5000),
            refresh=s.getbool("NEWSMON_REFRESH"),
        )
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def spider_opened(self, spider) -> None:
        from newsmon.db import connect

        # `scrapy crawl SPIDER -a refresh=1` asks for it too
        self.refresh = self.refresh or _truthy(getattr(spider, "refresh", False))
        self.db = connect(self.db_path, busy_timeout_ms=self.busy_timeout_ms)

    def spider_closed(self, spider) -> None:
        if self.db is not None:
            self.db.conn.close()
            self.db = None

    def is_stored(self, url: str) -> bool:
        from newsmon.db.crawl import fetched_urls

        return bool(fetched_urls(self.db, {url, other_scheme(url)}))

    def process_request(self, request: Request):
        if request.meta.get("role") not in self.DOCUMENT_ROLES or self.db is None:
            return None
        url = request.meta.get("document_url") or request.meta.get("live_url") or request.url
        if not self.is_stored(url):
            return None
        if self.refresh:
            request.meta["refetched"] = True
            return None
        self.crawler.stats.inc_value("newsmon/skipped_known")
        raise StoredURL(f"stored already: {url}")


async def _sleep(seconds: float) -> None:
    """Wait without blocking the reactor (other requests go on meanwhile)."""
    if seconds <= 0:
        return
    from twisted.internet import reactor

    d: defer.Deferred[None] = defer.Deferred()
    reactor.callLater(seconds, d.callback, None)  # type: ignore[attr-defined]
    await maybe_deferred_to_future(d)


class BackoffRetryMiddleware:
    """Scrapy's retry, with a wait before each retry.

    The wait is RETRY_BACKOFF * 2**(n-1) before the n-th retry; a 429 or 503 with a
    Retry-After header waits what the server asked instead, cut to RETRY_AFTER_MAX.
    Only the retried request waits: the rest of the crawl goes on.
    """

    def __init__(
        self,
        *,
        retry_codes: set[int],
        exceptions: tuple[type[BaseException], ...],
        backoff: float,
        retry_after_max: float,
    ):
        self.retry_codes = retry_codes
        self.exceptions = exceptions
        self.backoff = backoff
        self.retry_after_max = retry_after_max
        self.crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        s = crawler.settings
        if not s.getbool("RETRY_ENABLED"):
            raise NotConfigured
        o = cls(
            retry_codes={int(x) for x in s.getlist("RETRY_HTTP_CODES")},
            exceptions=tuple(
                load_object(x) if isinstance(x, str) else x for x in s.getlist("RETRY_EXCEPTIONS")
            ),
            backoff=s.getfloat("NEWSMON_RETRY_BACKOFF", 1.0),
            retry_after_max=s.getfloat("NEWSMON_RETRY_AFTER_MAX", 60.0),
        )
        o.crawler = crawler
        return o

    def wait_for(self, request: Request, response: Response | None = None) -> float:
        """Seconds to wait before retrying request (after response, if any)."""
        n = request.meta.get("retry_times", 0) + 1
        wait = self.backoff * 2 ** (n - 1)
        if response is not None and response.status in RETRY_AFTER_STATUSES:
            asked = parse_retry_after(response.headers.get(b"Retry-After"))
            if asked is not None:
                if asked > self.retry_after_max:
                    logger.warning(
                        "%s asked to wait %.0fs (Retry-After); waiting %.0fs",
                        request.url,
                        asked,
                        self.retry_after_max,
                    )
                    self.crawler.stats.inc_value("newsmon/retry_after_capped")
                wait = asked
                self.crawler.stats.inc_value("newsmon/retry_after_honoured")
        return min(wait, self.retry_after_max)

    async def _retry(self, request: Request, reason, response: Response | None = None):
        assert self.crawler is not None and self.crawler.spider is not None
        new = get_retry_request(request, spider=self.crawler.spider, reason=reason)
        if new is None:
            return None
        wait = self.wait_for(request, response)
        logger.info(
            "Retrying %s in %.1fs (retry %d): %s",
            request.url,
            wait,
            new.meta["retry_times"],
            reason,
        )
        await _sleep(wait)
        return new

    async def process_response(self, request: Request, response: Response):
        if request.meta.get("dont_retry") or response.status not in self.retry_codes:
            return response
        new = await self._retry(request, response_status_message(response.status), response)
        return new or response

    async def process_exception(self, request: Request, exception: Exception):
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions):
            return None
        return await self._retry(request, exception)
