"""Opening the database: WAL, busy timeout, foreign keys, the schema brought up to date."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from newsmon.db.migrations import apply_migrations

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


def _use_wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """Switch the file to WAL (kept in the file: a no-op once done).

    The switch needs the file to itself and does not wait on the busy timeout: while
    another process opening a new file at the same moment holds it, SQLite answers
    "database is locked" at once, so the switch is tried again until the timeout.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(0.01)


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
        _use_wal(conn, busy_timeout_ms)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: not a usable SQLite database ({exc})") from exc
    db = NewsmonDatabase(conn)
    if migrate:
        apply_migrations(db)
    return db


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write: opened read-only and with query_only set."""
    path = Path(path)
    if not path.is_file():
        raise DatabaseError(f"{path}: no such database file")
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    return conn
