"""Run one spider in a child process and report its crawl_runs row.

Twisted's reactor cannot be restarted within a process, and the scheduler crawls again
and again, so every crawl runs in a fresh `python -m newsmon.crawler.runner SPIDER`; the run's
crawl_runs row (written by the pipelines) decides the outcome. Plain `scrapy crawl`
exits 0 even when pages failed: CrawlResult.ok does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsmon.config import SPIDERS, Config

#: lines of the child's log kept for the result (shown when a run fails)
LOG_TAIL = 40


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


def _last_run_id(db_path: str, spider: str) -> int:
    from newsmon.db import connect

    db = connect(db_path)
    try:
        row = db.execute("select max(id) from crawl_runs where spider = ?", [spider]).fetchone()
        return int(row[0] or 0)
    finally:
        db.conn.close()


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
) -> CrawlResult:
    """Crawl with spider in a subprocess, using exactly this configuration."""
    if spider not in SPIDERS:
        raise ValueError(f"unknown spider {spider!r}; expected one of {', '.join(SPIDERS)}")
    if config.source(spider).get("enabled") is False:
        raise ValueError(
            f"spider {spider!r} is disabled in the configuration (sources.{spider}.enabled)"
        )
    from newsmon.db import connect
    from newsmon.db.crawl import load_crawl_runs

    # the child runs elsewhere: a relative database path must mean the same file there
    db_path = str(Path(config.db_path).resolve())
    data = json.loads(json.dumps(config.data))
    data["database"]["path"] = db_path
    before = _last_run_id(db_path, spider)
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
                returncode = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                returncode = proc.wait()
                tail.append(f"killed after {timeout}s")
            reader.join(timeout=10)
        finally:
            if log:
                log.close()
    db = connect(db_path)
    try:
        runs = [r for r in load_crawl_runs(db, spider, limit=5) if r["id"] > before]
        if not runs:
            return CrawlResult(
                spider,
                "error",
                reason=f"the crawl process exited with {returncode} before recording a run",
                returncode=returncode,
                log_tail=list(tail),
            )
        run = runs[-1]
        if run["status"] == "running":  # the child died without closing its run
            db.execute(
                "update crawl_runs set status = 'interrupted', ended_at = datetime('now'), "
                "reason = ? where id = ?",
                [f"the crawl process exited with {returncode}", run["id"]],
            )
            db.conn.commit()
            run["status"] = "interrupted"
            run["reason"] = f"the crawl process exited with {returncode}"
    finally:
        db.conn.close()
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
