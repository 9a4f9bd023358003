"""`newsmon calendar` and the read-only `sql` as a user runs them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import DATA
from newsmon.cli import cli

NOTICE_2027 = DATA / "calendar" / "constructed_2027_notice.txt"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_align_national_day(tmp_path):
    db = tmp_path / "c.db"
    out = run("--db", str(db), "calendar", "align", "2022-10-01T10:00+08:00", "--json")
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["session"] == "2022-10-10"
    assert result["first_minute"] == "2022-10-10T09:30:00+08:00"
    assert not db.exists()  # reading the calendar creates no database


def test_2027_provisional_then_known_after_import(tmp_path):
    db = str(tmp_path / "c.db")
    before = json.loads(
        run("--db", db, "calendar", "align", "2027-02-08T10:00+08:00", "--json").output
    )
    assert before["provisional"] and "provisional" in before["notes"][0]
    imported = run("--db", db, "calendar", "import", str(NOTICE_2027))
    assert imported.exit_code == 0 and "2027: new, 18 closed weekdays" in imported.output
    after = json.loads(
        run("--db", db, "calendar", "align", "2027-02-08T10:00+08:00", "--json").output
    )
    assert not after["provisional"] and after["session"] == "2027-02-15"
    listing = json.loads(run("--db", db, "calendar", "--json").output)
    assert [r["source"] for r in listing] == ["library", "file", "provisional"]


def test_import_of_a_file_that_is_no_notice_is_one_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("今天天气很好。", encoding="utf-8")
    out = CliRunner().invoke(cli, ["--db", str(tmp_path / "c.db"), "calendar", "import", str(bad)])
    assert out.exit_code == 1
    assert out.output.strip().startswith("Error: ") and "bad.txt" in out.output
    assert "Traceback" not in out.output


def test_a_bad_time_exits_non_zero_naming_it(tmp_path):
    out = CliRunner().invoke(cli, ["--db", str(tmp_path / "c.db"), "calendar", "align", "soon"])
    assert out.exit_code == 1 and "'soon' is not a time" in out.output


def test_sql_refuses_attach_and_vacuum_into_creating_nothing(tmp_path, monkeypatch, seed_paths):
    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / "x.db")
    assert run("--db", db, "import", *map(str, seed_paths)).exit_code == 0
    for sql in ("ATTACH DATABASE 'a.db' AS a", "VACUUM INTO 'b.db'"):
        out = CliRunner().invoke(cli, ["--db", db, "sql", sql])
        assert out.exit_code == 1 and "refused" in out.output, out.output
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "b.db").exists()
    out = CliRunner().invoke(cli, ["--db", db, "sql", ""])
    assert out.exit_code == 1 and "empty SQL" in out.output
    runaway = (
        "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
    )
    out = CliRunner().invoke(cli, ["--db", db, "sql", runaway, "--timeout", "0.5"])
    assert out.exit_code == 1 and "stopped after 0.5 s" in out.output
