"""Discovery: from a list page, feed or list API response to the article URLs it names.

Pure functions (bytes or text in, entries out), no Scrapy and no network. A response
that cannot be read raises DiscoveryError, carrying whatever entries could still be
recovered, so the spider logs one failure and goes on with the rest.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from newsmon.crawler.urls import absolute
from newsmon.timefmt import declared_time

ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


class DiscoveryError(ValueError):
    """A discovery response could not be read (fully)."""

    def __init__(self, message: str, entries: list[Entry] | None = None):
        super().__init__(message)
        self.entries = entries or []


@dataclass
class Entry:
    """One article a discovery response names."""

    url: str
    title: str = ""
    published_at: str | None = None  # ISO 8601 UTC
    summary_html: str = ""  # a feed's description/content (IT之家 carries the whole article)
    intro: str = ""  # a list's short summary (Sina's roll API), not the article
    source: str = ""  # the media name the list gives
    date: str | None = None  # a list's bare date (YYYY-MM-DD), when that is all it gives


def unix_to_utc(value: Any) -> str | None:
    """Unix seconds (number or numeric string) to ISO UTC; None when absent or not a time."""
    if value in (None, ""):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime(ISO_UTC)


def _text(data: bytes | str) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8-sig", errors="replace")
    return data


# --- Sina roll-news API -------------------------------------------------------------


def parse_sina_roll(data: bytes | str) -> list[Entry]:
    """feed.mix.sina.com.cn/api/roll/get: {"result": {"status": {"code": 0}, "data": [...]}}.

    Each item gives title, url, intro, media_name and ctime/intime/mtime (unix seconds,
    as strings); the publication time taken is ctime, else intime.
    """
    text = _text(data).strip()
    # the API also answers JSONP when asked (callback=...): accept try{cb({...});}catch(e){};
    if not text.startswith("{"):
        match = re.search(r"\(\s*(\{.*\})\s*\)", text, re.S)
        if match:
            text = match.group(1)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiscoveryError(f"roll API: not valid JSON ({exc.msg} at char {exc.pos})") from exc
    result = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(result, dict):
        raise DiscoveryError("roll API: no 'result' object")
    status = result.get("status") or {}
    code = status.get("code") if isinstance(status, dict) else None
    if code not in (0, "0", None):
        raise DiscoveryError(f"roll API: status code {code!r} ({status.get('msg', '')})")
    items = result.get("data")
    if not isinstance(items, list):
        raise DiscoveryError("roll API: 'data' is not a list")
    entries: list[Entry] = []
    bad = 0
    for item in items:
        if not isinstance(item, dict) or not str(item.get("url") or "").startswith("http"):
            bad += 1
            continue
        url = str(item["url"]).strip()
        if url.startswith("http://"):
            url = "https://" + url[len("http://") :]
        entries.append(
            Entry(
                url=url,
                title=str(item.get("title") or "").strip(),
                published_at=unix_to_utc(item.get("ctime")) or unix_to_utc(item.get("intime")),
                intro=str(item.get("intro") or ""),
                source=str(item.get("media_name") or ""),
            )
        )
    if bad and not entries:
        raise DiscoveryError(f"roll API: none of {bad} items has a URL")
    return entries


# --- RSS / Atom ------------------------------------------------------------------------


def _struct_to_utc(value: Any) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC).strftime(ISO_UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _entry_time(e: Any) -> str | None:
    """An entry's published (else updated) time as ISO UTC.

    feedparser's ``*_parsed`` reads a time without a zone as UTC; a Chinese feed's
    local time is Asia/Shanghai, so the time as written is read first.
    """
    for key in ("published", "updated"):
        try:
            moment, _ = declared_time(e.get(key))
        except ValueError:
            moment = _struct_to_utc(e.get(f"{key}_parsed"))
        if moment:
            return moment
    return None


def parse_feed(data: bytes | str, url: str = "") -> list[Entry]:
    """RSS 2.0 / Atom entries via feedparser: link, title, published time (UTC), HTML body.

    feedparser reads what it can of a broken feed; a feed that is not well formed raises
    DiscoveryError carrying the entries still recovered.
    """
    import feedparser

    parsed = feedparser.parse(data if isinstance(data, bytes) else data.encode("utf-8"))
    entries: list[Entry] = []
    for e in parsed.entries:
        link = e.get("link") or ""
        if not link and str(e.get("id", "")).startswith("http"):
            link = e["id"]
        if not link:
            continue
        link = absolute(link, url) if url else link
        content = ""
        if e.get("content"):
            content = max((c.get("value", "") for c in e["content"]), key=len, default="")
        summary = e.get("summary", "") or ""
        entries.append(
            Entry(
                url=link,
                title=(e.get("title") or "").strip(),
                published_at=_entry_time(e),
                summary_html=content if len(content) > len(summary) else summary,
                source=(e.get("author") or "").strip(),
            )
        )
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        name = type(exc).__name__
        # a declared-vs-actual charset mismatch is read fine; anything else is a broken feed
        if name not in ("CharacterEncodingOverride",):
            raise DiscoveryError(f"feed not well formed: {name}: {exc}", entries)
    if not entries and not parsed.get("version"):
        raise DiscoveryError("not an RSS or Atom feed")
    return entries


# --- HTML list pages -------------------------------------------------------------------


def parse_list_links(html: str, page_url: str, pattern: str | re.Pattern[str]) -> list[Entry]:
    """Links on a list page whose live URL matches pattern, in page order, each once."""
    from lxml import html as lxml_html

    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    if not html.strip():
        raise DiscoveryError("empty list page")
    try:
        doc = lxml_html.fromstring(html)
    except (ValueError, TypeError) as exc:  # lxml's parser errors subclass these
        raise DiscoveryError(f"list page not readable: {exc}") from exc
    seen: dict[str, Entry] = {}
    for a in doc.iter("a"):
        href = a.get("href")
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        link = absolute(href, page_url)
        if not regex.search(link) or link in seen:
            continue
        seen[link] = Entry(url=link, title=" ".join(a.text_content().split()))
    return list(seen.values())


# --- government lists (the formats are read by crawler.extract) ----------------------


def _entries_from_dicts(rows: list[dict[str, Any]], page_url: str) -> list[Entry]:
    out = []
    for row in rows:
        link = row.get("url")
        if not link:
            continue
        date = row.get("date")
        out.append(Entry(url=absolute(link, page_url), title=row.get("title") or "", date=date))
    return out


def parse_gov_cn_json(data: bytes, url: str) -> list[Entry]:
    """www.gov.cn static JSON lists ([{TITLE, URL, DOCRELPUBTIME}, ...])."""
    from newsmon.crawler.extract.gov_cn import parse_gov_cn_json_feed

    try:
        rows = parse_gov_cn_json_feed(data, url)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise DiscoveryError(f"gov.cn JSON list: {exc}") from exc
    return _entries_from_dicts(rows, url)


def parse_gov_cn_list_page(html: str, url: str) -> list[Entry]:
    """www.gov.cn HTML list blocks (li > a + span date)."""
    from newsmon.crawler.extract.gov_cn import parse_gov_cn_list

    try:
        rows = parse_gov_cn_list(html, url)
    except ValueError as exc:
        raise DiscoveryError(f"gov.cn list page: {exc}") from exc
    return _entries_from_dicts(rows, url)
