"""The shanghai_gov spider: the nw12344 list, the official notice with its PDF, and a
commission page on sh.gov.cn."""

from __future__ import annotations

import pytest

from replay_harness import check_second_run, check_stored, crawl_twice, replay_config, stored

SPIDER = "shanghai_gov"
NOTICE = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
NOTICE_PDF = "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    yield from crawl_twice(SPIDER, tmp_path_factory)


def test_first_run_ok(crawled):
    assert crawled.first.status == "ok", crawled.first
    assert crawled.first.counts["new"] == 3  # notice, its PDF, the commission's note


def test_every_page_stored(crawled):
    check_stored(
        crawled, sites={"www.shanghai.gov.cn": "shanghai_gov", "*": ("government", "shanghai_gov")}
    )


def test_notice_and_its_pdf(crawled):
    notice, pdf = crawled.find(NOTICE), crawled.find(NOTICE_PDF)
    assert notice["doc_number"] == "沪府办发〔2022〕12号"
    assert pdf["kind"] == "attachment" and pdf["parent_id"] == notice["id"]
    assert crawled.raw_pages[NOTICE_PDF]["headers"]["Content-Type"] == "application/pdf"


def test_second_run_fetches_no_article(crawled):
    check_second_run(crawled, discovery_pages=1)
    assert not any(h.path.endswith(".pdf") for h in crawled.hits_second)


def test_policy_platform_list_then_details(tmp_path):
    from newsmon.crawler.replay import replay_server
    from newsmon.crawler.runner import run_crawl

    api = {
        "policy_page_api": "https://www.shanghai.gov.cn/gwk/policy/page",
        "policy_detail_api": "https://www.shanghai.gov.cn/gwk/policy/detail",
        "policy_site_ids": ["0001"],
        "list_pages": [],
    }
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "p.db", sources={"shanghai_gov": api})
        result = run_crawl(config, SPIDER)
        assert result.status == "ok", result.errors
        posts = [h for h in server.hits if h.path.startswith("/www.shanghai.gov.cn/gwk/")]
        assert [h.path.rsplit("/", 1)[1] for h in posts] == ["page", "detail", "detail"]
    docs = stored(config.db_path, parser="shanghai_gov_policy_json")
    # the replay's detail route answers the one recorded document for any businessId
    assert len(docs) == 1
    (doc,) = docs
    assert doc["canonical_url"].startswith("https://www.shanghai.gov.cn/zhengce/detail?")
    assert doc["doc_number"] == "沪府办发〔2022〕12号" and doc["text"]
    attachments = stored(config.db_path, parent_id=doc["id"])
    assert attachments and all(a["kind"] == "attachment" for a in attachments)


def test_policy_platform_list_only_is_stored_as_it_stands(tmp_path):
    """Without a detail API the list answer is the document: stored, then unchanged."""
    from newsmon.crawler.replay import replay_server
    from newsmon.crawler.runner import run_crawl

    api = {
        "policy_page_api": "https://www.shanghai.gov.cn/gwk/policy/page",
        "policy_site_ids": ["0001"],
        "list_pages": [],
    }
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "l.db", sources={"shanghai_gov": api})
        first, second = run_crawl(config, SPIDER), run_crawl(config, SPIDER)
        posts = [h.path.rsplit("/", 1)[1] for h in server.hits if "/gwk/" in h.path]
    assert posts == ["page", "page"]
    docs = stored(config.db_path, parser="shanghai_gov_policy_json")
    assert first.status == second.status == "ok"
    assert first.counts["new"] == len(docs) >= 1
    assert (second.counts["new"], second.counts["updated"]) == (0, 0)
    assert second.counts["unchanged"] == len(docs)
