"""The schema, as sqlite-utils Migrations: one function per change, never edited once landed.

An older database file is upgraded in place by applying the pending functions in
order; rows are kept. Times are ISO 8601 UTC text ("2022-07-08T02:06:12Z").
"""

from __future__ import annotations

import sqlite3
import time

from sqlite_utils import Database, Migrations

migrations = Migrations("newsmon")

#: tries at taking the write lock to migrate; each try waits up to the busy timeout
MIGRATION_LOCK_TRIES = 5


def _lock(db: Database) -> None:
    """BEGIN EXCLUSIVE, trying again while another process holds the lock."""
    for attempt in range(MIGRATION_LOCK_TRIES):
        try:
            db.conn.execute("BEGIN EXCLUSIVE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == MIGRATION_LOCK_TRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def apply_migrations(db: Database) -> list[str]:
    """Bring the schema up to date; returns the names of the migrations applied.

    Finding what is pending and applying it happen in one transaction that holds the
    write lock from its start (BEGIN EXCLUSIVE), so processes that open a new file at
    the same moment take turns: the first applies every migration, each of the others
    then finds nothing pending. (Without the lock, two of them both see a migration
    pending and the second fails: "table ... already exists", "duplicate column name".)
    Each migration runs in a savepoint inside that transaction; one that fails rolls
    everything back and raises. An up-to-date database takes no lock at all.
    """
    if not migrations.pending(db):
        return []
    _lock(db)
    try:
        names = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")
    return names


@migrations()
def m001_initial(db: Database) -> None:
    db["articles"].create(
        {
            "id": str,  # first 16 hex of sha1(key)
            "key": str,  # canonical URL, or sha256:<hash of the matching text> without a URL
            "url": str,
            "canonical_url": str,
            "site": str,
            "kind": str,
            "title": str,
            "author": str,
            "editor": str,
            "source": str,
            "published_at": str,
            "document_date": str,
            "doc_number": str,
            "text": str,
            "text_match": str,
            "content_hash": str,
            "origin_links": str,  # JSON [{url, anchor}]
            "cited_titles": str,  # JSON [str]
            "site_stock_tags": str,  # JSON [{code, anchor, source}]
            "meta": str,  # JSON
            "first_seen_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"key", "site", "kind"},
    )
    db["articles"].create_index(["key"], unique=True)
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["site"])

    db["crawl_runs"].create(
        {
            "id": int,
            "spider": str,
            "started_at": str,
            "ended_at": str,
            "status": str,
            "pages": int,
            "new": int,
            "unchanged": int,
            "failed": int,
            "errors": str,
        },
        pk="id",
    )
    db["raw_pages"].create(
        {
            "id": int,
            "url": str,
            "fetched_at": str,
            "status": int,
            "headers": str,
            "body": bytes,  # zlib-compressed
            "body_sha256": str,
            "article_id": str,
            "crawl_run_id": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("crawl_run_id", "crawl_runs", "id")],
    )
    db["raw_pages"].create_index(["url", "body_sha256"], unique=True)

    db["job_runs"].create(
        {
            "id": int,
            "job": str,
            "action": str,
            "started_at": str,
            "ended_at": str,
            "status": str,
            "counts": str,
            "error": str,
        },
        pk="id",
    )
    db["stories"].create(
        {
            "id": str,
            "title": str,
            "origin_article_id": str,
            "first_article_id": str,
            "first_published_at": str,
            "first_site": str,
            "n_articles": int,
            "n_sites": int,
            "updated_at": str,
        },
        pk="id",
    )
    db["article_relations"].create(
        {
            "a": str,
            "b": str,
            "relation": str,
            "jaccard": float,
            "containment": float,
            "score": float,
            "evidence": str,
        },
        pk=("a", "b"),
        foreign_keys=[("a", "articles", "id"), ("b", "articles", "id")],
    )
    db["tags"].create(
        {
            "article_id": str,
            "kind": str,  # stock | sector
            "code": str,
            "name": str,
            "confidence": float,
            "evidence": str,
            "reason": str,
        },
        pk=("article_id", "kind", "code"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["sectors"].create(
        {"id": str, "name": str, "name_zh": str, "keywords": str, "benchmark": str, "note": str},
        pk="id",
    )
    db["sector_members"].create(
        {"sector_id": str, "ticker": str, "name": str, "weight": float},
        pk=("sector_id", "ticker"),
        foreign_keys=[("sector_id", "sectors", "id")],
    )
    db["prices"].create(
        {
            "ticker": str,
            "date": str,
            "adjusted": str,
            "open": float,
            "high": float,
            "low": float,
            "close": float,
            "volume": float,
            "amount": float,
            "source": str,
            "fetched_at": str,
        },
        pk=("ticker", "date", "adjusted"),
    )
    db["reactions"].create(
        {
            "story_id": str,
            "sector_id": str,
            "event_time": str,
            "event_session": str,
            "figures": str,  # JSON
            "computed_at": str,
        },
        pk=("story_id", "sector_id"),
    )
    db["digests"].create(
        {"date": str, "generated_at": str, "n_stories": int, "markdown": str, "html_path": str},
        pk="date",
    )


@migrations()
def m002_search_and_document_fields(db: Database) -> None:
    """Full-text search (trigram: works for Chinese), document metadata, parser diagnostics."""
    articles = db["articles"]
    for column, kind in [
        ("issuer", str),
        ("parser", str),
        ("missing", str),  # JSON {field: why it could not be read}
        ("parent_id", str),  # an attachment's page
        ("published_at_candidates", str),  # JSON {source: raw value}
    ]:
        articles.add_column(column, kind)
    articles.enable_fts(["title", "text"], tokenize="trigram", create_triggers=True)


@migrations()
def m003_crawl_detail_and_story_tables(db: Database) -> None:
    """Crawl runs say why; raw pages keep their charset; stories keep members and signatures."""
    for column, kind in [("updated", int), ("refetched", int), ("reason", str), ("stats", str)]:
        db["crawl_runs"].add_column(column, kind)
    db["raw_pages"].add_column("encoding", str)
    db["raw_pages"].add_column("truncated", int)
    db["story_articles"].create(
        {"article_id": str, "story_id": str, "role": str, "novelty": float, "score": float},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id"), ("story_id", "stories", "id")],
    )
    db["story_articles"].create_index(["story_id"])
    db["signatures"].create(
        {"article_id": str, "scheme": str, "n_shingles": int, "signature": bytes},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["stories"].add_column("official_origin_url", str)
    db["stories"].add_column("meta", str)
    db["story_tags"].create(
        {
            "story_id": str,
            "kind": str,
            "code": str,
            "name": str,
            "relevance": float,
            "evidence": str,
        },
        pk=("story_id", "kind", "code"),
        foreign_keys=[("story_id", "stories", "id")],
    )
    db["bars"].create(
        {
            "ticker": str,
            "ts": str,  # bar start, UTC
            "interval": str,
            "open": float,
            "high": float,
            "low": float,
            "close": float,
            "volume": float,
            "source": str,
        },
        pk=("ticker", "interval", "ts"),
    )


@migrations()
def m004_calendar_years(db: Database) -> None:
    # exchange holidays past exchange_calendars' years: one row per year, from a State
    # Council notice (a crawled article or an imported file)
    db["calendar_years"].create(
        {
            "year": int,
            "source": str,  # "notice article" | "file"
            "ref": str,  # the article's URL or the file's path
            "closed_days": str,  # JSON [YYYY-MM-DD]: weekdays the exchanges close
            "work_days": str,  # JSON [YYYY-MM-DD]: weekend days worked in exchange
            "arrangement": str,  # JSON: the parsed holidays, with their sentences
            "imported_at": str,
        },
        pk="year",
        not_null={"source", "closed_days"},
    )


@migrations()
def m005_lookup_indexes(db: Database) -> None:
    """An index for every hot lookup (tests/test_query_plans.py checks each query's plan).

    Articles by URL and canonical URL (the stored-article check of every crawl request,
    and the upsert) and by content hash; crawl runs by spider (a run's opening, the
    runner's progress and result); job runs by job, newest first; reactions by trading
    session and stories by their Asia/Shanghai day (the daily listings and digest).
    """
    db["articles"].create_index(["url"])
    db["articles"].create_index(["canonical_url"])
    db["articles"].create_index(["content_hash"])
    db["crawl_runs"].create_index(["spider"])
    db["job_runs"].create_index(["job", "started_at"])
    db["reactions"].create_index(["event_session"])
    # the expression load_stories(day_shanghai=...) and the canned queries filter on
    db.execute(
        "create index idx_stories_day_shanghai on stories (date(first_published_at, '+8 hours'))"
    )


@migrations()
def m006_story_outlets(db: Database) -> None:
    """Stories name outlets: each member's outlet (config/outlets.toml), its display
    name and the outlet its declared source names; the first publisher's name."""
    for column in ("outlet", "outlet_name", "source_outlet"):
        db["story_articles"].add_column(column, str)
    db["stories"].add_column("first_site_name", str)


@migrations()
def m007_frontier_and_run_liveness(db: Database) -> None:
    """The crawl frontier: every URL a crawl wants, with its state (pending, done, retry,
    gone), attempts, last error and next attempt; crawl runs name their process (pid,
    host) and write a heartbeat, so a run whose process is gone is found."""
    db["frontier"].create(
        {
            "url": str,  # the document's live URL (a JSON API's document: the document's URL)
            "spider": str,  # the spider that wants it (and fetches it when due)
            "role": str,  # article | origin | attachment | discovery
            "state": str,  # pending | done | retry | gone
            "attempts": int,
            "last_status": int,  # the last HTTP status, if any
            "last_error": str,
            "next_attempt_at": str,
            "first_seen_at": str,
            "last_attempt_at": str,
            "done_at": str,
            "article_id": str,
            "parent_url": str,  # the page an origin or attachment was found on
            "request": str,  # JSON: how to ask for it again (callback, meta, body)
        },
        pk="url",
        not_null={"spider", "role", "state"},
        defaults={"attempts": 0},
    )
    db["frontier"].create_index(["spider", "state", "next_attempt_at"])
    db["frontier"].create_index(["state"])
    for column, kind in (("pid", int), ("host", str), ("heartbeat_at", str)):
        db["crawl_runs"].add_column(column, kind)
    db["crawl_runs"].create_index(["status"])


def _m008_document_key(site, source, title, time, text_match) -> str:
    """The document key as m008 computed it (kept here: a landed migration never changes)."""
    import hashlib
    import json

    parts = [site or "", source or "", " ".join((title or "").split()), time or ""]
    if not source:
        parts.append(hashlib.sha256((text_match or "").encode("utf-8")).hexdigest())
    payload = json.dumps(parts, ensure_ascii=False)
    return "doc:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


@migrations()
def m008_document_keys(db: Database) -> None:
    """Documents without a URL were keyed by a hash of their text, so two sites' identical
    texts were one article. Their key becomes their source (site, file, title, time; the
    text too when there is no file); ids stay as they were. Two rows that would share a
    key keep their old ones."""
    import json

    rows = db.execute(
        "select id, site, meta, title, published_at, document_date, text_match from articles "
        "where key like 'sha256:%'"
    ).fetchall()
    taken = {r[0] for r in db.execute("select key from articles where key like 'doc:%'")}
    for aid, site, meta, title, published_at, document_date, text_match in rows:
        try:
            source = (json.loads(meta) if meta else {}).get("import_file")
        except (json.JSONDecodeError, AttributeError):
            source = None
        key = _m008_document_key(site, source, title, published_at or document_date, text_match)
        if key in taken:
            continue
        taken.add(key)
        db.execute("update articles set key = ? where id = ?", [key, aid])


@migrations()
def m009_adjustment_factors_and_stock_reactions(db: Database) -> None:
    """Prices keep the provider's adjustment factor (close x adj_factor is the adjusted
    close); each story's named companies get their own reaction rows, looked up by story
    and by trading session like the sectors'."""
    db["prices"].add_column("adj_factor", float)
    db["stock_reactions"].create(
        {
            "story_id": str,
            "ticker": str,
            "name": str,
            "event_time": str,
            "event_session": str,
            "figures": str,  # JSON
            "computed_at": str,
        },
        pk=("story_id", "ticker"),
    )
    db["stock_reactions"].create_index(["event_session"])


@migrations()
def m010_raw_pages_by_article(db: Database) -> None:
    # re-extraction reads each article's newest archived response
    db["raw_pages"].create_index(["article_id", "id"])


@migrations()
def m011_stored_story_index(db: Database) -> None:
    """Story detection updates only what new articles touch: each indexed article's
    handle, hub key and indexed state; the citation keys it owns or cites; where the
    key index is (see newsmon.db.stories); relations by either end; the queue of
    articles written since the last update."""
    db.execute(
        """create table story_items (
            handle integer primary key,
            article_id text not null unique,
            hub integer,
            n_shingles integer,
            state text,
            indexed_at text,
            story_id text
        )"""
    )
    db.execute("create index idx_story_items_story on story_items (story_id)")
    db.execute(
        """create table story_citations (
            key text not null,
            handle integer not null,
            own integer not null,
            primary key (key, own, handle)
        ) without rowid"""
    )
    db.execute("create index idx_story_citations_handle on story_citations (handle)")
    db["story_index"].create({"name": str, "value": str}, pk="name")
    db["article_relations"].create_index(["b"])
    # every article written or deleted is queued for story detection, in the writer's
    # own transaction: an update reads the queue, never a scan of the articles
    db.execute("create table story_queue (seq integer primary key, article_id text not null)")
    for event, row in (("insert", "new"), ("update", "new"), ("delete", "old")):
        db.execute(
            f"""create trigger articles_story_queue_{event} after {event} on articles
                begin insert into story_queue (article_id) values ({row}.id); end"""
        )
    db.execute("insert into story_queue (article_id) select id from articles order by id")


@migrations()
def m012_articles_by_update_time(db: Database) -> None:
    # the articles written since a time (tagging what a crawl stored) without a scan
    db["articles"].create_index(["updated_at"], if_not_exists=True)


@migrations()
def m013_story_edges_by_handle(db: Database) -> None:
    # the verified relations by story handle, beside article_relations (by article id,
    # for people and SQL): an update reads a touched story's relations from one range
    # of an integer key instead of three joins per row
    db.execute(
        """create table if not exists story_edges (
            a integer not null,
            b integer not null,
            relation text,
            jaccard real,
            containment real,
            score real,
            primary key (a, b)
        ) without rowid"""
    )
    db.execute("create index if not exists idx_story_edges_b on story_edges (b)")
    db.execute(
        """insert or replace into story_edges (a, b, relation, jaccard, containment, score)
           select ia.handle, ib.handle, r.relation, r.jaccard, r.containment, r.score
           from article_relations r
           join story_items ia on ia.article_id = r.a
           join story_items ib on ib.article_id = r.b"""
    )
