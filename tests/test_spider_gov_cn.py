"""The gov_cn spider: the static JSON list and the /zhengce/ list page; government pages
on gov.cn domains; attachment links that answer 404 are kept with the reason."""

from __future__ import annotations

import pytest

from replay_harness import (
    check_second_run,
    check_stored,
    crawl_twice,
    expected_rows,
)

SPIDER = "gov_cn"
JL = "http://xxgk.jl.gov.cn/szf/gkml/202201/t20220128_8389416.html"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    yield from crawl_twice(SPIDER, tmp_path_factory)


def test_first_run_ok(crawled):
    assert crawled.first.status == "ok", crawled.first
    assert crawled.first.counts["failed"] == 0


def test_every_recorded_page_stored(crawled):
    check_stored(crawled, sites={"www.gov.cn": "gov_cn", "*": ("government", "gov_cn")})
    assert crawled.first.stats["article_pages"] == len(expected_rows(SPIDER))


def test_dead_attachment_links_kept_with_a_reason(crawled):
    page = crawled.find(JL)
    attachments = [a for a in crawled.articles if a["parent_id"] == page["id"]]
    assert {a["url"].rsplit(".", 1)[1] for a in attachments} == {"pdf", "doc"}
    for a in attachments:
        assert a["kind"] == "attachment" and a["text"] == ""
        assert a["missing"]["text"] == "the attachment answered HTTP 404"
    assert crawled.first.stats["attachments_missing"] == 2


def test_second_run_fetches_no_article(crawled):
    check_second_run(crawled, discovery_pages=2)
