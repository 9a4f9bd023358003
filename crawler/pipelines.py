"""Item pipelines: validate, store (one idempotent upsert), archive the raw response, count.

Every crawl writes one crawl_runs row: opened "running" when the spider opens (a run of
the same spider left "running" by a crash becomes "interrupted"), counters written as
the crawl goes (every PROGRESS_WRITE_S seconds when they changed, and at each failure),
closed "ok", "partial" (any failure) or "failed" (nothing fetched, or the crawl did not
finish).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem
from twisted.internet import task

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
    written into record.missing and logged, never dropped silently.
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
    """Normalise and store through crawler.ingest.save_record: new, updated or unchanged."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        from newsmon.crawler.ingest import save_record

        try:
            with self.db.atomic():
                article_id, outcome = save_record(self.db, item.record)
        except Exception as exc:  # a row the database refuses: reported, the crawl goes on
            logger.exception("could not store %s", item.record.url)
            return FailureItem(item.record.url or "", f"store: {exc}", stage="store", raw=item.raw)
        item.article_id, item.outcome = article_id, outcome
        self.crawler.stats.inc_value(f"newsmon/{outcome}")
        if item.refetched:
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
        except Exception:
            logger.exception("could not archive the response of %s", raw.url)
            return item
        if new:
            self.crawler.stats.inc_value("newsmon/raw_pages")
        return item


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
            self.add_failure(item.url, item.reason, item.stage)
        return item

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
        """Write the counters as they stand, if they changed since the last write."""
        if self.db is None or self.run_id is None:
            return
        from newsmon.db.crawl import update_crawl_run

        counts = self._counts()
        if counts == self._written:
            return
        try:
            update_crawl_run(self.db, self.run_id, **counts, errors=self.errors)
        except Exception:  # busy for longer than the timeout: the next tick tries again
            logger.exception("could not update crawl run %s", self.run_id)
            return
        self._written = counts

    def status_for(self, reason: str) -> tuple[str, str | None]:
        counts = self._counts()
        stored = counts["new"] + counts["updated"] + counts["unchanged"]
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
