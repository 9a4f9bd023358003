"""The generic path on outlets without a parser of their own (recorded pages of 新华网,
人民网, 证券时报网, 和讯 and others), field by field against what the pages show."""

from __future__ import annotations

import json

import pytest

from conftest import DATA
from newsmon.crawler.extract.dispatch import parse_page
from newsmon.crawler.extract.evaluation import char_f1

LABELS = {
    label["id"]: label
    for label in json.loads((DATA / "extract_eval/labels.json").read_text(encoding="utf-8"))
}
MEDIA = DATA / "real/other_media"


def parse(name: str, url: str | None):
    return parse_page((MEDIA / name).read_bytes(), url, {})


XINHUA = parse(
    "gne_xinhuanet_world_2019-12-10.html",
    "http://www.xinhuanet.com/world/2019-12/10/c_1125327450.htm",
)
PEOPLE = parse(
    "gne_people_culture_2018-04-23.html",
    "http://culture.people.com.cn/n1/2018/0423/c1013-29942426.html",
)
STCN = parse("gne_stcn_kuaixun_2019-09-26.html", "http://kuaixun.stcn.com/2019/0926/15409036.shtml")
HEXUN = parse(
    "gne_hexun_stock_2019-09-26.html", "https://stock.hexun.com/2019-09-26/198678130.html"
)
PAGES = {
    "xinhuanet_2019_strike": XINHUA,
    "people_2019_zheng_banqiao": PEOPLE,
    "stcn_2019_noon_notices": STCN,
    "hexun_2019_jingjinji": HEXUN,
}


@pytest.mark.parametrize("key", sorted(PAGES))
def test_title_is_the_headline_without_the_site_name(key):
    assert PAGES[key].title == LABELS[key]["title"]


@pytest.mark.parametrize(
    "record, iso",
    [
        (XINHUA, "2019-12-09T23:57:40Z"),
        (PEOPLE, "2019-06-15T00:18:00Z"),
        (STCN, "2019-09-26T04:11:00Z"),
        (HEXUN, "2019-09-26T02:56:28Z"),
    ],
    ids=["xinhuanet", "people", "stcn", "hexun"],
)
def test_time_shown_under_the_headline(record, iso):
    assert record.published_at == iso


@pytest.mark.parametrize(
    "record, source",
    [(XINHUA, "新华网"), (PEOPLE, "人民网-文化频道"), (STCN, "证券时报网"), (HEXUN, "证券时报网")],
    ids=["xinhuanet", "people", "stcn", "hexun"],
)
def test_source_named_beside_the_time(record, source):
    assert record.source == source


def test_author_label_beside_the_source():
    assert STCN.author == "李在山"


def test_reporter_in_the_dateline_is_the_author():
    assert XINHUA.author == "唐霁"


def test_editor_line_read_and_left_out_of_the_body():
    assert (XINHUA.editor, "责任编辑" in XINHUA.text) == ("尹世杰", False)
    assert PEOPLE.editor == "汤诗瑶、丁涛"


@pytest.mark.parametrize("key", sorted(PAGES))
def test_body_as_a_reader_reads_it(key):
    assert char_f1(PAGES[key].text, LABELS[key]["body"]) >= 0.99


def test_promotion_and_page_list_left_out():
    assert "点击进入" not in PEOPLE.text and "【1】" not in PEOPLE.text


def test_generic_path_reads_the_page_itself():
    assert XINHUA.parser == "generic" and "trafilatura" not in XINHUA.meta.get("body_from", "")


def test_an_empty_page_still_gives_a_record_saying_why():
    record = parse_page("<html><head><title>空页</title></head><body></body></html>", None)
    assert (record.title, record.text) == ("空页", "") and "text" in record.missing
