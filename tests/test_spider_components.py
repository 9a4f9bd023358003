"""Pieces of the crawl that need no network: URL mapping and domain checks, Retry-After,
attachments to text, crawl_runs bookkeeping, the settings built from newsmon.config."""

from __future__ import annotations

import io
import zipfile

import pytest

from newsmon.crawler.middlewares import parse_retry_after
from newsmon.crawler.spiders.base import attachment_kind, attachment_record, body_links
from newsmon.crawler.urls import to_fetch_url, to_live_url, url_allowed


def test_fetch_url_keeps_path_and_query_drops_fragment():
    base = "http://127.0.0.1:9/"
    assert (
        to_fetch_url("https://feed.mix.sina.com.cn/api/roll/get?pageid=153&num=50#x", base)
        == "http://127.0.0.1:9/feed.mix.sina.com.cn/api/roll/get?pageid=153&num=50"
    )
    assert (
        to_live_url("http://127.0.0.1:9/www.gov.cn/zhengce/", base) == "https://www.gov.cn/zhengce/"
    )
    assert to_live_url("http://elsewhere/x", base) == "http://elsewhere/x"


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://finance.sina.com.cn/roll/x.shtml", True),
        ("https://sina.com.cn/", True),
        ("https://notsina.com.cn/", False),
        ("https://sina.com.cn.evil.example/", False),
        ("ftp://finance.sina.com.cn/x", False),
        ("javascript:void(0)", False),
        ("https://FINANCE.Sina.com.cn:443/x", True),
        ("https://user@finance.sina.com.cn/x", True),
        ("https://finance.sina.com.cn./x", True),
    ],
)
def test_allowed_domains(url, ok):
    assert url_allowed(url, ["sina.com.cn", "sina.cn"]) is ok


def test_empty_domain_list_allows_nothing():
    assert not url_allowed("https://www.gov.cn/", [])
    assert not url_allowed("https://www.gov.cn/", ["", "."])


def test_retry_after_forms():
    assert parse_retry_after(b"7") == 7.0
    assert parse_retry_after("Fri, 08 Jul 2022 02:00:10 GMT", now=1657245600.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_pdf_attachment_read_as_a_document():
    from newsmon.crawler.replay.event import notice_pdf

    pdf = notice_pdf("沪府办发〔2022〕12号\n上海市促进智能终端产业高质量发展行动方案")
    parent = {
        "id": "abc",
        "url": "https://www.shanghai.gov.cn/p.html",
        "site": "shanghai_gov",
        "title": "通知",
        "anchor": "附件",
    }
    record = attachment_record(pdf, "https://www.shanghai.gov.cn/a.pdf", parent)
    assert record.kind == "attachment" and record.site == "shanghai_gov"
    assert record.meta["parent_id"] == "abc" and record.meta["format"] == "pdf"
    assert "智能终端" in record.text and not record.missing.get("text")


def test_docx_attachment_text():
    buf = io.BytesIO()
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    xml = f'<w:document xmlns:w="{ns}"><w:body><w:p><w:r><w:t>第一段</w:t></w:r></w:p><w:p><w:r><w:t>第二段</w:t></w:r></w:p></w:body></w:document>'
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", xml)
    record = attachment_record(buf.getvalue(), "https://www.gov.cn/f.docx", {"site": "gov_cn"})
    assert record.text == "第一段\n第二段" and record.parser == "docx"


def test_legacy_doc_kept_with_a_reason():
    record = attachment_record(
        b"\xd0\xcf\x11\xe0rest", "https://www.gov.cn/f.doc", {"title": "通知", "anchor": "word下载"}
    )
    assert attachment_kind(b"\xd0\xcf\x11\xe0", "x") == "doc"
    assert record.text == "" and "legacy Word .doc" in record.missing["text"]
    assert record.title == "通知（附件：word下载）"


def test_body_links_skip_files_and_scripts():
    html = '<p><a href="/nw12344/1.html">a</a><a href="x.pdf">f</a><a href="javascript:;">j</a></p>'
    assert body_links(html, "https://www.shanghai.gov.cn/a/b.html") == [
        "https://www.shanghai.gov.cn/nw12344/1.html"
    ]


def test_crawl_run_bookkeeping(tmp_db):
    from newsmon.db.crawl import finish_crawl_run, load_crawl_runs, save_raw_page, start_crawl_run

    run = start_crawl_run(tmp_db, "sina")
    raw_id, new = save_raw_page(
        tmp_db,
        url="https://x/1",
        status=200,
        headers={"a": "b"},
        body=b"hi",
        crawl_run_id=run,
        encoding="utf-8",
    )
    again_id, again = save_raw_page(tmp_db, url="https://x/1", status=200, headers={}, body=b"hi")
    assert new and not again and raw_id == again_id
    finish_crawl_run(
        tmp_db,
        run,
        status="partial",
        counts={"pages": 3, "failed": 1},
        errors=[{"url": "u", "reason": "r"}],
        stats={"k": 1},
    )
    (row,) = load_crawl_runs(tmp_db, "sina", limit=1)
    assert (row["status"], row["pages"], row["failed"], row["errors"], row["stats"]) == (
        "partial",
        3,
        1,
        [{"url": "u", "reason": "r"}],
        {"k": 1},
    )


def test_settings_come_from_config(monkeypatch, tmp_path):
    import importlib

    monkeypatch.delenv("NEWSMON_CONFIG_JSON", raising=False)
    monkeypatch.setenv("NEWSMON_DB", str(tmp_path / "s.db"))
    monkeypatch.setenv("NEWSMON_BASE_URL", "http://127.0.0.1:1")
    import newsmon.crawler.settings as settings

    settings = importlib.reload(settings)
    assert settings.NEWSMON_DB == str(tmp_path / "s.db")
    assert settings.NEWSMON_BASE_URL == "http://127.0.0.1:1"
    assert settings.ROBOTSTXT_OBEY is True and settings.AUTOTHROTTLE_ENABLED is True
    assert "https://github.com/newsmon/newsmon" in settings.USER_AGENT
    assert settings.TWISTED_REACTOR == "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
    assert settings.DOWNLOAD_MAXSIZE == 10_000_000 and settings.RETRY_TIMES == 3


def test_retry_waits_back_off_and_cap_retry_after():
    from types import SimpleNamespace

    from scrapy import Request
    from scrapy.http import Response
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    from newsmon.crawler.middlewares import BackoffRetryMiddleware

    mw = BackoffRetryMiddleware(
        retry_codes={429, 500, 503}, exceptions=(), backoff=0.5, retry_after_max=10
    )
    mw.crawler = SimpleNamespace(stats=MemoryStatsCollector(SimpleNamespace(settings=Settings())))
    req = Request("http://x/a")
    assert mw.wait_for(req) == 0.5
    assert mw.wait_for(req.replace(meta={"retry_times": 2})) == 2.0  # doubled per retry
    asked = Response("http://x/a", status=429, headers={"Retry-After": "3"})
    assert mw.wait_for(req, asked) == 3.0
    too_long = Response("http://x/a", status=503, headers={"Retry-After": "3600"})
    assert mw.wait_for(req, too_long) == 10.0
    assert mw.crawler.stats.get_value("newsmon/retry_after_capped") == 1


def _stored_article_middleware(db_path, **settings):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from newsmon.crawler.middlewares import StoredArticleMiddleware

    crawler = get_crawler(Spider, {"NEWSMON_DB": str(db_path), **settings})
    crawler.spider = crawler._create_spider("t")
    crawler.stats.open_spider()
    mw = StoredArticleMiddleware.from_crawler(crawler)
    mw.spider_opened(crawler.spider)
    return mw


def _request(url, role, **meta):
    from scrapy import Request

    return Request(
        f"http://127.0.0.1:9/{url.split('://', 1)[1]}", meta={"live_url": url, "role": role, **meta}
    )


def test_stored_articles_are_not_fetched_again(tmp_path):
    from newsmon.crawler.middlewares import StoredURL
    from newsmon.db import connect
    from newsmon.db.articles import save_article

    stored, new = "https://finance.sina.com.cn/a.shtml", "https://finance.sina.com.cn/b.shtml"
    fallback = "https://www.ithome.com/0/1/2.htm"
    db = connect(tmp_path / "m.db")
    for url, parser in ((stored, "sina"), (fallback, "feed-description")):
        save_article(db, {"url": url, "site": "x", "kind": "article", "parser": parser})
    db.conn.close()
    mw = _stored_article_middleware(tmp_path / "m.db")
    for role in ("article", "origin", "attachment"):
        with pytest.raises(StoredURL):
            mw.process_request(_request(stored, role))
    with pytest.raises(StoredURL):  # the link said http, the page was stored over https
        mw.process_request(_request("http://finance.sina.com.cn/a.shtml", "article"))
    assert mw.crawler.stats.get_value("newsmon/skipped_known") == 4
    assert mw.process_request(_request(new, "article")) is None
    # a copy kept from the feed because the page failed: the page is fetched again
    assert mw.process_request(_request(fallback, "article")) is None
    # lists, feeds and JSON APIs always go through, whatever their URL
    assert mw.process_request(_request(stored, "discovery")) is None
    # a JSON API's detail request is checked against the document it asks for
    detail = _request("https://www.shanghai.gov.cn/gwk/detail", "article", document_url=stored)
    with pytest.raises(StoredURL):
        mw.process_request(detail)
    mw.spider_closed(mw.crawler.spider)


def test_refresh_fetches_stored_articles_marked_refetched(tmp_path):
    from newsmon.db import connect
    from newsmon.db.articles import save_article

    url = "https://finance.sina.com.cn/a.shtml"
    db = connect(tmp_path / "m.db")
    save_article(db, {"url": url, "site": "sina", "kind": "article"})
    db.conn.close()
    mw = _stored_article_middleware(tmp_path / "m.db", NEWSMON_REFRESH=True)
    request = _request(url, "article")
    assert mw.process_request(request) is None and request.meta["refetched"] is True
    other = _request("https://finance.sina.com.cn/new.shtml", "article")
    assert mw.process_request(other) is None and "refetched" not in other.meta
    assert not mw.crawler.stats.get_value("newsmon/skipped_known")
    mw.spider_closed(mw.crawler.spider)


def test_a_spider_opens_no_database(tmp_path):
    from scrapy.utils.test import get_crawler

    from newsmon.crawler.spiders.sina import SinaSpider

    db_path = tmp_path / "never" / "crawl.db"
    settings = {"NEWSMON_DB": str(db_path), "NEWSMON_SOURCES": {"sina": {"roll_pages": 1}}}
    spider = SinaSpider.from_crawler(get_crawler(SinaSpider, settings))
    assert spider.live_domains == [] and not db_path.parent.exists()
