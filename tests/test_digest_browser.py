"""The HTML digest opened in real headless Chromium, as a reader sees it."""

import shutil
import subprocess

import pytest
from test_digest import digest, hostile  # noqa: F401 - the module fixture

from analysis.digest import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (make test installs it as root)",
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
    "--hide-scrollbars",
]


def chromium(tmp_path, *args):
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def page(tmp_path_factory, digest):  # noqa: F811
    tmp = tmp_path_factory.mktemp("browser")
    path = tmp / "digest.html"
    path.write_text(render_html(hostile(digest)), encoding="utf-8")
    return tmp, path


def test_screenshot(page):
    tmp, path = page
    shot = tmp / "digest.png"
    chromium(tmp, f"--screenshot={shot}", "--window-size=1280,2400", path.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000


def test_dom_has_the_key_elements_and_ran_no_payload(page):
    tmp, path = page
    dom = chromium(tmp, "--dump-dom", "--virtual-time-budget=2000", path.as_uri())
    assert '<section class="story"' in dom
    assert dom.count('class="timeline-row"') == 5  # the five seed documents
    assert '<table class="sectors">' in dom
    assert 'src="data:image/png;base64,' in dom
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert '<img src="x"' not in dom  # the payload stayed text: no element was created
    assert "<title>newsmon digest 2022-07-08</title>" in dom
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
