"""Configuration: the TOML defaults shipped here, a user file laid over them, env overrides.

Every setting is declared once in SETTINGS with its expected form; a bad value is a
ConfigError naming the file, the key and what was expected.
"""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_FILES = ("settings.toml", "sources.toml", "schedule.toml", "sectors.toml")
#: where each default file's tables go in the merged config
_SECTION_FOR_FILE = {
    "sources.toml": "sources",
    "schedule.toml": "schedule",
    "sectors.toml": "sectors",
}
USER_FILE_NAME = "newsmon.toml"
ENV_OVERRIDES = {"NEWSMON_DB": "database.path", "NEWSMON_BASE_URL": "crawl.base_url"}
SPIDERS = ("sina", "ithome", "gov_cn", "shanghai_gov", "feed")


class ConfigError(ValueError):
    """A configuration value is missing or of the wrong form."""


def _positive_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v > 0


def _non_negative_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _str(v: Any) -> bool:
    return isinstance(v, str)


def _non_empty_str(v: Any) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _url_or_empty(v: Any) -> bool:
    return isinstance(v, str) and (v == "" or v.startswith(("http://", "https://")))


def _date_list(v: Any) -> bool:
    import datetime as dt

    if not _str_list(v):
        return False
    try:
        for x in v:
            dt.date.fromisoformat(x)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Setting:
    check: Any
    expected: str
    help: str


#: every scalar setting, declared once: dotted key -> check, expected form, help
SETTINGS: dict[str, Setting] = {
    "database.path": Setting(_non_empty_str, "a file path", "the SQLite database file"),
    "database.busy_timeout_ms": Setting(
        _non_negative_int, "a whole number of milliseconds >= 0", "lock wait"
    ),
    "crawl.user_agent": Setting(_non_empty_str, "a non-empty string", "User-Agent header"),
    "crawl.contact_url": Setting(_url_or_empty, "an http(s) URL", "contact URL in the User-Agent"),
    "crawl.obey_robots": Setting(_bool, "true or false", "obey robots.txt"),
    "crawl.download_delay": Setting(
        _positive_number, "a number of seconds > 0", "per-domain delay"
    ),
    "crawl.concurrent_per_domain": Setting(
        _positive_number, "a whole number >= 1", "parallel requests per domain"
    ),
    "crawl.timeout_s": Setting(_positive_number, "a number of seconds > 0", "download timeout"),
    "crawl.retries": Setting(_non_negative_int, "a whole number >= 0", "retries per request"),
    "crawl.max_response_bytes": Setting(
        _positive_number, "a number of bytes > 0", "response size cap"
    ),
    "crawl.base_url": Setting(
        _url_or_empty, 'an http(s) URL or ""', "replay site replacing every live host"
    ),
    "crawl.follow_origin": Setting(_bool, "true or false", "follow declared origins"),
    "crawl.retry_after_max_s": Setting(
        _positive_number, "a number of seconds > 0", "longest Retry-After wait"
    ),
    "crawl.retry_backoff_s": Setting(
        _positive_number, "a number of seconds > 0", "first retry back-off"
    ),
    "prices.provider": Setting(
        lambda v: v in ("yfinance", "csv"), '"yfinance" or "csv"', "price source"
    ),
    "prices.csv_paths": Setting(_str_list, "a list of file paths", "recorded price files"),
    "prices.benchmark": Setting(
        _non_empty_str, 'a ticker such as "000300.SS"', "default benchmark"
    ),
    "reaction.estimation_start": Setting(
        _int, "a negative whole number of days", "estimation window start"
    ),
    "reaction.estimation_end": Setting(
        _int, "a negative whole number of days", "estimation window end"
    ),
    "reaction.min_estimation_days": Setting(
        _positive_number, "a whole number >= 1", "fewest estimation days"
    ),
    "reaction.extra_holidays": Setting(
        _date_list, "a list of YYYY-MM-DD dates", "holidays past the calendar"
    ),
    "digest.output_dir": Setting(_non_empty_str, "a folder path", "where digests are written"),
    "digest.top_stories": Setting(_positive_number, "a whole number >= 1", "stories per digest"),
}


@dataclass
class Config:
    data: dict[str, Any]
    #: for each top-level section, the file its current value came from (for error messages)
    origins: dict[str, str] = field(default_factory=dict)

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def __getitem__(self, dotted: str) -> Any:
        value = self.get(dotted, _MISSING)
        if value is _MISSING:
            raise KeyError(dotted)
        return value

    @property
    def db_path(self) -> str:
        return self["database.path"]

    def source(self, spider: str) -> dict[str, Any]:
        return self.get(f"sources.{spider}", {}) or {}


_MISSING = object()


def _read_toml(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def load_defaults() -> tuple[dict[str, Any], dict[str, str]]:
    data: dict[str, Any] = {}
    origins: dict[str, str] = {}
    pkg = resources.files("newsmon.config")
    for name in DEFAULT_FILES:
        resource = pkg / name
        if not resource.is_file():
            continue
        parsed = _read_toml(resource.read_text(encoding="utf-8"), f"default {name}")
        section = _SECTION_FOR_FILE.get(name)
        if section:
            parsed = {section: parsed}
        data = _merge(data, parsed)
        for key in parsed:
            origins[key] = f"default {name}"
    return data, origins


def find_user_file(explicit: str | os.PathLike | None, env: dict[str, str]) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        return path
    if env.get("NEWSMON_CONFIG"):
        path = Path(env["NEWSMON_CONFIG"])
        if not path.is_file():
            raise ConfigError(f"{path}: config file named by NEWSMON_CONFIG not found")
        return path
    local = Path(USER_FILE_NAME)
    return local if local.is_file() else None


def load_config(
    user_file: str | os.PathLike | None = None,
    *,
    env: dict[str, str] | None = None,
    db: str | None = None,
) -> Config:
    """Defaults, then the user file, then environment overrides, then --db; validated."""
    env = dict(os.environ) if env is None else env
    data, origins = load_defaults()
    path = find_user_file(user_file, env)
    if path is not None:
        user = _read_toml(path.read_text(encoding="utf-8"), str(path))
        data = _merge(data, user)
        for key in user:
            origins[key] = str(path)
    for var, dotted in ENV_OVERRIDES.items():
        if env.get(var):
            _set(data, dotted, env[var])
            origins[dotted.split(".")[0]] = f"environment {var}"
    if db:
        _set(data, "database.path", db)
        origins["database"] = "--db"
    config = Config(data, origins)
    validate(config)
    return config


def _where(config: Config, dotted: str) -> str:
    return config.origins.get(dotted.split(".")[0], "configuration")


def validate(config: Config) -> None:
    """Raise ConfigError naming the file, the key and the expected form of the first bad value."""
    for dotted, setting in SETTINGS.items():
        value = config.get(dotted, _MISSING)
        if value is _MISSING:
            raise ConfigError(
                f"{_where(config, dotted)}: {dotted} is missing; expected {setting.expected}"
            )
        if not setting.check(value):
            raise ConfigError(
                f"{_where(config, dotted)}: {dotted} = {value!r} is not valid; expected {setting.expected}"
            )
    start, end = config["reaction.estimation_start"], config["reaction.estimation_end"]
    if not start < end < 0:
        raise ConfigError(
            f"{_where(config, 'reaction')}: reaction.estimation_start ({start}) and estimation_end ({end}) "
            "must satisfy start < end < 0"
        )
    for spider in SPIDERS:
        src = config.get(f"sources.{spider}")
        if src is None:
            continue
        if not isinstance(src, dict):
            raise ConfigError(f"{_where(config, 'sources')}: sources.{spider} must be a table")
        for key, value in src.items():
            dotted = f"sources.{spider}.{key}"
            if key == "enabled" and not _bool(value):
                raise ConfigError(
                    f"{_where(config, 'sources')}: {dotted} = {value!r}; expected true or false"
                )
            if key in ("allowed_domains", "feeds", "list_pages", "json_feeds") and not _str_list(
                value
            ):
                raise ConfigError(
                    f"{_where(config, 'sources')}: {dotted} = {value!r}; expected a list of strings"
                )
            if key in ("feeds", "list_pages", "json_feeds", "roll_api") and value:
                urls = value if isinstance(value, list) else [value]
                bad = [u for u in urls if not str(u).startswith(("http://", "https://"))]
                if bad:
                    raise ConfigError(
                        f"{_where(config, 'sources')}: {dotted} has {bad[0]!r}; expected http(s) URLs"
                    )
