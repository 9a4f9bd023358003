"""The daily digest as Markdown, as one self-contained HTML page, and as an Atom feed.

Pure rendering: a digest dict in, text out (charts are embedded PNG). Every
crawled string is untrusted: the HTML template autoescapes, links are made only
of http(s) URLs, and Markdown escapes its active characters.

The digest dict::

    {"date": "2022-07-08", "generated_at": ISO UTC,
     "stories": [{
        "id", "headline", "rank_score",
        "official_origin": {"title", "url", "site", "document_date", "doc_number"} | None,
        "first": {"site", "title", "url", "published_at", "published_shanghai"} | None,
        "n_articles", "n_sites",
        "timeline": [{"article_id", "site", "title", "url", "published_at",
                      "published_shanghai", "role", "novelty", "score"}],
        "sectors": [{"sector_id", "name", "name_zh", "relevance", "evidence",
                     "reaction": {"event_time", "event_time_shanghai", "event_session",
                                  "sector_return", "benchmark", "benchmark_return",
                                  "ar_day0", "car_0_1", "car_0_3", "pre_drift", "t_stat",
                                  "n_members", "n_members_with_data", "notes"} | None,
                     "path": [{"day": -5..5, "car": float | None}]}],
        "stocks": [{"code", "name", "confidence", "reason"}]}]}
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from analysis.charts import car_chart_png

_MD_ACTIVE = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~>])")


def _is_web_url(url: Any) -> bool:
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def _link(url: Any, text: Any) -> Markup:
    label = escape(text or url or "")
    if _is_web_url(url):
        return Markup(f'<a href="{escape(url)}" rel="noopener noreferrer">{label}</a>')
    return label


def _md(text: Any) -> str:
    return _MD_ACTIVE.sub(r"\\\1", str(text or "")).replace("\n", " ")


def _mdlink(url: Any, text: Any) -> str:
    label = _md(text or url or "")
    if _is_web_url(url):
        safe = (
            str(url)
            .replace(" ", "%20")
            .replace("(", "%28")
            .replace(")", "%29")
            .replace("<", "%3C")
            .replace(">", "%3E")
        )
        return f"[{label}]({safe})"
    return label


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _pct(value: Any) -> str:
    return f"{value * 100:+.2f}%" if _finite(value) else "–"


def _num(value: Any, digits: int = 0) -> str:
    if not _finite(value):
        return "–"
    return f"{value:.{digits}f}"


def _sign(value: Any) -> str:
    if not _finite(value) or value == 0:
        return ""
    return "pos" if value > 0 else "neg"


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("analysis", "templates"),
        autoescape=select_autoescape(["html.j2", "xml.j2"], default_for_string=True) if autoescape else False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(link=_link, md=_md, mdlink=_mdlink, pct=_pct, num=_num, sign=_sign)
    return env


def story_chart(story: dict[str, Any]) -> str | None:
    """The story's CAR chart as base64 PNG, or None when no sector has a path."""
    series = [
        (s["name"], s.get("path") or [])
        for s in story.get("sectors") or []
        if s.get("reaction") and any(_finite(p.get("car")) for p in s.get("path") or [])
    ]
    if not series:
        return None
    first = story.get("first") or {}
    label = f"first report {first.get('published_shanghai', '')[:16]}" if first else "event"
    return base64.b64encode(car_chart_png(series, label)).decode("ascii")


def _prepared(digest: dict[str, Any], charts: bool) -> dict[str, Any]:
    stories = []
    for story in digest.get("stories") or []:
        s = dict(story)
        s["chart"] = story_chart(s) if charts else None
        reaction = next((x["reaction"] for x in s.get("sectors") or [] if x.get("reaction")), None)
        s["event_label"] = (
            f"{reaction['event_time_shanghai']} Asia/Shanghai (session {reaction['event_session']})"
            if reaction
            else "not aligned (no price data)"
        )
        stories.append(s)
    return {**digest, "stories": stories}


def render_html(digest: dict[str, Any]) -> str:
    """One self-contained HTML page: inline CSS, charts as data: PNG, no external assets."""
    return _environment(True).get_template("digest.html.j2").render(digest=_prepared(digest, True))


def render_markdown(digest: dict[str, Any]) -> str:
    return _environment(False).get_template("digest.md.j2").render(digest=_prepared(digest, False))


def atom_feed(digests: Sequence[dict[str, Any]], feed_url: str, site_url: str) -> str:
    """An Atom 1.0 feed of digests: dicts ``date``, ``title``, ``summary``, ``link``, ``updated``."""
    entries = [
        {
            "id": f"tag:newsmon,{d['date'][:4]}:digest/{d['date']}",
            "title": d["title"],
            "summary": d.get("summary") or "",
            "link": d["link"],
            "updated": d["updated"],
        }
        for d in digests
    ]
    updated = max((e["updated"] for e in entries), default="1970-01-01T00:00:00Z")
    return (
        _environment(True)
        .get_template("atom.xml.j2")
        .render(
            digests=entries,
            feed_url=feed_url,
            site_url=site_url,
            updated=updated,
            feed_id="tag:newsmon,2022:digests",
        )
    )
