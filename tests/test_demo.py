"""The main job end to end: the replayed 2022-07-08 event through every stage, twice."""

import pytest

from newsmon.config import load_config
from newsmon.db import connect
from newsmon.db.analysis import load_reactions, load_stories
from newsmon.demo import DEMO_DAY, run_demo

STORED = (
    "articles",
    "stories",
    "story_articles",
    "article_relations",
    "tags",
    "story_tags",
    "prices",
    "reactions",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    config = load_config(
        env={},
        db=str(tmp / "demo.db"),
    )
    config.data["digest"]["output_dir"] = str(tmp / "digests")
    lines: list[str] = []
    first = run_demo(config, echo=lines.append)
    db = connect(tmp / "demo.db")
    counts = {t: db[t].count for t in STORED}
    second = run_demo(config, echo=lines.append)
    return {
        "db": db,
        "first": first,
        "second": second,
        "counts": counts,
        "lines": lines,
        "tmp": tmp,
    }


def event_story(db):
    (story,) = load_stories(db, day_shanghai=DEMO_DAY)
    return story


def test_every_crawl_succeeded(demo):
    assert {k: v["status"] for k, v in demo["first"]["crawls"].items()} == {
        "ithome": "ok",
        "sina": "ok",
        "shanghai_gov": "ok",
        "gov_cn": "ok",
    }


def test_one_story_that_day_from_the_official_notice(demo):
    db = demo["db"]
    story = event_story(db)
    origin = db["articles"].get(story["origin_article_id"])
    assert origin["site"] == "shanghai_gov" and origin["doc_number"] == "沪府办发〔2022〕12号"


def test_first_media_report_is_ithome_at_10_06(demo):
    story = event_story(demo["db"])
    assert (story["first_site"], story["first_published_at"]) == ("ithome", "2022-07-08T02:06:12Z")


def test_metaverse_rose_while_csi300_fell(demo):
    story = event_story(demo["db"])
    (row,) = [
        r for r in load_reactions(demo["db"], story_id=story["id"]) if r["sector_id"] == "metaverse"
    ]
    f = row["figures"]
    assert f["ar0"] > 0.03 and f["benchmark_return"] < 0
    assert row["event_time"] == "2022-07-08T02:06:12Z" and row["event_session"] == "2022-07-08"


def test_digest_written(demo):
    html = (demo["tmp"] / "digests" / f"{DEMO_DAY}.html").read_text(encoding="utf-8")
    assert "沪府办发〔2022〕12号" in html and "IT之家 at 2022-07-08 10:06:12" in html
    assert "data:image/png;base64," in html


def test_second_run_is_idempotent(demo):
    db = demo["db"]
    assert {t: db[t].count for t in STORED} == demo["counts"]
    assert all(v["new"] == 0 for v in demo["second"]["crawls"].values())
