"""job_runs: one row per scheduled run, written when it starts and when it ends.

status is running while the child process works, then ok | failed | skipped |
interrupted. counts is the JSON object the action printed last (if any); error is
the tail of its error output.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from newsmon.db.articles import utc_now

STATUSES = ("running", "ok", "failed", "skipped", "interrupted")
FINAL_STATUSES = STATUSES[1:]
STALE_ERROR = "interrupted: the scheduler stopped before this run ended (found at its next start)"


def _check_status(status: str) -> None:
    if status not in FINAL_STATUSES:
        raise ValueError(f"job run status {status!r}; expected one of {', '.join(FINAL_STATUSES)}")


def _counts_json(counts: dict[str, Any] | None) -> str | None:
    if counts is None:
        return None
    return json.dumps(counts, ensure_ascii=False, sort_keys=True, default=str)


def start_job_run(db: Database, job: str, action: str, *, started_at: str | None = None) -> int:
    """A new row with status running; returns its id."""
    table = db["job_runs"].insert(
        {
            "job": job,
            "action": action,
            "started_at": started_at or utc_now(),
            "ended_at": None,
            "status": "running",
            "counts": None,
            "error": None,
        }
    )
    return int(table.last_pk)


def finish_job_run(
    db: Database,
    run_id: int,
    status: str,
    *,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
    ended_at: str | None = None,
) -> None:
    """Close a run with its final status (ok, failed, skipped or interrupted)."""
    _check_status(status)
    db["job_runs"].update(
        run_id,
        {
            "ended_at": ended_at or utc_now(),
            "status": status,
            "counts": _counts_json(counts),
            "error": error,
        },
    )


def record_job_run(
    db: Database,
    job: str,
    action: str,
    status: str,
    *,
    started_at: str | None = None,
    ended_at: str | None = None,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
) -> int:
    """A finished row in one go: a skipped run, or a run whose start could not be written."""
    _check_status(status)
    now = utc_now()
    table = db["job_runs"].insert(
        {
            "job": job,
            "action": action,
            "started_at": started_at or now,
            "ended_at": ended_at or now,
            "status": status,
            "counts": _counts_json(counts),
            "error": error,
        }
    )
    return int(table.last_pk)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    if row.get("counts"):
        try:
            row["counts"] = json.loads(row["counts"])
        except ValueError:
            pass
    return row


def load_job_runs(
    db: Database, *, job: str | None = None, limit: int | None = 50
) -> list[dict[str, Any]]:
    """Runs newest first (counts decoded), of one job or all."""
    sql = "select * from job_runs"
    params: dict[str, Any] = {}
    if job is not None:
        sql += " where job = :job"
        params["job"] = job
    sql += " order by started_at desc, id desc"
    if limit is not None:
        sql += " limit :limit"
        params["limit"] = int(limit)
    return [_decode(r) for r in db.query(sql, params)]


def last_job_runs(db: Database) -> dict[str, dict[str, Any]]:
    """The newest run of each job, by job name.

    The job names are walked through the (job, started_at) index one name at a time
    (each the least name above the one before), so the cost grows with the number of
    jobs, not of runs.
    """
    sql = """
        with recursive jobs(job) as (
            select min(job) from job_runs
            union all
            select (select min(job) from job_runs where job > jobs.job) from jobs
            where jobs.job is not null
        )
        select r.* from jobs join job_runs r on r.id = (
            select id from job_runs r2 where r2.job = jobs.job
            order by r2.started_at desc, r2.id desc limit 1
        )
    """
    return {r["job"]: _decode(r) for r in db.query(sql)}


def mark_stale_running(
    db: Database,
    *,
    ids: Iterable[int] | None = None,
    error: str = STALE_ERROR,
    ended_at: str | None = None,
) -> int:
    """Rows still "running" (all, or these ids) become "interrupted"; returns how many."""
    ended_at = ended_at or utc_now()
    params: dict[str, Any] = {"ended_at": ended_at, "error": error}
    sql = """
        update job_runs set status = 'interrupted', ended_at = :ended_at,
               error = coalesce(error, :error)
        where status = 'running'
    """
    if ids is not None:
        id_list = [int(i) for i in ids]
        if not id_list:
            return 0
        placeholders = ", ".join(f":id{i}" for i in range(len(id_list)))
        sql += f" and id in ({placeholders})"
        params.update({f"id{i}": v for i, v in enumerate(id_list)})
    return db.execute(sql, params).rowcount
