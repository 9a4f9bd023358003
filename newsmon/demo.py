"""The main job on its embedded default: the bundled 2022-07-08 event, offline."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from config import Config
from db import connect

DATA = resources.files("newsmon") / "data"


def seed_paths() -> list[Path]:
    seeds = DATA / "seeds"
    return sorted(Path(str(p)) for p in seeds.iterdir() if p.name.endswith(".txt"))


def run_demo(config: Config, echo: Callable[[str], None] = print) -> dict:
    from crawler.ingest import import_files

    db = connect(config.db_path, busy_timeout_ms=config["database.busy_timeout_ms"])
    echo(f"database: {Path(config.db_path).resolve()}")
    report = import_files(db, seed_paths())
    c = report.counts
    echo(f"seed documents: {c['new']} new, {c['updated']} updated, {c['unchanged']} unchanged")
    for err in report.errors:
        echo(f"error: {err}")
    return {"import": c, "errors": report.errors}
