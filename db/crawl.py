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


def start_crawl_run(db: Database, spider: str, *, now: str | None = None) -> int:
    """Open a run for spider; runs of it still "running" (a crash) become "interrupted"."""
    now = now or utc_now()
    with db.atomic():
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
            }
        )
        return int(table.last_pk)


def update_crawl_run(db: Database, run_id: int, **values: Any) -> None:
    """Write counters as they stand (so a crash still leaves the counts seen so far)."""
    row = {}
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
    """URLs among urls stored from their own page (known_urls less feed-only fallbacks).

    An article kept from a feed's copy because its page could not be fetched is fetched
    again on the next run.
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
            f"select url, canonical_url from articles where parser = 'feed-description' "
            f"and (url in ({marks}) or canonical_url in ({marks}))",
            part + part,
        ):
            fallback.update(u for u in r if u)
    return found - fallback
