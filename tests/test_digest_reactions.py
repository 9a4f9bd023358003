"""The digest's reaction section: sectors by the strength of the evidence, relevance in one
line, the named companies' own moves beside the sectors, the intraday path or why not."""

import copy
import json
import re

from test_digest import elements, hostile, load_sample, section

from newsmon.analysis.digest import (
    digest_story,
    evidence_strength,
    relevance_line,
    render_html,
    render_markdown,
    sector_rows,
    stock_rows,
)


def reaction(sector, ar0, t, test="cross-sectional t", **extra):
    figures = {
        "n_members": 5,
        "n_members_with_data": 5,
        "sector_return": ar0,
        "benchmark": "000300.SS",
        "benchmark_return": 0.0,
        "ar0": ar0,
        "t_ar0": t,
        "test_ar0": test,
        "notes": [],
        "path": [],
        **extra,
    }
    return {
        "sector_id": sector,
        "event_time": "2022-07-08T02:06:12Z",
        "event_session": "2022-07-08",
        "figures": figures,
    }


def tag(code, relevance):
    return {"kind": "sector", "code": code, "name": code, "relevance": relevance, "evidence": None}


def test_sectors_are_ordered_by_the_strength_of_the_evidence():
    tags = [tag("a", 100), tag("b", 90), tag("c", 80), tag("d", 70), tag("e", 60)]
    reactions = {
        "a": reaction("a", 0.001, 0.3),
        "b": reaction("b", -0.03, -2.5),  # the strongest test, negative
        "c": reaction("c", 0.05, None, test=None),  # no statistic: after those with one
        "d": reaction("d", 0.02, 2.5),  # the same |t| as b, a smaller |AR|
    }
    rows = sector_rows(tags, reactions, {})
    assert [r["sector_id"] for r in rows] == ["b", "d", "a", "c", "e"]  # e: no prices
    assert evidence_strength(rows[0]) < evidence_strength(rows[1])


def test_relevance_in_one_line_from_the_articles_tags():
    member_tags = [
        [
            {
                "kind": "sector",
                "code": "metaverse",
                "confidence": 100,
                "evidence": [
                    {"keyword": "元宇宙", "title": 1, "lead": 3, "body": 39},
                    {"keyword": "虚拟现实", "title": 0, "lead": 0, "body": 12},
                ],
            }
        ],
        [{"kind": "sector", "code": "metaverse", "confidence": 70, "evidence": []}],
        [],
    ]
    line = relevance_line(tag("metaverse", 100), member_tags)
    assert line == (
        "relevance 100: the strongest article names 元宇宙 ×43 (title, lead), 虚拟现实 ×12; "
        "tagged in 2 of 3 articles"
    )
    assert "\n" not in line
    stored = {
        "kind": "sector",
        "code": "x",
        "relevance": 84,
        "evidence": {"max": 84, "coverage": 0.5},
    }
    assert (
        relevance_line(stored)
        == "relevance 84: the strongest article's score; tagged in 50% of the story's articles"
    )


def stock_reaction(ticker, return0, limit_up, price, **extra):
    return {
        "ticker": ticker,
        "figures": {
            "return0": return0,
            "ar0": return0 + 0.0033,
            "car_0_1": return0,
            "t_ar0": 3.57,
            "test": "time-series t",
            "limit_up": limit_up,
            "limit_down": False,
            "limit_up_price": price,
            "limit_down_price": None,
            "notes": [],
            **extra,
        },
    }


def sample_with_stock_reactions():
    sample = load_sample()
    story = sample["stories"][0]
    views = stock_rows(
        [
            {"kind": "stock", "code": s["code"], "name": s["name"], "relevance": s["confidence"]}
            for s in story["stocks"]
        ],
        [],
        [
            stock_reaction("002045.SZ", 9.00 / 8.18 - 1, True, 9.00),
            stock_reaction("002047.SZ", 4.07 / 3.70 - 1, True, 4.07, ar_30m=0.0123, ar_close=0.04),
        ],
    )
    for row, view in zip(story["stocks"], views, strict=True):
        row["reaction"] = view["reaction"]
    return sample


def test_named_companies_beside_the_sectors_with_their_limit_flags():
    html = section(render_html(sample_with_stock_reactions()), 1)
    # the companies' table comes right after the sectors', before the chart
    assert (
        html.index('class="sectors"') < html.index('class="stocks"') < html.index('class="chart"')
    )
    row = re.search(r'<tr class="stock-row" data-ticker="002045.SZ">.*?</tr>', html, re.S)[0]
    assert re.findall(r"[+-]\d+\.\d\d%", row)[:2] == ["+10.02%", "+10.35%"]
    assert "limit-up 9.00" in row and "time-series t" in row
    md = render_markdown(sample_with_stock_reactions())
    assert "| 002047.SZ | 宝鹰股份 | 95 | +10.00% |" in md and "limit-up 4.07" in md


def test_intraday_path_when_bars_exist_and_why_not_otherwise():
    with_bars = section(render_html(sample_with_stock_reactions()), 1)
    table = re.search(r'<table class="intraday".*?</table>', with_bars, re.S)[0]
    assert "002047.SZ 宝鹰股份" in table and "+1.23%" in table and "+4.00%" in table
    without = section(render_html(load_sample()), 1)
    assert '<table class="intraday"' not in without
    (line,) = re.findall(r'<p class="nodata intraday-missing">(.*?)</p>', without)
    assert line.startswith("No intraday path: no minute bars") and "--interval 1m" in line
    md = render_markdown(load_sample())
    assert "No intraday path: no minute bars" in md
    # a story without prices says nothing about minutes
    assert "intraday" not in section(render_html(load_sample()), 2).lower()


def test_the_new_cells_are_escaped():
    sample = hostile(sample_with_stock_reactions())
    story = sample["stories"][0]
    story["stocks"][1]["reaction"]["test"] = "<script>alert(1)</script>"
    story["sectors"][0]["relevance_line"] = "<img src=x onerror=alert(1)>"
    html = render_html(sample)
    tags = elements(html)
    assert not [t for t, _ in tags if t in ("script", "marquee")]
    assert not [a for t, a in tags if t == "img" and a.get("src") == "x"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = render_markdown(sample)
    assert re.search(r"(?<!\\)[<>]", md) is None


def test_digest_story_carries_the_stock_reactions():
    story = digest_story(
        {"id": "s", "title": "t"},
        [],
        None,
        [{"kind": "stock", "code": "002045.SZ", "name": "国光电器", "relevance": 95}],
        [],
        [],
        {},
        [stock_reaction("002045.SZ", 0.1002, True, 9.00)],
    )
    (stock,) = story["stocks"]
    assert stock["reaction"]["limit_up"] is True and stock["reaction"]["return0"] == 0.1002
    assert json.loads(json.dumps(story)) == copy.deepcopy(story)
