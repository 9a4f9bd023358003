"""From a parsed record to a stored article: normalise, then one idempotent upsert.

The one path every article takes into the database, whether imported from an
archive file or crawled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from newsmon.analysis.normalize import display_text, matching_text
from newsmon.crawler.extract.record import ArticleRecord
from newsmon.db.articles import save_article


def record_to_row(record: ArticleRecord) -> dict[str, Any]:
    """The article row for a record: display and matching text, JSON-ready lists."""
    text = display_text(record.text)
    title = " ".join(display_text(record.title).split("\n"))
    meta = dict(record.meta)
    for name in ("images", "tags"):
        values = getattr(record, name)
        if values:
            meta[name] = list(values)
    if record.attachments:
        meta["attachments"] = [{"url": a.url, "anchor": a.anchor} for a in record.attachments]
    return {
        "url": record.url,
        "canonical_url": record.canonical_url or record.url,
        "site": record.site,
        "kind": record.kind,
        "title": title,
        "author": record.author,
        "editor": record.editor,
        "source": record.source,
        "published_at": record.published_at,
        "published_at_candidates": dict(record.published_at_candidates),
        "document_date": record.document_date,
        "doc_number": record.doc_number,
        "issuer": record.issuer,
        "text": text,
        "text_match": matching_text(text, already_display=True),
        "origin_links": [{"url": link.url, "anchor": link.anchor} for link in record.origin_links],
        "cited_titles": _unique(display_text(t) for t in record.cited_titles),
        "site_stock_tags": [
            {"code": t.code, "anchor": t.anchor, "source": t.source} for t in record.stock_tags
        ],
        "meta": meta,
        "parser": record.parser,
        "missing": dict(record.missing),
        "parent_id": meta.get("parent_id"),
    }


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        if v:
            seen.setdefault(v, None)
    return list(seen)


def save_record(db: Database, record: ArticleRecord) -> tuple[str, str]:
    """Store one record; returns (article id, "new" | "updated" | "unchanged")."""
    return save_article(db, record_to_row(record))


@dataclass
class ImportReport:
    counts: dict[str, int] = field(default_factory=lambda: {"new": 0, "updated": 0, "unchanged": 0})
    errors: list[str] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders expanded to the files below them, sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            )
        else:
            out.append(p)
    return out


def import_files(db: Database, paths: Iterable[str | Path]) -> ImportReport:
    """Import archived documents; a bad file is reported by name and the others still import."""
    from newsmon.crawler.extract.archive import parse_archive

    report = ImportReport()
    for path in expand_paths(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.errors.append(f"{path}: cannot read ({exc.strerror or exc})")
            continue
        try:
            record = parse_archive(data, path.name)
        except ValueError as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        record.meta.setdefault("import_file", path.name)
        with db.atomic():
            article_id, outcome = save_record(db, record)
        report.counts[outcome] += 1
        report.article_ids.append(article_id)
    return report
