"""Bounded resources: the response cap on crawled pages, gzip bombs and imported files;
PDF text capped by pages and characters, texts by characters, each with a note; peak
memory of a crawl meeting a 50 MB page and a gzip bomb, and of importing a 50 MB page."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from newsmon.crawler.completeness import clean_title
from newsmon.crawler.extract.archive import MAX_PDF_CHARS
from newsmon.crawler.extract.record import ArticleRecord
from newsmon.crawler.ingest import MAX_TEXT_CHARS, bound_record, import_files
from newsmon.db import connect

TESTS = Path(__file__).parent
#: peak RSS limits of the issue's acceptance (MB)
CRAWL_RSS_LIMIT_MB = 500
IMPORT_RSS_LIMIT_MB = 300


def write_pdf(path: Path, pages: int, chars_per_page: int, *, dense: bool = False) -> None:
    """A real PDF (reportlab): Chinese text in its built-in CID font, or with dense,
    small Latin text (about 36,000 characters a page, quick to read back)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    if dense:
        font, size, step, line = (
            "Helvetica",
            4,
            5,
            ("Shanghai notice on green industry. " * 7)[:220],
        )
    else:
        font, size, step = "STSong-Light", 8, 10
        line = ("上海市人民政府办公厅关于印发促进绿色低碳产业发展行动方案的通知第" * 2)[:60]
    for _ in range(pages):
        c.setFont(font, size)
        y, chars = 830, 0
        while chars < chars_per_page and y > 10:
            c.drawString(5, y, line)
            chars, y = chars + len(line), y - step
        c.showPage()
    c.save()


def peak_rss_mb(body: str) -> tuple[float, dict]:
    """Run body in a fresh interpreter (tests/ on its path); returns the peak RSS of the
    processes it started (MB) and the JSON object it printed last."""
    code = textwrap.dedent(
        f"""
        import json, resource, sys
        sys.path.insert(0, {str(TESTS)!r})
        {textwrap.indent(textwrap.dedent(body), "        ").strip()}
        print(json.dumps(out))
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        """
    )
    run = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    *_, out, rss = run.stdout.strip().splitlines()
    return float(rss), json.loads(out)


# --- caps with notes ------------------------------------------------------------------------


def test_a_long_pdf_is_read_to_the_character_cap_with_a_note(tmp_path):
    pdf = tmp_path / "book.pdf"
    write_pdf(pdf, 40, 40_000, dense=True)  # 1.4 M characters: past the character cap
    db = connect(tmp_path / "x.db")
    report = import_files(db, [pdf])
    assert report.counts["new"] == 1, report.errors
    (row,) = db.query("select text, meta from articles")
    meta = json.loads(row["meta"])
    assert meta["text_capped"].startswith("PDF text capped: ")
    assert " of 40 pages read" in meta["text_capped"]
    assert len(row["text"]) <= MAX_PDF_CHARS


def test_a_text_longer_than_the_cap_is_cut_with_a_note():
    record = ArticleRecord(url="https://x.cn/a", site="unknown", text="长" * (MAX_TEXT_CHARS + 5))
    bound_record(record)
    assert len(record.text) == MAX_TEXT_CHARS
    assert record.meta["text_capped"] == (
        f"the text was cut at {MAX_TEXT_CHARS:,} of its {MAX_TEXT_CHARS + 5:,} characters"
    )


@pytest.mark.parametrize(
    "title,clean",
    [
        ('<script>alert("x")</script>上海印发文件', "上海印发文件"),
        ("上海<b>印发</b>文件", "上海 印发 文件"),
        ("上海印发文件", "上海印发文件"),
        ("A < B 的比较", "A < B 的比较"),
    ],
)
def test_markup_in_a_title_is_removed_with_a_note(title, clean):
    cleaned, note = clean_title(title)
    assert cleaned == clean
    assert (note is None) == (title == clean)


# --- peak memory --------------------------------------------------------------------------------


def test_a_crawl_meeting_a_50_mb_page_and_a_gzip_bomb_stays_bounded(tmp_path):
    rss, out = peak_rss_mb(
        f"""
        from newsmon.crawler.replay import replay_server
        from newsmon.crawler.runner import run_crawl
        from replay_harness import replay_config, stored
        HUGE = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
        BOMB = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2749306.shtml"
        with replay_server() as server:
            config = replay_config(server.base_url, {str(tmp_path / "x.db")!r})
            server.set_fault(HUGE, "huge", size=50_000_000)
            server.set_fault(BOMB, "gzip-bomb", size=1 << 30)
            result = run_crawl(config, "sina")
        out = {{"status": result.status, "errors": result.errors,
                "stored": len(stored(config.db_path))}}
        """
    )
    assert rss < CRAWL_RSS_LIMIT_MB, f"peak RSS {rss:.0f} MB"
    assert out["status"] == "partial" and out["stored"] == 8
    reasons = {e["url"].rsplit("/", 1)[1]: e["reason"] for e in out["errors"]}
    assert (
        "larger than the response cap of 10,000,000 bytes" in reasons["doc-imizirav2742611.shtml"]
    )
    assert "DOWNLOAD_MAXSIZE" in reasons["doc-imizirav2749306.shtml"]


def test_importing_a_50_mb_page_stays_bounded(tmp_path):
    rss, out = peak_rss_mb(
        f"""
        import subprocess
        from pathlib import Path
        from newsmon.crawler.replay.hostile import huge_page
        from newsmon.crawler.replay.routes import build_routes, route_key
        url = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
        page = Path({str(tmp_path / "huge.html")!r})
        page.write_bytes(huge_page(build_routes()[route_key(url)].body, 50_000_000))
        args = [sys.executable, "-P", "-m", "newsmon.cli", "--db", {str(tmp_path / "x.db")!r}]
        run = subprocess.run(args + ["import", str(page)], capture_output=True, text=True)
        out = {{"code": run.returncode, "output": run.stdout + run.stderr}}
        """
    )
    assert rss < IMPORT_RSS_LIMIT_MB, f"peak RSS {rss:.0f} MB"
    assert out["code"] == 1
    assert "50,000,000 bytes, larger than the cap of 10,000,000" in out["output"]
    assert "Traceback" not in out["output"]


@pytest.mark.reliability
def test_importing_a_5000_page_pdf_stays_bounded(tmp_path):
    pdf = tmp_path / "book.pdf"
    write_pdf(pdf, 5000, 3350)  # 16.75 M characters
    rss, out = peak_rss_mb(
        f"""
        import subprocess
        args = [sys.executable, "-P", "-m", "newsmon.cli", "--db", {str(tmp_path / "x.db")!r}]
        run = subprocess.run(args + ["import", {str(pdf)!r}], capture_output=True, text=True)
        out = {{"code": run.returncode, "output": run.stdout + run.stderr}}
        """
    )
    assert out["code"] == 0, out["output"]
    assert rss < CRAWL_RSS_LIMIT_MB, f"peak RSS {rss:.0f} MB"
    db = connect(tmp_path / "x.db")
    (row,) = db.query("select length(text) as n, meta from articles")
    assert row["n"] <= MAX_PDF_CHARS and "5000 pages" in json.loads(row["meta"])["text_capped"]
