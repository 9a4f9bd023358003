"""The crawl frontier: every URL a crawl wants, with its state, attempts and next attempt.

One row per URL (a JSON API's document: the document's own URL):

- ``pending``: wanted, not fetched yet (a discovered article, an origin or attachment
  found on a stored page);
- ``done``: fetched and stored whole (its raw response archived);
- ``retry``: the last attempt failed or gave an incomplete copy; fetched again from
  ``next_attempt_at`` on, the wait doubling with each attempt (``backoff_s * 2 **
  (attempts - 1)``, at most MAX_BACKOFF_S);
- ``gone``: a 404/410 answered ``gone_after`` times (or a permanent refusal, such as a
  redirect off the allowed domains): not asked for again unless refreshed.

Each run of a spider works through its rows that are due, so an origin or attachment
whose page is already stored is still fetched. ``request`` holds how to ask for the
URL again (JSON: callback, request meta, a POST body).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from newsmon.timefmt import parse_utc, utc_iso

STATES = ("pending", "done", "retry", "gone")
#: states whose URL is still wanted
OPEN_STATES = ("pending", "retry")
#: statuses that say a URL is not there; after gone_after of them it is "gone"
GONE_STATUSES = (404, 410)
#: the longest wait between two attempts at one URL
MAX_BACKOFF_S = 24 * 3600.0
#: roles a run fetches from the frontier (lists and feeds are read on every run anyway)
DOCUMENT_ROLES = ("article", "origin", "attachment")


def _now(now: str | None) -> str:
    return now or utc_iso()


def next_attempt(now: str, attempts: int, backoff_s: float) -> str:
    """When a URL that failed ``attempts`` times is due again."""
    wait = min(MAX_BACKOFF_S, max(0.0, backoff_s) * 2 ** max(0, attempts - 1))
    return utc_iso(parse_utc(now) + timedelta(seconds=wait))


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("request"), str):
        try:
            row["request"] = json.loads(row["request"])
        except json.JSONDecodeError:
            row["request"] = {}
    return row


def frontier_rows(db: Database, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The frontier rows of these URLs, by URL (those that have one)."""
    wanted = list(dict.fromkeys(urls))
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for r in db.query(f"select * from frontier where url in ({marks})", chunk):
            out[r["url"]] = _decode(dict(r))
    return out


def want_urls(db: Database, rows: Iterable[dict[str, Any]], *, now: str | None = None) -> int:
    """Add URLs the crawl wants as ``pending`` (each row: url, spider, role, parent_url,
    request). A URL already in the frontier keeps its state; an open one gets the newer
    request. Returns how many were new."""
    now = _now(now)
    rows = list(rows)
    known = frontier_rows(db, (r["url"] for r in rows))
    new = 0
    for row in rows:
        request = json.dumps(row.get("request") or {}, ensure_ascii=False, sort_keys=True)
        stored = known.get(row["url"])
        if stored is None:
            db.execute(
                "insert into frontier (url, spider, role, state, attempts, next_attempt_at, "
                "first_seen_at, parent_url, request) values (?, ?, ?, 'pending', 0, ?, ?, ?, ?) "
                "on conflict (url) do nothing",
                [row["url"], row["spider"], row["role"], now, now, row.get("parent_url"), request],
            )
            known[row["url"]] = {"state": "pending", "request": row.get("request") or {}}
            new += 1
        elif stored["state"] in OPEN_STATES and stored.get("request") != (row.get("request") or {}):
            db.execute("update frontier set request = ? where url = ?", [request, row["url"]])
    return new


def mark_known(db: Database, url: str, *, spider: str, role: str, now: str | None = None) -> None:
    """A URL found stored already (from before the frontier, or another spider's): done."""
    now = _now(now)
    db.execute(
        "insert into frontier (url, spider, role, state, attempts, first_seen_at, done_at) "
        "values (?, ?, ?, 'done', 0, ?, ?) on conflict (url) do nothing",
        [url, spider, role, now, now],
    )


def mark_done(
    db: Database,
    url: str,
    *,
    spider: str,
    role: str,
    article_id: str | None = None,
    status: int | None = None,
    count_attempt: bool = True,
    now: str | None = None,
) -> None:
    """The URL was fetched and stored whole."""
    now = _now(now)
    step = 1 if count_attempt else 0
    db.execute(
        "insert into frontier (url, spider, role, state, attempts, last_status, "
        "first_seen_at, last_attempt_at, done_at, article_id) "
        "values (?, ?, ?, 'done', ?, ?, ?, ?, ?, ?) "
        "on conflict (url) do update set state = 'done', attempts = frontier.attempts + ?, "
        "last_status = excluded.last_status, last_error = null, next_attempt_at = null, "
        "last_attempt_at = excluded.last_attempt_at, done_at = excluded.done_at, "
        "article_id = coalesce(excluded.article_id, frontier.article_id)",
        [url, spider, role, step, status, now, now, now, article_id, step],
    )


def mark_failed(
    db: Database,
    url: str,
    *,
    spider: str,
    role: str,
    error: str,
    status: int | None = None,
    backoff_s: float = 600.0,
    gone_after: int = 3,
    permanent: bool = False,
    count_attempt: bool = True,
    article_id: str | None = None,
    settle_after: int | None = None,
    now: str | None = None,
) -> str:
    """An attempt failed (or gave an incomplete copy): ``retry`` at the next back-off, or
    ``gone`` (a 404/410 for the gone_after-th time, or a permanent refusal). With
    settle_after, the settle_after-th such attempt is ``done``: what was stored is what
    the site serves (an incomplete copy kept as it is, the error kept as a note).
    Returns the state written."""
    now = _now(now)
    row = db.execute("select attempts from frontier where url = ?", [url]).fetchone()
    attempts = max(1, ((row[0] or 0) if row else 0) + (1 if count_attempt else 0))
    gone = permanent or (status in GONE_STATUSES and attempts >= gone_after)
    if not gone and settle_after and attempts >= settle_after:
        db.execute(
            "insert into frontier (url, spider, role, state, attempts, last_status, last_error, "
            "first_seen_at, last_attempt_at, done_at, article_id) "
            "values (?, ?, ?, 'done', ?, ?, ?, ?, ?, ?, ?) "
            "on conflict (url) do update set state = 'done', attempts = excluded.attempts, "
            "last_status = excluded.last_status, last_error = excluded.last_error, "
            "next_attempt_at = null, last_attempt_at = excluded.last_attempt_at, "
            "done_at = excluded.done_at, "
            "article_id = coalesce(excluded.article_id, frontier.article_id)",
            [
                url,
                spider,
                role,
                attempts,
                status,
                f"{error} (kept as served after {attempts} attempts)",
                now,
                now,
                now,
                article_id,
            ],
        )
        return "done"
    state = "gone" if gone else "retry"
    due = None if gone else next_attempt(now, attempts, backoff_s)
    db.execute(
        "insert into frontier (url, spider, role, state, attempts, last_status, last_error, "
        "next_attempt_at, first_seen_at, last_attempt_at, article_id) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "on conflict (url) do update set state = excluded.state, attempts = excluded.attempts, "
        "last_status = excluded.last_status, last_error = excluded.last_error, "
        "next_attempt_at = excluded.next_attempt_at, last_attempt_at = excluded.last_attempt_at, "
        "article_id = coalesce(excluded.article_id, frontier.article_id)",
        [url, spider, role, state, attempts, status, error, due, now, now, article_id],
    )
    return state


def due_rows(
    db: Database, spider: str, *, now: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The spider's open document rows whose next attempt is due, oldest first."""
    sql = (
        "select * from frontier where spider = ? and state in ('pending', 'retry') "
        "and next_attempt_at <= ? and role in ('article', 'origin', 'attachment') "
        "order by next_attempt_at, url"
    )
    if limit:
        sql += f" limit {int(limit)}"
    return [_decode(dict(r)) for r in db.query(sql, [spider, _now(now)])]


def load_frontier(
    db: Database,
    *,
    spider: str | None = None,
    states: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Frontier rows (without the request recipe), by spider, state, next attempt, URL."""
    where, params = [], []
    if spider:
        where.append("spider = ?")
        params.append(spider)
    wanted = list(states or [])
    if wanted:
        where.append(f"state in ({','.join('?' * len(wanted))})")
        params.extend(wanted)
    sql = (
        "select spider, state, role, url, attempts, last_status, last_error, next_attempt_at, "
        "last_attempt_at, first_seen_at, parent_url, article_id from frontier"
    )
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by spider, state, next_attempt_at, url"
    if limit:
        sql += f" limit {int(limit)}"
    return [dict(r) for r in db.query(sql, params)]


def frontier_counts(db: Database) -> list[dict[str, Any]]:
    """Rows per spider and state: spider, pending, retry, gone, done."""
    out: dict[str, dict[str, Any]] = {}
    for r in db.query("select spider, state, count(*) as n from frontier group by spider, state"):
        row = out.setdefault(r["spider"], {"spider": r["spider"], **dict.fromkeys(STATES, 0)})
        row[r["state"]] = r["n"]
    return [out[k] for k in sorted(out)]
