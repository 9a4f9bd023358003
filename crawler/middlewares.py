"""Downloader and spider middlewares: the frontier (what is wanted, stored, due), the scope
of every request (redirects included), and retries with exponential back-off and
Retry-After honoured."""

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


class NotWanted(IgnoreRequest):
    """A document request not sent: the frontier says it is gone, or not due yet."""


class OffsiteRedirect(IgnoreRequest):
    """A request (a redirect) leaving the domains its first request was allowed on."""


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def other_scheme(url: str) -> str:
    """The same URL over the other of http and https."""
    if url.startswith("https://"):
        return "http://" + url[len("https://") :]
    if url.startswith("http://"):
        return "https://" + url[len("http://") :]
    return url


def frontier_url(request: Request) -> str:
    """The frontier URL a request is for: its document's (meta "frontier_url" or
    "document_url"), else its live URL."""
    meta = request.meta
    return (
        meta.get("frontier_url") or meta.get("document_url") or meta.get("live_url") or request.url
    )


#: request meta kept in the frontier, to ask for a URL again in a later run
RECIPE_META = ("entry", "parent", "document_url", "scope", "live_url")


def request_recipe(request: Request) -> dict:
    """How to ask for a request's URL again (JSON-ready): callback, meta, POST body."""
    import json

    callback = getattr(request.callback, "__name__", None)
    recipe: dict = {
        "callback": callback,
        "live_url": request.meta.get("live_url") or request.url,
        "meta": {k: request.meta[k] for k in RECIPE_META if k in request.meta},
    }
    if request.method != "GET":
        recipe["method"] = request.method
        try:
            recipe["json_body"] = json.loads(request.body or b"null")
        except ValueError:
            recipe["body"] = (request.body or b"").decode("utf-8", "replace")
        ctype = request.headers.get(b"Content-Type")
        if ctype:
            recipe["headers"] = {"Content-Type": ctype.decode("latin-1")}
    return json.loads(json.dumps(recipe, ensure_ascii=False, default=str))


class _FrontierDatabase:
    """A connection to the crawl's database for the run, opened when the spider opens."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        self.crawler = crawler
        self.db_path = s.get("NEWSMON_DB")
        self.busy_timeout_ms = s.getint("NEWSMON_BUSY_TIMEOUT_MS", 5000)
        self.db = None

    def open(self):
        from newsmon.db import connect

        if self.db is None:
            self.db = connect(self.db_path, busy_timeout_ms=self.busy_timeout_ms)
        return self.db

    def close(self) -> None:
        if self.db is not None:
            self.db.conn.close()
            self.db = None

    def inc(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"newsmon/{key}", n)


class StoredArticleMiddleware(_FrontierDatabase):
    """A document is fetched when the frontier wants it, and not again once stored.

    Asks the database, through newsmon.db, about requests whose meta role is a document
    (article, origin, attachment), by their frontier URL (meta "document_url" for a JSON
    API's detail request, else the live URL):

    - a frontier row ``done`` (stored whole): not fetched (StoredURL, counted as
      newsmon/skipped_known) unless refresh (then meta "refetched");
    - ``gone``: not fetched unless refresh (newsmon/skipped_gone);
    - ``pending`` or ``retry``: fetched when its next attempt is due, else left for a
      later run (newsmon/deferred);
    - no row: a document stored from its own page before the frontier existed (over
      http or https) is recorded ``done`` and skipped; anything else goes.

    An article kept only from a feed's copy (its page failed) or an incomplete copy has
    an open row, so it is fetched again. Lists, feeds and JSON API lists (role
    "discovery") always go through.
    """

    #: request roles that fetch a document, which a stored copy makes unnecessary
    DOCUMENT_ROLES = ("article", "origin", "attachment")

    def __init__(self, crawler: Crawler, *, refresh: bool = False):
        super().__init__(crawler)
        self.refresh = refresh or crawler.settings.getbool("NEWSMON_REFRESH")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoredArticleMiddleware:
        o = cls(crawler)
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def spider_opened(self, spider) -> None:
        # `scrapy crawl SPIDER -a refresh=1` asks for it too
        self.refresh = self.refresh or _truthy(getattr(spider, "refresh", False))
        self.open()

    def spider_closed(self, spider) -> None:
        self.close()

    def is_stored(self, url: str) -> bool:
        from newsmon.db.crawl import fetched_urls

        return bool(fetched_urls(self.db, {url, other_scheme(url)}))

    def process_request(self, request: Request):
        role = request.meta.get("role")
        if role not in self.DOCUMENT_ROLES or self.db is None:
            return None
        if request.meta.get("frontier_checked"):
            return None  # a retry or redirect of a request already let through
        from newsmon.db.frontier import frontier_rows, mark_known
        from newsmon.timefmt import utc_iso

        url = frontier_url(request)
        row = frontier_rows(self.db, [url]).get(url)
        spider = self.crawler.spider.name if self.crawler.spider else ""
        if row is None and self.is_stored(url):
            with self.db.atomic():
                mark_known(self.db, url, spider=spider, role=role)
            row = {"state": "done"}
        state = (row or {}).get("state")
        if state == "done" and not self.refresh:
            self.inc("skipped_known")
            raise StoredURL(f"stored already: {url}")
        if state == "gone" and not self.refresh:
            self.inc("skipped_gone")
            raise NotWanted(f"gone (not asked for again): {url}")
        due = (row or {}).get("next_attempt_at")
        if state in ("pending", "retry") and due and due > utc_iso() and not self.refresh:
            self.inc("deferred")
            raise NotWanted(f"next attempt due at {due}: {url}")
        if state in ("done", "gone"):
            request.meta["refetched"] = True
        request.meta["frontier_checked"] = True
        return None


class FrontierSpiderMiddleware(_FrontierDatabase):
    """Every document request a spider makes is written to the frontier (pending) before
    the rest of its callback's output goes on, so what a page links (origins,
    attachments) is wanted even when the crawl stops right after storing the page; and
    each run starts with the spider's frontier rows that are due.

    A spider rebuilds a request from its row with ``request_from_frontier(row)``.
    """

    DOCUMENT_ROLES = StoredArticleMiddleware.DOCUMENT_ROLES

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierSpiderMiddleware:
        o = cls(crawler)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def spider_closed(self, spider) -> None:
        self.close()

    async def process_start(self, start):
        async for o in start:
            yield o
        spider = self.crawler.spider
        rebuild = getattr(spider, "request_from_frontier", None)
        if rebuild is None:
            return
        from newsmon.db.frontier import due_rows

        rows = due_rows(self.open(), spider.name)
        for row in rows:
            request = rebuild(row)
            if request is not None:
                self.inc("frontier_due")
                yield request

    def _register(self, output: list) -> None:
        from scrapy import Request

        from newsmon.db.frontier import want_urls

        spider = self.crawler.spider.name if self.crawler.spider else ""
        rows = []
        for o in output:
            if isinstance(o, Request) and o.meta.get("role") in self.DOCUMENT_ROLES:
                parent = o.meta.get("parent") or {}
                rows.append(
                    {
                        "url": frontier_url(o),
                        "spider": spider,
                        "role": o.meta["role"],
                        "parent_url": parent.get("url") or o.meta.get("found_on"),
                        "request": request_recipe(o),
                    }
                )
        if not rows:
            return
        db = self.open()
        try:
            with db.atomic():
                new = want_urls(db, self._not_stored(db, rows, spider))
        except Exception:  # the database refused: the requests still go, the next run rediscovers
            logger.exception("could not write %d URLs to the frontier", len(rows))
            return
        if new:
            self.inc("frontier_new", new)

    @staticmethod
    def _not_stored(db, rows: list[dict], spider: str) -> list[dict]:
        """The rows to add as pending: a URL without a frontier row that is stored from
        its own page already (a database from before the frontier) is recorded done."""
        from newsmon.db.crawl import fetched_urls
        from newsmon.db.frontier import frontier_rows, mark_known

        known = frontier_rows(db, (r["url"] for r in rows))
        fresh = [r for r in rows if r["url"] not in known]
        urls = {r["url"] for r in fresh}
        found = fetched_urls(db, urls | {other_scheme(u) for u in urls})
        out = []
        for r in rows:
            if r["url"] in urls and (r["url"] in found or other_scheme(r["url"]) in found):
                mark_known(db, r["url"], spider=spider, role=r["role"])
            else:
                out.append(r)
        return out

    def process_spider_output(self, response, result):
        output = list(result)
        self._register(output)
        yield from output

    async def process_spider_output_async(self, response, result):
        output = [o async for o in result]
        self._register(output)
        for o in output:
            yield o


class ScopeMiddleware:
    """Every request, redirects included, stays on the domains its first request was
    allowed on (meta "scope": the spider's domains, plus an origin's or attachment's own
    domain for that request). A redirect elsewhere is refused (OffsiteRedirect): Scrapy's
    own offsite check lets an origin request's redirects through."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler.settings.get("NEWSMON_BASE_URL") or "")

    def live_url(self, request: Request) -> str:
        from urllib.parse import urlsplit

        from newsmon.crawler.urls import to_live_url

        first = request.meta.get("live_url") or request.url
        scheme = urlsplit(first).scheme or "https"
        return to_live_url(request.url, self.base_url, scheme=scheme)

    REDIRECTS = (301, 302, 303, 307, 308)

    def _refuse(self, request: Request, live: str, scope: list[str]) -> OffsiteRedirect:
        origin = request.meta.get("live_url") or request.url
        return OffsiteRedirect(
            f"offsite redirect refused: {origin} redirected to {live}, which is not on "
            f"the allowed domains ({', '.join(scope)})"
        )

    def process_response(self, request: Request, response: Response):
        """A redirect off the scope is refused before Scrapy's redirect middleware makes
        a request of it (which would also mark that URL as seen for the whole run)."""
        scope = request.meta.get("scope")
        location = response.headers.get(b"Location")
        if scope is None or response.status not in self.REDIRECTS or not location:
            return response
        from urllib.parse import urljoin

        from newsmon.crawler.urls import url_allowed

        target = urljoin(request.url, location.decode("latin-1"))
        live = self.live_url(request.replace(url=target))
        if url_allowed(live, scope):
            return response
        raise self._refuse(request, live, scope)

    def process_request(self, request: Request):
        """The backstop: no request leaves its scope, however it was made."""
        scope = request.meta.get("scope")
        if scope is None:
            return None
        from newsmon.crawler.urls import url_allowed

        live = self.live_url(request)
        if url_allowed(live, scope):
            return None
        raise self._refuse(request, live, scope)


async def _sleep(seconds: float) -> None:
    """Wait without blocking the reactor (other requests go on meanwhile)."""
    if seconds <= 0:
        return
    from twisted.internet import reactor

    d: defer.Deferred[None] = defer.Deferred()
    reactor.callLater(seconds, d.callback, None)  # type: ignore[attr-defined]
    await maybe_deferred_to_future(d)


class BackoffRetryMiddleware:
    """Scrapy's retry, with a wait before each retry; a response cut short (flagged
    "dataloss") is retried too.

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
        if request.meta.get("dont_retry"):
            return response
        if "dataloss" in (response.flags or []):
            # cut short: tried again; the last copy still cut short is stored marked
            # incomplete (crawler.completeness) and fetched again by a later run
            new = await self._retry(request, "response cut short (DataLoss)", None)
            return new or response
        if response.status not in self.retry_codes:
            return response
        new = await self._retry(request, response_status_message(response.status), response)
        return new or response

    async def process_exception(self, request: Request, exception: Exception):
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions):
            return None
        return await self._retry(request, exception)
