"""The digest renderer on a sample input: Markdown, self-contained HTML, charts, Atom.

tests/data/digest_sample.json is the 2022-07-08 Shanghai action-plan story in the
shape analysis.digest renders; its figures are sample data for rendering tests.
"""

import base64
import copy
import json
import re
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from newsmon.analysis.charts import car_chart_png
from newsmon.analysis.digest import (
    atom_feed,
    digest_story,
    evidence_text,
    first_report,
    is_web_url,
    origin_view,
    rank_score,
    rank_stories,
    reaction_view,
    render_html,
    render_markdown,
    sector_rows,
    stock_rows,
    timeline_rows,
)

SAMPLE = Path(__file__).parent / "data" / "digest_sample.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SCRIPT_TITLE = "<script>document.title='pwned'</script>"
IMG_TITLE = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"


def load_sample():
    """A fresh copy of the sample digest."""
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def hostile(digest):
    """The digest with attacker-controlled text in every crawled field of the top story."""
    d = copy.deepcopy(digest)
    story = d["stories"][0]
    story["headline"] = SCRIPT_TITLE
    story["official_origin"]["title"] = "<b>bold</b> & [link](javascript:alert(1))"
    story["official_origin"]["url"] = "javascript:alert(1)"
    story["first"]["site"] = "<i>site</i>"
    story["first"]["url"] = ' https://evil.example/" onmouseover="alert(1)'
    story["timeline"][0]["title"] = IMG_TITLE
    story["timeline"][0]["url"] = "javascript:alert(1)"
    story["timeline"][1]["site"] = "<svg onload=alert(1)>"
    story["timeline"][1]["url"] = "data:text/html,<script>alert(1)</script>"
    story["timeline"][2]["url"] = 'https://www.ithome.com/a"><script>alert(1)</script>'
    story["sectors"][0]["evidence"] = "</details><script>alert(1)</script>"
    story["sectors"][0]["reaction"]["notes"].append("<iframe src=https://evil.example>")
    story["stocks"][0]["name"] = "<marquee>x</marquee>"
    return d


class _Elements(HTMLParser):
    """Every start tag of a document, as (tag, attrs dict)."""

    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html):
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def section(html, n):
    """The HTML of the story section ranked n."""
    start = html.index(f'<section class="story" id="story-{n}"')
    return html[start : html.index("</section>", start)]


@pytest.fixture
def sample():
    return load_sample()


# ---------------------------------------------------------------- Markdown


def test_markdown_names_headline_origin_and_first_report(sample):
    md = render_markdown(sample)
    assert "上海市人民政府办公厅关于印发促进绿色低碳产业发展、培育“元宇宙”新赛道" in md
    assert "沪府办发〔2022〕12号 · dated 2022-06-24" in md
    assert "**ithome at 2022-07-08 10:06:12** (Asia/Shanghai)" in md
    assert "3 articles on 3 sites" in md


def test_markdown_timeline_and_sector_figures(sample):
    md = render_markdown(sample)
    rows = re.findall(r"^\| (2022-07-08 \d\d:\d\d:\d\d) \| (\w+)[^|]* \| ([\w\\]+) \|", md, re.M)
    assert rows[:3] == [
        ("2022-07-08 10:06:12", "ithome", "reprint"),
        ("2022-07-08 10:37:56", "sina", "partial\\_reprint"),
        ("2022-07-08 10:41:25", "sina", "commentary"),
    ]
    metaverse = next(line for line in md.splitlines() if line.startswith("| Metaverse"))
    assert "| +5.18% |" in metaverse and "| 10/10 |" in metaverse
    assert "limit-up close understates demand" in metaverse
    hydrogen = next(line for line in md.splitlines() if line.startswith("| Hydrogen"))
    assert "no price data" in hydrogen and "%" not in hydrogen
    # every table row of a table has as many cells as its header
    for table in re.findall(r"(?:^\|.*\|\n)+", md, re.M):
        widths = {len(re.split(r"(?<!\\)\|", line)) for line in table.splitlines()}
        assert len(widths) == 1, table


def test_markdown_escapes_crawled_text(sample):
    md = render_markdown(hostile(sample))
    assert re.search(r"(?<!\\)[<>]", md) is None  # no raw HTML can start
    assert not re.search(r"(?<!\\)\]\((javascript|data):", md)
    assert "\\<script\\>document.title='pwned'\\</script\\>" in md
    assert "\\[link\\](javascript:alert(1))" in md  # text, not a link
    # the hostile https URL is percent-encoded, so it cannot break out of the link
    assert "](https://www.ithome.com/a%22%3E%3Cscript%3Ealert%281%29%3C/script%3E)" in md


def test_markdown_links_only_web_urls(sample):
    md = render_markdown(hostile(sample))
    targets = re.findall(r"(?<!\\)\]\(([^)]*)\)", md)  # an escaped \] starts no link
    assert targets and all(t.startswith(("http://", "https://")) for t in targets)


# ---------------------------------------------------------------- HTML


def test_html_story_sections_ranked(sample):
    sample["stories"].reverse()  # input order does not matter: rank_score does
    html = render_html(sample)
    assert html.count('<section class="story"') == 2
    assert "上海市人民政府办公厅" in section(html, 1)
    assert "（样例）收盘后发布" in section(html, 2)


def test_html_first_report_and_timeline(sample):
    html = render_html(sample)
    top = section(html, 1)
    assert "ithome at 2022-07-08 10:06:12</strong> (Asia/Shanghai)" in top
    assert "沪府办发〔2022〕12号" in top and "dated 2022-06-24" in top
    assert '<table class="timeline" id="story-1-timeline">' in top
    assert top.count('class="timeline-row') == 5
    assert re.search(
        r'<tr class="timeline-row first-report">\s*<td class="time">2022-07-08 10:06:12', top
    )
    assert (
        '<a href="https://www.ithome.com/0/628/sample.htm" rel="noopener noreferrer nofollow">'
        in top
    )


def test_html_sector_table_figures(sample):
    top = section(render_html(sample), 1)
    assert '<table class="sectors" id="story-1-sectors">' in top
    row = re.search(r'<tr class="sector-row" data-sector-id="metaverse">.*?</tr>', top, re.S)[0]
    figures = re.findall(r"[+-]\d+\.\d\d%", row)
    # sector, benchmark, AR day 0, CAR[0,+1], CAR[0,+3], pre-event drift
    assert figures == ["+4.85%", "-0.33%", "+5.18%", "+5.84%", "+6.68%", "-2.42%"]
    assert ">2.91<" in row and ">10/10<" in row
    notes = top[top.index(row) + len(row) :].split("</tr>", 1)[0]
    assert '<div class="note-line limit">limit-up close understates demand: 002045.SZ' in notes
    hydrogen = re.search(r'data-sector-id="hydrogen">.*?</tr>', top, re.S)[0]
    assert "no price data" in hydrogen and "%" not in hydrogen


def test_html_embeds_the_chart_as_png(sample):
    html = render_html(sample)
    imgs = [a for tag, a in elements(html) if tag == "img"]
    assert [a.get("class") for a in imgs] == ["chart"]  # one chart: story 2 has no prices
    assert imgs[0]["id"] == "story-1-chart"
    src = imgs[0]["src"]
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.split(",", 1)[1], validate=True).startswith(PNG_MAGIC)
    assert "first published 2022-07-08 10:06:12 Asia/Shanghai" in imgs[0]["alt"]


def test_html_loads_nothing_external(sample):
    html = render_html(sample)
    assert "<script" not in html.lower()
    assert not re.search(
        r"<(link|script|img|iframe|object|embed|source)\b[^>]*(src|href)=\"?https?:", html, re.I
    )
    assert not re.search(r"url\(|@import", html)  # nothing fetched from CSS either
    for tag, attrs in elements(html):
        if tag in ("img", "link", "script", "iframe", "source", "embed", "object"):
            assert (attrs.get("src") or attrs.get("href") or "").startswith("data:"), (tag, attrs)
    assert "default-src 'none'; img-src data:" in html  # CSP: even a slip could load nothing


def test_html_escapes_crawled_text(sample):
    html = render_html(hostile(sample))
    tags = elements(html)
    assert not [t for t, _ in tags if t in ("script", "iframe", "svg", "marquee", "b", "i")]
    assert not [a for t, a in tags if t == "img" and a.get("src") == "x"]
    assert not any(k.startswith("on") for _, a in tags for k in a)
    hrefs = [a["href"] for t, a in tags if t == "a"]
    assert all(h.startswith(("http://", "https://", "#")) for h in hrefs), hrefs
    assert "javascript:" not in "".join(hrefs) and "data:text" not in "".join(hrefs)
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html  # the title is shown, as text
    assert "javascript:alert(1)" in html  # the bad URL is shown as text only
    assert 'href="https://www.ithome.com/a&#34;&gt;&lt;script&gt;' in html


def test_story_without_reactions_says_no_price_data(sample):
    html = render_html(sample)
    second = section(html, 2)
    assert 'class="sector-row no-price-data"' in second
    assert '<td colspan="8" class="nodata">no price data</td>' in second
    assert "no price data: no chart" in second
    assert "%" not in second and "<img" not in second

    sample["stories"][0]["sectors"] = [
        dict(s, reaction=None, path=[]) for s in sample["stories"][0]["sectors"]
    ]
    html = render_html(sample)
    assert "<img" not in html and "0.00%" not in html
    assert section(html, 1).count("no price data</td>") == 7


def test_empty_digest():
    empty = {"date": "2022-07-09", "generated_at": "2022-07-09T12:00:00Z", "stories": []}
    html = render_html(empty)
    assert 'id="no-stories"' in html and "No stories" in html
    assert '<section class="story"' not in html and "<img" not in html
    assert "No stories: nothing was first reported on 2022-07-09." in render_markdown(empty)


def test_rendering_is_deterministic(sample):
    assert render_html(sample) == render_html(load_sample())
    assert render_markdown(sample) == render_markdown(load_sample())


def test_missing_optional_fields_render_as_dashes():
    story = {"id": "x", "headline": "h", "sectors": [{"sector_id": "s", "reaction": {}}]}
    html = render_html({"date": "2022-07-08", "stories": [story]})
    assert "–" in html and "None" not in html
    assert "None" not in render_markdown({"date": "2022-07-08", "stories": [story]})


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.shanghai.gov.cn/a.html", True),
        ("HTTP://example.org", True),
        ("javascript:alert(1)", False),
        (" https://example.org", False),
        ("https://exa mple.org", False),
        ("https:///path-only", False),
        ("//example.org", False),
        ("data:text/html,x", False),
        (None, False),
    ],
)
def test_is_web_url(url, ok):
    assert is_web_url(url) is ok


# ---------------------------------------------------------------- charts


def test_chart_is_deterministic_png_without_glyph_warnings():
    path = [{"day": d, "car": d / 100 if d != -2 else None} for d in range(-5, 6)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = car_chart_png([("Metaverse", path), ("元宇宙", path)], "first published 10:06")
    assert one.startswith(PNG_MAGIC)
    assert one == car_chart_png([("Metaverse", path), ("元宇宙", path)], "first published 10:06")
    assert b"tEXt" not in one and b"iTXt" not in one  # no metadata (Software, dates)


def test_chart_module_leaves_pyplot_and_backend_alone():
    code = (
        "import matplotlib, sys; before = matplotlib.rcParams._get('backend');"
        "import newsmon.analysis.charts as c; c.car_chart_png([('a', [{'day': 0, 'car': 0.01}])], 'e');"
        "assert 'matplotlib.pyplot' not in sys.modules;"
        "assert matplotlib.rcParams._get('backend') == before"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


# ---------------------------------------------------------------- Atom


def _feed_entries():
    return [
        {
            "date": "2022-07-08",
            "title": "digest <b> & co",
            "summary": "上海 <script>x</script> a & b\x0b",
            "html_url": "https://example.org/digests/2022-07-08.html",
            "updated": "2022-07-08T15:00:00Z",
        },
        {
            "date": "2022-07-11",
            "title": "digest 2",
            "summary": "",
            "link": "javascript:alert(1)",
            "updated": "2022-07-11T23:00:00+08:00",
        },
    ]


def test_atom_feed_parses_back():
    xml = atom_feed(_feed_entries(), "https://example.org/digests.atom", "https://example.org/")
    ET.fromstring(xml.encode("utf-8"))  # well-formed XML
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "newsmon daily digest"
    assert [e.id for e in feed.entries] == [
        "tag:newsmon,2022:digest/2022-07-11",  # newest first
        "tag:newsmon,2022:digest/2022-07-08",
    ]
    newest, older = feed.entries
    assert older.title == "digest <b> & co"
    assert older.link == "https://example.org/digests/2022-07-08.html"
    assert older.summary == "上海 <script>x</script> a & b"  # text, control character gone
    assert newest.updated == "2022-07-11T15:00:00Z"  # normalised to UTC
    assert newest.link == "https://example.org/"  # a javascript: link falls back to the site
    assert feed.feed.updated == "2022-07-11T15:00:00Z"


def test_atom_entry_id_is_stable_per_date():
    first = atom_feed(_feed_entries()[:1], "https://example.org/f.atom", "https://example.org/")
    again = dict(_feed_entries()[0], title="re-rendered", updated="2022-07-09T01:00:00Z")
    second = atom_feed([again], "https://example.org/f.atom", "https://example.org/")
    ids = [feedparser.parse(x).entries[0].id for x in (first, second)]
    assert ids[0] == ids[1] == "tag:newsmon,2022:digest/2022-07-08"


def test_atom_feed_empty_is_valid():
    feed = feedparser.parse(atom_feed([], "https://example.org/f.atom", "https://example.org/"))
    assert not feed.bozo and feed.entries == []


# ---------------------------------------------------------------- shaping stored records

STORY = {
    "id": "s1",
    "title": "上海印发元宇宙行动方案",
    "origin_article_id": "a0",
    "first_article_id": "a1",
    "official_origin_url": "https://www.shanghai.gov.cn/notice.html",
    "n_articles": 3,
    "n_sites": 2,
}
MEMBERS = [
    {
        "article_id": "a0",
        "site": "shanghai_gov",
        "title": "通知",
        "url": "https://www.shanghai.gov.cn/x.pdf",
        "published_at": None,
        "role": "origin",
        "novelty": None,
        "score": 1.0,
    },
    {
        "article_id": "a1",
        "site": "ithome",
        "title": "上海印发文件",
        "url": "https://www.ithome.com/1.htm",
        "published_at": "2022-07-08T02:06:12Z",
        "role": "reprint",
        "novelty": 100.0,
        "score": 0.9,
    },
    {
        "article_id": "a2",
        "site": "sina",
        "title": "上海：智能终端",
        "url": "https://finance.sina.com.cn/2.shtml",
        "published_at": "2022-07-08T02:41:25Z",
        "role": "commentary",
        "novelty": 56.25,
        "score": 0.2,
    },
]
ORIGIN = {
    "id": "a0",
    "title": "通知",
    "url": "https://www.shanghai.gov.cn/x.pdf",
    "site": "shanghai_gov",
    "document_date": "2022-06-24",
    "doc_number": "沪府办发〔2022〕12号",
}
FIGURES = {
    "n_members": 10,
    "n_members_with_data": 10,
    "sector_return": 0.0485,
    "benchmark": "000300.SS",
    "benchmark_return": -0.0033,
    "ar0": 0.0518,
    "car_0_1": 0.0584,
    "car_0_3": 0.0668,
    "car_m3_m1": -0.0242,
    "t_ar0": 2.91,
    "notes": ["short estimation window"],
    "path": [{"day": 0, "car": 0.0518, "mm_car": None}],
}
REACTION = {
    "story_id": "s1",
    "sector_id": "metaverse",
    "event_time": "2022-07-08T02:06:12Z",
    "event_session": "2022-07-08",
    "figures": FIGURES,
}
SECTORS = {"metaverse": {"id": "metaverse", "name": "Metaverse", "name_zh": "元宇宙"}}
TAGS = [
    {"kind": "sector", "code": "robots", "name": "", "relevance": 84, "evidence": {"max": 84}},
    {"kind": "sector", "code": "metaverse", "name": "", "relevance": 100, "evidence": None},
    {
        "kind": "stock",
        "code": "002045.SZ",
        "name": "国光电器",
        "relevance": 95,
        "evidence": {"max": 95, "coverage": 0.5},
    },
    {
        "kind": "stock",
        "code": "300024.SZ",
        "name": "机器人",
        "relevance": 10,
        "evidence": "generic",
    },
]
MEMBER_TAGS = [
    [],
    [
        {"kind": "stock", "code": "002045.SZ", "confidence": 95, "reason": "lead: 国光电器"},
        {"kind": "sector", "code": "metaverse", "confidence": 100, "reason": None},
    ],
    [
        {"kind": "stock", "code": "002045.SZ", "confidence": 95, "reason": "title: 国光电器"},
        {"kind": "stock", "code": "300024.SZ", "confidence": 10, "reason": ""},
    ],
]


def test_evidence_text():
    assert evidence_text(None) == ""
    assert evidence_text("lead") == "lead"
    assert evidence_text(["a", {"k": 1}]) == "a; k: 1"
    assert evidence_text({"max": 95, "articles": {"a1": 95}}) == "max: 95, articles: a1: 95"
    assert evidence_text(0.5) == "0.5"


def test_reaction_view_maps_stored_figures():
    view = reaction_view(REACTION)
    assert view["event_time_shanghai"] == "2022-07-08 10:06"
    assert (view["ar_day0"], view["pre_drift"], view["t_stat"]) == (0.0518, -0.0242, 2.91)
    assert view["notes"] == ["short estimation window"]


def test_reaction_view_without_prices_is_none():
    assert reaction_view(dict(REACTION, figures=dict(FIGURES, n_members_with_data=0))) is None
    assert reaction_view(dict(REACTION, figures=dict(FIGURES, benchmark_return=None))) is None


def test_origin_view_and_first_report():
    assert origin_view(STORY, None) is None
    origin = origin_view(STORY, ORIGIN)
    assert origin["url"] == "https://www.shanghai.gov.cn/notice.html"  # the story's URL wins
    assert origin_view(dict(STORY, official_origin_url=None), ORIGIN)["url"] == ORIGIN["url"]
    first = first_report(STORY, MEMBERS)
    assert (first["site"], first["published_shanghai"]) == ("IT之家", "2022-07-08 10:06:12")
    assert first_report(dict(STORY, first_article_id="nope"), MEMBERS) is None
    assert first_report(STORY, []) is None


def test_timeline_rows_keep_member_order():
    rows = timeline_rows(MEMBERS)
    assert [r["article_id"] for r in rows] == ["a0", "a1", "a2"]
    assert rows[0]["published_shanghai"] == ""
    assert rows[2]["published_shanghai"] == "2022-07-08 10:41:25"
    assert timeline_rows([]) == []


def test_sector_rows_most_relevant_first_with_reactions():
    rows = sector_rows(TAGS, {"metaverse": REACTION}, SECTORS)
    assert [r["sector_id"] for r in rows] == ["metaverse", "robots"]
    metaverse, robots = rows
    assert (metaverse["name"], metaverse["name_zh"]) == ("Metaverse", "元宇宙")
    assert metaverse["reaction"]["ar_day0"] == 0.0518 and metaverse["path"] == FIGURES["path"]
    assert (robots["name"], robots["reaction"], robots["path"]) == ("robots", None, [])
    assert robots["evidence"] == "max: 84"
    assert sector_rows([], {}, {}) == []


def test_stock_rows_reason_of_the_strongest_article_tag():
    rows = stock_rows(TAGS, MEMBER_TAGS)
    assert [r["code"] for r in rows] == ["002045.SZ", "300024.SZ"]
    assert rows[0]["reason"] == "title: 国光电器"  # a tie: the later article's reason
    assert rows[0]["confidence"] == 95
    assert rows[1]["reason"] == "generic"  # no article reason: the story tag's evidence
    assert stock_rows(TAGS, [])[0]["reason"] == "max: 95, coverage: 0.5"


def test_rank_score():
    rows = sector_rows(TAGS, {"metaverse": REACTION}, SECTORS)
    # 2 sites * 10 + 3 articles + 5 (official origin) + |t| 2.91
    assert rank_score(STORY, origin_view(STORY, ORIGIN), rows) == 30.91
    assert rank_score({}, None, []) == 0.0
    strong = [{"reaction": {"t_stat": -45.0}}]
    assert rank_score({"n_sites": 1}, None, strong) == 30.0  # |t| counts up to 20


def test_digest_story_from_stored_records():
    story = digest_story(STORY, MEMBERS, ORIGIN, TAGS, MEMBER_TAGS, [REACTION], SECTORS)
    assert story["id"] == "s1" and story["headline"] == STORY["title"]
    assert story["rank_score"] == 30.91
    assert story["official_origin"]["doc_number"] == "沪府办发〔2022〕12号"
    assert story["first"]["site"] == "IT之家"  # outlets by display name
    assert (story["n_articles"], story["n_sites"]) == (3, 2)
    assert [s["sector_id"] for s in story["sectors"]] == ["metaverse", "robots"]
    assert len(story["timeline"]) == 3 and len(story["stocks"]) == 2
    text = render_markdown(
        {"date": "2022-07-08", "generated_at": "2022-07-08T12:00:00Z", "stories": [story]}
    )
    assert "| 002045.SZ | 国光电器 | 95 |" in text and "+5.18%" in text  # renders as shaped


def test_digest_story_bare():
    story = digest_story({"id": "s2", "title": "t"}, [], None, [], [], [], {})
    assert story["rank_score"] == 0.0
    assert (story["official_origin"], story["first"], story["sectors"], story["stocks"]) == (
        None,
        None,
        [],
        [],
    )


def test_rank_stories_highest_first_ties_by_id_then_top():
    stories = [{"id": i, "rank_score": r} for i, r in [("b", 1.0), ("c", 5.0), ("a", 1.0)]]
    assert [s["id"] for s in rank_stories(stories)] == ["c", "a", "b"]
    assert [s["id"] for s in rank_stories(stories, top=2)] == ["c", "a"]
    assert rank_stories([], top=5) == []
