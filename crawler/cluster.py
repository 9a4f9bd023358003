"""A crawl shared by many machines through one Redis: what the coordinator, the workers
and the writer share (keys, the item codec, Redis scripts, settings), and seeding.

The parts (see docs/distributed.md):

- the coordinator (``newsmon crawl SPIDER --redis URL``, on the database's machine)
  publishes what is stored or not wanted (the frontier's view, ``KNOWN``), clears the
  spider's duplicate filter and puts the spider's start requests and its due frontier
  URLs on the shared queue;
- workers (``newsmon worker --redis URL [SPIDERS]``, anywhere) take requests from the
  queue (scrapy-redis' scheduler and duplicate filter, the queue kept across restarts),
  fetch and parse them, and send everything the pipelines need (items, pages, failures,
  the URLs wanted, their counters) to the spider's stream. They never open the database;
- one writer (``newsmon store --redis URL``, on the database's machine) reads the
  streams and puts every item through the same item pipelines as a local crawl
  (crawler.settings.ITEM_PIPELINES), so the database keeps a single writer.

A request a worker takes is moved, in one Redis script, from the queue to the worker's
in-flight hash; it leaves that hash only after everything its response produced is on
the stream (or its retry is back on the queue). A worker whose heartbeat key has expired
(killed, cut off) has its in-flight requests put back on the queue by whoever notices
first. A crawl is finished when it is running, its queue is empty and no worker holds a
request of it: the same script then appends "crawl-end" to the stream, after everything
the crawl produced, and the writer closes the crawl's run when it reads it.

The stream is read through a consumer group: a message is acknowledged (and deleted)
only once the writer has applied it, so a writer that dies mid-batch reads its
unacknowledged messages again when it restarts. Storing is an idempotent upsert, so an
item applied twice (a request fetched again after a worker died) is "unchanged", never
a second article.

Redis must persist what it holds across its own restarts for a crawl to survive them:
``appendonly yes`` (``appendfsync always`` loses nothing; ``everysec`` may lose the last
second). It must be one instance (the scripts use keys they compute), on a private
network: requests on the queue are pickled (scrapy-redis' format).
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
import json
import logging
import os
import socket
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterable
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

#: every key newsmon keeps in Redis starts with this
PREFIX = "newsmon"
#: seconds a worker's heartbeat key lives; a worker silent this long is taken as dead and
#: its in-flight requests are put back on the queue
HEARTBEAT_TTL_S = 10.0
#: seconds between two heartbeats (and acknowledgements, counters) of a worker
TICK_S = 0.5
#: crawl states: seeding (the coordinator is filling the queue), running, finished
#: (nothing left to fetch; the writer may still be storing), stored (the run is closed)
ACTIVE_STATES = ("seeding", "running", "finished")
#: the writer's consumer group on each stream
GROUP = "writer"
#: messages the writer reads at once
BATCH = 50


# --- keys -------------------------------------------------------------------------------


def queue_key(spider: str) -> str:
    """The shared request queue (scrapy-redis PriorityQueue: a sorted set)."""
    return f"{PREFIX}:{spider}:requests"


def dupefilter_key(spider: str) -> str:
    return f"{PREFIX}:{spider}:dupefilter"


def crawl_key(spider: str) -> str:
    """A hash: id, state, refresh, started_at, seeded, run_id."""
    return f"{PREFIX}:{spider}:crawl"


def stream_key(spider: str) -> str:
    """What the workers send the writer, in order."""
    return f"{PREFIX}:{spider}:stream"


def workers_key(spider: str) -> str:
    """The workers that have taken requests of the spider (a set)."""
    return f"{PREFIX}:{spider}:workers"


def inflight_prefix(spider: str) -> str:
    return f"{PREFIX}:{spider}:inflight:"


def heartbeat_prefix() -> str:
    return f"{PREFIX}:worker:"


#: the frontier's view for the workers: URL -> "done", "gone", "stored" (stored before the
#: frontier knew it) or "due:<ISO time>" (an open URL not due before then)
KNOWN_KEY = f"{PREFIX}:known"


def limit_key(host: str) -> str:
    """A host's next allowed request time (milliseconds, Redis' clock)."""
    return f"{PREFIX}:limit:{host}"


def busy_key(host: str) -> str:
    """A host's requests under way across the cluster (a sorted set of leases)."""
    return f"{PREFIX}:busy:{host}"


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# --- connection -------------------------------------------------------------------------

#: redis-py's retries of a command while Redis is unreachable: exponential back-off from
#: 0.1 s, capped at 2 s, about 30 s in all; callers keep trying after that
RETRIES = 20
RETRY_CAP_S = 2.0


def redis_params() -> dict[str, Any]:
    """Client options: short timeouts, commands retried with back-off on a lost connection
    (a Redis restart), as REDIS_PARAMS for scrapy-redis too."""
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from redis.retry import Retry

    return {
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
        "health_check_interval": 5,
        "retry": Retry(ExponentialBackoff(cap=RETRY_CAP_S, base=0.1), RETRIES),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError, ConnectionResetError],
    }


def connect(url: str):
    """A client for the Redis at url (redis://host:port/db)."""
    import redis

    return redis.Redis.from_url(url, **redis_params())


def connect_async(url: str):
    import redis.asyncio as aredis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return aredis.Redis.from_url(
        url,
        socket_timeout=10,
        socket_connect_timeout=5,
        health_check_interval=5,
        retry=Retry(ExponentialBackoff(cap=RETRY_CAP_S, base=0.1), RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError, ConnectionResetError],
    )


def wait_for_redis(client, what: str = "Redis") -> None:
    """Block until Redis answers, logging every so often (a restart, a network cut)."""
    from redis.exceptions import RedisError

    wait, since = 0.1, time.monotonic()
    while True:
        try:
            client.ping()
            return
        except RedisError as exc:
            if time.monotonic() - since > 5:
                logger.warning("%s unreachable (%s); retrying", what, exc)
                since = time.monotonic()
            time.sleep(wait)
            wait = min(RETRY_CAP_S, wait * 2)


# --- scripts ----------------------------------------------------------------------------

#: take the best request off the queue into the worker's in-flight hash, atomically.
#: KEYS: queue, in-flight hash, workers set, heartbeat key; ARGV: token, heartbeat ms,
#: worker id. An in-flight value is "<score>\n<request>", to put it back as it was.
#: A token already taken answers its own request again: the client repeats a command
#: whose answer a lost connection swallowed, and that must not take a second request.
POP_LUA = """
local held = redis.call('HGET', KEYS[2], ARGV[1])
if held then
  return string.sub(held, string.find(held, '\\n', 1, true) + 1)
end
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], r[2] .. '\\n' .. r[1])
return r[1]
"""

#: a new request: into the duplicate filter and onto the queue in one step, so that a
#: repeated call (the client's retry after a lost answer) finds it seen and queued,
#: never seen and dropped. KEYS: dupefilter, queue; ARGV: fingerprint ("" for a request
#: that is not filtered), score, request. Returns 1 when queued, 0 when a duplicate.
ENQUEUE_LUA = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], tonumber(ARGV[2]), ARGV[3])
return 1
"""

#: requeue dead workers' requests, then finish the crawl if nothing is left.
#: KEYS: workers set, queue, crawl hash, stream; ARGV: in-flight prefix, heartbeat prefix.
#: Returns {requests put back, 1 if the crawl finished now}.
MAINTAIN_LUA = """
local requeued = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[2] .. w) == 0 then
    local key = ARGV[1] .. w
    for _, v in ipairs(redis.call('HVALS', key)) do
      local i = string.find(v, '\\n', 1, true)
      redis.call('ZADD', KEYS[2], tonumber(string.sub(v, 1, i - 1)), string.sub(v, i + 1))
      requeued = requeued + 1
    end
    redis.call('DEL', key)
    redis.call('SREM', KEYS[1], w)
  end
end
local finished = 0
if redis.call('HGET', KEYS[3], 'state') == 'running' and redis.call('ZCARD', KEYS[2]) == 0 then
  local busy = false
  for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    if redis.call('HLEN', ARGV[1] .. w) > 0 then busy = true break end
  end
  if not busy then
    local t = redis.call('TIME')
    redis.call('HSET', KEYS[3], 'state', 'finished', 'finished_at', t[1])
    redis.call('XADD', KEYS[4], '*', 'kind', 'crawl-end', 'crawl',
               redis.call('HGET', KEYS[3], 'id') or '')
    finished = 1
  end
end
return {requeued, finished}
"""

#: a host's turn: wait for its delay (one "next allowed" time for the whole cluster) and
#: a free place among its concurrent requests (leases that expire if a worker dies).
#: KEYS: limit key, busy key; ARGV: delay ms, concurrency, lease token, lease ms.
#: Returns 0 when the request may go now (its lease taken), else milliseconds to wait.
TURN_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local delay = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > now then return nxt - now end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 50 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]))
if delay > 0 then redis.call('SET', KEYS[1], now + delay, 'PX', delay + 60000) end
return 0
"""


def maintain(client, spider: str) -> tuple[int, bool]:
    """Put dead workers' requests back; finish the crawl when nothing is left.
    Returns (requests put back, whether the crawl finished now)."""
    requeued, finished = client.eval(
        MAINTAIN_LUA,
        4,
        workers_key(spider),
        queue_key(spider),
        crawl_key(spider),
        stream_key(spider),
        inflight_prefix(spider),
        heartbeat_prefix(),
    )
    if requeued:
        logger.warning("%s: %d requests of a lost worker put back on the queue", spider, requeued)
    if finished:
        logger.info("%s: the shared crawl is finished (nothing left to fetch)", spider)
    return int(requeued), bool(finished)


def crawl_state(client, spider: str) -> dict[str, str]:
    """The spider's shared crawl as Redis has it ({} when there is none)."""
    raw = client.hgetall(crawl_key(spider))
    return {_text(k): _text(v) for k, v in raw.items()}


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# --- the item codec ---------------------------------------------------------------------

#: modules whose dataclasses may be rebuilt from a message (nothing else is imported)
CODEC_MODULES = ("newsmon.crawler.items", "newsmon.crawler.extract.record")


def encode_value(obj: Any) -> Any:
    """A JSON-ready form of an item: dataclasses by name, bytes in base64."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        out = {"__dc__": f"{cls.__module__}:{cls.__qualname__}"}
        for f in dataclasses.fields(obj):
            out[f.name] = encode_value(getattr(obj, f.name))
        return out
    if isinstance(obj, bytes):
        return {"__b64__": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, dict):
        return {str(k): encode_value(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode_value(v) for v in obj]
    return obj


def decode_value(obj: Any) -> Any:
    if isinstance(obj, list):
        return [decode_value(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__b64__" in obj:
        return base64.b64decode(obj["__b64__"])
    if "__dc__" in obj:
        module, _, name = obj["__dc__"].partition(":")
        if module not in CODEC_MODULES:
            raise ValueError(f"refusing to rebuild {obj['__dc__']} from a message")
        cls = getattr(importlib.import_module(module), name)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values = {k: decode_value(v) for k, v in obj.items() if k in fields}
        init = {k: v for k, v in values.items() if fields[k].init}
        item = cls(**init)
        for k, v in values.items():
            if not fields[k].init:
                setattr(item, k, v)
        return item
    return {k: decode_value(v) for k, v in obj.items()}


def pack(obj: Any) -> bytes:
    """An item (or any JSON-ready value) as a compressed message body."""
    text = json.dumps(encode_value(obj), ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 3)


def unpack(data: bytes) -> Any:
    return decode_value(json.loads(zlib.decompress(data).decode("utf-8")))


# --- settings ---------------------------------------------------------------------------


@contextmanager
def frozen_config(config):
    """While the block runs, newsmon.crawler.settings reads exactly this configuration
    (as crawler.runner hands it to its child), and is (re)loaded so."""
    from newsmon.crawler.runner import FROZEN_CONFIG_ENV

    data = json.dumps(config.data, ensure_ascii=False)
    fd, path = tempfile.mkstemp(prefix="newsmon-config-", suffix=".json")
    old = os.environ.get(FROZEN_CONFIG_ENV)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.environ[FROZEN_CONFIG_ENV] = path
        os.environ["SCRAPY_SETTINGS_MODULE"] = "newsmon.crawler.settings"
        import newsmon.crawler.settings as module

        importlib.reload(module)
        yield module
    finally:
        if old is None:
            os.environ.pop(FROZEN_CONFIG_ENV, None)
        else:
            os.environ[FROZEN_CONFIG_ENV] = old
        os.unlink(path)


def project_settings(config, overrides: dict[str, Any] | None = None):
    """Scrapy settings of a local crawl with this configuration, then overrides."""
    from scrapy.settings import Settings

    with frozen_config(config) as module:
        settings = Settings()
        settings.setmodule(module, priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def scheduler_settings(redis_url: str) -> dict[str, Any]:
    """scrapy-redis' scheduler and duplicate filter, the queue kept across restarts."""
    return {
        "SCHEDULER": "newsmon.crawler.cluster_worker.ClusterScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{PREFIX}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{PREFIX}:%(spider)s:dupefilter",
        "REDIS_URL": redis_url,
        "REDIS_PARAMS": redis_params(),
    }


# --- seeding ----------------------------------------------------------------------------


class CrawlUnderWay(Exception):
    """A shared crawl of the spider is not finished and stored yet."""


def publish_known(client, states: dict[str, str]) -> int:
    """Replace KNOWN with these URL states at once (written aside, then renamed)."""
    temp = f"{KNOWN_KEY}:new:{uuid.uuid4().hex[:8]}"
    items = list(states.items())
    for start in range(0, len(items), 1000):
        client.hset(temp, mapping=dict(items[start : start + 1000]))
    if items:
        client.rename(temp, KNOWN_KEY)
    else:
        client.delete(KNOWN_KEY)
    return len(items)


def build_spider(settings, name: str):
    """A spider instance configured as a crawl would be, without starting an engine
    (to make its start requests and frontier requests)."""
    from scrapy.crawler import Crawler
    from scrapy.spiderloader import get_spider_loader
    from scrapy.statscollectors import MemoryStatsCollector

    cls = get_spider_loader(settings).load(name)
    crawler = Crawler(cls, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    return cls.from_crawler(crawler)


def seed_requests(spider, db) -> tuple[list, int]:
    """The spider's start requests, then its due frontier URLs (as a local run begins:
    crawler.middlewares.FrontierSpiderMiddleware.process_start). Returns (requests, how
    many came from the frontier)."""
    import asyncio

    from newsmon.db.frontier import due_rows

    async def collect() -> list:
        return [r async for r in spider.start()]

    requests = [r for r in asyncio.run(collect()) if r is not None]
    due = 0
    for row in due_rows(db, spider.name):
        request = spider.request_from_frontier(row)
        if request is not None:
            requests.append(request)
            due += 1
    return requests, due


def seed_crawl(config, redis_url: str, spider_name: str, db, *, refresh: bool = False) -> dict:
    """Start a shared crawl of a spider: publish the frontier's view, clear the spider's
    duplicate filter, put its start requests and due frontier URLs on the queue.

    Raises CrawlUnderWay when the spider's previous shared crawl is not stored yet.
    Returns {"crawl", "spider", "requests", "frontier_due", "known"}.
    """
    from scrapy_redis import picklecompat
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue

    from newsmon.db.cluster import known_states

    client = connect(redis_url)
    client.ping()
    state = crawl_state(client, spider_name)
    if state.get("state") in ACTIVE_STATES:
        raise CrawlUnderWay(
            f"the shared crawl {state.get('id')} of {spider_name} is {state['state']} on "
            f"Redis; start workers (and the writer) to finish it, or delete the key "
            f"{crawl_key(spider_name)} to abandon it"
        )
    crawl_id = (
        f"{spider_name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:6]}"
    )
    settings = project_settings(config, scheduler_settings(redis_url))
    spider = build_spider(settings, spider_name)
    known = publish_known(client, known_states(db))
    client.delete(crawl_key(spider_name))
    client.hset(
        crawl_key(spider_name),
        mapping={
            "id": crawl_id,
            "state": "seeding",
            "refresh": "1" if refresh else "0",
            "started_at": str(int(time.time())),
        },
    )
    send(client, spider_name, "crawl-start", {"crawl": crawl_id, "refresh": refresh})
    requests, due = seed_requests(spider, db)
    dupefilter = RFPDupeFilter(client, dupefilter_key(spider_name))
    dupefilter.clear()
    queue = PriorityQueue(client, spider, queue_key(spider_name), serializer=picklecompat)
    enqueue = client.register_script(ENQUEUE_LUA)
    queued = 0
    for request in requests:
        fingerprint = "" if request.dont_filter else dupefilter.request_fingerprint(request)
        data = queue._encode_request(request)
        queued += int(
            enqueue(keys=[dupefilter.key, queue.key], args=[fingerprint, -request.priority, data])
        )
    counters = {
        k: v for k, v in spider.crawler.stats.get_stats().items() if isinstance(v, (int, float))
    }
    if due:
        counters["newsmon/frontier_due"] = counters.get("newsmon/frontier_due", 0) + due
    if counters:
        send(client, spider_name, "stats", {"counts": counters})
    client.hset(crawl_key(spider_name), mapping={"state": "running", "seeded": str(queued)})
    logger.info("seeded %s: %d requests (%d from the frontier)", crawl_id, queued, due)
    return {
        "crawl": crawl_id,
        "spider": spider_name,
        "requests": queued,
        "frontier_due": due,
        "known": known,
    }


def send(client, spider: str, kind: str, body: Any = None) -> None:
    """Append a message for the writer to the spider's stream."""
    # "u": the writer applies a message repeated by the client's retry only once
    fields: dict[str, Any] = {"kind": kind, "u": uuid.uuid4().hex}
    if body is not None:
        fields["z"] = pack(body)
    client.xadd(stream_key(spider), fields)


def wait_until_stored(client, spider: str, crawl_id: str, timeout: float | None = None) -> dict:
    """Block until the writer has stored the crawl (its state "stored"); returns the state."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        state = crawl_state(client, spider)
        if state.get("id") != crawl_id or state.get("state") == "stored":
            return state
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"the crawl {crawl_id} was not stored within {timeout}s")
        time.sleep(0.5)


def active_spiders(client, spiders: Iterable[str]) -> list[str]:
    """Spiders whose shared crawl is seeding, running or finished (not stored yet)."""
    return [s for s in spiders if crawl_state(client, s).get("state") in ACTIVE_STATES]


def cluster_status(client, spiders: Iterable[str]) -> list[dict[str, Any]]:
    """Per spider: its shared crawl's state and id, requests queued and under way, live
    workers, and messages waiting for the writer."""
    rows = []
    for spider in spiders:
        state = crawl_state(client, spider)
        workers = [_text(w) for w in client.smembers(workers_key(spider))]
        alive = [w for w in workers if client.exists(heartbeat_prefix() + w)]
        in_flight = sum(client.hlen(inflight_prefix(spider) + w) for w in workers)
        rows.append(
            {
                "spider": spider,
                "state": state.get("state"),
                "crawl": state.get("id"),
                "queued": client.zcard(queue_key(spider)),
                "in_flight": in_flight,
                "workers": len(alive),
                "stream": client.xlen(stream_key(spider)),
                "run_id": state.get("run_id"),
            }
        )
    return rows
