"""Extraction benchmark: our parsers (crawler.extract.dispatch.parse_page) against
trafilatura.bare_extraction on the same recorded pages.

    python bench/bench_extract.py [--repeats N]

Speed: pages per second over every recorded article page under newsmon/data/real (the
constructed Shanghai pages are not recordings and are left out), the median of N
repeats, one process pinned to one core. Each side gets the page bytes, as a crawler
would; both decode them themselves.

Accuracy, on the hand-labelled pages (newsmon/data/real/labeled: cwced date/author/body,
magic-html body):

* title: equal to the headline shown on the page (read off each page by hand, below);
* date: the same minute in Asia/Shanghai as the label (cwced's date label, or for the
  magic-html pages the time shown under the headline); a label that is a day alone is
  the document's own date (成文日期), compared with our document_date when we have one;
* author: cwced's author label is whoever the page credits (the 来源 reporter, the
  editor, the issuing body); ours counts when any of author / editor / issuer / source
  equals it, trafilatura's when its author does (its only byline field); "UNKNOWN"
  counts when no author is given;
* body: character-level F1 (Chinese has no spaces: one character is one token),
  whitespace ignored, against the labelled body.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from newsmon.crawler.extract.common import SHANGHAI, parse_local_time
from newsmon.crawler.extract.dispatch import parse_page

HERE = Path(__file__).resolve().parent

DATA = HERE.parent / "newsmon" / "data"
REAL = DATA / "real"
#: recorded files that are not article pages (list formats)
NOT_ARTICLES = {"govcn_zhengce_index_list_fragment_2026-09.html"}
#: headlines as the pages show them (read by hand from each page)
TITLES = {
    "labeled/cwced_sina_chanye_2005_gb2312.html": "四年前中500万现穷困潦倒 一夜暴富后如何经营",
    "labeled/cwced_jl_gov_cn_2022-01-27_notice.html": "吉林省人民政府关于禁止在吉林省嫩江干流补充治理工程建设征占地范围内新增建设项目和迁入人口的通告",
    "labeled/cwced_nmg_gov_cn_2022-02-11_t20220211_2004628.html": "内蒙古延续部分到期税收优惠政策助企纾困预计4年为纳税人减负180亿元",
    "labeled/cwced_bynr_gov_cn_2022-02-11.html": "为现代化巴彦淖尔建设凝聚强大智慧和力量——热烈祝贺市政协五届一次会议开幕",
    "sina/sina_news_2024-05-10_doc-inausehc2630922.html": "城市有轨电车之困：一边争相上马，一边接连叫停",
    "sina/sina_news_2024-05-16_doc-inavmmfi1968342.html": "被控受贿超5.26亿 山东省青岛市政协原主席汲斌昌受审",
    "sina/sina_finance_forex_2016-05-25_doc-ifxsktkp9337164.html": "人民币中间价创逾五年新低 做市商称符合预期",
    "gov/kepu_gov_cn_2023-12-01_content_1755244.html": "习近平主持召开深入推进长三角一体化发展座谈会",
}
#: the time shown under the headline of the magic-html pages (no date label there)
SHOWN_TIMES = {
    "sina/sina_news_2024-05-10_doc-inausehc2630922.html": "2024-05-10 00:26",
    "sina/sina_news_2024-05-16_doc-inavmmfi1968342.html": "2024-05-16 17:02",
    "sina/sina_finance_forex_2016-05-25_doc-ifxsktkp9337164.html": "2016-05-25 10:10",
    "gov/kepu_gov_cn_2023-12-01_content_1755244.html": "2023-12-01 14:43",
}


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass


def live_urls() -> dict[str, tuple[str, str]]:
    """file under real/ -> (live URL, Content-Type) from the replay manifest."""
    out = {}
    with open(DATA / "replay" / "MANIFEST.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["file"].startswith("real/"):
                out[row["file"][len("real/") :]] = (row["live_url"], row["content_type"])
    return out


def recorded_pages() -> list[tuple[str, bytes, str | None, dict]]:
    urls = live_urls()
    pages = []
    for path in sorted(REAL.glob("*/*.html")):
        key = str(path.relative_to(REAL))
        if path.name in NOT_ARTICLES or key.startswith("shanghai_gov/"):
            continue
        url, ctype = urls.get(key, (None, "text/html"))
        pages.append((key, path.read_bytes(), url, {"Content-Type": ctype}))
    return pages


def ours(body: bytes, url: str | None, headers: dict) -> dict:
    record = parse_page(body, url, headers)
    return {
        "title": record.title,
        "published_at": record.published_at,
        "document_date": record.document_date,
        "credited": {record.author, record.editor, record.issuer, record.source} - {None},
        "author": record.author,
        "text": record.text,
    }


def theirs(body: bytes, url: str | None, headers: dict) -> dict:
    import trafilatura

    doc = trafilatura.bare_extraction(body, url=url, with_metadata=True)
    data = doc.as_dict() if doc is not None else {}
    return {
        "title": data.get("title") or "",
        "published_at": data.get("date"),
        "document_date": None,
        "credited": {data.get("author")} - {None},
        "author": data.get("author"),
        "text": data.get("text") or "",
    }


def speed(fn, pages, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _key, body, url, headers in pages:
            fn(body, url, headers)
        rates.append(len(pages) / (time.perf_counter() - start))
    return statistics.median(rates)


def chars(text: str) -> Counter:
    return Counter(re.sub(r"[\s\u3000\xa0]", "", text or ""))


def char_f1(found: str, truth: str) -> float:
    a, b = chars(found), chars(truth)
    both = sum((a & b).values())
    if not both:
        return 0.0
    precision, recall = both / sum(a.values()), both / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def local_minute(value: str | None) -> str | None:
    moment, precision = parse_local_time(value)
    if moment is None:
        return None
    local = moment.astimezone(SHANGHAI)
    return local.strftime("%Y-%m-%d") if precision == "day" else local.strftime("%Y-%m-%d %H:%M")


def date_ok(result: dict, label: str) -> bool:
    if len(label) == 10:  # a day: the document's own date when there is one
        return (
            result["document_date"] or (local_minute(result["published_at"]) or "")[:10]
        ) == label
    return local_minute(result["published_at"]) == label


def author_ok(result: dict, label: str) -> bool:
    if label == "UNKNOWN":
        return not result["author"]
    return label in result["credited"]


def labelled() -> list[tuple[str, dict]]:
    cwced = json.loads((REAL / "labeled/cwced_groundtruth_subset.json").read_text(encoding="utf-8"))
    magic = json.loads(
        (REAL / "labeled/magic_html_benchmark_groundtruth_subset.json").read_text(encoding="utf-8")
    )
    out = []
    for key, label in cwced.items():
        out.append(
            (key, {"content": label["content"], "date": label["date"], "author": label["author"]})
        )
    for key, label in magic.items():
        out.append(
            (key, {"content": label["content"], "date": SHOWN_TIMES.get(key), "author": None})
        )
    return out


def accuracy(fn, pages_by_key) -> dict:
    scores = {"title": [], "date": [], "author": [], "f1": []}
    for key, label in labelled():
        _key, body, url, headers = pages_by_key[key]
        result = fn(body, url, headers)
        scores["title"].append(result["title"] == TITLES[key])
        if label["date"]:
            scores["date"].append(date_ok(result, label["date"]))
        if label["author"]:
            scores["author"].append(author_ok(result, label["author"]))
        scores["f1"].append(char_f1(result["text"], label["content"]))
    return {
        "title": (sum(scores["title"]), len(scores["title"])),
        "date": (sum(scores["date"]), len(scores["date"])),
        "author": (sum(scores["author"]), len(scores["author"])),
        "f1": statistics.mean(scores["f1"]),
        "f1_min": min(scores["f1"]),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed passes (median reported)")
    args = parser.parse_args(argv)
    pin_one_core()
    pages = recorded_pages()
    by_key = {p[0]: p for p in pages}
    # warm up both (imports, lxml / trafilatura caches) before timing
    ours(*pages[0][1:])
    theirs(*pages[0][1:])
    ours_rate = speed(ours, pages, args.repeats)
    theirs_rate = speed(theirs, pages, args.repeats)
    print(f"pages: {len(pages)} recorded article pages, {args.repeats} repeats, one core")
    print(
        f"speed (pages/s, median): ours {ours_rate:.1f}   trafilatura {theirs_rate:.1f}   "
        f"ratio ours/trafilatura {ours_rate / theirs_rate:.2f}"
    )
    a, b = accuracy(ours, by_key), accuracy(theirs, by_key)
    print(f"accuracy on {len(labelled())} labelled pages        ours        trafilatura")
    for name in ("title", "date", "author"):
        print(
            f"  {name:<8} correct              {a[name][0]}/{a[name][1]:<10} {b[name][0]}/{b[name][1]}"
        )
    print(
        f"  body char-F1 mean          {a['f1']:.3f}       {b['f1']:.3f}   (ratio {a['f1'] / b['f1']:.2f})"
    )
    print(f"  body char-F1 worst page    {a['f1_min']:.3f}       {b['f1_min']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
