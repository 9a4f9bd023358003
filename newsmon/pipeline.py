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


def analyze(db: Database, config: Any, echo: Echo = lambda _: None) -> dict[str, Any]:
    """Stories, then tags, then reactions: everything derived brought up to date."""
    out: dict[str, Any] = {"stories": update_stories(db)}
    echo(
        "stories: {stories} from {articles} articles ({fingerprinted} fingerprinted, {relations} relations)".format(
            **out["stories"]
        )
    )
    return out
