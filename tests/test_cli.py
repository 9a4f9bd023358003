import json

import pytest
from click.testing import CliRunner

from conftest import SEEDS
from newsmon.cli import cli


def run(*args, db=None):
    prefix = ["--db", str(db)] if db else []
    return CliRunner().invoke(cli, [*prefix, *map(str, args)], catch_exceptions=False)


def all_commands(group=cli, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize(
    "path,command", list(all_commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help_with_an_example(path, command):
    assert command.help and "Example" in command.help, (
        f"newsmon {' '.join(path)} has no help example"
    )


def test_sql_refuses_drop_and_table_survives(tmp_path):
    db = tmp_path / "x.db"
    assert run("import", *SEEDS, db=db).exit_code == 0
    result = run("sql", "drop table articles", db=db)
    assert result.exit_code == 1
    assert "read-only" in result.output
    assert json.loads(run("sql", "select count(*) as n from articles", "--json", db=db).output) == [
        {"n": 5}
    ]


def test_sql_error_is_one_line(tmp_path):
    result = run("sql", "select * from nope", db=tmp_path / "x.db")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: SQL error: no such table: nope"


def test_sql_csv_output(tmp_path):
    out = run("sql", "select 1 as a, '智能' as b", "--csv", db=tmp_path / "x.db").output
    assert out.splitlines() == ["a,b", "1,智能"]


def test_bad_config_value_is_reported(tmp_path):
    user = tmp_path / "bad.toml"
    user.write_text("[crawl]\nretries = -1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(user), "stats"])
    assert result.exit_code == 2
    assert "crawl.retries" in result.output and "bad.toml" in result.output
