from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

DATA = Path(str(resources.files("newsmon") / "data"))
SEEDS = sorted((DATA / "seeds").glob("*.txt"))


@pytest.fixture
def tmp_db(tmp_path):
    from newsmon.db import connect

    return connect(tmp_path / "test.db")


@pytest.fixture
def seed_paths():
    return list(SEEDS)
