"""Ad-hoc SQL that cannot change anything: an SQLite authorizer, a time limit, one statement.

A read-only connection (``mode=ro`` and ``query_only``) already refuses writes to
the database, but some statements touch the disk elsewhere before that check:
``ATTACH DATABASE 'x.db'`` creates x.db, ``VACUUM INTO 'y.db'`` writes a whole copy,
``load_extension`` runs native code. The authorizer refuses them while the statement
is prepared, so nothing is created (writes to the database itself are left to
``mode=ro`` and ``query_only``); a progress handler stops a statement that runs
past its time limit (a recursive CTE without end).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable

#: seconds an ad-hoc statement may run by default
DEFAULT_TIMEOUT_S = 30.0
#: virtual-machine steps between two looks at the clock
PROGRESS_STEPS = 10_000
#: PRAGMAs that only describe the schema or the library: every other one is refused
READ_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "database_list",
        "collation_list",
        "function_list",
        "module_list",
        "pragma_list",
        "compile_options",
        "data_version",  # FTS5 reads it when it opens its index
    }
)
#: SQL functions that reach outside the database
REFUSED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})
_COMMENT_RE = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


class RefusedStatement(sqlite3.DatabaseError):
    """A statement refused before it ran: it would touch more than the database, or is empty."""


def _authorizer(refused: list[str], pragmas: frozenset[str] | None) -> Callable[..., int]:
    def check(action: int, arg1, arg2, dbname, source) -> int:
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            refused.append(f"ATTACH/DETACH of {arg1!r} (and VACUUM INTO, which attaches)")
        elif (
            action == sqlite3.SQLITE_PRAGMA
            and pragmas is not None
            and (arg1 or "").lower() not in pragmas
        ):
            refused.append(f"PRAGMA {arg1}")
        elif action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in REFUSED_FUNCTIONS:
            refused.append(f"the function {arg2}()")
        else:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    return check


def guard(conn: sqlite3.Connection, *, pragmas: frozenset[str] | None = READ_PRAGMAS) -> list[str]:
    """Install the authorizer on a connection; returns the list it notes refusals in.

    ``pragmas``: the PRAGMAs allowed (None: all; for a caller such as Datasette that
    runs its own introspection PRAGMAs and lets users run SELECT statements only).
    """
    refused: list[str] = []
    conn.set_authorizer(_authorizer(refused, pragmas))
    return refused


def check_statement(sql: str) -> None:
    """Refuse empty SQL (nothing but white space and comments) before it reaches SQLite."""
    if not _COMMENT_RE.sub("", sql).strip(" \t\r\n;"):
        raise RefusedStatement("empty SQL: give one statement, e.g. select count(*) from articles")


def execute_guarded(
    conn: sqlite3.Connection,
    sql: str,
    params: dict | list | tuple | None = None,
    *,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
) -> tuple[list[str], list[tuple]]:
    """Run one statement under the authorizer and the time limit: (columns, rows).

    Raises RefusedStatement for a statement refused, or stopped at the time limit.
    """
    check_statement(sql)
    refused = guard(conn)
    deadline = None if not timeout_s else time.monotonic() + timeout_s
    timed_out = False

    def progress() -> int:
        nonlocal timed_out
        if deadline is not None and time.monotonic() > deadline:
            timed_out = True
            return 1
        return 0

    conn.set_progress_handler(progress, PROGRESS_STEPS)
    try:
        cursor = conn.execute(sql, params or [])
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
    except sqlite3.DatabaseError as exc:
        if refused:
            raise RefusedStatement(
                f"refused: {refused[0]} is not allowed in read-only SQL; nothing was run",
            ) from exc
        if timed_out:
            raise RefusedStatement(
                f"stopped after {timeout_s:g} s (the time limit; raise it with --timeout)"
            ) from exc
        raise
    finally:
        conn.set_progress_handler(None, 0)
        conn.set_authorizer(None)
    return columns, rows
