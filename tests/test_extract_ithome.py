"""parse_ithome on the recorded IT之家 page, field by field."""

from __future__ import annotations

import pytest

from conftest import DATA
from newsmon.crawler.extract.ithome import parse_ithome

URL = "https://www.ithome.com/0/866/661.htm"
PAGE = (DATA / "real/ithome/ithome_article_2025-07-08_0-866-661.html").read_bytes()
RECORD = parse_ithome(PAGE, URL)


def test_title():
    assert RECORD.title == "蔚来回应与江淮合资公司注销：正常调整，对生产无影响"


def test_published_at_from_pubtime_in_shanghai_time():
    assert RECORD.published_at == "2025-07-08T10:04:18Z"


def test_raw_time_kept():
    assert RECORD.published_at_candidates == {"pubtime_baidu": "2025/7/8 18:04:18"}


def test_source():
    assert RECORD.source == "IT之家"


def test_author():
    assert RECORD.author == "远洋"


def test_editor():
    assert RECORD.editor == "远洋"


def test_body_starts_with_the_lead():
    assert RECORD.text.startswith("IT之家 7 月 8 日消息，针对蔚来与江淮合资公司注销一事")


def test_contributor_thanks_removed():
    assert "线索投递" not in RECORD.text


def test_advertising_notice_removed():
    assert "广告声明" not in RECORD.text


def test_blockquote_kept_as_paragraphs():
    assert (
        "2016 年，蔚来与江淮汽车达成战略合作，主要合作生产蔚来系列整车。"
        in RECORD.text.split("\n")[2]
    )


def test_lazy_image_real_url():
    assert RECORD.images == [
        "https://img.ithome.com/newsuploadfiles/2025/7/14f2a90e-7aca-4cd5-9025-f20108f7f59d.jpg"
        "?x-bce-process=image/format,f_auto"
    ]


def test_tags():
    assert RECORD.tags == ["蔚来", "江淮汽车"]


def test_canonical():
    assert RECORD.canonical_url == URL


def test_no_origin_links_in_this_story():
    assert RECORD.origin_links == []


def test_nothing_missing():
    assert RECORD.missing == {}


def test_page_without_metadata_spans():
    bare = parse_ithome(
        "<html><body><h1>标题</h1><div id='paragraph'><p>正文</p></div></body></html>", URL
    )
    assert set(bare.missing) == {"published_at", "author", "editor", "source"}


def test_non_html_raises():
    with pytest.raises(ValueError):
        parse_ithome(b"%PDF-1.7 binary", URL)
