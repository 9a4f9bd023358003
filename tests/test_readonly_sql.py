"""Ad-hoc SQL touches nothing but the database it reads, and stops at its time limit."""

from __future__ import annotations

import asyncio
import time

import pytest

from newsmon.db import DatabaseError, connect
from newsmon.db.datasette import allowed_hosts, host_guard
from newsmon.db.queries import run_readonly


@pytest.fixture
def path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative file names in the statements land here
    p = tmp_path / "ro.db"
    connect(p).conn.close()
    return p


@pytest.mark.parametrize(
    "sql,what",
    [
        ("ATTACH DATABASE 'a.db' AS a", "ATTACH"),
        ("VACUUM INTO 'b.db'", "ATTACH"),
        ("select load_extension('c')", "the function load_extension"),
        ("PRAGMA journal_mode = delete", "PRAGMA journal_mode"),
        ("PRAGMA user_version = 7", "PRAGMA user_version"),
    ],
)
def test_statements_that_reach_outside_are_refused_before_touching_disk(path, sql, what):
    before = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(DatabaseError, match=f"refused: {what}"):
        run_readonly(path, sql)
    assert sorted(p.name for p in path.parent.iterdir()) == before


def test_reading_pragmas_and_full_text_search_still_work(path):
    columns, rows = run_readonly(path, "pragma table_info(articles)")
    assert "name" in columns and any(r[1] == "url" for r in rows)
    columns, rows = run_readonly(
        path, "select count(*) from articles_fts where articles_fts match ?", ["智能终端"]
    )
    assert rows == [(0,)]


def test_empty_sql_is_an_error(path):
    for sql in ("", "   ", "-- nothing\n", "/* x */ ;"):
        with pytest.raises(DatabaseError, match="empty SQL"):
            run_readonly(path, sql)


def test_a_runaway_query_stops_at_the_time_limit(path):
    sql = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
    started = time.monotonic()
    with pytest.raises(DatabaseError, match="stopped after 0.5 s"):
        run_readonly(path, sql, timeout_s=0.5)
    assert time.monotonic() - started < 5


def _status(app, host: str) -> int:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"host", host.encode())]}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


def test_serve_answers_only_its_own_host_names():
    async def ok(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = host_guard(ok, allowed_hosts("127.0.0.1"))
    assert _status(app, "127.0.0.1:8001") == 200
    assert _status(app, "localhost:8001") == 200
    assert _status(app, "[::1]:8001") == 200
    # a rebinding attacker's page sends its own name
    assert _status(app, "evil.example:8001") == 421
    assert _status(app, "") == 421
    wide = host_guard(ok, allowed_hosts("192.0.2.10"))
    assert _status(wide, "192.0.2.10:8001") == 200
    assert _status(wide, "evil.example") == 421
