"""Daily prices in every recorded layout, turned into one canonical long frame.

The canonical frame (``PRICE_COLUMNS``), one row per ticker and session:

- ``ticker``: canonical ticker, ``002045.SZ`` / ``600000.SS`` / ``430047.BJ``; indices
  ``000300.SS`` (CSI 300, Yahoo's spelling), ``000001.SS`` (SSE Composite),
  ``399006.SZ`` (ChiNext). A bare six-digit code is read as a stock (``000001`` is
  Ping An Bank, ``000001.SZ``); an index needs its exchange (``000001SS``, ``sh.000001``).
- ``date``: the session date, datetime64 without time zone.
- ``open``, ``high``, ``low``, ``close``: prices (``open`` NaN when the layout has none).
- ``volume``: shares (NaN when unknown); ``amount``: turnover in CNY (NaN when unknown).
- ``adjusted``: ``"none"`` | ``"qfq"`` (forward-adjusted) | ``"hfq"`` (backward) |
  ``"yahoo_adj"`` (Yahoo's dividend-and-split adjusted close).
- ``source``: the layout the row was read from (``"samleon"``, ``"akshare"``, ...).
- ``adj_factor``: the provider's cumulative adjustment factor of a raw row (tushare's
  ``adj_factor``; ``close * adj_factor`` is the backward-adjusted close), NaN when the
  provider gives none.

Rows are sorted by ticker and date. What a loader had to decide is listed in
``frame.attrs["issues"]`` (``ISSUES_ATTR``): dicts with ``kind``, ``ticker``, ``date``,
``detail``. Kinds: ``duplicate_row`` (an exact copy dropped), ``conflicting_duplicate``
(two different rows for one day: the first in file order kept, both closes given),
``no_price`` (a row without a close dropped), ``suspended`` (a baostock row marked not
traded dropped), ``index_volume`` (Yahoo's volume of an index dropped: it is not a
share count).

Layouts (``LAYOUTS``), sniffed from the header by ``parse_price_table``:

===================  ===============================================================
samleon              date,volume,low,close,open,high; unadjusted; ``volume`` is
                     turnover in CNY (-> ``amount``); newest first
samleon_cross        code,date,volume,low,close,open,high (the cross-section)
akshare              日期,开盘,收盘,最高,最低,成交量(lots of 100 shares),成交额(CNY),...
                     (``stock_zh_a_hist``); the adjustment is not in the file: given, or
                     read from the file name (qfq/hfq), else an error
baostock             date,code(sz.002045),open,...,volume(shares),amount,adjustflag
                     (1 hfq, 2 qfq, 3 none),tradestatus,...
tushare              trade_date(YYYYMMDD),[ts_code],[open],high,low,close,[vol(lots)],
                     [amount(thousand CNY)],pct_chg...; newest first
choice               交易日期,开盘价,最高价,最低价,收盘价,...,成交量(万股),成交额(万元) (Eastmoney
                     Choice export)
yahoo                Date,Open,High,Low,Close,Adj Close,Volume: ``Close`` as the raw rows;
                     a stock's ``Adj Close`` as ``yahoo_adj`` rows too
yfinance             yfinance.download's frame as written by ``DataFrame.to_csv``: header
                     rows Price / Ticker / Date; Close and Adj Close as for yahoo
yummyhe              date,open,high,low,close,volume (volume in shares)
===================  ===============================================================

``daily_returns`` turns a canonical frame of one adjustment into close-to-close simple
returns; ``adjusted_returns`` takes every kind a ticker has and uses an adjusted one
wherever it exists (a raw move beyond the board's daily limit without one is a probable
corporate action, left out and reported); ``raw_closes`` gives the traded closes the
exchange's limit rule reads (``price_limit``, ``limit_prices``).

Minute bars (``BAR_COLUMNS``: ``ticker``, ``ts`` bar start tz-aware UTC, ``interval``,
OHLC, ``volume``, ``source``) come from ``parse_bar_table`` in these layouts
(``BAR_LAYOUTS``):

===================  ===============================================================
yfinance_intraday    yfinance.download(interval="1m"...)'s frame written by
                     ``DataFrame.to_csv``: header rows Price / Ticker / Datetime, the
                     index tz-aware (``2022-07-08 09:30:00+08:00``), bars labelled by
                     their start
tushare_mins         tushare ``stk_mins`` / ``idx_mins``: ts_code,trade_time,close,open,
                     high,low,vol(shares),amount; ``trade_time`` Asia/Shanghai, bars
                     labelled by their END (09:31 is 09:30-09:31; a 09:30 row is the
                     opening auction), newest first
===================  ===============================================================
"""

from __future__ import annotations

import io
import ntpath
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

PRICE_COLUMNS = [
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
]
ADJUSTMENTS = ("none", "qfq", "hfq", "yahoo_adj")
#: adjusted series ``adjusted_returns`` prefers, best first ("factor": raw close x adj_factor)
ADJUSTED_PREFERENCE = ("factor", "hfq", "qfq", "yahoo_adj")
#: key of ``DataFrame.attrs`` holding what a loader decided (list of dicts)
ISSUES_ATTR = "issues"
#: key of ``DataFrame.attrs`` holding the missing days ``daily_returns`` found
MISSING_ATTR = "missing_days"
#: key of ``DataFrame.attrs`` holding the member-days ``adjusted_returns`` left out
CORPORATE_ACTIONS_ATTR = "corporate_actions"
#: key of ``DataFrame.attrs`` holding, per ticker, the series its returns came from
BASIS_ATTR = "basis"
#: shares in one lot (手), the unit of akshare's and tushare's volume
SHARES_PER_LOT = 100
#: Choice exports volume in 万股 and turnover in 万元
CHOICE_UNIT = 10_000
#: tushare's amount is in thousands of CNY
TUSHARE_AMOUNT_UNIT = 1_000
#: baostock adjustflag -> canonical adjustment
BAOSTOCK_ADJUSTFLAG = {"1": "hfq", "2": "qfq", "3": "none"}
#: two closes closer than this count as the same (prices have two decimals)
PRICE_TOLERANCE = 1e-6

_SUFFIX_RE = re.compile(r"^(\d{6})\.?(SZ|SH|SS|BJ)$")
_PREFIX_RE = re.compile(r"^(SZ|SH|SS|BJ)\.?(\d{6})$")
_CODE_IN_NAME_RE = re.compile(r"(?<!\d)(\d{6})[._-]?(SZ|SH|SS|BJ)(?![A-Za-z])", re.I)
_BARE_CODE_IN_NAME_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


# ---------------------------------------------------------------- tickers


def canonical_ticker(code: str) -> str:
    """``sz.002045`` / ``sz002045`` / ``002045.SZ`` / ``000300.SH`` / ``002045`` -> ``002045.SZ`` style.

    Shanghai is ``.SS`` (Yahoo's suffix). A bare code is read as a stock: 60/68/90 ->
    Shanghai, 00/20/30/39 -> Shenzhen, 4/8/92 -> Beijing. Anything else is a ValueError.
    """
    text = str(code).strip().upper()
    m = _SUFFIX_RE.match(text)
    if m:
        digits, exchange = m.groups()
    else:
        m = _PREFIX_RE.match(text)
        if m:
            exchange, digits = m.groups()
        elif re.fullmatch(r"\d{6}", text):
            digits, exchange = text, _exchange_of_stock(text)
        else:
            raise ValueError(f"{code!r} is not an A-share code (expected e.g. 002045.SZ)")
    exchange = "SS" if exchange == "SH" else exchange
    return f"{digits}.{exchange}"


def _exchange_of_stock(digits: str) -> str:
    if digits.startswith(("60", "68", "90")):
        return "SS"
    if digits.startswith(("00", "20", "30", "39")):
        return "SZ"
    if digits.startswith(("4", "8", "92")):
        return "BJ"
    raise ValueError(f"{digits!r}: cannot tell the exchange of this code; give a suffix (.SZ/.SS)")


def is_index(ticker: str) -> bool:
    """Shanghai 000xxx and Shenzhen 399xxx are indices (Shanghai stocks start with 6 or 9)."""
    digits, _, exchange = ticker.partition(".")
    return (exchange == "SS" and digits.startswith("000")) or (
        exchange == "SZ" and digits.startswith("399")
    )


def _base_name(name: str) -> str:
    """The last component of a file name, with / or \\ separators (no file system)."""
    return ntpath.basename(name)


def _ticker_from_name(name: str) -> str | None:
    base = _base_name(name)
    m = _CODE_IN_NAME_RE.search(base)
    if m:
        return canonical_ticker(m.group(1) + "." + m.group(2).upper())
    found = _BARE_CODE_IN_NAME_RE.findall(base)
    if len(found) == 1:
        return canonical_ticker(found[0])
    return None


def _adjustment_from_name(name: str) -> str | None:
    low = _base_name(name).lower()
    for kind in ("qfq", "hfq"):
        if re.search(rf"(?<![a-z]){kind}(?![a-z])", low):
            return kind
    if re.search(r"(?<![a-z])(raw|unadjusted|bfq)(?![a-z])", low):
        return "none"
    return None


# ---------------------------------------------------------------- per-layout parsers


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _frame(
    raw: pd.DataFrame,
    *,
    ticker: pd.Series | str,
    date: pd.Series,
    open_: pd.Series | float,
    high: pd.Series,
    low: pd.Series,
    close: pd.Series,
    volume: pd.Series | float,
    amount: pd.Series | float,
    adjusted: pd.Series | str,
    source: str,
    adj_factor: pd.Series | float = np.nan,
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "ticker": ticker,
            "date": date,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "amount": amount,
            "adjusted": adjusted,
            "source": source,
            "adj_factor": adj_factor,
        },
        index=raw.index,
    )
    return out


def _with_adjusted_close(raw_rows: pd.DataFrame, adj_close: pd.Series) -> pd.DataFrame:
    """Raw rows plus their Yahoo-adjusted twins (``yahoo_adj``): the close is Adj Close and
    open, high and low are scaled by the same ratio; rows without an Adj Close add none."""
    ratio = adj_close / raw_rows["close"]
    twin = raw_rows.assign(
        open=raw_rows["open"] * ratio,
        high=raw_rows["high"] * ratio,
        low=raw_rows["low"] * ratio,
        close=adj_close,
        adjusted="yahoo_adj",
    )
    twin = twin[np.isfinite(adj_close.to_numpy(dtype="float64"))]
    return pd.concat([raw_rows, twin], ignore_index=True)


def _need_ticker(ticker: str | None, layout: str) -> str:
    if not ticker:
        raise ValueError(
            f"{layout} files do not name their stock; pass ticker= (e.g. '002045.SZ') "
            "or keep the code in the file name"
        )
    return canonical_ticker(ticker)


def parse_samleon(raw: pd.DataFrame, ticker: str | None = None) -> pd.DataFrame:
    """SamLeon360/stock_data: date,volume,low,close,open,high; ``volume`` is CNY turnover.

    Unadjusted. With a ``code`` column (the cross-section) the ticker comes from it.
    """
    if "code" in raw.columns:
        tickers: pd.Series | str = raw["code"].astype(str).str.zfill(6).map(canonical_ticker)
        source = "samleon_cross"
    else:
        tickers = _need_ticker(ticker, "samleon")
        source = "samleon"
    out = _frame(
        raw,
        ticker=tickers,
        date=pd.to_datetime(raw["date"], format="ISO8601"),
        open_=_num(raw["open"]),
        high=_num(raw["high"]),
        low=_num(raw["low"]),
        close=_num(raw["close"]),
        volume=np.nan,
        amount=_num(raw["volume"]),
        adjusted="none",
        source=source,
    )
    return finish_prices(out)


def parse_akshare(
    raw: pd.DataFrame, ticker: str | None = None, *, adjusted: str | None = None
) -> pd.DataFrame:
    """akshare ``stock_zh_a_hist``: 日期,开盘,收盘,最高,最低,成交量(手),成交额(CNY),...

    The file does not say how it was adjusted: ``adjusted`` is required.
    """
    if adjusted not in ADJUSTMENTS:
        raise ValueError(
            "akshare files do not say how they were adjusted; pass adjusted= "
            f"one of {ADJUSTMENTS} (got {adjusted!r})"
        )
    if "股票代码" in raw.columns and not ticker:
        tickers: pd.Series | str = raw["股票代码"].astype(str).str.zfill(6).map(canonical_ticker)
    else:
        tickers = _need_ticker(ticker, "akshare")
    out = _frame(
        raw,
        ticker=tickers,
        date=pd.to_datetime(raw["日期"], format="ISO8601"),
        open_=_num(raw["开盘"]),
        high=_num(raw["最高"]),
        low=_num(raw["最低"]),
        close=_num(raw["收盘"]),
        volume=_num(raw["成交量"]) * SHARES_PER_LOT,
        amount=_num(raw["成交额"]),
        adjusted=adjusted,
        source="akshare",
    )
    return finish_prices(out)


def parse_baostock(raw: pd.DataFrame, ticker: str | None = None) -> pd.DataFrame:
    """baostock ``query_history_k_data_plus``: code ``sz.002045``, volume in shares,
    adjustflag 1/2/3 = hfq/qfq/none; rows with tradestatus 0 (suspended) are dropped."""
    issues: list[dict[str, Any]] = []
    tickers = (
        raw["code"].astype(str).map(canonical_ticker) if not ticker else canonical_ticker(ticker)
    )
    flags = raw["adjustflag"].astype(str).str.strip()
    unknown = sorted(set(flags) - set(BAOSTOCK_ADJUSTFLAG))
    if unknown:
        raise ValueError(f"baostock adjustflag {unknown} not understood (expected 1, 2 or 3)")
    out = _frame(
        raw,
        ticker=tickers,
        date=pd.to_datetime(raw["date"], format="ISO8601"),
        open_=_num(raw["open"]),
        high=_num(raw["high"]),
        low=_num(raw["low"]),
        close=_num(raw["close"]),
        volume=_num(raw["volume"]),
        amount=_num(raw["amount"]),
        adjusted=flags.map(BAOSTOCK_ADJUSTFLAG),
        source="baostock",
    )
    if "tradestatus" in raw.columns:
        suspended = raw["tradestatus"].astype(str).str.strip() == "0"
        for _, row in out[suspended].iterrows():
            issues.append(
                _issue("suspended", row["ticker"], row["date"], "tradestatus 0: not traded")
            )
        out = out[~suspended]
    return finish_prices(out, issues)


def parse_tushare(raw: pd.DataFrame, ticker: str | None = None) -> pd.DataFrame:
    """tushare ``daily`` / ``index_daily``: trade_date YYYYMMDD, newest first; ``open``,
    ``vol`` (lots) and ``amount`` (thousand CNY) are used when present. Unadjusted; an
    ``adj_factor`` column (``daily`` merged with ``adj_factor``, or ``pro_bar(...,
    factors=["adj_factor"])``) is kept as the rows' ``adj_factor``."""
    if "ts_code" in raw.columns and not ticker:
        tickers: pd.Series | str = raw["ts_code"].astype(str).map(canonical_ticker)
    else:
        tickers = _need_ticker(ticker, "tushare")
    out = _frame(
        raw,
        ticker=tickers,
        date=pd.to_datetime(raw["trade_date"].astype(str).str.strip(), format="%Y%m%d"),
        open_=_num(raw["open"]) if "open" in raw.columns else np.nan,
        high=_num(raw["high"]),
        low=_num(raw["low"]),
        close=_num(raw["close"]),
        volume=_num(raw["vol"]) * SHARES_PER_LOT if "vol" in raw.columns else np.nan,
        amount=(_num(raw["amount"]) * TUSHARE_AMOUNT_UNIT).round(2)
        if "amount" in raw.columns
        else np.nan,
        adjusted="none",
        source="tushare",
        adj_factor=_num(raw["adj_factor"]) if "adj_factor" in raw.columns else np.nan,
    )
    return finish_prices(out)


def parse_choice(raw: pd.DataFrame, ticker: str | None = None) -> pd.DataFrame:
    """Eastmoney Choice export: 交易日期,开盘价,最高价,最低价,收盘价,...,成交量(万股),成交额(万元)."""
    volume_col = next((c for c in raw.columns if str(c).startswith("成交量")), None)
    amount_col = next((c for c in raw.columns if str(c).startswith("成交额")), None)
    out = _frame(
        raw,
        ticker=_need_ticker(ticker, "choice"),
        date=pd.to_datetime(raw["交易日期"].astype(str).str.strip(), format="ISO8601"),
        open_=_num(raw["开盘价"]),
        high=_num(raw["最高价"]),
        low=_num(raw["最低价"]),
        close=_num(raw["收盘价"]),
        volume=(_num(raw[volume_col]) * CHOICE_UNIT).round(2) if volume_col else np.nan,
        amount=(_num(raw[amount_col]) * CHOICE_UNIT).round(2) if amount_col else np.nan,
        adjusted="none",
        source="choice",
    )
    return finish_prices(out)


def parse_yahoo(raw: pd.DataFrame, ticker: str | None = None) -> pd.DataFrame:
    """Yahoo CSV: Date,Open,High,Low,Close,Adj Close,Volume. ``Close`` gives the raw rows
    (``adjusted="none"``); a stock's ``Adj Close`` gives ``yahoo_adj`` rows as well (an
    index has nothing to adjust). An index's Volume is not a share count and is dropped."""
    symbol = _need_ticker(ticker, "yahoo")
    issues: list[dict[str, Any]] = []
    volume: pd.Series | float = _num(raw["Volume"])
    if is_index(symbol):
        volume = np.nan
        issues.append(_issue("index_volume", symbol, None, "Yahoo's index Volume is not shares"))
    out = _frame(
        raw,
        ticker=symbol,
        date=pd.to_datetime(raw["Date"].astype(str).str.slice(0, 10), format="ISO8601"),
        open_=_num(raw["Open"]),
        high=_num(raw["High"]),
        low=_num(raw["Low"]),
        close=_num(raw["Close"]),
        volume=volume,
        amount=np.nan,
        adjusted="none",
        source="yahoo",
    )
    if "Adj Close" in raw.columns and not is_index(symbol):
        out = _with_adjusted_close(
            out.reset_index(drop=True), _num(raw["Adj Close"]).reset_index(drop=True)
        )
    return finish_prices(out, issues)


def parse_yummyhe(raw: pd.DataFrame, ticker: str | None = None) -> pd.DataFrame:
    """date,open,high,low,close,volume (volume in shares); unadjusted."""
    out = _frame(
        raw,
        ticker=_need_ticker(ticker, "yummyhe"),
        date=pd.to_datetime(raw["date"], format="ISO8601"),
        open_=_num(raw["open"]),
        high=_num(raw["high"]),
        low=_num(raw["low"]),
        close=_num(raw["close"]),
        volume=_num(raw["volume"]),
        amount=np.nan,
        adjusted="none",
        source="yummyhe",
    )
    return finish_prices(out)


def parse_yfinance(frame: pd.DataFrame, *, adjusted: str = "none") -> pd.DataFrame:
    """``yfinance.download(..., interval="1d")`` output: columns (Price, Ticker), index Date.

    ``Close`` gives rows of kind ``adjusted`` (``auto_adjust=False``: ``"none"``, the
    traded close; frames downloaded with ``auto_adjust=True`` have no Adj Close and are
    ``"yahoo_adj"``). A stock's ``Adj Close``, where the frame has one, gives
    ``yahoo_adj`` rows as well. A ticker's all-empty rows (yfinance pads every ticker to
    the union of dates) are dropped. An index's Volume is dropped.
    """
    issues: list[dict[str, Any]] = []
    parts = []
    for symbol, sub in _yfinance_by_ticker(frame):
        ticker = canonical_ticker(symbol)
        sub = sub.dropna(
            how="all", subset=[c for c in ("Open", "High", "Low", "Close") if c in sub]
        )
        volume: pd.Series | float = (
            _num(sub["Volume"]) if "Volume" in sub.columns else pd.Series(np.nan, index=sub.index)
        )
        if is_index(ticker):
            volume = np.nan
            issues.append(
                _issue("index_volume", ticker, None, "Yahoo's index Volume is not shares")
            )
        dates = pd.DatetimeIndex(sub.index)
        if dates.tz is not None:
            dates = dates.tz_localize(None)
        part = _frame(
            sub,
            ticker=ticker,
            date=pd.Series(dates.normalize(), index=sub.index),
            open_=_num(sub["Open"]) if "Open" in sub.columns else np.nan,
            high=_num(sub["High"]),
            low=_num(sub["Low"]),
            close=_num(sub["Close"]),
            volume=volume,
            amount=np.nan,
            adjusted=adjusted,
            source="yfinance",
        ).reset_index(drop=True)
        if "Adj Close" in sub.columns and adjusted == "none" and not is_index(ticker):
            part = _with_adjusted_close(part, _num(sub["Adj Close"]).reset_index(drop=True))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else empty_prices()
    return finish_prices(out, issues)


def _yfinance_by_ticker(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    if not isinstance(frame.columns, pd.MultiIndex):
        raise ValueError(
            "yfinance frame without a (Price, Ticker) column MultiIndex; "
            "download with multi_level_index=True"
        )
    names = list(frame.columns.names)
    level = names.index("Ticker") if "Ticker" in names else 1
    out = []
    for symbol in frame.columns.get_level_values(level).unique():
        sub = frame.xs(symbol, axis=1, level=level)
        out.append((str(symbol), sub))
    return out


# ---------------------------------------------------------------- shared clean-up


def empty_prices() -> pd.DataFrame:
    """A canonical frame with no rows."""
    return finish_prices(
        pd.DataFrame(
            {
                "ticker": pd.Series([], dtype="str"),
                "date": pd.Series([], dtype="datetime64[ns]"),
                **{c: pd.Series([], dtype="float64") for c in PRICE_COLUMNS[2:8]},
                "adjusted": pd.Series([], dtype="str"),
                "source": pd.Series([], dtype="str"),
                "adj_factor": pd.Series([], dtype="float64"),
            }
        )
    )


def _issue(kind: str, ticker: Any, date: Any, detail: str) -> dict[str, Any]:
    day = None if date is None or pd.isna(date) else pd.Timestamp(date).strftime("%Y-%m-%d")
    return {
        "kind": kind,
        "ticker": None if ticker is None else str(ticker),
        "date": day,
        "detail": detail,
    }


def finish_prices(frame: pd.DataFrame, issues: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """Canonical columns and dtypes; exact duplicates dropped; one row per ticker, date and
    adjustment (the first in input order kept, the conflict reported); rows without a
    close dropped; sorted by ticker, date. Issues go to ``attrs["issues"]``."""
    issues = list(issues or [])
    out = frame.reindex(columns=PRICE_COLUMNS).copy()
    out.attrs = {}
    out["ticker"] = out["ticker"].astype("str")
    out["adjusted"] = out["adjusted"].astype("str")
    out["source"] = out["source"].astype("str")
    for col in [*PRICE_COLUMNS[2:8], "adj_factor"]:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    if not pd.api.types.is_datetime64_dtype(out["date"]):
        out["date"] = pd.to_datetime(out["date"])
    bad_adjusted = sorted(set(out["adjusted"]) - set(ADJUSTMENTS))
    if bad_adjusted:
        raise ValueError(f"adjusted must be one of {ADJUSTMENTS}, got {bad_adjusted}")
    no_price = out["close"].isna() | out["date"].isna()
    for _, row in out[no_price].iterrows():
        issues.append(_issue("no_price", row["ticker"], row["date"], "row without a close dropped"))
    out = out[~no_price]
    exact = out.duplicated(keep="first")
    for _, row in out[exact].iterrows():
        issues.append(_issue("duplicate_row", row["ticker"], row["date"], "exact copy dropped"))
    out = out[~exact]
    key = ["ticker", "date", "adjusted"]
    conflict = out.duplicated(subset=key, keep=False)
    if conflict.any():
        for (ticker, date, _adj), group in out[conflict].groupby(key, sort=True):
            closes = ", ".join(f"{c:g}" for c in group["close"])
            issues.append(
                _issue(
                    "conflicting_duplicate",
                    ticker,
                    date,
                    f"{len(group)} different rows (closes {closes}); the first kept",
                )
            )
        out = out[~out.duplicated(subset=key, keep="first")]
    out = out.sort_values(["ticker", "date", "adjusted"], kind="stable").reset_index(drop=True)
    out.attrs[ISSUES_ATTR] = issues
    return out


# ---------------------------------------------------------------- sniffing and loading


def _columns_of(header: str) -> list[str]:
    return [c.strip().strip('"').strip() for c in header.lstrip("\ufeff").rstrip("\r\n").split(",")]


def sniff_layout(columns: list[str]) -> str | None:
    """The layout (a key of ``LAYOUTS``) a header's columns belong to, or None."""
    cols = [c.strip() for c in columns]
    have = set(cols)
    if cols[:2] == ["Price", "Close"] or (cols and cols[0] == "Price"):
        return "yfinance"
    if cols == ["code", "date", "volume", "low", "close", "open", "high"]:
        return "samleon_cross"
    if cols == ["date", "volume", "low", "close", "open", "high"]:
        return "samleon"
    if {"日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额"} <= have:
        return "akshare"
    if {"date", "code", "open", "high", "low", "close", "volume", "amount", "adjustflag"} <= have:
        return "baostock"
    if {"trade_date", "high", "low", "close"} <= have:
        return "tushare"
    if {"交易日期", "开盘价", "最高价", "最低价", "收盘价"} <= have:
        return "choice"
    if {"Date", "Open", "High", "Low", "Close", "Volume"} <= have:
        return "yahoo"
    if cols == ["date", "open", "high", "low", "close", "volume"]:
        return "yummyhe"
    return None


LAYOUTS: dict[str, Callable[..., pd.DataFrame]] = {
    "samleon": parse_samleon,
    "samleon_cross": parse_samleon,
    "akshare": parse_akshare,
    "baostock": parse_baostock,
    "tushare": parse_tushare,
    "choice": parse_choice,
    "yahoo": parse_yahoo,
    "yfinance": parse_yfinance,
    "yummyhe": parse_yummyhe,
}


def decode_price_text(data: str | bytes, name: str = "<text>") -> str:
    """The text of a price file from its bytes: UTF-8 (with or without BOM), else GB18030.

    ``data``: the file's contents (already decoded text is returned without its BOM);
    ``name``: the file's name, for the error message. Neither encoding: ValueError.
    """
    if isinstance(data, bytes):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise ValueError(f"{name}: neither UTF-8 nor GB18030 text")
    return data.lstrip("\ufeff")


def parse_price_table(
    data: str | bytes,
    name: str = "<text>",
    ticker: str | None = None,
    *,
    adjusted: str | None = None,
) -> pd.DataFrame:
    """One recorded price file's contents, in any of ``LAYOUTS``, as the canonical frame.

    ``data``: the file's text or bytes (UTF-8 or GB18030); ``name``: its file name,
    which may carry the stock (``samleon_daily_002045_...csv``,
    ``choice_csi300_000300SH_...csv``) and the adjustment (``qfq``/``hfq``), and
    which error messages name. ``ticker`` names the stock of single-stock layouts
    (default: the code in ``name``). ``adjusted`` is needed only where neither the
    layout nor the name says (akshare). Returns ``PRICE_COLUMNS`` rows with
    ``attrs["issues"]``; an unknown header is a ValueError naming the file and the
    columns seen.

    >>> text = "date,open,high,low,close,volume\n2022-07-08,10,11,9.5,10.5,1000\n"
    >>> parse_price_table(text, "yummyhe_002045.csv")[["ticker", "close"]].values.tolist()
    [['002045.SZ', 10.5]]
    """
    text = decode_price_text(data, name)
    first = text.split("\n", 1)[0]
    columns = _columns_of(first)
    layout = sniff_layout(columns)
    if layout is None:
        raise ValueError(
            f"{name}: unknown price file layout; columns seen: {columns}. "
            f"Known layouts: {', '.join(LAYOUTS)}"
        )
    if layout == "yfinance":
        frame = pd.read_csv(io.StringIO(text), header=[0, 1], index_col=0)
        frame.index = pd.to_datetime(frame.index, format="ISO8601")
        return parse_yfinance(frame, adjusted=adjusted or "none")
    code_cols = {"code": str, "股票代码": str, "ts_code": str, "trade_date": str, "adjustflag": str}
    raw = pd.read_csv(io.StringIO(text), dtype={c: t for c, t in code_cols.items() if c in columns})
    raw.columns = [str(c).strip() for c in raw.columns]
    symbol = ticker or (None if "code" in columns else _ticker_from_name(name))
    if layout == "akshare":
        return parse_akshare(raw, symbol, adjusted=adjusted or _adjustment_from_name(name))
    out = LAYOUTS[layout](raw, symbol)
    if adjusted is not None and layout != "baostock":
        out = finish_prices(out.assign(adjusted=adjusted), out.attrs.get(ISSUES_ATTR))
    return out


# ---------------------------------------------------------------- stored rows


def price_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A canonical frame as rows to store: ``date`` as ``YYYY-MM-DD``, NaN as None,
    every other column as it is."""
    rows = []
    for rec in frame.to_dict(orient="records"):
        row = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
        row["date"] = rec["date"].strftime("%Y-%m-%d")
        rows.append(row)
    return rows


def prices_from_rows(
    rows: Sequence[Mapping[str, Any]], adjusted: str | None = "none"
) -> pd.DataFrame:
    """Stored price rows (``PRICE_COLUMNS``, ``date`` as text) of one ``adjusted`` kind (None:
    every kind) as the canonical frame, sorted by ticker, date and kind; no rows of that
    kind: ``empty_prices()``. A row without ``adj_factor`` has NaN there."""
    kept = [r for r in rows if adjusted is None or r["adjusted"] == adjusted]
    if not kept:
        return empty_prices()
    frame = pd.DataFrame(kept).reindex(columns=PRICE_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["adj_factor"] = pd.to_numeric(frame["adj_factor"], errors="coerce").astype("float64")
    return frame.sort_values(["ticker", "date", "adjusted"]).reset_index(drop=True)


# ---------------------------------------------------------------- returns


def close_panel(prices: pd.DataFrame) -> pd.DataFrame:
    """Closes as a wide frame: index ``date`` (sorted), one column per ticker.

    Requires the canonical columns ``ticker``, ``date``, ``close``, ``adjusted``; a ticker
    with more than one kind of adjustment, or two rows for one day, is a ValueError.
    """
    _check_one_adjustment(prices)
    dup = prices.duplicated(subset=["ticker", "date"], keep=False)
    if dup.any():
        first = prices[dup].iloc[0]
        raise ValueError(
            f"{int(dup.sum())} rows share a ticker and date (e.g. {first['ticker']} "
            f"{pd.Timestamp(first['date']).date()}); deduplicate first"
        )
    panel = prices.pivot(index="date", columns="ticker", values="close").sort_index()
    panel.columns.name = "ticker"
    panel.index.name = "date"
    return panel.astype("float64")


def _check_one_adjustment(prices: pd.DataFrame) -> None:
    counts = prices.groupby("ticker")["adjusted"].nunique()
    if not (counts > 1).any():
        return
    kinds = prices[prices["ticker"].isin(counts.index[counts > 1])].groupby("ticker")["adjusted"]
    mixed = {t: sorted(map(str, k)) for t, k in kinds.unique().items()}
    if mixed:
        detail = "; ".join(f"{t}: {', '.join(k)}" for t, k in sorted(mixed.items()))
        raise ValueError(
            f"prices mix adjustments within a ticker ({detail}); returns across them "
            "are wrong on every ex-dividend day. Keep one kind per ticker."
        )


def daily_returns(prices: pd.DataFrame, sessions: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Close-to-close simple returns: index ``date``, one column per ticker (``ticker x date``).

    ``prices``: the canonical columns ``ticker``, ``date``, ``close``, ``adjusted``.
    ``sessions``: the trading days to use (default: every date any ticker has). A return is
    ``close_t / close_{t-1} - 1`` over consecutive sessions only: a session a ticker has
    no close for (suspended, missing from the file) is NaN and so is the next session's
    return (it would span two sessions); nothing is filled. Those sessions, between each
    ticker's first and last close, are listed in ``attrs["missing_days"]`` as dicts
    ``ticker``, ``date``. The first session of each ticker is NaN (no previous close).
    """
    panel = close_panel(prices)
    if sessions is not None:
        grid = pd.DatetimeIndex(sessions).union(panel.index).sort_values()
        panel = panel.reindex(grid)
    panel.index.name = "date"
    returns = panel / panel.shift(1) - 1.0
    values = panel.to_numpy(dtype="float64")
    valid = ~np.isnan(values)
    seen_before = np.maximum.accumulate(valid, axis=0)
    seen_after = np.maximum.accumulate(valid[::-1], axis=0)[::-1]
    rows, cols = np.nonzero(~valid & seen_before & seen_after)
    order = np.lexsort((rows, cols))
    days = panel.index.strftime("%Y-%m-%d")
    missing = [
        {"ticker": str(panel.columns[c]), "date": days[r]}
        for r, c in zip(rows[order], cols[order], strict=True)
    ]
    returns.attrs = {MISSING_ATTR: missing}
    return returns


# ---------------------------------------------------------------- the exchange's daily limits

#: ChiNext's limit went from 10% to 20% on this day (the registration reform)
CHINEXT_20PCT_FROM = pd.Timestamp("2020-08-24")
#: sessions after a listing without the usual daily limit (ChiNext and STAR since their
#: reforms, the main board since 2023; before that its first day was capped at +44%)
LISTING_EXEMPT_SESSIONS = 5


def board(ticker: str) -> str:
    """The board of an A-share: ``"bse"`` (Beijing), ``"star"`` (688/689), ``"chinext"``
    (300/301) or ``"main"`` (the rest); ``"index"`` for an index."""
    digits, _, exchange = ticker.partition(".")
    if is_index(ticker):
        return "index"
    if exchange == "BJ":
        return "bse"
    if digits.startswith(("688", "689")):
        return "star"
    if digits.startswith(("300", "301")):
        return "chinext"
    return "main"


def price_limit(ticker: str, session: Any, *, st: bool = False) -> float | None:
    """The daily price limit (a fraction) of an A-share on a session; None for an index.

    Main board +-10% (an ST stock +-5%), ChiNext +-20% from 2020-08-24 (+-10% and ST +-5%
    before), STAR +-20%, Beijing +-30%. The first days after a listing have no limit
    (``LISTING_EXEMPT_SESSIONS``; the caller knows the listing date, this does not).
    """
    kind = board(ticker)
    if kind == "index":
        return None
    if kind == "bse":
        return 0.30
    if kind == "star":
        return 0.20
    if kind == "chinext" and pd.Timestamp(session) >= CHINEXT_20PCT_FROM:
        return 0.20
    return 0.05 if st else 0.10


def limit_fen(prev_close: Any, limit: Any) -> tuple[np.ndarray, np.ndarray]:
    """Limit-up and limit-down prices in fen (integers as floats; NaN where unknown):
    the previous close times (1 +- limit), rounded half-up to the fen, the exchange's
    rule. Exact: computed on whole fen and basis points."""
    prev = np.rint(np.asarray(prev_close, dtype="float64") * 100)
    bp = np.rint(np.asarray(limit, dtype="float64") * 10_000)
    with np.errstate(invalid="ignore"):
        up = np.floor((prev * (10_000 + bp) + 5_000) / 10_000)
        down = np.floor((prev * (10_000 - bp) + 5_000) / 10_000)
    return up, down


def limit_prices(prev_close: Any, limit: Any) -> tuple[np.ndarray, np.ndarray]:
    """``limit_fen`` in yuan: (limit-up, limit-down) prices.

    >>> [float(p) for p in limit_prices(8.18, 0.10)]
    [9.0, 7.36]
    """
    up, down = limit_fen(prev_close, limit)
    return up / 100, down / 100


def limit_matrix(
    tickers: Sequence[str], sessions: pd.DatetimeIndex, st_tickers: Sequence[str] = ()
) -> np.ndarray:
    """sessions x tickers daily limits (NaN for an index)."""
    st = set(st_tickers)
    late = np.array(
        [
            np.nan if (x := price_limit(t, CHINEXT_20PCT_FROM, st=t in st)) is None else x
            for t in tickers
        ]
    )
    early = np.array(
        [
            np.nan
            if (x := price_limit(t, CHINEXT_20PCT_FROM - pd.Timedelta(days=1), st=t in st)) is None
            else x
            for t in tickers
        ]
    )
    after = np.asarray(pd.DatetimeIndex(sessions) >= CHINEXT_20PCT_FROM)[:, None]
    return np.where(after, late[None, :], early[None, :]).astype("float64")


# ---------------------------------------------------------------- adjusted returns


def _session_grid(prices: pd.DataFrame, sessions: pd.DatetimeIndex | None) -> pd.DatetimeIndex:
    if sessions is not None:
        return pd.DatetimeIndex(sessions).normalize().unique().sort_values()
    return pd.DatetimeIndex(prices["date"].unique()).sort_values()


def _kind_panel(prices: pd.DataFrame, kind: str, grid: pd.DatetimeIndex) -> pd.DataFrame:
    """The closes of one kind of rows on the session grid (no such rows: no columns)."""
    rows = prices[prices["adjusted"] == kind]
    if rows.empty:
        return pd.DataFrame(index=grid, dtype="float64")
    return close_panel(rows).reindex(grid).astype("float64")


def raw_closes(prices: pd.DataFrame, sessions: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """The traded (``adjusted == "none"``) closes: index ``date`` (the sessions, default every
    date of ``prices``), one column per ticker with raw rows; NaN where a ticker has none.

    These are what the exchange's limit rule and minute bars read; returns come from
    ``adjusted_returns``.
    """
    grid = _session_grid(prices, sessions)
    frame = prices.copy(deep=False)
    frame.attrs = {}
    panel = _kind_panel(frame, "none", grid)
    panel.index.name = "date"
    panel.columns.name = "ticker"
    return panel


def adjusted_returns(
    prices: pd.DataFrame,
    sessions: pd.DatetimeIndex | None = None,
    *,
    listing_dates: Mapping[str, Any] | None = None,
    st_tickers: Sequence[str] = (),
) -> pd.DataFrame:
    """Close-to-close returns from adjusted prices wherever a ticker has them.

    ``prices``: the canonical frame with any mix of kinds per ticker (``adjusted``, and
    ``adj_factor`` on raw rows). ``sessions``: the exchange's sessions (default: every
    date of ``prices``); a row on a day that is not a session is dropped and listed in
    ``attrs["off_session"]``. Returns index ``date`` (the sessions) x one column per
    ticker.

    A day's return is the first of, in ``ADJUSTED_PREFERENCE`` order: the raw close times
    ``adj_factor`` ("factor"), hfq, qfq, Yahoo's adjusted close, each over two consecutive
    sessions of one series; else the raw return. A raw return whose close lies outside the
    limit prices of the previous close (``price_limit``, ``limit_fen``; ST limits for
    ``st_tickers``) is a probable corporate action (an ex-rights or ex-dividend day read as
    a move): NaN, listed in ``attrs["corporate_actions"]`` (``ticker``, ``date``,
    ``raw_return``, ``limit``, ``prev_close``, ``close``), never a limit-down. The first
    ``LISTING_EXEMPT_SESSIONS`` sessions from a ticker's date in ``listing_dates`` have no
    limit and are not checked. Like ``daily_returns``, nothing is filled: a session
    without a close makes it and the next session NaN (``attrs["missing_days"]``).
    ``attrs["basis"]``: ticker -> the series its returns came from (e.g. ``["qfq"]``,
    ``["none"]``).
    """
    grid = _session_grid(prices, sessions)
    frame = prices.copy(deep=False)
    frame.attrs = {}  # pandas would deep-copy the loaders' issues on every step
    off: list[dict[str, Any]] = []
    if sessions is not None and len(prices):
        outside = ~pd.DatetimeIndex(prices["date"]).isin(grid)
        for rec in (
            prices.loc[outside, ["ticker", "date", "adjusted"]].drop_duplicates().itertuples()
        ):
            off.append(
                {
                    "ticker": rec.ticker,
                    "date": rec.date.strftime("%Y-%m-%d"),
                    "adjusted": rec.adjusted,
                }
            )
        frame = prices[~outside]
    raw = _kind_panel(frame, "none", grid)
    series: dict[str, pd.DataFrame] = {}
    raw_rows = frame[frame["adjusted"] == "none"]
    if raw_rows["adj_factor"].notna().any():
        factor = raw_rows.pivot(index="date", columns="ticker", values="adj_factor").reindex(grid)
        series["factor"] = (raw * factor.reindex(columns=raw.columns)).astype("float64")
    for kind in ADJUSTED_PREFERENCE[1:]:
        series[kind] = _kind_panel(frame, kind, grid)
    tickers = sorted(set(raw.columns).union(*(set(p.columns) for p in series.values())))
    out = np.full((len(grid), len(tickers)), np.nan)
    has_any = np.zeros_like(out, dtype=bool)
    source = np.full(out.shape, "", dtype=object)
    for kind in ADJUSTED_PREFERENCE:
        panel = series.get(kind)
        if panel is None or panel.empty:
            continue
        values = panel.reindex(columns=tickers).to_numpy(dtype="float64")
        has_any |= ~np.isnan(values)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = values[1:] / values[:-1] - 1.0
        take = np.isnan(out[1:]) & ~np.isnan(r)
        out[1:][take] = r[take]
        source[1:][take] = kind
    closes = raw.reindex(columns=tickers).to_numpy(dtype="float64")
    has_any |= ~np.isnan(closes)
    with np.errstate(invalid="ignore", divide="ignore"):
        r0 = np.full_like(out, np.nan)
        r0[1:] = closes[1:] / closes[:-1] - 1.0
    candidate = np.isnan(out) & ~np.isnan(r0)
    limits = limit_matrix(tickers, grid, st_tickers)
    prev = np.full_like(closes, np.nan)
    prev[1:] = closes[:-1]
    up, down = limit_fen(prev, limits)
    fen = np.rint(closes * 100)
    with np.errstate(invalid="ignore"):
        beyond = candidate & ~np.isnan(limits) & ((fen > up) | (fen < down))
    beyond &= ~_listing_exempt(tickers, grid, listing_dates or {})
    ok = candidate & ~beyond
    out[ok] = r0[ok]
    source[ok] = "none"
    actions = []
    rows, cols = np.nonzero(beyond)
    for r, c in sorted(
        zip(rows.tolist(), cols.tolist(), strict=True), key=lambda rc: (rc[1], rc[0])
    ):
        actions.append(
            {
                "ticker": tickers[c],
                "date": grid[r].strftime("%Y-%m-%d"),
                "raw_return": float(r0[r, c]),
                "limit": float(limits[r, c]),
                "prev_close": float(prev[r, c]),
                "close": float(closes[r, c]),
            }
        )
    result = pd.DataFrame(
        out, index=pd.DatetimeIndex(grid, name="date"), columns=pd.Index(tickers, name="ticker")
    )
    basis = {t: sorted({str(k) for k in source[:, j] if k}) for j, t in enumerate(tickers)}
    result.attrs = {
        MISSING_ATTR: _missing_days(has_any, grid, tickers),
        CORPORATE_ACTIONS_ATTR: actions,
        BASIS_ATTR: basis,
        "off_session": off,
    }
    return result


def _listing_exempt(
    tickers: Sequence[str], grid: pd.DatetimeIndex, listing_dates: Mapping[str, Any]
) -> np.ndarray:
    exempt = np.zeros((len(grid), len(tickers)), dtype=bool)
    for j, t in enumerate(tickers):
        if t in listing_dates and listing_dates[t] is not None:
            first = int(grid.searchsorted(pd.Timestamp(listing_dates[t]).normalize()))
            exempt[first : first + LISTING_EXEMPT_SESSIONS, j] = True
    return exempt


def _missing_days(
    valid: np.ndarray, grid: pd.DatetimeIndex, tickers: Sequence[str]
) -> list[dict[str, str]]:
    """Sessions without a close between a ticker's first and last close."""
    if valid.size == 0:
        return []
    seen_before = np.maximum.accumulate(valid, axis=0)
    seen_after = np.maximum.accumulate(valid[::-1], axis=0)[::-1]
    rows, cols = np.nonzero(~valid & seen_before & seen_after)
    order = np.lexsort((rows, cols))
    days = grid.strftime("%Y-%m-%d")
    return [
        {"ticker": str(tickers[c]), "date": days[r]}
        for r, c in zip(rows[order], cols[order], strict=True)
    ]


# ---------------------------------------------------------------- minute bars

BAR_COLUMNS = ["ticker", "ts", "interval", "open", "high", "low", "close", "volume", "source"]
#: minutes in each intraday interval
INTERVAL_MINUTES = {"1m": 1, "2m": 2, "5m": 5, "15m": 15, "30m": 30, "60m": 60, "90m": 90, "1h": 60}
#: zone of a naive intraday time
EXCHANGE_TZ = "Asia/Shanghai"


def empty_bars() -> pd.DataFrame:
    """A minute-bar frame with no rows."""
    return pd.DataFrame(
        {
            "ticker": pd.Series([], dtype="str"),
            "ts": pd.Series([], dtype="datetime64[ns, UTC]"),
            "interval": pd.Series([], dtype="str"),
            **{
                c: pd.Series([], dtype="float64")
                for c in ("open", "high", "low", "close", "volume")
            },
            "source": pd.Series([], dtype="str"),
        }
    )


def _interval_of(moments: pd.Series, given: str | None, name: str) -> str:
    if given is not None:
        if given not in INTERVAL_MINUTES:
            raise ValueError(
                f"{name}: interval {given!r} not understood ({', '.join(INTERVAL_MINUTES)})"
            )
        return given
    gaps = pd.Series(pd.DatetimeIndex(moments.sort_values().unique())).diff().dropna()
    gaps = gaps[(gaps > pd.Timedelta(0)) & (gaps <= pd.Timedelta(hours=1))]
    if gaps.empty:
        raise ValueError(f"{name}: cannot tell the bars' interval from one bar; pass interval=")
    minutes = int(gaps.mode().iloc[0] / pd.Timedelta(minutes=1))
    found = next((k for k, v in INTERVAL_MINUTES.items() if v == minutes), None)
    if found is None:
        raise ValueError(f"{name}: bars {minutes} minutes apart are not an interval newsmon knows")
    return found


def finish_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """``BAR_COLUMNS`` with their dtypes; rows without a close dropped; one row per ticker,
    interval and start (the first kept); sorted by ticker, interval, ts."""
    out = frame.reindex(columns=BAR_COLUMNS).copy()
    out.attrs = {}
    out["ticker"] = out["ticker"].astype("str")
    out["interval"] = out["interval"].astype("str")
    out["source"] = out["source"].astype("str")
    out["ts"] = pd.to_datetime(out["ts"], utc=True).astype("datetime64[ns, UTC]")
    for col in ("open", "high", "low", "close", "volume"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    out = out[out["close"].notna() & out["ts"].notna()]
    out = out.drop_duplicates(subset=["ticker", "interval", "ts"], keep="first")
    return out.sort_values(["ticker", "interval", "ts"], kind="stable").reset_index(drop=True)


def parse_yfinance_intraday(frame: pd.DataFrame, interval: str) -> pd.DataFrame:
    """yfinance intraday output (columns (Price, Ticker), a tz-aware index of bar starts;
    a naive one is Asia/Shanghai) as ``BAR_COLUMNS``. A ticker's all-empty rows are
    dropped; an index's volume is NaN."""
    if frame.empty and not isinstance(frame.columns, pd.MultiIndex):
        return empty_bars()
    parts = []
    for symbol, sub in _yfinance_by_ticker(frame):
        sub = sub.dropna(how="all", subset=["Close"])
        ticker = canonical_ticker(symbol)
        ts = pd.DatetimeIndex(pd.to_datetime(sub.index, utc=False))
        ts = ts.tz_localize(EXCHANGE_TZ) if ts.tz is None else ts
        volume = (
            np.nan if is_index(ticker) or "Volume" not in sub else _num(sub["Volume"]).to_numpy()
        )
        parts.append(
            pd.DataFrame(
                {
                    "ticker": ticker,
                    "ts": ts.tz_convert("UTC"),
                    "interval": interval,
                    "open": _num(sub["Open"]).to_numpy(),
                    "high": _num(sub["High"]).to_numpy(),
                    "low": _num(sub["Low"]).to_numpy(),
                    "close": _num(sub["Close"]).to_numpy(),
                    "volume": volume,
                    "source": "yfinance",
                }
            )
        )
    if not parts:
        return empty_bars()
    return finish_bars(pd.concat(parts, ignore_index=True))


def parse_tushare_mins(
    raw: pd.DataFrame,
    ticker: str | None = None,
    *,
    interval: str | None = None,
    name: str = "<text>",
) -> pd.DataFrame:
    """tushare ``stk_mins`` / ``idx_mins``: ``trade_time`` is the bar's END in Asia/Shanghai
    (so the stored start is end - interval; a 09:30 row, the opening auction's print,
    starts 09:29 for 1m bars); ``vol`` in shares. The interval is read from the spacing
    of the times unless given."""
    if "ts_code" in raw.columns and not ticker:
        tickers: pd.Series | str = raw["ts_code"].astype(str).map(canonical_ticker)
    else:
        tickers = _need_ticker(ticker, "tushare_mins")
    end = pd.to_datetime(raw["trade_time"].astype(str).str.strip(), format="ISO8601")
    interval = _interval_of(end, interval, name)
    start = end - pd.Timedelta(minutes=INTERVAL_MINUTES[interval])
    start = pd.DatetimeIndex(start).tz_localize(EXCHANGE_TZ).tz_convert("UTC")
    out = pd.DataFrame(
        {
            "ticker": tickers,
            "ts": start,
            "interval": interval,
            "open": _num(raw["open"]).to_numpy(),
            "high": _num(raw["high"]).to_numpy(),
            "low": _num(raw["low"]).to_numpy(),
            "close": _num(raw["close"]).to_numpy(),
            "volume": _num(raw["vol"]).to_numpy() if "vol" in raw.columns else np.nan,
            "source": "tushare",
        },
        index=raw.index,
    )
    return finish_bars(out)


#: minute-bar layouts ``parse_bar_table`` knows
BAR_LAYOUTS = ("yfinance_intraday", "tushare_mins")


def sniff_bar_layout(text: str) -> str | None:
    """The minute-bar layout (a name of ``BAR_LAYOUTS``) of a file's text, or None."""
    lines = text.lstrip("\ufeff").split("\n", 3)
    columns = _columns_of(lines[0])
    if columns and columns[0] == "Price" and len(lines) > 2:
        third = _columns_of(lines[2])
        return "yfinance_intraday" if third and third[0] == "Datetime" else None
    if {"ts_code", "trade_time", "open", "high", "low", "close"} <= set(columns):
        return "tushare_mins"
    return None


def parse_bar_table(
    data: str | bytes,
    name: str = "<text>",
    ticker: str | None = None,
    *,
    interval: str | None = None,
) -> pd.DataFrame:
    """One minute-bar file's contents, in any of ``BAR_LAYOUTS``, as ``BAR_COLUMNS`` rows.

    ``interval`` ("1m", "5m", ...) is read from the bars' spacing unless given;
    ``ticker`` names the stock when the file does not. An unknown layout is a
    ValueError naming the file.
    """
    text = decode_price_text(data, name)
    layout = sniff_bar_layout(text)
    if layout is None:
        raise ValueError(f"{name}: not a minute-bar file (known layouts: {', '.join(BAR_LAYOUTS)})")
    if layout == "yfinance_intraday":
        frame = pd.read_csv(io.StringIO(text), header=[0, 1], index_col=0)
        moments = pd.Series(pd.to_datetime(frame.index, utc=True, format="ISO8601"))
        frame.index = pd.to_datetime(frame.index, format="ISO8601")
        return parse_yfinance_intraday(frame, _interval_of(moments, interval, name))
    raw = pd.read_csv(io.StringIO(text), dtype={"ts_code": str, "trade_time": str})
    raw.columns = [str(c).strip() for c in raw.columns]
    if "ts_code" not in raw.columns:
        ticker = ticker or _ticker_from_name(name)
    return parse_tushare_mins(raw, ticker, interval=interval, name=name)


def bar_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Bars as rows to store: ``ts`` as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), NaN as None."""
    rows = []
    for rec in frame[BAR_COLUMNS].to_dict(orient="records"):
        row = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
        row["ts"] = pd.Timestamp(rec["ts"]).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(row)
    return rows


def bars_from_rows(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Stored bar rows as ``BAR_COLUMNS`` (``ts`` tz-aware UTC); none: ``empty_bars()``."""
    if not rows:
        return empty_bars()
    return finish_bars(pd.DataFrame(list(rows)))
