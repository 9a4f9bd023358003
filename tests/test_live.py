"""Against the real sites (opt-in: pytest -m live): one list page or feed per spider,
fetched politely (robots.txt, our User-Agent) and read by the spider's discovery parser."""

from __future__ import annotations

import urllib.request
import urllib.robotparser
from urllib.parse import urlsplit

import pytest

from newsmon.config import load_config
from newsmon.crawler.discovery import (
    parse_feed,
    parse_gov_cn_json,
    parse_list_links,
    parse_sina_roll,
)
from newsmon.crawler.spiders.shanghai_gov import ShanghaiGovSpider
from newsmon.crawler.urls import url_allowed

pytestmark = pytest.mark.live

CONFIG = load_config(env={})
UA = CONFIG["crawl.user_agent"]


def fetch(url: str, referer: str | None = None) -> bytes:
    parts = urlsplit(url)
    robots = urllib.robotparser.RobotFileParser(f"{parts.scheme}://{parts.netloc}/robots.txt")
    try:
        robots.read()
    except OSError:
        pass  # no robots.txt reachable: allowed
    else:
        if not robots.can_fetch(UA, url):
            pytest.skip(f"robots.txt disallows {url}")
    headers = {"User-Agent": UA}
    if referer:
        headers["Referer"] = referer
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=CONFIG["crawl.timeout_s"]) as r:
        return r.read()


def test_sina_roll_api():
    src = CONFIG.source("sina")
    entries = parse_sina_roll(fetch(src["roll_api"], src["roll_referer"]))
    assert entries and all(url_allowed(e.url, src["allowed_domains"]) for e in entries)
    assert all(e.published_at for e in entries)


def test_ithome_rss():
    src = CONFIG.source("ithome")
    entries = parse_feed(fetch(src["feeds"][0]), src["feeds"][0])
    assert entries and entries[0].summary_html and entries[0].published_at


def test_gov_cn_json_list():
    src = CONFIG.source("gov_cn")
    url = src["json_feeds"][0]
    entries = parse_gov_cn_json(fetch(url), url)
    assert entries and all(url_allowed(e.url, src["allowed_domains"]) for e in entries)


def test_shanghai_gov_list_page():
    src = CONFIG.source("shanghai_gov")
    url = src["list_pages"][0]
    html = fetch(url).decode("utf-8", errors="replace")
    assert parse_list_links(html, url, ShanghaiGovSpider.article_pattern)


def test_generic_feed():
    # no feed is configured by default: IT之家's RSS stands in for "any RSS feed"
    url = (CONFIG.source("feed").get("feeds") or CONFIG.source("ithome")["feeds"])[0]
    assert parse_feed(fetch(url), url)
