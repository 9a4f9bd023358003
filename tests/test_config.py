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
