"""Where prices come from: recorded files (offline) or Yahoo Finance through yfinance.

This is the price I/O: files are read and Yahoo is asked here, and the contents
are handed to the pure parsers of ``newsmon.analysis.prices``. Every provider returns the canonical daily frame of ``analysis.prices``
(``PRICE_COLUMNS``; what it had to decide in ``attrs["issues"]``) and, where it can,
intraday bars (``BAR_COLUMNS``):

- ``ticker``: canonical ticker (``002045.SZ``, ``000300.SS``);
- ``ts``: bar start, tz-aware UTC;
- ``interval``: ``"1m"``, ``"5m"``, ...;
- ``open``, ``high``, ``low``, ``close``, ``volume`` (shares; NaN for indices);
- ``source``.

``read_price_file`` reads one recorded daily file (any layout ``parse_price_table``
knows); ``read_bar_file`` one minute-bar file (``parse_bar_table``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import pandas as pd
from yfinance.exceptions import YFRateLimitError

from newsmon.analysis.prices import (
    BAR_COLUMNS,
    EXCHANGE_TZ,
    INTERVAL_MINUTES,
    ISSUES_ATTR,
    PRICE_COLUMNS,
    PRICE_TOLERANCE,
    canonical_ticker,
    empty_bars,
    empty_prices,
    finish_bars,
    finish_prices,
    parse_bar_table,
    parse_price_table,
    parse_yfinance,
    parse_yfinance_intraday,
    sniff_bar_layout,
)

#: how far back Yahoo serves each intraday interval (days before now)
INTRADAY_MAX_AGE_DAYS = {
    "1m": 30,
    "2m": 60,
    "5m": 60,
    "15m": 60,
    "30m": 60,
    "60m": 60,
    "90m": 60,
    "1h": 60,
}
#: the longest span one Yahoo request may cover, per interval (days)
INTRADAY_MAX_SPAN_DAYS = {"1m": 7}
#: Yahoo's intraday limits in words, for help texts and errors
YAHOO_INTRADAY_LIMITS = (
    "Yahoo serves 1m bars for the last 30 days, at most 7 days a request, and 2m-90m "
    "bars (5m, 15m, ...) for the last 60 days"
)
#: words in yfinance's error log that mean Yahoo rate-limited a ticker
RATE_LIMIT_MARKERS = ("YFRateLimitError", "Rate limited", "Too Many Requests")

DateLike = str | pd.Timestamp | Any
PathOrBuffer = str | os.PathLike | IO[str] | IO[bytes]


class IntradayNotSupported(NotImplementedError):
    """The provider has no intraday bars."""


class PriceProvider(Protocol):
    """Daily (and, where supported, intraday) prices for canonical tickers."""

    def fetch_daily(self, tickers: Sequence[str], start: DateLike, end: DateLike) -> pd.DataFrame:
        """Canonical daily frame for sessions ``start``..``end`` (both inclusive)."""
        ...

    def fetch_intraday(
        self, tickers: Sequence[str], start: DateLike, end: DateLike, interval: str
    ) -> pd.DataFrame:
        """Bars (``BAR_COLUMNS``) starting in ``[start, end)``; IntradayNotSupported if none."""
        ...


def _day(value: DateLike) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(EXCHANGE_TZ).tz_localize(None)
    return stamp.normalize()


def _moment(value: DateLike) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(EXCHANGE_TZ)
    return stamp.tz_convert("UTC")


def _no_data_issues(tickers: Sequence[str], frame: pd.DataFrame, why: str) -> list[dict[str, Any]]:
    have = set(frame["ticker"]) if len(frame) else set()
    return [
        {"kind": "no_data", "ticker": t, "date": None, "detail": why}
        for t in tickers
        if t not in have
    ]


# ---------------------------------------------------------------- recorded files


def read_price_file(
    path_or_buffer: PathOrBuffer, ticker: str | None = None, *, adjusted: str | None = None
) -> pd.DataFrame:
    """Read one recorded price file (a path, or an open text or binary file) into the
    canonical frame; the parsing, and what ``ticker`` and ``adjusted`` mean, is
    ``parse_price_table``'s. An unknown layout is a ValueError naming the file."""
    if hasattr(path_or_buffer, "read"):
        name = str(getattr(path_or_buffer, "name", "<buffer>"))
        data = path_or_buffer.read()  # type: ignore[union-attr]
    else:
        name = str(path_or_buffer)
        data = Path(path_or_buffer).read_bytes()
    return parse_price_table(data, name, ticker, adjusted=adjusted)


def is_bar_file(path: str | os.PathLike) -> bool:
    """Whether a file holds minute bars (a layout of ``analysis.prices.BAR_LAYOUTS``)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = head.decode("gb18030", errors="replace")
    return sniff_bar_layout(text) is not None


def read_bar_file(
    path: str | os.PathLike, ticker: str | None = None, *, interval: str | None = None
) -> pd.DataFrame:
    """Read one minute-bar file into ``BAR_COLUMNS`` (``parse_bar_table``)."""
    return parse_bar_table(Path(path).read_bytes(), str(path), ticker, interval=interval)


class CSVProvider:
    """Prices from recorded files (any layout ``read_price_file`` reads), offline.

    The files are read once, on first use. Where several files hold the same ticker,
    date and adjustment, the file listed first wins (a different close is reported as
    ``conflicting_duplicate``). ``adjusted`` keeps one kind of adjustment (default
    ``"none"``: raw prices); None keeps every kind. A file in no price layout (say a
    company list next to the price files) is skipped and reported (``not_prices``, with
    the columns seen); with ``strict=True`` it is a ValueError.
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike],
        *,
        adjusted: str | None = "none",
        tickers: dict[str, str] | None = None,
        strict: bool = False,
    ) -> None:
        self.paths = [os.fspath(p) for p in paths]
        self.adjusted = adjusted
        self.strict = strict
        #: file path -> ticker, for single-stock files whose name carries no code
        self.tickers = dict(tickers or {})
        self._frame: pd.DataFrame | None = None

    def frame(self) -> pd.DataFrame:
        """Every row of every file, deduplicated across files (canonical frame)."""
        if self._frame is None:
            self._frame = self._load()
        return self._frame

    def _load(self) -> pd.DataFrame:
        parts = []
        issues: list[dict[str, Any]] = []
        for order, path in enumerate(self.paths):
            try:
                loaded = read_price_file(path, self.tickers.get(path))
            except ValueError as exc:
                if self.strict or "unknown price file layout" not in str(exc):
                    raise
                issues.append(
                    {
                        "kind": "not_prices",
                        "ticker": None,
                        "date": None,
                        "detail": str(exc),
                        "file": os.path.basename(path),
                    }
                )
                continue
            issues.extend(dict(i, file=os.path.basename(path)) for i in loaded.attrs[ISSUES_ATTR])
            parts.append(loaded.assign(_order=order))
        if not parts:
            return empty_prices()
        frame = pd.concat(parts, ignore_index=True)
        if self.adjusted is not None:
            frame = frame[frame["adjusted"] == self.adjusted]
        frame = frame.sort_values(["ticker", "date", "adjusted", "_order"], kind="stable")
        key = ["ticker", "date", "adjusted"]
        dup = frame.duplicated(subset=key, keep=False)
        if dup.any():
            for (ticker, date, _adj), group in frame[dup].groupby(key, sort=True):
                closes = group["close"].to_numpy()
                if np.nanmax(np.abs(closes - closes[0])) > PRICE_TOLERANCE:
                    files = [os.path.basename(self.paths[o]) for o in group["_order"]]
                    issues.append(
                        {
                            "kind": "conflicting_duplicate",
                            "ticker": ticker,
                            "date": pd.Timestamp(date).strftime("%Y-%m-%d"),
                            "detail": f"closes {list(closes)} in {files}; {files[0]} kept",
                        }
                    )
            frame = frame[~frame.duplicated(subset=key, keep="first")]
        return finish_prices(frame.drop(columns="_order"), issues)

    def fetch_daily(self, tickers: Sequence[str], start: DateLike, end: DateLike) -> pd.DataFrame:
        """Canonical rows of ``tickers`` for ``start``..``end`` inclusive; a ticker no file
        holds in that range is reported (``no_data``)."""
        wanted = [canonical_ticker(t) for t in tickers]
        frame = self.frame()
        lo, hi = _day(start), _day(end)
        out = frame[frame["ticker"].isin(wanted) & frame["date"].between(lo, hi)]
        issues = [
            i
            for i in frame.attrs.get(ISSUES_ATTR, [])
            if i.get("ticker") in set(wanted) or i["kind"] == "not_prices"
        ]
        issues += _no_data_issues(wanted, out, f"no recorded prices {lo.date()}..{hi.date()}")
        return finish_prices(out, issues)

    def fetch_intraday(
        self, tickers: Sequence[str], start: DateLike, end: DateLike, interval: str
    ) -> pd.DataFrame:
        raise IntradayNotSupported("recorded price files hold daily bars only")


# ---------------------------------------------------------------- Yahoo Finance


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _captured_yfinance_errors() -> Iterator[_LogCapture]:
    logger = logging.getLogger("yfinance")
    handler = _LogCapture()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class YFinanceProvider:
    """Prices from Yahoo Finance through ``yfinance.download`` (injectable for tests).

    Daily: one batched request per ``batch_size`` tickers, ``auto_adjust=False``: ``Close``
    is the traded close (Yahoo's Close is split-adjusted, not dividend-adjusted: it equals
    the exchange's close except across a bonus-share issue) and gives the raw rows
    (``adjusted="none"``); a stock's ``Adj Close`` gives ``yahoo_adj`` rows, from which the
    event study takes its returns. Yahoo's tickers are the canonical ones (``.SS`` / ``.SZ``).

    Intraday: Yahoo serves 1m bars for the last 30 days, at most 7 days a request (longer
    spans are split into requests), and 2m-90m bars for the last 60 days; anything
    else is a ValueError saying why, before any request.

    Rate limits: a request that raises ``YFRateLimitError``, or whose tickers come back
    empty while yfinance logs a rate-limit error (``yfinance.download`` logs per-ticker
    failures instead of raising), is retried for the missing tickers after
    ``backoff_s * 2**attempt`` seconds, at most ``max_retries`` times; then
    ``YFRateLimitError`` is raised.
    """

    def __init__(
        self,
        download: Callable[..., pd.DataFrame] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 4,
        *,
        backoff_s: float = 2.0,
        batch_size: int = 50,
        now: Callable[[], pd.Timestamp] | None = None,
    ) -> None:
        if download is None:
            import yfinance

            download = yfinance.download
        if max_retries < 0 or batch_size < 1:
            raise ValueError("max_retries must be >= 0 and batch_size >= 1")
        self.download = download
        self.sleep = sleep
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.batch_size = batch_size
        self.now = now or (lambda: pd.Timestamp.now(tz="UTC"))

    # -------------------------------------------------------- requests

    def _request(
        self, tickers: list[str], parse: Callable[[pd.DataFrame], pd.DataFrame], **kwargs: Any
    ) -> pd.DataFrame:
        """Download ``tickers`` with retries on rate limits; the parsed frame."""
        pending = list(tickers)
        parts: list[pd.DataFrame] = []
        issues: list[dict[str, Any]] = []
        for attempt in range(self.max_retries + 1):
            limited = False
            with _captured_yfinance_errors() as log:
                try:
                    raw = self.download(
                        tickers=pending,
                        auto_adjust=False,
                        actions=False,
                        group_by="column",
                        multi_level_index=True,
                        progress=False,
                        **kwargs,
                    )
                except YFRateLimitError:
                    limited = True
                    raw = None
            if raw is not None and len(raw.columns):
                parsed = parse(raw)
                issues.extend(parsed.attrs.get(ISSUES_ATTR, []))
                parsed = parsed[parsed["ticker"].isin(pending)]
                parts.append(parsed)
                got = set(parsed["ticker"])
                pending = [t for t in pending if t not in got]
            if not limited:
                limited = bool(pending) and any(
                    marker in message for message in log.messages for marker in RATE_LIMIT_MARKERS
                )
            if not limited or not pending:
                break
            if attempt == self.max_retries:
                raise YFRateLimitError()
            self.sleep(self.backoff_s * 2**attempt)
        out = pd.concat(parts, ignore_index=True) if parts else parse(pd.DataFrame())
        out.attrs = {ISSUES_ATTR: issues}
        return out

    def _batches(self, tickers: list[str]) -> Iterator[list[str]]:
        for i in range(0, len(tickers), self.batch_size):
            yield tickers[i : i + self.batch_size]

    # -------------------------------------------------------- daily

    def fetch_daily(self, tickers: Sequence[str], start: DateLike, end: DateLike) -> pd.DataFrame:
        """Canonical daily frame for sessions ``start``..``end`` inclusive."""
        wanted = list(dict.fromkeys(canonical_ticker(t) for t in tickers))
        lo, hi = _day(start), _day(end)
        if hi < lo:
            raise ValueError(f"end {hi.date()} is before start {lo.date()}")
        parts = []
        issues: list[dict[str, Any]] = []
        for batch in self._batches(wanted):
            got = self._request(
                batch,
                _parse_daily,
                start=lo.strftime("%Y-%m-%d"),
                end=(hi + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),  # yfinance's end is exclusive
                interval="1d",
            )
            issues.extend(got.attrs.get(ISSUES_ATTR, []))
            parts.append(got)
        out = pd.concat(parts, ignore_index=True) if parts else empty_prices()
        out = out[out["date"].between(lo, hi)]
        issues += _no_data_issues(wanted, out, f"Yahoo returned no rows {lo.date()}..{hi.date()}")
        return finish_prices(out, issues)

    # -------------------------------------------------------- intraday

    def intraday_chunks(
        self, start: DateLike, end: DateLike, interval: str
    ) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        """The ``[start, end)`` requests (UTC) Yahoo allows for ``interval``, or a ValueError."""
        if interval not in INTRADAY_MAX_AGE_DAYS:
            raise ValueError(
                f"interval {interval!r} is not an intraday interval Yahoo serves "
                f"({', '.join(INTRADAY_MAX_AGE_DAYS)}); daily bars come from fetch_daily"
            )
        lo, hi = _moment(start), _moment(end)
        if hi <= lo:
            raise ValueError(f"end {hi.isoformat()} is not after start {lo.isoformat()}")
        now = self.now()
        max_age = pd.Timedelta(days=INTRADAY_MAX_AGE_DAYS[interval])
        if now - lo > max_age:
            age = (now - lo).days
            raise ValueError(
                f"Yahoo serves {interval} bars for the last {max_age.days} days only; "
                f"start {lo.isoformat()} is {age} days ago ({YAHOO_INTRADAY_LIMITS}; "
                "older minute bars can be imported from files with `newsmon prices import`)"
            )
        span_days = INTRADAY_MAX_SPAN_DAYS.get(interval)
        if span_days is None:
            return [(lo, hi)]
        span = pd.Timedelta(days=span_days)
        chunks = []
        cursor = lo
        while cursor < hi:
            chunks.append((cursor, min(cursor + span, hi)))
            cursor += span
        return chunks

    def fetch_intraday(
        self, tickers: Sequence[str], start: DateLike, end: DateLike, interval: str
    ) -> pd.DataFrame:
        """Bars (``BAR_COLUMNS``) starting in ``[start, end)``; naive times are Asia/Shanghai.

        A ticker Yahoo returns no bars for (a day without trading answers with metadata
        and an empty quote list) is no error: it is listed as ``no_bars`` in
        ``attrs["issues"]``.
        """
        chunks = self.intraday_chunks(start, end, interval)
        wanted = list(dict.fromkeys(canonical_ticker(t) for t in tickers))
        parts = []
        for batch in self._batches(wanted):
            for lo, hi in chunks:
                parts.append(
                    self._request(
                        batch,
                        lambda raw: _parse_intraday(raw, interval),
                        start=lo.to_pydatetime(),
                        end=hi.to_pydatetime(),
                        interval=interval,
                        prepost=False,
                    )
                )
        lo, hi = chunks[0][0], chunks[-1][1]
        issues = [i for part in parts for i in part.attrs.get(ISSUES_ATTR, [])]
        out = pd.concat(parts, ignore_index=True) if parts else empty_bars()
        out = out[(out["ts"] >= lo) & (out["ts"] < hi)]
        out = out.drop_duplicates(subset=["ticker", "ts"], keep="first")
        out = out.sort_values(["ticker", "ts"], kind="stable").reset_index(drop=True)
        have = set(out["ticker"])
        span = f"{lo.tz_convert(EXCHANGE_TZ):%Y-%m-%d %H:%M}..{hi.tz_convert(EXCHANGE_TZ):%Y-%m-%d %H:%M}"
        issues += [
            {
                "kind": "no_bars",
                "ticker": t,
                "date": None,
                "detail": f"Yahoo returned no {interval} bars for {span} Asia/Shanghai "
                "(no trading then, or not kept by Yahoo)",
            }
            for t in wanted
            if t not in have
        ]
        out.attrs = {ISSUES_ATTR: issues}
        return out


def _parse_daily(raw: pd.DataFrame) -> pd.DataFrame:
    if raw.empty and not isinstance(raw.columns, pd.MultiIndex):
        return empty_prices()
    return parse_yfinance(raw, adjusted="none")


def _parse_intraday(raw: pd.DataFrame, interval: str) -> pd.DataFrame:
    """yfinance intraday output (columns (Price, Ticker), tz-aware index) -> ``BAR_COLUMNS``."""
    if raw.empty and not isinstance(raw.columns, pd.MultiIndex):
        return empty_bars()
    if not isinstance(raw.columns, pd.MultiIndex):
        raise ValueError("yfinance frame without a (Price, Ticker) column MultiIndex")
    return parse_yfinance_intraday(raw, interval)


__all__ = [
    "BAR_COLUMNS",
    "CSVProvider",
    "INTRADAY_MAX_AGE_DAYS",
    "INTRADAY_MAX_SPAN_DAYS",
    "INTERVAL_MINUTES",
    "IntradayNotSupported",
    "YAHOO_INTRADAY_LIMITS",
    "finish_bars",
    "is_bar_file",
    "read_bar_file",
    "PRICE_COLUMNS",
    "PriceProvider",
    "YFinanceProvider",
    "empty_bars",
    "read_price_file",
]
