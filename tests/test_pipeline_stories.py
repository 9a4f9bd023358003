"""Stories over the stored seeds: the conclusions of the founding sample, from the database."""

import pytest

from conftest import SEEDS
from newsmon.analysis.stories import StoryIndex, membership_rows, story_rows
from newsmon.crawler.ingest import import_files
from newsmon.db import connect
from newsmon.db.analysis import (
    load_stories,
    load_story_article_ids,
    load_story_members,
    update_story_meta,
)
from newsmon.pipeline import story_record, update_stories


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


def test_story_article_ids_in_stored_order(stored):
    ids = load_story_article_ids(stored)
    (story,) = load_stories(stored)
    assert {r["story_id"] for r in ids} == {story["id"]}
    assert sorted(r["article_id"] for r in ids) == sorted(roles(stored)[0])
    assert [r["article_id"] for r in ids] == sorted(r["article_id"] for r in ids)  # as saved


def test_update_story_meta_merges(tmp_path):
    db = connect(tmp_path / "meta.db")
    import_files(db, SEEDS)
    update_stories(db)
    (story,) = load_stories(db)
    update_story_meta(db, story["id"], {"reaction_error": "outside the calendar"})
    (after,) = load_stories(db)
    assert after["meta"] == {**story["meta"], "reaction_error": "outside the calendar"}
    update_story_meta(db, "no such story", {"x": 1})  # nothing to update, no error
    assert load_stories(db)[0]["meta"] == after["meta"]


def test_story_and_membership_rows_from_the_index():
    text = (
        "上海市人民政府办公厅印发促进智能终端产业高质量发展行动方案，到2025年产业规模突破7000亿元。"
    )
    hydrogen = (
        "北京市发布氢能产业发展实施方案，到2025年前培育10至15家具有国际影响力的产业链龙头企业。"
    )
    records = [
        story_record(
            {"id": "a", "site": "sina", "kind": "article", "title": "智能终端", "text": text * 4}
        ),
        story_record(
            {"id": "b", "site": "ithome", "kind": "article", "title": "氢能", "text": hydrogen * 4}
        ),
    ]
    index = StoryIndex.from_signatures(records, {})
    stories = story_rows(index.stories())
    assert sorted(s["origin_article_id"] for s in stories) == ["a", "b"]
    assert set(stories[0]) == {
        "id",
        "title",
        "origin_article_id",
        "first_article_id",
        "first_published_at",
        "first_site",
        "n_articles",
        "n_sites",
        "official_origin_url",
        "first_site_name",
        "meta",
    }
    assert set(stories[0]["meta"]) == {"sites", "site_names", "n_records", "n_files", "origin"}
    members = membership_rows(index.roles())
    assert [(m["article_id"], m["role"]) for m in members] == [("a", "origin"), ("b", "origin")]
    assert story_rows([]) == [] and membership_rows({}) == []
