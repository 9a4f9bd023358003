"""The Shanghai exchange's trading calendar: when can the market first react to a story?

The calendar is exchange_calendars' ``XSHG`` (09:30-11:30 and 13:00-15:00
Asia/Shanghai, weekends and the hard-coded Chinese holidays closed), plus the
closed days newsmon learns elsewhere: the State Council's annual holiday notice
(analysis.holidays, stored per year by ``newsmon calendar``) and the
configuration's ``reaction.extra_holidays``.

exchange_calendars only knows the holidays up to the end of its last hard-coded
year (2026 in exchange_calendars 4.13). A year whose arrangement is known from a
notice (``known_years``) extends the known range to its end. Past the known range
the calendar goes on with weekends only, for PROVISIONAL_YEARS more years: such an
alignment is *provisional* (``Alignment.provisional``, with a note saying so),
since a holiday there would be taken as a trading day. Times before the calendar
starts, or past the provisional years, raise ``CalendarRangeError``.

All functions take tz-aware times (any zone; ISO strings with an offset or
``Z`` are accepted) and return UTC. A naive time is refused: it could be UTC or
Shanghai time, and guessing shifts the event by eight hours.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from exchange_calendars.exchange_calendar import ExchangeCalendar
from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar

#: exchange_calendars name of the Shanghai Stock Exchange
CALENDAR_NAME = "XSHG"
#: the exchange's own time zone
EXCHANGE_TZ = "Asia/Shanghai"
#: first day the calendar is built from (older events are out of range)
CALENDAR_START = "2000-01-04"
#: years past the last known one that still align, provisionally (weekends only)
PROVISIONAL_YEARS = 5

HolidayList = Iterable[str | dt.date | pd.Timestamp]


class CalendarRangeError(ValueError):
    """A time outside the dates the exchange calendar can align at all."""


@dataclass(frozen=True)
class Alignment:
    """Where a news time lands on the exchange's calendar."""

    #: the first moment (UTC) the market can react
    time: pd.Timestamp
    #: day 0: that moment's session (naive midnight)
    session: pd.Timestamp
    #: True past the known holidays: weekends alone were taken as closed
    provisional: bool = False
    note: str | None = None


def library_last_year() -> int:
    """The last year exchange_calendars itself knows XSHG's holidays for."""
    return int(XSHGExchangeCalendar.bound_max().year)


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


def known_through(extra_holidays: HolidayList = (), known_years: Iterable[int] = ()) -> dt.date:
    """The last day whose holidays are known: the library's, a notice's year, or an extra holiday's."""
    years = [library_last_year(), *(int(y) for y in known_years)]
    years += [d.year for d in _holiday_key(extra_holidays)]
    return dt.date(max(years), 12, 31)


@lru_cache(maxsize=16)
def _calendar(extra: tuple[pd.Timestamp, ...], last_known_year: int) -> ExchangeCalendar:
    # exchange_calendars 4.x reads Series.values, which pandas 3.1 deprecates: not ours to fix
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return _build_calendar(extra, last_known_year)


def _build_calendar(extra: tuple[pd.Timestamp, ...], last_known_year: int) -> ExchangeCalendar:
    holidays = pd.DatetimeIndex(XSHGExchangeCalendar.precomputed_holidays()).union(
        pd.DatetimeIndex(list(extra))
    )
    end = pd.Timestamp(f"{last_known_year + PROVISIONAL_YEARS}-12-31")

    class XSHGWithKnownHolidays(XSHGExchangeCalendar):
        @classmethod
        def precomputed_holidays(cls):
            return holidays

        @classmethod
        def bound_max(cls) -> pd.Timestamp:
            return end

    return XSHGWithKnownHolidays(start=CALENDAR_START, end=end)


def exchange_calendar(
    extra_holidays: HolidayList = (), known_years: Iterable[int] = ()
) -> ExchangeCalendar:
    """The XSHG calendar with the extra holidays closed (built once per holiday list).

    It runs PROVISIONAL_YEARS past ``known_through``: those years close weekends only.
    """
    key = _holiday_key(extra_holidays)
    return _calendar(key, known_through(key, known_years).year)


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
        f"{local.isoformat()} is outside the {CALENDAR_NAME} calendar, which aligns times "
        f"from {cal.first_session.date()} to {cal.last_session.date()} (holidays known "
        "through the last year of the library or of an imported notice, weekends only "
        f"for {PROVISIONAL_YEARS} years after)"
    )


def _aligned_time(stamp: pd.Timestamp, cal: ExchangeCalendar) -> pd.Timestamp:
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


def align_event(
    ts_utc: str | dt.datetime | pd.Timestamp,
    *,
    extra_holidays: HolidayList = (),
    known_years: Iterable[int] = (),
) -> Alignment:
    """The first moment (UTC) the Shanghai market can react to something published at ``ts_utc``.

    During a session: the time itself. In the lunch break (11:30-13:00): 13:00 the
    same day. Before 09:30 on a trading day: 09:30 that day. After 15:00, on a weekend
    or a holiday: the next session's 09:30. The close (15:00:00) and the start of the
    break (11:30:00) belong to the closed period. Past ``known_through`` the answer is
    provisional (weekends only), with a note naming the last known day.
    """
    stamp = _as_utc(ts_utc)
    cal = exchange_calendar(extra_holidays, known_years)
    aligned = _aligned_time(stamp, cal)
    session = pd.Timestamp(aligned.tz_convert(EXCHANGE_TZ).date())
    last_known = known_through(extra_holidays, known_years)
    if session.date() <= last_known:
        return Alignment(aligned, session)
    note = (
        f"provisional: {session.date()} is past the last day whose exchange holidays are "
        f"known ({last_known}); only weekends were taken as closed (import that year's "
        "State Council holiday notice with `newsmon calendar import`)"
    )
    return Alignment(aligned, session, provisional=True, note=note)


def align_event_time(
    ts_utc: str | dt.datetime | pd.Timestamp,
    *,
    extra_holidays: HolidayList = (),
    known_years: Iterable[int] = (),
) -> pd.Timestamp:
    """``align_event(...).time``: the first moment (UTC) the market can react."""
    return align_event(ts_utc, extra_holidays=extra_holidays, known_years=known_years).time


def event_session(
    ts_utc: str | dt.datetime | pd.Timestamp,
    *,
    extra_holidays: HolidayList = (),
    known_years: Iterable[int] = (),
) -> pd.Timestamp:
    """Day 0: the session (naive midnight Timestamp) of ``align_event_time(ts_utc)``."""
    return align_event(ts_utc, extra_holidays=extra_holidays, known_years=known_years).session


def shift_trading_minutes(
    ts_utc: str | dt.datetime | pd.Timestamp,
    minutes: float,
    *,
    extra_holidays: HolidayList = (),
    known_years: Iterable[int] = (),
) -> pd.Timestamp:
    """The time ``minutes`` trading minutes after a time inside a session, capped at its close.

    The lunch break does not count: 11:15 + 30 trading minutes is 13:15. A time outside
    a session is first aligned with ``align_event_time``.
    """
    start = align_event_time(ts_utc, extra_holidays=extra_holidays, known_years=known_years)
    cal = exchange_calendar(extra_holidays, known_years)
    session = pd.Timestamp(start.tz_convert(EXCHANGE_TZ).date())
    close = cal.session_close(session)
    target = start + pd.Timedelta(minutes=minutes)
    break_start = cal.session_break_start(session)
    if pd.notna(break_start) and start < break_start < target:
        target += cal.session_break_end(session) - break_start
    return min(target, close)
