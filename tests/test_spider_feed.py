"""The generic feed spider: a configured Atom feed, generic extraction, and the allowed
domains enforced (an entry on an off-list domain is never requested)."""

from __future__ import annotations

import pytest

from replay_harness import check_second_run, check_stored, crawl_twice

SPIDER = "feed"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    yield from crawl_twice(SPIDER, tmp_path_factory)


def test_first_run_ok(crawled):
    assert crawled.first.status == "ok", crawled.first
    assert crawled.first.counts["new"] == 1


def test_feed_article_stored(crawled):
    (article,) = check_stored(crawled, sites=("government", "unknown"))
    assert "长三角" in article["text"]


def test_offsite_entry_not_fetched(crawled):
    assert crawled.server.requested("https://www.example.com/news/offsite.html") == 0
    assert crawled.first.stats["offsite_dropped"] == 1
    assert crawled.find("https://www.example.com/news/offsite.html") is None


def test_second_run_fetches_no_article(crawled):
    check_second_run(crawled, discovery_pages=1)
