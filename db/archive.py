"""Reading the raw-page archive back: the latest archived response of each stored article."""

from __future__ import annotations

import json
import zlib
from typing import Any

from sqlite_utils import Database


def archived_articles(
    db: Database, *, site: str | None = None, since: str | None = None
) -> list[dict[str, Any]]:
    """For each article with an archived response, its newest one, without the body.

    ``site``: only that site's articles; ``since`` (ISO UTC or YYYY-MM-DD): only
    responses fetched at or after it. Gives raw id, url, headers (dict), encoding,
    truncated, fetched_at and article_id, in article order; ``raw_body`` reads a body.
    """
    clauses, params = ["r.article_id is not null"], []
    if site:
        clauses.append("a.site = ?")
        params.append(site)
    if since:
        clauses.append("r.fetched_at >= ?")
        params.append(since)
    sql = (
        "select r.id, r.url, r.headers, r.encoding, r.truncated, r.fetched_at, r.article_id "
        "from raw_pages r join articles a on a.id = r.article_id "
        f"where {' and '.join(clauses)} and r.id = (select max(id) from raw_pages "
        "where article_id = r.article_id) order by r.article_id"
    )
    rows = [dict(r) for r in db.query(sql, params)]
    for row in rows:
        row["headers"] = json.loads(row["headers"]) if row.get("headers") else {}
    return rows


def raw_body(db: Database, raw_id: int) -> bytes:
    """One archived response's body, decompressed."""
    (compressed,) = db.execute("select body from raw_pages where id = ?", [raw_id]).fetchone()
    return zlib.decompress(compressed)
