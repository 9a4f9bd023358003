"""Item pipelines: validate, store (one idempotent upsert), archive the raw response,
record the outcome in the frontier, count.

Every crawl writes one crawl_runs row: opened "running" when the spider opens, with its
process id (a run of the same spider left "running", or any run whose process is gone,
becomes "interrupted"), counters and a heartbeat written as the crawl goes (every
PROGRESS_WRITE_S seconds when they changed, at least every HEARTBEAT_S, and at each
failure), closed "ok", "partial" (any failure, an incomplete copy, a page not
archived), "interrupted" (stopped by a signal) or "failed" (nothing fetched, or the
crawl did not finish).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem
from twisted.internet import task

from newsmon.crawler.extract.record import LISTING
from newsmon.crawler.items import ArticleItem, FailureItem
from newsmon.db import connect

logger = logging.getLogger(__name__)

RUN_ID_KEY = "newsmon/crawl_run_id"
#: seconds between two writes of a running crawl's counters (crawler.runner reads them)
PROGRESS_WRITE_S = 1.0


def _database_settings(crawler) -> dict[str, Any]:
    """Where the crawl's database is, as connect() takes it (read in from_crawler)."""
    s = crawler.settings
    return {
        "path": s.get("NEWSMON_DB"),
        "busy_timeout_ms": s.getint("NEWSMON_BUSY_TIMEOUT_MS", 5000),
    }


def _open_db(database: dict[str, Any]):
    return connect(database["path"], busy_timeout_ms=database["busy_timeout_ms"])


class ValidatePipeline:
    """A record needs a URL and a site; a missing title or text needs a stated reason.

    A page a parser could not fully read is kept with what was read: the gap is
    written into record.missing and logged, never dropped silently. A page the
    parsers recognised as holding several items (kind "listing") is not stored as an
    article: it is counted (stats newsmon/not_article) and logged with the reason.
    """

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        record = item.record
        if not record.url:
            raise DropItem("record without a URL")
        if record.kind == LISTING:
            # a page holding several items (an archive, a list): never one article
            reason = record.missing.get("not_article", "the page holds several items")
            self.stats.inc_value("newsmon/not_article")
            logger.warning("not stored, not one article: %s: %s", record.url, reason)
            raise DropItem(f"not one article: {reason}")
        if not record.site:
            record.site = "unknown"
            record.missing.setdefault("site", "no parser recognised the site")
        parser = record.parser or "parser"
        if not (record.title or "").strip() and "title" not in record.missing:
            record.missing["title"] = f"{parser} found no title"
        if not (record.text or "").strip() and "text" not in record.missing:
            record.missing["text"] = f"{parser} found no body text"
        if record.missing:
            self.stats.inc_value("newsmon/incomplete")
            logger.warning(
                "stored incomplete: %s: %s",
                record.url,
                "; ".join(f"{k}: {v}" for k, v in sorted(record.missing.items())),
            )
        return item


class _DatabasePipeline:
    """A pipeline holding its own connection to the crawl's database for the run."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.database = _database_settings(crawler)
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        self.db = _open_db(self.database)

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.conn.close()


class StorePipeline(_DatabasePipeline):
    """Normalise and store through crawler.ingest.save_record: new, updated, unchanged, or
    kept (an incomplete copy never replaces a whole one)."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        from newsmon.crawler.ingest import save_record

        try:
            with self.db.atomic():
                article_id, outcome = save_record(self.db, item.record)
        except Exception as exc:  # a row the database refuses: reported, the crawl goes on
            logger.error("could not store %s: %s: %s", item.record.url, type(exc).__name__, exc)
            return FailureItem(
                item.record.url or "",
                f"store: {exc}",
                stage="store",
                raw=item.raw,
                frontier_url=item.frontier_url,
                role=item.role,
            )
        item.article_id, item.outcome = article_id, outcome
        self.crawler.stats.inc_value(f"newsmon/{outcome}")
        if item.refetched and outcome != "kept":  # kept: an incomplete copy, not stored
            self.crawler.stats.inc_value("newsmon/refetched")
        return item


class RawPagePipeline(_DatabasePipeline):
    """Archive the response an item came from, zlib-compressed, once per (URL, body)."""

    def process_item(self, item: Any) -> Any:
        raw = getattr(item, "raw", None)
        if raw is None:
            return item
        from newsmon.db.crawl import save_raw_page

        article_id = item.article_id if isinstance(item, ArticleItem) else None
        try:
            with self.db.atomic():
                _, new = save_raw_page(
                    self.db,
                    url=raw.url,
                    status=raw.status,
                    headers=raw.headers,
                    body=raw.body,
                    article_id=article_id,
                    crawl_run_id=self.crawler.stats.get_value(RUN_ID_KEY),
                    encoding=raw.encoding,
                    truncated=raw.truncated,
                )
        except Exception as exc:  # fetched again next run (the frontier keeps it open)
            logger.error("could not archive the response of %s: %s", raw.url, exc)
            if isinstance(item, ArticleItem):
                item.problems.append(("store", f"raw page not archived: {exc}"))
            return item
        if new:
            self.crawler.stats.inc_value("newsmon/raw_pages")
        return item


class FrontierPipeline(_DatabasePipeline):
    """Each document's outcome into the frontier: ``done`` when stored whole (and its raw
    response archived); ``retry`` at the next back-off when it failed, is incomplete or
    was not archived; ``gone`` after NEWSMON_GONE_AFTER answers of 404/410, or at once
    for a permanent refusal; an incomplete copy fetched INCOMPLETE_SETTLE_AFTER times is
    kept as the site serves it (``done``, with the reason). An attempt is counted once
    per URL and run."""

    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        self.backoff_s = s.getfloat("NEWSMON_FRONTIER_BACKOFF_S", 600.0)
        self.gone_after = s.getint("NEWSMON_GONE_AFTER", 3)
        self.counted: set[str] = set()

    def process_item(self, item: Any) -> Any:
        url = getattr(item, "frontier_url", None)
        if not url or self.db is None:
            return item
        from newsmon.db.frontier import mark_done, mark_failed

        spider = self.crawler.spider.name
        role = item.role or "article"
        first = url not in self.counted
        self.counted.add(url)
        state = None
        try:
            with self.db.atomic():
                if isinstance(item, FailureItem):
                    state = mark_failed(
                        self.db,
                        url,
                        spider=spider,
                        role=role,
                        error=item.reason,
                        status=item.status,
                        backoff_s=self.backoff_s,
                        gone_after=self.gone_after,
                        permanent=item.permanent,
                        count_attempt=first,
                    )
                else:
                    why = item.incomplete and f"incomplete: {item.incomplete}"
                    why = why or item.retry or (item.problems[0][1] if item.problems else None)
                    if why:
                        state = mark_failed(
                            self.db,
                            url,
                            spider=spider,
                            role=role,
                            error=why,
                            status=item.status,
                            backoff_s=self.backoff_s,
                            gone_after=self.gone_after,
                            count_attempt=first,
                            article_id=item.article_id,
                            settle_after=INCOMPLETE_SETTLE_AFTER if item.incomplete else None,
                        )
                    elif first:
                        mark_done(
                            self.db,
                            url,
                            spider=spider,
                            role=role,
                            article_id=item.article_id,
                            status=item.raw.status if item.raw else None,
                        )
        except Exception as exc:  # the next run rediscovers it, or finds it still open
            logger.error("could not record %s in the frontier: %s", url, exc)
            return item
        if state == "gone":
            self.crawler.stats.inc_value("newsmon/gone")
            gone = self.crawler.stats.get_value("newsmon/gone_urls") or []
            if len(gone) < LISTED_MAX:
                reason = item.reason if isinstance(item, FailureItem) else item.retry
                gone.append({"url": url, "reason": reason or ""})
                self.crawler.stats.set_value("newsmon/gone_urls", gone)
            logger.warning("gone (not asked for again): %s", url)
        elif state == "retry":
            self.crawler.stats.inc_value("newsmon/retry_later")
        return item


#: notes and gone URLs listed in a run's stats at most
LISTED_MAX = 100
#: an incomplete copy fetched this many times (over hours of back-off) is what the site
#: serves: stored marked incomplete, and no longer asked for (nor failing every run)
INCOMPLETE_SETTLE_AFTER = 5


class CrawlRunPipeline:
    """Counts the run into its crawl_runs row: pages, outcomes, failures with reasons."""

    #: counters kept in stats JSON besides the crawl_runs columns
    STAT_KEYS = (
        "newsmon/article_pages",
        "newsmon/discovery_pages",
        "newsmon/attachments",
        "newsmon/attachments_missing",
        "newsmon/origins",
        "newsmon/skipped_known",
        "newsmon/offsite_dropped",
        "newsmon/incomplete",
        "newsmon/feed_fallback",
        "newsmon/raw_pages",
        "newsmon/incomplete_copies",
        "newsmon/kept",
        "newsmon/canonical_ignored",
        "newsmon/offsite_redirects",
        "newsmon/frontier_new",
        "newsmon/frontier_due",
        "newsmon/deferred",
        "newsmon/retry_later",
        "newsmon/gone",
        "newsmon/skipped_gone",
        "newsmon/gone_urls",
        "newsmon/notes",
        "newsmon/retry_after_honoured",
        "newsmon/retry_after_capped",
        "retry/count",
        "retry/max_reached",
        "robotstxt/forbidden",
        "downloader/request_count",
        "downloader/response_count",
        "item_scraped_count",
    )

    def __init__(self, crawler):
        self.crawler = crawler
        self.database = _database_settings(crawler)
        self.db = None
        self.run_id: int | None = None
        self.errors: list[dict[str, str]] = []
        self.failed = 0
        self.pages = 0
        self._written: dict[str, int] | None = None
        self._beat = 0.0
        self._ticker = None

    @classmethod
    def from_crawler(cls, crawler):
        o = cls(crawler)
        crawler.signals.connect(o.spider_error, signal=signals.spider_error)
        crawler.signals.connect(o.item_error, signal=signals.item_error)
        crawler.signals.connect(o.response_received, signal=signals.response_received)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def open_spider(self) -> None:
        from newsmon.db.crawl import start_crawl_run

        self.db = _open_db(self.database)
        self.run_id = start_crawl_run(self.db, self.crawler.spider.name)
        self.crawler.stats.set_value(RUN_ID_KEY, self.run_id)
        logger.info("crawl run %d of %s started", self.run_id, self.crawler.spider.name)
        self._ticker = task.LoopingCall(self._write_progress)
        self._ticker.start(PROGRESS_WRITE_S, now=False)

    # --- signals ----------------------------------------------------------------------

    def response_received(self, response, request, spider) -> None:
        if response.status == 200 and not request.meta.get("dont_obey_robotstxt"):
            self.pages += 1

    def spider_error(self, failure, response, spider) -> None:
        url = response.meta.get("live_url", response.url) if response is not None else ""
        self.add_failure(url, f"callback error: {failure.getErrorMessage()}", "parse")

    def item_error(self, item, response, spider, failure) -> None:
        url = getattr(getattr(item, "record", None), "url", None) or getattr(item, "url", "")
        self.add_failure(url, f"pipeline error: {failure.getErrorMessage()}", "store")

    def add_failure(self, url: str, reason: str, stage: str) -> None:
        self.failed += 1
        self.errors.append({"url": url, "reason": reason, "stage": stage})
        logger.error("failed: %s: %s", url, reason)
        self._write_progress()

    # --- items ------------------------------------------------------------------------

    def process_item(self, item: Any) -> Any:
        if isinstance(item, FailureItem):
            if item.counted:
                self.add_failure(item.url, item.reason, item.stage)
        elif isinstance(item, ArticleItem):
            url = item.record.url or item.frontier_url or ""
            if item.incomplete:
                self.add_failure(url, f"incomplete: {item.incomplete}", "incomplete")
            for stage, reason in item.problems:
                self.add_failure(url, reason, stage)
            self.add_notes(url, item.record)
        return item

    def add_notes(self, url: str, record) -> None:
        """Hostile or odd pages stored with a note (not failures): listed in the stats."""
        from newsmon.crawler.completeness import notes_of

        found = notes_of(record)
        if not found:
            return
        notes = self.crawler.stats.get_value("newsmon/notes") or []
        if len(notes) < LISTED_MAX:
            notes.append({"url": url, **{k: str(v) for k, v in found.items()}})
            self.crawler.stats.set_value("newsmon/notes", notes)

    def _counts(self) -> dict[str, int]:
        get = self.crawler.stats.get_value
        return {
            "pages": self.pages,
            "new": get("newsmon/new", 0),
            "updated": get("newsmon/updated", 0),
            "unchanged": get("newsmon/unchanged", 0),
            "refetched": get("newsmon/refetched", 0),
            "failed": self.failed,
        }

    def _stats(self) -> dict[str, Any]:
        get = self.crawler.stats.get_value
        out = {
            k.split("/", 1)[1] if k.startswith("newsmon/") else k: get(k) for k in self.STAT_KEYS
        }
        return {k: v for k, v in out.items() if v}

    def _write_progress(self) -> None:
        """Write the counters as they stand, if they changed since the last write, and
        the heartbeat at least every HEARTBEAT_S seconds."""
        if self.db is None or self.run_id is None:
            return
        import time

        from newsmon.db.crawl import HEARTBEAT_S, update_crawl_run

        counts = self._counts()
        if counts == self._written and time.monotonic() - self._beat < HEARTBEAT_S:
            return
        try:
            update_crawl_run(self.db, self.run_id, **counts, errors=self.errors)
        except Exception as exc:  # busy for longer than the timeout: the next tick tries again
            logger.error("could not update crawl run %s: %s", self.run_id, exc)
            return
        self._written = counts
        self._beat = time.monotonic()

    def status_for(self, reason: str) -> tuple[str, str | None]:
        counts = self._counts()
        stored = counts["new"] + counts["updated"] + counts["unchanged"]
        if reason == "shutdown":
            return "interrupted", "the crawl was stopped (a signal) before it finished"
        if reason != "finished":
            return "failed", f"the crawl stopped early: {reason}"
        if counts["failed"] and counts["pages"] == 0 and stored == 0:
            return "failed", "nothing could be fetched"
        if counts["failed"]:
            return "partial", f"{counts['failed']} failure(s)"
        return "ok", None

    def spider_closed(self, spider, reason: str) -> None:
        from newsmon.db.crawl import finish_crawl_run

        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        if self.db is None or self.run_id is None:
            return
        status, why = self.status_for(reason)
        counts = self._counts()
        finish_crawl_run(
            self.db,
            self.run_id,
            status=status,
            counts=counts,
            errors=self.errors,
            stats=self._stats(),
            reason=why,
        )
        logger.info(
            "crawl run %d of %s: %s; %d pages, %d new, %d updated, %d unchanged, %d failed",
            self.run_id,
            spider.name,
            status,
            counts["pages"],
            counts["new"],
            counts["updated"],
            counts["unchanged"],
            counts["failed"],
        )
        self.db.conn.close()
        self.db = None
