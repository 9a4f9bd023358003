"""The Shanghai exchange calendar: when the market can first react to a story."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from newsmon.analysis.calendar import (
    CalendarRangeError,
    align_event,
    align_event_time,
    event_session,
    exchange_calendar,
    known_through,
    library_last_year,
    shift_trading_minutes,
)


def sh(text: str) -> pd.Timestamp:
    """A Shanghai wall-clock time."""
    return pd.Timestamp(text, tz="Asia/Shanghai")


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        # IT之家's first report, during the morning session: the time itself
        ("2022-07-08 10:06:12", "2022-07-08 10:06:12"),
        # Friday after the close -> Monday's open
        ("2022-07-08 16:00", "2022-07-11 09:30"),
        # the lunch break -> 13:00 the same day
        ("2022-07-08 12:00", "2022-07-08 13:00"),
        ("2022-07-08 11:30", "2022-07-08 13:00"),
        # before the open on a trading day -> 09:30 that day
        ("2022-07-08 07:45", "2022-07-08 09:30"),
        # exactly at the close: closed
        ("2022-07-08 15:00", "2022-07-11 09:30"),
        # afternoon session
        ("2022-07-08 14:59:59", "2022-07-08 14:59:59"),
        # a Saturday
        ("2022-07-09 10:00", "2022-07-11 09:30"),
        # National Day week 2022 (10-01..10-07 closed, then a weekend)
        ("2022-10-03 10:00", "2022-10-10 09:30"),
        ("2022-09-30 15:30", "2022-10-10 09:30"),
    ],
)
def test_align_event_time(published, expected):
    aligned = align_event_time(sh(published))
    assert aligned == sh(expected)
    assert str(aligned.tz) == "UTC"


def test_utc_input_and_string():
    assert align_event_time("2022-07-08T02:06:12Z") == pd.Timestamp("2022-07-08T02:06:12Z")
    assert align_event_time(pd.Timestamp("2022-07-08T08:00:00Z")) == sh("2022-07-11 09:30")


def test_event_session_is_day_zero():
    assert event_session("2022-07-08T02:06:12Z") == pd.Timestamp("2022-07-08")
    assert event_session(sh("2022-07-08 16:00")) == pd.Timestamp("2022-07-11")
    assert event_session(sh("2022-10-03 10:00")) == pd.Timestamp("2022-10-10")
    assert event_session(sh("2022-10-03 10:00")).tzinfo is None


def test_naive_time_refused():
    with pytest.raises(ValueError, match="no time zone"):
        align_event_time(pd.Timestamp("2022-07-08 10:06:12"))


def test_extra_holidays_are_honoured():
    # pretend Monday 2022-07-11 was closed
    aligned = align_event_time(sh("2022-07-08 16:00"), extra_holidays=["2022-07-11"])
    assert aligned == sh("2022-07-12 09:30")
    assert align_event_time(sh("2022-07-11 10:00"), extra_holidays=["2022-07-11"]) == sh(
        "2022-07-12 09:30"
    )
    # the plain calendar is unchanged
    assert align_event_time(sh("2022-07-08 16:00")) == sh("2022-07-11 09:30")


def test_past_the_known_holidays_is_provisional_with_a_note():
    last_known = known_through()
    assert last_known == dt.date(library_last_year(), 12, 31)
    # a Tuesday early in the first year nothing knows the holidays of
    year = last_known.year + 1
    day = pd.Timestamp(f"{year}-02-02 10:00", tz="Asia/Shanghai")
    while day.weekday() >= 5:
        day += pd.Timedelta(days=1)
    result = align_event(day)
    assert result.provisional
    assert result.time == day.tz_convert("UTC")
    assert str(last_known) in result.note and "provisional" in result.note
    # align_event_time gives the same time without raising
    assert align_event_time(day) == result.time
    # a Saturday still moves to Monday
    saturday = day + pd.Timedelta(days=(5 - day.weekday()))
    assert align_event(saturday).session.weekday() == 0


def test_far_outside_the_calendar_is_a_clear_error():
    cal = exchange_calendar()
    with pytest.raises(CalendarRangeError) as info:
        align_event_time(sh("2099-02-03 10:00"))
    message = str(info.value)
    assert "2099-02-03" in message
    assert str(cal.last_session.date()) in message
    with pytest.raises(CalendarRangeError):
        align_event_time(sh("1999-02-03 10:00"))


def test_extra_holidays_extend_the_known_range():
    year = library_last_year() + 1
    holidays = [f"{year}-01-01", f"{year}-02-10"]
    assert known_through(holidays) == dt.date(year, 12, 31)
    day = pd.Timestamp(f"{year}-02-10 10:00", tz="Asia/Shanghai")
    result = align_event(day, extra_holidays=holidays)
    assert not result.provisional
    assert result.session.date() > day.date()


def test_a_notice_year_extends_the_known_range():
    year = library_last_year() + 1
    day = pd.Timestamp(f"{year}-03-02 10:00", tz="Asia/Shanghai")
    assert align_event(day).provisional
    assert not align_event(day, known_years=[year]).provisional


def test_bad_extra_holiday():
    with pytest.raises(ValueError, match="not a date"):
        exchange_calendar(["next friday"])


def test_shift_trading_minutes_skips_the_lunch_break():
    assert shift_trading_minutes(sh("2022-07-08 10:06:12"), 30) == sh("2022-07-08 10:36:12")
    assert shift_trading_minutes(sh("2022-07-08 11:15"), 30) == sh("2022-07-08 13:15")
    assert shift_trading_minutes(sh("2022-07-08 14:45"), 60) == sh("2022-07-08 15:00")
    # outside a session: from the aligned time
    assert shift_trading_minutes(sh("2022-07-08 12:00"), 30) == sh("2022-07-08 13:30")
