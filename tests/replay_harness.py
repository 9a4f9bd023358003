"""Crawling the replay site in tests: a configuration pointed at it, and the stored results.

with replay_server() as server:
    config = replay_config(server.base_url, tmp_path / "replay.db")
    result = run_crawl(config, "sina")
"""

from __future__ import annotations

import copy
import os
from typing import Any

from newsmon.config import Config, load_config, validate

#: fast, still polite to a local server: tiny delays, quick retries
FAST_CRAWL = {
    "download_delay": 0.01,
    "timeout_s": 5,
    "retries": 2,
    "retry_backoff_s": 0.1,
    "retry_after_max_s": 2,
    # what failed in one run is due again in the next
    "frontier_backoff_s": 0,
}

#: the generic feed spider's replay feed (constructed; see newsmon/data/replay/MANIFEST.tsv)
REPLAY_FEED = "http://www.kepu.gov.cn/feed/atom.xml"


def replay_config(
    base_url: str,
    db_path: str | os.PathLike,
    *,
    crawl: dict[str, Any] | None = None,
    sources: dict[str, dict[str, Any]] | None = None,
) -> Config:
    """The default configuration pointed at the replay site, with a fast crawl."""
    config = load_config(env={"NEWSMON_DB": str(db_path), "NEWSMON_BASE_URL": base_url})
    data = copy.deepcopy(config.data)
    data["crawl"].update(FAST_CRAWL)
    data["crawl"].update(crawl or {})
    data["sources"]["feed"]["feeds"] = [REPLAY_FEED]
    for name, table in (sources or {}).items():
        data["sources"].setdefault(name, {}).update(table)
    out = Config(data, dict(config.origins))
    validate(out)
    return out


def stored(db_path: str | os.PathLike, **equal: Any) -> list[dict]:
    """Stored articles as dicts (JSON columns decoded), those whose columns equal the
    keyword arguments if any: ``stored(path, url=URL)``, ``stored(path, parent_id=ID)``."""
    from newsmon.db import connect
    from newsmon.db.articles import load_articles

    db = connect(db_path)
    try:
        articles = load_articles(db)
    finally:
        db.conn.close()
    return [a for a in articles if all(a.get(k) == v for k, v in equal.items())]


# --- what the spider tests check -------------------------------------------------------------

#: which MANIFEST "lists" a spider reads, and what else it reaches from them
SPIDER_LISTS = {
    "sina": ("sina_roll", "sina_roll_page"),
    "ithome": ("ithome_rss", "ithome_list"),
    "gov_cn": ("govcn_json", "govcn_list"),
    "shanghai_gov": ("shanghai_list",),
    "feed": ("feed_atom",),
}


def expected_rows(spider: str) -> list[dict[str, str]]:
    """MANIFEST rows of the article pages a spider must find on the replay site."""
    from newsmon.crawler.replay.routes import read_manifest

    lists = set(SPIDER_LISTS[spider])
    return [r for r in read_manifest() if lists & set((r.get("lists") or "").split())]


def https(url: str) -> str:
    return "https://" + url[len("http://") :] if url.startswith("http://") else url


class Crawled:
    """Two runs of one spider against one replay server, and what they left."""

    def __init__(self, spider, server, config, first, second, hits_first, hits_second):
        self.spider = spider
        self.server = server
        self.config = config
        self.first = first
        self.second = second
        self.hits_first = hits_first
        self.hits_second = hits_second
        self.db_path = config.db_path
        self.articles = stored(self.db_path)
        self.by_url = {a["url"]: a for a in self.articles}
        self.runs = _runs(self.db_path, spider)
        self.raw_pages = _raw_pages(self.db_path)

    def find(self, url: str) -> dict | None:
        return self.by_url.get(url) or self.by_url.get(https(url))


def _runs(db_path, spider):
    from newsmon.db import connect
    from newsmon.db.crawl import load_crawl_runs

    db = connect(db_path)
    try:
        return list(reversed(load_crawl_runs(db, spider)))
    finally:
        db.conn.close()


def _raw_pages(db_path):
    from newsmon.db import connect
    from newsmon.db.crawl import load_raw_pages

    db = connect(db_path)
    try:
        return {r["url"]: r for r in load_raw_pages(db)}
    finally:
        db.conn.close()


def crawl_twice(spider: str, tmp_path_factory, **config_options):
    """A pytest fixture body: serve the replay, crawl twice, yield a Crawled."""
    from newsmon.crawler.replay import replay_server
    from newsmon.crawler.runner import run_crawl

    with replay_server() as server:
        db = tmp_path_factory.mktemp(spider) / "crawl.db"
        config = replay_config(server.base_url, db, **config_options)
        first = run_crawl(config, spider)
        n = len(server.hits)
        second = run_crawl(config, spider)
        yield Crawled(spider, server, config, first, second, server.hits[:n], server.hits[n:])


ISO_UTC_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


def check_stored(crawled: Crawled, *, sites: dict | tuple | str) -> list[dict]:
    """Every page the spider must find is stored with title, UTC time, site and body."""
    import re

    found = []
    for row in expected_rows(crawled.spider):
        article = crawled.find(row["live_url"])
        assert article is not None, f"not stored: {row['live_url']}"
        assert article["title"].strip(), f"no title: {row['live_url']}"
        assert article["text"].strip(), f"no text: {row['live_url']}"
        if (
            len(row["published"]) == 10
        ):  # the page gives a day only: kept as a date, no time made up
            assert article["published_at"] is None, f"made-up time of {row['live_url']}"
            assert article["meta"]["published_date"] == row["published"], (
                f"day of {row['live_url']}"
            )
        elif row["published"]:
            assert article["published_at"] and re.match(ISO_UTC_RE, article["published_at"]), (
                f"publication time {article['published_at']!r} of {row['live_url']}"
            )
        host = row["live_url"].split("/")[2]
        want = sites.get(host, sites.get("*")) if isinstance(sites, dict) else sites
        allowed = {want} if isinstance(want, str) else set(want)
        assert article["site"] in allowed, f"site {article['site']} of {row['live_url']}"
        raw = crawled.raw_pages.get(article["url"])
        assert raw is not None and raw["status"] == 200, f"raw page of {row['live_url']}"
        assert raw["article_id"] == article["id"]
        found.append(article)
    return found


def article_paths(crawled: Crawled) -> set[str]:
    from newsmon.crawler.replay import ReplayServer

    return {ReplayServer.path_for(r["live_url"]) for r in expected_rows(crawled.spider)}


def check_second_run(crawled: Crawled, *, discovery_pages: int) -> None:
    """The second run read the lists again and fetched no article page."""
    second = crawled.runs[-1]
    assert second["status"] == "ok", second
    assert (second["pages"], second["new"], second["updated"]) == (discovery_pages, 0, 0), second
    # each stored article listed is skipped once (a second listing is a duplicate request)
    assert second["stats"].get("skipped_known", 0) == len(expected_rows(crawled.spider)), second
    fetched_again = article_paths(crawled) & {h.path for h in crawled.hits_second}
    assert not fetched_again, f"fetched again: {sorted(fetched_again)}"
    first_hits = [h.path for h in crawled.hits_first]
    for path in article_paths(crawled):
        assert first_hits.count(path) == 1, f"{path} fetched {first_hits.count(path)} times"
