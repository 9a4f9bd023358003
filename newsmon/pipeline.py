"""The analysis steps over what is stored: stories, tags, prices, reactions, digests.

Each step loads from the database, calls pure functions in analysis/, and saves
through db/; each can be re-run and gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from newsmon.db.analysis import load_signatures, replace_stories, save_signatures
from newsmon.db.articles import load_articles

Echo = Callable[[str], None]


def story_record(article: dict[str, Any]) -> dict[str, Any]:
    """The fields story detection reads, from a stored article."""
    return {
        "id": article["id"],
        "site": article["site"],
        "kind": article["kind"],
        "title": article.get("title") or "",
        "text": article.get("text") or "",
        "published_at": article.get("published_at"),
        "document_date": article.get("document_date"),
        "source": article.get("source"),
        "url": article.get("url"),
        "canonical_url": article.get("canonical_url"),
        "content_hash": article.get("content_hash"),
        "origin_links": [link["url"] for link in article.get("origin_links") or []],
        "cited_titles": article.get("cited_titles") or [],
        "doc_number": article.get("doc_number"),
    }


def update_stories(db: Database) -> dict[str, int]:
    """Bring stories up to date with every stored article.

    The index is rebuilt from the stored signatures (shingling and MinHash are
    computed once per article and kept); only articles without a current
    signature are fingerprinted. Stories are a function of the set of articles,
    not of the order they arrived in, so rebuilding gives the same stories.
    """
    from newsmon.analysis.stories import SIGNATURE_SCHEME, StoryIndex

    records = [story_record(a) for a in load_articles(db)]
    stored = {s["article_id"]: s["signature"] for s in load_signatures(db, SIGNATURE_SCHEME)}
    index = StoryIndex.from_signatures(records, stored)
    fresh = [r["id"] for r in records if stored.get(r["id"]) != index.signature(r["id"])]
    stories = index.stories()
    roles = index.roles()
    relations = index.relations()
    story_rows = [
        {
            "id": s["story_id"],
            "title": s.get("title"),
            "origin_article_id": s.get("official_origin") or s.get("origin"),
            "first_article_id": s.get("first_id"),
            "first_published_at": s.get("first_published_at"),
            "first_site": s.get("first_site"),
            "n_articles": s.get("n_articles"),
            "n_sites": s.get("n_sites"),
            "official_origin_url": s.get("official_origin_url"),
            "meta": {
                "sites": s.get("sites"),
                "n_records": s.get("n_records"),
                "origin": s.get("origin"),
            },
        }
        for s in stories
    ]
    members = [
        {
            "article_id": aid,
            "story_id": r["story_id"],
            "role": r["role"],
            "novelty": r["novelty"],
            "score": r["score"],
        }
        for aid, r in roles.items()
    ]
    with db.atomic():
        save_signatures(
            db,
            [
                {
                    "article_id": aid,
                    "scheme": SIGNATURE_SCHEME,
                    "n_shingles": None,
                    "signature": index.signature(aid),
                }
                for aid in fresh
            ],
        )
        replace_stories(db, story_rows, members, relations)
    return {
        "articles": len(records),
        "fingerprinted": len(fresh),
        "stories": len(stories),
        "relations": len(relations),
    }


def analyze(
    db: Database, config: Any, echo: Echo = lambda _: None, day: str | None = None
) -> dict[str, Any]:
    """Stories, then tags, then reactions: everything derived brought up to date."""
    out: dict[str, Any] = {"stories": update_stories(db)}
    echo(
        "stories: {stories} from {articles} articles ({fingerprinted} fingerprinted, {relations} relations)".format(
            **out["stories"]
        )
    )
    taxonomy = sync_sectors(db, config)
    out["tags"] = tag_articles(db, config, taxonomy)
    echo(
        "tags: {stock} stock and {sector} sector tags on {articles} articles, {stories} stories".format(
            **out["tags"]
        )
    )
    out["reactions"] = compute_reactions(db, config, day=day, taxonomy=taxonomy)
    echo(
        "reactions: {rows} story x sector rows ({missing} without prices)".format(
            **out["reactions"]
        )
    )
    return out


# ---------------------------------------------------------------- tags


#: a story's sector tag at or above this relevance gets an event study
REACTION_MIN_RELEVANCE = 30
#: the all-A-share list whose short names and codes stock tagging matches
COMPANY_LIST = "market/eastmoney_industry_tags_all_ashares_asof_2024-06.csv"


def load_company_table():
    """The packaged company list (code, name, ticker) for stock tagging."""
    from importlib import resources

    import pandas as pd

    from newsmon.analysis.tagging import company_table

    with (resources.files("newsmon") / "data" / COMPANY_LIST).open("rb") as fh:
        listing = pd.read_csv(fh, dtype=str)
    return company_table(listing)


def sync_sectors(db: Database, config: Any) -> dict[str, dict[str, Any]]:
    """The sector taxonomy from newsmon.config, validated, stored in sectors / sector_members."""
    from newsmon.analysis.tagging import sector_taxonomy
    from newsmon.db.analysis import save_sectors

    taxonomy = sector_taxonomy(config.get("sectors", {}) or {})
    sectors = [
        {
            "id": sid,
            "name": t["name"],
            "name_zh": t.get("name_zh"),
            "keywords": t["keywords"],
            "benchmark": t.get("benchmark") or config["prices.benchmark"],
            "note": t.get("note"),
        }
        for sid, t in taxonomy.items()
    ]
    members = [
        {
            "sector_id": sid,
            "ticker": m["ticker"],
            "name": m.get("name"),
            "weight": m.get("weight", 1.0),
        }
        for sid, t in taxonomy.items()
        for m in t["members"]
    ]
    save_sectors(db, sectors, members)
    return taxonomy


def tag_articles(
    db: Database, config: Any, taxonomy: dict[str, dict[str, Any]] | None = None
) -> dict[str, int]:
    """Stock and sector tags per article (with evidence), rolled up per story.

    ``taxonomy``: as sync_sectors returns it (synced from newsmon.config when not given).
    """
    from newsmon.analysis.tagging import company_matcher, rollup_story_tags, sector_tags, stock_tags
    from newsmon.db.analysis import replace_article_tags, replace_story_tags

    taxonomy = taxonomy if taxonomy is not None else sync_sectors(db, config)
    matcher = company_matcher(load_company_table())
    counts = {"articles": 0, "stock": 0, "sector": 0, "stories": 0}
    by_article: dict[str, list[dict[str, Any]]] = {}
    for a in load_articles(db):
        stocks = stock_tags(
            a.get("title") or "", a.get("text") or "", a.get("site_stock_tags") or [], matcher
        )
        sectors = sector_tags(a.get("title") or "", a.get("text") or "", taxonomy)
        rows = [
            {
                "kind": "stock",
                "code": t["code"],
                "name": t.get("name"),
                "confidence": t["confidence"],
                "evidence": t.get("evidence"),
                "reason": t.get("reason"),
            }
            for t in stocks
        ] + [
            {
                "kind": "sector",
                "code": t["sector"],
                "name": t.get("name"),
                "confidence": t["relevance"],
                "evidence": t.get("evidence"),
                "reason": None,
            }
            for t in sectors
        ]
        replace_article_tags(db, a["id"], rows)
        by_article[a["id"]] = stocks + sectors
        counts["articles"] += 1
        counts["stock"] += len(stocks)
        counts["sector"] += len(sectors)
    story_members: dict[str, dict[str, list]] = {}
    for r in db.query("select story_id, article_id from story_articles"):
        story_members.setdefault(r["story_id"], {})[r["article_id"]] = by_article.get(
            r["article_id"], []
        )
    for story_id, tags in story_members.items():
        rolled = rollup_story_tags(tags)
        replace_story_tags(
            db,
            story_id,
            [
                {
                    "kind": t["kind"],
                    "code": t["code"],
                    "name": t.get("name"),
                    "relevance": t["relevance"],
                    "evidence": t.get("evidence"),
                }
                for t in rolled
            ],
        )
        counts["stories"] += 1
    return counts


# ---------------------------------------------------------------- prices


def import_prices(db: Database, paths: list[str]) -> dict[str, Any]:
    """Recorded price files (any layout analysis.prices knows) into the prices table."""
    from newsmon.analysis.prices import ISSUES_ATTR, load_price_file
    from newsmon.db.analysis import save_prices

    totals = {"files": 0, "new": 0, "updated": 0, "unchanged": 0}
    issues: list[str] = []
    errors: list[str] = []
    for path in paths:
        try:
            frame = load_price_file(path)
        except ValueError as exc:
            errors.append(f"{path}: {exc}")
            continue
        counts = save_prices(db, _price_rows(frame))
        totals["files"] += 1
        for k in ("new", "updated", "unchanged"):
            totals[k] += counts[k]
        issues.extend(
            f"{path}: {i['kind']} {i.get('ticker')} {i.get('date')}: {i.get('detail')}"
            for i in frame.attrs.get(ISSUES_ATTR, [])
        )
    return {**totals, "issues": issues, "errors": errors}


def _price_rows(frame) -> list[dict[str, Any]]:
    import math

    rows = []
    for rec in frame.to_dict(orient="records"):
        row = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        row["date"] = rec["date"].strftime("%Y-%m-%d")
        rows.append(row)
    return rows


def price_frame(db: Database, tickers: list[str] | None = None, adjusted: str = "none"):
    """Stored daily prices as the canonical frame of analysis.prices (one adjustment)."""
    import pandas as pd

    from newsmon.analysis.prices import PRICE_COLUMNS, empty_prices
    from newsmon.db.analysis import load_prices

    rows = [r for r in load_prices(db, tickers) if r["adjusted"] == adjusted]
    if not rows:
        return empty_prices()
    frame = pd.DataFrame(rows)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame[list(PRICE_COLUMNS)].sort_values(["ticker", "date"]).reset_index(drop=True)


def wanted_tickers(db: Database, config: Any) -> list[str]:
    taxonomy = sync_sectors(db, config)
    tickers = {m["ticker"] for t in taxonomy.values() for m in t["members"]}
    tickers |= {t.get("benchmark") or config["prices.benchmark"] for t in taxonomy.values()}
    tickers.add(config["prices.benchmark"])
    return sorted(tickers)


def update_prices(
    db: Database, config: Any, provider: Any = None, *, lookback_days: int = 200
) -> dict[str, Any]:
    """Fetch daily prices of every sector member and benchmark around the stories' events.

    The window runs from ``lookback_days`` before the earliest story to today (or 20
    days after the latest story); what is stored already is not fetched again.
    """
    import datetime as dt

    from newsmon.analysis.providers import CSVProvider, YFinanceProvider
    from newsmon.db.analysis import load_stories, price_coverage, save_prices

    if provider is None:
        if config["prices.provider"] == "csv":
            provider = CSVProvider(list(config["prices.csv_paths"]))
        else:
            provider = YFinanceProvider()
    times = [s["first_published_at"] for s in load_stories(db) if s.get("first_published_at")]
    if not times:
        return {
            "tickers": 0,
            "new": 0,
            "updated": 0,
            "unchanged": 0,
            "note": "no stories with a publication time",
        }
    first = dt.date.fromisoformat(min(times)[:10]) - dt.timedelta(days=lookback_days)
    last = min(dt.date.fromisoformat(max(times)[:10]) + dt.timedelta(days=20), dt.date.today())
    tickers = wanted_tickers(db, config)
    covered = {
        c["ticker"]
        for c in price_coverage(db)
        if c["adjusted"] == "none"
        and c["first"] <= first.isoformat()
        and c["last"] >= last.isoformat()
    }
    todo = [t for t in tickers if t not in covered]
    if not todo:
        return {"tickers": 0, "new": 0, "updated": 0, "unchanged": 0, "note": "all cached"}
    frame = provider.fetch_daily(todo, first.isoformat(), last.isoformat())
    counts = save_prices(db, _price_rows(frame))
    missing = sorted(set(todo) - set(frame["ticker"].unique()))
    return {"tickers": len(todo), **counts, "no_data": missing}


# ---------------------------------------------------------------- reactions


def compute_reactions(
    db: Database,
    config: Any,
    *,
    day: str | None = None,
    taxonomy: dict[str, dict[str, Any]] | None = None,
) -> dict[str, int]:
    """The event study for every story x tagged sector whose prices are stored."""
    import pandas as pd

    from newsmon.analysis.calendar import CalendarRangeError, align_event_time, event_session
    from newsmon.analysis.prices import daily_returns
    from newsmon.analysis.reaction import cumulative_abnormal_path, story_reactions
    from newsmon.db.analysis import load_stories, load_tags, replace_reactions

    taxonomy = taxonomy if taxonomy is not None else sync_sectors(db, config)
    holidays = list(config["reaction.extra_holidays"])
    estimation = (config["reaction.estimation_start"], config["reaction.estimation_end"])
    min_days = int(config["reaction.min_estimation_days"])
    prices = price_frame(db)
    counts = {"rows": 0, "missing": 0, "stories": 0}
    if prices.empty:
        return counts
    returns = daily_returns(prices)
    events = []
    for s in load_stories(db):
        if not s.get("first_published_at"):
            continue
        try:
            aligned = align_event_time(s["first_published_at"], extra_holidays=holidays)
            session = event_session(s["first_published_at"], extra_holidays=holidays)
        except CalendarRangeError as exc:
            counts["missing"] += 1
            replace_reactions(db, s["id"], [])
            db["stories"].update(
                s["id"], {"meta": _merge_meta(s.get("meta"), {"reaction_error": str(exc)})}
            )
            continue
        if day and session.strftime("%Y-%m-%d") != day:
            continue
        for t in load_tags(db, story_id=s["id"]):
            if (
                t["kind"] == "sector"
                and t["code"] in taxonomy
                and (t["relevance"] or 0) >= REACTION_MIN_RELEVANCE
            ):
                events.append(
                    {
                        "story_id": s["id"],
                        "sector": t["code"],
                        "event_session": session,
                        "event_time": aligned,
                    }
                )
    if not events:
        return counts
    frame = pd.DataFrame(events)
    by_story: dict[str, list[dict[str, Any]]] = {}
    for bench, group in frame.groupby(
        frame["sector"].map(
            lambda sid: taxonomy[sid].get("benchmark") or config["prices.benchmark"]
        )
    ):
        out = story_reactions(
            group.reset_index(drop=True),
            returns,
            taxonomy,
            benchmark=bench,
            estimation=estimation,
            min_estimation_days=min_days,
        )
        for row in out.to_dict(orient="records"):
            members = taxonomy[row["sector"]]
            path = cumulative_abnormal_path(
                returns,
                row["event_session"],
                members,
                benchmark=bench,
                estimation=estimation,
                min_estimation_days=min_days,
            )
            figures = {
                k: _plain(v)
                for k, v in row.items()
                if k not in ("story_id", "sector", "event_time", "event_session")
            }
            figures["path"] = [
                {"day": int(p["rel_day"]), "car": _plain(p["car"]), "mm_car": _plain(p["mm_car"])}
                for p in path.to_dict(orient="records")
            ]
            has_data = (
                (row.get("n_members_with_data") or 0) > 0
                and row.get("benchmark_return") is not None
                and not pd.isna(row.get("benchmark_return"))
            )
            if not has_data:
                counts["missing"] += 1
            by_story.setdefault(row["story_id"], []).append(
                {
                    "sector_id": row["sector"],
                    "event_time": pd.Timestamp(row["event_time"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "event_session": pd.Timestamp(row["event_session"]).strftime("%Y-%m-%d"),
                    "figures": figures,
                }
            )
            counts["rows"] += 1
    for story_id, rows in by_story.items():
        replace_reactions(db, story_id, rows)
        counts["stories"] += 1
    return counts


def _plain(value: Any) -> Any:
    """JSON-safe: NaN -> None, numpy scalars -> Python, timestamps -> ISO."""
    import math

    import numpy as np
    import pandas as pd

    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _merge_meta(meta: Any, extra: dict[str, Any]) -> str:
    import json

    base = meta if isinstance(meta, dict) else (json.loads(meta) if meta else {})
    return json.dumps({**base, **extra}, ensure_ascii=False)


# ---------------------------------------------------------------- digest


def digest_data(db: Database, day: str, *, top: int = 20) -> dict[str, Any]:
    """The digest of one Asia/Shanghai day, in the shape analysis.digest renders.

    A story belongs to the day of its first media publication; stories are ranked
    by reach (sites, articles), an official origin, and the strength of the
    strongest sector reaction (|t| of the day-0 abnormal return).
    """
    from newsmon.db.analysis import (
        load_reactions,
        load_sectors,
        load_stories,
        load_story_members,
        load_tags,
    )
    from newsmon.db.articles import load_articles, utc_now
    from newsmon.timefmt import shanghai

    sectors = {s["id"]: s for s in load_sectors(db)}
    out_stories = []
    for s in load_stories(db, day_shanghai=day):
        members = load_story_members(db, s["id"])
        origin = None
        if s.get("origin_article_id"):
            (o,) = load_articles(db, [s["origin_article_id"]]) or [None]
            if o:
                origin = {
                    "title": o["title"],
                    "url": s.get("official_origin_url") or o.get("url"),
                    "site": o["site"],
                    "document_date": o.get("document_date"),
                    "doc_number": o.get("doc_number"),
                }
        first = next((m for m in members if m["article_id"] == s.get("first_article_id")), None)
        reactions = {r["sector_id"]: r for r in load_reactions(db, story_id=s["id"])}
        sector_rows = []
        for t in load_tags(db, story_id=s["id"]):
            if t["kind"] != "sector":
                continue
            r = reactions.get(t["code"])
            figures = _reaction_view(r) if r else None
            path = r["figures"].get("path", []) if r else []
            sector = sectors.get(t["code"], {})
            sector_rows.append(
                {
                    "sector_id": t["code"],
                    "name": sector.get("name") or t.get("name") or t["code"],
                    "name_zh": sector.get("name_zh") or "",
                    "relevance": t.get("relevance"),
                    "evidence": _evidence_text(t.get("evidence")),
                    "reaction": figures,
                    "path": path,
                }
            )
        # the reason a reader needs is the article-level one of the strongest tag
        reasons: dict[str, tuple[float, str]] = {}
        for m in members:
            for t in load_tags(db, article_id=m["article_id"]):
                score = t.get("confidence") or 0
                if t["kind"] == "stock" and score >= reasons.get(t["code"], (-1.0, ""))[0]:
                    reasons[t["code"]] = (score, t.get("reason") or "")
        stocks = [
            {
                "code": t["code"],
                "name": t.get("name"),
                "confidence": t.get("relevance"),
                "reason": reasons.get(t["code"], (0, ""))[1] or _evidence_text(t.get("evidence")),
            }
            for t in load_tags(db, story_id=s["id"])
            if t["kind"] == "stock"
        ]
        strongest = max(
            (abs((x["reaction"] or {}).get("t_stat") or 0) for x in sector_rows), default=0.0
        )
        rank = (
            (s.get("n_sites") or 0) * 10
            + (s.get("n_articles") or 0)
            + (5 if origin else 0)
            + min(strongest, 20)
        )
        out_stories.append(
            {
                "id": s["id"],
                "headline": s["title"],
                "rank_score": round(float(rank), 3),
                "official_origin": origin,
                "first": {
                    "site": first["site"],
                    "title": first["title"],
                    "url": first["url"],
                    "published_at": first["published_at"],
                    "published_shanghai": shanghai(first["published_at"]),
                }
                if first
                else None,
                "n_articles": s.get("n_articles") or 0,
                "n_sites": s.get("n_sites") or 0,
                "timeline": [
                    {
                        "article_id": m["article_id"],
                        "site": m["site"],
                        "title": m["title"],
                        "url": m["url"],
                        "published_at": m["published_at"],
                        "published_shanghai": shanghai(m["published_at"]),
                        "role": m["role"],
                        "novelty": m["novelty"],
                        "score": m["score"],
                    }
                    for m in members
                ],
                "sectors": sorted(sector_rows, key=lambda x: -(x["relevance"] or 0)),
                "stocks": stocks,
            }
        )
    out_stories.sort(key=lambda x: (-x["rank_score"], x["id"]))
    return {"date": day, "generated_at": utc_now(), "stories": out_stories[:top]}


def _reaction_view(r: dict[str, Any]) -> dict[str, Any] | None:
    """A stored reaction in the digest's terms; None when no member had a price that day."""
    from newsmon.timefmt import shanghai

    f = r["figures"]
    if not f.get("n_members_with_data") or f.get("benchmark_return") is None:
        return None
    return {
        "event_time": r["event_time"],
        "event_time_shanghai": shanghai(r["event_time"], "%Y-%m-%d %H:%M"),
        "event_session": r["event_session"],
        "sector_return": f.get("sector_return"),
        "benchmark": f.get("benchmark"),
        "benchmark_return": f.get("benchmark_return"),
        "ar_day0": f.get("ar0"),
        "car_0_1": f.get("car_0_1"),
        "car_0_3": f.get("car_0_3"),
        "pre_drift": f.get("car_m3_m1"),
        "t_stat": f.get("t_ar0"),
        "n_members": f.get("n_members"),
        "n_members_with_data": f.get("n_members_with_data"),
        "notes": list(f.get("notes") or []),
    }


def write_digest(db: Database, config: Any, day: str) -> dict[str, Any]:
    """Render the day's digest (Markdown, HTML) and the Atom feed into digest.output_dir."""
    from pathlib import Path

    from newsmon.analysis.digest import atom_feed, render_html, render_markdown
    from newsmon.db.analysis import load_digests, save_digest

    data = digest_data(db, day, top=int(config["digest.top_stories"]))
    out = Path(config["digest.output_dir"])
    out.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(data)
    html_path = out / f"{day}.html"
    (out / f"{day}.md").write_text(markdown, encoding="utf-8")
    html_path.write_text(render_html(data), encoding="utf-8")
    headline = data["stories"][0]["headline"] if data["stories"] else "no stories"
    save_digest(
        db,
        {
            "date": day,
            "n_stories": len(data["stories"]),
            "markdown": markdown,
            "html_path": str(html_path.resolve()),
        },
    )
    feed = atom_feed(
        [
            {
                "date": d["date"],
                "title": f"newsmon digest {d['date']}: {d['n_stories']} stories",
                "summary": headline if d["date"] == day else f"{d['n_stories']} stories",
                "link": Path(d["html_path"]).resolve().as_uri() if d.get("html_path") else "",
                "updated": d["generated_at"],
            }
            for d in load_digests(db)
        ],
        feed_url=(out / "digests.atom").resolve().as_uri(),
        site_url=out.resolve().as_uri(),
    )
    (out / "digests.atom").write_text(feed, encoding="utf-8")
    return {
        "date": day,
        "stories": len(data["stories"]),
        "html": str(html_path.resolve()),
        "markdown": str((out / f"{day}.md").resolve()),
        "atom": str((out / "digests.atom").resolve()),
    }


def _evidence_text(evidence: Any) -> str:
    if evidence is None:
        return ""
    if isinstance(evidence, str):
        return evidence
    if isinstance(evidence, list):
        return "; ".join(_evidence_text(e) for e in evidence)
    if isinstance(evidence, dict):
        return ", ".join(f"{k}: {_evidence_text(v)}" for k, v in evidence.items())
    return str(evidence)
