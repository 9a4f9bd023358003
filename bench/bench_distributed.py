"""Benchmark of shared crawls: 1, 2 and 4 workers (and one writer) on a real Redis against
the replay site answering every request after a fixed latency, so the work is
network-bound as it is in life.

    python bench/bench_distributed.py            # 160 pages, 3 repetitions
    python bench/bench_distributed.py --quick    # 40 pages, 1 repetition (run_all --quick)

The site: the replay site plus one constructed Atom feed on www.kepu.gov.cn listing
--pages articles, each a copy of the recorded kepu.gov.cn article with its own title
and text (the generic feed spider reads them with the generic parser).

Politeness off (no delay, AutoThrottle off, the cluster limit off; each worker fetches
--concurrency pages at once): pages/s of article fetches (first to last request at the
site), and the scaling ratio against one worker; also seconds from seeding to the run
stored. Medians over --repeats runs.

Politeness on ([crawl] download_delay --delay, concurrent_per_domain 2, the cluster
limit on), 4 workers: the measured request rate to the one host against the configured
limit (1 / delay), the shortest gap between two requests, and the same 4 workers with
only each worker's own delay (the cluster limit off), which is what the shared limit
prevents.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from newsmon.crawler import cluster
from newsmon.crawler.cluster_local import LocalRedis
from newsmon.crawler.replay import Fault, ReplayServer
from newsmon.crawler.replay.routes import Route, build_routes

NEWSMON = str(Path(sys.executable).with_name("newsmon"))
HOST = "www.kepu.gov.cn"
FEED_URL = f"http://{HOST}/feed/bench.xml"
TEMPLATE_URL = "http://www.kepu.gov.cn/politics/2023-12/01/content_1755244.html"


class LatencyReplay(ReplayServer):
    """The replay site, every page answered after `latency` seconds (the "slow" fault on
    every request), each hit timed."""

    def __init__(self, latency: float, routes: dict):
        super().__init__(routes=routes)
        self.latency = latency
        self.times: list[tuple[float, str]] = []
        self._times_lock = threading.Lock()

    def take_fault(self, path, query):
        with self._times_lock:
            self.times.append((time.monotonic(), path))
        return super().take_fault(path, query) or Fault("slow", delay=self.latency)

    def reset(self) -> None:
        with self._times_lock:
            self.times.clear()


def bench_routes(pages: int) -> dict:
    """The replay routes plus the bench feed and its article copies."""
    routes = build_routes()
    template = routes[(HOST, "/politics/2023-12/01/content_1755244.html")]
    html = template.body.decode("utf-8")
    entries = []
    for i in range(pages):
        url = f"http://{HOST}/bench/2023-12/01/content_{i:06d}.html"
        body = re.sub(
            r"<title>(.*?)</title>", rf"<title>\1 #{i}</title>", html, count=1, flags=re.S
        )
        body = body.replace("</p>", f" 第{i}篇。</p>", 1)
        route = Route(url, body.encode("utf-8"), template.content_type, "bench")
        routes[route.key] = route
        entries.append(
            f'<entry><title>bench {i}</title><link href="{url}"/><id>{url}</id>'
            f"<updated>2023-12-01T06:43:00Z</updated></entry>"
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>bench</title><id>{FEED_URL}</id><updated>2023-12-01T06:43:00Z</updated>"
        + "".join(entries)
        + "</feed>"
    )
    route = Route(FEED_URL, feed.encode("utf-8"), "application/atom+xml; charset=utf-8", "bench")
    routes[route.key] = route
    return routes


def config_text(*, polite: bool, delay: float, concurrency: int) -> str:
    per_domain = 2 if polite else concurrency
    return f"""
[crawl]
download_delay = {delay if polite else 0}
concurrent_per_domain = {per_domain}
timeout_s = 30
retries = 1

[sources.feed]
feeds = ["{FEED_URL}"]
"""


def run_once(server, tmp: Path, workers: int, *, polite: bool, limit: bool, args) -> dict:
    """One shared crawl of the bench feed: seed, N workers and a writer; figures."""
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "bench.toml").write_text(
        config_text(polite=polite, delay=args.delay, concurrency=args.concurrency), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env.update(NEWSMON_BASE_URL=server.base_url, NEWSMON_PROGRESS="0")
    base = [NEWSMON, "--db", str(tmp / "bench.db"), "--config", str(tmp / "bench.toml")]
    with LocalRedis() as redis:
        server.reset()
        started = time.monotonic()
        subprocess.run(
            [*base, "crawl", "feed", "--redis", redis.url],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        sets = ["-s", f"CONCURRENT_REQUESTS={args.concurrency}"]
        if not polite:
            sets += ["-s", "AUTOTHROTTLE_ENABLED=False"]
        if not limit:
            sets += ["-s", "NEWSMON_CLUSTER_POLITE=False"]
        procs = [
            subprocess.Popen(
                [*base, "worker", "feed", "--redis", redis.url, "--exit-when-idle", *sets],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp / f"worker{i}.log", "w"),
            )
            for i in range(workers)
        ]
        procs.append(
            subprocess.Popen(
                [*base, "store", "--redis", redis.url, "--exit-when-idle"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp / "writer.log", "w"),
            )
        )
        for proc in procs:
            if proc.wait(timeout=900) != 0:
                raise RuntimeError(f"a process failed; see {tmp}")
        stored_s = time.monotonic() - started
        state = cluster.crawl_state(cluster.connect(redis.url), "feed")
    hits = sorted(t for t, path in server.times if path.startswith(f"/{HOST}/bench/"))
    if len(hits) < args.pages:
        raise RuntimeError(f"only {len(hits)} of {args.pages} pages fetched; see {tmp}")
    window = hits[-1] - hits[0]
    gaps = [b - a for a, b in zip(hits, hits[1:], strict=False)]
    return {
        "pages": len(hits),
        "pages_per_s": (len(hits) - 1) / window if window > 0 else float("inf"),
        "stored_s": stored_s,
        "min_gap_s": min(gaps) if gaps else 0.0,
        "median_gap_s": statistics.median(gaps) if gaps else 0.0,
        "state": state.get("state"),
    }


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=160)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per response")
    parser.add_argument("--concurrency", type=int, default=2, help="pages at once per worker")
    parser.add_argument("--delay", type=float, default=0.25, help="politeness: seconds per host")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--quick", action="store_true", help="40 pages, 1 repetition")
    args = parser.parse_args(argv)
    if args.quick:
        args.pages, args.repeats = 40, 1
    server = LatencyReplay(args.latency, bench_routes(args.pages))
    server.start()
    tmp = Path(tempfile.mkdtemp(prefix="newsmon-bench-distributed-"))
    try:
        print(
            f"{args.pages} pages, {args.latency}s latency each, {args.concurrency} at once per "
            f"worker, medians of {args.repeats}"
        )
        print("politeness off:")
        base = None
        for n in args.workers:
            runs = [
                run_once(server, tmp / "run", n, polite=False, limit=False, args=args)
                for _ in range(args.repeats)
            ]
            rate = median(runs, "pages_per_s")
            base = base or rate
            print(
                f"  {n} worker(s): {rate:6.1f} pages/s (x{rate / base:.2f} of "
                f"{args.workers[0]}), "
                f"{median(runs, 'stored_s'):5.1f}s from seeding to the run stored"
            )
        limit = 1 / args.delay
        n = max(args.workers)
        print(f"politeness on ({args.delay}s per host, 2 at once), {n} workers:")
        for shared in (True, False):
            runs = [
                run_once(server, tmp / "run", n, polite=True, limit=shared, args=args)
                for _ in range(args.repeats)
            ]
            rate, gap = median(runs, "pages_per_s"), min(r["min_gap_s"] for r in runs)
            typical = median(runs, "median_gap_s")
            label = "cluster limit on " if shared else "each worker alone"
            verdict = "within" if rate <= limit * 1.02 else "OVER"
            print(
                f"  {label}: {rate:5.2f} requests/s to {HOST} against a limit of "
                f"{limit:.2f}/s ({verdict}); gaps between requests: median {typical:.3f}s, "
                f"shortest {gap:.3f}s"
            )
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
