"""parse_archive on the five seed documents, field by field, and on bad input."""

from __future__ import annotations

import pytest

from conftest import DATA, SEEDS
from newsmon.crawler.extract.archive import parse_archive

NOTICE = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
NOTICE_TITLE = (
    "上海市人民政府办公厅关于印发促进绿色低碳产业发展、培育“元宇宙”新赛道、"
    "促进智能终端产业高质量发展等行动方案的通知"
)
R = {p.name[:3]: parse_archive(p.read_bytes(), p.name) for p in SEEDS}


@pytest.mark.parametrize(
    "seed,site",
    [
        ("000", "sina"),
        ("001", "sina"),
        ("002", "government"),
        ("003", "government"),
        ("004", "ithome"),
    ],
)
def test_site(seed, site):
    assert R[seed].site == site


@pytest.mark.parametrize(
    "seed,published",
    [
        ("000", "2022-07-08T02:37:56Z"),
        ("001", "2022-07-08T02:41:25Z"),
        ("002", None),
        ("003", None),
        ("004", "2022-07-08T02:06:12Z"),
    ],
)
def test_published_at(seed, published):
    assert R[seed].published_at == published


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_no_url_in_archives(seed):
    assert R[seed].url is None


def test_post_title_as_given():
    assert R["000"].title == "上海：重点打造10款以上爆款智能网联汽车"


def test_underscored_title_kept_as_given():
    assert R["004"].title == "上海印发文件：培育_元宇宙_新赛道，促进绿色低碳产业、智能终端产业发展"


def test_underscored_title_repaired_in_meta():
    assert (
        R["004"].meta["title_repaired"]
        == "上海印发文件：培育“元宇宙”新赛道，促进绿色低碳产业、智能终端产业发展"
    )


def test_declared_source():
    assert R["000"].source == "上海人民政府网站"


def test_source_is_the_outlet_without_a_declared_one():
    assert (R["001"].source, R["004"].source) == ("新浪财经", "IT之家")


def test_author_as_given():
    assert R["004"].author == "IT 之家"


def test_stock_tags_with_anchors():
    assert [(t.code, t.anchor, t.source) for t in R["001"].stock_tags] == [
        ("sz300024", "机器人", "span"),
        ("sz300832", "新产业", "span"),
    ]


def test_single_stock_tag():
    assert [t.code for t in R["000"].stock_tags] == ["sz300024"]


def test_origin_link_to_the_official_notice():
    assert [(link.url, link.anchor) for link in R["004"].origin_links] == [(NOTICE, "官方原文")]


def test_editor_without_work_code():
    assert R["001"].editor == "吴剑"


def test_editor_line_not_in_text():
    assert "责任编辑" not in R["001"].text


def test_qr_block_not_in_text():
    assert "新浪财经APP" not in R["001"].text


def test_style_not_in_text():
    assert "appendQr" not in R["000"].text


def test_post_text_starts_with_the_first_paragraph():
    assert R["000"].text.startswith(
        "来源：上海人民政府网站\n上海市促进智能终端产业高质量发展行动方案"
    )


def test_cited_titles_of_a_post():
    assert R["004"].cited_titles[0].startswith("上海市人民政府办公厅印发促进绿色低碳产业发展")


def test_kind_of_posts():
    assert R["000"].kind == "article"


def test_plain_text_title_is_the_first_line():
    assert (
        R["002"].title
        == "关于《上海市促进智能终端产业高质量发展行动方案（2022-2025年）（讨论稿）》编制情况的说明"
    )


def test_notice_title_spanning_lines():
    assert R["003"].title == NOTICE_TITLE


@pytest.mark.parametrize("seed", ["002", "003"])
def test_plain_text_kind_document(seed):
    assert R[seed].kind == "document"


def test_notice_doc_number():
    assert R["003"].doc_number == "沪府办发〔2022〕12号"


def test_notice_document_date_is_the_signature_date():
    assert R["003"].document_date == "2022-06-24"


def test_note_has_no_document_date():
    assert R["002"].document_date is None


def test_note_has_no_doc_number():
    assert R["002"].doc_number is None


def test_notice_issuer_from_the_masthead():
    assert R["003"].issuer == "上海市人民政府办公厅"


def test_note_issuer_line():
    assert R["002"].issuer == "上海市经济和信息化委员会"


def test_plain_text_kept_as_given():
    assert R["003"].text == SEEDS[3].read_text(encoding="utf-8").strip("\ufeff")


def test_pdf_guillemet_titles():
    assert R["003"].cited_titles[1] == "上海市培育“元宇宙”新赛道行动方案(２０２２—２０２５年)"


# --- other formats --------------------------------------------------------------------------


def test_real_pdf_read_as_a_document():
    from newsmon.crawler.replay.event import notice_pdf

    record = parse_archive(notice_pdf(SEEDS[3].read_text(encoding="utf-8")), "notice.pdf")
    assert (record.kind, record.doc_number, record.title) == (
        "document",
        "沪府办发〔2022〕12号",
        NOTICE_TITLE,
    )


def test_saved_html_page_uses_its_canonical_url():
    page = DATA / "real/sina/sina_news_2019-11-25_doc-iihnzahi3275702.html"
    record = parse_archive(page.read_bytes(), page.name)
    assert (record.url, record.site) == (
        "https://news.sina.com.cn/c/2019-11-25/doc-iihnzahi3275702.shtml",
        "sina",
    )


def test_saved_html_page_without_url():
    record = parse_archive(
        b"<!DOCTYPE html><html><body><p>" + "正文内容。".encode() * 30 + b"</p></body></html>",
        "a.html",
    )
    assert (record.url, record.site) == (None, "unknown")


def test_gbk_text_file():
    record = parse_archive("关于某事的通知\n上海市人民政府\n正文。".encode("gbk"), "n.txt")
    assert record.title == "关于某事的通知"


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty file"),
        (b"  \n\t ", "empty file"),
        (bytes(range(256)) * 8, "binary"),
        (b"\xff\xfe\xfa" * 50, "unknown text encoding"),
        (b"<html><head><title>t</title></head><body></body></html>", "no body"),
        (b"%PDF-1.4 broken", "PDF could not be read"),
        (b"---\ntitle: [unclosed\n---\n<div><p>x</p></div>\n", "YAML"),
    ],
)
def test_bad_files(data, reason):
    with pytest.raises(ValueError, match=reason):
        parse_archive(data, "bad")


def test_impossible_date_names_the_field():
    data = "---\ntitle: 'x'\nauthor: 新浪财经\ndate: Fri, 31 Feb 2022 02:37:56 GMT\n---\n<div><p>正文</p></div>\n"
    with pytest.raises(ValueError, match="'date'"):
        parse_archive(data.encode(), "bad_date.txt")


def test_post_without_body_text():
    with pytest.raises(ValueError, match="no body"):
        parse_archive(b"---\ntitle: x\n---\n<div><script>1</script></div>\n", "p.txt")


def test_saved_page_that_holds_many_items_is_refused():
    index = DATA / "extract_eval/pages/listing/gne_163_news_index.html"
    with pytest.raises(ValueError, match="not one article"):
        parse_archive(index.read_bytes(), "163_index.html")
