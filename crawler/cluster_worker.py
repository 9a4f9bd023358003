"""A shared crawl's worker: Scrapy with the spider's own code, its frontier and its items
in Redis (see crawler.cluster), never the database.

- ClusterScheduler: scrapy-redis' scheduler (the shared queue, its duplicate filter),
  each request taken into this worker's in-flight hash and released once everything its
  response produced is on the stream; the worker's heartbeat, counters and pages sent
  to the writer; requests of dead workers put back; the crawl finished when nothing is
  left;
- ClusterStoredMiddleware: the stored-URL rule of crawler.middlewares.StoredArticleMiddleware,
  read from the frontier's view the coordinator published (crawler.cluster.KNOWN_KEY);
- ClusterFrontierSpiderMiddleware: the document requests a page makes are sent to the
  writer's frontier before the page's item; a worker starts nothing itself (the
  coordinator seeded the queue);
- ClusterRateLimitMiddleware: each host's delay and concurrency held for all workers
  together (one "next allowed" time and a set of leases per host in Redis, on Redis'
  clock);
- ClusterExportPipeline: every item onto the spider's stream, for the writer.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler

from newsmon.crawler import cluster
from newsmon.crawler.middlewares import (
    NotWanted,
    StoredURL,
    _sleep,
    frontier_url,
    other_scheme,
    request_recipe,
)

logger = logging.getLogger(__name__)

#: seconds between two looks at the queue of an idle worker (Scrapy's engine looks every 5 s)
POLL_S = 0.2
#: seconds a host's lease outlives the download timeout (then a dead worker's lapses)
LEASE_SLACK_S = 2.0
#: counters a worker keeps for the writer's run (the writer counts its items itself)
NOT_SENT = ("item_scraped_count",)


def _redis_errors():
    from redis.exceptions import RedisError

    return RedisError


class ClusterScheduler(Scheduler):
    """scrapy-redis' Scheduler, with an in-flight record per worker (see crawler.cluster)."""

    @classmethod
    def from_crawler(cls, crawler):
        o = super().from_crawler(crawler)
        s = crawler.settings
        o.crawler = crawler
        o.worker = s.get("NEWSMON_WORKER_ID") or cluster.new_worker_id()
        o.ttl_ms = int(s.getfloat("NEWSMON_HEARTBEAT_TTL_S", cluster.HEARTBEAT_TTL_S) * 1000)
        o.exit_when_idle = s.getbool("NEWSMON_EXIT_WHEN_IDLE")
        o.taken: dict[str, Any] = {}
        o.count = 0
        o.pages: list[list] = []
        o.errors: list[dict] = []
        o.sent: dict[str, float] = {}
        o.ticker = None
        o.last_warning = 0.0
        from newsmon.crawler.pipelines import CrawlRunPipeline

        o.stat_keys = [k for k in CrawlRunPipeline.STAT_KEYS if k not in NOT_SENT]
        crawler.signals.connect(o.response_received, signal=signals.response_received)
        crawler.signals.connect(o.spider_error, signal=signals.spider_error)
        crawler.signals.connect(o.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def open(self, spider):
        super().open(spider)
        from twisted.internet import task

        self.name = spider.name
        self.inflight = cluster.inflight_prefix(self.name) + self.worker
        self.heartbeat = cluster.heartbeat_prefix() + self.worker
        self.pop_script = self.server.register_script(cluster.POP_LUA)
        self.enqueue_script = self.server.register_script(cluster.ENQUEUE_LUA)
        logger.info("worker %s takes %s requests from Redis", self.worker, self.name)
        self.ticker = task.LoopingCall(self.tick)
        self.ticker.start(cluster.TICK_S, now=True)

    # --- the queue ----------------------------------------------------------------------

    def next_request(self):
        self.count += 1
        token = str(self.count)
        try:
            data = self.pop_script(
                keys=[
                    self.queue.key,
                    self.inflight,
                    cluster.workers_key(self.name),
                    self.heartbeat,
                ],
                args=[token, self.ttl_ms, self.worker],
            )
        except _redis_errors() as exc:
            self._warn(f"cannot take a request from Redis: {exc}")
            return None
        if not data:
            return None
        request = self.queue._decode_request(data)
        self.taken[token] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def enqueue_request(self, request):
        """scrapy-redis' enqueue (duplicate filter, then the queue) as one script."""
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        data = self.queue._encode_request(request)
        while True:
            try:
                added = self.enqueue_script(
                    keys=[self.df.key, self.queue.key], args=[fingerprint, -request.priority, data]
                )
                break
            except _redis_errors() as exc:  # a request made must not be lost: wait for Redis
                self._warn(f"cannot put a request on the queue: {exc}")
                cluster.wait_for_redis(self.server)
        if not added:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def has_pending_requests(self):
        try:
            return len(self) > 0
        except _redis_errors():
            return True  # not idle while Redis is away

    def _warn(self, text: str) -> None:
        if time.monotonic() - self.last_warning > 5:
            logger.warning("%s (retrying)", text)
            self.last_warning = time.monotonic()

    # --- what the writer counts -----------------------------------------------------------

    def response_received(self, response, request, spider) -> None:
        robots = bool(request.meta.get("dont_obey_robotstxt"))
        self.pages.append([response.status, robots, response.url])

    def spider_error(self, failure, response, spider) -> None:
        url = response.meta.get("live_url", response.url) if response is not None else ""
        self.errors.append({"url": url, "message": failure.getErrorMessage()})

    def _counter_deltas(self) -> dict[str, float]:
        out = {}
        for key in self.stat_keys:
            value = self.stats.get_value(key) if self.stats else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                delta = value - self.sent.get(key, 0)
                if delta:
                    out[key] = delta
        return out

    def flush(self) -> None:
        """Pages, failures and counters onto the stream (before requests are released)."""
        deltas = self._counter_deltas()
        pipe = self.server.pipeline(transaction=True)
        if self.pages:
            cluster_send(pipe, self.name, "pages", self.pages)
        for error in self.errors:
            cluster_send(pipe, self.name, "error", error)
        if deltas:
            cluster_send(pipe, self.name, "stats", {"counts": deltas})
        if not (self.pages or self.errors or deltas):
            return
        pipe.execute()
        self.pages, self.errors = [], []
        for key, delta in deltas.items():
            self.sent[key] = self.sent.get(key, 0) + delta

    def release_done(self) -> None:
        """Release the requests the engine has finished with (their output is sent)."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None) if engine else None
        inprogress = slot.inprogress if slot is not None else set()
        done = [t for t, r in self.taken.items() if r not in inprogress]
        if done:
            self.server.hdel(self.inflight, *done)
            for token in done:
                del self.taken[token]

    def tick(self) -> None:
        try:
            self.flush()
            self.release_done()
            self.server.set(self.heartbeat, "1", px=self.ttl_ms)
            cluster.maintain(self.server, self.name)
        except _redis_errors() as exc:
            self._warn(f"worker {self.worker} cannot reach Redis: {exc}")
        except Exception:  # a bug here must not stop the crawl; logged once per tick
            logger.exception("worker tick failed")

    # --- idle and closing -------------------------------------------------------------------

    def spider_idle(self, spider) -> None:
        """A worker waits for requests while its spider's crawl is under way (always,
        unless NEWSMON_EXIT_WHEN_IDLE)."""
        if not self.exit_when_idle:
            raise DontCloseSpider
        try:
            state = cluster.crawl_state(self.server, self.name).get("state")
        except _redis_errors():
            raise DontCloseSpider from None
        if state in ("seeding", "running") or self.taken:
            raise DontCloseSpider

    def spider_closed(self, spider, reason) -> None:
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        try:
            self.flush()
            self.release_done()
            if self.taken:  # stopped before they were done: back on the queue
                logger.warning("%d requests under way go back on the queue", len(self.taken))
            self.server.delete(self.heartbeat)
            cluster.maintain(self.server, self.name)
        except _redis_errors() as exc:
            logger.error("could not hand back this worker's requests: %s", exc)


def cluster_send(client, spider: str, kind: str, body: Any = None) -> None:
    cluster.send(client, spider, kind, body)


def _send_reliably(client, spider: str, kind: str, body: Any) -> None:
    """Send a message, waiting for Redis as long as it takes (nothing is dropped)."""
    warned = 0.0
    while True:
        try:
            cluster.send(client, spider, kind, body)
            return
        except _redis_errors() as exc:
            if time.monotonic() - warned > 5:
                logger.warning("cannot send %s to Redis (%s); waiting", kind, exc)
                warned = time.monotonic()
            cluster.wait_for_redis(client)


class _RedisComponent:
    def __init__(self, crawler):
        self.crawler = crawler
        self.client = cluster.connect(crawler.settings.get("REDIS_URL"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def spider_name(self) -> str:
        return self.crawler.spider.name if self.crawler.spider else ""


class ClusterExportPipeline(_RedisComponent):
    """Every item onto the spider's stream; the writer's pipelines store it."""

    def process_item(self, item: Any) -> Any:
        _send_reliably(self.client, self.spider_name, "item", item)
        self.crawler.stats.inc_value("newsmon/cluster_items_sent")
        return item


class ClusterStoredMiddleware(_RedisComponent):
    """crawler.middlewares.StoredArticleMiddleware for a worker: the frontier's state of a
    document comes from the view the coordinator published (done, gone, not due, stored
    before the frontier knew it); a URL stored before the frontier knew it is sent to the
    writer's frontier as done."""

    DOCUMENT_ROLES = ("article", "origin", "attachment")

    def __init__(self, crawler):
        super().__init__(crawler)
        self._refresh: tuple[float, bool] = (0.0, False)

    def refresh(self) -> bool:
        """--refresh of the crawl (or -a refresh=1), read again at most every second."""
        at, value = self._refresh
        if time.monotonic() - at > 1.0:
            state = cluster.crawl_state(self.client, self.spider_name)
            spider_flag = str(getattr(self.crawler.spider, "refresh", "")).lower()
            value = state.get("refresh") == "1" or spider_flag in ("1", "true", "yes")
            self._refresh = (time.monotonic(), value)
        return value

    def state_of(self, url: str) -> str | None:
        state = self.client.hget(cluster.KNOWN_KEY, url)
        if state is None:
            other = self.client.hget(cluster.KNOWN_KEY, other_scheme(url))
            if other in (b"stored", b"done"):
                return "stored"
            return None
        return state.decode()

    def process_request(self, request):
        role = request.meta.get("role")
        if role not in self.DOCUMENT_ROLES or request.meta.get("frontier_checked"):
            return None
        from newsmon.timefmt import utc_iso

        url = frontier_url(request)
        state = self.state_of(url)
        stats = self.crawler.stats
        if state == "stored":
            _send_reliably(self.client, self.spider_name, "known", {"url": url, "role": role})
            self.client.hset(cluster.KNOWN_KEY, url, "done")
            state = "done"
        refresh = self.refresh()
        if state == "done" and not refresh:
            stats.inc_value("newsmon/skipped_known")
            raise StoredURL(f"stored already: {url}")
        if state == "gone" and not refresh:
            stats.inc_value("newsmon/skipped_gone")
            raise NotWanted(f"gone (not asked for again): {url}")
        if state and state.startswith("due:") and state[4:] > utc_iso() and not refresh:
            stats.inc_value("newsmon/deferred")
            raise NotWanted(f"next attempt due at {state[4:]}: {url}")
        if state in ("done", "gone"):
            request.meta["refetched"] = True
        request.meta["frontier_checked"] = True
        return None


class ClusterFrontierSpiderMiddleware(_RedisComponent):
    """crawler.middlewares.FrontierSpiderMiddleware for a worker: a page's document
    requests go to the writer's frontier (on the stream, before the page's item), and
    a worker's spider starts nothing (the coordinator seeded the shared queue)."""

    DOCUMENT_ROLES = ClusterStoredMiddleware.DOCUMENT_ROLES

    async def process_start(self, start):
        return
        yield  # an async generator that yields nothing

    def _register(self, output: list) -> None:
        from scrapy import Request

        rows = []
        for o in output:
            if isinstance(o, Request) and o.meta.get("role") in self.DOCUMENT_ROLES:
                parent = o.meta.get("parent") or {}
                rows.append(
                    {
                        "url": frontier_url(o),
                        "spider": self.spider_name,
                        "role": o.meta["role"],
                        "parent_url": parent.get("url") or o.meta.get("found_on"),
                        "request": request_recipe(o),
                    }
                )
        if rows:
            _send_reliably(self.client, self.spider_name, "want", rows)

    def process_spider_output(self, response, result):
        output = list(result)
        self._register(output)
        yield from output

    async def process_spider_output_async(self, response, result):
        output = [o async for o in result]
        self._register(output)
        for o in output:
            yield o


class ClusterRateLimitMiddleware(_RedisComponent):
    """Each host's delay between two requests and number of requests at once, for all
    workers together (crawler.cluster.TURN_LUA): the configuration's download_delay and
    concurrent_per_domain (NEWSMON_CLUSTER_DELAY, NEWSMON_CLUSTER_CONCURRENCY). The host
    is the live host (with a replay site, the site a path stands for).

    It is the last step before the download, and with it on (run_worker) Scrapy's own
    per-worker delay, per-domain limit and AutoThrottle are off: a turn taken here is
    not spent waiting in a worker's queue, so requests reach a host no closer together
    than the delay. Off with NEWSMON_CLUSTER_POLITE = False (a benchmark of raw
    throughput)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        self.enabled = s.getbool("NEWSMON_CLUSTER_POLITE", True)
        self.delay_ms = int(
            s.getfloat("NEWSMON_CLUSTER_DELAY", s.getfloat("DOWNLOAD_DELAY")) * 1000
        )
        self.concurrency = s.getint(
            "NEWSMON_CLUSTER_CONCURRENCY", s.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        )
        # a download ends within its timeout: a dead worker's lease lapses soon after
        self.lease_ms = int((s.getfloat("DOWNLOAD_TIMEOUT", 30.0) + LEASE_SLACK_S) * 1000)
        self.base_url = s.get("NEWSMON_BASE_URL") or ""
        self.script = self.client.register_script(cluster.TURN_LUA)

    def host(self, request) -> str:
        from newsmon.crawler.urls import host_of, to_live_url

        return host_of(to_live_url(request.url, self.base_url)) or "?"

    async def process_request(self, request):
        if not self.enabled or request.meta.get("dont_obey_robotstxt"):
            return None
        host = self.host(request)
        token = uuid.uuid4().hex
        keys = [cluster.limit_key(host), cluster.busy_key(host)]
        waited = 0.0
        while True:
            try:
                wait_ms = int(
                    self.script(
                        keys=keys, args=[self.delay_ms, self.concurrency, token, self.lease_ms]
                    )
                )
            except _redis_errors() as exc:
                logger.warning("rate limit of %s not readable (%s); waiting", host, exc)
                wait_ms = 1000
            if wait_ms <= 0:
                break
            waited += wait_ms / 1000
            await _sleep(wait_ms / 1000)
        request.meta["cluster_lease"] = (host, token)
        if waited:
            self.crawler.stats.inc_value("newsmon/cluster_wait_s", waited)
        return None

    def _release(self, request) -> None:
        lease = request.meta.pop("cluster_lease", None)
        if lease is None:
            return
        try:
            self.client.zrem(cluster.busy_key(lease[0]), lease[1])
        except _redis_errors():
            pass  # the lease expires by itself

    def process_response(self, request, response):
        self._release(request)
        return response

    def process_exception(self, request, exception):
        self._release(request)
        return None


def worker_settings(base, redis_url: str, **options: Any) -> dict[str, Any]:
    """What a worker changes in a local crawl's settings (base: those settings)."""
    from newsmon.crawler.middlewares import FrontierSpiderMiddleware, StoredArticleMiddleware

    def replace(table: dict, old: type, new: str, order: int) -> dict:
        out = {}
        for key, value in table.items():
            name = key if isinstance(key, str) else f"{key.__module__}.{key.__qualname__}"
            out[key] = None if name == f"{old.__module__}.{old.__qualname__}" else value
        out[new] = order
        return out

    downloader = replace(
        base.getdict("DOWNLOADER_MIDDLEWARES"),
        StoredArticleMiddleware,
        "newsmon.crawler.cluster_worker.ClusterStoredMiddleware",
        50,
    )
    # last before the download itself: only requests really sent wait for their turn
    downloader["newsmon.crawler.cluster_worker.ClusterRateLimitMiddleware"] = 990
    spider = replace(
        base.getdict("SPIDER_MIDDLEWARES"),
        FrontierSpiderMiddleware,
        "newsmon.crawler.cluster_worker.ClusterFrontierSpiderMiddleware",
        950,
    )
    out = {
        **cluster.scheduler_settings(redis_url),
        "DOWNLOADER_MIDDLEWARES": downloader,
        "SPIDER_MIDDLEWARES": spider,
        # items go to the writer; no pipeline of the worker opens the database
        "ITEM_PIPELINES": {"newsmon.crawler.cluster_worker.ClusterExportPipeline": 100},
    }
    out.update({k: v for k, v in options.items() if v is not None})
    return out


def run_worker(
    config,
    redis_url: str,
    spiders: list[str],
    *,
    exit_when_idle: bool = False,
    settings: dict[str, Any] | None = None,
) -> int:
    """Run a worker for these spiders in this process until stopped (SIGINT, SIGTERM), or
    with exit_when_idle until their shared crawls are finished."""
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import CrawlerProcess

    base = cluster.project_settings(config)
    options = worker_settings(base, redis_url, NEWSMON_EXIT_WHEN_IDLE=exit_when_idle)
    options.update(settings or {})
    merged = base.copy()
    merged.setdict(options, priority="cmdline")
    if merged.getbool("NEWSMON_CLUSTER_POLITE", True):
        # the cluster limit holds the configured delay and concurrency for all workers;
        # the worker's own slot must not hold a granted turn back (see the middleware)
        options.setdefault("NEWSMON_CLUSTER_DELAY", merged.getfloat("DOWNLOAD_DELAY"))
        options.setdefault(
            "NEWSMON_CLUSTER_CONCURRENCY", merged.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        )
        options.update(
            DOWNLOAD_DELAY=0,
            AUTOTHROTTLE_ENABLED=False,
            CONCURRENT_REQUESTS_PER_DOMAIN=merged.getint("CONCURRENT_REQUESTS"),
        )
    full = cluster.project_settings(config, options)
    # an idle worker looks at the shared queue this often, not every 5 s
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = POLL_S
    process = CrawlerProcess(full)
    for name in spiders:
        process.crawl(name)
    process.start()
    return 0
