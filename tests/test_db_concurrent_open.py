"""Several processes opening one new database file at the same moment all succeed, and the
schema they leave is the whole schema, each migration applied once."""

from __future__ import annotations

import multiprocessing
import sqlite3
import traceback

import pytest
from sqlite_utils import Database

from newsmon.db import connect, migrations

ROUNDS = 10
PROCESSES = 6
#: every migration, in order, as a new database records them
ALL_MIGRATIONS = [m.name for m in migrations.pending(Database(memory=True))]


def _open(path: str, barrier, errors) -> None:
    """One process: wait for the others, then open (and so create and migrate) the file."""
    try:
        barrier.wait(timeout=30)
        db = connect(path)
        db.conn.close()
    except BaseException:  # reported to the parent, which fails the test with it
        errors.put(traceback.format_exc())


def _schema(path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(str(path))
    try:
        return set(
            conn.execute("select type, name from sqlite_master where name not like 'sqlite_%'")
        )
    finally:
        conn.close()


def _applied(path) -> list[str]:
    conn = sqlite3.connect(str(path))
    try:
        return [r[0] for r in conn.execute("select name from _sqlite_migrations order by id")]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def full_schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("serial") / "serial.db"
    connect(path).conn.close()
    return _schema(path)


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path, full_schema):
    ctx = multiprocessing.get_context("fork")
    failures: list[str] = []
    for round_ in range(ROUNDS):
        path = str(tmp_path / f"round{round_}.db")
        barrier = ctx.Barrier(PROCESSES)
        errors = ctx.Queue()
        procs = [ctx.Process(target=_open, args=(path, barrier, errors)) for _ in range(PROCESSES)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        while not errors.empty():
            failures.append(f"round {round_}: {errors.get()}")
        failures += [f"round {round_}: exit code {p.exitcode}" for p in procs if p.exitcode]
        if not failures:
            assert _schema(path) == full_schema, f"round {round_}: schema incomplete"
            assert _applied(path) == ALL_MIGRATIONS, f"round {round_}: migrations applied"

    assert not failures, f"{len(failures)} of {ROUNDS * PROCESSES} opens failed:\n" + "\n".join(
        failures
    )
