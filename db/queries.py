"""Read-side queries: ad-hoc SQL through a read-only connection, full-text search, counts."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from newsmon.db.connection import DatabaseError, ReadOnlyError, connect_readonly
from newsmon.db.readonly import DEFAULT_TIMEOUT_S, RefusedStatement, execute_guarded

#: FTS5's trigram tokenizer needs at least this many characters; shorter queries use LIKE
TRIGRAM_MIN_CHARS = 3
SNIPPET_CHARS = 40


def run_readonly(
    path: str | Path,
    sql: str,
    params: dict | list | None = None,
    *,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
) -> tuple[list[str], list[tuple]]:
    """Run one statement on a read-only connection, under the authorizer and a time limit.

    A write raises ReadOnlyError; a statement that would touch anything but the database
    (ATTACH, VACUUM INTO, writing PRAGMAs, load_extension), empty SQL, or one that runs
    past ``timeout_s`` raises DatabaseError; nothing is created or changed.
    """
    conn = connect_readonly(path)
    try:
        return execute_guarded(conn, sql, params, timeout_s=timeout_s)
    except RefusedStatement as exc:
        raise DatabaseError(str(exc)) from exc
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if "readonly" in message or "read-only" in message or "query_only" in message:
            raise ReadOnlyError(
                f"refused: newsmon sql is read-only ({message}); nothing was changed"
            ) from exc
        raise DatabaseError(f"SQL error: {message}") from exc
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"SQL error: {exc}") from exc
    finally:
        conn.close()


def search_articles(db: Database, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Articles matching the query in title or text, newest first, each with a snippet.

    Queries of three characters or more use the FTS5 trigram index; shorter ones
    (氢能) fall back to LIKE, which the trigram tokenizer cannot serve.
    """
    query = query.strip()
    if not query:
        raise DatabaseError("search: the query is empty")
    if len(query) >= TRIGRAM_MIN_CHARS:
        phrase = '"' + query.replace('"', '""') + '"'
        sql = """
            select a.id, a.site, a.title, a.published_at,
                   snippet(articles_fts, 1, '[', ']', '…', 16) as snippet
            from articles_fts join articles a on a.rowid = articles_fts.rowid
            where articles_fts match :q
            order by a.published_at is null, a.published_at desc, a.id
            limit :limit
        """
        rows = db.query(sql, {"q": phrase, "limit": limit})
        return [dict(r) for r in rows]
    like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = r"""
        select id, site, title, published_at, text
        from articles
        where title like :q escape '\' or text like :q escape '\'
        order by published_at is null, published_at desc, id
        limit :limit
    """
    out = []
    for r in db.query(sql, {"q": like, "limit": limit}):
        row = dict(r)
        text = row.pop("text") or ""
        at = text.find(query)
        if at < 0:
            row["snippet"] = (row["title"] or "")[: SNIPPET_CHARS * 2]
        else:
            start = max(0, at - SNIPPET_CHARS)
            end = at + len(query) + SNIPPET_CHARS
            row["snippet"] = (
                ("…" if start else "")
                + text[start:at]
                + "["
                + query
                + "]"
                + text[at + len(query) : end]
                + ("…" if end < len(text) else "")
            ).replace("\n", " ")
        out.append(row)
    return out


def article_counts(db: Database) -> list[dict[str, Any]]:
    """Articles by site and Asia/Shanghai publication day (unknown time counted apart)."""
    sql = """
        select site,
               coalesce(date(published_at, '+8 hours'), 'unknown') as day_shanghai,
               count(*) as articles
        from articles
        group by site, day_shanghai
        order by day_shanghai, site
    """
    return [dict(r) for r in db.query(sql)]
