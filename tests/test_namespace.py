"""newsmon's packages live in its own namespace: nothing generic at the top, nothing shadowed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SEEDS

NEWSMON = str(Path(sys.executable).with_name("newsmon"))
#: module names a user's folder may well hold
SHADOWS = ("config", "db", "analysis", "crawler")


def python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_no_generic_top_level_packages(tmp_path):
    for name in SHADOWS:
        out = python(f"import {name}", tmp_path)
        assert out.returncode != 0 and "ModuleNotFoundError" in out.stderr, name
    out = python(
        "import newsmon.config, newsmon.db, newsmon.crawler, newsmon.analysis; print('ok')",
        tmp_path,
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_files_in_the_working_folder_shadow_nothing(tmp_path):
    for name in (*SHADOWS, "newsmon"):
        (tmp_path / f"{name}.py").write_text(
            f"raise RuntimeError('the {name}.py of the working folder was imported')\n"
        )
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, seeds / seed.name)
    imported = subprocess.run(
        [NEWSMON, "--db", "x.db", "import", *sorted(str(p) for p in seeds.iterdir())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.returncode == 0, imported.stderr
    assert "imported 5 new" in imported.stdout
    # a scheduled job runs newsmon in a child process, in this same folder
    job = subprocess.run(
        [NEWSMON, "--db", "x.db", "schedule", "--once", "analyze"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert job.returncode == 0, job.stdout + job.stderr
    assert job.stdout.startswith("analyze: ok")
    assert "was imported" not in job.stdout + job.stderr
