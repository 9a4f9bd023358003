"""Floors of our parsers on the hand-labelled extraction set (newsmon/data/extract_eval).

Only our side is run here; trafilatura's scores come from `newsmon eval extract` (slow).
"""

from __future__ import annotations

import pytest

from conftest import DATA
from newsmon.crawler.extract.evaluation import (
    char_f1,
    evaluate_extraction,
    load_labelled_pages,
    score_page,
    summarize_extraction,
)

PAGES = load_labelled_pages(DATA)
FRAME = evaluate_extraction(PAGES, ["ours"])
SUMMARY = summarize_extraction(FRAME).loc["ours"]
ARTICLES = FRAME[FRAME["kind"] == "article"]

#: floors pinned by the issue: body character F1 mean and worst page, exact titles,
#: minute-exact times on the pages that show one, sources on the pages that name one
MIN_BODY_F1_MEAN = 0.99
MIN_BODY_F1_PAGE = 0.95
MIN_TITLES = 1.0
MIN_TIMES = 0.97
MIN_SOURCES = 0.95


def test_the_set_is_large_and_varied():
    groups = set(FRAME["group"])
    assert len(ARTICLES) >= 40
    assert {"sina_desktop", "sina_old", "sina_mobile", "ithome", "gov_cn", "government"} <= groups
    assert {"other_media", "blog", "listing"} <= groups


def test_every_page_has_its_origin_in_the_manifest():
    import csv

    with open(DATA / "extract_eval/MANIFEST.tsv", encoding="utf-8") as fh:
        rows = {row["id"]: row for row in csv.DictReader(fh, delimiter="\t")}
    assert set(rows) == {page.id for page in PAGES}
    assert all(row["source_repo"] and row["commit"] and row["license"] for row in rows.values())


def test_body_f1_mean():
    assert SUMMARY["body_f1_mean"] >= MIN_BODY_F1_MEAN


@pytest.mark.parametrize("page_id", list(ARTICLES.index))
def test_body_f1_of_each_page(page_id):
    assert ARTICLES.loc[page_id, "body_f1_ours"] >= MIN_BODY_F1_PAGE


def test_titles_exact():
    wrong = ARTICLES[~ARTICLES["title_ours"].astype(bool)]
    assert SUMMARY["title"] >= MIN_TITLES, wrong["found_title_ours"].to_dict()


def test_minute_exact_times():
    assert SUMMARY["time_pages"] >= 35
    assert SUMMARY["time"] >= MIN_TIMES


def test_sources():
    assert SUMMARY["source_pages"] >= 35
    assert SUMMARY["source"] >= MIN_SOURCES


def test_listing_pages_are_not_taken_for_articles():
    assert SUMMARY["listing"] == 1.0
    assert not ARTICLES["parser_ours"].isna().any()


# --- the measures themselves ----------------------------------------------------------------


def test_char_f1_ignores_whitespace_and_order_of_lines():
    assert char_f1("甲乙\n丙 丁", "丙丁甲乙") == 1.0


def test_char_f1_counts_repeated_text():
    assert char_f1("甲乙甲乙", "甲乙") == pytest.approx(2 / 3)


def test_char_f1_of_nothing_against_text():
    assert char_f1("", "甲乙") == 0.0


def test_an_article_called_a_listing_scores_nothing():
    label = {"kind": "article", "title": "t", "time": None, "body": "甲乙"}
    assert score_page({"title": "t", "text": "甲乙", "listing": True}, label)["body_f1"] == 0.0


def test_time_scored_only_where_the_page_shows_one():
    label = {"kind": "article", "title": "t", "time": None, "body": "甲"}
    assert (
        score_page({"title": "t", "time": "2022-07-08 10:00", "text": "甲"}, label)["time"] is None
    )


def test_per_page_scores_keep_the_scores_of_each_extractor_only():
    from newsmon.crawler.extract.evaluation import per_page_scores

    table = per_page_scores(FRAME)
    assert list(table.columns[:4]) == ["group", "kind", "title_ours", "time_ours"]
    assert not [c for c in table.columns if c.startswith("found_")]
    assert len(table) == len(PAGES)
