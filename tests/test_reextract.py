"""Re-extraction from the raw-page archive: a parser change reaches the stored articles."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from newsmon.cli import cli
from newsmon.config import load_config
from newsmon.crawler.extract import dispatch
from newsmon.db import connect
from newsmon.db.articles import load_articles
from newsmon.demo import run_demo


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reextract")
    config = load_config(env={}, db=str(tmp / "demo.db"))
    config.data["digest"]["output_dir"] = str(tmp / "digests")
    run_demo(config, echo=lambda line: None)
    return tmp / "demo.db"


@pytest.fixture
def db_path(demo_db, tmp_path):
    path = tmp_path / "copy.db"
    shutil.copy(demo_db, path)
    return path


def run(db_path, *args):
    out = CliRunner().invoke(cli, ["--db", str(db_path), "reextract", *args, "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def ithome_articles(db_path):
    return [a for a in load_articles(connect(db_path)) if a["site"] == "ithome"]


def test_nothing_changes_when_the_parsers_did_not(db_path):
    result = run(db_path, "--dry-run")
    assert result["pages"] > 0
    assert result["articles_changed"] == 0 and result["failures"] == []


def test_a_parser_change_is_listed_then_applied(db_path, monkeypatch):
    before = ithome_articles(db_path)
    assert before
    original = dispatch.PARSERS["ithome"]

    def changed_parser(*args, **kwargs):  # a parser fix: IT之家 now reads its author as 编辑
        record = original(*args, **kwargs)
        record.author = "编辑部"
        return record

    monkeypatch.setitem(dispatch.PARSERS, "ithome", changed_parser)
    dry = run(db_path, "--dry-run", "--site", "ithome")
    assert dry["articles_changed"] == len(before)
    assert dry["fields"] == {"author": len(before)}
    assert ithome_articles(db_path) == before  # a dry run changes nothing
    stories_before = CliRunner().invoke(cli, ["--db", str(db_path), "stories", "--json"]).output

    applied = run(db_path, "--site", "ithome")
    assert applied["articles_changed"] == len(before)
    after = ithome_articles(db_path)
    assert {a["author"] for a in after} == {"编辑部"}
    assert [a["id"] for a in after] == [a["id"] for a in before]  # same articles, updated
    assert all(a["meta"]["reextracted"]["fields"] == ["author"] for a in after)
    # stories, tags and reactions followed: the story is still there with its sectors
    assert applied["refresh"]["stories"]["stories"] >= 1
    stories_after = CliRunner().invoke(cli, ["--db", str(db_path), "stories", "--json"]).output
    assert [s["id"] for s in json.loads(stories_after)] == [
        s["id"] for s in json.loads(stories_before)
    ]
    again = run(db_path, "--dry-run", "--site", "ithome")
    assert again["articles_changed"] == 0


def test_an_article_stored_by_an_older_parser_is_repaired(db_path):
    db = connect(db_path)
    (a,) = [x for x in load_articles(db) if x["site"] == "sina"][:1]
    db.conn.execute(
        "update articles set text = ? where id = ?", ["原标题：旧的\n" + a["text"], a["id"]]
    )
    db.conn.commit()
    result = run(db_path, "--site", "sina")
    assert result["fields"].get("text") == 1
    (repaired,) = load_articles(connect(db_path), [a["id"]])
    assert repaired["text"] == a["text"]
