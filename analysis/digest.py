"""The daily digest: shaped from stored records, rendered as Markdown, as one
self-contained HTML page, and as an Atom feed.

Pure functions: stored records in, a digest dict out (``digest_story``,
``rank_stories``); a digest dict in, text out (``render_markdown``,
``render_html``, ``atom_feed``). Nothing is read or written here; the
charts are drawn in memory and embedded in the HTML as ``data:image/png;base64``,
and the page loads no external asset (inline CSS, no script, and a
Content-Security-Policy that forbids anything but inline styles and data: images).

Every crawled string (titles, sites, URLs, evidence, notes, stock names) is
untrusted. The HTML template autoescapes; a URL becomes a link only when it is an
absolute http(s) URL with a host (never ``javascript:`` and the like), otherwise it
is shown as text; Markdown backslash-escapes its active characters (``\\ ` * _ [ ] < > # | ~ &``;
with ``[`` and ``<`` escaped no link, image or raw HTML can start) and
percent-encodes link targets.

The input, one dict per digest (:class:`Digest`)::

    {
     "date": "2022-07-08",                   # the Asia/Shanghai trading day
     "generated_at": "2022-07-08T12:00:00Z", # ISO 8601, UTC
     "stories": [{                           # any order; rendered by rank_score, highest first
       "id": str, "headline": str, "rank_score": float,
       "official_origin": {"title", "url" (may be None), "site",
                           "document_date", "doc_number"} | None,
       "first": {"site", "title", "url", "published_at": ISO UTC,
                 "published_shanghai": "2022-07-08 10:06:12"} | None,
       "n_articles": int, "n_sites": int,
       "timeline": [{"article_id", "site", "title", "url", "published_at",
                     "published_shanghai" ("" if unknown),
                     "role" (origin|reprint|partial_reprint|commentary|related|attachment),
                     "novelty", "score"}],      # rendered in the order given
       "sectors": [{"sector_id", "name" (English), "name_zh", "relevance": 0-100,
                    "evidence": str,
                    "reaction": {"event_time": ISO UTC, "event_time_shanghai",
                                 "event_session": "YYYY-MM-DD",
                                 "sector_return", "benchmark", "benchmark_return",
                                 "ar_day0", "car_0_1", "car_0_3", "pre_drift",
                                 "t_stat", "test" (its name: BMP, cross-sectional t),
                                 "n_test", "n_members", "n_members_with_data",
                                 "intraday": {"ar_5m", ..., "ar_close"}, "n_intraday",
                                 "limit_up": [ticker], "limit_down": [ticker],
                                 "notes": [str]} | None,   # None: no price data
                    "relevance_line": str,   # why it is relevant, one line
                    "path": [{"day": int (-5..+5), "car": float | None}]}],
                                 # car: 0 at day -1, CAR[0, k] at day k >= 0
       "stocks": [{"code", "name", "confidence", "reason",
                   "reaction": {"return0", "ar_day0", "t_stat", "test", "limit_up",
                                "limit_down", "limit_up_price", "limit_down_price",
                                "intraday": {...}, "notes"} | None}]
     }]
    }

Sectors are shown strongest evidence first: those with a reaction by the |t| of the
day-0 abnormal return's test, then its |AR|; then the rest by relevance.

Returns, drifts and CARs are fractions (0.0518 is shown as +5.18%). Extra keys are
ignored, and a missing optional key renders as "–".

The Atom feed takes one small dict per written digest (:class:`FeedEntry`):
``date``, ``title``, ``summary``, ``html_url`` (or ``link``), ``updated``.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict
from urllib.parse import quote, urlsplit

from jinja2 import ChainableUndefined, Environment, PackageLoader
from markupsafe import Markup, escape

from newsmon.analysis.charts import car_chart_png
from newsmon.timefmt import shanghai, utc_iso

__all__ = [
    "Digest",
    "FeedEntry",
    "FirstReport",
    "OfficialOrigin",
    "PathPoint",
    "Reaction",
    "SectorRow",
    "StockReaction",
    "StockRow",
    "Story",
    "TimelineEntry",
    "atom_feed",
    "digest_story",
    "evidence_strength",
    "evidence_text",
    "first_report",
    "is_web_url",
    "origin_view",
    "rank_score",
    "rank_stories",
    "reaction_view",
    "relevance_line",
    "render_html",
    "render_markdown",
    "sector_rows",
    "stock_reaction_view",
    "stock_rows",
    "story_chart_png",
    "timeline_rows",
]


# ---------------------------------------------------------------- input shape


class OfficialOrigin(TypedDict):
    """The government document a story comes from."""

    title: str
    url: str | None
    site: str
    document_date: str | None
    doc_number: str | None


class FirstReport(TypedDict):
    """The earliest dated media article of a story."""

    site: str
    title: str
    url: str | None
    published_at: str
    published_shanghai: str


class TimelineEntry(TypedDict):
    """One article of a story, in the order the story spread."""

    article_id: str
    site: str
    title: str
    url: str | None
    published_at: str | None
    published_shanghai: str
    role: str
    novelty: float | None
    score: float | None


#: the minute windows of a reaction, in the order shown
INTRADAY_KEYS = ("ar_5m", "ar_15m", "ar_30m", "ar_60m", "ar_close")


class Reaction(TypedDict):
    """A sector's event-study figures around the story's event time."""

    event_time: str
    event_time_shanghai: str
    event_session: str
    sector_return: float | None
    benchmark: str
    benchmark_return: float | None
    ar_day0: float | None
    car_0_1: float | None
    car_0_3: float | None
    pre_drift: float | None
    t_stat: float | None
    test: NotRequired[str | None]
    n_test: NotRequired[int | None]
    n_members: int
    n_members_with_data: int
    intraday: NotRequired[dict[str, float | None]]
    n_intraday: NotRequired[int | None]
    limit_up: NotRequired[list[str]]
    limit_down: NotRequired[list[str]]
    notes: list[str]


class StockReaction(TypedDict):
    """A named company's own reaction."""

    return0: float | None
    ar_day0: float | None
    car_0_1: float | None
    t_stat: float | None
    test: str | None
    limit_up: bool | None
    limit_down: bool | None
    limit_up_price: float | None
    limit_down_price: float | None
    intraday: dict[str, float | None]
    notes: list[str]


class PathPoint(TypedDict):
    """Cumulative abnormal return at one event day."""

    day: int
    car: float | None


class SectorRow(TypedDict):
    """A sector tagged on a story, with the market's reaction when prices exist."""

    sector_id: str
    name: str
    name_zh: str
    relevance: float | None
    evidence: str
    relevance_line: NotRequired[str]
    reaction: Reaction | None
    path: list[PathPoint]


class StockRow(TypedDict):
    """A listed company named by a story."""

    code: str
    name: str | None
    confidence: float | None
    reason: str
    reaction: NotRequired[StockReaction | None]


class Story(TypedDict):
    """One story of the digest."""

    id: str
    headline: str
    rank_score: float
    official_origin: OfficialOrigin | None
    first: FirstReport | None
    n_articles: int
    n_sites: int
    timeline: list[TimelineEntry]
    sectors: list[SectorRow]
    stocks: list[StockRow]


class Digest(TypedDict):
    """The stories first reported on one Asia/Shanghai trading day."""

    date: str
    generated_at: str
    stories: list[Story]


class FeedEntry(TypedDict):
    """One written digest, as an Atom entry."""

    date: str
    title: str
    summary: NotRequired[str]
    html_url: NotRequired[str]
    link: NotRequired[str]
    updated: str


# ---------------------------------------------------------------- shaping stored records

#: rank points per site and per article that carried the story
RANK_PER_SITE = 10
RANK_PER_ARTICLE = 1
#: rank points for a story with an official (government) origin
RANK_OFFICIAL_ORIGIN = 5
#: the strongest sector reaction (|t| of the day-0 abnormal return) counts up to this
RANK_MAX_REACTION = 20


def evidence_text(evidence: Any) -> str:
    """Stored tag evidence as one line of text: strings as they are, lists joined by
    "; ", dicts as "key: value" joined by ", " (nested alike), None as ""."""
    if evidence is None:
        return ""
    if isinstance(evidence, str):
        return evidence
    if isinstance(evidence, list):
        return "; ".join(evidence_text(e) for e in evidence)
    if isinstance(evidence, dict):
        return ", ".join(f"{k}: {evidence_text(v)}" for k, v in evidence.items())
    return str(evidence)


def reaction_view(reaction: Mapping[str, Any]) -> Reaction | None:
    """A stored reaction row (``event_time``, ``event_session``, ``figures`` as the event
    study stores them) as the digest's :class:`Reaction`; None when no member or no
    benchmark had a price that day."""
    f = reaction["figures"]
    if not f.get("n_members_with_data") or f.get("benchmark_return") is None:
        return None
    return {
        "event_time": reaction["event_time"],
        "event_time_shanghai": shanghai(reaction["event_time"], "%Y-%m-%d %H:%M"),
        "event_session": reaction["event_session"],
        "sector_return": f.get("sector_return"),
        "benchmark": f.get("benchmark"),
        "benchmark_return": f.get("benchmark_return"),
        "ar_day0": f.get("ar0"),
        "car_0_1": f.get("car_0_1"),
        "car_0_3": f.get("car_0_3"),
        "pre_drift": f.get("car_m3_m1"),
        "t_stat": f.get("t_ar0"),
        "test": f.get("test_ar0"),
        "n_test": f.get("n_ar0"),
        "n_members": f.get("n_members"),
        "n_members_with_data": f.get("n_members_with_data"),
        "intraday": {k: f.get(k) for k in INTRADAY_KEYS},
        "n_intraday": f.get("n_intraday"),
        "limit_up": list(f.get("limit_up") or []),
        "limit_down": list(f.get("limit_down") or []),
        "notes": list(f.get("notes") or []),
    }


def stock_reaction_view(reaction: Mapping[str, Any]) -> StockReaction | None:
    """A stored per-stock reaction row (``figures`` as ``stock_records`` stores them) as
    the digest's :class:`StockReaction`; None without a day-0 return."""
    f = reaction.get("figures") or {}
    if f.get("return0") is None:
        return None
    return {
        "return0": f.get("return0"),
        "ar_day0": f.get("ar0"),
        "car_0_1": f.get("car_0_1"),
        "t_stat": f.get("t_ar0"),
        "test": f.get("test"),
        "limit_up": f.get("limit_up"),
        "limit_down": f.get("limit_down"),
        "limit_up_price": f.get("limit_up_price"),
        "limit_down_price": f.get("limit_down_price"),
        "intraday": {k: f.get(k) for k in INTRADAY_KEYS},
        "notes": list(f.get("notes") or []),
    }


def outlet_name(row: Mapping[str, Any]) -> str:
    """What a reader calls the outlet of a stored article or story member: its stored
    ``outlet_name``, else the outlet registry's name for its URL (IT之家, not ithome)."""
    if row.get("outlet_name"):
        return row["outlet_name"]
    from newsmon.config.outlets import registry

    outlets = registry()
    return outlets.display_name(outlets.outlet_id(row.get("url"), row.get("site")))


def origin_view(
    story: Mapping[str, Any], article: Mapping[str, Any] | None
) -> OfficialOrigin | None:
    """The :class:`OfficialOrigin` of a stored story from its stored origin article
    (None without one); the URL is the story's ``official_origin_url``, else the article's."""
    if not article:
        return None
    return {
        "title": article["title"],
        "url": story.get("official_origin_url") or article.get("url"),
        "site": outlet_name(article),
        "document_date": article.get("document_date"),
        "doc_number": article.get("doc_number"),
    }


def first_report(
    story: Mapping[str, Any], members: Sequence[Mapping[str, Any]]
) -> FirstReport | None:
    """The :class:`FirstReport`: the member whose id is the story's ``first_article_id``."""
    first = next((m for m in members if m["article_id"] == story.get("first_article_id")), None)
    if not first:
        return None
    return {
        "site": outlet_name(first),
        "title": first["title"],
        "url": first["url"],
        "published_at": first["published_at"],
        "published_shanghai": shanghai(first["published_at"]),
    }


def timeline_rows(members: Sequence[Mapping[str, Any]]) -> list[TimelineEntry]:
    """The :class:`TimelineEntry` of each stored story member (article fields and its
    ``role``, ``novelty``, ``score``), in the order given."""
    return [
        {
            "article_id": m["article_id"],
            "site": outlet_name(m),
            "title": m["title"],
            "url": m["url"],
            "published_at": m["published_at"],
            "published_shanghai": shanghai(m["published_at"]),
            "role": m["role"],
            "novelty": m["novelty"],
            "score": m["score"],
        }
        for m in members
    ]


def relevance_line(
    tag: Mapping[str, Any], member_tags: Sequence[Sequence[Mapping[str, Any]]] = ()
) -> str:
    """Why a sector tag has its relevance, in one line: its strongest article's keywords
    (how often, and where: title, lead, body) and how many of the story's articles carry
    it; without the articles' tags, the stored story-tag evidence (max, coverage)."""
    code, relevance = tag["code"], tag.get("relevance")
    head = f"relevance {_num(relevance)}"
    scored = [
        (t.get("confidence") or 0, t)
        for article in member_tags
        for t in article
        if t.get("kind") == "sector" and t.get("code") == code
    ]
    if scored:
        best = max(scored, key=lambda st: st[0])[1]
        words = []
        for k in (best.get("evidence") or [])[:3]:
            if not isinstance(k, Mapping) or not k.get("keyword"):
                continue
            total = sum(int(k.get(p) or 0) for p in ("title", "lead", "body"))
            where = [p for p in ("title", "lead") if k.get(p)]
            words.append(f"{k['keyword']} ×{total}" + (f" ({', '.join(where)})" if where else ""))
        said = ", ".join(words) if words else "its keywords"
        return (
            f"{head}: the strongest article names {said}; tagged in {len(scored)} of "
            f"{len(member_tags)} articles"
        )
    evidence = tag.get("evidence")
    if isinstance(evidence, Mapping) and evidence.get("coverage") is not None:
        return (
            f"{head}: the strongest article's score; tagged in "
            f"{_num(float(evidence['coverage']) * 100)}% of the story's articles"
        )
    return head


def evidence_strength(row: Mapping[str, Any]) -> tuple:
    """How a sector row sorts, strongest evidence first: rows with a reaction by |t| of
    the day-0 test (one without a statistic after those with), then |AR day 0|; rows
    without prices last, by relevance."""
    r = row.get("reaction")
    relevance = -(row.get("relevance") or 0)
    if not r:
        return (2, 0.0, 0.0, relevance)
    t, ar = r.get("t_stat"), r.get("ar_day0")
    return (
        0 if _finite(t) else 1,
        -abs(t) if _finite(t) else 0.0,
        -abs(ar) if _finite(ar) else 0.0,
        relevance,
    )


def sector_rows(
    tags: Sequence[Mapping[str, Any]],
    reactions: Mapping[str, Mapping[str, Any]],
    sectors: Mapping[str, Mapping[str, Any]],
    member_tags: Sequence[Sequence[Mapping[str, Any]]] = (),
) -> list[SectorRow]:
    """The story's :class:`SectorRow` list, strongest evidence first
    (``evidence_strength``; ties in the order given).

    ``tags``: the story's stored tags (only ``kind == "sector"`` ones are used);
    ``reactions``: sector id -> stored reaction row; ``sectors``: sector id -> stored
    sector (``name``, ``name_zh``), for the display names; ``member_tags``: each member
    article's tags, for ``relevance_line``.
    """
    rows: list[SectorRow] = []
    for t in tags:
        if t["kind"] != "sector":
            continue
        r = reactions.get(t["code"])
        sector = sectors.get(t["code"], {})
        rows.append(
            {
                "sector_id": t["code"],
                "name": sector.get("name") or t.get("name") or t["code"],
                "name_zh": sector.get("name_zh") or "",
                "relevance": t.get("relevance"),
                "evidence": evidence_text(t.get("evidence")),
                "relevance_line": relevance_line(t, member_tags),
                "reaction": reaction_view(r) if r else None,
                "path": r["figures"].get("path", []) if r else [],
            }
        )
    return sorted(rows, key=evidence_strength)


def stock_rows(
    tags: Sequence[Mapping[str, Any]],
    member_tags: Sequence[Sequence[Mapping[str, Any]]],
    reactions: Sequence[Mapping[str, Any]] = (),
) -> list[StockRow]:
    """The story's :class:`StockRow` list, in the order of its stock tags.

    ``tags``: the story's stored tags (``kind == "stock"`` ones are used);
    ``member_tags``: each member article's stored tags, in member order. A stock's
    reason is the article-level ``reason`` of its strongest tag (the later article on a
    tie); without one, the story tag's evidence as text. ``reactions``: the story's
    stored per-stock reactions (``ticker``, ``figures``); a stock without one (below the
    confidence threshold, or no prices) has ``reaction`` None.
    """
    by_ticker = {r["ticker"]: stock_reaction_view(r) for r in reactions}
    reasons: dict[str, tuple[float, str]] = {}
    for article in member_tags:
        for t in article:
            score = t.get("confidence") or 0
            if t["kind"] == "stock" and score >= reasons.get(t["code"], (-1.0, ""))[0]:
                reasons[t["code"]] = (score, t.get("reason") or "")
    return [
        {
            "code": t["code"],
            "name": t.get("name"),
            "confidence": t.get("relevance"),
            "reason": reasons.get(t["code"], (0, ""))[1] or evidence_text(t.get("evidence")),
            "reaction": by_ticker.get(t["code"]),
        }
        for t in tags
        if t["kind"] == "stock"
    ]


def rank_score(
    story: Mapping[str, Any],
    origin: Mapping[str, Any] | None,
    sectors: Sequence[Mapping[str, Any]],
) -> float:
    """A story's rank: ``RANK_PER_SITE`` per site, ``RANK_PER_ARTICLE`` per article,
    ``RANK_OFFICIAL_ORIGIN`` with an official origin, and the strongest sector
    reaction's |t| (day-0 abnormal return) up to ``RANK_MAX_REACTION``; 3 decimals.

    ``story``: stored (``n_sites``, ``n_articles``); ``sectors``: its :class:`SectorRow` list.
    """
    strongest = max((abs((x["reaction"] or {}).get("t_stat") or 0) for x in sectors), default=0.0)
    rank = (
        (story.get("n_sites") or 0) * RANK_PER_SITE
        + (story.get("n_articles") or 0) * RANK_PER_ARTICLE
        + (RANK_OFFICIAL_ORIGIN if origin else 0)
        + min(strongest, RANK_MAX_REACTION)
    )
    return round(float(rank), 3)


def digest_story(
    story: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
    origin: Mapping[str, Any] | None,
    tags: Sequence[Mapping[str, Any]],
    member_tags: Sequence[Sequence[Mapping[str, Any]]],
    reactions: Sequence[Mapping[str, Any]],
    sectors: Mapping[str, Mapping[str, Any]],
    stock_reactions: Sequence[Mapping[str, Any]] = (),
) -> Story:
    """One :class:`Story` of the digest from stored records.

    ``story``: the stored story; ``members``: its articles with role, novelty and score,
    in publication order; ``origin``: its stored origin article or None; ``tags``: the
    story's tags; ``member_tags``: each member's article tags, in member order;
    ``reactions``: its stored reaction rows; ``sectors``: sector id -> stored sector;
    ``stock_reactions``: its stored per-stock reaction rows.
    """
    official = origin_view(story, origin)
    by_sector = {r["sector_id"]: r for r in reactions}
    rows = sector_rows(tags, by_sector, sectors, member_tags)
    return {
        "id": story["id"],
        "headline": story["title"],
        "rank_score": rank_score(story, official, rows),
        "official_origin": official,
        "first": first_report(story, members),
        "n_articles": story.get("n_articles") or 0,
        "n_sites": story.get("n_sites") or 0,
        "timeline": timeline_rows(members),
        "sectors": rows,
        "stocks": stock_rows(tags, member_tags, stock_reactions),
    }


def rank_stories(stories: Sequence[Story], top: int | None = None) -> list[Story]:
    """The stories by ``rank_score``, highest first (ties by id), the first ``top`` of them."""
    ranked = sorted(stories, key=lambda x: (-x["rank_score"], x["id"]))
    return ranked if top is None else ranked[:top]


# ---------------------------------------------------------------- text helpers

#: characters XML 1.0 cannot carry even escaped (C0 controls but tab/newline/CR, and U+FFFE/F)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
#: Markdown/HTML-active characters escaped with a backslash in Markdown text
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>#|~&])")
#: characters kept as they are in a Markdown link target; everything else is percent-encoded
_URL_SAFE = "/:?#@$&'*+,;=%~.-_!"
_DASH = "–"


def _text(value: Any) -> str:
    """A value as one line of display text, without control characters."""
    if value is None:
        return ""
    text = _XML_INVALID.sub("", str(value))
    return " ".join(text.split()) if ("\n" in text or "\r" in text or "\t" in text) else text


def is_web_url(url: Any) -> bool:
    """True for an absolute http(s) URL with a host and no whitespace or control characters."""
    if not isinstance(url, str) or not url or url != url.strip():
        return False
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _html_link(url: Any, text: Any) -> Markup:
    """An escaped ``<a>`` for a web URL; otherwise the escaped text alone."""
    label = _text(text) or _text(url)
    if is_web_url(url):
        return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(url, label)
    return Markup(escape(label))


def _md(value: Any) -> str:
    """Untrusted text for Markdown: one line, active characters backslash-escaped."""
    return _MD_ACTIVE.sub(r"\\\1", _text(value))


def _md_link(url: Any, text: Any) -> str:
    """``[text](url)`` for a web URL (target percent-encoded); otherwise escaped text."""
    label = _md(_text(text) or _text(url))
    if is_web_url(url):
        return f"[{label}]({quote(url, safe=_URL_SAFE)})"
    return label


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _pct(value: Any) -> str:
    """A fraction as a signed percentage with two decimals, or "–" when unknown."""
    return f"{value * 100:+.2f}%" if _finite(value) else _DASH


def _num(value: Any, digits: int = 0) -> str:
    return f"{value:.{digits}f}" if _finite(value) else _DASH


def _sign(value: Any) -> str:
    """CSS class for a figure: "pos", "neg" or "" (zero or unknown)."""
    if not _finite(value) or value == 0:
        return ""
    return "pos" if value > 0 else "neg"


def _token(value: Any) -> str:
    """A value reduced to a safe CSS class token (``[a-z0-9_-]``)."""
    return re.sub(r"[^a-z0-9_-]+", "_", _text(value).lower()).strip("_")


def _count(value: Any, noun: str) -> str:
    """``"1 site"``, ``"3 sites"``; "–" for an unknown count."""
    if not _finite(value):
        return f"{_DASH} {noun}s"
    return f"{value:.0f} {noun}" + ("" if value == 1 else "s")


def _limit(reaction: Mapping[str, Any] | None) -> str:
    """A named stock's limit flag as shown: "limit-up 9.00", "limit-down 7.36" or ""."""
    if not reaction:
        return ""
    if reaction.get("limit_up"):
        return f"limit-up {_num(reaction.get('limit_up_price'), 2)}"
    if reaction.get("limit_down"):
        return f"limit-down {_num(reaction.get('limit_down_price'), 2)}"
    return ""


def _members(reaction: Mapping[str, Any]) -> str:
    have, total = reaction.get("n_members_with_data"), reaction.get("n_members")
    if have is None and total is None:
        return _DASH
    return f"{_num(have)}/{_num(total)}"


# ---------------------------------------------------------------- view model


def _event_label(story: Mapping[str, Any]) -> str:
    """Text beside the day-0 line: the Asia/Shanghai time of first publication."""
    first = story.get("first") or {}
    when = _text(first.get("published_shanghai"))
    if when:
        return f"first published {when} Asia/Shanghai"
    reaction = _first_reaction(story)
    if reaction and reaction.get("event_time_shanghai"):
        return f"event {_text(reaction['event_time_shanghai'])} Asia/Shanghai"
    return "event"


def _first_reaction(story: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((s["reaction"] for s in story.get("sectors") or [] if s.get("reaction")), None)


def _chart_series(story: Mapping[str, Any]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """(English sector name, path) for each tagged sector with a reaction and a known CAR."""
    return [
        (_text(s.get("name") or s.get("sector_id")), list(s.get("path") or []))
        for s in story.get("sectors") or []
        if s.get("reaction") and any(_finite(p.get("car")) for p in s.get("path") or [])
    ]


def story_chart_png(story: Story | Mapping[str, Any]) -> bytes | None:
    """The story's CAR chart (days -5..+5, day 0 marked), or None with no price path."""
    series = _chart_series(story)
    if not series:
        return None
    return car_chart_png(series, _event_label(story))


def _is_first(entry: Mapping[str, Any], first: Mapping[str, Any] | None) -> bool:
    if not first or not entry.get("published_at"):
        return False
    return (entry.get("site"), entry.get("published_at"), entry.get("title")) == (
        first.get("site"),
        first.get("published_at"),
        first.get("title"),
    )


def _intraday_view(story: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The intraday path rows (sectors, then named stocks, with any minute window known)
    and, when there are none, why."""
    rows = []
    for s in story.get("sectors") or []:
        r = s.get("reaction") or {}
        values = [(r.get("intraday") or {}).get(k) for k in INTRADAY_KEYS]
        if any(_finite(v) for v in values):
            label = _text(s.get("name") or s.get("sector_id"))
            rows.append({"label": label, "values": values, "n": r.get("n_intraday")})
    for t in story.get("stocks") or []:
        r = t.get("reaction") or {}
        values = [(r.get("intraday") or {}).get(k) for k in INTRADAY_KEYS]
        if any(_finite(v) for v in values):
            label = f"{_text(t.get('code'))} {_text(t.get('name'))}".strip()
            rows.append({"label": label, "values": values, "n": None})
    if rows:
        return rows, ""
    notes = [
        n
        for s in story.get("sectors") or []
        for n in ((s.get("reaction") or {}).get("notes") or [])
    ]
    why = next((n for n in notes if "intraday windows not computed" in str(n)), None)
    if why:
        reason = str(why).split("intraday windows not computed:", 1)[-1].strip()
    else:
        reason = "no minute window could be computed"
    return [], (
        f"{reason}. Minute bars come from `newsmon prices update --interval 1m` (Yahoo keeps "
        "1m bars 30 days, 2m-90m bars 60 days) or `newsmon prices import` of minute-bar files"
    )


def _session_note(story: Mapping[str, Any]) -> str:
    reaction = _first_reaction(story)
    if not reaction:
        return "no price data: the event was not aligned to a trading session"
    session = _text(reaction.get("event_session"))
    when = _text(reaction.get("event_time_shanghai"))
    bench = _text(reaction.get("benchmark"))
    return f"event {when} Asia/Shanghai, day 0 = session {session}, benchmark {bench}"


def _stories(digest: Mapping[str, Any], charts: bool) -> list[dict[str, Any]]:
    """The stories ranked (highest rank_score first, ties in input order), ready to lay out."""
    raw = list(digest.get("stories") or [])

    def score(story: Mapping[str, Any]) -> float:
        value = story.get("rank_score")
        return float(value) if _finite(value) else 0.0

    order = sorted(range(len(raw)), key=lambda i: (-score(raw[i]), i))
    out = []
    for rank, i in enumerate(order, start=1):
        story = raw[i]
        first = story.get("first")
        chart = story_chart_png(story) if charts else None
        sectors = list(story.get("sectors") or [])
        intraday, intraday_reason = _intraday_view(story)
        out.append(
            {
                "rank": rank,
                "anchor": f"story-{rank}",
                "src": story,
                "first": first,
                "origin": story.get("official_origin"),
                "timeline": [
                    {"src": a, "is_first": _is_first(a, first)} for a in story.get("timeline") or []
                ],
                "sectors": sectors,
                "has_reaction": any(s.get("reaction") for s in sectors),
                "stocks": list(story.get("stocks") or []),
                "intraday": intraday,
                "intraday_reason": intraday_reason,
                "intraday_headers": ["+5 min", "+15 min", "+30 min", "+60 min", "close"],
                "chart": base64.b64encode(chart).decode("ascii") if chart else None,
                "event_label": _event_label(story),
                "session_note": _session_note(story),
            }
        )
    return out


# ---------------------------------------------------------------- environments


def _globals() -> dict[str, Any]:
    return {
        "text": _text,
        "pct": _pct,
        "num": _num,
        "sign": _sign,
        "members": _members,
        "limit": _limit,
        "count": _count,
        "token": _token,
        "md": _md,
        "md_link": _md_link,
        "link": _html_link,
    }


@functools.cache
def _environment(kind: str) -> Environment:
    """The Jinja environment for "html" and "xml" (autoescaped) or "md" (escaped by md())."""
    env = Environment(
        loader=PackageLoader("newsmon.analysis", "templates"),
        autoescape=kind in ("html", "xml"),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(_globals())
    env.filters["md"] = _md
    return env


def _context(digest: Mapping[str, Any], charts: bool) -> dict[str, Any]:
    return {
        "date": _text(digest.get("date")),
        "generated_at": _text(digest.get("generated_at")),
        "stories": _stories(digest, charts),
    }


def render_html(digest: Digest | Mapping[str, Any]) -> str:
    """The digest as one self-contained HTML page (inline CSS, charts as data: PNG).

    Stable hooks: ``section.story#story-N`` (N = rank from 1), ``table.timeline``
    (rows ``tr.timeline-row``), ``table.sectors`` (rows ``tr.sector-row``),
    ``img.chart``, and ``#no-stories`` on a day without stories.
    """
    return _environment("html").get_template("digest.html.j2").render(_context(digest, True))


def render_markdown(digest: Digest | Mapping[str, Any]) -> str:
    """The digest as Markdown (GitHub-flavoured tables), crawled text escaped."""
    return _environment("md").get_template("digest.md.j2").render(_context(digest, False))


# ---------------------------------------------------------------- Atom

#: the tagging entity of entry and feed ids (RFC 4151); fixed so ids never change
TAG_AUTHORITY = "tag:newsmon,2022:"
_FEED_SCHEMES = ("http", "https", "file")


def _rfc3339(value: Any) -> str:
    """An ISO 8601 time as RFC 3339 UTC (``2022-07-08T12:00:00Z``); naive means UTC."""
    text = _text(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"feed entry 'updated' is not an ISO 8601 time: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return utc_iso(moment)


def _feed_link(url: Any) -> str | None:
    """A URL usable as an Atom link (http, https or file), else None."""
    if not isinstance(url, str) or not url or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in _FEED_SCHEMES else None


def atom_feed(
    digests: Sequence[FeedEntry | Mapping[str, Any]], feed_url: str, site_url: str
) -> str:
    """An Atom 1.0 feed of written digests, newest first.

    Each entry's id is ``tag:newsmon,2022:digest/<date>``, so a reader sees a
    re-rendered digest as an update of the same entry. An entry without a usable
    ``html_url``/``link`` links to ``site_url``. Text is XML-escaped and stripped
    of characters XML cannot carry.
    """
    site = _feed_link(site_url)
    entries = []
    for d in digests:
        date = _text(d["date"])
        entries.append(
            {
                "id": f"{TAG_AUTHORITY}digest/{quote(date, safe='-')}",
                "date": date,
                "title": _text(d.get("title")) or f"newsmon digest {date}",
                "summary": _text(d.get("summary")),
                "link": _feed_link(d.get("html_url") or d.get("link")) or site,
                "updated": _rfc3339(d["updated"]),
            }
        )
    entries.sort(key=lambda e: (e["date"], e["updated"]), reverse=True)
    updated = max((e["updated"] for e in entries), default="1970-01-01T00:00:00Z")
    return (
        _environment("xml")
        .get_template("atom.xml.j2")
        .render(
            feed_id=f"{TAG_AUTHORITY}digests",
            feed_url=_feed_link(feed_url),
            site_url=site,
            updated=updated,
            entries=entries,
        )
    )
