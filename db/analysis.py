"""Saving and loading what analysis computes: stories, relations, tags, sectors, prices, reactions, digests.

Each save replaces what it recomputes, inside one transaction, so a re-run never
duplicates and a failure leaves the previous result in place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

from newsmon.db.articles import utc_now


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# ---------------------------------------------------------------- stories


def save_signatures(db: Database, rows: Iterable[dict[str, Any]]) -> None:
    """Persisted MinHash signatures: article_id, scheme, n_shingles, signature (bytes)."""
    db["signatures"].upsert_all(list(rows), pk="article_id")


def load_signatures(db: Database, scheme: str | None = None) -> list[dict[str, Any]]:
    if scheme is None:
        return [dict(r) for r in db.query("select * from signatures order by article_id")]
    return [
        dict(r)
        for r in db.query("select * from signatures where scheme = ? order by article_id", [scheme])
    ]


def replace_stories(
    db: Database,
    stories: Sequence[dict[str, Any]],
    members: Sequence[dict[str, Any]],
    relations: Sequence[dict[str, Any]],
) -> None:
    """Replace all stories, memberships and relations (stories are recomputed whole)."""
    now = utc_now()
    with db.atomic():
        db.execute("delete from story_articles")
        db.execute("delete from article_relations")
        db.execute("delete from story_tags")
        db.execute("delete from stories")
        rows = []
        for s in stories:
            row = dict(s)
            for key in ("meta",):
                if key in row and not isinstance(row[key], str | type(None)):
                    row[key] = _json(row[key])
            row["updated_at"] = now
            rows.append(row)
        db["stories"].upsert_all(rows, pk="id", alter=False)
        db["story_articles"].upsert_all(list(members), pk="article_id", alter=False)
        rel_rows = []
        for r in relations:
            row = dict(r)
            if not isinstance(row.get("evidence"), str | type(None)):
                row["evidence"] = _json(row["evidence"])
            rel_rows.append(row)
        db["article_relations"].upsert_all(rel_rows, pk=("a", "b"), alter=False)


def load_stories(
    db: Database, *, day_shanghai: str | None = None, ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Stories, newest first publication first; optionally those first published on a
    Shanghai day, or those of these ids (read by id: a crawl's touched stories)."""
    if ids is not None:
        found: list[dict[str, Any]] = []
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            found += [
                dict(r)
                for r in db.query(
                    f"select * from stories where id in ({','.join('?' * len(part))})", part
                )
            ]
        found.sort(key=lambda r: r["id"])
        found.sort(key=lambda r: r.get("first_published_at") or "", reverse=True)
        found.sort(key=lambda r: r.get("first_published_at") is None)
        for row in found:
            if isinstance(row.get("meta"), str):
                row["meta"] = json.loads(row["meta"])
        return found
    if day_shanghai:
        rows = db.query(
            "select * from stories where date(first_published_at, '+8 hours') = ? "
            "order by first_published_at desc, id",
            [day_shanghai],
        )
    else:
        rows = db.query(
            "select * from stories order by first_published_at is null, first_published_at desc, id"
        )
    out = []
    for r in rows:
        row = dict(r)
        if isinstance(row.get("meta"), str):
            row["meta"] = json.loads(row["meta"])
        out.append(row)
    return out


def load_story_members(db: Database, story_id: str) -> list[dict[str, Any]]:
    """A story's articles with their role and scores, in publication order (unknown times first: documents)."""
    sql = """
        select a.id as article_id, a.site, a.kind, a.title, a.url, a.published_at, a.document_date,
               a.doc_number, a.source, sa.role, sa.novelty, sa.score, sa.outlet, sa.outlet_name,
               sa.source_outlet
        from story_articles sa join articles a on a.id = sa.article_id
        where sa.story_id = ?
        order by a.published_at is not null, a.published_at, a.id
    """
    return [dict(r) for r in db.query(sql, [story_id])]


def load_story_article_ids(db: Database) -> list[dict[str, Any]]:
    """Every story membership as ``story_id``, ``article_id``, in the order stored."""
    return [
        dict(r) for r in db.query("select story_id, article_id from story_articles order by rowid")
    ]


def update_story_meta(db: Database, story_id: str, extra: dict[str, Any]) -> None:
    """Merge ``extra`` into a story's ``meta`` (its keys replace those stored)."""
    row = db.execute("select meta from stories where id = ?", [story_id]).fetchone()
    if row is None:
        return
    stored = json.loads(row[0]) if row[0] else {}
    db["stories"].update(story_id, {"meta": json.dumps({**stored, **extra}, ensure_ascii=False)})


# ---------------------------------------------------------------- tags and sectors


def save_sectors(
    db: Database, sectors: Sequence[dict[str, Any]], members: Sequence[dict[str, Any]]
) -> None:
    """The sector taxonomy from newsmon.config: replaced whole, so a removed member disappears."""
    with db.atomic():
        db.execute("delete from sector_members")
        rows = []
        for s in sectors:
            row = dict(s)
            if not isinstance(row.get("keywords"), str | type(None)):
                row["keywords"] = _json(row["keywords"])
            rows.append(row)
        db["sectors"].upsert_all(rows, pk="id", alter=False)
        db["sector_members"].upsert_all(list(members), pk=("sector_id", "ticker"), alter=False)


def replace_article_tags(db: Database, article_id: str, tags: Sequence[dict[str, Any]]) -> None:
    with db.atomic():
        db.execute("delete from tags where article_id = ?", [article_id])
        rows = []
        for t in tags:
            row = {"article_id": article_id, **t}
            if not isinstance(row.get("evidence"), str | type(None)):
                row["evidence"] = _json(row["evidence"])
            rows.append(row)
        db["tags"].upsert_all(rows, pk=("article_id", "kind", "code"), alter=False)


def replace_story_tags(db: Database, story_id: str, tags: Sequence[dict[str, Any]]) -> None:
    with db.atomic():
        db.execute("delete from story_tags where story_id = ?", [story_id])
        rows = []
        for t in tags:
            row = {"story_id": story_id, **t}
            if not isinstance(row.get("evidence"), str | type(None)):
                row["evidence"] = _json(row["evidence"])
            rows.append(row)
        db["story_tags"].upsert_all(rows, pk=("story_id", "kind", "code"), alter=False)


def load_tags(
    db: Database, *, article_id: str | None = None, story_id: str | None = None
) -> list[dict[str, Any]]:
    if story_id is not None:
        rows = db.query(
            "select * from story_tags where story_id = ? order by kind, relevance desc, code",
            [story_id],
        )
    elif article_id is not None:
        rows = db.query(
            "select * from tags where article_id = ? order by kind, confidence desc, code",
            [article_id],
        )
    else:
        rows = db.query("select * from tags order by article_id, kind, code")
    out = []
    for r in rows:
        row = dict(r)
        if isinstance(row.get("evidence"), str):
            try:
                row["evidence"] = json.loads(row["evidence"])
            except json.JSONDecodeError:
                pass
        out.append(row)
    return out


def load_sectors(db: Database) -> list[dict[str, Any]]:
    sectors = []
    for r in db.query("select * from sectors order by id"):
        row = dict(r)
        row["keywords"] = json.loads(row["keywords"]) if row.get("keywords") else []
        row["members"] = [
            dict(m)
            for m in db.query(
                "select ticker, name, weight from sector_members where sector_id = ? order by ticker",
                [row["id"]],
            )
        ]
        sectors.append(row)
    return sectors


# ---------------------------------------------------------------- prices


PRICE_COLUMNS = (
    "ticker",
    "date",
    "adjusted",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "amount",
    "source",
    "adj_factor",
)
#: the stored values of a price row compared to tell an update from no change
_PRICE_VALUES = ("open", "high", "low", "close", "volume", "amount", "source", "adj_factor")


def save_prices(db: Database, rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Upsert daily bars keyed by (ticker, date, adjusted); returns counts new / updated / unchanged.

    ``adjusted`` is "none" (traded prices, with the provider's ``adj_factor`` when it
    gives one), "qfq", "hfq" or "yahoo_adj": a ticker may have rows of several kinds."""
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    now = utc_now()
    with db.atomic():
        for row in rows:
            clean = {c: row.get(c) for c in PRICE_COLUMNS}
            existing = db.execute(
                f"select {', '.join(_PRICE_VALUES)} from prices "
                "where ticker = ? and date = ? and adjusted = ?",
                [clean["ticker"], clean["date"], clean["adjusted"]],
            ).fetchone()
            values = tuple(clean[c] for c in _PRICE_VALUES)
            if existing is not None and tuple(existing) == values:
                counts["unchanged"] += 1
                continue
            clean["fetched_at"] = now
            db["prices"].upsert(clean, pk=("ticker", "date", "adjusted"), alter=False)
            counts["updated" if existing else "new"] += 1
    return counts


def load_prices(
    db: Database,
    tickers: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> list[dict[str, Any]]:
    clauses, params = [], []
    if tickers is not None:
        clauses.append(f"ticker in ({','.join('?' * len(tickers))})")
        params.extend(tickers)
    if start:
        clauses.append("date >= ?")
        params.append(start)
    if end:
        clauses.append("date <= ?")
        params.append(end)
    where = ("where " + " and ".join(clauses)) if clauses else ""
    return [
        dict(r) for r in db.query(f"select * from prices {where} order by ticker, date", params)
    ]


def price_coverage(db: Database) -> list[dict[str, Any]]:
    sql = """
        select ticker, adjusted, min(date) as first, max(date) as last, count(*) as days, group_concat(distinct source) as sources
        from prices group by ticker, adjusted order by ticker
    """
    return [dict(r) for r in db.query(sql)]


# ---------------------------------------------------------------- minute bars

BAR_COLUMNS = ("ticker", "ts", "interval", "open", "high", "low", "close", "volume", "source")


def save_bars(db: Database, rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Upsert minute bars keyed by (ticker, interval, ts: the bar's start, UTC text);
    returns counts new / updated / unchanged."""
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    values = BAR_COLUMNS[3:]
    with db.atomic():
        for row in rows:
            clean = {c: row.get(c) for c in BAR_COLUMNS}
            existing = db.execute(
                f"select {', '.join(values)} from bars where ticker = ? and interval = ? and ts = ?",
                [clean["ticker"], clean["interval"], clean["ts"]],
            ).fetchone()
            if existing is not None and tuple(existing) == tuple(clean[c] for c in values):
                counts["unchanged"] += 1
                continue
            db["bars"].upsert(clean, pk=("ticker", "interval", "ts"), alter=False)
            counts["updated" if existing else "new"] += 1
    return counts


def load_bars(
    db: Database,
    tickers: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    interval: str | None = None,
) -> list[dict[str, Any]]:
    """Stored minute bars starting in ``[start, end)`` (UTC text), by ticker, interval, ts."""
    clauses, params = [], []
    if tickers is not None:
        clauses.append(f"ticker in ({','.join('?' * len(tickers))})")
        params.extend(tickers)
    if start:
        clauses.append("ts >= ?")
        params.append(start)
    if end:
        clauses.append("ts < ?")
        params.append(end)
    if interval:
        clauses.append("interval = ?")
        params.append(interval)
    where = ("where " + " and ".join(clauses)) if clauses else ""
    cols = ", ".join(BAR_COLUMNS)
    return [
        dict(r)
        for r in db.query(f"select {cols} from bars {where} order by ticker, interval, ts", params)
    ]


def bar_coverage(db: Database) -> list[dict[str, Any]]:
    """Per ticker and interval: first and last bar start, number of bars and sources."""
    sql = """
        select ticker, interval, min(ts) as first, max(ts) as last, count(*) as bars,
               group_concat(distinct source) as sources
        from bars group by ticker, interval order by ticker, interval
    """
    return [dict(r) for r in db.query(sql)]


# ---------------------------------------------------------------- reactions and digests


def replace_reactions(db: Database, story_id: str, rows: Sequence[dict[str, Any]]) -> None:
    now = utc_now()
    with db.atomic():
        db.execute("delete from reactions where story_id = ?", [story_id])
        out = []
        for r in rows:
            row = dict(r)
            row["story_id"] = story_id
            if not isinstance(row.get("figures"), str | type(None)):
                row["figures"] = _json(row["figures"])
            row["computed_at"] = now
            out.append(row)
        db["reactions"].upsert_all(out, pk=("story_id", "sector_id"), alter=False)


def load_reactions(
    db: Database, *, story_id: str | None = None, day_shanghai: str | None = None
) -> list[dict[str, Any]]:
    sql = """
        select r.*, s.title as story_title, s.first_published_at, sec.name as sector_name, sec.name_zh as sector_name_zh
        from reactions r join stories s on s.id = r.story_id left join sectors sec on sec.id = r.sector_id
    """
    clauses, params = [], []
    if story_id:
        clauses.append("r.story_id = ?")
        params.append(story_id)
    if day_shanghai:
        clauses.append("r.event_session = ?")
        params.append(day_shanghai)
    if clauses:
        sql += " where " + " and ".join(clauses)
    sql += " order by r.event_session desc, r.story_id, r.sector_id"
    out = []
    for r in db.query(sql, params):
        row = dict(r)
        row["figures"] = json.loads(row["figures"]) if row.get("figures") else {}
        out.append(row)
    return out


def replace_stock_reactions(db: Database, story_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """A story's per-stock reactions (``story_id``, ``ticker``, ``name``, ``event_time``,
    ``event_session``, ``figures``), replaced whole."""
    now = utc_now()
    with db.atomic():
        db.execute("delete from stock_reactions where story_id = ?", [story_id])
        out = []
        for r in rows:
            row = dict(r)
            row["story_id"] = story_id
            if not isinstance(row.get("figures"), str | type(None)):
                row["figures"] = _json(row["figures"])
            row["computed_at"] = now
            out.append(row)
        db["stock_reactions"].upsert_all(out, pk=("story_id", "ticker"), alter=False)


def load_stock_reactions(
    db: Database, *, story_id: str | None = None, day_shanghai: str | None = None
) -> list[dict[str, Any]]:
    """Per-stock reactions of one story or one event session (trading day), newest session
    first, then by story and ticker; ``figures`` decoded."""
    sql = """
        select r.*, s.title as story_title
        from stock_reactions r join stories s on s.id = r.story_id
    """
    clauses, params = [], []
    if story_id:
        clauses.append("r.story_id = ?")
        params.append(story_id)
    if day_shanghai:
        clauses.append("r.event_session = ?")
        params.append(day_shanghai)
    if clauses:
        sql += " where " + " and ".join(clauses)
    sql += " order by r.event_session desc, r.story_id, r.ticker"
    out = []
    for r in db.query(sql, params):
        row = dict(r)
        row["figures"] = json.loads(row["figures"]) if row.get("figures") else {}
        out.append(row)
    return out


def save_digest(db: Database, row: dict[str, Any]) -> None:
    db["digests"].upsert({**row, "generated_at": utc_now()}, pk="date", alter=False)


def load_digests(db: Database, limit: int = 30) -> list[dict[str, Any]]:
    return [dict(r) for r in db.query("select * from digests order by date desc limit ?", [limit])]
