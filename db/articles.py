"""Saving and loading articles: one idempotent upsert keyed by canonical URL or content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from newsmon.timefmt import utc_iso

#: columns whose change makes a stored article "updated"; the rest is bookkeeping
CONTENT_COLUMNS = (
    "url",
    "canonical_url",
    "site",
    "kind",
    "title",
    "author",
    "editor",
    "source",
    "published_at",
    "published_at_candidates",
    "document_date",
    "doc_number",
    "issuer",
    "text",
    "origin_links",
    "cited_titles",
    "site_stock_tags",
    "meta",
    "parser",
    "missing",
    "parent_id",
)
JSON_COLUMNS = (
    "origin_links",
    "cited_titles",
    "site_stock_tags",
    "meta",
    "missing",
    "published_at_candidates",
)


def utc_now() -> str:
    """Now, as stored: '2022-07-08T02:06:12Z'."""
    return utc_iso()


def article_key(url: str | None, canonical_url: str | None, text_match: str) -> str:
    """Canonical URL when known (else the URL), else a hash of the matching text."""
    if canonical_url:
        return canonical_url
    if url:
        return url
    return "sha256:" + hashlib.sha256(text_match.encode("utf-8")).hexdigest()


def article_id(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def content_hash(row: dict[str, Any]) -> str:
    payload = {c: row.get(c) for c in CONTENT_COLUMNS}
    return hashlib.sha256(_dump(payload).encode("utf-8")).hexdigest()


def prepare_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as stored: key, id, JSON columns serialised, content hash."""
    out = dict(row)
    for column in JSON_COLUMNS:
        if column in out and not isinstance(out[column], str | type(None)):
            out[column] = _dump(out[column])
    out["key"] = article_key(out.get("url"), out.get("canonical_url"), out.get("text_match") or "")
    out["id"] = article_id(out["key"])
    out["content_hash"] = content_hash(out)
    return out


def save_article(db: Database, row: dict[str, Any], *, now: str | None = None) -> tuple[str, str]:
    """Upsert one article row; returns (article id, "new" | "updated" | "unchanged").

    An unchanged article is not written at all, so importing or crawling the same
    document again changes no row.
    """
    row = prepare_row(row)
    now = now or utc_now()
    existing = db.execute(
        "select content_hash, first_seen_at from articles where id = ?", [row["id"]]
    ).fetchone()
    if existing and existing[0] == row["content_hash"]:
        return row["id"], "unchanged"
    row["updated_at"] = now
    row["first_seen_at"] = existing[1] if existing else now
    db["articles"].upsert(row, pk="id", alter=False)
    return row["id"], "updated" if existing else "new"


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for column in JSON_COLUMNS:
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row


def load_articles(db: Database, ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Articles as dicts with JSON columns decoded, ordered by publication time then id."""
    if ids is None:
        rows = db.query("select * from articles order by coalesce(published_at, '9999'), id")
    else:
        wanted = list(ids)
        marks = ",".join("?" * len(wanted))
        rows = db.query(
            f"select * from articles where id in ({marks}) order by coalesce(published_at, '9999'), id",
            wanted,
        )
    return [_decode(dict(r)) for r in rows]


def known_urls(db: Database, urls: Iterable[str]) -> set[str]:
    """Which of these URLs are stored already (as url or canonical URL)."""
    wanted = list(urls)
    if not wanted:
        return set()
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for r in db.execute(
            f"select url, canonical_url from articles where url in ({marks}) or canonical_url in ({marks})",
            chunk + chunk,
        ):
            found.update(u for u in r if u)
    return found & set(wanted)
