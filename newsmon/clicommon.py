"""What every command shares: the state (config, database), error handling."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

import click

from newsmon.config import Config, ConfigError, load_config
from newsmon.db import DatabaseError, connect


class Failure(click.ClickException):
    """A library error shown as one line, exit 1."""

    def show(self, file=None) -> None:  # noqa: D102 - click's hook
        click.echo(f"Error: {self.message}", err=True)


def handle_errors(fn: Callable) -> Callable:
    """Turn the library's known errors into `Error: ...` with exit 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConfigError, DatabaseError, ValueError, OSError) as exc:
            if os.environ.get("NEWSMON_TRACEBACK"):
                raise  # operators debugging a failure see the whole traceback
            failure = Failure(str(exc))
            if isinstance(exc, ConfigError):
                failure.exit_code = 2  # a wrong configuration is a usage error
            raise failure from exc

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

    def db(self):
        try:
            return connect(self.db_path, busy_timeout_ms=self.config["database.busy_timeout_ms"])
        except DatabaseError as exc:
            raise Failure(str(exc)) from exc


pass_state = click.make_pass_decorator(State)
