"""Run one spider in a child process and report its crawl_runs row.

Twisted's reactor cannot be restarted within a process, and the scheduler crawls again
and again, so every crawl runs in a fresh `python -m newsmon.crawler.runner SPIDER`; the run's
crawl_runs row (written by the pipelines) decides the outcome. Plain `scrapy crawl`
exits 0 even when pages failed: CrawlResult.ok does not.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsmon.config import SPIDERS, Config

logger = logging.getLogger(__name__)

#: lines of the child's log kept for the result (shown when a run fails)
LOG_TAIL = 40
#: seconds between two reports to on_progress while the crawl runs
PROGRESS_INTERVAL_S = 1.0
#: what on_progress is given: these counters (ints) and the run's status
PROGRESS_KEYS = ("pages", "new", "updated", "unchanged", "failed")


@dataclass
class CrawlResult:
    spider: str
    status: str  # ok | partial | failed | interrupted | error (no run was recorded)
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    returncode: int = 0
    log_tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> str:
        c = self.counts
        return (
            f"{self.spider}: {self.status}; {c.get('pages', 0)} pages, {c.get('new', 0)} new, "
            f"{c.get('updated', 0)} updated, {c.get('unchanged', 0)} unchanged, "
            f"{c.get('failed', 0)} failed"
        )


def progress_counts(run: dict[str, Any]) -> dict[str, Any]:
    """What on_progress is given of a crawl_runs row: PROGRESS_KEYS as ints, and status."""
    counts: dict[str, Any] = {k: int(run.get(k) or 0) for k in PROGRESS_KEYS}
    counts["status"] = run.get("status") or "running"
    return counts


def _pump(stream, tail: deque[str], log, echo: bool) -> None:
    """Copy the child's log: kept tail, optional file, optional stderr."""
    for line in stream:
        tail.append(line.rstrip("\n"))
        if log:
            log.write(line)
        if echo:
            sys.stderr.write(line)


def run_crawl(
    config: Config,
    spider: str,
    refresh: bool = False,
    *,
    timeout: float | None = None,
    settings: dict[str, Any] | None = None,
    log_file: str | os.PathLike | None = None,
    echo_log: bool = False,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> CrawlResult:
    """Crawl with spider in a subprocess, using exactly this configuration.

    on_progress, if given, is called about every PROGRESS_INTERVAL_S seconds while the
    crawl runs, and once when it has ended, with the run's counts as its crawl_runs
    row has them so far: ``{"pages", "new", "updated", "unchanged", "failed"}`` (ints)
    and ``"status"`` ("running", then the run's final status). It is not called before
    the crawl has opened its run. A callback that raises is logged and not called again.
    """
    if spider not in SPIDERS:
        raise ValueError(f"unknown spider {spider!r}; expected one of {', '.join(SPIDERS)}")
    if config.source(spider).get("enabled") is False:
        raise ValueError(
            f"spider {spider!r} is disabled in the configuration (sources.{spider}.enabled)"
        )
    from newsmon.db import connect
    from newsmon.db.crawl import crawl_run_after, interrupt_crawl_run, last_crawl_run_id

    # the child runs elsewhere: a relative database path must mean the same file there
    db_path = str(Path(config.db_path).resolve())
    data = json.loads(json.dumps(config.data))
    data["database"]["path"] = db_path
    db = connect(db_path)
    try:
        before = last_crawl_run_id(db, spider)
    finally:
        db.conn.close()
    report = _ProgressReporter(db_path, spider, before, on_progress) if on_progress else None
    with tempfile.TemporaryDirectory(prefix="newsmon-crawl-") as tmp:
        frozen = Path(tmp) / "config.json"
        frozen.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        env = dict(os.environ)
        env["NEWSMON_CONFIG_JSON"] = str(frozen)
        env["SCRAPY_SETTINGS_MODULE"] = "newsmon.crawler.settings"
        env["PYTHONUNBUFFERED"] = "1"
        # -P: the working directory is not put on sys.path, so nothing there shadows newsmon
        cmd = [sys.executable, "-P", "-m", "newsmon.crawler.runner", spider]
        if refresh:
            cmd.append("--refresh")
        for key, value in (settings or {}).items():
            cmd += ["--set", f"{key}={value}"]
        tail: deque[str] = deque(maxlen=LOG_TAIL)
        log = open(log_file, "a", encoding="utf-8") if log_file else None  # noqa: SIM115
        try:
            proc = subprocess.Popen(
                cmd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
            reader = threading.Thread(
                target=_pump, args=(proc.stdout, tail, log, echo_log), daemon=True
            )
            reader.start()
            try:
                returncode = _wait(proc, timeout, report)
            except subprocess.TimeoutExpired:
                proc.kill()
                returncode = proc.wait()
                tail.append(f"killed after {timeout}s")
            reader.join(timeout=10)
        finally:
            if log:
                log.close()
            if report is not None:
                report.close()
    db = connect(db_path)
    try:
        run = crawl_run_after(db, spider, before)
        if run is None:
            return CrawlResult(
                spider,
                "error",
                reason=f"the crawl process exited with {returncode} before recording a run",
                returncode=returncode,
                log_tail=list(tail),
            )
        if run["status"] == "running":  # the child died without closing its run
            reason = f"the crawl process exited with {returncode}"
            if interrupt_crawl_run(db, run["id"], reason):
                run["status"], run["reason"] = "interrupted", reason
            else:  # closed in the meantime: its own word stands
                run = crawl_run_after(db, spider, before) or run
    finally:
        db.conn.close()
    if report is not None:
        report.final(run)
    counts = {
        k: int(run.get(k) or 0)
        for k in ("pages", "new", "updated", "unchanged", "failed", "refetched")
    }
    return CrawlResult(
        spider=spider,
        status=run["status"],
        run_id=run["id"],
        counts=counts,
        errors=run.get("errors") or [],
        stats=run.get("stats") or {},
        reason=run.get("reason"),
        returncode=returncode,
        log_tail=list(tail),
    )


class _ProgressReporter:
    """Reads the crawl's crawl_runs row (through newsmon.db) and hands it to on_progress."""

    def __init__(self, db_path: str, spider: str, before: int, callback):
        self.db_path, self.spider, self.before = db_path, spider, before
        self.callback = callback
        self.db = None

    def _call(self, run: dict[str, Any]) -> None:
        if self.callback is None:
            return
        try:
            self.callback(progress_counts(run))
        except Exception:  # a broken display must not break the crawl
            logger.exception("on_progress failed; no more progress is reported")
            self.callback = None

    def __call__(self) -> None:
        """Report the run as it stands, once the child has opened it."""
        from newsmon.db import connect
        from newsmon.db.crawl import crawl_run_after

        if self.callback is None:
            return
        try:
            if self.db is None:
                self.db = connect(self.db_path, migrate=False)
            run = crawl_run_after(self.db, self.spider, self.before)
        except Exception:  # busy or unreadable for a moment: the next tick tries again
            logger.debug("crawl progress not readable", exc_info=True)
            return
        if run is not None:
            self._call(run)

    def final(self, run: dict[str, Any]) -> None:
        self._call(run)

    def close(self) -> None:
        if self.db is not None:
            self.db.conn.close()
            self.db = None


def _wait(proc: subprocess.Popen, timeout: float | None, report) -> int:
    """proc.wait(timeout), reporting progress every PROGRESS_INTERVAL_S meanwhile."""
    if report is None:
        return proc.wait(timeout=timeout)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        step = PROGRESS_INTERVAL_S
        if deadline is not None:
            step = min(step, max(0.0, deadline - time.monotonic()))
        try:
            return proc.wait(timeout=step)
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() >= deadline:
                raise
        report()


def main(argv: list[str] | None = None) -> int:
    """python -m newsmon.crawler.runner SPIDER [--refresh] [--set NAME=VALUE ...] (in-process crawl)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m newsmon.crawler.runner")
    parser.add_argument("spider", choices=SPIDERS)
    parser.add_argument("--refresh", action="store_true", help="fetch stored articles again")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsmon.crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for item in args.set:
        name, _, value = item.partition("=")
        settings.set(name, value, priority="cmdline")
    if args.refresh:
        settings.set("NEWSMON_REFRESH", True, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(args.spider)
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
