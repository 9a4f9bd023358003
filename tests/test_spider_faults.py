"""Injected faults end as logged retries or failures recorded in crawl_runs; nothing
stored before is lost or duplicated; the run is "partial"."""

from __future__ import annotations

import pytest

from newsmon.crawler.replay import replay_server
from newsmon.crawler.runner import run_crawl
from newsmon.db import connect
from newsmon.db.crawl import load_crawl_runs, start_crawl_run
from replay_harness import expected_rows, https, replay_config, stored

ROLL_API = "https://feed.mix.sina.com.cn/api/roll/get"
SINA_000 = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
SINA_001 = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2749306.shtml"
SINA_2018 = "https://finance.sina.com.cn/roll/2018-12-28/doc-ihqfskcn2160999.shtml"
SINA_US = "https://finance.sina.com.cn/stock/usstock/c/2019-09-09/doc-iicezzrq4681677.shtml"
SINA_FOREX = (
    "https://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml"
)
ITHOME = "https://www.ithome.com/0/866/661.htm"


def snapshot(db_path):
    return {a["url"]: (a["id"], a["content_hash"], a["updated_at"]) for a in stored(db_path)}


@pytest.fixture(scope="module")
def sina_with_faults(tmp_path_factory):
    """A clean crawl, then a --refresh crawl with one fault of each kind."""
    with replay_server() as server:
        db = tmp_path_factory.mktemp("faults") / "crawl.db"
        config = replay_config(server.base_url, db, crawl={"timeout_s": 2})
        clean = run_crawl(config, "sina")
        before = snapshot(db)
        server.set_fault(ROLL_API, "malformed")
        server.set_fault(SINA_US, "500")
        server.set_fault(SINA_2018, "429", times=1, retry_after=1)
        server.set_fault(SINA_FOREX, "truncate")
        server.set_fault(SINA_001, "redirect-loop")
        server.set_fault(SINA_000, "slow", times=1, delay=3)
        faulty = run_crawl(config, "sina", refresh=True)
        yield clean, before, faulty, snapshot(db), server


def failed_urls(result):
    return {e["url"]: e["reason"] for e in result.errors}


def test_clean_run_first(sina_with_faults):
    clean, before, *_ = sina_with_faults
    assert clean.status == "ok" and len(before) == len(expected_rows("sina"))


def test_run_with_failures_is_partial(sina_with_faults):
    faulty = sina_with_faults[2]
    assert faulty.status == "partial"
    assert faulty.counts["failed"] == len(faulty.errors) == 4, faulty.errors


def test_500_retried_then_recorded(sina_with_faults):
    faulty, server = sina_with_faults[2], sina_with_faults[4]
    assert failed_urls(faulty)[SINA_US] == "HTTP 500"
    assert server.requested(SINA_US) == 1 + 1 + 2  # clean run, then 1 try + 2 retries
    assert faulty.stats["retry/count"] >= 2 + 2 + 1 + 1


def test_429_retry_after_honoured(sina_with_faults):
    faulty, server = sina_with_faults[2], sina_with_faults[4]
    assert SINA_2018 not in failed_urls(faulty)
    assert faulty.stats["retry_after_honoured"] >= 1
    statuses = [h.status for h in server.hits if h.path.endswith("doc-ihqfskcn2160999.shtml")]
    assert statuses == [200, 429, 200]


def test_slow_response_times_out_then_retried(sina_with_faults):
    faulty = sina_with_faults[2]
    assert SINA_000 not in failed_urls(faulty)
    assert faulty.stats["retry/count"] >= 1


def test_truncated_body_is_a_failure(sina_with_faults):
    reason = failed_urls(sina_with_faults[2])[SINA_FOREX]
    assert "ResponseFailed" in reason or "DataLoss" in reason or "PotentialDataLoss" in reason


def test_redirect_loop_is_a_failure(sina_with_faults):
    assert "redirect" in failed_urls(sina_with_faults[2])[SINA_001]


def test_malformed_json_is_a_discovery_failure(sina_with_faults):
    faulty = sina_with_faults[2]
    (err,) = [e for e in faulty.errors if e["url"].startswith(ROLL_API)]
    assert err["stage"] == "discovery" and "not valid JSON" in err["reason"]


def test_nothing_lost_or_duplicated(sina_with_faults):
    _, before, faulty, after, _ = sina_with_faults
    assert set(after) == set(before)
    for url in (SINA_US, SINA_FOREX, SINA_001):
        assert after[url] == before[url]
    assert faulty.counts["new"] == 0


def test_refresh_refetched_the_rest(sina_with_faults):
    faulty = sina_with_faults[2]
    assert faulty.counts["refetched"] == 2  # 000 (after the timeout) and 2018 (after 429)
    assert faulty.counts["unchanged"] == 2


def test_feed_copy_kept_when_the_page_fails_then_replaced(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault(ITHOME, "500")
        failed = run_crawl(config, "ithome")
        assert failed.status == "partial"
        (row,) = stored(config.db_path, url=ITHOME)
        assert row["parser"] == "feed-description" and "HTTP 500" in row["missing"]["page"]
        assert "蔚来" in row["text"] and row["published_at"] == "2025-07-08T10:04:18Z"
        server.clear_faults()
        again = run_crawl(config, "ithome")
        assert again.status == "ok" and again.counts["updated"] == 1
        (row,) = stored(config.db_path, url=ITHOME)
        assert row["parser"] != "feed-description" and "page" not in row["missing"]


def test_oversized_response_is_a_failure(tmp_path):
    with replay_server() as server:
        config = replay_config(
            server.base_url, tmp_path / "x.db", crawl={"max_response_bytes": 20_000}
        )
        result = run_crawl(config, "feed")
        assert result.status == "partial"
        (err,) = result.errors
        assert err["url"] == "http://www.kepu.gov.cn/politics/2023-12/01/content_1755244.html"


def test_killed_crawl_is_interrupted_and_a_rerun_completes_it(tmp_path):
    slow = [r["live_url"] for r in expected_rows("sina")][:4]
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        for url in slow:
            server.set_fault(url, "slow", delay=30)
        killed = run_crawl(config, "sina", timeout=8)
        assert killed.status == "interrupted", killed
        partial = len(stored(config.db_path))
        assert 1 <= partial <= len(expected_rows("sina")) - len(slow)
        server.clear_faults()
        rerun = run_crawl(config, "sina")
        assert rerun.status == "ok"
        assert rerun.counts["new"] == len(expected_rows("sina")) - partial
        urls = [a["url"] for a in stored(config.db_path)]
        assert len(urls) == len(set(urls)) == len(expected_rows("sina"))
        assert {https(r["live_url"]) for r in expected_rows("sina")} == set(urls)


def test_run_left_running_is_marked_interrupted_at_the_next_start(tmp_path):
    db = connect(tmp_path / "x.db")
    crashed = start_crawl_run(db, "sina")
    other = start_crawl_run(db, "ithome")
    current = start_crawl_run(db, "sina")
    runs = {r["id"]: r for r in load_crawl_runs(db)}
    assert runs[crashed]["status"] == "interrupted" and runs[crashed]["ended_at"]
    assert runs[other]["status"] == runs[current]["status"] == "running"


def test_malformed_feed_is_a_failure_and_the_list_page_still_works(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault("https://www.ithome.com/rss/", "malformed")
        result = run_crawl(config, "ithome")
    assert result.status == "partial"
    (err,) = result.errors
    assert err["stage"] == "discovery" and "not well formed" in err["reason"]
    urls = {a["url"] for a in stored(config.db_path)}
    assert {"https://www.ithome.com/0/866/661.htm", "https://www.ithome.com/0/628/383.htm"} <= urls
