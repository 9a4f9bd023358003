"""The shared helpers of crawler.extract.common, one behaviour per test."""

from __future__ import annotations

import pytest

from newsmon.crawler.extract import common
from newsmon.crawler.extract.record import StockTag

SINA_BODY = """<div>
<p>　　来源：上海人民政府网站</p>
<p>培育百亿级智能<span id="stock_sz300024"><a href="https://finance.sina.com.cn/realstock/company/sz300024/nc.shtml">机器人</a></span><span id="quote_sz300024"></span>产业。</p>
<p>为保障新赛道、<span id="stock_sz300832"><a href="#">新产业</a></span>高质量发展。</p><!-- news_keyword_pub,stock,sz300024&sz300832&sh600000 -->
<style>.appendQr_wrap{border:1px}</style>
<div class="clearfix appendQr_wrap"><div class="appendQr_normal_txt">海量资讯、精准解读，尽在新浪财经APP</div></div>
<script>var x = "脚本";</script>
<p class="article-editor">责任编辑：吴剑 SF031</p>
</div>"""


def test_stock_span_code_and_anchor():
    tags = common.stock_tags(SINA_BODY)
    assert tags[0] == StockTag(code="sz300024", anchor="机器人", source="span")


def test_stock_comment_codes_merge_with_spans():
    codes = [(t.code, t.source) for t in common.stock_tags(SINA_BODY)]
    assert codes == [("sz300024", "span"), ("sz300832", "span"), ("sh600000", "comment")]


def test_us_stock_span_and_comment():
    html = '<div><span id="usstock_JPM"><a>摩根大通</a></span><!-- news_keyword_pub,usstock,JPM&BLK --></div>'
    assert [(t.code, t.anchor) for t in common.stock_tags(html)] == [
        ("usstock:JPM", "摩根大通"),
        ("usstock:BLK", ""),
    ]


def test_empty_keyword_comment_gives_nothing():
    assert common.stock_tags("<div><p>x</p><!-- news_keyword_pub,stock, --></div>") == []


@pytest.mark.parametrize(
    "text,expected",
    [
        ("　　来源：上海人民政府网站\n正文", "上海人民政府网站"),
        ("来源:新华社\n正文", "新华社"),
        ("文章来源：　人民日报　\n正文", "人民日报"),
        ("正文一\n正文二\n　　来源: 尹娟 ", "尹娟"),
        ("来源：巴彦淖尔日报  编辑：苏亮", "巴彦淖尔日报"),
    ],
)
def test_declared_source(text, expected):
    assert common.declared_source(text) == expected


def test_source_in_the_middle_is_a_figure_credit():
    lines = [f"第{i}段" for i in range(10)]
    lines.insert(5, "来源：Wind")
    assert common.declared_source("\n".join(lines)) is None


def test_origin_link_by_anchor_text():
    html = '<p><a href="https://www.shanghai.gov.cn/nw12344/20220708/ab.html">官方原文</a></p>'
    (link,) = common.origin_links(html, None, page_is_government=False)
    assert (link.url, link.anchor) == (
        "https://www.shanghai.gov.cn/nw12344/20220708/ab.html",
        "官方原文",
    )


def test_origin_link_by_government_domain_from_a_media_page():
    html = '<p><a href="/x">站内</a><a href="http://www.gov.cn/zhengce/a.htm">文件</a></p>'
    links = common.origin_links(html, "https://finance.sina.com.cn/roll/a.shtml")
    assert [link.url for link in links] == ["http://www.gov.cn/zhengce/a.htm"]


def test_government_page_links_are_not_origins_by_domain():
    html = '<p><a href="http://www.gov.cn/zhengce/a.htm">文件</a></p>'
    assert common.origin_links(html, "https://www.shanghai.gov.cn/a.html") == []


def test_icp_filing_link_is_never_an_origin():
    html = '<p><a href="https://beian.miit.gov.cn/">沪ICP备</a></p>'
    assert common.origin_links(html, "https://www.ithome.com/0/1/1.htm") == []


def test_relative_origin_link_made_absolute():
    html = '<p><a href="../a.html">查看原文</a></p>'
    (link,) = common.origin_links(html, "https://www.example.com/news/x/b.html")
    assert link.url == "https://www.example.com/news/a.html"


def test_cited_titles_in_order_without_duplicates():
    text = "现将《甲方案》《乙方案》印发，另见《甲方案》。"
    assert common.cited_titles(text) == ["甲方案", "乙方案"]


def test_cited_titles_from_pdf_guillemets_across_lines():
    text = "现将«上海市瞄准新赛道促进绿色低碳产业发\n\n展行动方案»印发"
    assert common.cited_titles(text) == ["上海市瞄准新赛道促进绿色低碳产业发展行动方案"]


def test_nested_cited_titles():
    text = "《关于印发《上海市行动方案》的通知》"
    assert common.cited_titles(text) == ["关于印发《上海市行动方案》的通知", "上海市行动方案"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("沪府办发〔2022〕12号", ["沪府办发〔2022〕12号"]),
        ("国发〔2022〕3号", ["国发〔2022〕3号"]),
        ("沪府办发 〔２０２２〕１２号", ["沪府办发〔2022〕12号"]),
        ("国办发[2021]5号", ["国办发〔2021〕5号"]),
        ("京政发（2020）17号", ["京政发〔2020〕17号"]),
        ("经市政府同意，现将沪府办发〔2022〕12号印发", ["沪府办发〔2022〕12号"]),
        ("没有文号的句子。", []),
    ],
)
def test_doc_numbers(text, expected):
    assert common.doc_numbers(text) == expected


def test_html_to_text_one_line_per_paragraph():
    assert (
        common.html_to_text("<div><p>一</p><div>二<br>三</div><ul><li>四</li></ul></div>")
        == "一\n二\n三\n四"
    )


def test_html_to_text_drops_scripts_styles_qr_and_editor():
    text = common.html_to_text(SINA_BODY)
    assert "脚本" not in text and "appendQr" not in text and "新浪财经APP" not in text
    assert "责任编辑" not in text


def test_html_to_text_strips_ideographic_indent():
    assert common.html_to_text(SINA_BODY).split("\n")[0] == "来源：上海人民政府网站"


def test_html_to_text_keeps_inline_link_text():
    assert "智能机器人产业。" in common.html_to_text(SINA_BODY)


def test_html_to_text_does_not_change_its_input():
    element = common.as_element(SINA_BODY)
    common.html_to_text(element)
    assert element.cssselect("div.appendQr_wrap")


def test_editor_name_without_work_code():
    assert common.editor_name(SINA_BODY) == "吴剑"


def test_lazy_image_url_preferred_over_placeholder():
    html = '<p><img src="//img.ithome.com/images/v2/t.png" data-original="https://img.ithome.com/a.jpg"></p>'
    assert common.image_urls(html, "https://www.ithome.com/0/1/1.htm") == [
        "https://img.ithome.com/a.jpg"
    ]


def test_protocol_relative_image_url():
    assert common.image_urls('<img src="//n.sinaimg.cn/a.png">', None) == [
        "https://n.sinaimg.cn/a.png"
    ]


def test_attachment_links():
    html = '<a href="/f/a.PDF">pdf下载</a><a href="b.doc">word</a><a href="c.html">page</a>'
    links = common.attachment_links(html, "https://www.gov.cn/x/")
    assert [link.url for link in links] == [
        "https://www.gov.cn/f/a.PDF",
        "https://www.gov.cn/x/b.doc",
    ]


@pytest.mark.parametrize(
    "raw,iso,precision",
    [
        ("2018年12月28日 19:55", "2018-12-28T11:55:00Z", "minute"),
        ("2016年05月25日10:10", "2016-05-25T02:10:00Z", "minute"),
        ("2025/7/8 18:04:18", "2025-07-08T10:04:18Z", "second"),
        ("2007-08-20-23:59:59", "2007-08-20T15:59:59Z", "second"),
        ("2018-12-28T19:56:29+08:00", "2018-12-28T11:56:29Z", "second"),
        ("2022-07-08", "2022-07-07T16:00:00Z", "day"),
        ("２０２２年６月２４日", "2022-06-23T16:00:00Z", "day"),
    ],
)
def test_parse_local_time(raw, iso, precision):
    moment, found = common.parse_local_time(raw)
    assert (common.iso_utc(moment), found) == (iso, precision)


def test_impossible_date_is_not_a_time():
    assert common.parse_local_time("2022年2月31日") == (None, "")


def test_signature_date_is_the_first_bare_date_line():
    text = "通知\n沪府办发〔2022〕12号\n正文\n2022年6月24日\n（此件公开发布）\n办公厅 2022年6月27日印发"
    assert common.signature_date(text) == "2022-06-24"


def test_title_tag_without_site_name():
    tree = common.parse_document(
        "<html><head><title>四年前中500万现穷困潦倒__商贸_新浪网</title></head></html>"
    )
    assert common.title_from_title_tag(tree) == "四年前中500万现穷困潦倒"


def test_parse_document_rejects_pdf():
    with pytest.raises(ValueError, match="not an HTML page"):
        common.parse_document("%PDF-1.4 ...")


def test_parse_document_reads_past_a_stray_closing_html_tag():
    tree = common.parse_document(
        "<html><body><p>head</p></html><div id='x'>正文</div></body></html>"
    )
    assert tree.cssselect("#x")
