"""Which stored article a page or file is: canonical URLs, documents without a URL,
archived copies of crawled articles, what `import DIR` takes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import DATA, SEEDS
from newsmon.cli import cli
from newsmon.crawler.ingest import import_files
from newsmon.crawler.replay import replay_server
from newsmon.crawler.runner import run_crawl
from newsmon.crawler.urls import canonical_counts, registrable_domain
from newsmon.db import connect
from newsmon.db.analysis import load_stories, load_story_members
from newsmon.pipeline import update_stories
from replay_harness import replay_config, stored

SINA_000 = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
KEPU = "http://www.kepu.gov.cn/politics/2023-12/01/content_1755244.html"
ITHOME_004 = "https://www.ithome.com/0/628/383.htm"


def snapshot(db_path, url):
    (row,) = stored(db_path, url=url)
    return {k: row[k] for k in ("id", "title", "site", "text", "content_hash", "updated_at")}


# --- canonical URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "canonical,page,allowed,counts",
    [
        (SINA_000, KEPU, ["kepu.gov.cn"], False),  # another site: a hijack
        (SINA_000, "https://blog.sina.com.cn/x.html", ["sina.com.cn"], True),  # same site
        ("https://m.ithome.com/html/628383.htm", ITHOME_004, ["ithome.com"], True),
        ("https://www.ithome.com/0/628/383.htm", "https://www.ithome.com/x", [], True),
        ("https://www.shanghai.gov.cn/a.html", "https://sheitc.sh.gov.cn/b.html", [], False),
        ("https://www.shanghai.gov.cn/a.html", "https://sheitc.sh.gov.cn/b.html", ["gov.cn"], True),
        (None, KEPU, [], True),
    ],
)
def test_a_canonical_url_counts_on_its_own_site_or_the_allowed_domains(
    canonical, page, allowed, counts
):
    assert canonical_counts(canonical, page, allowed) is counts


def test_registrable_domains_follow_the_public_suffix_list():
    assert registrable_domain("https://finance.sina.com.cn/roll/x") == "sina.com.cn"
    assert registrable_domain("www.shanghai.gov.cn") == "shanghai.gov.cn"
    assert registrable_domain("sheitc.sh.gov.cn") == "sh.gov.cn"
    assert registrable_domain("http://127.0.0.1:8765/x") == "127.0.0.1"


def test_a_page_on_another_site_claiming_a_stored_url_leaves_that_article_unchanged(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        assert run_crawl(config, "sina").ok
        before = snapshot(config.db_path, SINA_000)
        n = len(stored(config.db_path))
        server.set_fault(KEPU, "hostile-canonical", target=SINA_000)
        result = run_crawl(config, "feed")
    assert snapshot(config.db_path, SINA_000) == before
    (page,) = stored(config.db_path, url=KEPU)
    assert page["canonical_url"] == KEPU and page["id"] != before["id"]
    assert page["meta"]["canonical_ignored"] == SINA_000
    assert "ignored" in page["missing"]["canonical_url"]
    assert len(stored(config.db_path)) == n + 1
    assert result.stats["canonical_ignored"] == 1
    assert [note["url"] for note in result.stats["notes"]] == [KEPU]


# --- documents without a URL ------------------------------------------------------------------

BODY = SEEDS[0].read_text(encoding="utf-8").split("\n---\n", 1)[1]


def post(title: str, category: str, author: str, date: str) -> str:
    return (
        f"---\ntitle: '{title}'\ncategories:\n - {category}\nauthor: {author}\n"
        f"date: {date}\n---\n{BODY}"
    )


@pytest.fixture
def two_sites(tmp_path):
    """One text published by IT之家 at 10:06 and reprinted by Sina at 10:37 (Shanghai)."""
    title = "上海：重点打造10款以上爆款智能网联汽车"
    ithome = tmp_path / "a_ithome.txt"
    ithome.write_text(post(title, "IT 之家", "IT 之家", "Fri, 08 Jul 2022 02:06:12 GMT"), "utf-8")
    sina = tmp_path / "b_sina.txt"
    sina.write_text(post(title, "新浪财经", "新浪财经", "Fri, 08 Jul 2022 02:37:56 GMT"), "utf-8")
    return ithome, sina


@pytest.mark.parametrize("order", ["ithome first", "sina first"])
def test_two_sites_identical_texts_are_two_articles_of_one_story(tmp_path, two_sites, order):
    ithome, sina = two_sites
    files = [ithome, sina] if order == "ithome first" else [sina, ithome]
    db = connect(tmp_path / f"{order}.db")
    for f in files:
        report = import_files(db, [f])
        assert report.counts["new"] == 1, report
    assert sorted(r["site"] for r in db.query("select site from articles")) == ["ithome", "sina"]
    update_stories(db)
    (story,) = load_stories(db)
    assert (story["first_site"], story["first_published_at"]) == ("ithome", "2022-07-08T02:06:12Z")
    assert {m["site"] for m in load_story_members(db, story["id"])} == {"ithome", "sina"}


def test_the_same_file_imported_again_or_edited_is_the_same_document(tmp_path, two_sites):
    ithome, _ = two_sites
    db = connect(tmp_path / "x.db")
    (first,) = import_files(db, [ithome]).article_ids
    assert import_files(db, [ithome]).counts["unchanged"] == 1
    front, body = ithome.read_text("utf-8").split("\n---\n", 1)
    ithome.write_text(front + "\n---\n" + body.replace("。", "！", 1), "utf-8")
    again = import_files(db, [ithome])
    assert again.counts["updated"] == 1 and again.article_ids == [first]
    assert db["articles"].count == 1


def test_an_archived_copy_of_a_crawled_article_updates_it(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        assert run_crawl(config, "sina").ok
    before = snapshot(config.db_path, SINA_000)
    n = len(stored(config.db_path))
    db = connect(config.db_path)
    report = import_files(db, [SEEDS[0]])  # Sina's post of that article: same title, minute
    assert report.article_ids == [before["id"]] and report.counts["new"] == 0
    assert db["articles"].count == n
    (row,) = stored(config.db_path, url=SINA_000)
    assert row["meta"]["archived_copy"] == SEEDS[0].name
    assert (row["parser"], row["text"], row["site"]) == ("sina", before["text"], "sina")


def test_an_archived_copy_naming_its_url_updates_that_article(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        assert run_crawl(config, "ithome").ok
    before = snapshot(config.db_path, ITHOME_004)
    copy = tmp_path / "copy.md"
    copy.write_text(
        post("另一个标题", "博客", "某人", "Sat, 09 Jul 2022 08:00:00 GMT").replace(
            "---\ntitle:", f"---\nurl: {ITHOME_004}\ntitle:", 1
        ),
        "utf-8",
    )
    db = connect(config.db_path)
    n = db["articles"].count
    report = import_files(db, [copy])
    assert report.article_ids == [before["id"]] and db["articles"].count == n
    (row,) = stored(config.db_path, url=ITHOME_004)
    assert row["title"] == before["title"] and row["meta"]["archived_copy"] == "copy.md"


def test_stored_text_keys_become_source_keys_and_ids_stay(tmp_path):
    """A database from before document keys: its text-keyed rows are rekeyed by m008."""
    path = tmp_path / "old.db"
    db = connect(path)
    import_files(db, SEEDS)
    ids = {r["id"]: r["meta"] for r in db.query("select id, meta from articles")}
    with db.atomic():
        for aid in ids:
            db.execute("update articles set key = 'sha256:' || id where id = ?", [aid])
        db.execute("delete from _sqlite_migrations where name = 'm008_document_keys'")
    db.conn.close()
    db = connect(path)  # m008 runs again on the old keys
    keys = {r["id"]: r["key"] for r in db.query("select id, key from articles")}
    assert set(keys) == set(ids)
    assert all(k.startswith("doc:") for k in keys.values())
    assert import_files(db, SEEDS).counts == {"new": 0, "updated": 0, "unchanged": 5}


# --- what import DIR takes ----------------------------------------------------------------------


def test_import_of_a_folder_takes_documents_and_lists_what_it_skipped(tmp_path):
    db = tmp_path / "x.db"
    seeds = DATA / "seeds"
    result = CliRunner().invoke(cli, ["--db", str(db), "import", str(seeds)])
    assert result.exit_code == 0, result.output
    assert "imported 5 new" in result.output
    assert f"skipped: {seeds / 'MANIFEST.tsv'}: describes the folder" in result.output
    rows = json.loads(
        CliRunner()
        .invoke(cli, ["--db", str(db), "sql", "select meta from articles", "--json"])
        .output
    )
    files = sorted(json.loads(r["meta"])["import_file"] for r in rows)
    assert files == sorted(p.name for p in SEEDS)


def test_a_folder_skips_data_files_and_reads_pages_and_pdfs(tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "README.md").write_text("# what this folder is\n", "utf-8")
    (folder / "prices.csv").write_text("date,close\n2022-07-08,1\n", "utf-8")
    (folder / "notes.json").write_text("{}", "utf-8")
    (folder / SEEDS[4].name).write_bytes(SEEDS[4].read_bytes())
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "imported 1 new" in result.output
    skipped = sorted(
        line.split(": ")[1] for line in result.output.splitlines() if "skipped" in line
    )
    assert skipped == [str(folder / n) for n in ("README.md", "notes.json", "prices.csv")]


def test_an_imported_file_larger_than_the_response_cap_is_refused(tmp_path):
    config = tmp_path / "cap.toml"
    config.write_text("[crawl]\nmax_response_bytes = 100000\n", "utf-8")
    big = tmp_path / "big.html"
    big.write_bytes(b"<html><body>" + b"<p>x</p>" * 15000 + b"</body></html>")
    args = ["--db", str(tmp_path / "x.db"), "--config", str(config), "import", str(big)]
    result = CliRunner().invoke(cli, [*args, str(SEEDS[4])])
    assert result.exit_code == 1
    assert f"{big}: 120,026 bytes, larger than the cap of 100,000" in result.output
    assert "imported 1 new" in result.output
