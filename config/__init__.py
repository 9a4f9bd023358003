"""Configuration: typed settings with defaults, a user's TOML file laid over them, overrides.

Every setting is declared once, with its type, range, default and help, in the
pydantic models of newsmon.config.model; `python -m newsmon.config` prints them all
as an annotated TOML file. The scheduled jobs and the sector taxonomy are data and
ship as schedule.toml and sectors.toml beside this module.

Where a value comes from, the first that gives it winning:

1. `--db PATH` (database.path only);
2. the environment: NEWSMON_DB (database.path), NEWSMON_BASE_URL (crawl.base_url);
3. the user file: `--config PATH`, else $NEWSMON_CONFIG, else ./newsmon.toml when there;
   its tables are laid key by key over the defaults ([crawl] download_delay = 2 changes
   that key alone; [schedule.jobs.NAME] adds or changes one job);
4. the defaults.

The database is always a table: `[database] path = "x.db"`; `database = "x.db"` is
refused. Values are taken as written: an integer setting takes an integer (not 2.5,
2.0 or true), a number any finite integer or float in its range (not inf or nan), a
string a string; a cron expression must parse and fire within a few years. An unknown
section, source or key is refused with the nearest known one ("did you mean
download_delay?"). Every problem is a ConfigError naming the file (or the variable or
option) that set the value, and the key; the command line shows it as one line and
exits 2.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import tomllib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from newsmon.config.model import SPIDERS, Expect, Settings

__all__ = [
    "SPIDERS",
    "Config",
    "ConfigError",
    "load_config",
    "load_defaults",
    "validate",
]

#: the data files shipped beside this module, by the section they fill
DATA_FILES = {"schedule": "schedule.toml", "sectors": "sectors.toml"}
USER_FILE_NAME = "newsmon.toml"
ENV_OVERRIDES = {"NEWSMON_DB": "database.path", "NEWSMON_BASE_URL": "crawl.base_url"}
#: sections whose values stay as written (normalised by their readers, not here)
_RAW_SECTIONS = ("sectors",)


class ConfigError(ValueError):
    """A configuration file, section, key or value is wrong; the message names file and key."""


@dataclass
class Config:
    """The settings as plain data (JSON-able), with where each table and key came from."""

    data: dict[str, Any]
    #: dotted key or table -> the file (or variable, or option) that set it
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

    def origin(self, dotted: str) -> str:
        """The file (or variable, or option) that set this key or its nearest table."""
        parts = dotted.split(".")
        while parts:
            where = self.origins.get(".".join(parts))
            if where:
                return where
            parts.pop()
        return "configuration"

    def error(self, problems: Iterable[tuple[str, str]]) -> ConfigError:
        """One ConfigError for (dotted key, message) problems, each under its file's name."""
        by_origin: dict[str, list[str]] = {}
        for dotted, message in problems:
            by_origin.setdefault(self.origin(dotted), []).append(message)
        return ConfigError("; ".join(f"{where}: " + "; ".join(m) for where, m in by_origin.items()))


_MISSING = object()


def _read_toml(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = f"{name}: not valid TOML: {exc}"
        at = re.search(r"at line (\d+)", str(exc))
        lines = text.splitlines()
        if at and 0 < int(at.group(1)) <= len(lines):
            message += f": {lines[int(at.group(1)) - 1].strip()[:80]}"
        raise ConfigError(message) from exc


def _lay(base: dict[str, Any], over: dict[str, Any], origins: dict[str, str], name: str) -> None:
    """Lay `over` (from `name`) key by key onto `base`, recording where each key came from."""

    def walk(node: dict[str, Any], layer: dict[str, Any], prefix: str) -> None:
        for key, value in layer.items():
            dotted = f"{prefix}{key}"
            old = node.get(key, _MISSING)
            if isinstance(value, dict) and old is not _MISSING and not isinstance(old, dict):
                # `database = "x.db"` in a file, then --db: the file's value is the error
                raise ConfigError(
                    f"{origins.get(dotted, 'configuration')}: {_not_a_table(dotted, old)}"
                )
            origins[dotted] = name
            if isinstance(value, dict):
                if not isinstance(old, dict):
                    node[key] = old = {}
                walk(old, value, f"{dotted}.")
            else:
                node[key] = copy.deepcopy(value)

    walk(base, over, "")


def _nested(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    *tables, last = dotted.split(".")
    for part in tables:
        node = node.setdefault(part, {})
    node[last] = value
    return out


def load_defaults() -> tuple[dict[str, Any], dict[str, str]]:
    """The shipped data files (schedule, sectors) as one dict, and where each key came from."""
    data: dict[str, Any] = {}
    origins: dict[str, str] = {}
    pkg = resources.files("newsmon.config")
    for section, name in DATA_FILES.items():
        resource = pkg / name
        if resource.is_file():
            parsed = _read_toml(resource.read_text(encoding="utf-8"), f"default {name}")
            _lay(data, {section: parsed}, origins, f"default {name}")
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
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read: {exc}") from exc
        _lay(data, _read_toml(text, str(path)), origins, str(path))
    for var, dotted in ENV_OVERRIDES.items():
        if env.get(var):
            _lay(data, _nested(dotted, env[var]), origins, f"environment {var}")
    if db:
        _lay(data, _nested("database.path", db), origins, "--db")
    return validate(Config(data, origins))


def validate(config: Config) -> Config:
    """Check config.data against the settings and make it typed, defaults filled in.

    ConfigError names each problem's file and key. config.data is replaced by the
    typed values (integers as int, numbers as float), still plain JSON-able data.
    """
    if not isinstance(config.data, dict):
        raise ConfigError("configuration: not a table of sections")
    try:
        settings = Settings.model_validate(config.data, context={})
    except ValidationError as exc:
        raise config.error(_problems(exc)) from None
    data = settings.model_dump(exclude=set(_RAW_SECTIONS))
    for section in _RAW_SECTIONS:
        data[section] = copy.deepcopy(config.data.get(section, {}))
    config.data = data
    return config


# ------------------------------------------------------------------ error messages


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == "config":  # a table's own check: the key is in ctx
            loc += (ctx["key"],)
        dotted = _dotted(loc)
        out.append((_dotted(loc, indices=False), _describe(err, loc, dotted, ctx)))
    return out


def _describe(err: dict[str, Any], loc: tuple, dotted: str, ctx: dict[str, Any]) -> str:
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        return _unknown(loc, value)
    if kind == "missing":
        return f"{dotted} is missing; expected {_expected(loc)}"
    if kind == "config":
        return f"{dotted} {ctx['message']}"
    if kind == "value_error":
        return f"{dotted} = {_show(value)} {ctx['error']}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _not_a_table(dotted, value)
    return f"{dotted} = {_show(value)} is not valid; expected {_expected(loc)}"


def _not_a_table(dotted: str, value: Any) -> str:
    hint = f'; write [database] path = "{value}"' if dotted == "database" else ""
    return f"{dotted} = {_show(value)} is not valid; expected a table [{dotted}]{hint}"


def _unknown(loc: tuple, value: Any) -> str:
    *parent, key = loc
    known = _keys_at(tuple(parent))
    near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if not parent:
        if near:
            return f"unknown section [{key}]; did you mean [{near[0]}]?"
        owner = [s for s in known if str(key) in _keys_at((s,))]
        if owner and not isinstance(value, dict):
            return f"unknown key {key!r} at the top level; did you mean [{owner[0]}] {key}?"
        return f"unknown section [{key}]; expected one of {', '.join(known)}"
    if tuple(parent) == ("sources",):
        guess = (
            f"did you mean [sources.{near[0]}]?" if near else f"expected one of {', '.join(known)}"
        )
        return f"unknown source [sources.{key}]; {guess}"
    guess = f"did you mean {near[0]}?" if near else f"expected one of {', '.join(known)}"
    return f"{_dotted(tuple(parent))} has unknown key {key!r}; {guess}"


def _dotted(loc: tuple, *, indices: bool = True) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]" if indices else ""
        else:
            out += f".{part}" if out else str(part)
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """The type under Optional and Annotated, and the Annotated metadata met on the way."""
    meta: list[Any] = []
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            meta.extend(tp.__metadata__)
            tp = tp.__origin__
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0]
        else:
            return tp, meta


def _type_at(loc: tuple) -> tuple[Any, list[Any]]:
    """The declared type at loc in Settings, with its metadata (Expect among them)."""
    tp: Any = Settings
    meta: list[Any] = []
    for part in loc:
        tp, _ = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(str(part))
            if info is None:
                return None, []
            tp, meta = info.annotation, list(info.metadata)
        elif typing.get_origin(tp) is dict:
            tp, meta = typing.get_args(tp)[1], []
        elif typing.get_origin(tp) is list:
            tp, meta = typing.get_args(tp)[0], []
        else:
            return None, []
    tp, more = _unwrap(tp)
    return tp, meta + more


def _keys_at(loc: tuple) -> list[str]:
    tp, _ = _type_at(loc)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _expected(loc: tuple) -> str:
    tp, meta = _type_at(loc)
    for item in meta:
        if isinstance(item, Expect):
            return item.text
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"a table [{_dotted(loc)}]"
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}
    if tp in names:
        return names[tp]
    if typing.get_origin(tp) is list:
        item, item_meta = _unwrap(typing.get_args(tp)[0])
        what = next((m.text for m in item_meta if isinstance(m, Expect)), None)
        return f"a list, each {what}" if what else f"a list, each {names.get(item, 'a value')}"
    return "a value of the right kind"
