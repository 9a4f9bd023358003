import pytest

from newsmon.config import ConfigError, load_config


def test_defaults_load_and_validate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(env={})
    assert config.db_path == "data/newsmon.db"
    assert config["crawl.obey_robots"] is True
    assert "sina" in config["sources"]


def test_user_file_laid_over_defaults(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text("[crawl]\ndownload_delay = 2.5\n", encoding="utf-8")
    config = load_config(user, env={})
    assert config["crawl.download_delay"] == 2.5
    assert config["crawl.retries"] == 3  # untouched default kept


def test_env_overrides_database(tmp_path):
    config = load_config(env={"NEWSMON_DB": str(tmp_path / "e.db")})
    assert config.db_path == str(tmp_path / "e.db")


def test_db_option_wins_over_env(tmp_path):
    config = load_config(env={"NEWSMON_DB": "env.db"}, db="cli.db")
    assert config.db_path == "cli.db"


def test_bad_value_names_file_key_and_form(tmp_path):
    user = tmp_path / "bad.toml"
    user.write_text('[crawl]\ndownload_delay = "fast"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(user, env={})
    message = str(err.value)
    assert (
        str(user) in message
        and "crawl.download_delay" in message
        and "number of seconds" in message
    )


def test_bad_toml_names_file(tmp_path):
    user = tmp_path / "broken.toml"
    user.write_text("[crawl\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.toml: not valid TOML"):
        load_config(user, env={})


def test_bad_source_url_named(tmp_path):
    user = tmp_path / "src.toml"
    user.write_text('[sources.ithome]\nfeeds = ["ftp://x"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="sources.ithome.feeds"):
        load_config(user, env={})


def test_missing_user_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", env={})


def test_bad_holiday_date(tmp_path):
    user = tmp_path / "h.toml"
    user.write_text('[reaction]\nextra_holidays = ["2027-02-30"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="reaction.extra_holidays.*YYYY-MM-DD"):
        load_config(user, env={})


@pytest.mark.parametrize(
    "in_file,in_env,option,wins",
    [
        (True, True, True, "cli.db"),
        (True, True, False, "env.db"),
        (True, False, False, "file.db"),
        (False, False, False, "data/newsmon.db"),
        (False, True, True, "cli.db"),
    ],
)
def test_database_precedence(tmp_path, monkeypatch, in_file, in_env, option, wins):
    """--db beats NEWSMON_DB beats the user file's [database] path beats the default."""
    monkeypatch.chdir(tmp_path)
    user = tmp_path / "mine.toml"
    user.write_text('[database]\npath = "file.db"\n' if in_file else "", encoding="utf-8")
    env = {"NEWSMON_DB": "env.db"} if in_env else {}
    config = load_config(user, env=env, db="cli.db" if option else None)
    assert config.db_path == wins


def test_database_precedence_on_the_command_line(tmp_path, monkeypatch):
    import sqlite3

    from click.testing import CliRunner

    from newsmon.cli import cli

    monkeypatch.chdir(tmp_path)
    for name in ("cli.db", "env.db", "file.db"):
        with sqlite3.connect(name) as conn:
            conn.execute("create table which (name text)")
            conn.execute("insert into which values (?)", (name,))
    user = tmp_path / "mine.toml"
    user.write_text('[database]\npath = "file.db"\n', encoding="utf-8")

    def used(*args, **env):
        result = CliRunner().invoke(
            cli,
            [*args, "--config", str(user), "sql", "select name from which", "--csv"],
            env={"NEWSMON_CONFIG": None, **env},
        )
        assert result.exit_code == 0, result.output
        return result.output.split()[-1]

    assert used("--db", "cli.db", NEWSMON_DB="env.db") == "cli.db"
    assert used(NEWSMON_DB="env.db") == "env.db"
    assert used(NEWSMON_DB=None) == "file.db"


def test_values_come_out_typed(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text(
        "[crawl]\ndownload_delay = 2\ntimeout_s = 5\n[reaction]\nextra_holidays = [2022-10-03]\n",
        encoding="utf-8",
    )
    config = load_config(user, env={})
    assert config["crawl.download_delay"] == 2.0 and type(config["crawl.download_delay"]) is float
    assert type(config["crawl.timeout_s"]) is float
    assert type(config["crawl.concurrent_per_domain"]) is int
    assert type(config["crawl.max_response_bytes"]) is int
    assert config["reaction.extra_holidays"] == ["2022-10-03"]  # a TOML date, kept as ISO text


def test_frozen_json_config_validates_to_the_same(tmp_path):
    """The crawl child rebuilds the caller's config from JSON: nothing changes on the way."""
    import json

    from newsmon.config import Config, validate

    config = load_config(env={"NEWSMON_DB": str(tmp_path / "x.db")})
    again = validate(Config(json.loads(json.dumps(config.data))))
    assert again.data == config.data


def test_a_source_key_laid_over_keeps_the_others(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text('[sources.feed]\nfeeds = ["https://example.org/feed.xml"]\n', encoding="utf-8")
    config = load_config(user, env={})
    assert config.source("feed") == {
        "enabled": True,
        "allowed_domains": [],
        "feeds": ["https://example.org/feed.xml"],
    }
    assert config.source("sina")["allowed_domains"] == ["sina.com.cn", "sina.cn"]
    assert config.origin("sources.feed.feeds") == str(user)


def test_cron_of_29_february_is_accepted_and_31_february_refused(tmp_path):
    from newsmon.config import schedule as sched

    def job(cron):
        path = tmp_path / "s.toml"
        path.write_text(
            f'[schedule.jobs.leap]\naction = "analyze"\ntrigger = "cron"\ncron = "{cron}"\n',
            encoding="utf-8",
        )
        return load_config(path, env={})

    spec = sched.load_schedule(job("0 18 29 2 *")).job("leap")
    assert spec.cron == "0 18 29 2 *" and spec.make_trigger() is not None
    with pytest.raises(ConfigError, match=r"schedule.jobs.leap.cron = '0 18 31 2 \*' never fires"):
        job("0 18 31 2 *")


def test_printed_defaults_are_a_file_that_changes_nothing(tmp_path):
    """`python -m newsmon.config` lists every setting; loaded back, it is the defaults."""
    import subprocess
    import sys
    import tomllib

    out = subprocess.run(
        [sys.executable, "-m", "newsmon.config"], capture_output=True, text=True, check=True
    ).stdout
    assert "download_delay = 1.0" in out and "# seconds between requests" in out
    user = tmp_path / "defaults.toml"
    user.write_text(out, encoding="utf-8")
    tomllib.loads(out)
    assert load_config(user, env={}).data == load_config(None, env={}).data
