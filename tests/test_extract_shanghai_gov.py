"""www.shanghai.gov.cn pages and the policy platform's JSON, on the CONSTRUCTED responses in
newsmon/data/real/shanghai_gov (see its MANIFEST.tsv: documented shapes, not recordings)."""

from __future__ import annotations

import pytest

from conftest import DATA
from newsmon.crawler.extract.shanghai_gov import parse_shanghai_gov, parse_shanghai_gov_policy_json

SH = DATA / "real/shanghai_gov"
NOTICE_URL = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
TITLE = (
    "上海市人民政府办公厅关于印发促进绿色低碳产业发展、培育“元宇宙”新赛道、"
    "促进智能终端产业高质量发展等行动方案的通知"
)
NOTICE = parse_shanghai_gov(
    (SH / "nw12344_20220708_ab632a9b29b04ed2adce2dbcb789412c_constructed.html").read_bytes(),
    NOTICE_URL,
)
OLD = parse_shanghai_gov(
    (SH / "nw2319_20190510_0001-12344_59001_constructed.html").read_bytes(),
    "https://www.shanghai.gov.cn/nw2319/20190510/0001-12344_59001.html",
)
(DETAIL,) = parse_shanghai_gov_policy_json(
    (SH / "gwk_policy_detail_constructed.json").read_bytes(),
    "https://www.shanghai.gov.cn/gwk/policy/detail",
)
LISTED = parse_shanghai_gov_policy_json(
    (SH / "gwk_policy_page_constructed.json").read_bytes(),
    "https://www.shanghai.gov.cn/gwk/policy/page",
)


def test_site():
    assert NOTICE.site == "shanghai_gov"


def test_title():
    assert NOTICE.title == TITLE


def test_published_at_from_pubdate():
    assert NOTICE.published_at == "2022-07-08T07:30:00Z"


def test_doc_number():
    assert NOTICE.doc_number == "沪府办发〔2022〕12号"


def test_document_date_from_the_label_line():
    assert NOTICE.document_date == "2022-06-24"


def test_source():
    assert NOTICE.source == "上海市人民政府办公厅"


def test_body_text():
    assert NOTICE.text.split("\n")[1] == "各区人民政府，市政府各委、办、局："


def test_share_and_qr_furniture_not_in_text():
    assert "扫一扫" not in NOTICE.text and "分享到" not in NOTICE.text


def test_pdf_attachment():
    assert [a.url for a in NOTICE.attachments] == [
        "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"
    ]


def test_lazy_image():
    assert NOTICE.images == ["https://www.shanghai.gov.cn/cmsres/20220708/chart1.png"]


def test_three_cited_plans():
    assert len(NOTICE.cited_titles) == 3


def test_kind_document():
    assert NOTICE.kind == "document"


def test_url_day_when_the_page_gives_no_date():
    assert OLD.meta["published_date"] == "2019-05-10"


def test_a_day_alone_is_not_made_into_a_time():
    assert OLD.published_at is None
    assert "day only" in OLD.missing["published_at"]


def test_url_day_precision_noted():
    assert OLD.meta["published_at_precision"] == "day"


def test_older_template_body():
    assert OLD.text.startswith("各区人民政府")


def test_policy_detail_url_is_the_platform_page():
    assert DETAIL.url == (
        "https://www.shanghai.gov.cn/zhengce/detail?businessId=5f7c2a1e9d3b4c6a8e0f1a2b3c4d5e6f&siteId=0001"
    )


def test_policy_doc_number_from_type_year_number():
    assert DETAIL.doc_number == "沪府办发〔2022〕12号"


def test_policy_publish_date():
    assert DETAIL.published_at == "2022-07-08T07:30:00Z"


def test_policy_issuer():
    assert DETAIL.issuer == "上海市人民政府办公厅"


def test_policy_html_text():
    assert "印发给你们，请认真按照执行。" in DETAIL.text


def test_policy_document_date_from_the_signature_line():
    assert DETAIL.document_date == "2022-06-24"


def test_policy_pdf_first_then_attachments():
    assert [a.url.rsplit("/", 1)[-1] for a in DETAIL.attachments] == [
        "沪府办发〔2022〕12号.pdf",
        "附件1.docx",
    ]


def test_policy_title():
    assert DETAIL.title == TITLE


def test_list_answer_gives_one_record_per_item():
    assert len(LISTED) == 2


def test_list_record_without_text_says_so():
    assert "text" in LISTED[0].missing


def test_list_record_doc_num():
    assert LISTED[0].doc_number == "沪府办发〔2022〕12号"


def test_short_numeric_business_id():
    assert LISTED[1].url.endswith("businessId=00843751&siteId=0084")


def test_malformed_policy_json():
    with pytest.raises(ValueError, match="malformed JSON"):
        parse_shanghai_gov_policy_json(
            b'{"code": 0, "data": ', "https://www.shanghai.gov.cn/gwk/policy/page"
        )


def test_platform_error_code():
    with pytest.raises(ValueError, match="code 500"):
        parse_shanghai_gov_policy_json(
            b'{"code": 500, "msg": "busy"}', "https://www.shanghai.gov.cn/gwk/policy/page"
        )


def test_empty_list_answer():
    assert parse_shanghai_gov_policy_json(b'{"code": 0, "data": {"records": []}}', "u") == []
