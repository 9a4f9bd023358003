"""The HTML digest opened in real headless Chromium, as a reader sees it.

Needs Debian's ``chromium`` on PATH (``make test`` installs it as root through
scripts/system-deps.sh); skipped with the reason otherwise.
"""

import shutil
import struct
import subprocess

import pytest
from test_digest import SCRIPT_TITLE, elements, hostile, load_sample

from newsmon.analysis.digest import render_html

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not on PATH (apt-get install chromium; make test does it as root)",
    ),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
]
WIDTH, HEIGHT = 1280, 2400


def chromium(tmp, *args):
    """Run Chromium once with its own throw-away profile; its stdout."""
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The hostile sample digest written to a file: (folder, file)."""
    tmp = tmp_path_factory.mktemp("browser")
    path = tmp / "digest.html"
    path.write_text(render_html(hostile(load_sample())), encoding="utf-8")
    return tmp, path


def test_screenshot_is_a_png_of_the_window(page):
    tmp, path = page
    shot = tmp / "digest.png"
    chromium(tmp, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", path.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    assert len(data) > 50_000  # text, tables and the chart were drawn, not a blank page


def test_dom_has_the_key_elements_and_ran_no_payload(page):
    tmp, path = page
    dom = chromium(tmp, "--dump-dom", "--virtual-time-budget=2000", path.as_uri())
    tags = elements(dom)
    sections = [a for t, a in tags if t == "section" and a.get("class") == "story"]
    assert [a["id"] for a in sections] == ["story-1", "story-2"]
    assert sum(1 for t, a in tags if t == "tr" and "timeline-row" in a.get("class", "")) == 6
    assert [a["id"] for t, a in tags if t == "table" and a.get("class") == "sectors"] == [
        "story-1-sectors",
        "story-2-sectors",
    ]
    (chart,) = [a for t, a in tags if t == "img"]
    assert chart["class"] == "chart" and chart["src"].startswith("data:image/png;base64,")
    # the payloads stayed text: no element, no attribute, no script, title unchanged
    assert not [a for _, a in tags if "data-pwned" in a]
    assert not [t for t, _ in tags if t in ("script", "iframe", "svg", "marquee")]
    assert "<title>newsmon digest 2022-07-08</title>" in dom
    assert SCRIPT_TITLE.replace("<", "&lt;").replace(">", "&gt;") in dom
