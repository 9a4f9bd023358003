"""Stories over the stored seeds: the conclusions of the founding sample, from the database."""

import pytest

from conftest import SEEDS
from newsmon.crawler.ingest import import_files
from newsmon.db import connect
from newsmon.db.analysis import load_stories, load_story_members
from newsmon.pipeline import update_stories


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    db = connect(tmp_path_factory.mktemp("st") / "x.db")
    import_files(db, SEEDS)
    update_stories(db)
    return db


def roles(db):
    (story,) = load_stories(db)
    return {m["article_id"]: m for m in load_story_members(db, story["id"])}, story


def by_file(db, prefix):
    return db.execute(
        "select id from articles where json_extract(meta, '$.import_file') like ?", [prefix + "%"]
    ).fetchone()[0]


def test_one_story(stored):
    assert len(load_stories(stored)) == 1


@pytest.mark.parametrize(
    "prefix,role",
    [
        ("003", "origin"),
        ("004", "reprint"),
        ("000", "partial_reprint"),
        ("001", "commentary"),
        ("002", "related"),
    ],
)
def test_roles(stored, prefix, role):
    members, _ = roles(stored)
    assert members[by_file(stored, prefix)]["role"] == role


def test_official_origin_is_the_notice(stored):
    _, story = roles(stored)
    assert story["origin_article_id"] == by_file(stored, "003")


def test_first_media_publication_is_ithome(stored):
    _, story = roles(stored)
    assert (story["first_site"], story["first_published_at"]) == ("ithome", "2022-07-08T02:06:12Z")


def test_novelty_decays_in_publication_order(stored):
    members, _ = roles(stored)
    assert [members[by_file(stored, p)]["novelty"] for p in ("004", "000", "001")] == [100, 75, 56]


def test_rerun_changes_nothing(stored):
    before = [dict(r) for r in stored.query("select * from story_articles order by article_id")]
    assert update_stories(stored)["fingerprinted"] == 0
    after = [dict(r) for r in stored.query("select * from story_articles order by article_id")]
    assert after == before
