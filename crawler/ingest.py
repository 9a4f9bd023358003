"""From a parsed record to a stored article: normalise, then one idempotent upsert.

The one path every article takes into the database, whether imported from an
archive file or crawled. On the way a record is bounded (a title without markup, a
text of at most MAX_TEXT_CHARS, which also bounds fingerprinting) with a note of
what was cut.

Imports: a folder is read for the file kinds the archive parser understands
(IMPORT_SUFFIXES; README, MANIFEST and the like are skipped and listed); a file larger
than the response cap ([crawl] max_response_bytes) is refused, as the crawl refuses
such a response. A document without a URL is keyed by its source (site, file name,
title, time: newsmon.db.articles.document_key), never by its text, so two sites'
identical texts are two articles. An archived copy of a crawled article (its URL in the
front matter, or the same site, title and publication minute) updates that article:
the crawled values stand, the copy fills what they lack.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from newsmon.analysis.normalize import display_text, matching_text
from newsmon.crawler.extract.record import ArticleRecord
from newsmon.db.articles import find_crawled_copy, save_article

#: characters of text kept per article; the rest is dropped with a note (a 5,000-page
#: PDF is 17 M characters: stored whole it would take gigabytes to fingerprint)
MAX_TEXT_CHARS = 1_000_000
#: file kinds `import` reads from a folder (a file named on the command line is always tried)
IMPORT_SUFFIXES = (".txt", ".text", ".md", ".markdown", ".html", ".htm", ".shtml", ".xhtml", ".pdf")
#: names of files in a folder that describe it rather than hold a document
NOT_DOCUMENTS = ("readme", "manifest", "license", "licence", "changelog", "authors", "contributing")


def bound_record(record: ArticleRecord) -> None:
    """Bound what a record holds, noting what was cut: markup out of the title, the text
    at MAX_TEXT_CHARS."""
    from newsmon.crawler.completeness import clean_title

    title, note = clean_title(record.title or "")
    if note:
        record.title = title
        record.meta["title_markup"] = note
    if len(record.text or "") > MAX_TEXT_CHARS:
        n = len(record.text)
        record.text = record.text[:MAX_TEXT_CHARS]
        record.meta["text_capped"] = (
            f"the text was cut at {MAX_TEXT_CHARS:,} of its {n:,} characters"
        )


def record_to_row(record: ArticleRecord) -> dict[str, Any]:
    """The article row for a record: display and matching text, JSON-ready lists."""
    bound_record(record)
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


def save_archived(db: Database, record: ArticleRecord) -> tuple[str, str]:
    """Store an imported record: as an update of the crawled article it is a copy of
    (see the module docstring), else as a document of its own."""
    if record.url and record.site in ("", "unknown"):
        from newsmon.crawler.extract.dispatch import site_for_url

        record.site = site_for_url(record.url)
    row = record_to_row(record)
    titles = [row["title"], display_text(record.meta.get("title_repaired") or "")]
    minute = (row.get("published_at") or "")[:16] or None
    crawled = find_crawled_copy(
        db, url=row.get("url"), site=row["site"], titles=titles, minute=minute
    )
    if crawled is None or crawled.get("meta", {}).get("import_file"):
        return save_article(db, row)
    merged = {k: crawled.get(k) for k in row}
    for key, value in row.items():
        if merged.get(key) in (None, "", [], {}) and value not in (None, "", [], {}):
            merged[key] = value
    meta = dict(crawled.get("meta") or {})
    meta["archived_copy"] = record.meta.get("import_file")
    merged["meta"] = meta
    merged["url"], merged["canonical_url"] = crawled.get("url"), crawled.get("canonical_url")
    merged["text_match"] = crawled.get("text_match") or row.get("text_match")
    return save_article(db, merged)


@dataclass
class ImportReport:
    counts: dict[str, int] = field(default_factory=lambda: {"new": 0, "updated": 0, "unchanged": 0})
    errors: list[str] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    #: files of a folder not read: (path, why)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def skip_reason(path: Path) -> str | None:
    """Why a file found in a folder is not imported, or None to import it."""
    stem = path.name.split(".", 1)[0].lower()
    if stem in NOT_DOCUMENTS:
        return "describes the folder, not a document"
    if path.suffix.lower() not in IMPORT_SUFFIXES:
        kind = path.suffix.lower() or "no extension"
        return f"not a document kind import reads ({kind})"
    return None


def expand_paths(
    paths: Iterable[str | Path], skipped: list[tuple[str, str]] | None = None
) -> list[Path]:
    """Files as given; folders expanded to the document files below them, sorted (the
    rest is added to skipped with the reason)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")):
                why = skip_reason(f)
                if why is None:
                    out.append(f)
                elif skipped is not None:
                    skipped.append((str(f), why))
        else:
            out.append(p)
    return out


def read_capped(path: Path, cap: int) -> bytes:
    """A file's bytes; ValueError when it is larger than cap (nothing past it is read)."""
    size = path.stat().st_size
    if size > cap:
        raise ValueError(
            f"{size:,} bytes, larger than the cap of {cap:,} (crawl.max_response_bytes)"
        )
    with path.open("rb") as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise ValueError(f"larger than the cap of {cap:,} bytes (crawl.max_response_bytes)")
    return data


#: the default cap on an imported file, as on a crawled response
DEFAULT_IMPORT_CAP = 10_000_000


def import_files(
    db: Database, paths: Iterable[str | Path], *, max_bytes: int = DEFAULT_IMPORT_CAP
) -> ImportReport:
    """Import archived documents; a bad file is reported by name and the others still import."""
    from newsmon.crawler.extract.archive import parse_archive

    report = ImportReport()
    for path in expand_paths(paths, report.skipped):
        try:
            data = read_capped(path, max_bytes)
        except OSError as exc:
            report.errors.append(f"{path}: cannot read ({exc.strerror or exc})")
            continue
        except ValueError as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        try:
            record = parse_archive(data, path.name)
        except ValueError as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        finally:
            del data
        record.meta.setdefault("import_file", path.name)
        with db.atomic():
            article_id, outcome = save_archived(db, record)
        report.counts[outcome] = report.counts.get(outcome, 0) + 1
        report.article_ids.append(article_id)
    return report
