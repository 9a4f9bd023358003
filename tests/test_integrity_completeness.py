"""A copy that is not the whole document is stored marked incomplete, reported (the run is
partial, the command exits 1), fetched again, and repaired by a later healthy run."""

from __future__ import annotations

import json

from click.testing import CliRunner

from newsmon.cli import cli
from newsmon.crawler.completeness import (
    attachment_incomplete,
    cut_short_reason,
    ends_mid_markup,
    page_incomplete,
)
from newsmon.crawler.extract.dispatch import parse_page
from newsmon.crawler.replay import replay_server
from newsmon.crawler.replay.routes import build_routes, route_key
from newsmon.crawler.runner import run_crawl
from newsmon.db import connect
from newsmon.db.frontier import frontier_rows
from replay_harness import replay_config, stored

SINA_000 = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
SINA_FOREX = (
    "https://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml"
)
PDF = "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"
FAST = """
[crawl]
download_delay = 0.01
timeout_s = 5
retries = 1
retry_backoff_s = 0.1
frontier_backoff_s = 0
"""


def body_of(url):
    return build_routes()[route_key(url)].body


def frontier_state(db_path, url):
    db = connect(db_path)
    try:
        return frontier_rows(db, [url])[url]["state"]
    finally:
        db.conn.close()


# --- the signals --------------------------------------------------------------------------------


def test_a_sina_page_cut_in_the_middle_is_incomplete_and_says_why():
    body = body_of(SINA_000)
    cut = body[: len(body) * 3 // 5] + b"\x00<<<"
    text = cut.decode("utf-8", "replace").replace("\x00", "")
    record = parse_page(text, SINA_000, {})
    reason = page_incomplete(record, text)
    assert reason == "the document ends in the middle of its markup (no closing </html>)"
    whole = body.decode("utf-8")
    assert page_incomplete(parse_page(whole, SINA_000, {}), whole) is None


def test_a_site_page_without_its_template_body_is_incomplete():
    html = body_of(SINA_000).decode("utf-8")
    assert 'id="artibody"' in html
    broken = html.replace('id="artibody"', 'id="elsewhere"').replace('class="article"', 'class="x"')
    record = parse_page(broken, SINA_000, {})
    assert record.parser == "sina+generic"
    assert page_incomplete(record, broken).startswith("the sina template's body was not found")


def test_cut_short_responses_and_files():
    assert cut_short_reason(b"x" * 10, {"Content-Length": "20"}, False).startswith(
        "the response was cut short (DataLoss): 10 of 20 bytes"
    )
    assert (
        cut_short_reason(b"x" * 10, {"Content-Length": "20", "Content-Encoding": "gzip"}, False)
        is None
    )
    assert "DataLoss" in cut_short_reason(b"x", {}, True)
    pdf = body_of(PDF)
    assert attachment_incomplete(pdf, "pdf") is None
    assert (
        attachment_incomplete(pdf[: len(pdf) // 2], "pdf")
        == "the PDF ends before its %%EOF trailer"
    )
    assert ends_mid_markup("<html><body><p>x") and not ends_mid_markup("<html>x</html>\n")


# --- crawls -------------------------------------------------------------------------------------


def test_a_malformed_article_is_stored_incomplete_reported_and_repaired(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault(SINA_000, "malformed")
        broken = run_crawl(config, "sina")
        assert broken.status == "partial"
        (err,) = broken.errors
        assert err["url"] == SINA_000 and err["stage"] == "incomplete"
        assert "ends in the middle of its markup" in err["reason"]
        (row,) = stored(config.db_path, url=SINA_000)
        assert row["missing"]["text"].startswith("incomplete: the document ends in the middle")
        assert row["meta"]["incomplete"] and len(row["text"]) < 3000
        assert frontier_state(config.db_path, SINA_000) == "retry"
        server.clear_faults()
        healthy = run_crawl(config, "sina")
    assert healthy.ok and healthy.counts["updated"] == 1, healthy.errors
    (row,) = stored(config.db_path, url=SINA_000)
    assert "incomplete" not in row["meta"] and "text" not in row["missing"]
    assert len(row["text"]) > 5000 and row["parser"] == "sina"
    assert frontier_state(config.db_path, SINA_000) == "done"


def test_a_response_cut_short_is_stored_incomplete_then_repaired(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault(SINA_FOREX, "truncate")
        broken = run_crawl(config, "sina")
        assert broken.status == "partial"
        (err,) = broken.errors
        assert err["stage"] == "incomplete" and "DataLoss" in err["reason"]
        (row,) = stored(config.db_path, url=SINA_FOREX)
        assert "cut short" in row["meta"]["incomplete"]
        server.clear_faults()
        assert run_crawl(config, "sina").ok
    (row,) = stored(config.db_path, url=SINA_FOREX)
    assert "incomplete" not in row["meta"] and row["title"].startswith("人民币中间价")


def test_an_attachment_cut_short_is_stored_incomplete_then_repaired(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault(PDF, "truncate")
        assert run_crawl(config, "shanghai_gov").status == "partial"
        (row,) = stored(config.db_path, url=PDF)
        assert row["meta"]["incomplete"] and row["missing"]["text"].startswith("incomplete:")
        server.clear_faults()
        again = run_crawl(config, "shanghai_gov")
    assert again.ok
    (row,) = stored(config.db_path, url=PDF)
    assert "incomplete" not in row["meta"] and "元宇宙" in row["text"]


def test_crawl_command_exits_non_zero_on_an_incomplete_copy(tmp_path):
    conf = tmp_path / "fast.toml"
    conf.write_text(FAST, encoding="utf-8")
    with replay_server() as server:
        server.set_fault(SINA_000, "malformed")
        env = {"NEWSMON_BASE_URL": server.base_url, "NEWSMON_CONFIG": None, "NEWSMON_DB": None}
        args = ["--db", str(tmp_path / "x.db"), "--config", str(conf), "crawl", "sina"]
        result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1
    assert "sina: partial" in result.output
    assert f"failed: {SINA_000}: incomplete: the document ends in the middle" in result.output


def test_extract_names_an_incomplete_copy(tmp_path):
    body = body_of(SINA_000)
    page = tmp_path / "cut.html"
    page.write_bytes(body[: len(body) * 3 // 5])
    result = CliRunner().invoke(cli, ["extract", str(page), "--url", SINA_000])
    assert result.exit_code == 0, result.output
    assert "incomplete: the document ends in the middle of its markup" in result.output
    data = json.loads(
        CliRunner().invoke(cli, ["extract", str(page), "--url", SINA_000, "--json"]).output
    )
    assert data["missing"]["text"].startswith("incomplete: ")
    assert data["meta"]["incomplete"].startswith("the document ends in the middle")
