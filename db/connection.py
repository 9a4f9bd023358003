"""Opening the database: WAL, busy timeout, foreign keys, the schema brought up to date."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from newsmon.db.migrations import migrations

DEFAULT_BUSY_TIMEOUT_MS = 5000


class DatabaseError(RuntimeError):
    """A database problem worth one clear line to the user."""


class ReadOnlyError(DatabaseError):
    """A write was attempted through a read-only connection."""


class NewsmonDatabase(Database):
    """sqlite-utils' Database whose outermost transaction takes the write lock at once.

    A deferred transaction that reads and then writes cannot upgrade its lock when
    another process committed in between: SQLite answers "database is locked" at
    once, without waiting for the busy timeout. Crawls, imports and analysis write
    the same file concurrently, so every transaction starts with BEGIN IMMEDIATE,
    which waits its turn (up to the busy timeout) before reading.
    """

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:
            with super().atomic() as db:  # a savepoint inside the open transaction
                yield db
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")


def connect(
    path: str | Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, migrate: bool = True
) -> Database:
    """Open (creating if needed) the database file, in WAL mode, with pending migrations applied."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise DatabaseError(f"{path}: is a folder, not a database file")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: not a usable SQLite database ({exc})") from exc
    db = NewsmonDatabase(conn)
    if migrate:
        migrations.apply(db)
    return db


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write: opened read-only and with query_only set."""
    path = Path(path)
    if not path.is_file():
        raise DatabaseError(f"{path}: no such database file")
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    return conn
