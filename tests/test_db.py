import sqlite3

import pytest

from newsmon.db import ReadOnlyError, connect, migrations
from newsmon.db.articles import load_articles, save_article
from newsmon.db.queries import article_counts, run_readonly, search_articles


def row(**kw):
    base = {
        "url": "https://finance.sina.com.cn/roll/2022-07-08/doc-x.shtml",
        "site": "sina",
        "kind": "article",
        "title": "上海智能终端行动方案",
        "text": "上海市氢能产业与智能终端。",
        "text_match": "上海市氢能产业与智能终端。",
        "published_at": "2022-07-08T02:37:56Z",
    }
    base.update(kw)
    return base


def test_wal_and_foreign_keys(tmp_db):
    assert tmp_db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert tmp_db.execute("pragma foreign_keys").fetchone()[0] == 1


def test_upsert_is_idempotent(tmp_db):
    first = save_article(tmp_db, row())
    second = save_article(tmp_db, row())
    assert first[1] == "new" and second == (first[0], "unchanged")
    assert tmp_db["articles"].count == 1


def test_changed_content_updates_in_place(tmp_db):
    aid, _ = save_article(tmp_db, row())
    before = tmp_db["articles"].get(aid)
    assert save_article(tmp_db, row(title="新标题"), now="2030-01-01T00:00:00Z") == (aid, "updated")
    after = tmp_db["articles"].get(aid)
    assert after["title"] == "新标题" and after["first_seen_at"] == before["first_seen_at"]


def test_document_without_url_keyed_by_content(tmp_db):
    a = save_article(tmp_db, row(url=None, text_match="甲"))
    b = save_article(tmp_db, row(url=None, text_match="乙"))
    assert a[0] != b[0] and tmp_db["articles"].count == 2


def test_json_columns_round_trip(tmp_db):
    save_article(
        tmp_db, row(site_stock_tags=[{"code": "sz300024", "anchor": "机器人", "source": "span"}])
    )
    (article,) = load_articles(tmp_db)
    assert article["site_stock_tags"] == [
        {"code": "sz300024", "anchor": "机器人", "source": "span"}
    ]


def test_search_three_characters_uses_fts(tmp_db):
    save_article(tmp_db, row())
    (hit,) = search_articles(tmp_db, "智能终端")
    assert "[智能终端]" in hit["snippet"]


def test_search_two_characters_falls_back(tmp_db):
    save_article(tmp_db, row())
    (hit,) = search_articles(tmp_db, "氢能")
    assert "[氢能]" in hit["snippet"]


def test_search_no_hit(tmp_db):
    save_article(tmp_db, row())
    assert search_articles(tmp_db, "半导体") == []


def test_counts_by_shanghai_day(tmp_db):
    save_article(tmp_db, row(published_at="2022-07-08T17:00:00Z"))  # 01:00 on the 9th in Shanghai
    assert article_counts(tmp_db) == [{"site": "sina", "day_shanghai": "2022-07-09", "articles": 1}]


def test_readonly_refuses_writes(tmp_path):
    path = tmp_path / "ro.db"
    save_article(connect(path), row())
    with pytest.raises(ReadOnlyError, match="read-only"):
        run_readonly(path, "drop table articles")
    with pytest.raises(ReadOnlyError):
        run_readonly(path, "insert into articles (id, key, site, kind) values ('x', 'y', 'z', 'w')")
    assert run_readonly(path, "select count(*) from articles")[1] == [(1,)]


def test_first_schema_version_upgraded_in_place(tmp_path):
    path = tmp_path / "old.db"
    old = connect(path, migrate=False)
    migrations.apply(old, stop_before="m002_search_and_document_fields")
    old["articles"].insert(
        {
            "id": "a1",
            "key": "https://x/1",
            "site": "sina",
            "kind": "article",
            "title": "旧的文章",
            "text": "智能终端产业",
        }
    )
    old.conn.close()

    upgraded = connect(path)
    assert [m.name for m in migrations.pending(upgraded)] == []
    assert upgraded["articles"].get("a1")["title"] == "旧的文章"
    assert "parser" in upgraded["articles"].columns_dict
    assert [r["id"] for r in search_articles(upgraded, "智能终端")] == ["a1"]


def test_not_a_database(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(Exception) as err:
        connect(bad)
    assert "bad.db" in str(err.value) or isinstance(err.value, sqlite3.DatabaseError)


def test_last_job_run_of_each_job(tmp_db):
    from newsmon.db.jobs import last_job_runs, start_job_run

    assert last_job_runs(tmp_db) == {}
    for job, at in [
        ("b", "2022-01-01"),
        ("a", "2022-01-02"),
        ("b", "2022-01-03"),
        ("a", "2022-01-01"),
    ]:
        start_job_run(tmp_db, job, "crawl", started_at=f"{at}T00:00:00Z")
    newest = {job: run["started_at"][:10] for job, run in last_job_runs(tmp_db).items()}
    assert newest == {"a": "2022-01-02", "b": "2022-01-03"}


def test_crawl_run_left_running_is_closed_once(tmp_db):
    from newsmon.db.crawl import (
        crawl_run_after,
        finish_crawl_run,
        interrupt_crawl_run,
        last_crawl_run_id,
        start_crawl_run,
    )

    assert last_crawl_run_id(tmp_db, "sina") == 0 and crawl_run_after(tmp_db, "sina", 0) is None
    first = start_crawl_run(tmp_db, "sina")
    finish_crawl_run(tmp_db, first, status="ok", counts={"pages": 2}, errors=[])
    run = start_crawl_run(tmp_db, "sina")
    assert last_crawl_run_id(tmp_db, "sina") == run
    assert crawl_run_after(tmp_db, "sina", first)["id"] == run
    assert interrupt_crawl_run(tmp_db, run, "exited with -9", now="2030-01-01T00:00:00Z")
    assert not interrupt_crawl_run(tmp_db, first, "closed already")
    closed = crawl_run_after(tmp_db, "sina", first)
    assert (closed["status"], closed["reason"], closed["ended_at"]) == (
        "interrupted",
        "exited with -9",
        "2030-01-01T00:00:00Z",
    )
    assert crawl_run_after(tmp_db, "sina", 0)["status"] == "ok"


def test_stories_read_by_id_come_in_the_order_of_all_stories(tmp_path):
    """load_stories(ids=...) gives the same rows, in the same order (newest first
    publication first, undated last, then by id), as reading all and keeping those."""
    from newsmon.db.analysis import load_stories, replace_stories

    db = connect(tmp_path / "ids.db")
    times = ["2022-07-08T02:00:00Z", None, "2022-07-09T01:00:00Z", "2022-07-08T02:00:00Z", None]
    stories = [
        {"id": f"s{k}", "title": f"t{k}", "first_published_at": t, "meta": {"k": k}}
        for k, t in enumerate(times)
    ]
    replace_stories(db, stories, [], [])
    every = load_stories(db)
    for wanted in (["s0", "s1", "s2", "s3", "s4"], ["s3", "s1", "s0"], ["s4"], []):
        assert load_stories(db, ids=wanted) == [s for s in every if s["id"] in wanted]
    assert [s["id"] for s in every] == ["s2", "s0", "s3", "s1", "s4"]
