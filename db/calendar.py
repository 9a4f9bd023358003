"""Exchange holidays newsmon knows beyond exchange_calendars: one row per year, with its source."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from newsmon.db.articles import utc_now

#: where a year's arrangement came from
SOURCES = ("notice article", "file")
#: the title every annual notice carries (国务院办公厅关于YYYY年部分节假日安排的通知)
NOTICE_TITLE_LIKE = "%部分节假日安排的通知%"


def save_calendar_year(
    db: Database,
    *,
    year: int,
    source: str,
    ref: str,
    closed_days: Iterable[str],
    work_days: Iterable[str],
    arrangement: dict[str, Any],
) -> str:
    """Store (or replace) one year's closed weekdays; returns 'new', 'updated' or 'unchanged'."""
    if source not in SOURCES:
        raise ValueError(f"calendar source {source!r}: expected one of {', '.join(SOURCES)}")
    row = {
        "year": int(year),
        "source": source,
        "ref": ref,
        "closed_days": json.dumps(sorted(closed_days)),
        "work_days": json.dumps(sorted(work_days)),
        "arrangement": json.dumps(arrangement, ensure_ascii=False, sort_keys=True),
    }
    table = db["calendar_years"]
    try:
        old = table.get(int(year))
    except Exception:  # sqlite_utils.db.NotFoundError
        old = None
    if old is not None and all(old[k] == v for k, v in row.items()):
        return "unchanged"
    with db.atomic():
        table.upsert({**row, "imported_at": utc_now()}, pk="year")
    return "new" if old is None else "updated"


def load_calendar_years(db: Database) -> list[dict[str, Any]]:
    """Every stored year, oldest first, with closed_days and work_days as lists of YYYY-MM-DD."""
    out = []
    for r in db.query("select * from calendar_years order by year"):
        r = dict(r)
        r["closed_days"] = json.loads(r["closed_days"] or "[]")
        r["work_days"] = json.loads(r["work_days"] or "[]")
        r["arrangement"] = json.loads(r["arrangement"] or "{}")
        out.append(r)
    return out


def load_notice_articles(db: Database) -> list[dict[str, Any]]:
    """Stored articles titled as a State Council holiday notice: id, url, title, text."""
    return [
        dict(r)
        for r in db.query(
            "select id, url, title, text from articles where title like ? order by id",
            [NOTICE_TITLE_LIKE],
        )
    ]
