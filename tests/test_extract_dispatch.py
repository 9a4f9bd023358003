"""site_for_url and parse_page: the parser chosen by URL, generic fallback, generic sites."""

from __future__ import annotations

import pytest

from conftest import DATA
from newsmon.crawler.extract.dispatch import parse_page, site_for_url
from newsmon.crawler.extract.generic import parse_generic


@pytest.mark.parametrize(
    "url,site",
    [
        ("https://finance.sina.com.cn/roll/2022-07-08/doc-x.shtml", "sina"),
        ("https://finance.sina.cn/2022-07-08/detail-x.d.html", "sina"),
        ("https://www.ithome.com/0/866/661.htm", "ithome"),
        ("https://www.gov.cn/zhengce/content/202609/content_1.htm", "gov_cn"),
        ("https://www.shanghai.gov.cn/nw12344/20220708/ab.html", "shanghai_gov"),
        ("https://sheitc.sh.gov.cn/cyfz/20220708/x.html", "government"),
        ("http://xxgk.jl.gov.cn/szf/gkml/x.html", "government"),
        ("https://www.example.com/news/a.html", "unknown"),
        ("https://sina.com.cn.example.com/a", "unknown"),
        (None, "unknown"),
    ],
)
def test_site_for_url(url, site):
    assert site_for_url(url) == site


GB_URL = "http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml"
OLD = parse_page(
    (DATA / "real/labeled/cwced_sina_chanye_2005_gb2312.html").read_bytes(),
    GB_URL,
    {"Content-Type": "text/html; charset=utf-8"},
)


def test_2005_sina_page_read_by_the_sina_parser_despite_a_wrong_charset_header():
    assert OLD.parser == "sina" and "彩票" in OLD.text and "\ufffd" not in OLD.text


def test_2005_sina_page_title_time_source_and_writer():
    assert (OLD.title, OLD.published_at, OLD.source, OLD.author) == (
        "四年前中500万现穷困潦倒 一夜暴富后如何经营",
        "2005-03-21T03:21:00Z",
        "理财周刊",
        "尹娟",
    )


# a page at a Sina address in a layout the Sina parser does not know: the generic path
# reads the text, the Sina parser's fields stay
FOREIGN = parse_page(
    (DATA / "real/gov/kepu_gov_cn_2023-12-01_content_1755244.html").read_bytes(),
    "https://news.sina.com.cn/c/2023-12-01/doc-unknown-layout.shtml",
)


def test_fallback_parser_named():
    assert FOREIGN.parser == "sina+generic"


def test_fallback_keeps_the_site_parsers_title():
    assert FOREIGN.title == "习近平主持召开深入推进长三角一体化发展座谈会"


def test_fallback_text_from_the_generic_path():
    assert FOREIGN.text.startswith("习近平主持召开深入推进长三角一体化发展座谈会强调")


def test_fallback_no_longer_misses_text():
    assert "text" not in FOREIGN.missing


def test_fallback_reason_in_meta():
    assert FOREIGN.meta["fallback"].startswith("sina: no article body")


def test_fallback_time_and_source_from_the_generic_path():
    assert (FOREIGN.published_at, FOREIGN.source) == ("2023-12-01T06:43:00Z", "新华社")


def test_site_parser_used_when_it_finds_a_body():
    record = parse_page(
        (DATA / "real/ithome/ithome_article_2025-07-08_0-866-661.html").read_bytes(),
        "https://www.ithome.com/0/866/661.htm",
    )
    assert record.parser == "ithome"


def test_government_host_uses_the_gov_parser():
    record = parse_page(
        (DATA / "real/gov/shanxi_gov_cn_article_2019.html").read_bytes(),
        "https://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml",
    )
    assert (record.parser, record.site) == ("gov_cn", "government")


UNKNOWN = parse_page(
    (DATA / "real/gov/kepu_gov_cn_2023-12-01_content_1755244.html").read_bytes(),
    "https://www.example.com/politics/content_1755244.html",
)


def test_unknown_site_generic():
    assert (UNKNOWN.site, UNKNOWN.parser) == ("unknown", "generic")


def test_generic_text():
    assert "新华社上海11月30日电" in UNKNOWN.text


def test_generic_reads_the_minute_shown_under_the_title():
    assert (UNKNOWN.published_at, UNKNOWN.meta.get("published_at_precision")) == (
        "2023-12-01T06:43:00Z",
        "minute",
    )


def test_generic_title():
    assert UNKNOWN.title.startswith("习近平主持召开深入推进长三角一体化发展座谈会")


def test_generic_empty_page_says_text_missing():
    assert "text" in parse_generic("<html><body></body></html>", "https://www.example.com/").missing


def test_non_html_raises_a_clear_error():
    with pytest.raises(ValueError, match="not an HTML page"):
        parse_page(b"%PDF-1.7\n...", "https://www.example.com/a.pdf")
