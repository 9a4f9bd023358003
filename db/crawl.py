"""Crawl bookkeeping: one crawl_runs row per spider run, raw responses archived compressed."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from newsmon.db.articles import utc_now

#: crawl_runs counters, in the order they are shown
COUNTERS = ("pages", "new", "updated", "unchanged", "failed", "refetched")


#: a running crawl writes its heartbeat this often (seconds; crawler.pipelines)
HEARTBEAT_S = 5.0
#: a "running" run whose heartbeat is older than this is taken for dead even when a
#: process of its pid exists (the pid reused, or the run on another host)
HEARTBEAT_STALE_S = 300.0


def process_alive(pid: int | None) -> bool:
    """Whether a process of this pid exists on this host (a zombie counts as gone)."""
    import os

    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def _host() -> str:
    import socket

    return socket.gethostname()


def _stale(heartbeat: str | None, started: str | None, now: str) -> bool:
    from newsmon.timefmt import parse_utc

    last = heartbeat or started
    if not last:
        return True
    return (parse_utc(now) - parse_utc(last)).total_seconds() > HEARTBEAT_STALE_S


def gone_runs(db: Database, *, now: str | None = None) -> list[int]:
    """Runs left "running" whose process is gone: its pid is not alive on this host, or
    its heartbeat is older than HEARTBEAT_STALE_S."""
    now = now or utc_now()
    here = _host()
    out = []
    for rid, pid, host, heartbeat, started in db.execute(
        "select id, pid, host, heartbeat_at, started_at from crawl_runs where status = 'running'"
    ):
        if pid and host == here and not process_alive(pid):
            out.append(rid)
        elif _stale(heartbeat, started, now):
            out.append(rid)
    return out


def interrupt_gone_runs(db: Database, *, now: str | None = None) -> list[int]:
    """Mark every run whose process is gone "interrupted" (see gone_runs)."""
    now = now or utc_now()
    with db.atomic():
        ids = gone_runs(db, now=now)
        for rid in ids:
            db.execute(
                "update crawl_runs set status = 'interrupted', ended_at = coalesce(ended_at, ?), "
                "reason = coalesce(reason, 'the crawl process was gone before the run was "
                "closed') where id = ? and status = 'running'",
                [now, rid],
            )
    return ids


def start_crawl_run(
    db: Database, spider: str, *, pid: int | None = None, now: str | None = None
) -> int:
    """Open a run for spider in process pid (default: this one).

    Runs of the same spider still "running" (a crash) and runs of any spider whose
    process is gone (gone_runs) become "interrupted".
    """
    import os

    now = now or utc_now()
    with db.atomic():
        interrupt_gone_runs(db, now=now)
        db.execute(
            "update crawl_runs set status = 'interrupted', ended_at = coalesce(ended_at, ?), "
            "reason = coalesce(reason, 'the process ended before the run was closed') "
            "where spider = ? and status = 'running'",
            [now, spider],
        )
        table = db["crawl_runs"]
        table.insert(
            {
                "spider": spider,
                "started_at": now,
                "status": "running",
                **dict.fromkeys(COUNTERS, 0),
                "errors": "[]",
                "pid": pid or os.getpid(),
                "host": _host(),
                "heartbeat_at": now,
            }
        )
        return int(table.last_pk)


def crawl_run_of_pid(db: Database, spider: str, pid: int, after_id: int) -> dict[str, Any] | None:
    """The run of spider opened by process pid after run after_id (errors and stats decoded)."""
    rows = list(
        db.query(
            "select * from crawl_runs where spider = ? and id > ? and pid = ? order by id limit 1",
            [spider, after_id, pid],
        )
    )
    return _decode(dict(rows[0])) if rows else None


def update_crawl_run(db: Database, run_id: int, **values: Any) -> None:
    """Write counters as they stand (so a crash still leaves the counts seen so far), and
    the run's heartbeat."""
    row: dict[str, Any] = {"heartbeat_at": values.pop("heartbeat_at", None) or utc_now()}
    for key, value in values.items():
        row[key] = json.dumps(value, ensure_ascii=False) if key in ("errors", "stats") else value
    with db.atomic():
        db["crawl_runs"].update(run_id, row)


def finish_crawl_run(
    db: Database,
    run_id: int,
    *,
    status: str,
    counts: dict[str, int],
    errors: list[dict[str, str]],
    stats: dict[str, Any] | None = None,
    reason: str | None = None,
    now: str | None = None,
) -> None:
    values: dict[str, Any] = {c: int(counts.get(c, 0)) for c in COUNTERS}
    values.update(
        status=status,
        ended_at=now or utc_now(),
        errors=errors,
        stats=stats or {},
        reason=reason,
    )
    update_crawl_run(db, run_id, **values)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for column in ("errors", "stats"):
        if isinstance(row.get(column), str):
            try:
                row[column] = json.loads(row[column])
            except json.JSONDecodeError:
                pass
    return row


def load_crawl_runs(
    db: Database, spider: str | None = None, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """Runs, newest first, with errors and stats decoded."""
    sql = "select * from crawl_runs"
    params: list[Any] = []
    if spider:
        sql += " where spider = ?"
        params.append(spider)
    sql += " order by id desc"
    if limit:
        sql += f" limit {int(limit)}"
    return [_decode(dict(r)) for r in db.query(sql, params)]


def last_crawl_run_id(db: Database, spider: str) -> int:
    """The id of spider's newest run, 0 when it has none."""
    row = db.execute("select max(id) from crawl_runs where spider = ?", [spider]).fetchone()
    return int(row[0] or 0)


def crawl_run_after(db: Database, spider: str, after_id: int) -> dict[str, Any] | None:
    """The first run of spider opened after run after_id (errors and stats decoded)."""
    rows = list(
        db.query(
            "select * from crawl_runs where spider = ? and id > ? order by id limit 1",
            [spider, after_id],
        )
    )
    return _decode(dict(rows[0])) if rows else None


def interrupt_crawl_run(db: Database, run_id: int, reason: str, *, now: str | None = None) -> bool:
    """Close a run its process left "running" as "interrupted"; False if it was closed."""
    with db.atomic():
        cursor = db.execute(
            "update crawl_runs set status = 'interrupted', ended_at = ?, reason = ? "
            "where id = ? and status = 'running'",
            [now or utc_now(), reason, run_id],
        )
    return cursor.rowcount > 0


def save_raw_page(
    db: Database,
    *,
    url: str,
    status: int,
    headers: dict[str, Any],
    body: bytes,
    article_id: str | None = None,
    crawl_run_id: int | None = None,
    encoding: str | None = None,
    truncated: bool = False,
    fetched_at: str | None = None,
) -> tuple[int | None, bool]:
    """Archive one response, compressed; the same body at the same URL is kept once.

    Returns (raw page id, True when newly stored).
    """
    digest = hashlib.sha256(body).hexdigest()
    existing = db.execute(
        "select id, article_id from raw_pages where url = ? and body_sha256 = ?", [url, digest]
    ).fetchone()
    if existing:
        if article_id and not existing[1]:
            db.execute(
                "update raw_pages set article_id = ? where id = ?", [article_id, existing[0]]
            )
        return existing[0], False
    table = db["raw_pages"]
    table.insert(
        {
            "url": url,
            "fetched_at": fetched_at or utc_now(),
            "status": status,
            "headers": json.dumps(headers, ensure_ascii=False, sort_keys=True),
            "body": zlib.compress(body, 6),
            "body_sha256": digest,
            "article_id": article_id,
            "crawl_run_id": crawl_run_id,
            "encoding": encoding,
            "truncated": 1 if truncated else 0,
        }
    )
    return table.last_pk, True


def load_raw_pages(db: Database) -> list[dict[str, Any]]:
    """Archived responses without their bodies (headers decoded), oldest first."""
    sql = (
        "select id, url, fetched_at, status, headers, body_sha256, article_id, crawl_run_id, "
        "encoding, truncated from raw_pages order by id"
    )
    out = []
    for r in db.query(sql):
        r["headers"] = json.loads(r["headers"]) if r.get("headers") else {}
        out.append(r)
    return out


def fetched_urls(db: Database, urls: Iterable[str]) -> set[str]:
    """URLs among urls stored from their own page (known_urls less feed-only fallbacks
    and imported archive copies).

    An article kept from a feed's copy because its page could not be fetched, or
    imported from an archived copy that named its URL, is fetched on the next run.
    """
    from newsmon.db.articles import known_urls

    found = known_urls(db, urls)
    if not found:
        return found
    fallback: set[str] = set()
    chunk = sorted(found)
    for start in range(0, len(chunk), 500):
        part = chunk[start : start + 500]
        marks = ",".join("?" * len(part))
        for r in db.execute(
            f"select url, canonical_url from articles where (parser = 'feed-description' "
            f"or json_extract(meta, '$.import_file') is not null) and (url in ({marks}) or canonical_url in ({marks}))",
            part + part,
        ):
            fallback.update(u for u in r if u)
    return found - fallback


def check_writable(db: Database, name: str | None = None) -> None:
    """Raise DatabaseError naming the file when it cannot be written now (read-only,
    locked past the busy timeout), before a crawl starts writing to it."""
    import sqlite3

    from newsmon.db.connection import DatabaseError

    try:
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        raise DatabaseError(f"{name or 'the database'}: cannot write ({exc})") from exc
