"""Saving and loading articles: one idempotent upsert keyed by canonical URL, or by its
source for a document without one (site, file, title, time)."""

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


def document_key(
    site: str | None,
    source: str | None,
    title: str | None,
    time: str | None,
    text_match: str | None = None,
) -> str:
    """The key of a document without a URL: its source, never its body alone.

    Site, source identifier (an imported file's name), title and time (published_at,
    else document_date): two sites' identical texts are two documents (reprint
    detection relates them); the same file imported again is the same document, even
    edited. A document saved without any source identifier is told apart by its text
    as well (with its site, title and time, never by the text alone).
    """
    parts = [site or "", source or "", " ".join((title or "").split()), time or ""]
    if not source:
        parts.append(hashlib.sha256((text_match or "").encode("utf-8")).hexdigest())
    payload = json.dumps(parts, ensure_ascii=False)
    return "doc:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def article_key(
    url: str | None,
    canonical_url: str | None,
    *,
    site: str | None = None,
    source: str | None = None,
    title: str | None = None,
    time: str | None = None,
    text_match: str | None = None,
) -> str:
    """Canonical URL when known (else the URL), else the document's source (document_key).

    Databases from before document keys keyed such documents by a hash of their text
    ("sha256:..."); a migration gave them document keys and kept their ids.
    """
    if canonical_url:
        return canonical_url
    if url:
        return url
    return document_key(site, source, title, time, text_match)


def article_id(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def content_hash(row: dict[str, Any]) -> str:
    payload = {c: row.get(c) for c in CONTENT_COLUMNS}
    return hashlib.sha256(_dump(payload).encode("utf-8")).hexdigest()


def _meta_of(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


def is_incomplete(meta: Any) -> bool:
    """Whether an article was stored marked incomplete (a response cut short, a template's
    body not found): meta["incomplete"] holds the reason."""
    return bool(_meta_of(meta).get("incomplete"))


def row_key(row: dict[str, Any]) -> str:
    """The key of an article row (JSON columns decoded or not): see article_key."""
    return article_key(
        row.get("url"),
        row.get("canonical_url"),
        site=row.get("site"),
        source=_meta_of(row.get("meta")).get("import_file"),
        title=row.get("title"),
        time=row.get("published_at") or row.get("document_date"),
        text_match=row.get("text_match"),
    )


def prepare_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as stored: key, id (the one a new row gets), JSON columns serialised, hash."""
    out = dict(row)
    out["key"] = row_key(out)
    for column in JSON_COLUMNS:
        if column in out and not isinstance(out[column], str | type(None)):
            out[column] = _dump(out[column])
    out["id"] = article_id(out["key"])
    out["content_hash"] = content_hash(out)
    return out


def save_article(db: Database, row: dict[str, Any], *, now: str | None = None) -> tuple[str, str]:
    """Upsert one article row; returns (article id, "new" | "updated" | "unchanged" |
    "kept").

    The stored row with the same key is the same article, and keeps its id. An
    unchanged article is not written at all, so importing or crawling the same
    document again changes no row. A record marked incomplete (meta["incomplete"])
    never replaces a complete stored copy: that copy is "kept" as it was, and the
    crawl fetches the page again later.
    """
    row = prepare_row(row)
    now = now or utc_now()
    existing = db.execute(
        "select id, content_hash, first_seen_at, meta from articles where key = ?", [row["key"]]
    ).fetchone()
    if existing:
        row["id"] = existing[0]
        if existing[1] == row["content_hash"]:
            return row["id"], "unchanged"
        if is_incomplete(row.get("meta")) and not is_incomplete(existing[3]):
            return row["id"], "kept"
    row["updated_at"] = now
    row["first_seen_at"] = existing[2] if existing else now
    db["articles"].upsert(row, pk="id", alter=False)
    return row["id"], "updated" if existing else "new"


def find_crawled_copy(
    db: Database, *, url: str | None, site: str, titles: Iterable[str], minute: str | None
) -> dict[str, Any] | None:
    """The crawled article an archived copy is a copy of: the one at its URL, else the
    one of the same site, title and publication minute (YYYY-MM-DDTHH:MM)."""
    if url:
        rows = list(
            db.query(
                "select * from articles where url = ? or canonical_url = ? limit 1", [url, url]
            )
        )
        if rows:
            return _decode(dict(rows[0]))
    wanted = [t for t in dict.fromkeys(titles) if t]
    if not minute or not wanted:
        return None
    marks = ",".join("?" * len(wanted))
    rows = list(
        db.query(
            f"select * from articles where site = ? and title in ({marks}) "
            "and url is not null and published_at >= ? and published_at < ? "
            "order by published_at, id limit 1",
            [site, *wanted, minute, minute + "\uffff"],
        )
    )
    return _decode(dict(rows[0])) if rows else None


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


def articles_to_tag(db: Database, *, since: str | None = None) -> list[dict[str, Any]]:
    """Articles stored or updated at or after since (ISO UTC), else those without any
    tag row; JSON columns decoded."""
    if since:
        # through the updated_at index, sorted here: with "order by id" the planner may
        # walk the whole table in id order instead (a crawl into a million articles)
        rows = sorted(
            db.query(
                "select * from articles indexed by idx_articles_updated_at where updated_at >= ?",
                [since],
            ),
            key=lambda r: r["id"],
        )
    else:
        rows = db.query(
            "select * from articles where id not in (select article_id from tags) order by id"
        )
    return [_decode(dict(r)) for r in rows]
