"""The Shanghai exchange's trading calendar: when can the market first react to a story?

The calendar is exchange_calendars' ``XSHG`` (09:30-11:30 and 13:00-15:00
Asia/Shanghai, weekends and the hard-coded Chinese holidays closed), plus any
extra holidays the configuration lists (``reaction.extra_holidays``).

exchange_calendars only knows the holidays up to the end of its last
hard-coded year (2026 in exchange_calendars 4.13). Past that day it would treat
the Spring Festival as a run of ordinary trading days, so a time past the
calendar's last session raises ``CalendarRangeError`` naming the time and the
last session instead. Extra holidays in a later year extend the calendar to the
end of that year: list all of that year's holidays, not just one.

All functions take tz-aware times (any zone; ISO strings with an offset or
``Z`` are accepted) and return UTC. A naive time is refused: it could be UTC or
Shanghai time, and guessing shifts the event by eight hours.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd
from exchange_calendars.exchange_calendar import ExchangeCalendar
from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar

#: exchange_calendars name of the Shanghai Stock Exchange
CALENDAR_NAME = "XSHG"
#: the exchange's own time zone
EXCHANGE_TZ = "Asia/Shanghai"
#: first day the calendar is built from (older events are out of range)
CALENDAR_START = "2000-01-04"

HolidayList = Iterable[str | dt.date | pd.Timestamp]


class CalendarRangeError(ValueError):
    """A time outside the dates the exchange calendar knows the holidays for."""


def _holiday_key(extra_holidays: HolidayList) -> tuple[pd.Timestamp, ...]:
    days = set()
    for value in extra_holidays:
        try:
            day = pd.Timestamp(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"extra holiday {value!r} is not a date (expected YYYY-MM-DD)"
            ) from exc
        if day.tzinfo is not None:
            day = day.tz_localize(None)
        days.add(day.normalize())
    return tuple(sorted(days))


@lru_cache(maxsize=16)
def _calendar(extra: tuple[pd.Timestamp, ...]) -> ExchangeCalendar:
    # exchange_calendars 4.x reads Series.values, which pandas 3.1 deprecates: not ours to fix
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return _build_calendar(extra)


def _build_calendar(extra: tuple[pd.Timestamp, ...]) -> ExchangeCalendar:
    if not extra:
        return xcals.get_calendar(CALENDAR_NAME, start=CALENDAR_START)
    holidays = pd.DatetimeIndex(XSHGExchangeCalendar.precomputed_holidays()).union(
        pd.DatetimeIndex(list(extra))
    )

    class XSHGWithExtraHolidays(XSHGExchangeCalendar):
        @classmethod
        def precomputed_holidays(cls):
            return holidays

    return XSHGWithExtraHolidays(start=CALENDAR_START)


def exchange_calendar(extra_holidays: HolidayList = ()) -> ExchangeCalendar:
    """The XSHG calendar with the extra holidays closed (built once per holiday list)."""
    return _calendar(_holiday_key(extra_holidays))


def _as_utc(ts: str | dt.datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        raise ValueError(
            f"time {ts!r} has no time zone; give it in UTC (e.g. '2022-07-08T02:06:12Z') "
            "or with its offset"
        )
    return stamp.tz_convert("UTC")


def _range_error(stamp: pd.Timestamp, cal: ExchangeCalendar) -> CalendarRangeError:
    local = stamp.tz_convert(EXCHANGE_TZ)
    return CalendarRangeError(
        f"{local.isoformat()} is outside the {CALENDAR_NAME} calendar, which knows holidays "
        f"from {cal.first_session.date()} to its last session {cal.last_session.date()}; "
        "add that year's exchange holidays to reaction.extra_holidays"
    )


def align_event_time(
    ts_utc: str | dt.datetime | pd.Timestamp, *, extra_holidays: HolidayList = ()
) -> pd.Timestamp:
    """The first moment (UTC) the Shanghai market can react to something published at ``ts_utc``.

    During a session: the time itself. In the lunch break (11:30-13:00): 13:00 the
    same day. Before 09:30 on a trading day: 09:30 that day. After 15:00, on a weekend
    or a holiday: the next session's 09:30. The close (15:00:00) and the start of the
    break (11:30:00) belong to the closed period.
    """
    stamp = _as_utc(ts_utc)
    cal = exchange_calendar(extra_holidays)
    local_day = pd.Timestamp(stamp.tz_convert(EXCHANGE_TZ).date())
    if not cal.first_session <= local_day <= cal.last_session:
        raise _range_error(stamp, cal)
    if cal.is_session(local_day):
        session = local_day
        opens = cal.session_open(session)
        if stamp < opens:
            return opens
        break_start = cal.session_break_start(session)
        break_end = cal.session_break_end(session)
        if pd.notna(break_start) and break_start <= stamp < break_end:
            return break_end
        if stamp < cal.session_close(session):
            return stamp
        if session == cal.last_session:
            raise _range_error(stamp, cal)
        return cal.session_open(cal.next_session(session))
    session = cal.date_to_session(local_day, direction="next")
    return cal.session_open(session)


def event_session(
    ts_utc: str | dt.datetime | pd.Timestamp, *, extra_holidays: HolidayList = ()
) -> pd.Timestamp:
    """Day 0: the session (naive midnight Timestamp) of ``align_event_time(ts_utc)``."""
    aligned = align_event_time(ts_utc, extra_holidays=extra_holidays)
    return pd.Timestamp(aligned.tz_convert(EXCHANGE_TZ).date())


def shift_trading_minutes(
    ts_utc: str | dt.datetime | pd.Timestamp,
    minutes: float,
    *,
    extra_holidays: HolidayList = (),
) -> pd.Timestamp:
    """The time ``minutes`` trading minutes after a time inside a session, capped at its close.

    The lunch break does not count: 11:15 + 30 trading minutes is 13:15. A time outside
    a session is first aligned with ``align_event_time``.
    """
    start = align_event_time(ts_utc, extra_holidays=extra_holidays)
    cal = exchange_calendar(extra_holidays)
    session = pd.Timestamp(start.tz_convert(EXCHANGE_TZ).date())
    close = cal.session_close(session)
    target = start + pd.Timedelta(minutes=minutes)
    break_start = cal.session_break_start(session)
    if pd.notna(break_start) and start < break_start < target:
        target += cal.session_break_end(session) - break_start
    return min(target, close)
