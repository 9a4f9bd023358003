"""Exchange holidays past the library: notices imported from files or found among crawled articles.

The years stored here (db.calendar) extend the XSHG calendar of analysis.calendar:
every reaction computed afterwards uses them. ``known_holidays`` is what the event
study passes to the calendar.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sqlite_utils import Database

from newsmon.analysis.calendar import (
    CALENDAR_START,
    EXCHANGE_TZ,
    PROVISIONAL_YEARS,
    align_event,
    known_through,
    library_last_year,
)
from newsmon.analysis.holidays import (
    HolidayArrangement,
    NoticeError,
    arrangement_from_days,
    notice_year,
    parse_notice,
)
from newsmon.db.calendar import load_calendar_years, load_notice_articles, save_calendar_year

#: a notice file larger than this is not a notice
MAX_NOTICE_BYTES = 2_000_000


def known_holidays(db: Database | None, config: Any) -> tuple[list[str], list[int]]:
    """(extra closed days, years known in full) from the stored notices and the configuration.

    ``db`` None: the configuration's alone (no database yet).
    """
    stored = load_calendar_years(db) if db is not None else []
    extra = list(config["reaction.extra_holidays"]) + [d for y in stored for d in y["closed_days"]]
    return extra, [int(y["year"]) for y in stored]


def _save(db: Database, arrangement: HolidayArrangement, source: str, ref: str) -> dict[str, Any]:
    if arrangement.year <= library_last_year():
        note = (
            f"{arrangement.year} is within exchange_calendars' own years (to "
            f"{library_last_year()}); stored, and its closed days added to the library's"
        )
    else:
        note = None
    status = save_calendar_year(
        db,
        year=arrangement.year,
        source=source,
        ref=ref,
        closed_days=[d.isoformat() for d in arrangement.closed_weekdays()],
        work_days=[d.isoformat() for d in arrangement.work_days],
        arrangement=arrangement.to_dict(),
    )
    return {
        "year": arrangement.year,
        "status": status,
        "closed_weekdays": len(arrangement.closed_weekdays()),
        "holidays": [h.name for h in arrangement.holidays],
        "notes": arrangement.notes + ([note] if note else []),
        "source": source,
        "ref": ref,
    }


def _notice_text(path: Path, raw: bytes) -> str:
    from newsmon.crawler.extract.charset import decode_html

    text, _ = decode_html(raw, None)
    if text.lstrip().startswith("<"):
        import lxml.html

        text = lxml.html.fromstring(text).text_content()
    return text


def import_notice_file(db: Database, path: str | Path, year: int | None = None) -> dict[str, Any]:
    """A notice's text (plain text or a saved page) or a holiday-cn JSON file -> a stored year."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_NOTICE_BYTES:
        raise NoticeError(f"{path}: {size} bytes is too large for a holiday notice")
    raw = path.read_bytes()
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw)
            days, year = data["days"], int(year or data["year"])
        except (ValueError, KeyError, TypeError) as exc:
            raise NoticeError(f"{path}: not a holiday-cn arrangement ({{year, days}})") from exc
        arrangement = arrangement_from_days(year, days)
    else:
        try:
            arrangement = parse_notice(_notice_text(path, raw), year)
        except NoticeError as exc:
            raise NoticeError(f"{path}: {exc}") from exc
    return _save(db, arrangement, "file", str(path.resolve()))


def pick_up_notices(db: Database) -> list[dict[str, Any]]:
    """Crawled or imported articles that are annual holiday notices -> stored years."""
    out = []
    for a in load_notice_articles(db):
        text = f"{a['title']}\n{a['text'] or ''}"
        if notice_year(a["title"] or "") is None:
            continue
        try:
            arrangement = parse_notice(text)
        except NoticeError as exc:
            out.append({"article_id": a["id"], "status": "failed", "notes": [str(exc)]})
            continue
        result = _save(db, arrangement, "notice article", a["url"] or a["id"])
        out.append({"article_id": a["id"], **result})
    return out


def calendar_overview(db: Database | None, config: Any) -> list[dict[str, Any]]:
    """Where each year of the calendar comes from, and how far it reaches."""
    import exchange_calendars

    library_end = library_last_year()
    rows = [
        {
            "years": f"{CALENDAR_START[:4]}-{library_end}",
            "source": "library",
            "ref": f"exchange_calendars {exchange_calendars.__version__} (XSHG)",
            "closed_weekdays": None,
        }
    ]
    for y in load_calendar_years(db) if db is not None else []:
        rows.append(
            {
                "years": str(y["year"]),
                "source": y["source"],
                "ref": y["ref"],
                "closed_weekdays": len(y["closed_days"]),
            }
        )
    extra = list(config["reaction.extra_holidays"])
    if extra:
        rows.append(
            {
                "years": ",".join(sorted({d[:4] for d in extra})),
                "source": "config",
                "ref": "reaction.extra_holidays",
                "closed_weekdays": len(extra),
            }
        )
    closed, years = known_holidays(db, config)
    last = known_through(closed, years)
    rows.append(
        {
            "years": f"{last.year + 1}-{last.year + PROVISIONAL_YEARS}",
            "source": "provisional",
            "ref": "weekends only: holidays not known yet",
            "closed_weekdays": None,
        }
    )
    return rows


def parse_news_time(text: str) -> tuple[pd.Timestamp, str | None]:
    """A time as a user types it; without a zone it is Asia/Shanghai, with a note."""
    try:
        stamp = pd.Timestamp(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{text!r} is not a time (e.g. 2022-07-08T10:06+08:00 or '2022-07-08 10:06')"
        ) from exc
    if stamp is pd.NaT:
        raise ValueError(f"{text!r} is not a time")
    if stamp.tzinfo is None:
        return stamp.tz_localize(EXCHANGE_TZ), f"{text!r} has no zone: read as {EXCHANGE_TZ}"
    return stamp, None


def align_news_time(db: Database | None, config: Any, text: str) -> dict[str, Any]:
    """The session and first tradable minute (Asia/Shanghai) for a news time."""
    stamp, zone_note = parse_news_time(text)
    closed, years = known_holidays(db, config)
    result = align_event(stamp, extra_holidays=closed, known_years=years)
    local = result.time.tz_convert(EXCHANGE_TZ)
    notes = [n for n in (zone_note, result.note) if n]
    return {
        "time": stamp.tz_convert(EXCHANGE_TZ).isoformat(),
        "session": result.session.date().isoformat(),
        "first_minute": local.isoformat(),
        "first_minute_utc": result.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "provisional": result.provisional,
        "notes": notes,
    }
