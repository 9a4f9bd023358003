"""THE 2022-07-08 EVENT crawled from the replay site as the spiders would find it live:
the five seed documents (and the notice's PDF) come out with the fields that importing
the seed files gives (parse_archive + record_to_row)."""

from __future__ import annotations

import pytest

from conftest import SEEDS
from newsmon.crawler.replay import replay_server
from newsmon.crawler.runner import run_crawl
from replay_harness import replay_config, stored

SINA_000 = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
SINA_001 = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2749306.shtml"
ITHOME_004 = "https://www.ithome.com/0/628/383.htm"
NOTICE = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
NOTICE_PDF = "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"
NOTE_002 = "https://sheitc.sh.gov.cn/cyfz/20220708/6c51c08f8f6b5be6a1e2d9c07b3f4e21.html"

MEDIA = {"000": SINA_000, "001": SINA_001, "004": ITHOME_004}


def shingles(text: str, k: int = 4) -> set[str]:
    text = "".join(text.split())
    return {text[i : i + k] for i in range(max(1, len(text) - k + 1))}


def similarity(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def containment(part: str, whole: str) -> float:
    sa = shingles(part)
    return len(sa & shingles(whole)) / len(sa)


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    with replay_server() as server:
        db = tmp_path_factory.mktemp("event") / "event.db"
        config = replay_config(server.base_url, db)
        results = {s: run_crawl(config, s) for s in ("sina", "ithome", "shanghai_gov")}
        yield results, {a["url"]: a for a in stored(db)}


@pytest.fixture(scope="module")
def imported():
    """What `newsmon import` makes of each seed file, by seed number."""
    from newsmon.crawler.extract.archive import parse_archive
    from newsmon.crawler.ingest import record_to_row

    return {p.name[:3]: record_to_row(parse_archive(p.read_bytes(), p.name)) for p in SEEDS}


def test_all_runs_ok(event):
    results, _ = event
    for spider, result in results.items():
        assert result.status == "ok", (spider, result.errors)


def test_five_seed_documents_and_the_pdf_crawled(event):
    _, articles = event
    for url in (SINA_000, SINA_001, ITHOME_004, NOTICE, NOTICE_PDF, NOTE_002):
        assert url in articles, url


@pytest.mark.parametrize("seed", sorted(MEDIA))
def test_media_posts_match_the_import(event, imported, seed):
    crawled, want = event[1][MEDIA[seed]], imported[seed]
    assert crawled["title"] == want["title"]
    assert crawled["published_at"] == want["published_at"]
    assert crawled["site"] == want["site"]
    assert crawled["source"] == want["source"]
    assert {(t["code"], t["anchor"]) for t in crawled["site_stock_tags"]} == {
        (t["code"], t["anchor"]) for t in want["site_stock_tags"]
    }
    assert {o["url"] for o in crawled["origin_links"]} == {o["url"] for o in want["origin_links"]}
    assert similarity(crawled["text_match"], want["text_match"]) >= 0.9


def test_sina_commentary_keeps_its_stock_tags(event):
    tags = {(t["code"], t["anchor"]) for t in event[1][SINA_001]["site_stock_tags"]}
    assert {("sz300024", "机器人"), ("sz300832", "新产业")} <= tags


def test_ithome_links_the_official_origin(event):
    assert NOTICE in {o["url"] for o in event[1][ITHOME_004]["origin_links"]}


def test_official_notice_page_matches_the_official_text(event, imported):
    page, want = event[1][NOTICE], imported["003"]
    assert page["site"] == "shanghai_gov"
    assert page["title"] == want["title"]
    assert page["doc_number"] == want["doc_number"] == "沪府办发〔2022〕12号"
    assert page["document_date"] == want["document_date"] == "2022-06-24"
    assert page["issuer"] == want["issuer"] == "上海市人民政府办公厅"
    assert page["published_at"] is None  # the page gives a day only; no time is made up
    assert page["meta"]["published_date"] == "2022-07-08"
    assert containment(want["text_match"], page["text_match"]) >= 0.9


def test_notice_pdf_matches_the_official_text(event, imported):
    pdf, page, want = event[1][NOTICE_PDF], event[1][NOTICE], imported["003"]
    assert pdf["kind"] == "attachment" and pdf["parent_id"] == page["id"]
    assert (pdf["title"], pdf["doc_number"], pdf["document_date"], pdf["published_at"]) == (
        want["title"],
        want["doc_number"],
        want["document_date"],
        want["published_at"],
    )
    assert similarity(pdf["text_match"], want["text_match"]) >= 0.9


def test_commission_note_matches_the_import(event, imported):
    note, want = event[1][NOTE_002], imported["002"]
    assert note["title"] == want["title"]
    assert note["published_at"] is None is want["published_at"]
    # the page names the commission as its source; the plain text's second line is its issuer
    assert want["issuer"] == note["source"] == "上海市经济和信息化委员会"
    assert similarity(note["text_match"], want["text_match"]) >= 0.9
