"""The replay site's route table: every live URL it serves, keyed by host and path.

newsmon/data/replay/MANIFEST.tsv lists each live URL and where its body comes from:
a recorded file under newsmon/data ("real/..."), a page of the 2022-07-08 event built
from the seeds ("built:..."), or a discovery response generated from the rows that
say they are listed in it ("generated:...").
"""

from __future__ import annotations

import csv
import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from newsmon.crawler.extract.charset import declared_charset, decode_html
from newsmon.crawler.replay.event import build_event, element_inner

DATA_DIR = Path(str(resources.files("newsmon") / "data"))
MANIFEST = DATA_DIR / "replay" / "MANIFEST.tsv"


@dataclass
class Route:
    live_url: str
    body: bytes
    content_type: str
    source: str  # the MANIFEST file column
    title: str = ""
    published: str = ""
    lists: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return route_key(self.live_url)


def route_key(live_url: str) -> tuple[str, str]:
    parts = urlsplit(live_url)
    return (parts.hostname or "").lower(), parts.path or "/"


def read_manifest(path: Path = MANIFEST) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def page_title(body: bytes, content_type: str) -> str:
    """og:title, h1 or <title> of a page (for the constructed lists)."""
    if "html" not in content_type:
        return ""
    text = decode_html(body, declared_charset({"Content-Type": content_type}))[0]
    for pattern in (
        r'<meta property="og:title" content="([^"]+)"',
        r'<meta name="ArticleTitle" content="([^"]+)"',
        r"<h1[^>]*>(.*?)</h1>",
        r"<title>(.*?)</title>",
    ):
        m = re.search(pattern, text, re.S | re.I)
        if m:
            title = " ".join(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).split())
            if title:
                return re.split(r"(?:__|_新浪| - IT之家|_中国政府网|-中国科普网)", title)[0]
    return ""


def _epoch(published: str) -> int | None:
    if not published:
        return None
    value = published if "T" in published else published + "T00:00:00+08:00"
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return int(dt.timestamp())


# --- generated discovery responses ---------------------------------------------------------


def _listed(routes: list[Route], name: str) -> list[Route]:
    rows = [r for r in routes if name in r.lists]
    return sorted(rows, key=lambda r: _epoch(r.published) or 0, reverse=True)


def sina_roll(routes: list[Route]) -> bytes:
    data = []
    for i, r in enumerate(_listed(routes, "sina_roll")):
        t = _epoch(r.published) or 0
        doc = re.search(r"doc-(i[a-z0-9]+)", r.live_url)
        data.append(
            {
                "docid": f"comos:{doc.group(1)[1:]}" if doc else f"comos:{i}",
                "title": r.title,
                "stitle": "",
                "url": r.live_url,
                "wapurl": "",
                "intro": r.title,
                "media_name": "新浪财经",
                "keywords": "",
                "ctime": str(t),
                "intime": str(t),
                "mtime": str(t),
            }
        )
    payload = {
        "result": {
            "status": {"code": 0, "msg": "succ"},
            "timestamp": "Fri Jul 08 11:00:00 +0800 2022",
            "total": len(data),
            "lid": 2516,
            "data": data,
        }
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _link_list_page(title: str, routes: list[Route]) -> bytes:
    items = "\n".join(
        f'<li><a href="{html.escape(r.live_url)}" target="_blank">{html.escape(r.title)}</a>'
        f"<span>{html.escape(r.published[:10])}</span></li>"
        for r in routes
    )
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'</head><body><div class="list"><ul>\n{items}\n</ul></div></body></html>\n'
    ).encode()


def _article_body_html(route: Route) -> str:
    """The article body of a page, for a feed item's description."""
    text = route.body.decode("utf-8", errors="replace")
    try:
        return element_inner(text, r'<div class="post_content " id="paragraph"[^>]*>').strip()
    except ValueError:
        return html.escape(route.title)


def ithome_rss(routes: list[Route]) -> bytes:
    items = []
    for r in _listed(routes, "ithome_rss"):
        when = datetime.fromtimestamp(_epoch(r.published) or 0, UTC)
        items.append(
            f"<item><title>{html.escape(r.title)}</title><link>{html.escape(r.live_url)}</link>"
            f"<guid>{html.escape(r.live_url)}</guid>"
            f"<description><![CDATA[{_article_body_html(r)}]]></description>"
            f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>IT之家</title><link>https://www.ithome.com/</link>"
        "<description>IT之家 - 软媒旗下网站</description>" + "\n".join(items) + "</channel></rss>\n"
    ).encode("utf-8")


def govcn_json(routes: list[Route]) -> bytes:
    rows = [
        {"TITLE": r.title, "SUB_TITLE": "", "URL": r.live_url, "DOCRELPUBTIME": _date(r.published)}
        for r in _listed(routes, "govcn_json")
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2).encode("utf-8")


def _date(published: str) -> str:
    t = _epoch(published)
    if t is None:
        return ""
    from datetime import timedelta

    return (datetime.fromtimestamp(t, UTC) + timedelta(hours=8)).strftime("%Y-%m-%d")


def govcn_list(routes: list[Route]) -> bytes:
    items = "\n".join(
        f'<li>\n<a href="{html.escape(r.live_url)}" target="_blank">\n  {html.escape(r.title)}\n</a>\n'
        f"<span>\n  {_date(r.published)}\n</span>\n</li>"
        for r in _listed(routes, "govcn_list")
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>政策_中国政府网</title></head><body>\n'
        f'<div class="item item03">\n<div class="list fl">\n<ul>\n{items}\n</ul>\n</div>\n</div>\n'
        "</body></html>\n"
    ).encode()


def feed_atom(routes: list[Route]) -> bytes:
    entries = []
    listed = _listed(routes, "feed_atom")
    extra = [("https://www.example.com/news/offsite.html", "站外链接（不应抓取）", "2023-12-01")]
    for url, title, published in [(r.live_url, r.title, r.published) for r in listed] + extra:
        when = datetime.fromtimestamp(_epoch(published) or 0, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries.append(
            f'<entry><title>{html.escape(title)}</title><link href="{html.escape(url)}"/>'
            f"<id>{html.escape(url)}</id><updated>{when}</updated><published>{when}</published></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>中国科普网</title><id>http://www.kepu.gov.cn/</id>"
        "<updated>2023-12-01T00:00:00Z</updated>" + "\n".join(entries) + "</feed>\n"
    ).encode("utf-8")


GENERATORS = {
    "sina_roll": sina_roll,
    "sina_roll_page": lambda routes: _link_list_page(
        "滚动新闻_新浪财经", _listed(routes, "sina_roll_page")
    ),
    "ithome_rss": ithome_rss,
    "ithome_list": lambda routes: _link_list_page(
        "IT资讯 - IT之家", _listed(routes, "ithome_list")
    ),
    "govcn_json": govcn_json,
    "govcn_list": govcn_list,
    "shanghai_list": lambda routes: _link_list_page(
        "最新文件_上海市人民政府", _listed(routes, "shanghai_list")
    ),
    "feed_atom": feed_atom,
}


def build_routes(
    manifest: Path = MANIFEST, data_dir: Path = DATA_DIR
) -> dict[tuple[str, str], Route]:
    """Every route of the replay site, built from the MANIFEST (deterministic)."""
    rows = read_manifest(manifest)
    built_urls = {r["file"]: r["live_url"] for r in rows if r["file"].startswith("built:")}
    built = build_event(data_dir, built_urls)
    pages: list[Route] = []
    generated: list[dict[str, str]] = []
    for row in rows:
        source = row["file"]
        lists = tuple(x for x in (row.get("lists") or "").split() if x != "-")
        if source.startswith("generated:"):
            generated.append(row)
            continue
        body = built[source] if source.startswith("built:") else (data_dir / source).read_bytes()
        route = Route(
            live_url=row["live_url"],
            body=body,
            content_type=row["content_type"],
            source=source,
            published=row.get("published") or "",
            lists=lists,
        )
        route.title = page_title(body, route.content_type)
        pages.append(route)
    routes = {r.key: r for r in pages}
    for row in generated:
        name = row["file"].split(":", 1)[1]
        body = GENERATORS[name](pages)
        route = Route(row["live_url"], body, row["content_type"], row["file"])
        routes[route.key] = route
    return routes
