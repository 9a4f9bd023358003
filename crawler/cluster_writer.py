"""A shared crawl's one writer: the workers' streams through the pipelines of a local
crawl (crawler.settings.ITEM_PIPELINES: validate, store, archive, frontier, crawl run),
in this one process, so the database keeps a single writer.

For each spider whose shared crawl is under way, the writer runs that spider's crawler
(no downloads: StreamReaderMiddleware takes the place of the spider's start) reading the
spider's stream through a consumer group. Each message is applied and only then
acknowledged and deleted:

- "item": the worker's item into the item pipelines (Scrapy's own item processing, as
  for an item a spider yields: signals, drops, errors);
- "want" / "known": document URLs into the frontier, as the local spider middleware and
  stored-URL middleware write them;
- "pages", "error", "stats": the worker's responses, callback failures and counters,
  given to the crawl-run pipeline as a local crawl's signals and stats would;
- "crawl-end": the crawl is finished; the run is closed as a local run closes.

A writer that died reads its unacknowledged messages again first; storing is
idempotent (an item stored twice is "unchanged"). A writer started later (or again)
finds everything waiting in Redis.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from newsmon.crawler import cluster

logger = logging.getLogger(__name__)

#: the writer's name in the consumer group (there is one writer)
CONSUMER = "writer"
#: seconds between two looks for crawls to store
SUPERVISE_S = 0.5
#: messages remembered as applied (a repeated message arrives right after the first)
REMEMBERED = 10000
#: stats key: the id of the crawl whose "crawl-end" the reader applied
ENDED_KEY = "newsmon/cluster_crawl_ended"


class StreamReaderMiddleware:
    """The writer's spider middleware: instead of the spider's start, apply its stream."""

    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.redis_url = s.get("REDIS_URL")
        self.database = {
            "path": s.get("NEWSMON_DB"),
            "busy_timeout_ms": s.getint("NEWSMON_BUSY_TIMEOUT_MS", 5000),
        }
        self.db = None
        self.crawl_id = ""
        #: the latest messages applied, by their "u" (a client's retry may send one twice)
        self.applied: OrderedDict[bytes, None] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        o = cls(crawler)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def spider_closed(self, spider) -> None:
        if self.db is not None:
            self.db.conn.close()
            self.db = None

    async def process_start(self, start):
        await self.consume()
        return
        yield  # an async generator that yields nothing

    # --- reading ------------------------------------------------------------------------

    async def consume(self) -> None:
        """Apply the stream until its crawl-end; unacknowledged messages first."""
        from redis.exceptions import RedisError, ResponseError

        from newsmon.db import connect

        self.db = connect(self.database["path"], busy_timeout_ms=self.database["busy_timeout_ms"])
        spider = self.crawler.spider.name
        key = cluster.stream_key(spider)
        client = cluster.connect_async(self.redis_url)
        backlog, wait = True, 0.1
        try:
            while True:
                try:
                    try:
                        await client.xgroup_create(key, cluster.GROUP, id="0", mkstream=True)
                    except ResponseError as exc:
                        if "BUSYGROUP" not in str(exc):
                            raise
                    while True:
                        got = await client.xreadgroup(
                            cluster.GROUP,
                            CONSUMER,
                            {key: "0" if backlog else ">"},
                            count=cluster.BATCH,
                            block=None if backlog else 1000,
                        )
                        entries = got[0][1] if got else []
                        if backlog and not entries:
                            backlog = False
                            continue
                        for message_id, fields in entries:
                            ended = await self.apply(fields or {})
                            await client.xack(key, cluster.GROUP, message_id)
                            await client.xdel(key, message_id)
                            if ended:
                                return
                        wait = 0.1
                except RedisError as exc:  # Redis restarted or unreachable: reconnect, go on
                    logger.warning("writer: Redis unreachable (%s); retrying in %.1fs", exc, wait)
                    await asyncio.sleep(wait)
                    wait = min(cluster.RETRY_CAP_S, wait * 2)
                    backlog = True  # what was read but not acknowledged comes again
        finally:
            await client.aclose()

    # --- applying -----------------------------------------------------------------------

    async def apply(self, fields: dict) -> bool:
        """Apply one message (once); True for the crawl's end."""
        unique = fields.get(b"u")
        if unique is not None:
            if unique in self.applied:
                return False
            self.applied[unique] = None
            if len(self.applied) > REMEMBERED:
                self.applied.popitem(last=False)
        kind = cluster._text(fields.get(b"kind", b""))
        body = cluster.unpack(fields[b"z"]) if b"z" in fields else None
        if kind == "item":
            await self.crawler.engine.scraper.start_itemproc_async(body, response=None)
        elif kind == "want":
            self.want(body)
        elif kind == "known":
            self.known(body)
        elif kind == "pages":
            self.pages(body)
        elif kind == "error":
            self.error(body)
        elif kind == "stats":
            for key, value in (body.get("counts") or {}).items():
                self.crawler.stats.inc_value(key, value)
        elif kind == "crawl-start":
            self.crawl_id = body.get("crawl", "")
            logger.info("writer: storing the shared crawl %s", self.crawl_id)
        elif kind == "crawl-end":
            ended = cluster._text(fields.get(b"crawl", b"")) or self.crawl_id
            self.crawler.stats.set_value(ENDED_KEY, ended)
            return True
        else:
            logger.warning("writer: unknown message %r ignored", kind)
        return False

    def want(self, rows: list[dict[str, Any]]) -> None:
        from newsmon.db.frontier import want_urls

        try:
            with self.db.atomic():
                new = want_urls(self.db, rows)
        except Exception:  # as locally: the requests went anyway, the next run rediscovers
            logger.exception("could not write %d URLs to the frontier", len(rows))
            return
        if new:
            self.crawler.stats.inc_value("newsmon/frontier_new", new)

    def known(self, body: dict[str, str]) -> None:
        from newsmon.db.frontier import mark_known

        with self.db.atomic():
            mark_known(self.db, body["url"], spider=self.crawler.spider.name, role=body["role"])

    def pages(self, pages: list) -> None:
        from scrapy import Request, signals
        from scrapy.http import Response

        for status, robots, url in pages:
            request = Request(url, meta={"dont_obey_robotstxt": True} if robots else None)
            response = Response(url, status=int(status), request=request)
            self.crawler.signals.send_catch_log(
                signals.response_received,
                response=response,
                request=request,
                spider=self.crawler.spider,
            )

    def error(self, body: dict[str, str]) -> None:
        from scrapy import Request, signals
        from scrapy.http import Response
        from twisted.python.failure import Failure

        url = body.get("url") or "about:blank"
        request = Request(url, meta={"live_url": url})
        response = Response(url, request=request)
        self.crawler.signals.send_catch_log(
            signals.spider_error,
            failure=Failure(RuntimeError(body.get("message", ""))),
            response=response,
            spider=self.crawler.spider,
        )


def writer_settings(base, redis_url: str) -> dict[str, Any]:
    """What the writer changes in a local crawl's settings: the stream instead of the
    spider's start (and so no frontier start); the item pipelines stay as they are."""
    from newsmon.crawler.middlewares import FrontierSpiderMiddleware

    old = f"{FrontierSpiderMiddleware.__module__}.{FrontierSpiderMiddleware.__qualname__}"
    spider = {k: (None if k == old else v) for k, v in base.getdict("SPIDER_MIDDLEWARES").items()}
    spider["newsmon.crawler.cluster_writer.StreamReaderMiddleware"] = 960
    return {
        "SPIDER_MIDDLEWARES": spider,
        "REDIS_URL": redis_url,
        "ROBOTSTXT_OBEY": False,  # the writer fetches nothing
        "LOGSTATS_INTERVAL": 0,
    }


class Supervisor:
    """Starts a writer crawler for each spider whose shared crawl is under way, marks
    the crawl stored when its run is closed, and (exit_when_idle) stops when nothing is
    left to store."""

    def __init__(self, process, redis_url: str, spiders: list[str], exit_when_idle: bool):
        self.process = process
        self.client = cluster.connect(redis_url)
        self.spiders = spiders
        self.exit_when_idle = exit_when_idle
        self.active: dict[str, Any] = {}
        self.stopping = False
        self.ticker = None

    def start(self) -> None:
        from twisted.internet import task

        self.ticker = task.LoopingCall(self.poll)
        self.ticker.start(SUPERVISE_S, now=True)

    def poll(self) -> None:
        from redis.exceptions import RedisError

        if self.stopping:
            return
        try:
            waiting = [s for s in self.spiders if self._waiting(s)]
        except RedisError as exc:
            logger.warning("writer: Redis unreachable (%s); retrying", exc)
            return
        for spider in waiting:
            if spider not in self.active:
                self._start(spider)
        if self.exit_when_idle and not self.active and not waiting:
            self.stop()

    def _waiting(self, spider: str) -> bool:
        state = cluster.crawl_state(self.client, spider).get("state")
        if state in cluster.ACTIVE_STATES:
            return True
        return bool(self.client.xlen(cluster.stream_key(spider)))  # left from an older crawl

    def _start(self, spider: str) -> None:
        crawler = self.process.create_crawler(spider)
        self.active[spider] = crawler
        logger.info("writer: storing %s from Redis", spider)
        d = self.process.crawl(crawler)
        d.addBoth(self._done, spider, crawler)

    def _done(self, result, spider: str, crawler) -> Any:
        from newsmon.crawler.pipelines import RUN_ID_KEY

        self.active.pop(spider, None)
        ended = crawler.stats.get_value(ENDED_KEY)
        run_id = crawler.stats.get_value(RUN_ID_KEY)
        try:
            state = cluster.crawl_state(self.client, spider)
            if ended and state.get("id") == ended and state.get("state") == "finished":
                self.client.hset(
                    cluster.crawl_key(spider),
                    mapping={"state": "stored", "run_id": str(run_id or "")},
                )
                logger.info("writer: crawl %s stored as run %s", ended, run_id)
        except Exception:  # the next writer start finds the crawl finished and closes it
            logger.exception("writer: could not mark %s stored", ended)
        return result

    def stop(self) -> None:
        from twisted.internet import reactor

        self.stopping = True
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        reactor.callLater(0, reactor.stop)


def run_writer(config, redis_url: str, *, exit_when_idle: bool = False) -> int:
    """Store what the workers send, in this process, until stopped (SIGINT, SIGTERM), or
    with exit_when_idle until no shared crawl is left to store."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.reactor import install_reactor

    from newsmon.config import SPIDERS

    base = cluster.project_settings(config)
    settings = cluster.project_settings(config, writer_settings(base, redis_url))
    install_reactor(settings["TWISTED_REACTOR"])  # before anything imports the reactor
    from twisted.internet import reactor

    process = CrawlerProcess(settings)
    supervisor = Supervisor(process, redis_url, list(SPIDERS), exit_when_idle)
    reactor.callWhenRunning(supervisor.start)
    process.start(stop_after_crawl=False)
    return 0
