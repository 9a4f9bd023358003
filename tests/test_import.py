"""newsmon import on the five seed documents: what is stored, field by field."""

import json

import pytest
from click.testing import CliRunner

from conftest import SEEDS
from newsmon.cli import cli


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    db = tmp_path_factory.mktemp("imp") / "x.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "import", *map(str, SEEDS)])
    assert result.exit_code == 0, result.output
    return db


def sql(db, query):
    result = CliRunner().invoke(cli, ["--db", str(db), "sql", query, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def article(db, prefix):
    """The article imported from the seed file whose name starts with prefix."""
    rows = sql(
        db, f"select * from articles where json_extract(meta, '$.import_file') like '{prefix}%'"
    )
    assert len(rows) == 1
    return rows[0]


def test_five_articles_stored(imported):
    assert sql(imported, "select count(*) as n from articles") == [{"n": 5}]


@pytest.mark.parametrize(
    "prefix,site,published",
    [
        ("004", "ithome", "2022-07-08T02:06:12Z"),
        ("000", "sina", "2022-07-08T02:37:56Z"),
        ("001", "sina", "2022-07-08T02:41:25Z"),
        ("002", "government", None),
        ("003", "government", None),
    ],
)
def test_site_and_publication_time(imported, prefix, site, published):
    row = article(imported, prefix)
    assert (row["site"], row["published_at"]) == (site, published)


def test_official_notice_keeps_its_document_date(imported):
    assert article(imported, "003")["document_date"] == "2022-06-24"


def test_official_notice_document_number(imported):
    assert article(imported, "003")["doc_number"] == "沪府办发〔2022〕12号"


def test_reimport_changes_no_row(imported):
    before = sql(imported, "select id, content_hash, updated_at from articles order by id")
    result = CliRunner().invoke(cli, ["--db", str(imported), "import", *map(str, SEEDS)])
    assert "0 new, 0 updated, 5 unchanged" in result.output
    assert sql(imported, "select id, content_hash, updated_at from articles order by id") == before


def test_search_three_characters_finds_all_five(imported):
    result = CliRunner().invoke(cli, ["--db", str(imported), "search", "智能终端", "--json"])
    assert len(json.loads(result.output)) == 5


def test_search_two_characters_finds_the_plans(imported):
    result = CliRunner().invoke(cli, ["--db", str(imported), "search", "氢能", "--json"])
    found = {r["id"] for r in json.loads(result.output)}
    assert found == {article(imported, "003")["id"], article(imported, "004")["id"]}


def test_sina_stock_tags_with_anchor_words(imported):
    tags = json.loads(article(imported, "001")["site_stock_tags"])
    assert {(t["code"], t["anchor"]) for t in tags} == {
        ("sz300024", "机器人"),
        ("sz300832", "新产业"),
    }


def test_ithome_origin_link_to_shanghai_gov(imported):
    links = json.loads(article(imported, "004")["origin_links"])
    assert any(
        link["url"].startswith("https://www.shanghai.gov.cn/nw12344/20220708/") for link in links
    )


def test_sina_declared_origin(imported):
    assert article(imported, "000")["source"] == "上海人民政府网站"


def test_pdf_text_matching_form(imported):
    text_match = article(imported, "003")["text_match"]
    assert "2022—2025" in text_match
    assert "《上海市培育“元宇宙”新赛道行动方案" in text_match


def test_editor_line_removed_from_text(imported):
    row = article(imported, "001")
    assert "责任编辑" not in row["text"] and "新浪财经APP" not in row["text"]


def test_bad_files_reported_and_others_imported(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    bad_date = tmp_path / "bad_date.txt"
    bad_date.write_text(
        "---\ntitle: 'x'\nauthor: 新浪财经\ndate: Fri, 31 Feb 2022 02:37:56 GMT\n---\n<div><p>正文</p></div>\n",
        encoding="utf-8",
    )
    nobody = tmp_path / "nobody.html"
    nobody.write_text("<html><head><title>t</title></head><body></body></html>", encoding="utf-8")
    db = tmp_path / "x.db"
    CliRunner().invoke(cli, ["--db", str(db), "import", str(SEEDS[0])])
    before = sql(db, "select * from articles")
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            str(db),
            "import",
            str(empty),
            str(binary),
            str(bad_date),
            str(nobody),
            str(SEEDS[1]),
        ],
    )
    assert result.exit_code == 1
    for bad in (empty, binary, bad_date, nobody):
        assert f"{bad}:" in result.output
    assert "1 new" in result.output
    after = sql(db, "select * from articles")
    assert [r for r in after if r["id"] == before[0]["id"]] == before
