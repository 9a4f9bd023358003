"""Exchange holidays past the library, from an imported notice or a crawled one, used in alignment."""

from __future__ import annotations

import pytest

from conftest import DATA
from newsmon.analysis.holidays import NoticeError
from newsmon.config import load_config
from newsmon.db.articles import save_article
from newsmon.db.calendar import load_calendar_years
from newsmon.holidays import (
    align_news_time,
    calendar_overview,
    import_notice_file,
    known_holidays,
    pick_up_notices,
)

NOTICE_2027 = DATA / "calendar" / "constructed_2027_notice.txt"


@pytest.fixture
def config(tmp_path):
    return load_config(env={"NEWSMON_DB": str(tmp_path / "x.db")})


def test_national_day_moves_to_the_next_session(tmp_db, config):
    out = align_news_time(tmp_db, config, "2022-10-01T10:00+08:00")
    assert out["session"] == "2022-10-10"
    assert out["first_minute"] == "2022-10-10T09:30:00+08:00"
    assert not out["provisional"] and out["notes"] == []


def test_a_time_without_zone_is_shanghai_time_with_a_note(tmp_db, config):
    out = align_news_time(tmp_db, config, "2022-07-08 10:06:12")
    assert out["first_minute"] == "2022-07-08T10:06:12+08:00"
    assert "Asia/Shanghai" in out["notes"][0]


def test_2027_is_provisional_until_its_notice_is_imported(tmp_db, config):
    # Monday 2027-02-08 falls in the (constructed) notice's Spring Festival
    before = align_news_time(tmp_db, config, "2027-02-08T10:00+08:00")
    assert before["provisional"] and before["session"] == "2027-02-08"
    assert "provisional" in before["notes"][0]
    result = import_notice_file(tmp_db, NOTICE_2027)
    assert result["year"] == 2027 and result["status"] == "new"
    assert result["closed_weekdays"] == 18
    after = align_news_time(tmp_db, config, "2027-02-08T10:00+08:00")
    assert not after["provisional"]
    assert after["session"] == "2027-02-15"  # Feb 5-13 off; Sunday 14th worked, exchange shut
    assert after["first_minute"] == "2027-02-15T09:30:00+08:00"
    # the year now shows where it came from, and importing again changes nothing
    sources = {r["years"]: r["source"] for r in calendar_overview(tmp_db, config)}
    assert sources["2027"] == "file"
    assert sources["2028-2032"] == "provisional"
    assert import_notice_file(tmp_db, NOTICE_2027)["status"] == "unchanged"
    closed, years = known_holidays(tmp_db, config)
    assert years == [2027] and "2027-02-05" in closed


def test_a_crawled_notice_is_picked_up(tmp_db, config):
    text = NOTICE_2027.read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    save_article(
        tmp_db,
        {
            "url": "https://www.gov.cn/zhengce/content/2026-11/notice.htm",
            "site": "gov_cn",
            "kind": "article",
            "title": title,
            "text": body,
        },
    )
    picked = pick_up_notices(tmp_db)
    assert [p["year"] for p in picked] == [2027]
    (stored,) = load_calendar_years(tmp_db)
    assert stored["source"] == "notice article"
    assert stored["ref"].endswith("notice.htm")


def test_a_file_that_is_no_notice_is_refused(tmp_db, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("今天天气很好。", encoding="utf-8")
    with pytest.raises(NoticeError, match="bad.txt"):
        import_notice_file(tmp_db, bad)
    assert load_calendar_years(tmp_db) == []


def test_a_holiday_cn_file_is_a_year_too(tmp_db):
    result = import_notice_file(tmp_db, DATA / "calendar" / "holidaycn_2026.json")
    assert result["year"] == 2026 and result["closed_weekdays"] == 19
    assert "within exchange_calendars" in result["notes"][0]
