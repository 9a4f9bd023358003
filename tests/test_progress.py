"""Progress on stderr: a live line on a terminal, plain periodic lines elsewhere, nothing for quick work."""

import io
import os
import pty
import select
import subprocess
import sys
import time

from conftest import SEEDS
from newsmon.progress import Progress


class Terminal(io.StringIO):
    """A text stream that says it is a terminal (as a console's stderr does)."""

    def isatty(self):
        return True


def test_plain_lines_while_counts_change():
    out = io.StringIO()
    with Progress("import", total=3, unit="files", stream=out, interval=0.1) as p:
        for _ in range(3):
            time.sleep(0.15)
            p.advance(1, new=1, failed=0)
    lines = out.getvalue().splitlines()
    assert lines and all(line.startswith("import: ") for line in lines)
    assert any("3/3 files, 3 new, 0 failed" in line for line in lines) or any(
        "2/3 files, 2 new" in line for line in lines
    )
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_crawl_counts_replace_the_last():
    out = io.StringIO()
    with Progress("crawl sina", stream=out, interval=0.05) as p:
        time.sleep(0.1)
        p.update({"pages": 12, "new": 10, "failed": 0, "status": "running"})
        time.sleep(0.1)
    assert "crawl sina: 12 pages, 10 new, 0 failed, running (" in out.getvalue()


def test_quick_work_writes_nothing():
    out = io.StringIO()
    with Progress("analyze", stream=out) as p:
        p.advance(5)
        p.set_stage("stories done")
    assert out.getvalue() == ""


def test_a_heartbeat_while_one_call_blocks():
    out = io.StringIO()
    with Progress("prices update", stream=out, interval=0.1, heartbeat=0.3) as p:
        p.set_stage("fetching from yfinance")
        time.sleep(1.6)
    lines = out.getvalue().splitlines()
    assert 2 <= len(lines) <= 1.6 / 0.3 + 2  # one per heartbeat, not one per tick
    assert all("prices update: fetching from yfinance (" in line for line in lines)


def test_a_terminal_gets_a_live_line_wiped_at_the_end():
    term = Terminal()
    with Progress("import", total=4, unit="files", stream=term) as p:
        for _ in range(4):
            time.sleep(0.12)
            p.advance(1)
        p.echo("a line of the command's own")
    text = term.getvalue()
    assert "\r\x1b[K[" in text and "/4 files" in text
    assert text.endswith("\r\x1b[K") and "\n" not in text.replace("\r\x1b[K", "")


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("NEWSMON_PROGRESS", "0")
    term = Terminal()
    with Progress("crawl sina", stream=term, interval=0.01) as p:
        time.sleep(0.05)
        p.update({"pages": 1})
        time.sleep(0.05)
    assert term.getvalue() == ""


def test_import_draws_its_progress_on_a_real_terminal(tmp_path):
    """`newsmon import` of many files with stderr on a pseudo-terminal: a live line, then wiped."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(60):
        seed = SEEDS[i % len(SEEDS)]
        (folder / f"{i:03d}_{seed.name}").write_bytes(seed.read_bytes())
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsmon.cli",
            "--db",
            str(tmp_path / "x.db"),
            "import",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=60)
    os.close(leader)
    assert proc.returncode == 0
    # each file is a document of its own: without a URL a document is its file (issue 10)
    assert out.startswith(b"imported 60 new, ") and b", 0 failed\n" in out
    assert b"/60 files" in seen and seen.endswith(b"\r\x1b[K")
