"""What every command shares: the state (config, database), error handling, dates, results."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from newsmon.config import Config, ConfigError, load_config
from newsmon.db import DatabaseError, connect

#: set by the scheduler for each job: the file a command writes its result counts to
RESULT_FILE_ENV = "NEWSMON_RESULT_FILE"
#: set to anything to see the whole traceback of a failure instead of one line
TRACEBACK_ENV = "NEWSMON_TRACEBACK"
NO_DATABASE = "no such database (create it with newsmon import/crawl/demo)"


class Failure(click.ClickException):
    """A library error shown as one line, exit 1."""

    def show(self, file=None) -> None:  # noqa: D102 - click's hook
        click.echo(f"Error: {self.message}", err=True)


class DateParam(click.ParamType):
    """A calendar day written YYYY-MM-DD, passed on as that ISO string; anything else exits 2."""

    name = "YYYY-MM-DD"
    _shape = re.compile(r"\d{4}-\d{2}-\d{2}")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if isinstance(value, dt.date):
            return value.isoformat()
        text = str(value).strip()
        if not self._shape.fullmatch(text):
            self.fail(f"{value!r} is not a date; expected YYYY-MM-DD", param, ctx)
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError as exc:
            self.fail(f"{value!r} is not a date ({exc}); expected YYYY-MM-DD", param, ctx)


DATE = DateParam()


def write_result(counts: Mapping[str, Any]) -> None:
    """Write a command's result counts as one JSON object to $NEWSMON_RESULT_FILE, if set.

    This is how a scheduled job reports what it did (job_runs.counts); people read
    the command's own output instead.
    """
    path = os.environ.get(RESULT_FILE_ENV)
    if not path:
        return
    from newsmon.output import plain

    text = json.dumps(plain(dict(counts)), ensure_ascii=False, sort_keys=True)
    tmp = f"{path}.tmp"
    try:
        Path(tmp).write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        click.echo(f"warning: result counts not written to {path}: {exc.strerror or exc}", err=True)


def _database_named() -> str:
    """The database the current command works on, for an error message."""
    ctx = click.get_current_context(silent=True)
    state = ctx.find_object(State) if ctx else None
    if state is not None:
        try:
            return str(state.db_path)
        except (click.ClickException, ConfigError):
            pass
    return "the database"


def os_error_message(exc: OSError) -> str:
    """'data/x.db: No space left on device': the file, then what failed."""
    what = exc.strerror or str(exc)
    if exc.filename is not None:
        name = exc.filename if exc.filename2 is None else f"{exc.filename} -> {exc.filename2}"
        return f"{name}: {what}"
    return what


def handle_errors(fn: Callable) -> Callable:
    """Turn the library's known errors into `Error: ...` with exit 1; write a returned result.

    A command that returns a mapping has its result counts written for the
    scheduler (write_result).
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except sqlite3.Error as exc:
            if os.environ.get(TRACEBACK_ENV):
                raise
            raise Failure(f"{_database_named()}: {exc}") from exc
        except OSError as exc:
            if os.environ.get(TRACEBACK_ENV):
                raise
            raise Failure(os_error_message(exc)) from exc
        except (ConfigError, DatabaseError, ValueError) as exc:
            if os.environ.get("NEWSMON_TRACEBACK"):
                raise  # operators debugging a failure see the whole traceback
            failure = Failure(str(exc))
            if isinstance(exc, ConfigError):
                failure.exit_code = 2  # a wrong configuration is a usage error
            raise failure from exc
        if isinstance(result, Mapping):
            write_result(result)
        return result

    return wrapper


class State:
    def __init__(self, db_path: str | None, config_path: str | None):
        self._db_path = db_path
        self._config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self._config_path, db=self._db_path)
            except ConfigError as exc:
                failure = Failure(str(exc))
                failure.exit_code = 2  # a wrong configuration is a usage error
                raise failure from exc
        return self._config

    @property
    def config_path(self) -> str | None:
        """The user config file named with --config, if any (passed on to child processes)."""
        return self._config_path

    @property
    def db_path(self) -> str:
        return self.config.db_path

    def db(self, *, create: bool = True):
        """The database, migrated; a missing file is created unless create=False.

        Commands that only read pass create=False: a mistyped path is an error, not
        a new empty database.
        """
        path = Path(self.db_path)
        if not create and not path.exists():
            raise Failure(f"{path}: {NO_DATABASE}")
        try:
            return connect(path, busy_timeout_ms=self.config["database.busy_timeout_ms"])
        except DatabaseError as exc:
            raise Failure(str(exc)) from exc

    def library(self):
        """The notebook library (newsmon.open) on the existing database: what listings print."""
        from newsmon.library import Newsmon

        return Newsmon(self.db(create=False), path=self.db_path)


pass_state = click.make_pass_decorator(State)


class NewsmonGroup(click.Group):
    """A command group whose command list shows each command's first sentence whole.

    click cuts a command's short help to the terminal's width with "..."; the list
    wraps it instead, so `newsmon --help` says what every command does.
    """

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            rows.append((name, cmd.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
