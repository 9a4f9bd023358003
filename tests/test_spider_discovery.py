"""Discovery parsers: roll JSON, RSS/Atom, list pages, gov.cn JSON, on recorded and
constructed responses; malformed input is a DiscoveryError, never a crash."""

from __future__ import annotations

import json

import pytest

from conftest import DATA
from newsmon.crawler.discovery import (
    DiscoveryError,
    parse_feed,
    parse_gov_cn_json,
    parse_list_links,
    parse_sina_roll,
    unix_to_utc,
)
from newsmon.crawler.replay.routes import build_routes


@pytest.fixture(scope="module")
def routes():
    return build_routes()


def body(routes, host, path):
    return routes[(host, path)].body


def test_unix_seconds_to_utc():
    assert unix_to_utc("1657247876") == "2022-07-08T02:37:56Z"
    assert unix_to_utc(1657247876) == "2022-07-08T02:37:56Z"
    assert unix_to_utc("") is None and unix_to_utc("x") is None and unix_to_utc(0) is None


def test_sina_roll_in_the_real_shape():
    data = {
        "result": {
            "status": {"code": 0, "msg": "succ"},
            "total": 2,
            "lid": 2516,
            "data": [
                {
                    "docid": "comos:mizirav2742611",
                    "title": "上海：重点打造10款以上爆款智能网联汽车",
                    "url": "http://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml",
                    "intro": "...",
                    "media_name": "新浪财经",
                    "ctime": "1657247876",
                    "intime": "1657247880",
                    "mtime": "1657247890",
                },
                {"title": "no url"},
            ],
        }
    }
    entries = parse_sina_roll(json.dumps(data, ensure_ascii=False).encode())
    assert [(e.url, e.title, e.published_at, e.source) for e in entries] == [
        (
            "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml",
            "上海：重点打造10款以上爆款智能网联汽车",
            "2022-07-08T02:37:56Z",
            "新浪财经",
        )
    ]


def test_sina_roll_jsonp():
    payload = '{"result":{"status":{"code":0},"data":[{"url":"https://finance.sina.com.cn/a/doc-iabc.shtml","title":"t","ctime":"1"}]}}'
    assert len(parse_sina_roll(f"try{{cb({payload});}}catch(e){{}};")) == 1


@pytest.mark.parametrize(
    "bad,message",
    [
        (b'{"result": {"status": {"code": 0}, "data": [', "not valid JSON"),
        (b"<html>busy</html>", "not valid JSON"),
        (b'{"result": {"status": {"code": 1, "msg": "err"}, "data": []}}', "status code 1"),
        (b'{"nothing": 1}', "no 'result'"),
        (b'{"result": {"status": {"code": 0}, "data": {}}}', "not a list"),
    ],
)
def test_sina_roll_malformed(bad, message):
    with pytest.raises(DiscoveryError, match=message):
        parse_sina_roll(bad)


def test_constructed_roll_lists_every_sina_page(routes):
    entries = parse_sina_roll(body(routes, "feed.mix.sina.com.cn", "/api/roll/get"))
    assert len(entries) == 10
    assert all(e.url.startswith("https://") and e.published_at and e.title for e in entries)


def test_rss_entries_carry_the_article_html(routes):
    entries = parse_feed(body(routes, "www.ithome.com", "/rss/"), "https://www.ithome.com/rss/")
    by_url = {e.url: e for e in entries}
    e = by_url["https://www.ithome.com/0/628/383.htm"]
    assert e.published_at == "2022-07-08T02:06:12Z"
    assert "元宇宙" in e.summary_html and "<p" in e.summary_html


def test_atom_feed(routes):
    entries = parse_feed(body(routes, "www.kepu.gov.cn", "/feed/atom.xml"))
    assert [e.url for e in entries][-1] == "https://www.example.com/news/offsite.html"


def test_malformed_xml_keeps_what_was_read(routes):
    rss = body(routes, "www.ithome.com", "/rss/")
    broken = rss[: len(rss) * 3 // 5] + b"\x00<<<"
    with pytest.raises(DiscoveryError, match="not well formed") as e:
        parse_feed(broken, "https://www.ithome.com/rss/")
    assert isinstance(e.value.entries, list)


def test_not_a_feed():
    with pytest.raises(DiscoveryError):
        parse_feed(b"<html><body>hello</body></html>")


def test_list_links_resolve_against_the_live_url():
    html = """<ul><li><a href="./202609/content_7082364.htm">A</a></li>
    <li><a href="https://www.gov.cn/zhengce/content/202609/content_7082492.htm"> B </a></li>
    <li><a href="javascript:void(0)">x</a><a href="/about.htm">about</a></li></ul>"""
    entries = parse_list_links(html, "https://www.gov.cn/zhengce/", r"content_\d+\.htm$")
    assert [(e.url, e.title) for e in entries] == [
        ("https://www.gov.cn/zhengce/202609/content_7082364.htm", "A"),
        ("https://www.gov.cn/zhengce/content/202609/content_7082492.htm", "B"),
    ]


def test_empty_list_page_is_an_error():
    with pytest.raises(DiscoveryError):
        parse_list_links("  ", "https://www.ithome.com/list/", r".")


def test_recorded_gov_cn_json_feed():
    data = (DATA / "real/gov/govcn_yaowen_liebiao_json_trimmed_2026-10-03.json").read_bytes()
    entries = parse_gov_cn_json(data, "https://www.gov.cn/yaowen/liebiao/YAOWENLIEBIAO.json")
    assert [e.url for e in entries] == [
        "https://www.gov.cn/yaowen/liebiao/202610/content_7082621.htm",
        "https://www.gov.cn/lianbo/202610/content_7082619.htm",
    ]


def test_malformed_gov_cn_json():
    with pytest.raises(DiscoveryError):
        parse_gov_cn_json(
            b'[{"TITLE": "x", "URL": ', "https://www.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json"
        )
