"""The ithome spider: RSS + list page, article pages, and the declared origin (官方原文 on
www.shanghai.gov.cn) followed with its PDF attachment."""

from __future__ import annotations

import pytest

from replay_harness import (
    check_second_run,
    check_stored,
    crawl_twice,
    expected_rows,
)

SPIDER = "ithome"
NOTICE = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
NOTICE_PDF = "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    yield from crawl_twice(SPIDER, tmp_path_factory)


def test_first_run_ok(crawled):
    assert crawled.first.status == "ok", crawled.first
    # two articles, the origin page and its PDF
    assert crawled.first.counts["new"] == len(expected_rows(SPIDER)) + 2


def test_every_recorded_article_stored(crawled):
    check_stored(crawled, sites="ithome")


def test_official_origin_followed(crawled):
    notice = crawled.find(NOTICE)
    assert notice is not None and notice["site"] == "shanghai_gov"
    assert crawled.first.stats["origins"] == 1


def test_origin_attachment_stored_as_its_own_document(crawled):
    pdf = crawled.find(NOTICE_PDF)
    notice = crawled.find(NOTICE)
    assert pdf["kind"] == "attachment"
    assert pdf["parent_id"] == notice["id"] == pdf["meta"]["parent_id"]
    assert "沪府办发" in pdf["text"] and "智能终端" in pdf["text"]


def test_second_run_fetches_no_article(crawled):
    check_second_run(crawled, discovery_pages=2)
    assert NOTICE.split("//")[1] not in {h.path.lstrip("/") for h in crawled.hits_second}
