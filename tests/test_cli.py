import contextlib
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SEEDS
from newsmon.cli import cli
from newsmon.db import connect


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
    connect(tmp_path / "x.db").close()
    result = run("sql", "select * from nope", db=tmp_path / "x.db")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: SQL error: no such table: nope"


def test_sql_csv_output(tmp_path):
    connect(tmp_path / "x.db").close()
    out = run("sql", "select 1 as a, '智能' as b", "--csv", db=tmp_path / "x.db").output
    assert out.splitlines() == ["a,b", "1,智能"]


def test_bad_config_value_is_reported(tmp_path):
    user = tmp_path / "bad.toml"
    user.write_text("[crawl]\nretries = -1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(user), "stats"])
    assert result.exit_code == 2
    assert "crawl.retries" in result.output and "bad.toml" in result.output


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("command", ["stories", "react", "reactions", "digest"])
@pytest.mark.parametrize("bad", ["notadate", "2022-13-45", "2022-7-8", "08/07/2022"])
def test_a_bad_date_is_a_usage_error_naming_it(tmp_path, command, bad):
    result = run(command, "--date", bad, db=tmp_path / "x.db")
    assert result.exit_code == 2, result.output
    assert f"'{bad}' is not a date" in result.output and "YYYY-MM-DD" in result.output
    assert not (tmp_path / "x.db").exists()


# ---------------------------------------------------------------- a database that is not there


@pytest.mark.parametrize(
    "args",
    [
        ["stories"],
        ["story", "s0"],
        ["reactions", "--json"],
        ["search", "智能终端"],
        ["stats"],
        ["sql", "select 1"],
        ["jobs"],
        ["jobs", "--runs", "3"],
        ["serve", "--port", "0"],
    ],
    ids=" ".join,
)
def test_a_read_command_does_not_create_a_missing_database(tmp_path, args):
    db = tmp_path / "typo.db"
    result = run(*args, db=db)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {db}: no such database (create it with newsmon import/crawl/demo)"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_write_command_creates_the_database(tmp_path):
    db = tmp_path / "new" / "x.db"
    result = run("analyze", db=db)
    assert result.exit_code == 0, result.output
    assert db.is_file()
    assert run("stories", "--json", db=db).stdout.strip() == "[]"


# ---------------------------------------------------------------- storage failures are one line


def _newsmon(*args, cwd=None, limit_file_bytes=None):
    """newsmon in a child process, as a user runs it (optionally with a file-size limit)."""
    import resource
    import subprocess
    import sys

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    return subprocess.run(
        [sys.executable, "-m", "newsmon.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        preexec_fn=limit if limit_file_bytes else None,
        timeout=120,
    )


@contextlib.contextmanager
def read_only_file(path):
    """Make path unwritable for real: chmod for a user, the immutable flag for root."""
    import shutil
    import subprocess

    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if not shutil.which("chattr"):
        pytest.skip("running as root without chattr: no way to make a file read-only")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root where chattr +i is refused (no CAP_LINUX_IMMUTABLE)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("args", [["import", *SEEDS], ["analyze"]], ids=["import", "analyze"])
def test_a_read_only_database_is_one_line(tmp_path, args):
    db = tmp_path / "x.db"
    assert run("import", SEEDS[0], db=db).exit_code == 0
    with read_only_file(db):
        result = _newsmon("--db", "x.db", *args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: x.db: attempt to write a readonly database"
    )


def test_a_full_disk_is_one_line(tmp_path):
    """A file-size limit makes every write past it fail as a full disk does."""
    db = tmp_path / "x.db"
    assert run("import", SEEDS[0], db=db).exit_code == 0
    result = _newsmon(
        "--db", "x.db", "import", *SEEDS, cwd=tmp_path, limit_file_bytes=db.stat().st_size
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("Error")]
    assert line.startswith("Error: x.db: ") and ("disk" in line or "full" in line)


def test_a_file_that_is_not_a_database_is_one_line(tmp_path):
    (tmp_path / "notes.db").write_text("these are my notes, not SQLite\n" * 100, encoding="utf-8")
    for args in (["stories"], ["import", SEEDS[0]]):
        result = _newsmon("--db", "notes.db", *args, cwd=tmp_path)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("Error: notes.db: ") and "not a database" in line


def test_a_file_error_names_the_file(tmp_path):
    """An OSError (here: a digest folder under a plain file) is one line naming the path."""
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    user = tmp_path / "my.toml"
    user.write_text(
        f'[digest]\noutput_dir = "{tmp_path / "afile" / "digests"}"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli,
        ["--db", str(tmp_path / "x.db"), "--config", str(user), "digest", "--date", "2022-07-08"],
    )
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: {tmp_path / 'afile'}") and "Not a directory" in line


# ---------------------------------------------------------------- newsmon --help


def top_help():
    return CliRunner().invoke(cli, ["--help"], terminal_width=80).output


def test_help_lists_every_command_whole():
    text = top_help()
    listed = text.split("Commands:", 1)[1]
    for name, command in cli.commands.items():
        assert re.search(rf"^  {name}\s", listed, re.M), name
        first = command.get_short_help_str(limit=10_000)
        assert " ".join(first.split()) in " ".join(listed.split()), name
    assert "..." not in listed


def test_help_names_the_environment_variables():
    text = top_help()
    for name in (
        "NEWSMON_DB",
        "NEWSMON_CONFIG",
        "NEWSMON_BASE_URL",
        "NEWSMON_TRACEBACK",
        "NEWSMON_PROGRESS",
        "NEWSMON_RESULT_FILE",
    ):
        assert name in text


#: example commands of `newsmon --help` that need the network or run until stopped
NOT_RUN_OFFLINE = {"crawl", "serve", "schedule"}


def help_examples():
    block = top_help().split("Examples", 1)[1].split("Environment:", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip().startswith("newsmon ")]


def test_help_examples_run_as_written(tmp_path):
    """Each offline example of `newsmon --help` runs in a folder laid out like a clone."""
    import shlex
    import subprocess
    import sys
    from importlib import resources

    (tmp_path / "newsmon").symlink_to(Path(str(resources.files("newsmon"))))
    examples = help_examples()
    assert len(examples) >= 6
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    ran = []
    for line in examples:
        words = shlex.split(line)
        command = next(w for w in words[1:] if not w.startswith("-") and not w.endswith(".db"))
        if command in NOT_RUN_OFFLINE:
            continue
        result = subprocess.run(
            line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        assert result.stdout.strip(), line
        ran.append(command)
    assert {"demo", "stories", "reactions", "import", "search", "sql"} <= set(ran)
    reactions = json.loads(
        subprocess.run(
            "newsmon reactions --date 2022-07-08 --json",
            shell=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert {r["sector"] for r in reactions} >= {"metaverse"}
