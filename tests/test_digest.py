"""The digest as a reader gets it: built from the stored seed story, rendered to Markdown and HTML."""

import base64
import re

import feedparser
import pytest

from analysis.digest import atom_feed, render_html, render_markdown
from config import load_config
from conftest import DATA, SEEDS
from crawler.ingest import import_files
from db import connect
from newsmon.pipeline import (
    compute_reactions,
    digest_data,
    import_prices,
    tag_articles,
    update_stories,
)

PRICE_FILES = [
    str(p)
    for p in sorted((DATA / "market").glob("*.csv"))
    if "eastmoney" not in p.name and "akshare" not in p.name
]


@pytest.fixture(scope="module")
def digest(tmp_path_factory):
    db = connect(tmp_path_factory.mktemp("dg") / "x.db")
    config = load_config(env={})
    import_files(db, SEEDS)
    update_stories(db)
    import_prices(db, PRICE_FILES)
    tag_articles(db, config)
    compute_reactions(db, config)
    return digest_data(db, "2022-07-08")


def hostile(digest):
    """The seed digest with attacker-controlled text in every crawled field."""
    story = dict(digest["stories"][0])
    story["headline"] = "<script>document.title='pwned'</script>"
    story["timeline"] = [
        dict(
            story["timeline"][0],
            title="<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">",
            url="javascript:alert(1)",
        ),
        *story["timeline"][1:],
    ]
    return {**digest, "stories": [story]}


def test_one_story_that_day(digest):
    assert len(digest["stories"]) == 1


def test_markdown_names_origin_and_first_report(digest):
    md = render_markdown(digest)
    assert "沪府办发〔2022〕12号" in md
    assert "ithome at 2022-07-08 10:06:12 (Asia/Shanghai)" in md


def test_html_has_sector_table_with_metaverse_reaction(digest):
    html = render_html(digest)
    row = re.search(r'<tr class="sector-row">\s*<td>Metaverse.*?</tr>', html, re.S).group(0)
    ar = re.findall(r"[+-]\d+\.\d\d%", row)[2]  # sector, benchmark, then AR day 0
    assert float(ar.rstrip("%")) > 3


def test_html_embeds_a_png_chart(digest):
    html = render_html(digest)
    data = re.search(r'<img class="chart"[^>]*src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")


def test_html_loads_nothing_external(digest):
    html = render_html(digest)
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?:', html)


def test_timeline_in_publication_order(digest):
    times = [
        a["published_shanghai"] for a in digest["stories"][0]["timeline"] if a["published_shanghai"]
    ]
    assert times == ["2022-07-08 10:06:12", "2022-07-08 10:37:56", "2022-07-08 10:41:25"]


def test_hostile_text_is_escaped_in_html(digest):
    html = render_html(hostile(digest))
    assert "<script>document.title" not in html
    assert "&lt;script&gt;document.title=" in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html


def test_hostile_text_is_escaped_in_markdown(digest):
    md = render_markdown(hostile(digest))
    assert "<script>" not in md and "](javascript:" not in md


def test_story_without_reaction_says_so(digest):
    story = dict(digest["stories"][0])
    story["sectors"] = [dict(s, reaction=None, path=[]) for s in story["sectors"]]
    html = render_html({**digest, "stories": [story]})
    assert "no price data" in html and 'class="chart"' not in html


def test_empty_day(digest):
    html = render_html(
        {"date": "2022-07-09", "generated_at": "2022-07-09T12:00:00Z", "stories": []}
    )
    assert 'id="no-stories"' in html


def test_atom_feed_parses():
    feed = feedparser.parse(
        atom_feed(
            [
                {
                    "date": "2022-07-08",
                    "title": "digest <b>",
                    "summary": "a & b",
                    "link": "https://example.org/d.html",
                    "updated": "2022-07-08T12:00:00Z",
                }
            ],
            "https://example.org/digests.atom",
            "https://example.org/",
        )
    )
    assert not feed.bozo
    assert feed.entries[0].title == "digest <b>"
    assert feed.entries[0].id == "tag:newsmon,2022:digest/2022-07-08"
