"""Shared crawls on a real Redis (redis-server on a loopback port of each test's own): two
workers and one writer store exactly what one process stores, and nothing is lost or
stored twice when a worker is killed, Redis restarts or the writer is away.

Workers and the writer are real `newsmon` processes against the replay site; the
single-process crawl they are compared with is `run_crawl` on the same site.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsmon.crawler.cluster_local import LocalRedis, RedisUnavailable, redis_server_binary
from newsmon.crawler.replay import ReplayServer
from replay_harness import expected_rows, replay_config, stored

SPIDER = "sina"
NEWSMON = str(Path(sys.executable).with_name("newsmon"))
FAST = """
[crawl]
download_delay = 0.01
timeout_s = 5
retries = 1
retry_backoff_s = 0.1
retry_after_max_s = 2
"""
#: seconds a killed worker's requests wait before the others take them back
HEARTBEAT_TTL = "2"
#: seconds any one process of a test may run
PROCESS_TIMEOUT = 90


@pytest.fixture(scope="module")
def redis_binary():
    try:
        return redis_server_binary()
    except RedisUnavailable as exc:
        pytest.skip(f"no real Redis for the shared-crawl tests: {exc}")


class TimedReplay(ReplayServer):
    """The replay site, each request's arrival timed (path, monotonic seconds)."""

    def __init__(self):
        super().__init__()
        self.arrivals: list[tuple[str, float]] = []

    def take_fault(self, path, query):
        with self._lock:
            self.arrivals.append((path, time.monotonic()))
        return super().take_fault(path, query)


@pytest.fixture(scope="module")
def server():
    srv = TimedReplay()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def single_process(server, tmp_path_factory):
    """The articles one local crawl of the replay site stores: URL -> content hash."""
    from newsmon.crawler.runner import run_crawl

    server.clear_faults()
    db = tmp_path_factory.mktemp("single") / "single.db"
    result = run_crawl(replay_config(server.base_url, db), SPIDER)
    assert result.status == "ok", result
    articles = {a["url"]: a["content_hash"] for a in stored(db)}
    assert len(articles) == len(expected_rows(SPIDER))
    return articles, result


class Cluster:
    """One Redis, a database, and newsmon processes: coordinator, workers, writer."""

    def __init__(self, redis: LocalRedis, server, tmp: Path, *, delay: float = 0.01):
        self.redis, self.server, self.tmp = redis, server, tmp
        self.db = tmp / "cluster.db"
        self.config = tmp / "fast.toml"
        self.config.write_text(
            FAST.replace("download_delay = 0.01", f"download_delay = {delay}"), encoding="utf-8"
        )
        #: the database path workers are given: they must never create it
        self.worker_db = tmp / "workers-never-write-here" / "x.db"
        self.procs: list[subprocess.Popen] = []

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
        env["NEWSMON_BASE_URL"] = self.server.base_url
        env["NEWSMON_PROGRESS"] = "0"
        return env

    def newsmon(self, *args: str, db: Path | None = None, log: str) -> subprocess.Popen:
        cmd = [NEWSMON, "--db", str(db or self.db), "--config", str(self.config), *args]
        out = open(self.tmp / f"{log}.log", "w")  # noqa: SIM115 - the child's
        proc = subprocess.Popen(cmd, env=self.env(), stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.procs.append(proc)
        return proc

    def seed(self) -> None:
        proc = self.newsmon("crawl", SPIDER, "--redis", self.redis.url, log="seed")
        assert proc.wait(timeout=PROCESS_TIMEOUT) == 0, self.log("seed")

    def worker(self, n: int) -> subprocess.Popen:
        return self.newsmon(
            "worker",
            SPIDER,
            "--redis",
            self.redis.url,
            "--exit-when-idle",
            "--heartbeat-ttl",
            HEARTBEAT_TTL,
            db=self.worker_db,
            log=f"worker{n}",
        )

    def writer(self) -> subprocess.Popen:
        return self.newsmon("store", "--redis", self.redis.url, "--exit-when-idle", log="writer")

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.tmp.glob("*.log"))

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]

    def client(self):
        from newsmon.crawler import cluster

        return cluster.connect(self.redis.url)

    def status(self) -> dict:
        from newsmon.crawler import cluster

        return cluster.cluster_status(self.client(), [SPIDER])[0]

    def wait_for(self, condition, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}: {self.status()}")

    def finish(self, *procs: subprocess.Popen) -> None:
        for proc in procs:
            name = f"pid {proc.pid}"
            assert proc.wait(timeout=PROCESS_TIMEOUT) == 0, (name, self.logs())

    def logs(self) -> str:
        return "\n".join(
            f"== {p.name}\n{p.read_text(errors='replace')[-1500:]}"
            for p in sorted(self.tmp.glob("*.log"))
        )

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def articles(self) -> list[dict]:
        return stored(self.db) if self.db.exists() else []

    def run(self) -> dict:
        from newsmon.db import connect
        from newsmon.db.crawl import load_crawl_runs

        db = connect(self.db)
        try:
            return load_crawl_runs(db, SPIDER)[0]
        finally:
            db.conn.close()


@pytest.fixture
def make_cluster(redis_binary, server, tmp_path):
    made = []

    def make(*, persist: bool = False, delay: float = 0.01) -> Cluster:
        redis = LocalRedis(persist=persist).start()
        cluster = Cluster(redis, server, tmp_path, delay=delay)
        made.append(cluster)
        return cluster

    server.clear_faults()
    yield make
    server.clear_faults()
    for cluster in made:
        cluster.stop_all()
        cluster.redis.close()


def lost_and_duplicated(cluster: Cluster, expected: dict[str, str]) -> tuple[set, list]:
    urls = [a["url"] for a in cluster.articles()]
    lost = set(expected) - set(urls)
    duplicated = sorted({u for u in urls if urls.count(u) > 1})
    return lost, duplicated


def slow_articles(server, delay: float = 1.0) -> None:
    """Every article page answers after delay seconds: the crawl lasts long enough for a
    fault to strike in the middle of it."""
    for row in expected_rows(SPIDER):
        server.set_fault(row["live_url"], "slow", delay=delay)


#: the per-host delay of the acceptance crawl: held by both workers together
CLUSTER_DELAY = 0.3


def test_two_workers_and_a_writer_store_what_one_process_stores(
    make_cluster, single_process, server
):
    expected, local = single_process
    cluster = make_cluster(delay=CLUSTER_DELAY)
    cluster.seed()
    start = len(server.arrivals)
    workers = [cluster.worker(1), cluster.worker(2)]
    writer = cluster.writer()
    cluster.finish(*workers, writer)
    # politeness across the cluster: the requests to one host came the delay apart
    by_host: dict[str, list[float]] = {}
    for path, at in server.arrivals[start:]:
        by_host.setdefault(path.split("/")[1], []).append(at)
    busiest = max(by_host.values(), key=len)
    assert len(busiest) >= 5, by_host
    span = busiest[-1] - busiest[0]
    assert span >= (len(busiest) - 1) * CLUSTER_DELAY * 0.9, (span, by_host)
    got = {a["url"]: a["content_hash"] for a in cluster.articles()}
    assert got == expected
    assert lost_and_duplicated(cluster, expected) == (set(), [])
    run = cluster.run()
    assert run["status"] == "ok", run
    for key in ("pages", "new", "updated", "unchanged", "failed"):
        assert run[key] == local.counts[key], (key, run, local.counts)
    assert cluster.status()["state"] == "stored"
    assert not cluster.worker_db.parent.exists(), "a worker created the database"


def test_a_second_shared_crawl_fetches_no_stored_article(make_cluster, single_process, server):
    expected, _ = single_process
    cluster = make_cluster()
    cluster.seed()
    cluster.finish(cluster.worker(1), cluster.writer())
    before = len(server.hits)
    # the coordinator waits for the crawl to be stored and reports its run, as a local crawl
    first = cluster.status()["crawl"]
    waiting = cluster.newsmon("crawl", SPIDER, "--redis", cluster.redis.url, "--wait", log="wait")
    cluster.wait_for(
        lambda: cluster.status()["crawl"] != first and cluster.status()["state"] == "running",
        "the second crawl seeded",
    )
    cluster.finish(cluster.worker(3), cluster.writer(), waiting)
    assert f"{SPIDER}: ok; 2 pages, 0 new, 0 updated, 0 unchanged, 0 failed" in cluster.log("wait")
    second = server.hits[before:]
    article_paths = {server.path_for(r["live_url"]) for r in expected_rows(SPIDER)}
    assert not article_paths & {h.path for h in second}, "a stored article was fetched again"
    run = cluster.run()
    assert run["status"] == "ok" and run["new"] == 0, run
    assert run["stats"].get("skipped_known") == len(expected), run
    assert lost_and_duplicated(cluster, expected) == (set(), [])


def _holding_worker(cluster: Cluster, procs: list[subprocess.Popen]):
    """A worker process that holds requests under way, if any."""
    from newsmon.crawler import cluster as shared

    client = cluster.client()
    for worker in client.smembers(shared.workers_key(SPIDER)):
        name = worker.decode()
        if client.hlen(shared.inflight_prefix(SPIDER) + name):
            pid = int(name.split(":")[1])
            for proc in procs:
                if proc.pid == pid and proc.poll() is None:
                    proc.worker_id = name
                    return proc
    return None


def test_worker_killed_mid_crawl(make_cluster, single_process, server):
    expected, _ = single_process
    cluster = make_cluster()
    slow_articles(server)
    cluster.seed()
    workers = [cluster.worker(1), cluster.worker(2)]
    writer = cluster.writer()
    victim = []
    cluster.wait_for(
        lambda: (p := _holding_worker(cluster, workers)) and victim.append(p) is None,
        "a worker holding requests",
    )
    victim[0].send_signal(signal.SIGKILL)
    victim[0].wait()
    survivors = [w for w in workers if w is not victim[0]]
    cluster.finish(*survivors, writer)
    lost, duplicated = lost_and_duplicated(cluster, expected)
    print(f"worker killed: {len(lost)} lost, {len(duplicated)} duplicated")
    assert (lost, duplicated) == (set(), [])
    assert {a["url"]: a["content_hash"] for a in cluster.articles()} == expected
    assert "of a lost worker put back on the queue" in cluster.log_text(), cluster.logs()


def test_redis_restarted_mid_crawl(make_cluster, single_process, server):
    expected, _ = single_process
    cluster = make_cluster(persist=True)
    slow_articles(server)
    cluster.seed()
    workers = [cluster.worker(1), cluster.worker(2)]
    writer = cluster.writer()
    cluster.wait_for(lambda: cluster.status()["in_flight"] > 0, "requests under way")
    cluster.redis.restart(down_s=1.5)
    cluster.finish(*workers, writer)
    lost, duplicated = lost_and_duplicated(cluster, expected)
    print(f"Redis restarted: {len(lost)} lost, {len(duplicated)} duplicated")
    assert (lost, duplicated) == (set(), [])
    assert {a["url"]: a["content_hash"] for a in cluster.articles()} == expected
    assert cluster.status()["state"] == "stored"


def test_writer_down_for_a_while(make_cluster, single_process, server):
    """The writer starts only after the crawl; meanwhile one worker is stopped (SIGTERM)
    while it holds requests, and hands them back at once."""
    expected, local = single_process
    cluster = make_cluster()
    slow_articles(server, delay=0.5)
    cluster.seed()
    workers = [cluster.worker(1), cluster.worker(2)]
    stopped = []
    cluster.wait_for(
        lambda: (p := _holding_worker(cluster, workers)) and stopped.append(p) is None,
        "a worker holding requests",
    )
    stopped[0].send_signal(signal.SIGTERM)
    assert stopped[0].wait(timeout=30) == 0
    # it finished what it held or handed it back: nothing waits for its heartbeat to lapse
    from newsmon.crawler import cluster as shared

    client = cluster.client()
    assert not client.exists(shared.inflight_prefix(SPIDER) + stopped[0].worker_id)
    assert not client.sismember(shared.workers_key(SPIDER), stopped[0].worker_id)
    cluster.finish(*workers)
    state = cluster.status()
    assert state["state"] == "finished" and state["stream"] > 0, state
    assert len(cluster.articles()) == 0  # everything waits in Redis
    cluster.finish(cluster.writer())
    lost, duplicated = lost_and_duplicated(cluster, expected)
    print(f"writer down: {len(lost)} lost, {len(duplicated)} duplicated")
    assert (lost, duplicated) == (set(), [])
    assert cluster.run()["new"] == local.counts["new"]
    state = cluster.status()
    assert state["state"] == "stored" and state["stream"] == 0, state


def test_cluster_rate_limit_holds_for_all_clients(redis_binary):
    """The per-host turn script: however many clients ask at once, two requests to one
    host start at least the delay apart, and no more than the concurrency are under way."""
    from newsmon.crawler import cluster

    with LocalRedis() as redis:
        clients = [cluster.connect(redis.url) for _ in range(4)]
        scripts = [c.register_script(cluster.TURN_LUA) for c in clients]
        keys = [cluster.limit_key("example.com"), cluster.busy_key("example.com")]
        granted = []
        deadline = time.monotonic() + 1.2
        while time.monotonic() < deadline:
            for i, script in enumerate(scripts):
                if script(keys=keys, args=[100, 1000, f"t{i}-{len(granted)}", 60000]) == 0:
                    granted.append(time.monotonic())
            time.sleep(0.002)
        gaps = [b - a for a, b in zip(granted, granted[1:], strict=False)]
        assert 10 <= len(granted) <= 13, granted
        assert min(gaps) >= 0.09, gaps
        # concurrency: with a lease per request and none released, a limit of 2 holds
        redis_keys = [cluster.limit_key("b.example"), cluster.busy_key("b.example")]
        answers = [scripts[0](keys=redis_keys, args=[0, 2, f"l{i}", 60000]) for i in range(4)]
        assert [a == 0 for a in answers] == [True, True, False, False]


def test_items_cross_redis_unchanged():
    from newsmon.crawler import cluster
    from newsmon.crawler.extract.record import ArticleRecord, Link
    from newsmon.crawler.items import ArticleItem, FailureItem, RawResponse

    record = ArticleRecord(url="https://a.example/1", site="a", title="标题", text="正文")
    record.attachments.append(Link("https://a.example/1.pdf", "附件"))
    record.missing["author"] = "none on the page"
    item = ArticleItem(
        record,
        raw=RawResponse("https://a.example/1", 200, {"Content-Type": "text/html"}, b"\x00\xff<p>"),
        problems=[("store", "x")],
    )
    back = cluster.unpack(cluster.pack(item))
    assert back.record == record and back.raw == item.raw
    assert [tuple(p) for p in back.problems] == item.problems
    failure = FailureItem("https://a.example/2", "HTTP 500", status=500)
    assert cluster.unpack(cluster.pack(failure)) == failure
    with pytest.raises(ValueError):
        cluster.decode_value({"__dc__": "os:system"})
