"""The persistent frontier: what failed is fetched again when due, origins and attachments
of stored pages included; 404/410 too often is gone; `newsmon frontier` shows it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newsmon.cli import cli
from newsmon.crawler.replay import replay_server
from newsmon.crawler.runner import run_crawl
from newsmon.db import connect
from newsmon.db.frontier import (
    MAX_BACKOFF_S,
    frontier_rows,
    load_frontier,
    mark_done,
    mark_failed,
    next_attempt,
    want_urls,
)
from replay_harness import expected_rows, replay_config, stored

ORIGIN = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
PDF = "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"
ITHOME_004 = "https://www.ithome.com/0/628/383.htm"
SINA_US = "https://finance.sina.com.cn/stock/usstock/c/2019-09-09/doc-iicezzrq4681677.shtml"


def frontier_row(db_path, url):
    db = connect(db_path)
    try:
        return frontier_rows(db, [url]).get(url)
    finally:
        db.conn.close()


# --- the table --------------------------------------------------------------------------------


def test_the_wait_doubles_with_each_attempt_up_to_a_day():
    now = "2026-01-01T00:00:00Z"
    assert next_attempt(now, 1, 600) == "2026-01-01T00:10:00Z"
    assert next_attempt(now, 2, 600) == "2026-01-01T00:20:00Z"
    assert next_attempt(now, 4, 600) == "2026-01-01T01:20:00Z"
    assert next_attempt(now, 30, 600) == "2026-01-02T00:00:00Z" and MAX_BACKOFF_S == 86400
    assert next_attempt(now, 3, 0) == now


def test_a_404_three_times_is_gone_other_failures_retry(tmp_db):
    states = [
        mark_failed(
            tmp_db, "https://x.cn/a", spider="s", role="article", error="HTTP 404", status=404
        )
        for _ in range(3)
    ]
    assert states == ["retry", "retry", "gone"]
    for _ in range(5):
        state = mark_failed(tmp_db, "https://x.cn/b", spider="s", role="article", error="HTTP 500")
    assert state == "retry"
    rows = {r["url"]: r for r in load_frontier(tmp_db)}
    assert (rows["https://x.cn/a"]["attempts"], rows["https://x.cn/a"]["next_attempt_at"]) == (
        3,
        None,
    )
    assert (
        rows["https://x.cn/b"]["attempts"] == 5
        and rows["https://x.cn/b"]["last_error"] == "HTTP 500"
    )


def test_an_incomplete_copy_served_again_and_again_is_settled(tmp_db):
    """A page a site always serves without its end is kept as served, not retried forever."""
    url = "https://x.cn/a"
    states = [
        mark_failed(
            tmp_db, url, spider="s", role="article", error="incomplete: cut", settle_after=5
        )
        for _ in range(5)
    ]
    assert states == ["retry"] * 4 + ["done"]
    row = frontier_rows(tmp_db, [url])[url]
    assert row["next_attempt_at"] is None
    assert row["last_error"] == "incomplete: cut (kept as served after 5 attempts)"


def test_wanting_a_done_url_again_leaves_it_done(tmp_db):
    url = "https://x.cn/a"
    assert want_urls(tmp_db, [{"url": url, "spider": "s", "role": "article"}]) == 1
    mark_done(tmp_db, url, spider="s", role="article", article_id="abc")
    assert want_urls(tmp_db, [{"url": url, "spider": "s", "role": "article"}]) == 0
    row = frontier_rows(tmp_db, [url])[url]
    assert (row["state"], row["attempts"], row["article_id"]) == ("done", 1, "abc")


# --- crawls -----------------------------------------------------------------------------------


def test_an_origin_that_failed_is_stored_by_the_next_crawl(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault(ORIGIN, "500")
        first = run_crawl(config, "ithome")
        assert first.status == "partial"
        assert {e["url"] for e in first.errors} == {ORIGIN}
        assert not stored(config.db_path, url=ORIGIN)
        row = frontier_row(config.db_path, ORIGIN)
        assert (row["state"], row["role"], row["last_error"]) == ("retry", "origin", "HTTP 500")
        server.clear_faults()
        second = run_crawl(config, "ithome")
    assert second.ok, second.errors
    (origin,) = stored(config.db_path, url=ORIGIN)
    assert origin["site"] == "shanghai_gov" and origin["doc_number"] == "沪府办发〔2022〕12号"
    assert stored(config.db_path, url=PDF), "the origin's attachment"
    assert second.stats["frontier_due"] == 1 and second.counts["new"] == 2
    assert frontier_row(config.db_path, ORIGIN)["state"] == "done"


def test_an_attachment_that_failed_is_fetched_next_run_though_its_page_is_stored(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault(PDF, "503", retry_after=0)
        assert run_crawl(config, "shanghai_gov").status == "partial"
        assert not stored(config.db_path, url=PDF)
        server.clear_faults()
        again = run_crawl(config, "shanghai_gov")
        assert again.ok and again.stats["skipped_known"] >= 1  # the page is not fetched again
    (pdf,) = stored(config.db_path, url=PDF)
    assert pdf["kind"] == "attachment" and "元宇宙" in pdf["text"]


def test_what_a_stored_page_links_is_fetched_after_the_crawl_is_killed(tmp_path):
    """The page is stored, the crawl dies before its origin arrives: the next run fetches it."""
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db", crawl={"timeout_s": 30})
        server.set_fault(ORIGIN, "slow", delay=60)
        killed = run_crawl(config, "ithome", timeout=8)
        assert killed.status == "interrupted"
        assert stored(config.db_path, url=ITHOME_004) and not stored(config.db_path, url=ORIGIN)
        assert frontier_row(config.db_path, ORIGIN)["state"] == "pending"
        server.clear_faults()
        again = run_crawl(config, "ithome")
    assert again.ok
    assert stored(config.db_path, url=ORIGIN) and stored(config.db_path, url=PDF)


def test_a_url_answering_404_is_gone_after_three_runs_and_not_asked_again(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db", crawl={"retries": 0})
        server.set_fault(SINA_US, "404")
        runs = [run_crawl(config, "sina") for _ in range(3)]
        assert [r.status for r in runs] == ["partial"] * 3
        assert runs[2].stats["gone"] == 1
        assert runs[2].stats["gone_urls"] == [{"url": SINA_US, "reason": "HTTP 404"}]
        asked = server.requested(SINA_US)
        fourth = run_crawl(config, "sina")
        assert fourth.ok and fourth.stats["skipped_gone"] == 1
        assert server.requested(SINA_US) == asked == 3
    assert frontier_row(config.db_path, SINA_US)["state"] == "gone"


def test_a_failed_url_waits_for_its_next_attempt(tmp_path):
    with replay_server() as server:
        crawl = {"retries": 0, "frontier_backoff_s": 3600}
        config = replay_config(server.base_url, tmp_path / "x.db", crawl=crawl)
        server.set_fault(SINA_US, "500", times=1)
        assert run_crawl(config, "sina").status == "partial"
        later = run_crawl(config, "sina")  # listed again, but not due for an hour
        assert later.ok and later.stats["deferred"] == 1
        assert server.requested(SINA_US) == 1
        refreshed = run_crawl(config, "sina", refresh=True)
    assert refreshed.ok and stored(config.db_path, url=SINA_US)


def test_articles_stored_before_the_frontier_are_not_fetched_again(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        assert run_crawl(config, "sina").ok
        db = connect(config.db_path)
        with db.atomic():
            db.execute("delete from frontier")  # as a database from before the frontier
        db.conn.close()
        n = len(server.hits)
        again = run_crawl(config, "sina")
        fetched = {h.path for h in server.hits[n:]}
    assert again.ok and again.stats["skipped_known"] == len(expected_rows("sina"))
    assert not any("doc-i" in p for p in fetched)
    db = connect(config.db_path)
    assert {r["state"] for r in load_frontier(db, states=["done"])} == {"done"}
    assert len(load_frontier(db, states=["pending", "retry"])) == 0


# --- newsmon frontier -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    with replay_server() as server:
        path = tmp_path_factory.mktemp("frontier") / "x.db"
        config = replay_config(server.base_url, path, crawl={"frontier_backoff_s": 600})
        server.set_fault(ORIGIN, "500")
        run_crawl(config, "ithome")
    return path


def frontier_cli(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), "frontier", *args])


def test_frontier_lists_what_is_failing_by_spider(failing):
    result = frontier_cli(failing)
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split()[:4] == ["spider", "state", "role", "url"]
    (line,) = [r for r in rows if "retry" in r]  # long URLs are cut in the table
    assert line.split()[:3] == ["ithome", "retry", "origin"] and "HTTP 500" in line
    assert "https://www.shanghai.gov.cn/nw12344/20220708/" in line


def test_frontier_json_has_every_column(failing):
    rows = json.loads(frontier_cli(failing, "--json", "--spider", "ithome").output)
    (row,) = rows
    assert row["url"] == ORIGIN and row["attempts"] == 1 and row["last_status"] == 500
    assert row["next_attempt_at"] > row["last_attempt_at"]
    assert json.loads(frontier_cli(failing, "--json", "--spider", "sina").output) == []


def test_frontier_summary_counts_states_per_spider(failing):
    (row,) = json.loads(frontier_cli(failing, "--summary", "--json").output)
    assert row == {"spider": "ithome", "pending": 0, "retry": 1, "gone": 0, "done": 2}


def test_frontier_of_a_missing_database_is_an_error(tmp_path):
    result = frontier_cli(tmp_path / "none.db")
    assert result.exit_code == 1 and "no such database" in result.output


def test_frontier_help_has_an_example():
    result = CliRunner().invoke(cli, ["frontier", "--help"])
    assert result.exit_code == 0 and "newsmon frontier --spider sina" in result.output
