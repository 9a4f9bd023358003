"""Re-extraction: today's parsers over the raw-page archive, so a parser fix reaches stored articles.

Each stored article's newest archived response is parsed again exactly as the crawl
parses it (decode, site parser or generic path, listing check); the fields a parser
reads are compared with the stored ones. A changed field is updated in place (the
article keeps its id, URL and everything else); a field the new extraction leaves
empty is never blanked (it may have come from a feed or a list, which the archive
does not hold). Stories, tags and reactions then follow the articles that changed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlite_utils import Database

#: the stored fields a parser reads from a page, compared one by one
FIELDS = (
    "title",
    "kind",
    "published_at",
    "document_date",
    "source",
    "author",
    "editor",
    "doc_number",
    "issuer",
    "text",
    "cited_titles",
    "origin_links",
    "site_stock_tags",
)
#: meta keys a parser writes that re-extraction carries over (others are the crawl's)
META_FIELDS = ("original_title",)


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _attachment(db: Database, page: dict[str, Any], stored: dict[str, Any]):
    """An archived attachment (PDF, DOCX, ...) read again as the crawl reads it."""
    from newsmon.crawler.spiders.base import attachment_record
    from newsmon.db.articles import load_articles

    meta = stored.get("meta") or {}
    parents = load_articles(db, [meta["parent_id"]]) if meta.get("parent_id") else []
    parent = {
        "id": meta.get("parent_id"),
        "url": meta.get("parent_url"),
        "anchor": meta.get("anchor"),
        "site": stored.get("site"),
        "title": parents[0]["title"] if parents else None,
    }
    return attachment_record(page["body"], page["url"], parent)


def reextract(
    db: Database,
    config: Any,
    *,
    site: str | None = None,
    since: str | None = None,
    dry_run: bool = False,
    echo=lambda _: None,
) -> dict[str, Any]:
    """Parse the archive again; update (unless dry_run) the articles whose extraction changed.

    Returns pages read, articles changed, per field how many articles changed, the
    changes (article id, URL, fields), failures (pages the parsers refused), and, when
    something was stored, the story refresh's counts.
    """
    from newsmon.crawler.extract.charset import declared_charset, decode_html
    from newsmon.crawler.extract.dispatch import parse_page
    from newsmon.crawler.ingest import record_to_row
    from newsmon.db.archive import archived_articles, raw_body
    from newsmon.db.articles import load_articles, save_article, utc_now

    started = utc_now()
    per_field: Counter[str] = Counter()
    changes: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    pages = 0
    for page in archived_articles(db, site=site, since=since):
        pages += 1
        page["body"] = raw_body(db, page["id"])
        (stored,) = load_articles(db, [page["article_id"]]) or [None]
        if stored is None:
            continue
        try:
            if stored.get("kind") == "attachment":
                record = _attachment(db, page, stored)
            else:
                text, _ = decode_html(page["body"], declared_charset(page["headers"]))
                record = parse_page(text, page["url"], page["headers"])
        except Exception as exc:  # a page today's parsers cannot read: named, not fatal
            failures.append({"url": page["url"], "reason": f"{type(exc).__name__}: {exc}"})
            continue
        row = record_to_row(record)
        changed = [
            f
            for f in FIELDS
            if not _empty(row.get(f))
            and row.get(f) != stored.get(f)
            and not (
                f == "kind" and row.get(f) == "listing"  # never demote an article to a list
            )
        ]
        meta = dict(stored.get("meta") or {})
        for key in META_FIELDS:
            value = row["meta"].get(key)
            if not _empty(value) and meta.get(key) != value:
                meta[key] = value
                changed.append(key)
        if not changed:
            continue
        per_field.update(changed)
        changes.append({"article_id": stored["id"], "url": stored.get("url"), "fields": changed})
        if dry_run:
            continue
        updated = dict(stored)
        for f in changed:
            if f in FIELDS:
                updated[f] = row[f]
        if "text" in changed:
            updated["text_match"] = row["text_match"]
        meta["reextracted"] = {"at": started, "parser": record.parser, "fields": changed}
        updated["meta"] = meta
        for column in ("first_seen_at", "updated_at", "content_hash"):
            updated.pop(column, None)
        with db.atomic():
            save_article(db, updated)
    out: dict[str, Any] = {
        "pages": pages,
        "articles_changed": len(changes),
        "fields": dict(sorted(per_field.items())),
        "changes": changes,
        "failures": failures,
        "dry_run": dry_run,
    }
    if changes and not dry_run:
        from newsmon.pipeline import refresh_after_store

        out["refresh"] = refresh_after_store(db, config, since=started, echo=echo)
    return out
