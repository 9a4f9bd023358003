"""Bad configuration files through the real command line: exit 2, one line naming file and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsmon.cli import cli

#: no setting of the caller's environment leaks into a case
CLEAN_ENV = {"NEWSMON_CONFIG": None, "NEWSMON_DB": None, "NEWSMON_BASE_URL": None}

JOB = '[schedule.jobs.nightly]\naction = "analyze"\n'

#: id -> (the user file, what its one-line message must say besides the file name)
BAD_FILES = {
    "unknown key": (
        "[crawl]\ndowload_delay = 2\n",
        ["crawl has unknown key 'dowload_delay'", "did you mean download_delay?"],
    ),
    "unknown section": (
        "[crawll]\ndownload_delay = 2\n",
        ["unknown section [crawll]", "did you mean [crawl]?"],
    ),
    "key outside its section": (
        "download_delay = 2\n",
        ["'download_delay' at the top level", "did you mean [crawl] download_delay?"],
    ),
    "unknown source": (
        "[sources.nosuch]\nenabled = true\n",
        ["unknown source [sources.nosuch]", "expected one of sina, ithome"],
    ),
    "misspelt source": (
        '[sources.ithom]\nfeeds = ["https://www.ithome.com/rss/"]\n',
        ["unknown source [sources.ithom]", "did you mean [sources.ithome]?"],
    ),
    "misspelt key of a source": (
        "[sources.sina]\nroll_page = 2\n",
        ["sources.sina has unknown key 'roll_page'", "did you mean roll_pages?"],
    ),
    "string for a number": (
        '[crawl]\ndownload_delay = "fast"\n',
        ["crawl.download_delay = 'fast'", "expected a number of seconds"],
    ),
    "2.5 for an integer": (
        "[crawl]\nconcurrent_per_domain = 2.5\n",
        ["crawl.concurrent_per_domain = 2.5", "expected a whole number >= 1"],
    ),
    "0.5 for an integer": (
        "[crawl]\nconcurrent_per_domain = 0.5\n",
        ["crawl.concurrent_per_domain = 0.5", "expected a whole number >= 1"],
    ),
    "2.0 for an integer": (
        "[digest]\ntop_stories = 2.0\n",
        ["digest.top_stories = 2.0", "expected a whole number"],
    ),
    "zero concurrency": (
        "[crawl]\nconcurrent_per_domain = 0\n",
        ["crawl.concurrent_per_domain = 0", ">= 1"],
    ),
    "negative concurrency": (
        "[crawl]\nconcurrent_per_domain = -2\n",
        ["crawl.concurrent_per_domain = -2", ">= 1"],
    ),
    "negative retries": ("[crawl]\nretries = -1\n", ["crawl.retries = -1", ">= 0"]),
    "infinite delay": ("[crawl]\ndownload_delay = inf\n", ["crawl.download_delay = inf"]),
    "nan delay": ("[crawl]\ndownload_delay = nan\n", ["crawl.download_delay = nan"]),
    "negative delay": ("[crawl]\ndownload_delay = -1.0\n", ["crawl.download_delay = -1.0"]),
    "fractional size cap": (
        "[crawl]\nmax_response_bytes = 0.5\n",
        ["crawl.max_response_bytes = 0.5", "a whole number of bytes >= 1024"],
    ),
    "tiny size cap": ("[crawl]\nmax_response_bytes = 10\n", ["crawl.max_response_bytes = 10"]),
    "infinite timeout": ("[crawl]\ntimeout_s = inf\n", ["crawl.timeout_s = inf"]),
    "bool for an integer": ("[crawl]\nretries = true\n", ["crawl.retries = true"]),
    "integer for a bool": (
        "[crawl]\nobey_robots = 1\n",
        ["crawl.obey_robots = 1", "true or false"],
    ),
    "bad URL": (
        '[crawl]\ncontact_url = "github.com/newsmon"\n',
        ["crawl.contact_url = 'github.com/newsmon'", "an http(s) URL"],
    ),
    "bad URL in a source list": (
        '[sources.ithome]\nfeeds = ["ftp://x"]\n',
        ["sources.ithome.feeds[0] = 'ftp://x'", "an http(s) URL"],
    ),
    "string for a list": (
        '[sources.ithome]\nfeeds = "https://www.ithome.com/rss/"\n',
        ["sources.ithome.feeds = 'https://www.ithome.com/rss/'", "a list"],
    ),
    "unknown provider": ('[prices]\nprovider = "bloomberg"\n', ["prices.provider = 'bloomberg'"]),
    "impossible holiday": (
        '[reaction]\nextra_holidays = ["2027-02-30"]\n',
        ["reaction.extra_holidays[0] = '2027-02-30'", "YYYY-MM-DD"],
    ),
    "estimation window backwards": (
        "[reaction]\nestimation_start = -5\n",
        ["reaction.estimation_start = -5", "before estimation_end (-11)"],
    ),
    "never-firing cron": (
        JOB + 'trigger = "cron"\ncron = "0 18 31 2 *"\n',
        ["schedule.jobs.nightly.cron = '0 18 31 2 *' never fires"],
    ),
    "malformed cron": (
        JOB + 'trigger = "cron"\ncron = "61 15 * * *"\n',
        ["schedule.jobs.nightly.cron = '61 15 * * *' is not a valid crontab"],
    ),
    "cron of four fields": (
        JOB + 'trigger = "cron"\ncron = "30 15 * *"\n',
        ["schedule.jobs.nightly.cron = '30 15 * *'", "has 4 fields"],
    ),
    "unknown job key": (
        JOB + 'trigger = "interval"\nminute = 5\n',
        ["schedule.jobs.nightly has unknown key 'minute'", "did you mean minutes?"],
    ),
    "cron on an interval job": (
        JOB + 'trigger = "interval"\nminutes = 5\ncron = "0 18 * * *"\n',
        ["schedule.jobs.nightly.cron does not apply to trigger interval"],
    ),
    "zero interval": (
        JOB + 'trigger = "interval"\nminutes = 0\n',
        ["schedule.jobs.nightly.minutes = 0", "> 0"],
    ),
    "unknown trigger": (JOB + 'trigger = "hourly"\n', ["schedule.jobs.nightly.trigger = 'hourly'"]),
    "unknown time zone": (
        '[schedule]\ntimezone = "Mars/Olympus"\n',
        ["schedule.timezone = 'Mars/Olympus'", "a time zone"],
    ),
    "misspelt sector key": (
        '[sectors.ai]\nname = "AI"\nkeyword = ["AI"]\n',
        ["sectors.ai has unknown key 'keyword'", "did you mean keywords?"],
    ),
    "negative member weight": (
        '[sectors.ai]\nkeywords = ["AI"]\nmembers = [{ ticker = "300024.SZ", weight = -1 }]\n',
        ["sectors.ai.members[0].weight = -1"],
    ),
    "database as a string, with --db": (
        'database = "x.db"\n',
        ["database = 'x.db'", 'write [database] path = "x.db"'],
    ),
    "empty database path": ('[database]\npath = " "\n', ["database.path = ' '"]),
    "TOML syntax error": (
        "[crawl]\ndownload_delay = \n",
        ["not valid TOML", "line 2", "download_delay"],
    ),
}


@pytest.mark.parametrize("text,says", BAD_FILES.values(), ids=list(BAD_FILES))
def test_bad_file_exits_2_naming_file_and_key(tmp_path, monkeypatch, text, says):
    monkeypatch.chdir(tmp_path)  # the default database would be ./data/newsmon.db
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    db = ["--db", str(tmp_path / "t.db")] if text.startswith("database =") else []
    result = CliRunner().invoke(cli, [*db, "--config", str(path), "stats"], env=CLEAN_ENV)
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: {path}: "), line
    for words in says:
        assert words in line, line
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]  # no database made


def test_bad_environment_value_names_the_variable_and_key(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["--db", str(tmp_path / "t.db"), "stats"],
        env={**CLEAN_ENV, "NEWSMON_BASE_URL": "localhost:8000"},
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: environment NEWSMON_BASE_URL: crawl.base_url = 'localhost:8000' is not valid; "
        'expected an http(s) URL or ""'
    )


def test_every_problem_of_a_file_in_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[crawl]\nretries = 2.5\n[crawll]\n[sources.nosuch]\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "stats"], env=CLEAN_ENV)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.count(str(path)) == 1
    assert "crawl.retries = 2.5" in line and "[crawll]" in line and "[sources.nosuch]" in line


def test_bad_file_in_a_real_process_exits_2_without_traceback(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[crawl]\ndowload_delay = 2\n", encoding="utf-8")
    newsmon = Path(sys.executable).with_name("newsmon")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(newsmon), "--config", str(path), "stats"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"Error: {path}: crawl has unknown key 'dowload_delay'; did you mean download_delay?"
    )
