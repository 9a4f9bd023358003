"""The analysis steps over what is stored: stories, tags, prices, reactions, digests.

Each step loads from the database, calls pure functions in analysis/, and saves
through db/; each can be re-run and gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from db.analysis import load_signatures, replace_stories, save_signatures
from db.articles import load_articles

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
    from analysis.stories import SIGNATURE_SCHEME, StoryIndex

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
    return out


# ---------------------------------------------------------------- digest


def digest_data(db: Database, day: str, *, top: int = 20) -> dict[str, Any]:
    """The digest of one Asia/Shanghai day, in the shape analysis.digest renders.

    A story belongs to the day of its first media publication; stories are ranked
    by reach (sites, articles), an official origin, and the strength of the
    strongest sector reaction (|t| of the day-0 abnormal return).
    """
    from db.analysis import load_reactions, load_stories, load_story_members, load_tags
    from db.articles import load_articles, utc_now
    from newsmon.timefmt import shanghai

    sectors = {s["id"]: s for s in _load_sectors(db)}
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
            figures = dict(r["figures"]) if r else None
            path = figures.pop("path", []) if figures else []
            if figures is not None:
                figures["event_time"] = r["event_time"]
                figures["event_time_shanghai"] = shanghai(r["event_time"], "%Y-%m-%d %H:%M")
                figures["event_session"] = r["event_session"]
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
        stocks = [
            {
                "code": t["code"],
                "name": t.get("name"),
                "confidence": t.get("relevance"),
                "reason": _evidence_text(t.get("evidence")),
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


def _load_sectors(db: Database) -> list[dict[str, Any]]:
    from db.analysis import load_sectors

    return load_sectors(db)


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
