"""Datasette over the newsmon database, read-only: what each table means and the daily questions.

Every connection Datasette opens is read-only (SQLite mode=ro and query_only), so a
write (a writable canned query, a plugin) fails while the crawler and the scheduler
keep writing through WAL and the pages show their rows as they land. With
immutable=True the file is opened as immutable instead (faster counts), which is only
right for a copy nobody writes: SQLite then ignores the WAL and may read a changing
file inconsistently.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmon.db.readonly import guard

#: the database's name in URLs (/newsmon/...), whatever the file is called
DATABASE_NAME = "newsmon"


@dataclass(frozen=True)
class Setting:
    value: Any
    help: str


#: Datasette settings that differ from Datasette's defaults, each with why
SETTINGS: dict[str, Setting] = {
    "sql_time_limit_ms": Setting(
        5000, "full-text search and story joins on a year of articles take over Datasette's 1 s"
    ),
    "truncate_cells_html": Setting(300, "article texts are long; open a row to read one whole"),
    "allow_download": Setting(False, "the file holds raw pages; copy it on the machine instead"),
    "suggest_facets": Setting(False, "facet suggestions scan the large articles table"),
}

# ---------------------------------------------------------------- tables and columns

TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "description": "One row per article or official document, keyed by canonical URL "
        "(or, without a URL, by a hash of its matching text). Times are ISO 8601 UTC; "
        "add 8 hours for Asia/Shanghai.",
        "columns": {
            "id": "first 16 hex digits of sha1(key)",
            "key": "canonical URL, or doc:<hash> of its source (site, file, title, time) when "
            "there is no URL",
            "url": "the URL it was fetched from",
            "canonical_url": "the page's declared canonical URL",
            "site": "source site: sina, ithome, gov_cn, shanghai_gov, feed, or the archive it came from",
            "kind": "article, document (an official document) or attachment (a PDF of a page)",
            "title": "headline or document title",
            "author": "author as printed",
            "editor": "responsible editor (责任编辑) as printed",
            "source": "declared origin (来源), e.g. 新华社 or 上海市人民政府",
            "published_at": "publication time, ISO 8601 UTC; empty when the page gives none",
            "document_date": "an official document's own date (成文日期), YYYY-MM-DD",
            "doc_number": "document number (发文字号), e.g. 沪府办发〔2022〕11号",
            "text": "body text for display (normalised, paragraphs kept)",
            "text_match": "body text as compared for reprints (punctuation and spacing unified)",
            "content_hash": "hash of the stored fields; changes when the page is edited",
            "origin_links": "JSON [{url, anchor}]: links to an official original (官方原文)",
            "cited_titles": "JSON [title]: document titles cited in 《...》",
            "site_stock_tags": "JSON [{code, anchor, source}]: stocks the site itself linked",
            "meta": "JSON: other page metadata",
            "first_seen_at": "when newsmon first stored it, UTC",
            "updated_at": "when newsmon last changed it, UTC",
            "issuer": "issuing body of an official document (发文机关)",
            "parser": "which extractor read the page",
            "missing": "JSON {field: why it could not be read}",
            "parent_id": "for an attachment: the article id of the page that links it",
            "published_at_candidates": "JSON {source: raw value}: every publication time the page offered",
        },
        "label_column": "title",
        "sort_desc": "published_at",
        "facets": ["site", "kind"],
    },
    "raw_pages": {
        "description": "Every fetched response as received, so extraction can be re-run without "
        "crawling again.",
        "columns": {
            "id": "row id",
            "url": "requested URL",
            "fetched_at": "fetch time, UTC",
            "status": "HTTP status",
            "headers": "JSON response headers",
            "body": "response body, zlib-compressed",
            "body_sha256": "sha256 of the uncompressed body",
            "article_id": "the article extracted from it, if any",
            "crawl_run_id": "the crawl run that fetched it",
            "encoding": "character set the body was decoded with",
            "truncated": "1 when the body was cut at crawl.max_response_bytes",
        },
        "sort_desc": "fetched_at",
    },
    "crawl_runs": {
        "description": "One row per run of a spider, with its page counts.",
        "columns": {
            "id": "row id",
            "spider": "spider name: sina, ithome, gov_cn, shanghai_gov, feed",
            "started_at": "start, UTC",
            "ended_at": "end, UTC",
            "status": "how the run ended",
            "pages": "pages fetched",
            "new": "articles stored for the first time",
            "unchanged": "articles fetched again with no change",
            "failed": "pages that could not be fetched or read",
            "errors": "JSON: the failures, with URL and reason",
            "updated": "articles whose content changed",
            "refetched": "stored URLs fetched again on purpose",
            "reason": "why the run ended as it did",
            "stats": "JSON: Scrapy's crawl statistics",
            "pid": "the crawl process's id",
            "host": "the machine the crawl ran on",
            "heartbeat_at": "last sign of life of a running crawl, UTC",
        },
        "sort_desc": "started_at",
        "facets": ["spider", "status"],
    },
    "frontier": {
        "description": "Every URL the crawls want: discovered articles, origins, attachments "
        "and anything that failed, with its state. Each run of a spider works through its "
        "URLs that are due (newsmon frontier).",
        "columns": {
            "url": "the document's live URL",
            "spider": "the spider that wants it",
            "role": "article, origin, attachment or discovery",
            "state": "pending, done, retry (failed or incomplete: asked again when due) or "
            "gone (404/410 too often, or refused for good)",
            "attempts": "fetches tried",
            "last_status": "HTTP status of the last attempt",
            "last_error": "why the last attempt failed",
            "next_attempt_at": "when it is asked for again, UTC (the wait doubles each time)",
            "first_seen_at": "when a crawl first wanted it, UTC",
            "last_attempt_at": "the last attempt, UTC",
            "done_at": "when it was stored whole, UTC",
            "article_id": "the article stored from it",
            "parent_url": "the page an origin or attachment was found on",
            "request": "JSON: how to ask for it again",
        },
        "sort": "next_attempt_at",
        "facets": ["spider", "state", "role"],
    },
    "job_runs": {
        "description": "One row per scheduled job run (newsmon schedule): each runs as its own "
        "process. A row says running until the run ends.",
        "columns": {
            "id": "row id",
            "job": "job name from the schedule ([jobs.NAME])",
            "action": "crawl, prices, analyze or digest",
            "started_at": "start, UTC",
            "ended_at": "end, UTC",
            "status": "running, ok, failed (non-zero exit or time limit), skipped (previous "
            "run still going, or started too late) or interrupted (scheduler stopped)",
            "counts": "JSON: the last JSON object the job printed (its counts)",
            "error": "the tail of the job's error output, or why it was skipped or interrupted",
        },
        "sort_desc": "started_at",
        "facets": ["job", "status"],
    },
    "stories": {
        "description": "A story: articles that reprint, excerpt or comment on the same news.",
        "columns": {
            "id": "story id",
            "title": "the story's title (its origin's or first article's)",
            "origin_article_id": "the official original, when one is stored",
            "first_article_id": "the article published first",
            "first_published_at": "when the story first appeared, UTC",
            "first_site": "the outlet that published first (config/outlets.toml id)",
            "first_site_name": "its display name (IT之家, 新浪财经, ...)",
            "n_articles": "articles in the story",
            "n_sites": "distinct outlets carrying it",
            "updated_at": "when the story was last recomputed, UTC",
            "official_origin_url": "URL of the official original (官方原文), stored or not",
            "meta": "JSON: how the story was formed",
        },
        "label_column": "title",
        "sort_desc": "first_published_at",
        "facets": ["first_site"],
    },
    "story_articles": {
        "description": "Which story each article belongs to, and its role in it.",
        "columns": {
            "article_id": "the article",
            "story_id": "its story",
            "role": "origin, reprint, partial reprint, commentary, related or attachment",
            "novelty": "how much of the article is new relative to what came before (0-1)",
            "score": "strength of the link to the story (0-1)",
            "outlet": "the outlet it counts as in reach (config/outlets.toml id, else its host)",
            "outlet_name": "the outlet's display name",
            "source_outlet": "the outlet its declared source (来源) names, if registered",
        },
        "facets": ["role"],
    },
    "article_relations": {
        "description": "Verified pairs of related articles, with the evidence.",
        "columns": {
            "a": "one article (the earlier)",
            "b": "the other article",
            "relation": "reprint, partial reprint, commentary (cites the same document) or related",
            "jaccard": "Jaccard similarity of the character shingles (0-1)",
            "containment": "share of the shorter text found in the longer (0-1)",
            "score": "combined score (0-1)",
            "evidence": "JSON: what matched (shared shingles, cited title)",
        },
        "facets": ["relation"],
    },
    "tags": {
        "description": "Stocks and sectors an article touches, each with its evidence.",
        "columns": {
            "article_id": "the article",
            "kind": "stock or sector",
            "code": "ticker (e.g. 300024.SZ) or sector id",
            "name": "stock or sector name",
            "confidence": "how sure the tag is (0-1)",
            "evidence": "JSON: the words or links that gave it",
            "reason": "why it was tagged, in words",
        },
        "facets": ["kind"],
    },
    "story_tags": {
        "description": "Stocks and sectors a story touches, from its articles' tags.",
        "columns": {
            "story_id": "the story",
            "kind": "stock or sector",
            "code": "ticker or sector id",
            "name": "stock or sector name",
            "relevance": "how central it is to the story (0-1)",
            "evidence": "JSON: the articles and words behind it",
        },
        "facets": ["kind"],
    },
    "sectors": {
        "description": "The sector taxonomy (config sectors.toml): keywords, members, benchmark.",
        "columns": {
            "id": "sector id",
            "name": "English name",
            "name_zh": "Chinese name",
            "keywords": "JSON [keyword]: words that tag a text with this sector",
            "benchmark": "ticker its returns are measured against",
            "note": "where the membership comes from",
        },
        "label_column": "name_zh",
    },
    "sector_members": {
        "description": "The stocks making up each sector.",
        "columns": {
            "sector_id": "the sector",
            "ticker": "stock ticker",
            "name": "company name",
            "weight": "weight in the sector's return (equal when empty)",
        },
    },
    "prices": {
        "description": "Daily bars per ticker, cached from the price providers.",
        "columns": {
            "ticker": "ticker, e.g. 300024.SZ or 000300.SS",
            "date": "trading day, YYYY-MM-DD (Asia/Shanghai)",
            "adjusted": "price adjustment: none (as traded), qfq (forward), hfq (backward) or "
            "yahoo_adj (Yahoo's adjusted close); returns come from an adjusted kind where one exists",
            "open": "open",
            "high": "high",
            "low": "low",
            "close": "close",
            "volume": "volume (shares)",
            "amount": "turnover (yuan)",
            "source": "provider or recorded file",
            "fetched_at": "when it was fetched, UTC",
            "adj_factor": "the provider's adjustment factor of a raw row (close x adj_factor is "
            "the adjusted close), when it gives one",
        },
        "facets": ["source"],
    },
    "bars": {
        "description": "Minute bars per ticker, from newsmon prices update --interval 1m|5m "
        "(Yahoo) or newsmon prices import of minute-bar files: the intraday event windows.",
        "columns": {
            "ticker": "ticker",
            "ts": "bar start, UTC",
            "interval": "bar length, e.g. 1m or 5m",
            "open": "open",
            "high": "high",
            "low": "low",
            "close": "close",
            "volume": "volume",
            "source": "provider",
        },
    },
    "reactions": {
        "description": "Event study per story and sector: the sector's abnormal return around the "
        "story's first publication, on the Shanghai exchange's calendar.",
        "columns": {
            "story_id": "the story",
            "sector_id": "the sector",
            "event_time": "the story's first publication, UTC",
            "event_session": "the trading session the event counts in (news after the close "
            "moves to the next open)",
            "figures": "JSON: ar0 (abnormal return on the event day), car_0_1 and car_0_3 "
            "(cumulative abnormal return over days 0-1 and 0-3), car_m3_m1 (before the event), "
            "t_ar0 ... with test_ar0 ... (BMP or cross-sectional t) and n_ar0 ... (members), "
            "mm_* (market model), ar_5m ... ar_close (minute windows), sector_return, "
            "benchmark_return, n_members_with_data, limit_up, limit_down, notes, path",
            "computed_at": "when it was computed, UTC",
        },
    },
    "stock_reactions": {
        "description": "Event study per story and named company (a stock tag of the story "
        "above the confidence threshold): its own day-0 move, limit flags and windows.",
        "columns": {
            "story_id": "the story",
            "ticker": "the company's ticker",
            "name": "its short name as the story's tag has it",
            "event_time": "the story's first publication, UTC",
            "event_session": "the trading session the event counts in",
            "figures": "JSON: return0 (day-0 return), ar0, car_0_1, car_0_3, t_* (time-series "
            "t on its own estimation window), limit_up / limit_down with their prices, "
            "ar_5m ... ar_close, notes",
            "computed_at": "when it was computed, UTC",
        },
    },
    "digests": {
        "description": "The daily digests written.",
        "columns": {
            "date": "the digest's day, YYYY-MM-DD (Asia/Shanghai)",
            "generated_at": "when it was written, UTC",
            "n_stories": "stories in it",
            "markdown": "the digest as Markdown",
            "html_path": "where its HTML page was written",
        },
        "sort_desc": "date",
    },
    "calendar_years": {
        "description": "Exchange holidays known beyond exchange_calendars' own years, one row "
        "per year, read from the State Council's annual holiday notice (newsmon calendar).",
        "columns": {
            "year": "the year the notice arranges",
            "source": "notice article (crawled or imported) or file (newsmon calendar import)",
            "ref": "the article's URL or the file's path",
            "closed_days": "JSON list of the weekdays the exchanges close (YYYY-MM-DD)",
            "work_days": "JSON list of the weekend days worked in exchange (the exchange stays shut)",
            "arrangement": "JSON: each holiday's name, days off, days worked and sentence",
            "imported_at": "when it was stored, UTC",
        },
        "sort": "year",
    },
    "signatures": {
        "description": "MinHash signatures of each article's matching text, kept so stories are "
        "recomputed without shingling again.",
        "columns": {
            "article_id": "the article",
            "scheme": "shingling and hashing scheme the signature was made with",
            "n_shingles": "character shingles in the text",
            "signature": "the signature, packed integers",
        },
    },
    "story_items": {
        "description": "Articles indexed by story detection: each has a handle in the key "
        "index beside the database (<database>-stories/), so an update reads only what new "
        "articles touch.",
        "columns": {
            "handle": "the article's number in the key index (never reused)",
            "article_id": "the article",
            "hub": "its place in the order key groups take their longest members in",
            "n_shingles": "character shingles in its text",
            "state": "digest of what it was indexed from (another is indexed again)",
            "indexed_at": "when it was indexed (UTC)",
            "story_id": "the story it was last put in (kept when its other rows go)",
        },
    },
    "story_citations": {
        "description": "Titles, document numbers and links each indexed article owns or "
        "cites: citations link records that share no text.",
        "columns": {
            "key": "t: a title, n: a document number, u: a URL, f: a file of a page",
            "handle": "the article (story_items.handle)",
            "own": "1: the article is what the key names; 0: it cites it",
        },
    },
    "story_index": {
        "description": "Where story detection's key index stands: its scheme, current "
        "segment files, next handle.",
        "columns": {"name": "setting", "value": "its value, JSON"},
    },
    "story_edges": {
        "description": "The relations of article_relations by story_items handle, as a "
        "story update reads them (a touched story's relations are one range of an "
        "integer key); without evidence, which article_relations keeps.",
        "columns": {
            "a": "the source or container (story_items.handle)",
            "b": "the derived or contained (story_items.handle)",
            "relation": "duplicate, reprint, partial_reprint, commentary, related or attachment",
            "jaccard": "Jaccard similarity of the texts' shingle sets",
            "containment": "share of the smaller text's shingles in the larger",
            "score": "strength of the relation, 0-1",
        },
    },
    "story_queue": {
        "description": "Articles written or deleted since story detection last ran "
        "(filled by triggers on articles).",
        "columns": {"seq": "order of the change", "article_id": "the article"},
    },
}

# ---------------------------------------------------------------- canned queries

TODAY_STORIES_SQL = """
select
  s.id as story_id,
  s.title,
  datetime(s.first_published_at, '+8 hours') as first_published_shanghai,
  s.first_site,
  s.n_sites,
  s.n_articles,
  (
    select group_concat(sector, '、') from (
      select coalesce(sec.name_zh, t.name, t.code) as sector
      from story_tags t left join sectors sec on sec.id = t.code
      where t.story_id = s.id and t.kind = 'sector'
      order by t.relevance desc
    )
  ) as sectors,
  s.official_origin_url
from stories s
where date(s.first_published_at, '+8 hours') = coalesce(nullif(trim(:day), ''), date('now', '+8 hours'))
order by s.n_sites desc, s.n_articles desc, s.first_published_at
""".strip()

STORY_SPREAD_SQL = """
select
  a.site,
  datetime(a.published_at, '+8 hours') as published_shanghai,
  round((julianday(a.published_at) - julianday(s.first_published_at)) * 1440, 1) as minutes_after_first,
  sa.role,
  round(sa.novelty, 3) as novelty,
  round(sa.score, 3) as score,
  a.title,
  a.source,
  a.kind,
  a.doc_number,
  a.document_date,
  a.url,
  a.id as article_id
from story_articles sa
join articles a on a.id = sa.article_id
join stories s on s.id = sa.story_id
where sa.story_id = :story_id
order by a.published_at is not null, a.published_at, a.id
""".strip()

SECTOR_REACTIONS_SQL = """
select
  r.event_session as session,
  coalesce(sec.name_zh, sec.name, r.sector_id) as sector,
  s.title as story,
  datetime(r.event_time, '+8 hours') as event_time_shanghai,
  round(json_extract(r.figures, '$.ar0'), 4) as ar_day0,
  round(json_extract(r.figures, '$.car_0_1'), 4) as car_0_1,
  round(json_extract(r.figures, '$.car_0_3'), 4) as car_0_3,
  round(json_extract(r.figures, '$.car_m3_m1'), 4) as pre_drift,
  round(json_extract(r.figures, '$.t_ar0'), 2) as t_stat,
  json_extract(r.figures, '$.test_ar0') as test,
  round(json_extract(r.figures, '$.sector_return'), 4) as sector_return,
  round(json_extract(r.figures, '$.benchmark_return'), 4) as benchmark_return,
  json_extract(r.figures, '$.n_members_with_data') as n_members_with_data,
  r.sector_id,
  r.story_id
from reactions r
join stories s on s.id = r.story_id
left join sectors sec on sec.id = r.sector_id
where trim(:day) = '' or r.event_session = trim(:day)
order by r.event_session desc, abs(json_extract(r.figures, '$.t_ar0')) desc, sector
""".strip()

FIRST_PUBLISHERS_SQL = """
with multi as (
  select id, first_site, first_published_at from stories
  where n_sites >= 2 and first_site is not null
),
present as (
  select a.site, count(distinct m.id) as stories_carried
  from multi m
  join story_articles sa on sa.story_id = m.id
  join articles a on a.id = sa.article_id
  group by a.site
),
lead as (
  select m.id,
         (julianday(min(a.published_at)) - julianday(m.first_published_at)) * 1440 as minutes
  from multi m
  join story_articles sa on sa.story_id = m.id
  join articles a on a.id = sa.article_id
  where a.site != m.first_site and a.published_at is not null
  group by m.id
),
firsts as (
  select m.first_site as site, count(*) as times_first, round(avg(l.minutes), 1) as avg_lead_minutes
  from multi m left join lead l on l.id = m.id
  group by m.first_site
)
select
  p.site,
  coalesce(f.times_first, 0) as times_first,
  p.stories_carried,
  round(100.0 * coalesce(f.times_first, 0) / p.stories_carried, 1) as pct_first,
  f.avg_lead_minutes
from present p
left join firsts f on f.site = p.site
order by times_first desc, pct_first desc, p.stories_carried desc, p.site
""".strip()

SEARCH_SQL = """
select * from (
  select
    a.id as article_id,
    a.site,
    datetime(a.published_at, '+8 hours') as published_shanghai,
    a.title,
    snippet(articles_fts, 1, '[', ']', '…', 16) as snippet,
    a.url
  from articles_fts
  join articles a on a.rowid = articles_fts.rowid
  where length(trim(:q)) >= 3
    and articles_fts match '"' || replace(trim(:q), '"', '""') || '"'
  union all
  select
    a.id,
    a.site,
    datetime(a.published_at, '+8 hours'),
    a.title,
    case when instr(a.text, trim(:q)) > 0
      then '…' || substr(a.text, max(1, instr(a.text, trim(:q)) - 30), 60 + length(trim(:q))) || '…'
      else substr(a.title, 1, 80)
    end,
    a.url
  from articles a
  where length(trim(:q)) between 1 and 2
    and (instr(a.title, trim(:q)) > 0 or instr(a.text, trim(:q)) > 0)
)
order by published_shanghai is null, published_shanghai desc
limit 200
""".strip()

RECENT_JOB_RUNS_SQL = """
select
  id,
  job,
  action,
  status,
  datetime(started_at, '+8 hours') as started_shanghai,
  round((julianday(coalesce(ended_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))) - julianday(started_at)) * 86400, 1) as seconds,
  counts,
  error
from job_runs
where trim(:job) = '' or job = trim(:job)
order by started_at desc, id desc
limit 200
""".strip()

QUERIES: dict[str, dict[str, Any]] = {
    "today_stories": {
        "title": "Stories of the day",
        "description": "Stories first published on a day in Asia/Shanghai (YYYY-MM-DD; empty "
        "means today), most widely carried first, with their sectors.",
        "sql": TODAY_STORIES_SQL,
        "params": ["day"],
    },
    "story_spread": {
        "title": "How one story spread",
        "description": "A story's articles in publication order (Asia/Shanghai): site, minutes "
        "after the first, role (origin, reprint, partial reprint, commentary, related) and "
        "novelty. Documents without a publication time come first.",
        "sql": STORY_SPREAD_SQL,
        "params": ["story_id"],
    },
    "sector_reactions": {
        "title": "Sector reactions by day",
        "description": "Each story x sector event study by trading session (YYYY-MM-DD; empty "
        "means every day), strongest t-statistic first. Returns are fractions (0.012 = 1.2%); "
        "A-share price limits cap daily moves, so a limit-up day understates demand.",
        "sql": SECTOR_REACTIONS_SQL,
        "params": ["day"],
    },
    "first_publishers": {
        "title": "Which site publishes first",
        "description": "Among stories carried by two sites or more: how often each site was "
        "first, out of the stories it carried, and by how many minutes it led the next site "
        "on average.",
        "sql": FIRST_PUBLISHERS_SQL,
    },
    "search": {
        "title": "Full-text search",
        "description": "Articles whose title or text contains the words, newest first. Three "
        "characters or more use the trigram full-text index; one or two characters (e.g. 氢能) "
        "cannot use it and are searched by scanning, which is slower.",
        "sql": SEARCH_SQL,
        "params": ["q"],
    },
    "recent_job_runs": {
        "title": "Recent scheduled runs",
        "description": "The last job runs of newsmon schedule (Asia/Shanghai), of one job "
        "(empty means all).",
        "sql": RECENT_JOB_RUNS_SQL,
        "params": ["job"],
    },
}


def metadata() -> dict[str, Any]:
    """Datasette metadata: title, description, every table and column, the canned queries."""
    return {
        "title": "newsmon",
        "description": "Chinese financial and policy news as it spreads, and what the market "
        "did about it. Read-only. Times are stored in UTC (ISO 8601); the canned queries show "
        "Asia/Shanghai.",
        "databases": {
            DATABASE_NAME: {
                "description": "Articles, stories, sector tags, prices and reactions collected "
                "by newsmon.",
                "tables": copy.deepcopy(TABLES),
                "queries": copy.deepcopy(QUERIES),
            }
        },
    }


# ---------------------------------------------------------------- the server


def _read_only_database_class() -> type:
    from datasette.database import Database

    class ReadOnlyDatabase(Database):
        """Every connection, the write one included, opened read-only."""

        def connect(self, write: bool = False) -> sqlite3.Connection:
            uri = Path(self.path).resolve().as_uri()
            uri += "?mode=ro" if self.is_mutable else "?immutable=1"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            # no ATTACH, VACUUM INTO or load_extension from a query either (Datasette
            # itself lets users run SELECT alone, and runs introspection PRAGMAs)
            guard(conn, pragmas=None)
            self._all_file_connections.append(conn)
            return conn

    return ReadOnlyDatabase


def make_datasette(
    path: str | Path,
    *,
    immutable: bool = False,
    metadata_overrides: dict[str, Any] | None = None,
) -> Any:
    """A Datasette instance over the database file at /newsmon, read-only."""
    from datasette.app import Datasette

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such database file")
    meta = metadata()
    if metadata_overrides:
        meta = _merge(meta, metadata_overrides)
    ds = Datasette(
        [],
        metadata=meta,
        settings={name: s.value for name, s in SETTINGS.items()},
    )
    if "_memory" in ds.databases:
        ds.remove_database("_memory")
    db_class = _read_only_database_class()
    ds.add_database(db_class(ds, path=str(path), is_mutable=not immutable), name=DATABASE_NAME)
    return ds


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


#: the names a server on loopback answers to; anything else may be DNS rebinding
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def allowed_hosts(host: str) -> frozenset[str]:
    """Host header names (without port) the server answers: loopback names, and the bound host."""
    names = set(LOOPBACK_NAMES) if is_loopback(host) or host in ("0.0.0.0", "::") else set()
    if host not in ("0.0.0.0", "::"):
        names.add(host.lower())
    return frozenset(names)


def host_guard(app: Any, names: frozenset[str]) -> Any:
    """ASGI middleware: a request whose Host header is not one of ``names`` gets 421.

    A page on another site that points its own name at 127.0.0.1 (DNS rebinding)
    sends its own name as Host: refusing unknown names keeps it from reading the data.
    """

    async def guarded(scope, receive, send):
        if scope["type"] == "http":
            header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            name = header.lower()
            if name.startswith("["):
                name = name[: name.find("]") + 1]
            elif name.count(":") == 1:
                name = name.split(":", 1)[0]
            if name not in names:
                body = f"Host {header!r} is not served here\n".encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 421,
                        "headers": [
                            (b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded


def serve(
    path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    immutable: bool = False,
    warn: Any = None,
) -> None:
    """Serve the database with Datasette until interrupted, to the bound host's name only.

    ``warn(message)`` is told when the server listens beyond loopback.
    """
    import uvicorn

    ds = make_datasette(path, immutable=immutable)
    _check_port_free(host, port)
    if not is_loopback(host) and warn is not None:
        warn(
            f"listening on {host}: anyone who can reach this machine on port {port} "
            "can read the whole database"
        )
    asyncio.run(ds.invoke_startup())
    app = host_guard(ds.app(), allowed_hosts(host))
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="on", workers=1)
