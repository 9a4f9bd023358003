"""Stories keep their tags and reactions: crawl, analyze, crawl one new article, digest -
the sector table keeps its rows."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from newsmon.cli import cli
from newsmon.crawler.ingest import import_files
from newsmon.crawler.replay import replay_server
from newsmon.db import connect
from newsmon.db.analysis import load_tags
from newsmon.demo import DEMO_DAY, DEMO_SPIDERS, market_paths
from newsmon.pipeline import digest_data, refresh_after_store, rollup_stored_tags, tag_articles

SINA_US = "https://finance.sina.com.cn/stock/usstock/c/2019-09-09/doc-iicezzrq4681677.shtml"


def sector_rows(db_path) -> set[tuple[str, str, bool]]:
    """The digest's sector table: (story, sector, has a reaction) per row."""
    db = connect(db_path)
    try:
        data = digest_data(db, DEMO_DAY)
    finally:
        db.conn.close()
    return {
        (story["id"], sector["sector_id"], bool(sector.get("reaction") or sector.get("figures")))
        for story in data["stories"]
        for sector in story["sectors"]
    }


@pytest.fixture(scope="module")
def crawled_and_analyzed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keep")
    conf = tmp / "conf.toml"
    paths = ", ".join(f'"{p}"' for p in market_paths())
    conf.write_text(
        "[crawl]\ndownload_delay = 0.01\ntimeout_s = 5\nretries = 0\nfrontier_backoff_s = 0\n"
        f'[prices]\nprovider = "csv"\ncsv_paths = [{paths}]\n'
        f'[digest]\noutput_dir = "{tmp / "digests"}"\n',
        encoding="utf-8",
    )
    db = tmp / "x.db"
    with replay_server() as server:
        env = {"NEWSMON_BASE_URL": server.base_url, "NEWSMON_CONFIG": None, "NEWSMON_DB": None}

        def run(*args):
            result = CliRunner().invoke(
                cli, ["--db", str(db), "--config", str(conf), *args], env=env
            )
            return result

        server.set_fault(SINA_US, "500")  # one article arrives only after analyze
        for spider in DEMO_SPIDERS:
            run("crawl", spider)
        prices = run("prices", "update")
        assert prices.exit_code == 0, prices.output
        assert run("analyze").exit_code == 0
        after_analyze = sector_rows(db)
        server.clear_faults()
        crawl = run("crawl", "sina")
        digest = run("digest", "--date", DEMO_DAY)
    return {
        "db": db,
        "after_analyze": after_analyze,
        "crawl": crawl,
        "digest": digest,
        "after_crawl": sector_rows(db),
    }


def test_the_crawl_after_analyze_stored_one_new_article(crawled_and_analyzed):
    crawl = crawled_and_analyzed["crawl"]
    assert crawl.exit_code == 0, crawl.output
    assert "sina: ok; 3 pages, 1 new" in crawl.output


def test_the_digest_keeps_every_sector_row_it_had_after_analyze(crawled_and_analyzed):
    before, after = crawled_and_analyzed["after_analyze"], crawled_and_analyzed["after_crawl"]
    assert len(before) >= 5, before
    assert before <= after


def test_the_rendered_digest_has_its_sector_table(crawled_and_analyzed):
    digest = crawled_and_analyzed["digest"]
    assert digest.exit_code == 0, digest.output
    html = next((crawled_and_analyzed["db"].parent / "digests").glob("*.html")).read_text("utf-8")
    assert "metaverse" in html.lower() or "元宇宙" in html


def test_rolling_up_stored_tags_gives_what_analyze_gave(tmp_path):
    from conftest import SEEDS
    from newsmon.config import load_config

    config = load_config(env={}, db=str(tmp_path / "x.db"))
    db = connect(tmp_path / "x.db")
    import_files(db, SEEDS)
    refresh_after_store(db, config)
    tag_articles(db, config)
    analyzed = sorted((t["story_id"], t["code"], t["relevance"]) for t in all_story_tags(db))
    db.execute("delete from story_tags")
    assert rollup_stored_tags(db) == 1
    assert (
        sorted((t["story_id"], t["code"], t["relevance"]) for t in all_story_tags(db)) == analyzed
    )
    assert load_tags(db, story_id=analyzed[0][0])


def all_story_tags(db):
    return [dict(r) for r in db.query("select * from story_tags")]
