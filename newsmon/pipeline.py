"""The analysis steps over what is stored: stories, tags, prices, reactions, digests.

Each step loads from the database, calls pure functions in analysis/, and saves
through db/; each can be re-run and gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from newsmon.db.articles import load_articles

Echo = Callable[[str], None]


def story_record(article: dict[str, Any]) -> dict[str, Any]:
    """The fields story detection reads, from a stored article, with its outlet (the
    registry's for its URL's host: config/outlets.toml) and the outlet its declared
    source names."""
    from newsmon.config.outlets import registry

    outlets = registry()
    outlet = outlets.outlet_id(article.get("url") or article.get("canonical_url"), article["site"])
    source_outlet = outlets.outlet_for_source(article.get("source"))
    return {
        "outlet": outlet,
        "outlet_name": outlets.display_name(outlet),
        "source_outlet": source_outlet.id if source_outlet else None,
        "id": article["id"],
        "site": article["site"],
        "kind": article["kind"],
        "title": article.get("title") or "",
        "text": article.get("text") or "",
        "published_at": article.get("published_at"),
        "document_date": article.get("document_date"),
        "source": article.get("source"),
        "url": article.get("url"),
        "canonical_url": article.get("canonical_url"),
        "content_hash": article.get("content_hash"),
        "origin_links": [link["url"] for link in article.get("origin_links") or []],
        "cited_titles": article.get("cited_titles") or [],
        "doc_number": article.get("doc_number"),
        # one document in several files: a file's page, a page's files
        "parent_id": article.get("parent_id"),
        "attachments": [a["url"] for a in (article.get("meta") or {}).get("attachments") or []],
    }


#: articles indexed per batch when many are queued at once (the first update of a large
#: store, an import): each batch is one update, and stories do not depend on batching
STORY_BATCH = 5_000


def _record_state(record: dict[str, Any]) -> str:
    """What a story record was indexed from, as a digest: another means index it again."""
    import hashlib
    import json

    payload = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.blake2b(payload.encode("utf-8"), digest_size=12).hexdigest()


def update_stories(
    db: Database,
    *,
    batch: int = STORY_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Bring stories up to date with the stored articles, reading only what changed.

    Every article written or deleted is queued (a trigger on ``articles``). An update
    takes the queue, fingerprints the new texts (old ones are never shingled again:
    their signatures and keys are stored), finds candidates through the stored key
    index (``newsmon.db.stories``), verifies them, and clusters again only the
    components they changed. Stories are a function of the set of articles, not of
    the order or batches they came in; a story's id derives from its smallest member
    id, so untouched stories keep their rows, tags and reactions.

    Returns counts and ``touched_stories``: the ids of the stories made again or
    gone, whose tags and reactions are to be brought up to date. ``progress(done,
    queued)`` is called after each batch is committed (an interrupted update resumes
    from the batch after).
    """
    from newsmon.analysis.stories import (
        SIGNATURE_SCHEME,
        StoredIndex,
        StoryIndex,
        membership_rows,
        story_rows,
    )
    from newsmon.db import stories as stored

    directory = stored.index_directory(db)
    touched: set[str] = set()
    counts = {"indexed": 0, "removed": 0, "fingerprinted": 0}
    with stored.index_lock(directory):
        state = _story_index_state(db, directory, SIGNATURE_SCHEME)
        through, queued = stored.queued_articles(db)
        for start in range(0, len(queued), batch):
            ids = queued[start : start + batch]
            articles = {a["id"]: a for a in load_articles(db, ids)}
            indexed = stored.indexed_states(db, ids)
            records, states = [], {}
            for aid in ids:
                if aid in articles:
                    record = story_record(articles[aid])
                    states[aid] = _record_state(record)
                    if indexed.get(aid, (None, None))[1] != states[aid]:
                        records.append(record)
            gone = [aid for aid in ids if aid not in articles and aid in indexed]
            if not records and not gone:
                with db.atomic():
                    stored.unqueue(db, ids, through)
                continue
            keys = stored.KeyIndex(directory, state["segments"], state["hub_length"])
            index = StoryIndex(
                StoredIndex(
                    key_index=keys,
                    next_handle=state["next_handle"],
                    handles=lambda wanted: stored.story_handles(db, wanted),
                    records=lambda handles: [
                        (h, story_record(row), blob)
                        for h, row, blob in stored.load_indexed_records(db, handles)
                    ],
                    citations=lambda wanted: stored.load_citations(db, wanted),
                    relations=lambda handles: stored.load_relations_of(db, handles),
                    story_of=lambda handles: stored.load_story_of(db, handles),
                    story_members=lambda story_id: stored.load_story_handles(db, story_id),
                    leftovers=lambda handle, keys=keys: (
                        keys.keys_of(handle),
                        *stored.load_citations_of(db, handle),
                    ),
                )
            )
            # a stored signature is of the text last indexed: good for an article not in
            # the index (a lost key index), not for one written again since
            signatures = stored.load_signatures_of(
                db, [r["id"] for r in records if r["id"] not in indexed], SIGNATURE_SCHEME
            )
            counts["removed"] += len(index.remove(gone))
            counts["indexed"] += len(index.add_with_signatures(records, signatures))
            counts["fingerprinted"] += sum(1 for r in records if r["id"] not in signatures)
            changes = index.changes()
            state = {**state, **keys.write(), "next_handle": index.next_handle}
            with db.atomic():
                stored.save_story_changes(
                    db,
                    changes,
                    scheme=SIGNATURE_SCHEME,
                    states=states,
                    stories=story_rows(changes["stories"]),
                    members=membership_rows(changes["roles"]),
                )
                stored.save_index_state(db, state)
                stored.unqueue(db, ids, through)
            keys.discard()
            touched |= set(changes["touched_stories"])
            if progress is not None:
                progress(min(start + batch, len(queued)), len(queued))
    return {
        **stored.count_stories(db),
        **counts,
        "touched_stories": sorted(touched),
    }


def _story_index_state(db: Database, directory: Any, scheme: str) -> dict[str, Any]:
    """The stored story index's state, when its scheme is current and its key index is
    whole and its own; otherwise a new, empty one (every article queued again)."""
    import uuid

    from newsmon.db import stories as stored

    state = stored.load_index_state(db)
    marker = directory / "id"
    mine = marker.read_text().strip() if marker.exists() else None

    def whole() -> bool:
        for seg in state.get("segments", []):
            for ext, width in (("keys", 8), ("owners", 4)):
                path = directory / f"{seg['name']}.{ext}"
                if seg["n"] and (not path.exists() or path.stat().st_size != seg["n"] * width):
                    return False
        hub = directory / "hub.i64"
        return not state.get("hub_length") or (
            hub.exists() and hub.stat().st_size >= state["hub_length"] * 8
        )

    if state and state.get("scheme") == scheme and state.get("directory_id") == mine and whole():
        return state
    fresh = {
        "scheme": scheme,
        "directory_id": uuid.uuid4().hex,
        "segments": [],
        "hub_length": 0,
        "next_handle": 0,
    }
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("s*.*"):
        path.unlink()
    (directory / "hub.i64").unlink(missing_ok=True)
    with db.atomic():
        stored.clear_story_index(db)
        stored.save_index_state(db, fresh)
    marker.write_text(fresh["directory_id"] + "\n")
    return fresh


def analyze(
    db: Database, config: Any, echo: Echo = lambda _: None, day: str | None = None
) -> dict[str, Any]:
    """Stories, then tags, then reactions: everything derived brought up to date."""
    out: dict[str, Any] = {"stories": update_stories(db)}
    echo(
        "stories: {stories} from {articles} articles ({fingerprinted} fingerprinted, {relations} relations)".format(
            **out["stories"]
        )
    )
    taxonomy = sync_sectors(db, config)
    out["tags"] = tag_articles(db, config, taxonomy)
    echo(
        "tags: {stock} stock and {sector} sector tags on {articles} articles, {stories} stories".format(
            **out["tags"]
        )
    )
    from newsmon.holidays import pick_up_notices

    # a crawled State Council holiday notice extends the calendar before anything aligns
    out["calendar"] = pick_up_notices(db)
    if out["calendar"]:
        years = ", ".join(str(n.get("year", "?")) for n in out["calendar"])
        echo(f"calendar: {len(out['calendar'])} holiday notices read ({years})")
    out["reactions"] = compute_reactions(db, config, day=day, taxonomy=taxonomy)
    echo(reactions_line(out["reactions"]))
    return out


def reactions_line(counts: dict[str, Any]) -> str:
    """compute_reactions' counts as one line for people."""
    line = "reactions: {rows} story x sector rows, {stocks} named stocks ({missing} without prices)"
    text = line.format(**{"rows": 0, "stocks": 0, "missing": 0, **counts})
    if counts.get("provisional"):
        text += f"; {counts['provisional']} stories aligned provisionally (holidays not known yet)"
    return text


def refresh_after_store(
    db: Database, config: Any, *, since: str | None = None, echo: Echo = lambda _: None
) -> dict[str, Any]:
    """After a crawl or import stored articles: stories brought up to date, and every
    story's tags and reactions consistent with them again.

    Rebuilding stories replaces their tag rows; ``analyze`` makes them again, but a
    crawl between analyze and the digest would leave the digest without sectors. So:
    the articles stored since ``since`` (ISO UTC; all untagged ones when None) are
    tagged, the tags of the stories the update touched (all stories when it does not
    say which) are rolled up again from the stored article tags, and their reactions
    computed. A crash in between leaves the next refresh or analyze to finish it.
    """
    out: dict[str, Any] = {"stories": update_stories(db)}
    touched = out["stories"].get("touched_stories")
    taxonomy = sync_sectors(db, config)
    out["tagged"] = tag_new_articles(db, taxonomy, since=since)
    out["story_tags"] = rollup_stored_tags(db, touched)
    out["reactions"] = _reactions_for(db, config, taxonomy, touched)
    echo(
        "stories: {stories} from {articles} articles; {n} stories re-tagged".format(
            n=out["story_tags"], **out["stories"]
        )
    )
    return out


def _reactions_for(db: Database, config: Any, taxonomy: dict, touched) -> dict[str, int]:
    """compute_reactions, for the touched stories when it can be told which."""
    import inspect

    kwargs: dict[str, Any] = {"taxonomy": taxonomy}
    if touched is not None and "story_ids" in inspect.signature(compute_reactions).parameters:
        kwargs["story_ids"] = list(touched)
    return compute_reactions(db, config, **kwargs)


def tag_new_articles(
    db: Database, taxonomy: dict[str, dict[str, Any]], *, since: str | None = None
) -> int:
    """Stock and sector tags of the articles stored since ``since`` (all articles without
    a tag row when None); returns how many were tagged."""
    from newsmon.analysis.tagging import article_tag_rows, company_matcher, sector_tags, stock_tags
    from newsmon.db.analysis import replace_article_tags
    from newsmon.db.articles import articles_to_tag

    todo = articles_to_tag(db, since=since)
    if not todo:
        return 0
    matcher = company_matcher(load_company_table())
    with db.atomic():
        for a in todo:
            title, text = a.get("title") or "", a.get("text") or ""
            stocks = stock_tags(title, text, a.get("site_stock_tags") or [], matcher)
            sectors = sector_tags(title, text, taxonomy)
            replace_article_tags(db, a["id"], article_tag_rows(stocks, sectors))
    return len(todo)


def rollup_stored_tags(db: Database, story_ids: Any = None) -> int:
    """Story tags rolled up again from the stored article tags (as tag_articles rolls
    them), for these stories or all; returns how many stories."""
    from newsmon.analysis.tagging import rollup_story_tags, story_tag_rows, tags_by_story
    from newsmon.db.analysis import load_story_article_ids, load_tags, replace_story_tags
    from newsmon.db.stories import load_article_tags, load_story_memberships

    wanted = None if story_ids is None else set(story_ids)
    if wanted is None:
        memberships, tag_rows = load_story_article_ids(db), load_tags(db)
    else:  # the touched stories' members only: a crawl into a large store reads little
        memberships = load_story_memberships(db, sorted(wanted))
        tag_rows = load_article_tags(db, [m["article_id"] for m in memberships])
    by_article: dict[str, list[dict[str, Any]]] = {}
    for t in tag_rows:
        if t["kind"] == "sector":
            tag = {"sector": t["code"], "relevance": t["confidence"], "name": t.get("name")}
        else:
            tag = {"code": t["code"], "confidence": t["confidence"], "name": t.get("name")}
        by_article.setdefault(t["article_id"], []).append(tag)
    n = 0
    with db.atomic():
        for story_id, tags in tags_by_story(memberships, by_article).items():
            replace_story_tags(db, story_id, story_tag_rows(rollup_story_tags(tags)))
            n += 1
    return n


# ---------------------------------------------------------------- tags


#: a story's sector tag at or above this relevance gets an event study
REACTION_MIN_RELEVANCE = 30
#: the all-A-share list whose short names and codes stock tagging matches
COMPANY_LIST = "market/eastmoney_industry_tags_all_ashares_asof_2024-06.csv"


def load_company_table():
    """The packaged company list (code, name, ticker) for stock tagging."""
    from importlib import resources

    import pandas as pd

    from newsmon.analysis.tagging import company_table

    with (resources.files("newsmon") / "data" / COMPANY_LIST).open("rb") as fh:
        listing = pd.read_csv(fh, dtype=str)
    return company_table(listing)


def sync_sectors(db: Database, config: Any) -> dict[str, dict[str, Any]]:
    """The sector taxonomy from newsmon.config, validated, stored in sectors / sector_members."""
    from newsmon.analysis.tagging import sector_taxonomy, taxonomy_rows
    from newsmon.db.analysis import save_sectors

    taxonomy = sector_taxonomy(config.get("sectors", {}) or {})
    save_sectors(db, *taxonomy_rows(taxonomy, config["prices.benchmark"]))
    return taxonomy


def tag_articles(
    db: Database, config: Any, taxonomy: dict[str, dict[str, Any]] | None = None
) -> dict[str, int]:
    """Stock and sector tags per article (with evidence), rolled up per story.

    ``taxonomy``: as sync_sectors returns it (synced from newsmon.config when not given).
    """
    from newsmon.analysis.tagging import (
        article_tag_rows,
        company_matcher,
        rollup_story_tags,
        sector_tags,
        stock_tags,
        story_tag_rows,
        tags_by_story,
    )
    from newsmon.db.analysis import (
        load_story_article_ids,
        replace_article_tags,
        replace_story_tags,
    )

    taxonomy = taxonomy if taxonomy is not None else sync_sectors(db, config)
    matcher = company_matcher(load_company_table())
    counts = {"articles": 0, "stock": 0, "sector": 0, "stories": 0}
    by_article: dict[str, list[dict[str, Any]]] = {}
    for a in load_articles(db):
        title, text = a.get("title") or "", a.get("text") or ""
        stocks = stock_tags(title, text, a.get("site_stock_tags") or [], matcher)
        sectors = sector_tags(title, text, taxonomy)
        replace_article_tags(db, a["id"], article_tag_rows(stocks, sectors))
        by_article[a["id"]] = stocks + sectors
        counts["articles"] += 1
        counts["stock"] += len(stocks)
        counts["sector"] += len(sectors)
    for story_id, tags in tags_by_story(load_story_article_ids(db), by_article).items():
        replace_story_tags(db, story_id, story_tag_rows(rollup_story_tags(tags)))
        counts["stories"] += 1
    return counts


# ---------------------------------------------------------------- prices

#: a story's stock tag at or above this relevance (its best article's confidence) gets
#: its own reaction row: named in a title, a lead or the body, not a generic word
STOCK_REACTION_MIN_CONFIDENCE = 30
#: intervals ``update_prices`` fetches: daily, or minute bars from Yahoo
PRICE_INTERVALS = ("1d", "1m", "2m", "5m", "15m", "30m", "60m", "90m")


def import_prices(db: Database, paths: list[str]) -> dict[str, Any]:
    """Recorded price files into the database: daily files (any layout analysis.prices
    knows, every kind of adjustment) into prices, minute-bar files into bars."""
    from newsmon.analysis.prices import ISSUES_ATTR, bar_rows, price_rows
    from newsmon.db.analysis import save_bars, save_prices
    from newsmon.providers import is_bar_file, read_bar_file, read_price_file

    totals = {
        "files": 0,
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "bars_new": 0,
        "bars_updated": 0,
        "bars_unchanged": 0,
    }
    issues: list[str] = []
    errors: list[str] = []
    for path in paths:
        try:
            if is_bar_file(path):
                counts = save_bars(db, bar_rows(read_bar_file(path)))
                totals["files"] += 1
                for k in ("new", "updated", "unchanged"):
                    totals[f"bars_{k}"] += counts[k]
                continue
            frame = read_price_file(path)
        except (ValueError, OSError) as exc:
            errors.append(f"{path}: {exc}")
            continue
        counts = save_prices(db, price_rows(frame))
        totals["files"] += 1
        for k in ("new", "updated", "unchanged"):
            totals[k] += counts[k]
        issues.extend(
            f"{path}: {i['kind']} {i.get('ticker')} {i.get('date')}: {i.get('detail')}"
            for i in frame.attrs.get(ISSUES_ATTR, [])
        )
    return {**totals, "issues": issues, "errors": errors}


def price_frame(db: Database, tickers: list[str] | None = None, adjusted: str | None = "none"):
    """Stored daily prices as the canonical frame of analysis.prices: one adjustment, or
    every kind (``adjusted=None``: what ``adjusted_returns`` takes)."""
    from newsmon.analysis.prices import prices_from_rows
    from newsmon.db.analysis import load_prices

    return prices_from_rows(load_prices(db, tickers), adjusted)


def named_stocks(db: Database) -> list[str]:
    """The A-share tickers the stories name (stock tags at or above
    ``STOCK_REACTION_MIN_CONFIDENCE``), sorted."""
    from newsmon.analysis.reaction import stock_events
    from newsmon.db.analysis import load_stories, load_tags

    found = set()
    for s in load_stories(db):
        rows = stock_events(
            s["id"],
            load_tags(db, story_id=s["id"]),
            event_session=None,
            event_time=None,
            min_confidence=STOCK_REACTION_MIN_CONFIDENCE,
        )
        found.update(r["ticker"] for r in rows)
    return sorted(found)


def wanted_tickers(db: Database, config: Any) -> list[str]:
    """Every sector member and benchmark of the (synced) taxonomy and every company the
    stories name, sorted."""
    from newsmon.analysis.tagging import taxonomy_tickers

    tickers = taxonomy_tickers(sync_sectors(db, config), config["prices.benchmark"])
    return sorted(set(tickers) | set(named_stocks(db)))


def _provider(config: Any, provider: Any) -> Any:
    from newsmon.providers import CSVProvider, YFinanceProvider

    if provider is not None:
        return provider
    if config["prices.provider"] == "csv":
        # every kind of adjustment: returns come from an adjusted series where one exists
        return CSVProvider(list(config["prices.csv_paths"]), adjusted=None)
    return YFinanceProvider()


def update_prices(
    db: Database,
    config: Any,
    provider: Any = None,
    *,
    lookback_days: int = 200,
    interval: str = "1d",
) -> dict[str, Any]:
    """Fetch prices of every sector member, benchmark and named company around the stories.

    Daily (``interval="1d"``): from ``lookback_days`` before the earliest story to today
    (or 20 days after the latest story); raw and adjusted rows, what is stored already
    is not fetched again. Minute bars (``"1m"``, ``"5m"``, ...): the event session of
    every story Yahoo still keeps bars for (``YAHOO_INTRADAY_LIMITS``); the others are
    named in ``too_old``, and a ValueError says so when none is left.
    """
    if interval not in PRICE_INTERVALS:
        raise ValueError(f"interval {interval!r} is not one of {', '.join(PRICE_INTERVALS)}")
    if interval != "1d":
        return update_bars(db, config, provider, interval=interval)
    import datetime as dt

    from newsmon.analysis.prices import price_rows
    from newsmon.db.analysis import load_stories, price_coverage, save_prices

    provider = _provider(config, provider)
    times = [s["first_published_at"] for s in load_stories(db) if s.get("first_published_at")]
    if not times:
        return {
            "tickers": 0,
            "new": 0,
            "updated": 0,
            "unchanged": 0,
            "note": "no stories with a publication time",
        }
    first = dt.date.fromisoformat(min(times)[:10]) - dt.timedelta(days=lookback_days)
    last = min(dt.date.fromisoformat(max(times)[:10]) + dt.timedelta(days=20), dt.date.today())
    tickers = wanted_tickers(db, config)
    covered = {
        c["ticker"]
        for c in price_coverage(db)
        if c["adjusted"] == "none"
        and c["first"] <= first.isoformat()
        and c["last"] >= last.isoformat()
    }
    todo = [t for t in tickers if t not in covered]
    if not todo:
        return {"tickers": 0, "new": 0, "updated": 0, "unchanged": 0, "note": "all cached"}
    frame = provider.fetch_daily(todo, first.isoformat(), last.isoformat())
    counts = save_prices(db, price_rows(frame))
    missing = sorted(set(todo) - set(frame["ticker"].unique()))
    return {"tickers": len(todo), **counts, "no_data": missing}


def _event_sessions(db: Database, config: Any) -> dict[str, Any]:
    """story id -> its event session (a Timestamp), for the stories that align."""
    from newsmon.analysis.calendar import CalendarRangeError, align_event
    from newsmon.db.analysis import load_stories
    from newsmon.holidays import known_holidays

    closed, years = known_holidays(db, config)
    out = {}
    for s in load_stories(db):
        if not s.get("first_published_at"):
            continue
        try:
            out[s["id"]] = align_event(
                s["first_published_at"], extra_holidays=closed, known_years=years
            ).session
        except CalendarRangeError:
            continue
    return out


def update_bars(
    db: Database, config: Any, provider: Any = None, *, interval: str = "1m"
) -> dict[str, Any]:
    """Minute bars of every wanted ticker for each story's event session, from Yahoo.

    Yahoo keeps 1m bars 30 days (7 days a request) and 2m-90m bars 60 days: a session
    older than that is listed in ``too_old``; with nothing left to fetch, a ValueError
    says why. A ticker Yahoo answers with no bars (no trading that day) is named in
    ``no_bars``, not an error.
    """
    import pandas as pd

    from newsmon.analysis.prices import ISSUES_ATTR, bar_rows
    from newsmon.db.analysis import save_bars
    from newsmon.providers import (
        INTRADAY_MAX_AGE_DAYS,
        YAHOO_INTRADAY_LIMITS,
        IntradayNotSupported,
        YFinanceProvider,
    )

    if interval not in INTRADAY_MAX_AGE_DAYS:
        raise ValueError(f"{interval!r} is not an intraday interval ({YAHOO_INTRADAY_LIMITS})")
    provider = provider if provider is not None else YFinanceProvider()
    sessions = sorted(set(_event_sessions(db, config).values()))
    if not sessions:
        return {
            "sessions": 0,
            "tickers": 0,
            "new": 0,
            "updated": 0,
            "unchanged": 0,
            "note": "no stories with a publication time",
        }
    now = provider.now() if hasattr(provider, "now") else pd.Timestamp.now(tz="UTC")
    max_age = pd.Timedelta(days=INTRADAY_MAX_AGE_DAYS[interval])
    fresh, too_old = [], []
    for day in sessions:
        opens = pd.Timestamp(f"{day:%Y-%m-%d} 09:30", tz="Asia/Shanghai").tz_convert("UTC")
        if opens > now:
            continue  # not traded yet
        (fresh if now - opens <= max_age else too_old).append(day)
    old_days = [f"{d:%Y-%m-%d}" for d in too_old]
    shown = ", ".join(old_days[-5:]) + (
        f" and {len(old_days) - 5} older" if len(old_days) > 5 else ""
    )
    if not fresh:
        raise ValueError(
            f"no story's event session is recent enough for {interval} bars from Yahoo "
            f"({YAHOO_INTRADAY_LIMITS}); the sessions are {shown}. Import minute-bar "
            "files for older days with `newsmon prices import`"
        )
    tickers = wanted_tickers(db, config)
    totals = {"new": 0, "updated": 0, "unchanged": 0}
    no_bars: set[str] = set()
    for day in fresh:
        start = pd.Timestamp(f"{day:%Y-%m-%d} 09:15", tz="Asia/Shanghai")
        end = pd.Timestamp(f"{day:%Y-%m-%d} 15:01", tz="Asia/Shanghai")
        try:
            bars = provider.fetch_intraday(tickers, start, end, interval)
        except IntradayNotSupported as exc:
            raise ValueError(
                f'{exc}: minute bars come from Yahoo (prices.provider = "yfinance") or from '
                "minute-bar files (`newsmon prices import`)"
            ) from exc
        counts = save_bars(db, bar_rows(bars))
        for k in totals:
            totals[k] += counts[k]
        no_bars.update(
            i["ticker"] for i in bars.attrs.get(ISSUES_ATTR, []) if i.get("kind") == "no_bars"
        )
    out: dict[str, Any] = {
        "interval": interval,
        "sessions": len(fresh),
        "tickers": len(tickers),
        **totals,
        "no_bars": sorted(no_bars),
    }
    if old_days:
        out["too_old"] = old_days
        out["note"] = f"{len(old_days)} sessions older than Yahoo keeps {interval} bars: {shown}"
    return out


# ---------------------------------------------------------------- reactions


def _session_grid(cal: Any, prices: Any, event_days: list[Any]):
    """The exchange's sessions from the first price to the last price or event session."""
    import pandas as pd

    first = max(prices["date"].min(), cal.first_session)
    last = min(max([prices["date"].max(), *event_days]), cal.last_session)
    return pd.DatetimeIndex(cal.sessions_in_range(first, last))


def _bars_for(db: Database, sessions: list[Any]):
    """Stored minute bars of the event sessions, or None."""
    import pandas as pd

    from newsmon.analysis.prices import bars_from_rows
    from newsmon.db.analysis import load_bars

    if not sessions:
        return None
    start = pd.Timestamp(f"{min(sessions):%Y-%m-%d}", tz="Asia/Shanghai").tz_convert("UTC")
    end = pd.Timestamp(f"{max(sessions):%Y-%m-%d}", tz="Asia/Shanghai") + pd.Timedelta(days=1)
    rows = load_bars(
        db,
        start=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        end=end.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    if not rows:
        return None
    bars = bars_from_rows(rows)
    days = set(bars["ts"].dt.tz_convert("Asia/Shanghai").dt.normalize().dt.tz_localize(None))
    return bars if days & {pd.Timestamp(d) for d in sessions} else None


def compute_reactions(
    db: Database,
    config: Any,
    *,
    day: str | None = None,
    taxonomy: dict[str, dict[str, Any]] | None = None,
    story_ids: list[str] | None = None,
) -> dict[str, int]:
    """The event study for every story x tagged sector, and every company a story names,
    whose prices are stored (one story set by ``story_ids``, one session by ``day``).

    Times align on the XSHG calendar with the holidays known from stored State Council
    notices and the configuration (``newsmon.holidays.known_holidays``); relative days
    are that calendar's sessions. Past the known holidays the alignment is provisional
    and every reaction row of the story says so; a time the calendar cannot align at
    all is a note on the story (``meta.reaction_error``), never an exception.
    """
    from newsmon.analysis.calendar import CalendarRangeError, align_event, exchange_calendar
    from newsmon.analysis.prices import CORPORATE_ACTIONS_ATTR, adjusted_returns, raw_closes
    from newsmon.analysis.reaction import (
        has_price_data,
        reaction_events,
        reaction_records,
        stock_events,
        stock_records,
    )
    from newsmon.db.analysis import (
        load_stories,
        load_tags,
        replace_reactions,
        replace_stock_reactions,
        update_story_meta,
    )
    from newsmon.holidays import known_holidays

    taxonomy = taxonomy if taxonomy is not None else sync_sectors(db, config)
    closed, years = known_holidays(db, config)
    prices = price_frame(db, adjusted=None)
    counts = {"rows": 0, "missing": 0, "stories": 0, "stocks": 0, "provisional": 0}
    if prices.empty:
        return counts
    wanted = None if story_ids is None else set(story_ids)
    events, stocks, done = [], [], []
    provisional: dict[str, str] = {}
    for s in load_stories(db) if wanted is None else load_stories(db, ids=sorted(wanted)):
        if not s.get("first_published_at") or (wanted is not None and s["id"] not in wanted):
            continue
        try:
            aligned = align_event(s["first_published_at"], extra_holidays=closed, known_years=years)
        except CalendarRangeError as exc:
            counts["missing"] += 1
            replace_reactions(db, s["id"], [])
            replace_stock_reactions(db, s["id"], [])
            update_story_meta(db, s["id"], {"reaction_error": str(exc)})
            continue
        if day and aligned.session.strftime("%Y-%m-%d") != day:
            continue
        if (s.get("meta") or {}).get("reaction_error"):
            update_story_meta(db, s["id"], {"reaction_error": None})
        if aligned.provisional:
            provisional[s["id"]] = aligned.note
        tags = load_tags(db, story_id=s["id"])
        where = {"event_session": aligned.session, "event_time": aligned.time}
        events += reaction_events(
            s["id"], tags, taxonomy, min_relevance=REACTION_MIN_RELEVANCE, **where
        )
        stocks += stock_events(s["id"], tags, min_confidence=STOCK_REACTION_MIN_CONFIDENCE, **where)
        done.append(s["id"])
    import pandas as pd

    days = sorted({e["event_session"] for e in events + stocks})
    sessions = _session_grid(exchange_calendar(closed, years), prices, days)
    returns = adjusted_returns(prices, sessions)
    closes = raw_closes(prices, sessions)
    bars = _bars_for(db, days)
    study = {
        "closes": closes,
        "bars": bars,
        "sessions": sessions,
        "estimation": (config["reaction.estimation_start"], config["reaction.estimation_end"]),
        "min_estimation_days": int(config["reaction.min_estimation_days"]),
    }
    records = reaction_records(
        pd.DataFrame(events),
        returns,
        taxonomy,
        default_benchmark=config["prices.benchmark"],
        **study,
    )
    stock_rows = stock_records(
        pd.DataFrame(stocks), returns, benchmark=config["prices.benchmark"], **study
    )
    by_story: dict[str, list[dict[str, Any]]] = {sid: [] for sid in done}
    stocks_by_story: dict[str, list[dict[str, Any]]] = {sid: [] for sid in done}
    for record in records:
        if not has_price_data(record["figures"]):
            counts["missing"] += 1
        by_story[record.pop("story_id")].append(record)
        counts["rows"] += 1
    for record in stock_rows:
        stocks_by_story[record.pop("story_id")].append(record)
        counts["stocks"] += 1
    for story_id in done:
        note = provisional.get(story_id)
        if note:
            counts["provisional"] += 1
            for record in by_story[story_id] + stocks_by_story[story_id]:
                record["figures"]["notes"] = [note, *record["figures"].get("notes", [])]
                record["figures"]["provisional"] = True
        replace_reactions(db, story_id, by_story[story_id])
        replace_stock_reactions(db, story_id, stocks_by_story[story_id])
        if by_story[story_id] or stocks_by_story[story_id]:
            counts["stories"] += 1
    counts["corporate_actions"] = len(returns.attrs.get(CORPORATE_ACTIONS_ATTR, []))
    return counts


# ---------------------------------------------------------------- digest


def digest_data(db: Database, day: str, *, top: int = 20) -> dict[str, Any]:
    """The digest of one Asia/Shanghai day, in the shape analysis.digest renders.

    A story belongs to the day of its first media publication; stories are ranked
    by reach (sites, articles), an official origin, and the strength of the
    strongest sector reaction (|t| of the day-0 abnormal return).
    """
    from newsmon.analysis.digest import digest_story, rank_stories
    from newsmon.db.analysis import (
        load_reactions,
        load_sectors,
        load_stock_reactions,
        load_stories,
        load_story_members,
        load_tags,
    )
    from newsmon.timefmt import utc_iso

    sectors = {s["id"]: s for s in load_sectors(db)}
    stories = []
    for s in load_stories(db, day_shanghai=day):
        members = load_story_members(db, s["id"])
        origin_id = s.get("origin_article_id")
        origin = (load_articles(db, [origin_id]) or [None])[0] if origin_id else None
        stories.append(
            digest_story(
                s,
                members,
                origin,
                load_tags(db, story_id=s["id"]),
                [load_tags(db, article_id=m["article_id"]) for m in members],
                load_reactions(db, story_id=s["id"]),
                sectors,
                load_stock_reactions(db, story_id=s["id"]),
            )
        )
    return {"date": day, "generated_at": utc_iso(), "stories": rank_stories(stories, top)}


def write_digest(db: Database, config: Any, day: str) -> dict[str, Any]:
    """Render the day's digest (Markdown, HTML) and the Atom feed into digest.output_dir."""
    from pathlib import Path

    from newsmon.analysis.digest import atom_feed, render_html, render_markdown
    from newsmon.db.analysis import load_digests, save_digest

    data = digest_data(db, day, top=int(config["digest.top_stories"]))
    out = Path(config["digest.output_dir"])
    out.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(data)
    html_path = out / f"{day}.html"
    (out / f"{day}.md").write_text(markdown, encoding="utf-8")
    html_path.write_text(render_html(data), encoding="utf-8")
    headline = data["stories"][0]["headline"] if data["stories"] else "no stories"
    save_digest(
        db,
        {
            "date": day,
            "n_stories": len(data["stories"]),
            "markdown": markdown,
            "html_path": str(html_path.resolve()),
        },
    )
    feed = atom_feed(
        [
            {
                "date": d["date"],
                "title": f"newsmon digest {d['date']}: {d['n_stories']} stories",
                "summary": headline if d["date"] == day else f"{d['n_stories']} stories",
                "link": Path(d["html_path"]).resolve().as_uri() if d.get("html_path") else "",
                "updated": d["generated_at"],
            }
            for d in load_digests(db)
        ],
        feed_url=(out / "digests.atom").resolve().as_uri(),
        site_url=out.resolve().as_uri(),
    )
    (out / "digests.atom").write_text(feed, encoding="utf-8")
    return {
        "date": day,
        "stories": len(data["stories"]),
        "html": str(html_path.resolve()),
        "markdown": str((out / f"{day}.md").resolve()),
        "atom": str((out / "digests.atom").resolve()),
    }
