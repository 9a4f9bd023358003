"""Every hot lookup uses an index.

Each newsmon.db function below is called on a small database with a trace callback on
its connection; every SELECT, UPDATE and DELETE it ran is explained (EXPLAIN QUERY
PLAN), and no step may read a whole table ("SCAN <table>", with or without an index:
every lookup is a SEARCH through an index).
"""

from __future__ import annotations

import re

import pytest

from newsmon.db import analysis, articles, crawl, frontier, jobs, queries
from newsmon.db.connection import connect

URL = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
FALLBACK = "https://www.ithome.com/0/628/383.htm"
DAY = "2022-07-08"

#: a SCAN of a table reads all of it, in index order or not; a virtual table's own index
#: (full-text MATCH) is a search
SEARCHED = ("VIRTUAL TABLE INDEX",)
TABLE_RE = re.compile(r"\b(?:from|join|update|into)\s+(\w+)(?:\s+(?:as\s+)?(\w+))?", re.I)


def _article(url, **kw):
    return {"url": url, "site": "sina", "kind": "article", "title": "上海智能终端", **kw}


@pytest.fixture
def db(tmp_path):
    db = connect(tmp_path / "plans.db")
    for url, parser in ((URL, "sina"), (FALLBACK, "feed-description")):
        articles.save_article(db, _article(url, parser=parser, published_at="2022-07-08T02:00:00Z"))
    aid = articles.prepare_row(_article(URL))["id"]
    run = crawl.start_crawl_run(db, "sina")
    crawl.save_raw_page(db, url=URL, status=200, headers={}, body=b"x", crawl_run_id=run)
    story = {"id": "s1", "title": "t", "first_published_at": "2022-07-08T02:00:00Z"}
    member = {"article_id": aid, "story_id": "s1", "role": "origin"}
    analysis.replace_stories(db, [story], [member], [])
    analysis.save_sectors(
        db,
        [{"id": "robotics", "name": "Robotics"}],
        [{"sector_id": "robotics", "ticker": "300024.SZ"}],
    )
    analysis.replace_reactions(db, "s1", [{"sector_id": "robotics", "event_session": DAY}])
    price = {"ticker": "300024.SZ", "date": DAY, "adjusted": "qfq", "close": 1.0}
    analysis.save_prices(db, [price])
    jobs.finish_job_run(db, jobs.start_job_run(db, "crawl-sina", "crawl sina"), "ok")
    db.aid, db.run = aid, run
    yield db
    db.conn.close()


#: the hot lookups: the crawl's per-request and per-item queries, the story update's,
#: and the daily listings'
HOT = {
    "save_article (new, unchanged, updated)": lambda db: [
        articles.save_article(db, _article(u, title=t))
        for u, t in (("https://x.sina.com.cn/1", "a"), (URL, "上海智能终端"), (URL, "新"))
    ],
    "known_urls": lambda db: articles.known_urls(db, [URL, "https://x/none"]),
    "fetched_urls": lambda db: crawl.fetched_urls(db, [URL, FALLBACK, "https://x/none"]),
    "load_articles by id": lambda db: articles.load_articles(db, [db.aid]),
    "start_crawl_run": lambda db: crawl.start_crawl_run(db, "sina"),
    "update_crawl_run": lambda db: crawl.update_crawl_run(db, db.run, pages=3, errors=[]),
    "finish_crawl_run": lambda db: crawl.finish_crawl_run(
        db, db.run, status="ok", counts={"pages": 1}, errors=[]
    ),
    "load_crawl_runs of a spider": lambda db: crawl.load_crawl_runs(db, "sina", limit=5),
    "last_crawl_run_id": lambda db: crawl.last_crawl_run_id(db, "sina"),
    "crawl_run_after": lambda db: crawl.crawl_run_after(db, "sina", 0),
    "interrupt_crawl_run": lambda db: crawl.interrupt_crawl_run(db, db.run, "test"),
    "save_raw_page (stored already)": lambda db: crawl.save_raw_page(
        db, url=URL, status=200, headers={}, body=b"x", article_id=db.aid
    ),
    "load_stories of a day": lambda db: analysis.load_stories(db, day_shanghai=DAY),
    "load_story_members": lambda db: analysis.load_story_members(db, "s1"),
    "update_story_meta": lambda db: analysis.update_story_meta(db, "s1", {"k": 1}),
    "replace_article_tags": lambda db: analysis.replace_article_tags(
        db, db.aid, [{"kind": "sector", "code": "robotics"}]
    ),
    "replace_story_tags": lambda db: analysis.replace_story_tags(
        db, "s1", [{"kind": "sector", "code": "robotics"}]
    ),
    "load_tags of an article": lambda db: analysis.load_tags(db, article_id=db.aid),
    "load_tags of a story": lambda db: analysis.load_tags(db, story_id="s1"),
    "save_prices (stored already)": lambda db: analysis.save_prices(
        db, [{"ticker": "300024.SZ", "date": DAY, "adjusted": "qfq", "close": 1.0}]
    ),
    "load_prices": lambda db: analysis.load_prices(db, ["300024.SZ"], "2022-07-01", DAY),
    "replace_reactions": lambda db: analysis.replace_reactions(
        db, "s1", [{"sector_id": "robotics", "event_session": DAY}]
    ),
    "load_reactions of a story": lambda db: analysis.load_reactions(db, story_id="s1"),
    "load_reactions of a day": lambda db: analysis.load_reactions(db, day_shanghai=DAY),
    "load_job_runs of a job": lambda db: jobs.load_job_runs(db, job="crawl-sina", limit=10),
    "last_job_runs": jobs.last_job_runs,
    "search_articles (full-text)": lambda db: queries.search_articles(db, "智能终端"),
    # the frontier: per request, per item, and at the start of each run
    "frontier_rows": lambda db: frontier.frontier_rows(db, [URL, "https://x/none"]),
    "want_urls": lambda db: frontier.want_urls(
        db, [{"url": u, "spider": "sina", "role": "article"} for u in (URL, "https://x/2")]
    ),
    "mark_failed": lambda db: frontier.mark_failed(
        db, URL, spider="sina", role="article", error="HTTP 500", status=500
    ),
    "due_rows": lambda db: frontier.due_rows(db, "sina"),
    "load_frontier of a spider": lambda db: frontier.load_frontier(db, spider="sina"),
    "find_crawled_copy": lambda db: articles.find_crawled_copy(
        db, url=None, site="sina", titles=["上海智能终端"], minute="2022-07-08T02:00"
    ),
}


def statements(db, call) -> list[str]:
    """The reads and writes a call ran (bound values filled in), schema look-ups left out."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        call(db)
    finally:
        db.conn.set_trace_callback(None)
    out = []
    for sql in seen:
        head = sql.lstrip().split(None, 1)[0].lower() if sql.strip() else ""
        if head in ("select", "update", "delete", "with") and "sqlite_master" not in sql:
            out.append(sql)
    return out


def full_scans(db, sql: str) -> list[str]:
    """Plan steps that read the whole of one of our tables (SCAN, even in index order)."""
    tables = {r[0] for r in db.execute("select name from sqlite_master where type = 'table'")}
    names = dict.fromkeys(tables, True)
    for table, alias in TABLE_RE.findall(sql):
        if table in tables and alias:
            names[alias] = True
    out = []
    for *_, detail in db.execute("explain query plan " + sql).fetchall():
        m = re.match(r"SCAN (\w+)", detail)
        if m and m.group(1) in names and not any(k in detail for k in SEARCHED):
            out.append(detail)
    return out


@pytest.mark.parametrize("name", sorted(HOT))
def test_hot_query_uses_an_index(db, name):
    ran = statements(db, HOT[name])
    assert ran, f"{name} ran no query"
    for sql in ran:
        assert not full_scans(db, sql), f"{name}: {sql}\n  {full_scans(db, sql)}"


def test_a_scan_is_seen():
    """The check itself: a lookup by a column without an index is reported."""
    db = connect(":memory:")
    assert full_scans(db, "select * from articles where title = 'x'") == ["SCAN articles"]
    assert full_scans(db, "select * from articles where url = 'x'") == []
    walk = full_scans(db, "select * from articles order by key")  # all rows, in index order
    assert walk and walk[0].startswith("SCAN articles USING INDEX")


def test_a_stored_story_update_reads_through_indexes(tmp_path):
    """A crawl's story update into an indexed store (update_stories, then the tags and
    reactions of the stories it touched) reads only through indexes: at a million
    articles a scan would cost more than the update. Whole tables read: counts (the
    summary it returns), the few rows of settings, calendar years and the sector
    taxonomy (written again from the configuration), and -- not yet bounded -- the
    stored prices the event study starts from."""
    from importlib import resources

    from newsmon.analysis.evaluation import DEDUPE_EVAL_DIR, dedupe_eval_set
    from newsmon.config import load_config
    from newsmon.pipeline import refresh_after_store, update_stories

    root = resources.files("newsmon") / DEDUPE_EVAL_DIR
    records = dedupe_eval_set(lambda name: (root / name).read_text(encoding="utf-8")).records
    rows = [
        {
            "url": r.get("url") or f"https://example.com/{r['id']}",
            "site": r["site"],
            "kind": r["kind"],
            "title": r["title"],
            "text": r["text"],
            "published_at": r.get("published_at"),
        }
        for r in records[:80]
    ]
    path = tmp_path / "stored.db"
    db = connect(path)
    for row in rows[:60]:
        articles.save_article(db, row)
    update_stories(db)
    config = load_config(env={}, db=str(path))
    since = articles.utc_now()
    for row in rows[60:]:
        articles.save_article(db, row)
    ran = statements(db, lambda db: refresh_after_store(db, config, since=since))
    assert any("story_edges" in sql for sql in ran) and any("story_items" in sql for sql in ran)
    scans = {
        sql: full_scans(db, sql)
        for sql in ran
        if not re.match(r"\s*select count\(\*\) from \w+\s*$", sql, re.I)
        and not re.search(r"\bfrom (story_index|calendar_years|sector_members|sectors)\b", sql)
        and not re.match(r"\s*select \* from prices\s+order by", sql)
    }
    found = {sql[:160]: s for sql, s in scans.items() if s}
    assert not found, "\n".join(f"{k}\n    {v}" for k, v in found.items())
