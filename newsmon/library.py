"""newsmon for notebooks: what is stored, as pandas DataFrames with typed columns.

    >>> import newsmon
    >>> with newsmon.open("data/newsmon.db") as m:
    ...     day = m.reactions(date="2022-07-08")
    ...     day.set_index("sector")["ar_day0"]

The command line's listings (stories, story, reactions, search, stats) are these
frames printed; ``stock_reactions()`` gives the companies a story names with their own
day-0 moves and limit flags, ``bars()`` the stored minute bars. Column types:
- moments (``*_at``, ``event_time``) are ``datetime64[ns, UTC]``; convert with
  ``.dt.tz_convert("Asia/Shanghai")`` to read them as Chinese readers did;
- days (``document_date``, ``event_session``, a price's ``date``) are
  ``datetime64[ns]`` without a zone;
- returns are fractions (``0.0518`` is +5.18 %) as ``float64``; counts are
  ``Int64``; a story member's ``role`` is categorical.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: a story member's role, as newsmon.analysis.stories.ROLES has them (not imported here:
#: story detection loads slowly, and a notebook reading stories needs none of it)
ROLES = ("origin", "reprint", "partial_reprint", "commentary", "related", "attachment")

ARTICLE_COLUMNS = (
    "id",
    "site",
    "kind",
    "published_at",
    "title",
    "url",
    "canonical_url",
    "author",
    "editor",
    "source",
    "document_date",
    "doc_number",
    "issuer",
    "text",
    "first_seen_at",
    "updated_at",
)
STORY_COLUMNS = (
    "id",
    "first_published_at",
    "first_site",
    "first_site_name",
    "n_articles",
    "n_sites",
    "title",
    "origin_article_id",
    "first_article_id",
    "official_origin_url",
)
MEMBER_COLUMNS = (
    "article_id",
    "published_at",
    "site",
    "outlet",
    "outlet_name",
    "source_outlet",
    "kind",
    "role",
    "novelty",
    "score",
    "official_origin",
    "title",
    "url",
    "document_date",
    "doc_number",
    "source",
)
#: a reaction's column -> its key in the stored figures
REACTION_FIGURES = {
    "sector_return": "sector_return",
    "benchmark_return": "benchmark_return",
    "ar_day0": "ar0",
    "car_0_1": "car_0_1",
    "car_0_3": "car_0_3",
    "pre_drift": "car_m3_m1",
    "t_ar0": "t_ar0",
    "mm_ar0": "mm_ar0",
    "mm_t_ar0": "mm_t_ar0",
    "ar_5m": "ar_5m",
    "ar_15m": "ar_15m",
    "ar_30m": "ar_30m",
    "ar_60m": "ar_60m",
    "ar_close": "ar_close",
}
REACTION_COLUMNS = (
    "story_id",
    "sector",
    "sector_name",
    "event_time",
    "event_session",
    *REACTION_FIGURES,
    "test",
    "n_members",
    "n_members_with_data",
    "benchmark",
    "notes",
    "story_title",
    "figures",
)
#: a named stock's reaction column -> its key in the stored figures
STOCK_FIGURES = {
    "return0": "return0",
    "benchmark_return": "benchmark_return",
    "ar_day0": "ar0",
    "car_0_1": "car_0_1",
    "car_0_3": "car_0_3",
    "pre_drift": "car_m3_m1",
    "t_ar0": "t_ar0",
    "prev_close": "prev_close",
    "close": "close",
    "limit_up_price": "limit_up_price",
    "limit_down_price": "limit_down_price",
    "ar_5m": "ar_5m",
    "ar_15m": "ar_15m",
    "ar_30m": "ar_30m",
    "ar_60m": "ar_60m",
    "ar_close": "ar_close",
}
STOCK_REACTION_COLUMNS = (
    "story_id",
    "ticker",
    "name",
    "event_time",
    "event_session",
    *STOCK_FIGURES,
    "test",
    "limit_up",
    "limit_down",
    "benchmark",
    "notes",
    "story_title",
    "figures",
)
PRICE_COLUMNS = (
    "ticker",
    "date",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "amount",
    "adjusted",
    "source",
    "adj_factor",
)
BAR_COLUMNS = ("ticker", "ts", "interval", "open", "high", "low", "close", "volume", "source")
SEARCH_COLUMNS = ("id", "site", "published_at", "title", "snippet")
COUNT_COLUMNS = ("day_shanghai", "site", "articles")

_MOMENTS = {
    "published_at",
    "first_published_at",
    "first_seen_at",
    "updated_at",
    "event_time",
    "ts",
}
_DAYS = {"document_date", "event_session", "date", "day_shanghai"}
_FLOATS = {
    "novelty",
    "score",
    *REACTION_FIGURES,
    *STOCK_FIGURES,
    "open",
    "high",
    "low",
    "close",
    "volume",
    "amount",
    "adj_factor",
}
_BOOLS = {"limit_up", "limit_down"}
_INTS = {"n_articles", "n_sites", "n_members", "n_members_with_data", "articles"}


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows as a frame with exactly these columns, each of its declared type."""
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    for c in columns:
        if c in _MOMENTS:
            frame[c] = pd.to_datetime(frame[c], utc=True, format="ISO8601").astype(
                "datetime64[ns, UTC]"
            )
        elif c in _DAYS:
            frame[c] = pd.to_datetime(frame[c], format="ISO8601", errors="coerce").astype(
                "datetime64[ns]"
            )
        elif c in _FLOATS:
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
        elif c in _INTS:
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("Int64")
        elif c == "role":
            extra = sorted(set(frame[c].dropna()) - set(ROLES))  # a role added since
            frame[c] = pd.Categorical(frame[c], categories=[*ROLES, *extra])
        elif c == "official_origin":
            frame[c] = frame[c].astype(bool)
        elif c in _BOOLS:
            frame[c] = frame[c].astype("boolean")
    return frame


def _utc_text(value: Any) -> str | None:
    """A bound given as text or a datetime, as the stored ISO 8601 UTC text compares."""
    if value is None:
        return None
    import pandas as pd

    moment = pd.Timestamp(value)
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return moment.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _day_text(value: Any) -> str | None:
    if value is None:
        return None
    import pandas as pd

    return pd.Timestamp(value).strftime("%Y-%m-%d")


class Newsmon:
    """One open newsmon database. Use newsmon.open(path); close() or use it in a with block."""

    def __init__(self, db: Any, *, path: str | PathLike | None = None):
        self.db = db  # the sqlite-utils Database, for what the methods do not cover
        self.path = Path(path) if path is not None else None

    def __repr__(self) -> str:
        return f"<newsmon {self.path or 'database'}>"

    def __enter__(self) -> Newsmon:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ articles

    def articles(
        self,
        site: str | None = None,
        since: Any = None,
        until: Any = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Stored articles in publication order (no time last): one site's, published
        from since (inclusive) to until (exclusive), the first limit of them.

        since and until are moments (text, datetime or Timestamp; naive means UTC).
        """
        from newsmon.db.articles import load_articles

        lo, hi = _utc_text(since), _utc_text(until)
        rows = []
        for a in load_articles(self.db):
            if site is not None and a["site"] != site:
                continue
            at = a.get("published_at")
            if (lo or hi) and not at:
                continue
            if (lo and at < lo) or (hi and at >= hi):
                continue
            rows.append(a)
            if limit is not None and len(rows) >= limit:
                break
        return _frame(rows, ARTICLE_COLUMNS)

    # ------------------------------------------------------------ stories

    def stories(self, date: Any = None) -> pd.DataFrame:
        """Stories, latest first publication first; date: those first published that
        Asia/Shanghai day (YYYY-MM-DD, a date or a Timestamp)."""
        from newsmon.db.analysis import load_stories

        return _frame(load_stories(self.db, day_shanghai=_day_text(date)), STORY_COLUMNS)

    def story(self, story_id: str) -> pd.DataFrame:
        """One story's members in publication order (undated documents first): site,
        role, novelty, score, and whether it is the official origin. KeyError when
        there is no such story."""
        from newsmon.db.analysis import load_stories, load_story_members

        found = [s for s in load_stories(self.db) if s["id"] == story_id]
        if not found:
            raise KeyError(f"no story {story_id!r} (see newsmon stories)")
        origin = found[0]["origin_article_id"]
        rows = load_story_members(self.db, story_id)
        for r in rows:
            r["official_origin"] = r["article_id"] == origin
        frame = _frame(rows, MEMBER_COLUMNS)
        frame.attrs["story"] = found[0]
        return frame

    # ------------------------------------------------------------ reactions

    def reactions(self, date: Any = None, story: str | None = None) -> pd.DataFrame:
        """Story x sector reactions, of one event session (trading day) or one story.

        Returns are simple daily returns as fractions: sector_return, the
        benchmark's, the abnormal return on day 0 (ar_day0), cumulative ones over
        days 0-1 and 0-3, and the drift over days -3..-1 (pre_drift); t_ar0 and the
        market-model figures (mm_*) are NaN when the estimation window was too
        short. figures holds everything the event study stored (the CAR path too).
        """
        from newsmon.db.analysis import load_reactions

        rows = []
        for r in load_reactions(self.db, story_id=story, day_shanghai=_day_text(date)):
            f = r["figures"]
            rows.append(
                {
                    "story_id": r["story_id"],
                    "sector": r["sector_id"],
                    "sector_name": r.get("sector_name"),
                    "event_time": r.get("event_time"),
                    "event_session": r.get("event_session"),
                    **{col: f.get(key) for col, key in REACTION_FIGURES.items()},
                    "test": f.get("test_ar0"),
                    "n_members": f.get("n_members"),
                    "n_members_with_data": f.get("n_members_with_data"),
                    "benchmark": f.get("benchmark"),
                    "notes": list(f.get("notes") or []),
                    "story_title": r.get("story_title"),
                    "figures": f,
                }
            )
        return _frame(rows, REACTION_COLUMNS)

    def stock_reactions(self, date: Any = None, story: str | None = None) -> pd.DataFrame:
        """The companies the stories name (stock tags at or above the confidence
        threshold), each with its own reaction: the day-0 return (``return0``) and
        abnormal return (``ar_day0``), the windows, ``t_ar0`` (a time-series t on the
        stock's own estimation window, named in ``test``), limit-up / limit-down by the
        exchange's rule with the limit prices, and the minute windows (NaN without bars).
        """
        from newsmon.db.analysis import load_stock_reactions

        rows = []
        for r in load_stock_reactions(self.db, story_id=story, day_shanghai=_day_text(date)):
            f = r["figures"]
            rows.append(
                {
                    "story_id": r["story_id"],
                    "ticker": r["ticker"],
                    "name": r.get("name"),
                    "event_time": r.get("event_time"),
                    "event_session": r.get("event_session"),
                    **{col: f.get(key) for col, key in STOCK_FIGURES.items()},
                    "test": f.get("test"),
                    "limit_up": f.get("limit_up"),
                    "limit_down": f.get("limit_down"),
                    "benchmark": f.get("benchmark"),
                    "notes": list(f.get("notes") or []),
                    "story_title": r.get("story_title"),
                    "figures": f,
                }
            )
        return _frame(rows, STOCK_REACTION_COLUMNS)

    # ------------------------------------------------------------ prices

    def prices(
        self,
        tickers: str | list[str] | None = None,
        start: Any = None,
        end: Any = None,
        *,
        adjusted: str = "none",
    ) -> pd.DataFrame:
        """Stored daily bars of these tickers (all when None) from start to end
        (inclusive days), one adjustment ("none": as traded)."""
        from newsmon.db.analysis import load_prices

        if isinstance(tickers, str):
            tickers = [tickers]
        rows = [
            r
            for r in load_prices(self.db, tickers, _day_text(start), _day_text(end))
            if r["adjusted"] == adjusted
        ]
        return _frame(rows, PRICE_COLUMNS)

    def bars(
        self,
        tickers: str | list[str] | None = None,
        start: Any = None,
        end: Any = None,
        *,
        interval: str | None = None,
    ) -> pd.DataFrame:
        """Stored minute bars (``ts`` the bar's start, UTC) of these tickers (all when None)
        starting from start (inclusive) to end (exclusive); moments as for articles."""
        from newsmon.db.analysis import load_bars

        if isinstance(tickers, str):
            tickers = [tickers]
        rows = load_bars(self.db, tickers, _utc_text(start), _utc_text(end), interval)
        return _frame(rows, BAR_COLUMNS)

    # ------------------------------------------------------------ search and counts

    def search(self, query: str, limit: int = 20) -> pd.DataFrame:
        """Articles whose title or text holds the query, newest first, with a snippet."""
        from newsmon.db.queries import search_articles

        return _frame(search_articles(self.db, query, limit=limit), SEARCH_COLUMNS)

    def counts(self) -> pd.DataFrame:
        """Articles by Asia/Shanghai publication day and site (no time: day NaT)."""
        from newsmon.db.queries import article_counts

        rows = [
            {**r, "day_shanghai": None if r["day_shanghai"] == "unknown" else r["day_shanghai"]}
            for r in article_counts(self.db)
        ]
        return _frame(rows, COUNT_COLUMNS)


def open_database(path: str | PathLike, *, busy_timeout_ms: int | None = None) -> Newsmon:
    """Open an existing newsmon database (its schema brought up to date).

    A path that does not exist raises FileNotFoundError: no empty file is made.
    """
    from newsmon.db import connect
    from newsmon.db.connection import DEFAULT_BUSY_TIMEOUT_MS

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            2, "no such database (create it with newsmon import/crawl/demo)", str(path)
        )
    db = connect(path, busy_timeout_ms=busy_timeout_ms or DEFAULT_BUSY_TIMEOUT_MS)
    return Newsmon(db, path=path)
