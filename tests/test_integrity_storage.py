"""Disk full, read-only or locked database: one line naming the database and what failed,
no traceback, nothing half-written; a raw page that could not be archived is fetched again."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from newsmon.crawler.replay import replay_server
from newsmon.crawler.runner import run_crawl
from newsmon.db import connect
from newsmon.db.crawl import load_crawl_runs, load_raw_pages
from newsmon.db.frontier import frontier_rows
from replay_harness import expected_rows, https, replay_config, stored

SINA_000 = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
FAST = "[crawl]\ndownload_delay = 0.01\ntimeout_s = 5\nretries = 0\nfrontier_backoff_s = 0\n"


def newsmon(db, *args, base_url="http://127.0.0.1:9", config=None):
    env = {**os.environ, "NEWSMON_BASE_URL": base_url, "NEWSMON_PROGRESS": "0"}
    env.pop("NEWSMON_CONFIG", None)
    env.pop("NEWSMON_TRACEBACK", None)
    cmd = [sys.executable, "-P", "-m", "newsmon.cli", "--db", str(db)]
    if config:
        cmd += ["--config", str(config)]
    return subprocess.run(cmd + list(args), env=env, capture_output=True, text=True, timeout=300)


def one_error_line(run, db) -> str:
    """The command failed with exactly one `Error:` line naming the database."""
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(db) in errors[0], run.stderr
    return errors[0]


def sina_urls():
    return {https(r["live_url"]) for r in expected_rows("sina")}


@pytest.fixture
def tmpfs(tmp_path):
    """A small file system of its own (needs root to mount; skipped otherwise)."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)])
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(folder: Path, leave: int) -> Path:
    stat = os.statvfs(folder)
    filler = folder / "filler"
    with filler.open("wb") as f:
        f.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))
    return filler


def test_a_disk_full_in_the_middle_of_a_crawl(tmpfs, tmp_path):
    db = tmpfs / "x.db"
    conf = tmp_path / "fast.toml"
    conf.write_text(FAST, encoding="utf-8")
    made = connect(db)
    made.execute("pragma wal_checkpoint(truncate)")
    made.conn.close()
    filler = fill(tmpfs, 400_000)
    with replay_server() as server:
        full = newsmon(db, "crawl", "sina", base_url=server.base_url, config=conf)
        assert "disk is full" in one_error_line(full, db)
        filler.unlink()
        check = connect(db)
        assert check.execute("pragma integrity_check").fetchall() == [("ok",)]
        check.execute("insert into articles_fts(articles_fts) values ('integrity-check')")
        half = stored(db)
        assert all(a["title"] and a["text"] for a in half)  # nothing half-written
        check.conn.close()
        again = newsmon(db, "crawl", "sina", base_url=server.base_url, config=conf)
    assert again.returncode == 0, again.stdout + again.stderr
    assert {a["url"] for a in stored(db)} == sina_urls()
    check = connect(db)
    raw = {r["url"] for r in load_raw_pages(check)}
    assert sina_urls() <= {https(u) for u in raw}, "every article's page archived"
    statuses = [r["status"] for r in reversed(load_crawl_runs(check))]
    assert statuses == ["interrupted", "ok"]


def test_a_raw_page_that_could_not_be_archived_is_fetched_again(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        db = connect(config.db_path)
        db.execute(
            f"create trigger refuse_raw before insert on raw_pages when new.url = '{SINA_000}' "
            "begin select raise(abort, 'database or disk is full'); end"
        )
        db.conn.close()
        first = run_crawl(config, "sina")
        assert first.status == "partial"
        (err,) = first.errors
        assert err["url"] == SINA_000 and err["reason"].startswith("raw page not archived")
        assert stored(config.db_path, url=SINA_000), "the article itself is stored"
        db = connect(config.db_path)
        assert frontier_rows(db, [SINA_000])[SINA_000]["state"] == "retry"
        db.execute("drop trigger refuse_raw")
        db.conn.close()
        again = run_crawl(config, "sina")
    assert again.ok and again.counts["unchanged"] == 1
    db = connect(config.db_path)
    assert SINA_000 in {r["url"] for r in load_raw_pages(db)}
    assert frontier_rows(db, [SINA_000])[SINA_000]["state"] == "done"


@pytest.fixture
def read_only_db(tmp_path):
    """A database that cannot be written: a read-only mount (root), else a read-only file."""
    from conftest import SEEDS

    if os.geteuid() == 0:
        mnt = tmp_path / "ro"
        mnt.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)]).returncode:
            pytest.skip("cannot mount a tmpfs here")
        db = mnt / "x.db"
        newsmon(db, "import", str(SEEDS[0]))
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        yield db
        subprocess.run(["umount", "-l", str(mnt)], check=False)
    else:
        db = tmp_path / "x.db"
        newsmon(db, "import", str(SEEDS[0]))
        db.chmod(0o444)
        tmp_path.chmod(0o555)
        yield db
        tmp_path.chmod(0o755)


@pytest.mark.parametrize(
    "args", [("crawl", "sina"), ("import", "SEED"), ("analyze",), ("frontier",)]
)
def test_a_read_only_database_is_one_line(read_only_db, args):
    from conftest import SEEDS

    before = read_only_db.read_bytes()
    run = newsmon(read_only_db, *[str(SEEDS[1]) if a == "SEED" else a for a in args])
    if args == ("frontier",) and run.returncode == 0:
        return  # reading is fine
    one_error_line(run, read_only_db)
    assert read_only_db.read_bytes() == before


def test_a_locked_database_is_one_line_and_starts_no_crawl(tmp_path):
    from conftest import SEEDS

    db = tmp_path / "x.db"
    newsmon(db, "import", str(SEEDS[0]))
    conf = tmp_path / "busy.toml"
    conf.write_text("[database]\nbusy_timeout_ms = 300\n", encoding="utf-8")
    held = threading.Event()
    done = threading.Event()

    def hold():
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("begin exclusive")
        held.set()
        done.wait(30)
        conn.execute("rollback")
        conn.close()

    locker = threading.Thread(target=hold)
    locker.start()
    try:
        held.wait(10)
        started = time.monotonic()
        run = newsmon(db, "crawl", "sina", config=conf)
        assert "cannot write (database is locked)" in one_error_line(run, db)
        assert time.monotonic() - started < 20
    finally:
        done.set()
        locker.join()
    check = connect(db)
    assert load_crawl_runs(check) == []  # no crawl was started
