"""The Shanghai exchange calendar: when the market can first react to a story."""

from __future__ import annotations

import pandas as pd
import pytest

from newsmon.analysis.calendar import (
    CalendarRangeError,
    align_event_time,
    event_session,
    exchange_calendar,
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


def test_past_the_calendar_is_a_clear_error():
    last = exchange_calendar().last_session
    with pytest.raises(CalendarRangeError) as info:
        align_event_time(sh("2031-02-03 10:00"))
    message = str(info.value)
    assert "2031-02-03" in message
    assert str(last.date()) in message
    # after the close of the last known session there is no next session to name
    with pytest.raises(CalendarRangeError, match=str(last.date())):
        align_event_time(pd.Timestamp(f"{last.date()} 16:00", tz="Asia/Shanghai"))


def test_extra_holidays_extend_the_calendar():
    last = exchange_calendar().last_session
    year = last.year + 1
    holidays = [f"{year}-01-01", f"{year}-02-10"]
    cal = exchange_calendar(holidays)
    assert cal.last_session.year == year
    day = pd.Timestamp(f"{year}-02-10 10:00", tz="Asia/Shanghai")
    aligned = align_event_time(day, extra_holidays=holidays)
    assert aligned.tz_convert("Asia/Shanghai").date() > day.date()


def test_bad_extra_holiday():
    with pytest.raises(ValueError, match="not a date"):
        exchange_calendar(["next friday"])


def test_shift_trading_minutes_skips_the_lunch_break():
    assert shift_trading_minutes(sh("2022-07-08 10:06:12"), 30) == sh("2022-07-08 10:36:12")
    assert shift_trading_minutes(sh("2022-07-08 11:15"), 30) == sh("2022-07-08 13:15")
    assert shift_trading_minutes(sh("2022-07-08 14:45"), 60) == sh("2022-07-08 15:00")
    # outside a session: from the aligned time
    assert shift_trading_minutes(sh("2022-07-08 12:00"), 30) == sh("2022-07-08 13:30")
