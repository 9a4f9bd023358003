"""What a shared crawl's workers need to know of the database, read once by the
coordinator that seeds the crawl (crawler.cluster.seed_crawl): the frontier's view of
every URL that is stored, gone or not due yet.

Workers never open the database; they check each document request against this view,
as crawler.middlewares.StoredArticleMiddleware checks the database in a local crawl.
"""

from __future__ import annotations

from sqlite_utils import Database

from newsmon.timefmt import utc_iso


def known_states(db: Database, *, now: str | None = None) -> dict[str, str]:
    """URL -> "done" | "gone" | "due:<ISO time>" (open, not due before then) | "stored"
    (stored from its own page before the frontier knew it). URLs that are due now or
    unknown are not listed: they are fetched."""
    from newsmon.db.crawl import fetched_urls

    now = now or utc_iso()
    out: dict[str, str] = {}
    for r in db.query("select url, state, next_attempt_at from frontier"):
        if r["state"] in ("done", "gone"):
            out[r["url"]] = r["state"]
        elif r["next_attempt_at"] and r["next_attempt_at"] > now:
            out[r["url"]] = f"due:{r['next_attempt_at']}"
    in_frontier = {r["url"] for r in db.query("select url from frontier")}
    urls: set[str] = set()
    for r in db.query("select url, canonical_url from articles"):
        urls.update(u for u in (r["url"], r["canonical_url"]) if u)
    for url in fetched_urls(db, urls):
        if url not in in_frontier:
            out[url] = "stored"
    return out
