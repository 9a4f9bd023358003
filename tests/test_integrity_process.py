"""Stopping `newsmon crawl` in any way stops its crawler child; a run whose process is gone
is marked interrupted at the next start of any crawl; nothing is left in the temp folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from newsmon.crawler.replay import replay_server
from newsmon.crawler.runner import run_crawl
from newsmon.db import connect
from newsmon.db.crawl import (
    HEARTBEAT_STALE_S,
    load_crawl_runs,
    process_alive,
    start_crawl_run,
)
from replay_harness import expected_rows, replay_config

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

FAST = """
[crawl]
download_delay = 0.01
timeout_s = 60
retries = 0
frontier_backoff_s = 0
"""


def crawler_children(parent: int) -> list[int]:
    """Processes running newsmon.crawler.runner whose parent is parent."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"newsmon.crawler.runner" in cmdline:
            out.append(int(entry.name))
    return out


def crawler_processes(db_path: str) -> list[int]:
    """Crawler processes whose configuration names this database (any parent)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"newsmon.crawler.runner" in cmdline and db_path.encode() in environ:
            out.append(int(entry.name))
    return out


def wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def runs(db_path):
    db = connect(db_path)
    try:
        return load_crawl_runs(db)
    finally:
        db.conn.close()


@pytest.fixture
def slow_site():
    """The replay with Sina's articles answering after 1.5 s each, two at a time: a crawl
    that lasts, whose requests in flight end soon after it is told to stop."""
    with replay_server() as server:
        for row in expected_rows("sina"):
            server.set_fault(row["live_url"], "slow", delay=1.5)
        yield server


def start_crawl_command(server, tmp_path, spider="sina"):
    conf = tmp_path / "fast.toml"
    conf.write_text(FAST, encoding="utf-8")
    db = tmp_path / "x.db"
    env = {**os.environ, "NEWSMON_BASE_URL": server.base_url, "NEWSMON_PROGRESS": "0"}
    env.pop("NEWSMON_CONFIG", None)
    env["NEWSMON_DB"] = str(db)
    args = [sys.executable, "-P", "-m", "newsmon.cli", "--config", str(conf), "crawl", spider]
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    child = wait_for(lambda: crawler_children(proc.pid), 30)
    assert child, "the crawl process did not start"
    assert wait_for(lambda: db.exists() and any(r["status"] == "running" for r in runs(db)), 30)
    return proc, child[0], db


def test_sigkill_of_the_command_ends_its_crawl_and_the_next_crawl_marks_the_run(
    slow_site, tmp_path
):
    proc, child, db = start_crawl_command(slow_site, tmp_path)
    proc.kill()
    proc.wait()
    assert wait_for(lambda: not process_alive(child), 25), "the crawler outlived its parent"
    (run,) = runs(db)
    if run["status"] == "running":  # it died before closing its run: the next start closes it
        slow_site.clear_faults()
        config = replay_config(slow_site.base_url, db)
        assert run_crawl(config, "feed").ok  # another spider's crawl
        run = [r for r in runs(db) if r["spider"] == "sina"][0]
    assert run["status"] == "interrupted" and run["ended_at"]


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_the_command_stops_the_crawl_and_closes_its_run(slow_site, tmp_path, sig, code):
    proc, child, db = start_crawl_command(slow_site, tmp_path)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=40)
    assert proc.returncode == code, err
    assert not process_alive(child)
    (run,) = runs(db)
    assert run["status"] == "interrupted", run
    assert "Traceback" not in err


def test_a_timeout_kills_the_crawl_process(slow_site, tmp_path):
    config = replay_config(slow_site.base_url, tmp_path / "x.db", crawl={"timeout_s": 60})
    result = run_crawl(config, "sina", timeout=6)
    assert result.status == "interrupted" and result.pid
    assert not process_alive(result.pid)
    assert not crawler_processes(str(Path(config.db_path).resolve()))


def test_a_crawl_leaves_no_temporary_files(slow_site, tmp_path):
    tmp = Path(tempfile.gettempdir())
    before = {p.name for p in tmp.glob("newsmon-*")}
    proc, child, db = start_crawl_command(slow_site, tmp_path)
    proc.kill()
    proc.wait()
    wait_for(lambda: not process_alive(child), 25)
    slow_site.clear_faults()
    assert run_crawl(replay_config(slow_site.base_url, db), "sina").ok
    assert {p.name for p in tmp.glob("newsmon-*")} <= before


# --- runs whose process is gone -------------------------------------------------------------


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_run_whose_process_is_gone_is_interrupted_when_any_crawl_starts(tmp_db):
    gone = start_crawl_run(tmp_db, "sina", pid=dead_pid())
    alive = start_crawl_run(tmp_db, "gov_cn")  # this process: alive
    start_crawl_run(tmp_db, "ithome")
    by_id = {r["id"]: r for r in load_crawl_runs(tmp_db)}
    assert by_id[gone]["status"] == "interrupted"
    assert "gone" in by_id[gone]["reason"]
    assert by_id[alive]["status"] == "running"


def test_a_run_without_a_heartbeat_for_long_is_interrupted(tmp_db):
    old = start_crawl_run(tmp_db, "sina", now="2020-01-01T00:00:00Z")
    start_crawl_run(tmp_db, "ithome")
    (run,) = [r for r in load_crawl_runs(tmp_db) if r["id"] == old]
    assert run["status"] == "interrupted" and HEARTBEAT_STALE_S < 3600
