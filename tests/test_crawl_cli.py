"""`newsmon crawl` (exit 1 when the run had failures) and `newsmon extract`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import DATA
from newsmon.cli import cli
from newsmon.crawler.replay import replay_server

SINA_US = "https://finance.sina.com.cn/stock/usstock/c/2019-09-09/doc-iicezzrq4681677.shtml"
FAST = """
[crawl]
download_delay = 0.01
timeout_s = 5
retries = 1
retry_backoff_s = 0.1
retry_after_max_s = 2

[sources.feed]
feeds = ["http://www.kepu.gov.cn/feed/atom.xml"]
"""


@pytest.fixture(scope="module")
def server():
    with replay_server() as srv:
        yield srv


@pytest.fixture
def user_config(tmp_path):
    path = tmp_path / "fast.toml"
    path.write_text(FAST, encoding="utf-8")
    return path


def crawl(server, db, config, *args):
    env = {"NEWSMON_BASE_URL": server.base_url, "NEWSMON_CONFIG": None, "NEWSMON_DB": None}
    return CliRunner().invoke(
        cli, ["--db", str(db), "--config", str(config), "crawl", *args], env=env
    )


def test_crawl_ok_exits_zero(server, tmp_path, user_config):
    server.clear_faults()
    result = crawl(server, tmp_path / "x.db", user_config, "sina")
    assert result.exit_code == 0, result.output
    assert "sina: ok; 12 pages, 10 new, 0 updated, 0 unchanged, 0 failed" in result.output
    again = crawl(server, tmp_path / "x.db", user_config, "sina")
    assert again.exit_code == 0
    assert "sina: ok; 2 pages, 0 new" in again.output
    assert "skipped (already stored): " in again.output


def test_crawl_with_failures_exits_non_zero(server, tmp_path, user_config):
    server.clear_faults()
    server.set_fault(SINA_US, "500")
    try:
        result = crawl(server, tmp_path / "y.db", user_config, "sina")
    finally:
        server.clear_faults()
    assert result.exit_code == 1, result.output
    assert "sina: partial;" in result.output
    assert f"failed: {SINA_US}: HTTP 500" in result.output


def test_crawl_json_output(server, tmp_path, user_config):
    server.clear_faults()
    result = crawl(server, tmp_path / "z.db", user_config, "feed", "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)  # progress, if any, is on stderr
    assert run["status"] == "ok" and run["counts"]["new"] == 1 and run["run_id"] == 1


def test_refresh_fetches_again(server, tmp_path, user_config):
    server.clear_faults()
    db = tmp_path / "r.db"
    assert crawl(server, db, user_config, "feed").exit_code == 0
    result = crawl(server, db, user_config, "feed", "--refresh")
    assert result.exit_code == 0, result.output
    assert "0 new, 0 updated, 1 unchanged" in result.output and "refetched: 1" in result.output


def test_unknown_spider_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "crawl", "bbc"])
    assert result.exit_code == 2


def test_crawl_help_has_an_example():
    result = CliRunner().invoke(cli, ["crawl", "--help"])
    assert "Example:" in result.output and "newsmon crawl sina" in result.output


SINA_PAGE = DATA / "real/sina/sina_finance_usstock_2019-09-09_doc-iicezzrq4681677.html"


def test_extract_shows_parser_fields_and_gaps(tmp_path):
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "x.db"), "extract", str(SINA_PAGE), "--url", SINA_US]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("parser: ") and "site sina" in lines[0]
    for name in ("title", "published_at", "source", "stock_tags", "text", "origin_links"):
        assert any(line.startswith(f"{name}: ") for line in lines), name
    assert any(line.startswith("not found:") for line in lines)


def test_extract_json(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["--db", str(tmp_path / "x.db"), "extract", str(SINA_PAGE), "--url", SINA_US, "--json"],
    )
    data = json.loads(result.stdout)
    assert data["site"] == "sina" and data["url"] == SINA_US and data["title"]
    assert "missing" in data and data["encoding"]


def test_extract_survives_a_wrong_declared_charset(tmp_path):
    page = DATA / "real/labeled/cwced_sina_chanye_2005_gb2312.html"
    url = "https://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml"
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            str(tmp_path / "x.db"),
            "extract",
            str(page),
            "--url",
            url,
            "--charset",
            "utf-8",
            "--json",
        ],
    )
    data = json.loads(result.output)
    assert "彩票" in data["text"] and "\ufffd" not in data["text"]


def test_relative_db_path_is_the_callers(server, tmp_path, user_config, monkeypatch):
    server.clear_faults()
    monkeypatch.chdir(tmp_path)
    result = crawl(server, "rel/x.db", user_config, "feed")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rel" / "x.db").is_file()


def test_crawl_shows_progress_on_stderr(server, tmp_path):
    """A crawl of a few seconds reports pages and new articles as it goes, on stderr only."""
    import re

    server.clear_faults()
    slow = tmp_path / "slow.toml"
    slow.write_text(FAST.replace("download_delay = 0.01", "download_delay = 0.4"), encoding="utf-8")
    result = crawl(server, tmp_path / "p.db", slow, "sina")
    assert result.exit_code == 0, result.output
    lines = [x for x in result.stderr.splitlines() if x.startswith("crawl sina: ")]
    pattern = r"crawl sina: (\d+) pages, (\d+) new, \d+ updated, \d+ unchanged, (\d+) failed, \w+ \(\d+ s\)"
    assert lines and all(re.fullmatch(pattern, x) for x in lines), result.stderr
    assert int(re.fullmatch(pattern, lines[-1]).group(1)) > 0
    assert "crawl sina:" not in result.stdout
