"""The State Council's holiday notices read into exchange closures, on real notice sentences."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import pandas as pd
import pytest
from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar

from conftest import DATA
from newsmon.analysis.holidays import (
    NoticeError,
    arrangement_from_days,
    compare_closed_weekdays,
    notice_year,
    parse_description,
    parse_notice,
)

CAL = DATA / "calendar"


def load(name):
    return json.loads((CAL / name).read_text(encoding="utf-8"))


def as_pairs(holiday):
    return {(d.isoformat(), True) for d in holiday.off_days} | {
        (d.isoformat(), False) for d in holiday.work_days
    }


CASES = load("holidaycn_description_parsing_cases.json")


@pytest.mark.parametrize("case", CASES, ids=[f"{c['year']}-{i}" for i, c in enumerate(CASES)])
def test_every_real_notice_sentence(case):
    holiday = parse_description(case["description"], case["year"])
    assert as_pairs(holiday) == {(e["date"], e["isOffDay"]) for e in case["expected"]}


def test_bridging_new_year_takes_the_year_before_for_december():
    h = parse_description(
        "2007年12月30日—2008年1月1日放假，共3天。其中，1月1日（星期二）为法定节假日，"
        "12月29日（星期六）公休日调至12月31日（星期一），12月29日（星期六）上班。",
        2008,
    )
    assert h.off_days == [dt.date(2007, 12, 30), dt.date(2007, 12, 31), dt.date(2008, 1, 1)]
    assert h.work_days == [dt.date(2007, 12, 29)]
    assert h.stated_days == 3


def test_a_whole_notice_with_title_and_items():
    text = (CAL / "constructed_2027_notice.txt").read_text(encoding="utf-8")
    assert notice_year(text) == 2027
    arrangement = parse_notice(text)
    assert arrangement.year == 2027
    assert [h.name for h in arrangement.holidays] == [
        "元旦",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "中秋节",
        "国庆节",
    ]
    assert arrangement.notes == []  # every 共N天 agrees with the days read
    assert dt.date(2027, 2, 14) in arrangement.work_days  # a Sunday worked
    closed = arrangement.closed_weekdays()
    assert dt.date(2027, 2, 5) in closed and dt.date(2027, 2, 14) not in closed
    assert all(d.weekday() < 5 for d in closed)
    # Jan 1; Feb 5, 8-12; Apr 5; May 3-5; Jun 9; Sep 15; Oct 1, 4-7 (the rest fall on weekends)
    assert [d.strftime("%m-%d") for d in closed] == [
        "01-01", "02-05", "02-08", "02-09", "02-10", "02-11", "02-12", "04-05", "05-03",
        "05-04", "05-05", "06-09", "09-15", "10-01", "10-04", "10-05", "10-06", "10-07",
    ]  # fmt: skip


def test_text_without_a_year_or_holidays_is_refused():
    with pytest.raises(NoticeError, match="no year"):
        parse_notice("1月1日放假。")
    with pytest.raises(NoticeError, match="no holiday"):
        parse_notice("国务院办公厅关于2027年部分节假日安排的通知\n各地区要妥善安排好值班。")
    with pytest.raises(NoticeError, match="not a date"):
        parse_description("2月30日放假。", 2027)


def _derived_off_days():
    """Every day off the real notice texts in the fixtures give, and the years they cover whole."""
    off = set()
    per_year = defaultdict(set)
    for case in CASES:
        holiday = parse_description(case["description"], case["year"])
        off |= set(holiday.off_days)
        per_year[case["year"]].add(case["description"])
    lance = load("lanceliao_holidayAPI.json")["Years"]
    for year, items in lance.items():
        text = f"国务院办公厅关于{year}年部分节假日安排的通知\n" + "\n".join(
            i["Memo"] for i in items
        )
        off |= set(parse_notice(text).off_days)
    for year in (2025, 2026):
        off |= set(arrangement_from_days(year, load(f"holidaycn_{year}.json")["days"]).off_days)
    return off


#: the years whose whole arrangement is in the fixtures (2011 and others have one sentence only)
WHOLE_YEARS = (2007, 2008, 2013, 2014, 2016, 2018, 2019, 2023, 2024, 2025, 2026)
#: where the exchanges closed beyond the base notice: 2019's Labour Day was lengthened by a
#: later notice (5月1日至4日), and in 2024 the exchanges also closed on New Year's Eve (除夕,
#: 2月9日), a day the notice only encouraged employers to give off
KNOWN_EXCHANGE_EXTRAS = [dt.date(2019, 5, 2), dt.date(2019, 5, 3), dt.date(2024, 2, 9)]


def test_closed_days_agree_with_exchange_calendars():
    library = [d.date() for d in pd.DatetimeIndex(XSHGExchangeCalendar.precomputed_holidays())]
    result = compare_closed_weekdays(_derived_off_days(), library, WHOLE_YEARS)
    assert result["weekdays_compared"] == 2872
    assert result["only_ours"] == []
    assert result["only_library"] == KNOWN_EXCHANGE_EXTRAS
