"""Body text against hand-labelled ground truth (cwced and magic-html subsets): the key
sentences are there, the boilerplate is not, and the date / author labels match."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from conftest import DATA
from newsmon.crawler.extract.dispatch import parse_page

REAL = DATA / "real"
CWCED = json.loads((REAL / "labeled/cwced_groundtruth_subset.json").read_text(encoding="utf-8"))
MAGIC = json.loads(
    (REAL / "labeled/magic_html_benchmark_groundtruth_subset.json").read_text(encoding="utf-8")
)
#: live URLs of the labelled pages (from newsmon/data/replay/MANIFEST.tsv)
URLS = {
    "labeled/cwced_sina_chanye_2005_gb2312.html": "http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml",
    "labeled/cwced_jl_gov_cn_2022-01-27_notice.html": "http://xxgk.jl.gov.cn/szf/gkml/202201/t20220128_8389416.html",
    "labeled/cwced_nmg_gov_cn_2022-02-11_t20220211_2004628.html": "https://www.nmg.gov.cn/zwyw/jrgz/202202/t20220211_2004628.html",
    "labeled/cwced_bynr_gov_cn_2022-02-11.html": "https://www.bynr.gov.cn/xwzx/zwdt/202202/t20220211_484856.html",
    "sina/sina_news_2024-05-10_doc-inausehc2630922.html": "https://news.sina.com.cn/c/2024-05-10/doc-inausehc2630922.shtml",
    "sina/sina_news_2024-05-16_doc-inavmmfi1968342.html": "https://news.sina.com.cn/o/2024-05-16/doc-inavmmfi1968342.shtml",
    "sina/sina_finance_forex_2016-05-25_doc-ifxsktkp9337164.html": "http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml",
    "gov/kepu_gov_cn_2023-12-01_content_1755244.html": "http://www.kepu.gov.cn/politics/2023-12/01/content_1755244.html",
}
TRUTH = {
    **{k: v["content"] for k, v in CWCED.items()},
    **{k: v["content"] for k, v in MAGIC.items()},
}
RECORDS = {
    key: parse_page(
        (REAL / key).read_bytes(), URLS[key], {"Content-Type": "text/html; charset=utf-8"}
    )
    for key in TRUTH
}
#: character-level F1 each page must reach against its label (labels keep some furniture,
#: e.g. magic-html keeps the 责任编辑 line and cwced the 吉林 metadata table, which we drop)
MIN_F1 = 0.85
#: text that is page furniture on these pages, never article text
BOILERPLATE = ("责任编辑", "新浪财经APP", "扫一扫在手机打开当前页", "ICP备", "分享到", "打印本页")


def chars(text: str) -> Counter:
    return Counter(re.sub(r"[\s\u3000\xa0]", "", text))


def char_f1(found: str, truth: str) -> float:
    a, b = chars(found), chars(truth)
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def flat(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]", "", text)


def sentences(truth: str) -> list[str]:
    """The first and the last full sentence of a label (key sentences); parts of a label
    that are page metadata (tab-separated table cells) are not sentences."""
    found = [
        flat(s)
        for s in re.split(r"(?<=[。！？])", truth)
        if s.strip().endswith(("。", "！", "？")) and "\t" not in s and len(flat(s)) >= 12
    ]
    return [found[0], found[-1]]


@pytest.mark.parametrize("key", sorted(TRUTH))
def test_first_key_sentence_in_text(key):
    assert sentences(TRUTH[key])[0] in flat(RECORDS[key].text)


@pytest.mark.parametrize("key", sorted(TRUTH))
def test_last_key_sentence_in_text(key):
    assert sentences(TRUTH[key])[1] in flat(RECORDS[key].text)


@pytest.mark.parametrize("key", sorted(TRUTH))
def test_no_boilerplate_in_text(key):
    assert not [b for b in BOILERPLATE if b in RECORDS[key].text]


@pytest.mark.parametrize("key", sorted(TRUTH))
def test_body_close_to_the_label(key):
    assert char_f1(RECORDS[key].text, TRUTH[key]) >= MIN_F1


@pytest.mark.parametrize("key", sorted(CWCED))
def test_date_label(key):
    """cwced labels the date as shown (成文日期 for the notice), in Asia/Shanghai time."""
    from newsmon.crawler.extract.common import SHANGHAI, parse_local_time

    record = RECORDS[key]
    label = CWCED[key]["date"]
    if len(label) == 10:  # a day: the document's own date
        assert (record.document_date or record.published_at[:10]) == label
    else:
        moment, _ = parse_local_time(record.published_at)
        assert moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") == label


@pytest.mark.parametrize("key", sorted(CWCED))
def test_byline_label(key):
    """cwced's "author" is whoever the page credits: the 来源 reporter, the editor, the issuer."""
    record = RECORDS[key]
    label = CWCED[key]["author"]
    credited = {record.author, record.editor, record.issuer, record.source}
    assert label in credited if label != "UNKNOWN" else record.author is None
