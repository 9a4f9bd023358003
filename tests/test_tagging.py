"""Stock and sector tags on the seed articles of the 2022-07-08 event, and on tiny texts."""

from __future__ import annotations

import math
import re
import tomllib
from importlib import resources

import pandas as pd
import pytest

from conftest import DATA
from newsmon.analysis.normalize import display_text
from newsmon.analysis.prices import canonical_ticker
from newsmon.analysis.tagging import (
    CONF_GENERIC,
    GENERIC_WORDS,
    RELEVANCE_SCALE,
    TITLE_WEIGHT,
    article_tag_rows,
    company_matcher,
    company_table,
    lead_end,
    rollup_story_tags,
    sector_tags,
    sector_taxonomy,
    stock_tags,
    story_tag_rows,
    tags_by_story,
    taxonomy_rows,
    taxonomy_tickers,
)

LISTING = DATA / "market" / "eastmoney_industry_tags_all_ashares_asof_2024-06.csv"
CROSS = DATA / "market" / "samleon_daily_all_ashares_2022-07-01_2022-07-15.csv"
SECTORS_TOML = resources.files("newsmon.config") / "sectors.toml"


def seed(prefix: str) -> tuple[str, str, list[dict]]:
    """Title, display text and Sina's stock tags of a seed post."""
    (path,) = (DATA / "seeds").glob(f"{prefix}_*.txt")
    raw = path.read_text(encoding="utf-8")
    _, head, body = raw.split("---", 2)
    title = re.search(r"title: '(.*)'", head).group(1)
    paragraphs = [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p[^>]*>(.*?)</p>", body, re.S)]
    tags = [
        {"code": code, "anchor": anchor, "source": "span"}
        for code, anchor in re.findall(r'<span id="stock_(\w+)"><a[^>]*>(.*?)</a>', body)
    ]
    return title, display_text("\n".join(paragraphs)), tags


@pytest.fixture(scope="module")
def companies():
    return company_table(pd.read_csv(LISTING, dtype={"code": str}))


@pytest.fixture(scope="module")
def matcher(companies):
    return company_matcher(companies)


@pytest.fixture(scope="module")
def sectors():
    return sector_taxonomy(tomllib.loads(SECTORS_TOML.read_text(encoding="utf-8")))


def by_code(tags):
    return {t["code"]: t for t in tags}


# ---------------------------------------------------------------- company table


def test_company_table(companies):
    assert list(companies.columns) == ["code", "name", "ticker"]
    names = dict(zip(companies["code"], companies["name"], strict=True))
    assert names["002045"] == "国光电器"
    assert names["000002"] == "万科A"  # 万  科Ａ width-folded, spaces removed
    assert names["300024"] == "机器人"
    assert companies.set_index("code").loc["600000", "ticker"] == "600000.SS"
    assert "603381" not in names  # its name is "-"


def test_company_table_tiny():
    listing = pd.DataFrame({"code": [2045, "600000", "1"], "name": ["国光电器", "浦发 银行", "X"]})
    before = listing.copy()
    table = company_table(listing)
    pd.testing.assert_frame_equal(listing, before)
    assert table.to_dict("records") == [
        {"code": "002045", "name": "国光电器", "ticker": "002045.SZ"},
        {"code": "600000", "name": "浦发银行", "ticker": "600000.SS"},
    ]


def test_company_table_empty():
    table = company_table(pd.DataFrame({"code": [], "name": []}))
    assert table.empty and list(table.columns) == ["code", "name", "ticker"]


# ---------------------------------------------------------------- stock tags


def test_sina_site_tags_on_common_words_get_low_confidence(matcher):
    title, text, site = seed("001")
    assert {t["code"] for t in site} == {"sz300024", "sz300832"}
    tags = by_code(stock_tags(title, text, site, matcher))
    robot = tags["300024.SZ"]
    assert robot["name"] == "机器人"
    assert robot["confidence"] <= 20
    assert "anchor '机器人' is a common word here, not the company" in robot["reason"]
    assert "智能机器人" in robot["reason"]
    assert robot["evidence"]["site_tag"]["code"] == "sz300024"
    snibe = tags["300832.SZ"]
    assert snibe["confidence"] <= 20
    assert "anchor '新产业' is a common word here" in snibe["reason"]
    assert "新产业高质量" in snibe["reason"]


def test_ithome_lead_names_get_high_confidence(matcher):
    title, text, site = seed("004")
    assert "国光电器涨停" in text[: lead_end(text)]
    tags = by_code(stock_tags(title, text, site, matcher))
    for code in ("002045.SZ", "300088.SZ", "002047.SZ", "300433.SZ"):
        assert tags[code]["confidence"] >= 90, tags[code]
        assert "in the lead" in tags[code]["reason"]
        (mention,) = tags[code]["evidence"]["mentions"]
        assert mention["position"] == "lead" and mention["usage"] == "company"
    assert "涨停" in tags["002045.SZ"]["reason"]
    # the plan's text mentions robots as an industry: 机器人 is found but low
    assert tags["300024.SZ"]["confidence"] == CONF_GENERIC
    ranked = [t["code"] for t in stock_tags(title, text, site, matcher)][:4]
    assert set(ranked) == {"002045.SZ", "300088.SZ", "002047.SZ", "300433.SZ"}


def test_stock_tags_accept_a_table_or_a_matcher(companies, matcher):
    title, text, site = seed("004")
    assert stock_tags(title, text, site, companies) == stock_tags(title, text, site, matcher)


def test_company_context_beats_common_word(matcher):
    text = "机器人（300024）今日涨停。工业机器人产业继续发展。"
    (tag,) = [t for t in stock_tags("", text, [], matcher) if t["code"] == "300024.SZ"]
    assert tag["confidence"] >= 90
    assert "followed by its code 300024" in tag["reason"]


def test_title_and_body_positions(matcher):
    body = "第一段。\n第二段。\n" + "公司消息。" * 80 + "\n蓝思科技发布新品。蓝思科技表示……"
    tags = by_code(stock_tags("国光电器发布公告", body, [], matcher))
    assert tags["002045.SZ"]["confidence"] >= 90
    assert tags["002045.SZ"]["evidence"]["mentions"][0]["position"] == "title"
    lens = tags["300433.SZ"]
    assert lens["evidence"]["mentions"][0]["position"] == "body"
    assert 60 <= lens["confidence"] < 90


def test_codes_in_text(matcher):
    tags = by_code(stock_tags("", "据公告，公司（股票代码：002045.SZ）将……", [], matcher))
    assert tags["002045.SZ"]["confidence"] >= 70
    assert tags["002045.SZ"]["evidence"]["codes"][0]["marked"] is True
    bare = by_code(stock_tags("", "今年营收600000元。", [], matcher))
    assert bare["600000.SS"]["confidence"] < 50


def test_site_tag_without_anchor_and_foreign_tags(matcher):
    tags = by_code(
        stock_tags(
            "",
            "国光电器涨停。",
            [
                {"code": "sz002045", "anchor": "", "source": "comment"},
                {"code": "sz300433", "anchor": "", "source": "comment"},
                {"code": "usstock:AAPL", "anchor": "苹果", "source": "span"},
            ],
            matcher,
        )
    )
    assert tags["002045.SZ"]["confidence"] >= 90
    assert tags["300433.SZ"]["confidence"] <= 40
    assert "not in the text" in tags["300433.SZ"]["reason"]
    assert "not an A-share" in tags["usstock:AAPL"]["reason"]


def test_generic_word_list_is_configurable(matcher):
    text = "新产业公司发布年报。"
    default = by_code(stock_tags("", text, [], matcher))
    assert default["300832.SZ"]["confidence"] >= 60  # followed by 公司: the company
    text = "新产业发布年报。"
    assert by_code(stock_tags("", text, [], matcher))["300832.SZ"]["confidence"] == CONF_GENERIC
    custom = by_code(stock_tags("", text, [], matcher, generic_words=GENERIC_WORDS - {"新产业"}))
    assert custom["300832.SZ"]["confidence"] >= 60


@pytest.mark.parametrize("text", ["", "今天天气很好。"])
def test_stock_tags_empty(matcher, text):
    assert stock_tags("", text, None, matcher) == []


# ---------------------------------------------------------------- sector taxonomy


def test_sectors_toml(sectors):
    required = {
        "metaverse",
        "smart_vehicles",
        "robots",
        "smart_home",
        "wearables",
        "chips",
        "green_low_carbon",
        "hydrogen",
        "nev_batteries",
        "carbon_trading",
    }
    assert required <= set(sectors)
    metaverse = {m["ticker"] for m in sectors["metaverse"]["members"]}
    assert {"002045.SZ", "300088.SZ", "002047.SZ", "300433.SZ"} <= metaverse
    assert "300024.SZ" in {m["ticker"] for m in sectors["robots"]["members"]}
    assert set(sectors["green_low_carbon"]["children"]) == {
        "hydrogen",
        "nev_batteries",
        "carbon_trading",
    }
    for sector_id, sector in sectors.items():
        assert sector["name"] and sector["name_zh"] and sector["keywords"], sector_id
        assert sector["benchmark"] == "000300.SS"
        assert len(sector["members"]) >= 4, sector_id
        for m in sector["members"]:
            assert canonical_ticker(m["ticker"]) == m["ticker"]


def test_sector_members_are_real_listed_stocks(sectors):
    """Every member's code and short name match the Eastmoney list, and it traded in 2022-07."""
    listing = company_table(pd.read_csv(LISTING, dtype={"code": str})).set_index("ticker")
    traded = set(pd.read_csv(CROSS, dtype={"code": str}, usecols=["code"])["code"])
    for sector_id, sector in sectors.items():
        for m in sector["members"]:
            assert listing.loc[m["ticker"], "name"] == m["name"], (sector_id, m)
            assert m["ticker"][:6] in traded, (sector_id, m)


def test_sector_taxonomy_errors():
    with pytest.raises(ValueError, match=r"sectors.x.keywords"):
        sector_taxonomy({"x": {"keywords": "元宇宙"}})
    with pytest.raises(ValueError, match=r"sectors.x.members"):
        sector_taxonomy({"x": {"keywords": ["a"], "members": ["AAPL"]}})
    with pytest.raises(ValueError, match=r"sectors.x.parent"):
        sector_taxonomy({"x": {"keywords": ["a"], "parent": "nope"}})
    # tables without keywords are not sectors
    assert sector_taxonomy({"note": {"text": "x"}}) == {}


# ---------------------------------------------------------------- sector tags


def test_sector_tags_of_the_ithome_article(sectors):
    title, text, _ = seed("004")
    tags = {t["sector"]: t for t in sector_tags(title, text, sectors)}
    assert tags["metaverse"]["relevance"] >= 95
    assert tags["green_low_carbon"]["relevance"] >= 95
    evidence = {e["keyword"]: e for e in tags["metaverse"]["evidence"]}
    assert evidence["元宇宙"]["title"] == 1
    assert evidence["元宇宙"]["lead"] >= 2
    assert evidence["元宇宙"]["body"] > 10
    # the parent counts its sub-sectors' keywords
    parent_keywords = {e["keyword"] for e in tags["green_low_carbon"]["evidence"]}
    assert {"氢能", "碳交易"} <= parent_keywords


def test_sector_tags_of_the_smart_vehicle_reprint(sectors):
    title, text, _ = seed("000")
    tags = sector_tags(title, text, sectors)
    assert tags[0]["sector"] == "smart_vehicles"
    assert "metaverse" in {t["sector"] for t in tags}


def test_sector_relevance_formula():
    sectors = {"m": {"keywords": ["元宇宙"]}, "r": {"keywords": ["机器人", "智能机器人"]}}
    (tag,) = sector_tags("元宇宙来了", "", sectors)
    assert tag["relevance"] == round(100 * (1 - math.exp(-TITLE_WEIGHT / RELEVANCE_SCALE)))
    assert tag["evidence"] == [
        {"keyword": "元宇宙", "title": 1, "lead": 0, "body": 0, "first_offset": None}
    ]
    # title beats lead beats body for the same count
    in_title = sector_tags("元宇宙", "x", sectors)[0]["relevance"]
    in_lead = sector_tags("", "元宇宙", sectors)[0]["relevance"]
    in_body = sector_tags("", "a\nb\n元宇宙", sectors)[0]["relevance"]
    assert in_title > in_lead > in_body > 0
    # the longest keyword wins: 智能机器人 is not also 机器人
    (robots,) = sector_tags("", "a\nb\n智能机器人", sectors)
    assert [(e["keyword"], e["body"]) for e in robots["evidence"]] == [("智能机器人", 1)]


def test_sector_tags_ascii_keywords_match_whole_words():
    sectors = {"m": {"keywords": ["VR", "AR"]}}
    assert sector_tags("", "SOLAR and CAR", sectors) == []
    (tag,) = sector_tags("", "VR头显与AR眼镜", sectors)
    assert {e["keyword"] for e in tag["evidence"]} == {"VR", "AR"}


@pytest.mark.parametrize(("title", "text"), [("", ""), ("天气", "晴")])
def test_sector_tags_empty(title, text, sectors):
    assert sector_tags(title, text, sectors) == []


# ---------------------------------------------------------------- story roll-up


def test_rollup_story_tags():
    articles = {
        "a1": [
            {"sector": "metaverse", "name": "元宇宙", "relevance": 90, "evidence": []},
            {"code": "002045.SZ", "name": "国光电器", "confidence": 95, "evidence": {}},
        ],
        "a2": [{"sector": "metaverse", "name": "元宇宙", "relevance": 60, "evidence": []}],
        "a3": [],
    }
    tags = rollup_story_tags(articles)
    assert [(t["kind"], t["code"], t["relevance"]) for t in tags] == [
        ("sector", "metaverse", 90.0),
        ("stock", "002045.SZ", 95.0),
    ]
    evidence = tags[0]["evidence"]
    assert evidence["mean"] == 75.0
    assert evidence["coverage"] == pytest.approx(2 / 3)
    assert evidence["articles"] == {"a1": 90.0, "a2": 60.0}
    assert set(tags[0]) == {"kind", "code", "name", "relevance", "evidence"}


def test_rollup_empty():
    assert rollup_story_tags({}) == []
    assert rollup_story_tags({"a": []}) == []


# ---------------------------------------------------------------- stored rows

TINY_TAXONOMY = {
    "robots": {"name": "Robots", "keywords": ["机器人"], "members": ["300024"]},
    "vr": {
        "name": "VR",
        "name_zh": "虚拟现实",
        "keywords": ["VR"],
        "members": [{"ticker": "002045.SZ", "name": "国光电器", "weight": 2}],
        "benchmark": "399006.SZ",
        "note": "tiny",
    },
}


def test_taxonomy_rows():
    sectors, members = taxonomy_rows(sector_taxonomy(TINY_TAXONOMY), "000001.SS")
    assert [(s["id"], s["name"], s["benchmark"]) for s in sectors] == [
        ("robots", "Robots", "000300.SS"),  # sector_taxonomy's default benchmark
        ("vr", "VR", "399006.SZ"),
    ]
    assert sectors[1]["keywords"] == ["VR"] and sectors[1]["note"] == "tiny"
    assert members == [
        {"sector_id": "robots", "ticker": "300024.SZ", "name": "", "weight": 1.0},
        {"sector_id": "vr", "ticker": "002045.SZ", "name": "国光电器", "weight": 2.0},
    ]
    assert taxonomy_rows({}, "000300.SS") == ([], [])
    bare = {"x": {"name": "X", "keywords": [], "members": [{"ticker": "600000.SS"}]}}
    sectors, members = taxonomy_rows(bare, "000300.SS")
    assert sectors[0]["benchmark"] == "000300.SS" and members[0]["weight"] == 1.0


def test_taxonomy_tickers():
    taxonomy = sector_taxonomy(TINY_TAXONOMY)
    assert taxonomy_tickers(taxonomy, "000001.SS") == [
        "000001.SS",
        "000300.SS",
        "002045.SZ",
        "300024.SZ",
        "399006.SZ",
    ]
    assert taxonomy_tickers({}, "000300.SS") == ["000300.SS"]


def test_article_tag_rows_stocks_then_sectors():
    stocks = [
        {
            "code": "002045.SZ",
            "name": "国光电器",
            "confidence": 95,
            "evidence": [1],
            "reason": "lead",
        }
    ]
    sectors = [{"sector": "vr", "name": "VR", "relevance": 53, "evidence": {"VR": 1}}]
    assert article_tag_rows(stocks, sectors) == [
        {
            "kind": "stock",
            "code": "002045.SZ",
            "name": "国光电器",
            "confidence": 95,
            "evidence": [1],
            "reason": "lead",
        },
        {
            "kind": "sector",
            "code": "vr",
            "name": "VR",
            "confidence": 53,
            "evidence": {"VR": 1},
            "reason": None,
        },
    ]
    assert article_tag_rows([], []) == []


def test_tags_by_story_and_story_tag_rows():
    memberships = [
        {"story_id": "s2", "article_id": "a3"},
        {"story_id": "s1", "article_id": "a2"},
        {"story_id": "s1", "article_id": "a1"},
    ]
    metaverse = {"sector": "metaverse", "name": "元宇宙", "relevance": 90, "evidence": []}
    grouped = tags_by_story(memberships, {"a1": [metaverse]})
    assert list(grouped) == ["s2", "s1"]
    assert grouped["s1"] == {"a2": [], "a1": [metaverse]}
    rows = story_tag_rows(rollup_story_tags(grouped["s1"]))
    assert rows == [
        {
            "kind": "sector",
            "code": "metaverse",
            "name": "元宇宙",
            "relevance": 90.0,
            "evidence": {"max": 90.0, "mean": 90.0, "coverage": 0.5, "articles": {"a1": 90.0}},
        }
    ]
    assert story_tag_rows(rollup_story_tags(grouped["s2"])) == []
    assert tags_by_story([], {}) == {}
