"""Extraction scored against pages labelled by reading them (newsmon/data/extract_eval).

Pages and labels in, scores out; nothing here touches the network or a database.
``load_labelled_pages`` reads the set from a folder; ``evaluate_extraction`` runs our
parsers (``dispatch.parse_page``) and, when asked, trafilatura on the same bytes and
returns one row per page with both sides' scores; ``per_page_scores`` keeps the score
columns; ``summarize_extraction`` turns the rows into one line per extractor:

    >>> pages = load_labelled_pages("newsmon/data")            # doctest: +SKIP
    >>> frame = evaluate_extraction(pages, ["ours", "trafilatura"])  # doctest: +SKIP
    >>> summarize_extraction(frame)[["title", "time", "body_f1_mean"]]  # doctest: +SKIP

Scores, per page and extractor
------------------------------
* ``title``: the extracted title equals the labelled headline, whitespace ignored;
* ``time``: the same minute in Asia/Shanghai as the labelled time; scored only on
  pages that show a time (label not null);
* ``source`` / ``author``: equal after folding (whitespace, 《》, list separators
  removed); scored only on pages that name one;
* ``body_f1``: character F1 of the extracted text against the labelled body: over
  the multisets of characters of the two texts with every whitespace character
  removed (one Chinese character is one token; order is not scored);
* ``listing``: on pages labelled ``kind = "listing"``, whether the extractor said
  the page is not one article (ours: ``record.kind == "listing"``; trafilatura has
  no such notion and always extracts one text). An article page called a listing
  scores a body F1 of 0 (it would not be stored).

trafilatura's fields are read from ``bare_extraction(with_metadata=True)``: title,
date (usually a day, so it rarely scores on time), author, and sitename as its
source (it has no notion of a declared 来源).
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmon.crawler.extract.common import SHANGHAI, parse_local_time

#: extractors evaluate_extraction knows by name
EXTRACTORS = ("ours", "trafilatura")
#: what the folding of source and author values removes before comparing
FOLD_RE = re.compile(r"[\s\u3000\xa0《》<>“”\"'、，,;；·・]+")
WHITESPACE_RE = re.compile(r"\s+", re.UNICODE)


@dataclass(frozen=True)
class LabelledPage:
    """One page of the set: its bytes, its address and what a reader finds on it."""

    id: str
    group: str
    kind: str  # "article" | "listing"
    body: bytes
    url: str | None
    label: dict[str, Any]


def load_labelled_pages(data_dir: str | Path) -> list[LabelledPage]:
    """The set under data_dir (the folder holding ``extract_eval/labels.json``)."""
    root = Path(data_dir)
    labels = json.loads((root / "extract_eval" / "labels.json").read_text(encoding="utf-8"))
    return [
        LabelledPage(
            id=label["id"],
            group=label["group"],
            kind=label.get("kind", "article"),
            body=(root / label["page"]).read_bytes(),
            url=label.get("url"),
            label=label,
        )
        for label in labels
    ]


# --- measures ------------------------------------------------------------------------------


def _chars(text: str | None) -> Counter:
    return Counter(WHITESPACE_RE.sub("", text or ""))


def char_f1(found: str | None, truth: str | None) -> float:
    """F1 of the character multisets of two texts, whitespace removed (1.0 for two empties)."""
    a, b = _chars(found), _chars(truth)
    if not a and not b:
        return 1.0
    both = sum((a & b).values())
    if not both:
        return 0.0
    precision, recall = both / sum(a.values()), both / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def fold(value: str | None) -> str:
    """A source or author value compared loosely: NFKC, no spaces, brackets or separators."""
    return FOLD_RE.sub("", unicodedata.normalize("NFKC", value or ""))


def same_title(found: str | None, label: str | None) -> bool:
    return WHITESPACE_RE.sub("", found or "") == WHITESPACE_RE.sub("", label or "")


def local_minute(value: str | None) -> str | None:
    """ "YYYY-MM-DD HH:MM" in Asia/Shanghai of a time value, None for a day alone or nothing."""
    moment, precision = parse_local_time(value)
    if moment is None or precision == "day":
        return None
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


# --- extractors ----------------------------------------------------------------------------


def ours(body: bytes, url: str | None) -> dict[str, Any]:
    """Our parsers' fields for a page (the dispatcher, as a crawl would call it)."""
    from newsmon.crawler.extract.dispatch import parse_page

    record = parse_page(body, url, {})
    return {
        "title": record.title,
        "time": local_minute(record.published_at),
        "source": record.source,
        "author": record.author,
        "text": record.text,
        "listing": record.kind == "listing",
        "parser": record.parser,
    }


def trafilatura_fields(body: bytes, url: str | None) -> dict[str, Any]:
    """trafilatura's fields for the same bytes (its default extraction, with metadata)."""
    import trafilatura

    document = trafilatura.bare_extraction(body, url=url or None, with_metadata=True)
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document or {})
    return {
        "title": data.get("title") or "",
        "time": local_minute(str(data["date"])) if data.get("date") else None,
        "source": data.get("sitename"),
        "author": data.get("author"),
        "text": data.get("text") or "",
        "listing": False,
        "parser": "trafilatura",
    }


EXTRACTOR_FUNCTIONS: dict[str, Callable[[bytes, str | None], dict[str, Any]]] = {
    "ours": ours,
    "trafilatura": trafilatura_fields,
}


def score_page(found: dict[str, Any], label: dict[str, Any]) -> dict[str, Any]:
    """The scores of one extractor's fields against one page's label (None: not scored)."""
    if label.get("kind", "article") == "listing":
        return {
            "title": None,
            "time": None,
            "source": None,
            "author": None,
            "body_f1": None,
            "listing": bool(found.get("listing")),
        }
    return {
        "title": same_title(found.get("title"), label.get("title")),
        "time": (found.get("time") == label["time"]) if label.get("time") else None,
        "source": (fold(found.get("source")) == fold(label["source"]))
        if label.get("source")
        else None,
        "author": (fold(found.get("author")) == fold(label["author"]))
        if label.get("author")
        else None,
        # an article the extractor calls a listing would not be stored: nothing of it counts
        "body_f1": 0.0
        if found.get("listing")
        else round(char_f1(found.get("text"), label.get("body")), 4),
        "listing": None,
    }


SCORE_FIELDS = ("title", "time", "source", "author", "body_f1", "listing")
SHOWN_FIELDS = ("title", "time", "source", "author")


def evaluate_extraction(pages: Sequence[LabelledPage], extractors: Iterable[str] = EXTRACTORS):
    """One row per page: id, group, kind, and for each extractor E the columns
    ``<field>_<E>`` for field in SCORE_FIELDS (bool or float; NaN/None where not
    scored), plus ``found_<field>_<E>`` with what E read (title, time, source, author)
    and ``parser_ours``. Returns a pandas.DataFrame indexed by page id."""
    import pandas as pd

    names = list(extractors)
    unknown = [n for n in names if n not in EXTRACTOR_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown extractor {unknown[0]!r}; known: {', '.join(EXTRACTORS)}")
    rows = []
    for page in pages:
        row: dict[str, Any] = {"id": page.id, "group": page.group, "kind": page.kind}
        for name in names:
            found = EXTRACTOR_FUNCTIONS[name](page.body, page.url)
            for key, value in score_page(found, page.label).items():
                row[f"{key}_{name}"] = value
            for key in SHOWN_FIELDS:
                row[f"found_{key}_{name}"] = found.get(key)
            if name == "ours":
                row["parser_ours"] = found["parser"]
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.set_index("id") if not frame.empty else frame


def per_page_scores(frame):
    """The scores of evaluate_extraction's frame without what was read: index page id,
    columns group, kind, then <field>_<extractor> for each field of SCORE_FIELDS and
    each extractor in the frame (ours first). What `newsmon eval extract` prints per page."""
    names = [n for n in EXTRACTORS if f"title_{n}" in getattr(frame, "columns", ())]
    columns = ["group", "kind"] + [f"{key}_{name}" for key in SCORE_FIELDS for name in names]
    return frame[columns]


def _share(values) -> tuple[float | None, int]:
    scored = [bool(v) for v in values if v is not None and v == v]  # v == v drops NaN
    return (sum(scored) / len(scored) if scored else None), len(scored)


def summarize_extraction(frame, extractors: Iterable[str] | None = None):
    """One row per extractor: pages scored, share of titles / times / sources / authors
    right (of the pages that show one), body char-F1 mean and worst page, share of
    listing pages recognised. A pandas.DataFrame indexed by extractor name."""
    import pandas as pd

    names = (
        list(extractors)
        if extractors is not None
        else [n for n in EXTRACTORS if f"title_{n}" in getattr(frame, "columns", ())]
    )
    out = []
    for name in names:
        row: dict[str, Any] = {"extractor": name}
        for key in ("title", "time", "source", "author", "listing"):
            share, n = _share(frame[f"{key}_{name}"].tolist()) if len(frame) else (None, 0)
            row[key] = share
            row[f"{key}_pages"] = n
        f1 = [v for v in frame[f"body_f1_{name}"].tolist() if v is not None and v == v]
        row["body_f1_mean"] = statistics.fmean(f1) if f1 else None
        row["body_f1_min"] = min(f1) if f1 else None
        row["body_pages"] = len(f1)
        out.append(row)
    return pd.DataFrame(out).set_index("extractor")


__all__ = [
    "EXTRACTORS",
    "LabelledPage",
    "char_f1",
    "evaluate_extraction",
    "load_labelled_pages",
    "per_page_scores",
    "score_page",
    "summarize_extraction",
]
