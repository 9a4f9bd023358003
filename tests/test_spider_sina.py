"""The sina spider on the replay site: the roll API and roll page lead to every recorded
Sina page; a second run fetches no article again."""

from __future__ import annotations

import pytest

from replay_harness import (
    check_second_run,
    check_stored,
    crawl_twice,
    expected_rows,
)

SPIDER = "sina"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    yield from crawl_twice(SPIDER, tmp_path_factory)


def test_first_run_ok(crawled):
    assert crawled.first.status == "ok", crawled.first
    assert crawled.first.counts["new"] == len(expected_rows(SPIDER))


def test_every_recorded_article_stored(crawled):
    check_stored(crawled, sites="sina")


def test_http_links_are_stored_as_https(crawled):
    urls = {a["url"] for a in crawled.articles}
    assert (
        "https://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml"
        in urls
    )
    assert not any(u.startswith("http://") for u in urls)


def test_gb2312_page_with_utf8_header_reads_as_chinese(crawled):
    (row,) = [a for a in crawled.articles if "chanye.finance" in a["url"]]
    assert "彩票" in row["text"] and "\ufffd" not in row["text"]
    assert "四年前中500万" in row["title"]
    raw = crawled.raw_pages[row["url"]]
    assert raw["encoding"].lower().replace("-", "") in ("gb2312", "gbk", "gb18030")


def test_roll_api_sent_with_referer_and_honest_user_agent(crawled):
    (hit,) = [h for h in crawled.hits_first if h.path == "/feed.mix.sina.com.cn/api/roll/get"]
    assert hit.referer == "https://news.sina.com.cn/"
    assert (
        hit.user_agent.startswith("newsmon/")
        and "https://github.com/newsmon/newsmon" in hit.user_agent
    )


def test_second_run_fetches_no_article(crawled):
    check_second_run(crawled, discovery_pages=2)
