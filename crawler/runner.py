"""Run one spider in a child process and report its crawl_runs row.

Twisted's reactor cannot be restarted within a process, and the scheduler crawls again
and again, so every crawl runs in a fresh `python -m newsmon.crawler.runner SPIDER`; the run's
crawl_runs row (written by the pipelines) decides the outcome. Plain `scrapy crawl`
exits 0 even when pages failed: CrawlResult.ok does not.

The child never outlives its caller. It runs in a process group of its own; SIGINT
or SIGTERM to the caller (Ctrl-C, the scheduler stopping a job) is passed on to it as
one SIGTERM (Scrapy's graceful stop: the run is closed "interrupted"), and after
STOP_GRACE_S it is killed. A timeout kills it. When the caller dies without a word
(SIGKILL), Linux sends the child SIGTERM (PR_SET_PDEATHSIG); elsewhere, and as a
backstop, a watchdog thread in the child sees its parent gone and ends it within
ORPHAN_GRACE_S. The configuration reaches the child through a pipe, so no temporary
file is left behind whatever happens.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
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
#: seconds a stopped crawl gets to close its run before it is killed
STOP_GRACE_S = 15.0
#: seconds an orphaned child (its parent gone) gets to close its run before it exits
ORPHAN_GRACE_S = 15.0
#: the child's environment: its parent's pid (the watchdog), and "-" = config on stdin
PARENT_PID_ENV = "NEWSMON_PARENT_PID"
FROZEN_CONFIG_ENV = "NEWSMON_CONFIG_JSON"


class CrawlStopped(Exception):
    """The caller was asked to stop (SIGTERM) while its crawl ran."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


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
    #: the signal that stopped the caller (SIGINT, SIGTERM), if one did
    stopped_by: int | None = None
    #: the crawl process's id (gone by the time the result is returned)
    pid: int | None = None

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
    from newsmon.db.crawl import (
        check_writable,
        crawl_run_after,
        crawl_run_of_pid,
        interrupt_crawl_run,
        last_crawl_run_id,
    )

    # the child runs elsewhere: a relative database path must mean the same file there
    db_path = str(Path(config.db_path).resolve())
    busy = int(config["database.busy_timeout_ms"])
    data = json.loads(json.dumps(config.data))
    data["database"]["path"] = db_path
    db = connect(db_path, busy_timeout_ms=busy)
    try:
        check_writable(db, db_path)  # read-only or locked: one clear error, no child
        before = last_crawl_run_id(db, spider)
    finally:
        db.conn.close()
    report = _ProgressReporter(db_path, spider, before, on_progress) if on_progress else None
    env = dict(os.environ)
    env[FROZEN_CONFIG_ENV] = "-"
    env[PARENT_PID_ENV] = str(os.getpid())
    env["SCRAPY_SETTINGS_MODULE"] = "newsmon.crawler.settings"
    env["PYTHONUNBUFFERED"] = "1"
    # -P: the working directory is not put on sys.path, so nothing there shadows newsmon
    cmd = [sys.executable, "-P", "-m", "newsmon.crawler.runner", spider]
    if refresh:
        cmd.append("--refresh")
    for key, value in (settings or {}).items():
        cmd += ["--set", f"{key}={value}"]
    tail: deque[str] = deque(maxlen=LOG_TAIL)
    stopped_by: int | None = None
    log = open(log_file, "a", encoding="utf-8") if log_file else None  # noqa: SIM115
    try:
        with _stop_on_signals() as stop:
            proc = subprocess.Popen(
                cmd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                process_group=0,  # our signals are passed on once, by us
            )
            stop.proc = proc
            reader = threading.Thread(
                target=_pump, args=(proc.stdout, tail, log, echo_log), daemon=True
            )
            try:
                threading.Thread(
                    target=_send_config,
                    args=(proc, json.dumps(data, ensure_ascii=False)),
                    daemon=True,
                ).start()
                reader.start()
                returncode = _wait(proc, timeout, report)
            except subprocess.TimeoutExpired:
                _kill(proc)
                returncode = proc.wait()
                tail.append(f"killed after {timeout}s")
            except (KeyboardInterrupt, CrawlStopped) as exc:
                stopped_by = exc.signum if isinstance(exc, CrawlStopped) else signal.SIGINT
                tail.append(f"stopped by {signal.Signals(stopped_by).name}")
                returncode = _stop(proc, STOP_GRACE_S)
            if reader.is_alive() or reader.ident:
                reader.join(timeout=10)
    finally:
        if log:
            log.close()
        if report is not None:
            report.close()
    db = connect(db_path, busy_timeout_ms=busy)
    try:
        run = crawl_run_of_pid(db, spider, proc.pid, before) or crawl_run_after(db, spider, before)
        if run is None:
            return CrawlResult(
                spider,
                "interrupted" if stopped_by else "error",
                reason=f"the crawl process exited with {returncode} before recording a run",
                returncode=returncode,
                log_tail=list(tail),
                stopped_by=stopped_by,
                pid=proc.pid,
            )
        if run["status"] == "running":  # the child died without closing its run
            reason = f"the crawl process exited with {returncode}"
            if stopped_by:
                reason = f"stopped by {signal.Signals(stopped_by).name}; {reason}"
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
        stopped_by=stopped_by,
        pid=proc.pid,
    )


def _send_config(proc: subprocess.Popen, text: str) -> None:
    """The configuration to the child's stdin (it reads it as it starts)."""
    try:
        proc.stdin.write(text)
        proc.stdin.close()
    except (BrokenPipeError, OSError, ValueError):  # the child is gone already
        pass


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL the child and anything it started."""
    _signal_group(proc, signal.SIGKILL)


def _stop(proc: subprocess.Popen, grace: float) -> int:
    """One SIGTERM (Scrapy closes the run as interrupted), then SIGKILL after grace."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return proc.wait()


class _stop_on_signals:
    """While a crawl runs in the main thread, SIGTERM raises CrawlStopped there (so the
    child is stopped, not left behind); SIGINT raises KeyboardInterrupt as always. A
    second signal while stopping kills the child at once."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.old: dict[int, Any] = {}
        self.stopping = False

    def _handle(self, signum, frame):
        if self.stopping:
            if self.proc is not None:
                _kill(self.proc)
            return
        self.stopping = True
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise CrawlStopped(signum)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, old in self.old.items():
            signal.signal(sig, old)
        return False


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


PR_SET_PDEATHSIG = 1


def _parent_death_signal(sig: int) -> bool:
    """Ask Linux to send sig when the parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def guard_parent() -> None:
    """In the child: end with the parent that started it ($NEWSMON_PARENT_PID).

    SIGTERM on the parent's death (Linux), and a watchdog thread that notices the
    parent gone: it asks for the same graceful stop where prctl is missing, and exits
    ORPHAN_GRACE_S later if the crawl has not ended by then.
    """
    value = os.environ.get(PARENT_PID_ENV, "")
    if not value.isdigit():
        return
    parent = int(value)
    armed = _parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before we could ask
        os._exit(3)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        if not armed:
            os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(ORPHAN_GRACE_S)
        os._exit(3)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """python -m newsmon.crawler.runner SPIDER [--refresh] [--set NAME=VALUE ...] (in-process crawl)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m newsmon.crawler.runner")
    parser.add_argument("spider", choices=SPIDERS)
    parser.add_argument("--refresh", action="store_true", help="fetch stored articles again")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    guard_parent()
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
