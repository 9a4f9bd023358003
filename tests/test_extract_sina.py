"""parse_sina on the recorded Sina pages, field by field (parsed once per module)."""

from __future__ import annotations

import pytest

from conftest import DATA
from newsmon.crawler.extract.sina import parse_sina

SINA = DATA / "real/sina"
HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def parse(name: str, url: str):
    return parse_sina((SINA / name).read_bytes(), url, HEADERS)


ROLL = parse(
    "sina_finance_roll_2018-12-28_doc-ihqfskcn2160999.html",
    "https://finance.sina.com.cn/roll/2018-12-28/doc-ihqfskcn2160999.shtml",
)
US = parse(
    "sina_finance_usstock_2019-09-09_doc-iicezzrq4681677.html",
    "https://finance.sina.com.cn/stock/usstock/c/2019-09-09/doc-iicezzrq4681677.shtml",
)
TECH = parse(
    "sina_tech_2019-09-11_doc-iicezzrq4972166.html",
    "https://tech.sina.com.cn/t/2019-09-11/doc-iicezzrq4972166.shtml",
)
NEW = parse(
    "sina_news_2024-05-10_doc-inausehc2630922.html",
    "https://news.sina.com.cn/c/2024-05-10/doc-inausehc2630922.shtml",
)
NEW16 = parse(
    "sina_news_2024-05-16_doc-inavmmfi1968342.html",
    "https://news.sina.com.cn/o/2024-05-16/doc-inavmmfi1968342.shtml",
)
FOREX = parse(
    "sina_finance_forex_2016-05-25_doc-ifxsktkp9337164.html",
    "http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml",
)
NEWS19 = parse(
    "sina_news_2019-11-25_doc-iihnzahi3275702.html",
    "https://news.sina.com.cn/c/2019-11-25/doc-iihnzahi3275702.shtml",
)
ALL = [ROLL, US, TECH, NEW, NEW16, FOREX, NEWS19]


def test_title():
    assert ROLL.title == '60万"12306账号"外泄? 中铁总辟谣称消息不实'


def test_title_of_the_older_template():
    assert FOREX.title == "人民币中间价创逾五年新低 做市商称符合预期"


def test_site_and_parser():
    assert (ROLL.site, ROLL.parser) == ("sina", "sina")


def test_all_time_candidates_kept_raw():
    assert ROLL.published_at_candidates == {
        "article:published_time": "2018-12-28T19:56:29+08:00",
        "weibo: article:create_at": "2018-12-28 19:55:10",
        "visible": "2018年12月28日 19:55",
    }


def test_visible_minute_with_seconds_of_the_meta_in_that_minute():
    assert ROLL.published_at == "2018-12-28T11:55:10Z"


def test_visible_time_wins_over_a_later_meta_time():
    assert NEW.published_at == "2024-05-09T16:26:45Z"


def test_older_template_visible_time_without_space():
    assert FOREX.published_at_candidates["visible"] == "2016年05月25日10:10"


def test_tech_template_pub_date():
    assert TECH.published_at == "2019-09-10T17:53:41Z"


def test_source_is_the_media():
    assert ROLL.source == "新京报"


def test_media_kept_in_meta():
    assert US.meta["media"] == "新浪财经-自媒体综合"


def test_editor_without_work_code():
    assert FOREX.editor == "支全明"


def test_editor_of_the_new_template():
    assert NEW16.editor == "刘光博"


def test_author_is_the_reporters_credited_in_the_text_not_the_outlet():
    # the page's 作者 field repeats the outlet; the closing line credits the reporters
    assert NEW16.author == "奚丹霓 张赛"


def test_us_stock_tags_with_anchors():
    assert [(t.code, t.anchor) for t in US.stock_tags] == [
        ("usstock:JPM", "摩根大通"),
        ("usstock:BLK", "贝莱德"),
        ("usstock:PMTG", "PIMCO"),
    ]


def test_empty_keyword_comment_gives_no_stock_tag():
    assert ROLL.stock_tags == []


def test_keywords_as_tags():
    assert ROLL.tags == ["辟谣", "外泄", "账号"]


def test_keywords_that_repeat_the_title_are_not_tags():
    assert US.tags == []


def test_cited_titles():
    assert NEW.cited_titles == ["有轨电车发展规划反思与应用展望"]


def test_body_text_starts_with_the_lead():
    assert ROLL.text.startswith("新京报快讯（记者 裴剑飞）今日（12月28日）有网友爆料")


def test_new_template_body():
    assert NEW.text.startswith("建设4年、运营3年，又废弃3年")


@pytest.mark.parametrize("record", ALL, ids=lambda r: r.url.rsplit("/", 1)[-1])
def test_no_editor_line_in_text(record):
    assert "责任编辑" not in record.text


def test_quote_chart_and_forum_promo_removed():
    assert "热点栏目" not in FOREX.text and "新浪财经股吧" not in FOREX.text


def test_tech_promo_block_removed():
    assert "新浪众测" not in TECH.text


def test_live_quote_numbers_removed():
    assert "摩根大通(115.395" not in US.text


def test_images_absolute():
    assert NEWS19.images[0].startswith("https://n.sinaimg.cn/")


def test_canonical_url():
    assert FOREX.canonical_url == (
        "http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml"
    )


def test_nothing_missing_on_a_complete_page():
    assert ROLL.missing == {}


def test_missing_editor_said():
    assert TECH.missing == {"editor": "no 责任编辑 line"}


# --- bad and partial pages -------------------------------------------------------------------

EMPTY = parse_sina(
    "<html><head><title>空页_新浪网</title></head><body></body></html>",
    "https://news.sina.com.cn/a.shtml",
)


def test_page_without_body_still_gives_a_record():
    assert EMPTY.title == "空页"


def test_page_without_body_says_text_missing():
    assert "text" in EMPTY.missing


def test_page_without_time_says_why():
    assert EMPTY.published_at is None and "published_at" in EMPTY.missing


def test_json_is_not_a_page():
    with pytest.raises(ValueError, match="not an HTML page"):
        parse_sina(b'{"result": {}}', "https://feed.mix.sina.com.cn/api/roll/get")


def test_binary_is_not_a_page():
    with pytest.raises(ValueError, match="not an HTML page"):
        parse_sina(b"\x00\x01\x02<html>", "https://news.sina.com.cn/a.shtml")


OLD = parse_sina(
    (DATA / "real/labeled/cwced_sina_chanye_2005_gb2312.html").read_bytes(),
    "http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml",
    HEADERS,
)


def test_2005_page_title_and_dateline_time():
    assert (OLD.title, OLD.published_at) == (
        "四年前中500万现穷困潦倒 一夜暴富后如何经营",
        "2005-03-21T03:21:00Z",
    )


def test_2005_page_body_by_its_own_template():
    assert OLD.parser == "sina"
    assert OLD.text.startswith("人生如戏。一夜之间")
    assert OLD.text.endswith("山庄的运作就不愁资金了。”")


def test_2005_page_source_from_the_dateline_and_writer_from_its_last_line():
    assert (OLD.source, OLD.author) == ("理财周刊", "尹娟")


# --- clutter inside the article block ------------------------------------------------------

EVAL = DATA / "extract_eval/pages/sina"
CHEN = parse_sina(
    (EVAL / "gne_sina_2019-10-23_doc-iicezuev4202091.html").read_bytes(),
    "https://news.sina.com.cn/c/2019-10-23/doc-iicezuev4202091.shtml",
)


def test_original_title_kept_out_of_the_body():
    assert CHEN.original_title == "快讯！陈同佳刑满出狱，向潘晓颖家人鞠躬致歉"
    assert "原标题" not in CHEN.text and NEWS19.original_title.startswith("视界丨")


def test_video_caption_kept_as_metadata():
    assert CHEN.meta["video_captions"] == ["视频-陈同佳出狱 鞠躬说“对不起”"]
    assert "视频-" not in CHEN.text and "视频-" not in NEWS19.text


def test_earlier_report_and_topic_links_are_not_body():
    assert CHEN.text.endswith("说完这些话后，陈同佳上车离开了现场。")
    assert "此前报道" not in CHEN.text and "点击进入专题" not in CHEN.text


def test_related_news_links_are_not_body():
    assert TECH.text.startswith("新浪科技讯 北京时间9月11日凌晨消息")


def test_photo_credit_kept_as_metadata():
    assert "图/pixabay" not in US.text and US.meta["photo_credits"] == ["图/pixabay"]


def test_self_media_disclaimer_and_wechat_byline_are_not_body():
    assert "免责声明" not in US.text and not US.text.startswith("原创")
    assert US.author == "路闻卓立"


def test_closing_credit_line_is_not_body():
    assert NEW16.text.endswith("人大代表、政协委员和各界群众三十余人旁听了庭审。")


def test_closing_name_is_the_author():
    assert TECH.author == "李楠"


def test_byline_in_parentheses_is_the_author():
    assert ROLL.author == "裴剑飞"


# --- the 2004-2005 table template ------------------------------------------------------------

HOUSE = parse_sina(
    (EVAL / "cwced_sina_house_2005-03-31_031868306.html").read_bytes(),
    "http://bj.house.sina.com.cn/p/2005-03-31/031868306.html",
)


def test_dateline_under_the_title_gives_time_and_source():
    assert (HOUSE.published_at, HOUSE.source) == ("2005-03-30T19:18:00Z", "北京娱乐信报")


def test_old_body_without_dateline_channel_url_and_photo_credit():
    assert HOUSE.text.startswith(
        "拿出10万元来做房产投资，一来以钱生钱，二来为今后养老留条后路\n人物画像"
    )
    assert "http://" not in HOUSE.text and "/摄" not in HOUSE.text


# --- the mobile template (finance.sina.cn / news.sina.cn) --------------------------------

MOBILE = parse_sina(
    (EVAL / "magic_sinacn_2005-08-26_detail-ikknscsi2623250.html").read_bytes(),
    "https://finance.sina.cn/sa/2005-08-26/detail-ikknscsi2623250.d.html",
)


def test_mobile_template_recognised():
    assert MOBILE.parser == "sina" and MOBILE.meta["template"] == "mobile"


def test_mobile_title_and_minute():
    assert MOBILE.title == "创业环保第一季度报告会计差错的提示性公告"
    assert MOBILE.published_at == "2005-08-25T21:39:00Z"


def test_mobile_body_without_headline_or_source_line():
    assert MOBILE.text.startswith("天津创业环保股份有限公司")
    assert MOBILE.text.endswith("天津创业股份有限公司董事会\n2005年8月25日")


def test_mobile_source_is_the_declared_one_and_media_kept():
    assert MOBILE.source == "上海证券报"
    assert MOBILE.meta["media"] == "上海证券报网络版"
