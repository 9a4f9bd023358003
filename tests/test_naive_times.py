"""A time written without a zone by a Chinese source is Asia/Shanghai time, never UTC."""

from __future__ import annotations

import pytest

from newsmon.crawler.discovery import parse_feed
from newsmon.crawler.extract.archive import parse_post
from newsmon.timefmt import NO_ZONE_NOTE, declared_time


@pytest.mark.parametrize(
    "value",
    ["2022-07-08 10:06:12", "Fri, 08 Jul 2022 10:06:12", "Fri, 08 Jul 2022 10:06:12 -0000"],
)
def test_without_a_zone_is_shanghai_with_a_note(value):
    assert declared_time(value) == ("2022-07-08T02:06:12Z", NO_ZONE_NOTE)


@pytest.mark.parametrize(
    "value",
    ["Fri, 08 Jul 2022 10:06:12 +0800", "Fri, 08 Jul 2022 02:06:12 GMT", "2022-07-08T02:06:12Z"],
)
def test_with_a_zone_is_kept(value):
    assert declared_time(value) == ("2022-07-08T02:06:12Z", None)


def test_a_day_alone_or_nonsense_is_not_a_time():
    for value in ("2022-07-08", "soon"):
        with pytest.raises(ValueError):
            declared_time(value)


def test_imported_front_matter_date_without_zone():
    # YAML reads `2022-07-08 10:06:12` as a datetime without zone
    record = parse_post("title: 测试\ndate: 2022-07-08 10:06:12\n", "<p>正文。</p>", "x.txt")
    assert record.published_at == "2022-07-08T02:06:12Z"  # 10:06 in Shanghai, day 0 unchanged
    assert record.meta["published_at_zone"] == NO_ZONE_NOTE


def test_feed_dates_without_zone():
    rss = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        "<item><title>a</title><link>https://www.ithome.com/0/1/1.htm</link>"
        "<pubDate>Fri, 08 Jul 2022 10:06:12</pubDate></item>"
        "<item><title>b</title><link>https://www.ithome.com/0/1/2.htm</link>"
        "<pubDate>Fri, 08 Jul 2022 10:06:12 +0800</pubDate></item>"
        "</channel></rss>"
    )
    entries = parse_feed(rss)
    assert [e.published_at for e in entries] == ["2022-07-08T02:06:12Z"] * 2
