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
yahoo                Date,Open,High,Low,Close,Adj Close,Volume (Close, not Adj Close)
yfinance             yfinance.download's frame as written by ``DataFrame.to_csv``: header
                     rows Price / Ticker / Date
yummyhe              date,open,high,low,close,volume (volume in shares)
===================  ===============================================================

``daily_returns`` turns a canonical frame into close-to-close simple returns.
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
]
ADJUSTMENTS = ("none", "qfq", "hfq", "yahoo_adj")
#: key of ``DataFrame.attrs`` holding what a loader decided (list of dicts)
ISSUES_ATTR = "issues"
#: key of ``DataFrame.attrs`` holding the missing days ``daily_returns`` found
MISSING_ATTR = "missing_days"
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
        },
        index=raw.index,
    )
    return out


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
    ``vol`` (lots) and ``amount`` (thousand CNY) are used when present. Unadjusted."""
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
    """Yahoo CSV: Date,Open,High,Low,Close,Adj Close,Volume. ``Close`` is used (Adj Close
    ignored); an index's Volume is not a share count and is dropped."""
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

    ``Close`` is used and ``Adj Close`` ignored (``auto_adjust=False``: ``adjusted="none"``;
    frames downloaded with ``auto_adjust=True`` have no Adj Close and are ``"yahoo_adj"``).
    A ticker's all-empty rows (yfinance pads every ticker to the union of dates) are dropped.
    An index's Volume is dropped.
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
        )
        parts.append(part.reset_index(drop=True))
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
    for col in PRICE_COLUMNS[2:8]:
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


def prices_from_rows(rows: Sequence[Mapping[str, Any]], adjusted: str = "none") -> pd.DataFrame:
    """Stored price rows (``PRICE_COLUMNS``, ``date`` as text) of one ``adjusted`` kind as
    the canonical frame, sorted by ticker and date; no rows of that kind: ``empty_prices()``."""
    kept = [r for r in rows if r["adjusted"] == adjusted]
    if not kept:
        return empty_prices()
    frame = pd.DataFrame(kept)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame[list(PRICE_COLUMNS)].sort_values(["ticker", "date"]).reset_index(drop=True)


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
    kinds = prices.groupby("ticker")["adjusted"].unique()
    mixed = {t: sorted(map(str, k)) for t, k in kinds.items() if len(k) > 1}
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
