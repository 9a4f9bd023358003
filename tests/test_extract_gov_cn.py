"""Government pages (www.gov.cn and provincial sites) and gov.cn's list formats."""

from __future__ import annotations

import pytest

from conftest import DATA
from newsmon.crawler.extract import common
from newsmon.crawler.extract.gov_cn import (
    parse_gov_cn,
    parse_gov_cn_json_feed,
    parse_gov_cn_list,
    parse_government,
    policy_table,
)

GOV = DATA / "real/gov"
LAB = DATA / "real/labeled"

GONGBAO = parse_gov_cn(
    (GOV / "govcn_gongbao_2007-23_npc_decision_pagegen2023.html").read_bytes(),
    "https://www.gov.cn/gongbao/content/2007/content_711039.htm",
)
SHANXI = parse_gov_cn(
    (GOV / "shanxi_gov_cn_article_2019.html").read_bytes(),
    "https://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml",
)
KEPU = parse_government(
    (GOV / "kepu_gov_cn_2023-12-01_content_1755244.html").read_bytes(),
    "http://www.kepu.gov.cn/politics/2023-12/01/content_1755244.html",
)
JL = parse_government(
    (LAB / "cwced_jl_gov_cn_2022-01-27_notice.html").read_bytes(),
    "http://xxgk.jl.gov.cn/szf/gkml/202201/t20220128_8389416.html",
)
NMG = parse_government(
    (LAB / "cwced_nmg_gov_cn_2022-02-11_t20220211_2004628.html").read_bytes(),
    "https://www.nmg.gov.cn/zwyw/jrgz/202202/t20220211_2004628.html",
)
BYNR = parse_government(
    (LAB / "cwced_bynr_gov_cn_2022-02-11.html").read_bytes(),
    "https://www.bynr.gov.cn/xwzx/zwdt/202202/t20220211_484856.html",
)


def test_gov_cn_site():
    assert GONGBAO.site == "gov_cn"


def test_gov_cn_title_from_title_tag_without_site_name():
    assert (
        GONGBAO.title.startswith("全国人民代表大会常务委员会关于批准财政部发行特别国债")
        and "中国政府网" not in GONGBAO.title
    )


def test_gov_cn_firstpublishedtime_in_shanghai_time():
    assert GONGBAO.published_at == "2007-08-20T15:59:59Z"


def test_gov_cn_raw_time_kept():
    assert GONGBAO.published_at_candidates == {"firstpublishedtime": "2007-08-20-23:59:59"}


def test_gov_cn_last_modified():
    assert GONGBAO.meta["last_modified"] == "2007-08-20T15:59:59Z"


def test_gov_cn_manuscript_id():
    assert GONGBAO.meta["manuscript_id"] == "711039"


def test_gov_cn_body_past_the_stray_closing_html_tag():
    assert "批准发行15500亿元特别国债购买外汇" in GONGBAO.text


def test_gov_cn_meta_author_is_the_editor():
    assert GONGBAO.editor == "马娟"


def test_gov_cn_cited_title():
    assert GONGBAO.cited_titles == [
        "国务院关于提请审议财政部发行特别国债购买外汇及调整2007年末国债余额限额的议案"
    ]


def test_provincial_page_site():
    assert SHANXI.site == "government"


def test_article_title_meta():
    assert SHANXI.title == "山西品牌丝路行（南美站）正式启动"


def test_pubdate_meta():
    assert SHANXI.published_at == "2019-09-17T22:23:00Z"


def test_content_source():
    assert SHANXI.source == "山西日报"


def test_trs_editor_body():
    assert SHANXI.text.startswith("图为山西品牌丝路行（南美站）启动仪式。")


def test_relative_image_made_absolute():
    assert SHANXI.images == ["https://www.shanxi.gov.cn/yw/sxyw/201909/W020190918234243033577.jpg"]


def test_visible_time_when_no_meta():
    assert KEPU.published_at == "2023-12-01T06:43:00Z"


def test_source_shown_near_the_title():
    assert KEPU.source == "新华社"


def test_title_heading_when_no_meta():
    assert KEPU.title == "习近平主持召开深入推进长三角一体化发展座谈会"


def test_policy_table_issuer():
    assert JL.issuer == "吉林省人民政府"


def test_policy_table_doc_number():
    assert JL.doc_number == "吉政明电〔2022〕1号"


def test_policy_table_document_date():
    assert JL.document_date == "2022-01-27"


def test_publication_is_the_pubdate_not_the_document_date():
    assert JL.published_at == "2022-01-27T16:00:00Z"


def test_document_kind():
    assert JL.kind == "document"


def test_topic_in_meta():
    assert JL.meta["topic"] == "环境监测、保护与治理;通告"


def test_pdf_and_word_attachments():
    assert [(a.url, a.anchor) for a in JL.attachments] == [
        ("http://xxgk.jl.gov.cn/PDFfile/202201/8389416.pdf", "pdf下载"),
        ("http://xxgk.jl.gov.cn/PDFfile/202201/8389416.doc", "word下载"),
    ]


def test_body_not_the_metadata_table():
    assert not JL.text.startswith("索") and "特此通告。" in JL.text


def test_article_title_with_markup_stripped():
    assert BYNR.title == "为现代化巴彦淖尔建设凝聚强大智慧和力量——热烈祝贺市政协五届一次会议开幕"


def test_editor_next_to_the_source():
    assert BYNR.editor == "苏亮"


def test_longest_trs_editor_is_the_body_not_the_footer():
    assert "ICP" not in BYNR.text and BYNR.text.startswith("新征程催人奋进")


def test_trs_ueditor_body():
    assert NMG.text.startswith("自治区财政厅传出最新消息")


def test_article_kind_without_document_fields():
    assert NMG.kind == "article"


def test_label_cell_table_as_built_for_government_pages():
    html = (
        "<table><tr><td class='label'>发文机关：</td><td>上海市人民政府办公厅</td></tr>"
        "<tr><td class='label'>发文字号：</td><td>沪府办发〔2022〕12号</td></tr></table>"
    )
    assert policy_table(common.parse_document(f"<html><body>{html}</body></html>")) == {
        "发文机关": "上海市人民政府办公厅",
        "发文字号": "沪府办发〔2022〕12号",
    }


def test_page_without_body_still_gives_a_record():
    record = parse_gov_cn(
        "<html><head><title>t</title></head><body></body></html>", "https://www.gov.cn/a.htm"
    )
    assert record.missing["text"].startswith("no article body")


def test_non_html_raises():
    with pytest.raises(ValueError):
        parse_gov_cn(b"[1, 2]", "https://www.gov.cn/a.json")


# --- list formats -------------------------------------------------------------------------------

LIST = parse_gov_cn_list(
    (GOV / "govcn_zhengce_index_list_fragment_2026-09.html").read_text(encoding="utf-8"),
    "https://www.gov.cn/zhengce/",
)
FEED = parse_gov_cn_json_feed(
    (GOV / "govcn_yaowen_liebiao_json_trimmed_2026-10-03.json").read_bytes(),
    "https://www.gov.cn/yaowen/liebiao/YAOWENLIEBIAO.json",
)


def test_list_items_count():
    assert len(LIST) == 8


def test_list_first_item():
    assert LIST[0] == {
        "url": "https://www.gov.cn/zhengce/content/202609/content_7082492.htm",
        "title": "国务院办公厅关于发展体育赛事激发消费活力的意见",
        "date": "2026-09-30",
    }


def test_list_relative_link_resolved():
    assert LIST[2]["url"] == "https://www.gov.cn/zhengce/202609/content_7082364.htm"


def test_list_skips_the_side_links_without_li():
    assert all("/content_" in row["url"] for row in LIST)


def test_json_feed_items():
    assert [row["url"] for row in FEED] == [
        "https://www.gov.cn/yaowen/liebiao/202610/content_7082621.htm",
        "https://www.gov.cn/lianbo/202610/content_7082619.htm",
    ]


def test_json_feed_date():
    assert FEED[1]["date"] == "2026-10-03"


def test_json_feed_title():
    assert FEED[1]["title"] == "国庆假期第二天全国道路交通总体平稳有序"


def test_malformed_json_feed():
    with pytest.raises(ValueError, match="malformed JSON"):
        parse_gov_cn_json_feed(b'[{"TITLE": "x", "URL": ', "https://www.gov.cn/x.json")


def test_json_feed_of_another_shape():
    with pytest.raises(ValueError, match="expected an array"):
        parse_gov_cn_json_feed(b'"just a string"', "https://www.gov.cn/x.json")


# --- the policy library's metadata table, as gov.cn lays it out ---------------------------

POLICY_PAGE = """<html><head><title>国务院关于印发某方案的通知_国务院文件_中国政府网</title></head><body>
<div class="wrap"><table class="bd1"><tbody>
<tr><td><b>索 引 号：</b></td><td>000014349/2018-00222</td>
    <td><b>主题分类：</b></td><td>卫生、体育\\医药管理</td></tr>
<tr><td><b>发文机关：</b></td><td>国务院</td><td><b>成文日期：</b></td><td>2018年12月19日</td></tr>
<tr><td><b>标&nbsp;&nbsp;&nbsp;&nbsp;题：</b></td><td colspan="3">国务院关于印发某方案的通知</td></tr>
<tr><td><b>发文字号：</b></td><td>国发〔2018〕43号</td><td><b>发布日期：</b></td><td>2018年12月29日</td></tr>
<tr><td><b>来&nbsp;&nbsp;源：</b></td><td colspan="3">国务院办公厅</td></tr>
</tbody></table>
<div id="UCAP-CONTENT" class="pages_content"><p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p>
<p>现将方案印发给你们，请认真贯彻执行。</p></div></div></body></html>"""
POLICY = parse_gov_cn(
    POLICY_PAGE, "https://www.gov.cn/zhengce/content/2018-12/29/content_5353307.htm"
)


def test_policy_table_label_with_non_breaking_spaces_is_the_source():
    assert POLICY.source == "国务院办公厅"


def test_policy_table_fields_as_read():
    assert (POLICY.issuer, POLICY.document_date, POLICY.doc_number, POLICY.title) == (
        "国务院",
        "2018-12-19",
        "国发〔2018〕43号",
        "国务院关于印发某方案的通知",
    )


def test_policy_table_publication_day_is_a_day_not_a_time():
    assert POLICY.published_at is None and POLICY.meta["published_date"] == "2018-12-29"


def test_source_label_with_spaces_near_the_title():
    page = (
        "<html><body><h1>某市召开会议</h1><div class='pages-date'>2022-07-08 10:30"
        "<span class='font'>来 源：市政府办公室</span></div>"
        "<div id='UCAP-CONTENT'><p>会议指出，要做好工作。会议强调，要落实责任。</p></div></body></html>"
    )
    record = parse_gov_cn(page, "https://www.gov.cn/xinwen/2022-07/08/content_1.htm")
    assert (record.source, record.published_at) == ("市政府办公室", "2022-07-08T02:30:00Z")


def test_document_title_and_number_at_the_top_of_the_text_are_not_body():
    assert JL.text.startswith("为做好吉林省嫩江干流补充治理工程建设")
    assert GONGBAO.text.startswith(
        "（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过）"
    )
