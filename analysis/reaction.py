"""Event study: how a sector, and each company a story names, moved around its first publication.

Inputs (all pure pandas, never mutated):

- ``returns``: daily simple returns, index ``date`` (DatetimeIndex of session dates),
  one column per ticker, as ``analysis.prices.adjusted_returns`` makes them (from
  adjusted prices wherever they exist). NaN means no return that day (suspended, not
  listed, not in the data, or a probable corporate action left out): never read as 0.
  The member-days ``adjusted_returns`` left out (``attrs["corporate_actions"]``) are
  named in the notes of every row whose days they touch.
- a benchmark: a column of ``returns`` named by ticker (default ``"000300.SS"``, CSI 300)
  or a Series of returns indexed by date.
- members: a list of tickers, a mapping ticker -> weight, or a sector table from
  ``config/sectors.toml`` (``members`` as tickers or ``{ticker, weight}`` tables, optional
  ``weights`` and ``benchmark``).
- day 0: the event session (``analysis.calendar.align_event``); relative days count the
  exchange's sessions (``sessions``: pass the XSHG sessions of
  ``analysis.calendar.exchange_calendar``; by default every date of ``returns`` and the
  benchmark, which silently skips a session missing from every file). A session missing
  from a member's data is missing for that member: its return and the next session's
  are NaN, never one return over two sessions.
- ``closes``: optional traded (raw) closes in the layout of ``returns``
  (``analysis.prices.raw_closes``), for the exchange's limit rule and as the intraday
  reference before the first bar.

Figures per story x sector (``REACTION_COLUMNS``), built from each member's figures:

- sector return R_s(t): the weighted mean (equal weights unless given) of the returns of
  the members WITH a return on day t; ``n_members_with_data`` says how many on day 0.
- market-adjusted abnormal return AR_i(t) = R_i(t) - R_b(t). A window's CAR (``ar0``,
  ``car_0_1`` [0,+1], ``car_0_3`` [0,+3], ``car_m3_m1`` [-3,-1], ``DEFAULT_WINDOWS``) is
  the weighted mean of the member CARs over the members with a return on EVERY session
  of the window (``n_<window>`` of them): a member missing a session drops out of that
  window (and the note names it), it is never folded into a longer return. Without
  gaps this equals the sum of the daily sector ARs.
- significance of every window, across the members (``t_<window>``, the test's name in
  ``test_<window>``): the standardized cross-sectional test of Boehmer, Musumeci and
  Poulsen (1991) (``"BMP"``: each member's CAR divided by the standard deviation of its
  own AR over the estimation window times sqrt(L), then mean / (sd / sqrt(N))) when
  every member of the window has ``min_estimation_days`` estimation days; otherwise the
  plain cross-sectional t (``"cross-sectional t"``: mean CAR / (sd / sqrt(N))) on the
  same members as the CAR. Both need ``MIN_CROSS_SECTION`` members; the tests weigh
  members equally.
- market model, per member: alpha_i, beta_i by OLS of R_i on R_b over the estimation
  window (days ``estimation`` = [-120, -11]) on the days both have; members with fewer
  than ``min_estimation_days`` such days have none. ``mm_<window>``: the weighted mean
  CAR_mm over the members that have a model and the whole window (``mm_n_<window>``),
  ``mm_t_<window>`` its BMP statistic (each member's CAR_mm standardized by its OLS
  forecast-error standard deviation). ``est_members`` names the members with a model
  and ``est_days`` gives each member's estimation days; when some lack one, a note says
  which members the market model rests on.
- intraday (minute bars given: ``ticker``, ``ts`` bar start UTC, ``interval``, ``open``,
  ``close``): the market-adjusted return from the event minute to +5, +15, +30, +60
  trading minutes and to the close (``INTRADAY_WINDOWS``), the lunch break not counted
  (11:28 + 5 is 13:03); a time in the call auction (before 09:30) starts at 09:30, one in
  the lunch break at 13:00. The price at a moment is the close of the last bar ending at
  or before it that session (a tushare-style 09:30 auction bar gives the open at 09:30);
  before any bar, the open of a bar starting then, else the previous session's raw close.
- price limits, by the exchange's rule on raw closes: the limit price is the reference
  price times (1 +- limit) rounded half-up to the fen (``analysis.prices.limit_fen``),
  the reference the previous close (on an ex-day covered by adjusted prices, the raw
  close over one plus the adjusted return). A member closing there is in ``limit_up`` /
  ``limit_down``, with a note: a limit-up close understates demand (buyers queued at the
  limit could not trade). A day without a return (a corporate action left out) is never
  flagged.

Per named stock (``stock_reactions``, ``STOCK_REACTION_COLUMNS``): the same figures for
one ticker: day-0 return ``return0`` and ``ar0``, the windows with a time-series t on the
stock's own estimation days (``"time-series t"``), the market model, the limit flags and
prices, the intraday windows.

``notes`` (a list of strings) says everything that made a figure NaN or weaker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from newsmon.analysis.prices import (
    BASIS_ATTR,
    CORPORATE_ACTIONS_ATTR,
    limit_fen,
    limit_matrix,
    price_limit,
)
from newsmon.timefmt import utc_iso

__all__ = [
    "DEFAULT_BENCHMARK",
    "DEFAULT_ESTIMATION",
    "DEFAULT_WINDOWS",
    "INTRADAY_WINDOWS",
    "MIN_CROSS_SECTION",
    "MIN_ESTIMATION_DAYS",
    "PATH_DAYS",
    "REACTION_COLUMNS",
    "STOCK_REACTION_COLUMNS",
    "cumulative_abnormal_path",
    "has_price_data",
    "plain",
    "price_limit",
    "reaction_columns",
    "reaction_events",
    "reaction_record",
    "reaction_records",
    "sector_reaction",
    "sector_returns",
    "stock_events",
    "stock_reaction_columns",
    "stock_reactions",
    "stock_records",
    "story_reactions",
    "window_columns",
]

#: default benchmark: CSI 300 (Yahoo's ticker)
DEFAULT_BENCHMARK = "000300.SS"
#: estimation window, days relative to day 0 (inclusive)
DEFAULT_ESTIMATION = (-120, -11)
#: fewest estimation days with both returns for a member's market model and standardization
MIN_ESTIMATION_DAYS = 30
#: fewest members a cross-sectional test is computed on
MIN_CROSS_SECTION = 3
#: event windows, days relative to day 0 (inclusive): name -> (first, last)
DEFAULT_WINDOWS: dict[str, tuple[int, int]] = {
    "ar0": (0, 0),
    "car_0_1": (0, 1),
    "car_0_3": (0, 3),
    "car_m3_m1": (-3, -1),
}
#: intraday windows: name -> trading minutes after the event minute (None: to the close)
INTRADAY_WINDOWS: dict[str, int | None] = {
    "ar_5m": 5,
    "ar_15m": 15,
    "ar_30m": 30,
    "ar_60m": 60,
    "ar_close": None,
}
#: days of ``cumulative_abnormal_path``
PATH_DAYS = (-5, 5)
#: names of the tests
TEST_BMP = "BMP"
TEST_CROSS_SECTION = "cross-sectional t"
TEST_TIME_SERIES = "time-series t"
#: a raw day move this far from the adjusted one means the day is an ex-day
EX_DAY_TOLERANCE = 5e-4

#: the exchange's continuous trading, Asia/Shanghai minutes after midnight
_OPEN, _BREAK, _RESUME, _CLOSE = 9 * 60 + 30, 11 * 60 + 30, 13 * 60, 15 * 60
_SESSION_MINUTES = (_BREAK - _OPEN) + (_CLOSE - _RESUME)
_BAR_MINUTES = {"1m": 1, "2m": 2, "5m": 5, "15m": 15, "30m": 30, "60m": 60, "90m": 90, "1h": 60}
_EXCHANGE_TZ = "Asia/Shanghai"
_NS_PER_MIN = 60 * 10**9


# ---------------------------------------------------------------- members and sector returns


def _member_weights(
    members: Sequence[str] | Mapping[str, Any], weights: Mapping[str, float] | None = None
) -> dict[str, float]:
    """ticker -> weight from any of the accepted member forms."""
    out: dict[str, float] = {}
    if isinstance(members, Mapping) and "members" in members:
        spec = members
        out = _member_weights(spec["members"], spec.get("weights"))
    elif isinstance(members, Mapping):
        out = {str(t): float(w) for t, w in members.items()}
    else:
        for m in members:
            if isinstance(m, Mapping):
                out[str(m["ticker"])] = float(m.get("weight", 1.0))
            else:
                out[str(m)] = 1.0
    if weights:
        for t, w in weights.items():
            if t in out:
                out[t] = float(w)
    bad = {t: w for t, w in out.items() if not np.isfinite(w) or w < 0}
    if bad:
        raise ValueError(f"member weights must be finite and >= 0: {bad}")
    return out


def sector_returns(
    returns: pd.DataFrame,
    members: Sequence[str] | Mapping[str, Any],
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The sector's daily return: index ``returns.index``; columns ``sector_return``,
    ``n_members``, ``n_members_with_data``.

    ``returns``: index date, one column per ticker. The weighted mean covers the members
    with a return that day (weights renormalised); a day no member has is NaN.
    """
    w = _member_weights(members, weights)
    tickers = list(w)
    matrix = returns.reindex(columns=tickers).to_numpy(dtype="float64")
    value, n_with_data = _weighted_mean(matrix, np.array([w[t] for t in tickers]))
    return pd.DataFrame(
        {
            "sector_return": value,
            "n_members": len(tickers),
            "n_members_with_data": n_with_data.astype("int64"),
        },
        index=returns.index.copy(),
    )


def _weighted_mean(matrix: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means over the last axis' non-NaN cells, weights renormalised; NaN where there are
    none. Also the count of non-NaN cells."""
    has = ~np.isnan(matrix)
    weight = weight.astype("float64")
    if not len(weight):
        shape = matrix.shape[:-1]
        return np.full(shape, np.nan), np.zeros(shape, dtype="int64")
    wsum = has.astype("float64") @ weight
    num = np.where(has, matrix, 0.0) @ weight
    value = np.full(wsum.shape, np.nan)
    ok = wsum > 0
    value[ok] = num[ok] / wsum[ok]
    return value, has.sum(axis=-1)


def _cross_t(values: np.ndarray, min_n: int = MIN_CROSS_SECTION) -> tuple[np.ndarray, np.ndarray]:
    """mean / (sd / sqrt(N)) over the last axis' non-NaN cells (sd with N - 1), and N;
    NaN with fewer than ``min_n`` cells or no spread."""
    has = ~np.isnan(values)
    n = has.sum(axis=-1)
    filled = np.where(has, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=-1) / n
        dev = np.where(has, values - mean[..., None], 0.0)
        sd = np.sqrt((dev * dev).sum(axis=-1) / (n - 1))
        t = mean / (sd / np.sqrt(n))
    t[(n < min_n) | ~(sd > 0)] = np.nan
    return t, n


# ---------------------------------------------------------------- the panel of one sector


@dataclass
class _Panel:
    """One group of tickers on one session grid, as numpy arrays."""

    sessions: pd.DatetimeIndex
    tickers: list[str]
    weights: np.ndarray
    member: np.ndarray  # sessions x members returns
    closes: np.ndarray | None  # sessions x members raw closes
    bench: np.ndarray  # sessions, the benchmark's returns
    bench_closes: np.ndarray | None  # sessions, the benchmark's raw closes
    benchmark: str


def _session_grid(
    returns: pd.DataFrame, bench: pd.Series, sessions: pd.DatetimeIndex | None
) -> pd.DatetimeIndex:
    if sessions is not None:
        grid = pd.DatetimeIndex(sessions).normalize()
    else:
        grid = pd.DatetimeIndex(returns.index).union(pd.DatetimeIndex(bench.index))
    return grid.sort_values().unique()


def _benchmark_series(
    returns: pd.DataFrame, benchmark: str | pd.Series, spec: Any
) -> tuple[pd.Series, str]:
    if isinstance(benchmark, pd.Series):
        return benchmark.astype("float64"), str(benchmark.name or "benchmark")
    name = benchmark
    if isinstance(spec, Mapping) and spec.get("benchmark"):
        name = str(spec["benchmark"])
    if name not in returns.columns:
        raise ValueError(
            f"benchmark {name!r} has no returns (not a column of returns); "
            "load its prices or pass its return series"
        )
    return returns[name].astype("float64"), name


def _panel(
    returns: pd.DataFrame,
    spec: Any,
    benchmark: str | pd.Series,
    sessions: pd.DatetimeIndex | None,
    closes: pd.DataFrame | None,
) -> _Panel:
    w = _member_weights(spec)
    bench, bench_name = _benchmark_series(returns, benchmark, spec)
    grid = _session_grid(returns, bench, sessions)
    tickers = list(w)
    member = returns.reindex(index=grid, columns=tickers).to_numpy(dtype="float64")
    close_arr = bench_close = None
    if closes is not None:
        close_arr = closes.reindex(index=grid, columns=tickers).to_numpy(dtype="float64")
        if bench_name in closes.columns:
            bench_close = closes[bench_name].reindex(grid).to_numpy(dtype="float64")
    return _Panel(
        sessions=grid,
        tickers=tickers,
        weights=np.array([w[t] for t in tickers], dtype="float64"),
        member=member,
        closes=close_arr,
        bench=bench.reindex(grid).to_numpy(dtype="float64"),
        bench_closes=bench_close,
        benchmark=bench_name,
    )


def _bare(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without attrs (the caller's frame keeps its own)."""
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def _gather(values: np.ndarray, p0: np.ndarray, first: int, last: int) -> np.ndarray:
    """values (sessions, or sessions x members) at days first..last around each event:
    events x days (x members), NaN outside the grid or without a day 0."""
    offsets = np.arange(first, last + 1)
    idx = p0[:, None] + offsets[None, :]
    inside = (idx >= 0) & (idx < len(values)) & (p0[:, None] >= 0)
    out = np.full(idx.shape + values.shape[1:], np.nan)
    out[inside] = values[idx[inside]]
    return out


# ---------------------------------------------------------------- per-member figures


@dataclass
class _Estimates:
    """Each member's estimation-window figures, events x members."""

    n: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    mm_sd: np.ndarray  # residual sd, n - 2 degrees of freedom
    ma_sd: np.ndarray  # sd of R_i - R_b, n - 1 degrees of freedom
    bench_mean: np.ndarray
    sxx: np.ndarray
    ok: np.ndarray  # enough days for a model


def _prefix(values: np.ndarray) -> np.ndarray:
    out = np.zeros((values.shape[0] + 1, *values.shape[1:]))
    np.cumsum(values, axis=0, out=out[1:])
    return out


def _estimate(
    panel: _Panel, p0: np.ndarray, estimation: tuple[int, int], min_days: int
) -> _Estimates:
    """Per-member OLS on the estimation window from prefix sums (one pass over the grid)."""
    y = panel.member
    x = np.broadcast_to(panel.bench[:, None], y.shape)
    valid = ~np.isnan(y) & ~np.isnan(x)
    y0, x0 = np.where(valid, y, 0.0), np.where(valid, x, 0.0)
    sums = {
        "n": _prefix(valid.astype("float64")),
        "y": _prefix(y0),
        "x": _prefix(x0),
        "yy": _prefix(y0 * y0),
        "xx": _prefix(x0 * x0),
        "xy": _prefix(x0 * y0),
    }
    size = len(panel.sessions)
    lo = np.clip(p0 + estimation[0], 0, size)
    hi = np.clip(p0 + estimation[1] + 1, 0, size)
    hi = np.where(p0 >= 0, np.maximum(hi, lo), lo)
    s = {k: v[hi] - v[lo] for k, v in sums.items()}
    n = np.rint(s["n"]).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = s["x"] / n, s["y"] / n
        sxx = s["xx"] - s["x"] * mx
        syy = s["yy"] - s["y"] * my
        sxy = s["xy"] - s["x"] * my
        beta = sxy / sxx
        alpha = my - beta * mx
        ssr = np.maximum(syy - beta * sxy, 0.0)
        mm_sd = np.sqrt(ssr / (n - 2))
        d, dd = s["y"] - s["x"], s["yy"] - 2 * s["xy"] + s["xx"]
        ma_sd = np.sqrt(np.maximum(dd - d * d / n, 0.0) / (n - 1))
    ok = (n >= max(min_days, 3)) & (sxx > 0)
    for arr in (alpha, beta, mm_sd, ma_sd):
        arr[~ok] = np.nan
    return _Estimates(n, alpha, beta, mm_sd, ma_sd, mx, sxx, ok)


@dataclass
class _Window:
    """One window's per-member figures, events x members."""

    length: int
    car: np.ndarray  # market-adjusted CAR; NaN unless every session has a return
    mm: np.ndarray  # market-model CAR; NaN without a model
    scar: np.ndarray  # car / (ma_sd sqrt(L))
    mm_scar: np.ndarray  # mm / forecast-error sd
    gaps: np.ndarray  # events x days x members: no return that session
    bench_gap: np.ndarray  # events: the benchmark lacks a session of the window
    outside: np.ndarray  # events: the window leaves the grid


def _window(panel: _Panel, p0: np.ndarray, first: int, last: int, est: _Estimates) -> _Window:
    length = last - first + 1
    r = _gather(panel.member, p0, first, last)  # E x L x N
    b = _gather(panel.bench, p0, first, last)  # E x L
    ar = r - b[:, :, None]
    car = ar.sum(axis=1)  # NaN if any day is NaN
    sum_b = b.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mm = r.sum(axis=1) - length * est.alpha - est.beta * sum_b[:, None]
        scar = car / (est.ma_sd * np.sqrt(length))
        gap = sum_b[:, None] - length * est.bench_mean
        var = est.mm_sd**2 * (length + length**2 / est.n + gap**2 / est.sxx)
        mm_scar = mm / np.sqrt(var)
    idx_first, idx_last = p0 + first, p0 + last
    outside = (p0 >= 0) & ((idx_first < 0) | (idx_last >= len(panel.sessions)))
    return _Window(
        length=length,
        car=car,
        mm=mm,
        scar=scar,
        mm_scar=mm_scar,
        gaps=np.isnan(r),
        bench_gap=np.isnan(b).any(axis=1),
        outside=outside,
    )


def _path_windows(path_days: tuple[int, int]) -> dict[int, tuple[int, int, int]]:
    """rel day -> (first, last, sign) of the window whose CAR the path shows there: from
    day 0 to the day for days >= 0, minus the days after it to -1 before day 0 (so every
    line is 0 at day -1, where the event window starts, and day k >= 0 is CAR[0, k])."""
    out = {}
    for day in range(path_days[0], path_days[1] + 1):
        if day >= 0:
            out[day] = (0, day, 1)
        elif day < -1:
            out[day] = (day + 1, -1, -1)
    return out


# ---------------------------------------------------------------- limits


def _limit_flags(panel: _Panel, p0: np.ndarray, st_tickers: Sequence[str]) -> dict[str, np.ndarray]:
    """Day-0 limit flags by the exchange's rule, events x members: ``up``, ``down``,
    ``known`` (a return and the raw closes to test it), ``up_price``/``down_price``
    (yuan), ``limit``."""
    n_events, n_members = len(p0), len(panel.tickers)
    shape = (n_events, n_members)
    out = {
        "up": np.zeros(shape, dtype=bool),
        "down": np.zeros(shape, dtype=bool),
        "known": np.zeros(shape, dtype=bool),
        "up_price": np.full(shape, np.nan),
        "down_price": np.full(shape, np.nan),
        "limit": np.full(shape, np.nan),
        "close": np.full(shape, np.nan),
        "prev": np.full(shape, np.nan),
    }
    if n_members == 0 or n_events == 0 or panel.closes is None:
        return out
    ok = p0 > 0
    rows = np.where(ok, p0, 0)
    r = np.where(ok[:, None], panel.member[rows], np.nan)
    close = np.where(ok[:, None], panel.closes[rows], np.nan)
    prev = np.where(ok[:, None], panel.closes[rows - 1], np.nan)
    limits = limit_matrix(panel.tickers, panel.sessions, st_tickers)[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        raw_move = close / prev
        ex_day = np.abs(raw_move / (1 + r) - 1) > EX_DAY_TOLERANCE
        reference = np.where(ex_day, np.floor(close / (1 + r) * 100 + 0.5) / 100, prev)
    up, down = limit_fen(reference, limits)
    fen = np.rint(close * 100)
    known = ~np.isnan(r) & ~np.isnan(close) & ~np.isnan(reference) & ~np.isnan(limits)
    slack = np.where(ex_day, 1.0, 0.0)  # an estimated ex-day reference may be a fen off
    with np.errstate(invalid="ignore"):
        out["up"] = known & (np.abs(fen - up) <= slack)
        out["down"] = known & (np.abs(fen - down) <= slack)
    out["known"] = known
    out["up_price"] = np.where(known, up / 100, np.nan)
    out["down_price"] = np.where(known, down / 100, np.nan)
    out["limit"] = limits
    out["close"], out["prev"] = close, prev
    return out


# ---------------------------------------------------------------- intraday


@dataclass
class _Bars:
    """Bars by (ticker, session): bar starts and ends (UTC, int64 ns), opens, closes."""

    by_ticker: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def _prepare_bars(bars: pd.DataFrame | None) -> _Bars | None:
    if bars is None or len(bars) == 0:
        return None
    need = {"ticker", "ts", "interval", "close"}
    if not need <= set(bars.columns):
        raise ValueError(f"bars need the columns {sorted(need)}; got {list(bars.columns)}")
    minutes = bars["interval"].map(_BAR_MINUTES)
    if minutes.isna().any():
        raise ValueError(f"bars with an unknown interval: {sorted(set(bars['interval']))}")
    ts = pd.to_datetime(bars["ts"], utc=True)
    frame = pd.DataFrame(
        {
            "ticker": bars["ticker"].astype(str).to_numpy(),
            "start": ts.to_numpy(),
            "end": (ts + pd.to_timedelta(minutes, unit="min")).to_numpy(),
            "open": (bars["open"] if "open" in bars.columns else bars["close"]).to_numpy(),
            "close": bars["close"].to_numpy(),
        }
    ).sort_values(["ticker", "end"], kind="stable")
    by_ticker = {}
    for ticker, group in frame.groupby("ticker", sort=False):
        by_ticker[str(ticker)] = (
            pd.DatetimeIndex(group["start"]).as_unit("ns").asi8,
            pd.DatetimeIndex(group["end"]).as_unit("ns").asi8,
            group["open"].to_numpy(dtype="float64"),
            group["close"].to_numpy(dtype="float64"),
        )
    return _Bars(by_ticker)


def _local_minutes(moment: pd.Timestamp) -> float:
    local = moment.tz_convert(_EXCHANGE_TZ)
    return local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 6e7


def _trading_minutes(clock: float) -> float:
    """Minutes of continuous trading from 09:30 to a time of day (the lunch not counted)."""
    if clock <= _BREAK:
        return max(clock - _OPEN, 0.0)
    return (_BREAK - _OPEN) + max(clock - _RESUME, 0.0)


def _clock(trading: float) -> float:
    """The time of day ``trading`` continuous minutes after 09:30."""
    if trading <= _BREAK - _OPEN:
        return _OPEN + trading
    return _RESUME + trading - (_BREAK - _OPEN)


def intraday_moments(event_time: Any, session: Any) -> dict[str, pd.Timestamp] | None:
    """The event minute and each ``INTRADAY_WINDOWS`` target (UTC) for an event time, or
    None when it is not in the day-0 session's hours (after the close, another day).

    A time before 09:30 (the call auction) starts at 09:30, one in the lunch break at
    13:00; targets count continuous trading minutes and stop at 15:00.
    """
    start = pd.Timestamp(event_time)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    day = pd.Timestamp(session).strftime("%Y-%m-%d")
    if start.tz_convert(_EXCHANGE_TZ).strftime("%Y-%m-%d") != day:
        return None
    clock = _local_minutes(start)
    if clock >= _CLOSE:
        return None
    midnight = pd.Timestamp(day, tz=_EXCHANGE_TZ)
    if clock < _OPEN:
        clock = _OPEN
    elif _BREAK <= clock < _RESUME:
        clock = _RESUME
    base = _trading_minutes(clock)

    def at(minutes_of_day: float) -> pd.Timestamp:
        return (midnight + pd.Timedelta(minutes=minutes_of_day)).tz_convert("UTC")

    out = {"event": at(clock)}
    for name, minutes in INTRADAY_WINDOWS.items():
        target = _SESSION_MINUTES if minutes is None else min(base + minutes, _SESSION_MINUTES)
        out[name] = at(_clock(target))
    return out


def _price_at(
    series: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], moment: int, day_start: int
) -> float:
    """The price at ``moment``: the close of the last bar of the session ending at or
    before it; before any, the open of a bar starting at or after it within a minute."""
    starts, ends, opens, closes = series
    i = int(np.searchsorted(ends, moment, side="right")) - 1
    if i >= 0 and ends[i] > day_start:
        return float(closes[i])
    j = int(np.searchsorted(starts, moment, side="left"))
    if j < len(starts) and starts[j] - moment < _NS_PER_MIN and starts[j] > day_start:
        return float(opens[j])
    return np.nan


def _moves(
    bars: _Bars,
    ticker: str,
    moments: Mapping[str, pd.Timestamp],
    day_start: int,
    prev_close: float,
) -> dict[str, float] | None:
    """One ticker's returns from the event minute to each target (None without bars); the
    reference before the session's first bar is the previous raw close."""
    series = bars.by_ticker.get(ticker)
    if series is None:
        return None
    ref = _price_at(series, moments["event"].value, day_start)
    if np.isnan(ref):
        ref = prev_close
    return {
        name: _price_at(series, moments[name].value, day_start) / ref - 1.0
        for name in INTRADAY_WINDOWS
    }


def _intraday(
    panel: _Panel,
    events: list[dict[str, Any]],
    p0: np.ndarray,
    day0: pd.DatetimeIndex,
    bars: _Bars | None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray, list[str | None]]:
    """Per-member and benchmark moves from the event minute to each target: events x
    members and events; which members had bars; a reason per event when none."""
    n_events, n_members = len(events), len(panel.tickers)
    member = {k: np.full((n_events, n_members), np.nan) for k in INTRADAY_WINDOWS}
    bench = {k: np.full(n_events, np.nan) for k in INTRADAY_WINDOWS}
    has_bars = np.zeros((n_events, n_members), dtype=bool)
    why: list[str | None] = [None] * n_events
    for k, event in enumerate(events):
        if bars is None:
            why[k] = "no minute bars stored"
            continue
        moment = event.get("event_time")
        if moment is None or pd.isna(moment):
            why[k] = "no event time"
            continue
        moments = intraday_moments(moment, day0[k])
        if moments is None:
            why[k] = "the event time is not in the day-0 session's trading hours"
            continue
        day_start = pd.Timestamp(day0[k].strftime("%Y-%m-%d"), tz=_EXCHANGE_TZ).value
        p = int(p0[k])
        prev = p - 1 if p >= 1 else None
        bench_prev = (
            np.nan if panel.bench_closes is None or prev is None else panel.bench_closes[prev]
        )
        got = _moves(bars, panel.benchmark, moments, day_start, bench_prev)
        if got is not None:
            for name in INTRADAY_WINDOWS:
                bench[name][k] = got[name]
        for j, ticker in enumerate(panel.tickers):
            member_prev = np.nan if panel.closes is None or prev is None else panel.closes[prev, j]
            got = _moves(bars, ticker, moments, day_start, member_prev)
            if got is None:
                continue
            has_bars[k, j] = True
            for name in INTRADAY_WINDOWS:
                member[name][k, j] = got[name]
        if not has_bars[k].any():
            why[k] = f"no minute bars on {day0[k]:%Y-%m-%d} for any of its stocks"
    return member, bench, has_bars, why


# ---------------------------------------------------------------- the study


@dataclass
class _Study:
    """Everything per member for one panel's events."""

    panel: _Panel
    events: list[dict[str, Any]]
    p0: np.ndarray
    day0: pd.DatetimeIndex
    est: _Estimates
    windows: dict[str, _Window]
    path: dict[int, _Window]
    limits: dict[str, np.ndarray]
    intraday: dict[str, np.ndarray]
    bench_intraday: dict[str, np.ndarray]
    has_bars: np.ndarray
    no_bars: list[str | None]
    labels: np.ndarray  # each session as YYYY-MM-DD


def _study(
    panel: _Panel,
    events: pd.DataFrame,
    *,
    estimation: tuple[int, int],
    min_estimation_days: int,
    windows: Mapping[str, tuple[int, int]],
    bars: _Bars | None,
    st_tickers: Sequence[str],
    path_days: tuple[int, int] = PATH_DAYS,
) -> _Study:
    day0 = pd.DatetimeIndex(pd.to_datetime(events["event_session"])).normalize()
    p0 = np.asarray(panel.sessions.get_indexer(day0), dtype="int64")
    est = _estimate(panel, p0, estimation, min_estimation_days)
    records = events.to_dict("records")
    intraday, bench_intraday, has_bars, no_bars = _intraday(panel, records, p0, day0, bars)
    return _Study(
        panel=panel,
        events=records,
        p0=p0,
        day0=day0,
        est=est,
        windows={name: _window(panel, p0, *span, est) for name, span in windows.items()},
        path={
            day: _window(panel, p0, first, last, est)
            for day, (first, last, _) in _path_windows(path_days).items()
        },
        limits=_limit_flags(panel, p0, st_tickers),
        intraday=intraday,
        bench_intraday=bench_intraday,
        has_bars=has_bars,
        no_bars=no_bars,
        labels=np.asarray(panel.sessions.strftime("%Y-%m-%d"), dtype=object),
    )


def _fmt_day(day: pd.Timestamp) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")


def _pct(value: float) -> str:
    return f"{value * 100:+.2f}%"


def _list(tickers: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(tickers[:limit])
    return shown + (f" and {len(tickers) - limit} more" if len(tickers) > limit else "")


def _action_notes(
    actions: Mapping[str, list[dict[str, Any]]],
    tickers: Sequence[str],
    sessions: pd.DatetimeIndex,
    p: int,
    days: tuple[int, int],
) -> tuple[list[str], list[dict[str, Any]]]:
    """Notes on the corporate-action member-days left out within ``days`` around day 0."""
    if p < 0 or not actions:
        return [], []
    lo = sessions[max(p + days[0], 0)]
    hi = sessions[min(p + days[1], len(sessions) - 1)]
    notes, found = [], []
    for ticker in tickers:
        for a in actions.get(ticker, []):
            day = pd.Timestamp(a["date"])
            if lo <= day <= hi:
                rel = int(sessions.get_loc(day)) - p if day in sessions else None
                when = f"day {rel:+d}" if rel is not None else "a session"
                notes.append(
                    f"{ticker} {a['date']} ({when}): raw close-to-close {_pct(a['raw_return'])} "
                    f"({a['prev_close']:g} -> {a['close']:g}) is beyond its ±{a['limit'] * 100:.0f}% "
                    "daily limit and no adjusted price is stored: a probable corporate action "
                    "(ex-rights/ex-dividend), left out of that day (not a move, not a limit-down)"
                )
                found.append({**a, "day": rel})
    return notes, found


def _gap_note(
    name: str,
    span: tuple[int, int],
    window: _Window,
    k: int,
    study: _Study,
    have: int,
) -> str | None:
    """Which members a window left out for a session without a return, or why it is NaN.

    Members without any return in the window (not in the data then) are the day-0 note's
    business; named here are the members with some of its sessions and not all, and the
    sessions no member has.
    """
    panel = study.panel
    p = int(study.p0[k])
    if p < 0 or not panel.tickers:
        return None
    label = f"{name} [{span[0]}, {span[1]}]"
    if window.outside[k]:
        return f"{label} reaches outside the price data"
    if not window.bench_gap[k] and not window.gaps[k].any():
        return None
    day = list(study.labels[p + span[0] : p + span[1] + 1])
    gaps = window.gaps[k]  # days x members
    if window.bench_gap[k]:
        missing = [
            i for i, d in enumerate(range(span[0], span[1] + 1)) if np.isnan(panel.bench[p + d])
        ]
        members = int(gaps[missing].any(axis=0).sum())
        also = f", nor do {members} of {len(panel.tickers)} members" if members else ""
        return (
            f"{label} not computed: the benchmark {panel.benchmark} has no return on "
            f"{', '.join(day[i] for i in missing)}{also} (a missing session is never folded "
            "into a longer return)"
        )
    partial = gaps.any(axis=0) & ~gaps.all(axis=0)
    if have == 0:
        nobody = [day[i] for i in range(len(day)) if gaps[i].all()]
        if not nobody and not partial.any():
            return None
        detail = ", ".join(nobody) if nobody else "some session"
        return (
            f"{label} not computed: no member has a return on every session (none on {detail}; "
            "a missing session is never folded into a longer return)"
        )
    if not partial.any():
        return None
    by_day: dict[str, list[str]] = {}
    for i in range(len(day)):
        missing = [panel.tickers[j] for j in np.nonzero(gaps[i] & partial)[0]]
        if missing:
            by_day.setdefault(day[i], []).extend(missing)
    detail = "; ".join(f"{d}: {_list(ts)}" for d, ts in by_day.items())
    return (
        f"{label} rests on {have} of {len(panel.tickers)} members: no return on {detail} "
        "(left out of the window, never folded into a longer return)"
    )


def _estimation_note(
    study: _Study, k: int, estimation: tuple[int, int], min_days: int
) -> str | None:
    """What the estimation window gave the members with a day-0 return."""
    panel = study.panel
    p = int(study.p0[k])
    if p < 0 or not panel.tickers:
        return None
    present = ~np.isnan(panel.member[p])
    if not present.any():
        return None
    ok = study.est.ok[k]
    days = study.est.n[k]
    span = f"[{estimation[0]}, {estimation[1]}]"
    full = estimation[1] - estimation[0] + 1
    if ok[present].all():
        short = [
            f"{t} {d}"
            for t, d, here in zip(panel.tickers, days, present, strict=True)
            if here and d < full
        ]
        if short:
            return (
                f"estimation window {span} short for {len(short)} members (days with "
                f"returns, of {full}: {_list(short)})"
            )
        return None
    with_model = [
        t for t, has, here in zip(panel.tickers, ok, present, strict=True) if has and here
    ]
    if not with_model:
        return (
            f"estimation window {span}: no member has {min_days} days with returns (most: "
            f"{int(days.max())}): no market model; significance from the cross-sectional t "
            "of the members' abnormal returns"
        )
    counts = ", ".join(
        f"{t} {d}"
        for t, d, has, here in zip(panel.tickers, days, ok, present, strict=True)
        if has and here
    )
    return (
        f"estimation window {span}: {len(with_model)} of {int(present.sum())} members with data "
        f"{'has' if len(with_model) == 1 else 'have'} {min_days} days with returns ({counts}): "
        "the market model (mm_*) and its BMP "
        "test rest on them; the row's test is the cross-sectional t over all members with data"
    )


def _limit_note(study: _Study, k: int) -> list[str]:
    panel, lim = study.panel, study.limits
    notes = []
    for flag, words in (
        ("up", "limit-up close understates demand"),
        ("down", "limit-down close understates selling"),
    ):
        hit = np.nonzero(lim[flag][k])[0]
        if len(hit):
            price = lim[f"{flag}_price"][k]
            shown = ", ".join(f"{panel.tickers[j]} ({price[j]:.2f})" for j in hit)
            notes.append(
                f"{words}: {shown} closed at the limit price (previous close x (1 {'+' if flag == 'up' else '-'} "
                "limit), rounded to the fen)"
            )
    if panel.closes is None:
        notes.append("no raw closes: limit-up and limit-down not determined")
    elif study.p0[k] >= 0:
        has_return = ~np.isnan(panel.member[study.p0[k]])
        unknown = [
            t for j, t in enumerate(panel.tickers) if has_return[j] and not lim["known"][k, j]
        ]
        if unknown:
            notes.append(
                f"limit status unknown for {_list(unknown)} (no raw close that day or the session before)"
            )
    return notes


def _intraday_figures(study: _Study, k: int, cols: np.ndarray | None = None) -> dict[str, Any]:
    """The intraday windows of event ``k`` over the members ``cols`` (all by default)."""
    panel = study.panel
    cols = np.arange(len(panel.tickers)) if cols is None else cols
    out: dict[str, Any] = {}
    n_with = 0
    for name in INTRADAY_WINDOWS:
        values = study.intraday[name][k, cols]
        mean, n = _weighted_mean(values[None, :], panel.weights[cols])
        out[name] = float(mean[0] - study.bench_intraday[name][k])
        n_with = max(n_with, int(n[0]))
    out["n_intraday"] = n_with
    return out


def _intraday_notes(study: _Study, k: int, cols: np.ndarray | None = None) -> list[str]:
    panel = study.panel
    if study.no_bars[k]:
        return [f"intraday windows not computed: {study.no_bars[k]}"]
    cols = np.arange(len(panel.tickers)) if cols is None else cols
    notes = []
    with_bars = int(study.has_bars[k, cols].sum())
    if with_bars == 0:
        notes.append(f"intraday windows not computed: no minute bars on {study.day0[k]:%Y-%m-%d}")
    elif with_bars < len(cols):
        missing = [panel.tickers[j] for j in cols if not study.has_bars[k, j]]
        notes.append(
            f"intraday windows rest on the {with_bars} of {len(cols)} members with minute bars (none for {_list(missing)})"
        )
    if np.isnan(study.bench_intraday["ar_close"][k]):
        notes.append(
            f"no minute bars for the benchmark {panel.benchmark}: intraday windows not computed"
        )
    return notes


def window_columns(windows: Mapping[str, tuple[int, int]] = DEFAULT_WINDOWS) -> list[str]:
    """The figure columns of ``windows``: each window's CAR, its test statistic, the test's
    name and the members it rests on, then the market model's CAR, BMP statistic and members."""
    out = []
    for w in windows:
        out += [w, f"t_{w}", f"test_{w}", f"n_{w}"]
    for w in windows:
        out += [f"mm_{w}", f"mm_t_{w}", f"mm_n_{w}"]
    return out


def reaction_columns(windows: Mapping[str, tuple[int, int]] = DEFAULT_WINDOWS) -> list[str]:
    """The columns of ``story_reactions`` for these windows."""
    return [
        "story_id",
        "sector",
        "benchmark",
        "event_time",
        "event_session",
        "n_members",
        "n_members_with_data",
        "sector_return",
        "benchmark_return",
        *window_columns(windows),
        "est_members",
        "est_days",
        *INTRADAY_WINDOWS,
        "n_intraday",
        "limit_up",
        "limit_down",
        "corporate_actions",
        "members",
        "notes",
    ]


REACTION_COLUMNS = reaction_columns()


def _sector_figures(study: _Study, windows: Mapping[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    """Every sector figure of every event at once (arrays over events)."""
    panel, est = study.panel, study.est
    weights = panel.weights
    out: dict[str, np.ndarray] = {}
    rows = np.where(study.p0 >= 0, study.p0, 0)
    day0 = np.where((study.p0 >= 0)[:, None], panel.member[rows], np.nan)
    out["sector_return"], out["n_members_with_data"] = _weighted_mean(day0, weights)
    out["benchmark_return"] = np.where(study.p0 >= 0, panel.bench[rows], np.nan)
    for name in windows:
        w = study.windows[name]
        value, n = _weighted_mean(w.car, weights)
        have = ~np.isnan(w.car)
        bmp = (n >= MIN_CROSS_SECTION) & (est.ok | ~have).all(axis=1)
        t_bmp, _ = _cross_t(np.where(have, w.scar, np.nan))
        t_cs, _ = _cross_t(w.car)
        out[name], out[f"n_{name}"] = value, n
        out[f"t_{name}"] = np.where(bmp, t_bmp, t_cs)
        out[f"bmp_{name}"] = bmp
        out[f"mm_{name}"], out[f"mm_n_{name}"] = _weighted_mean(
            np.where(est.ok, w.mm, np.nan), weights
        )
        out[f"mm_t_{name}"], _ = _cross_t(np.where(est.ok, w.mm_scar, np.nan))
    for name in INTRADAY_WINDOWS:
        value, n = _weighted_mean(study.intraday[name], weights)
        out[name] = value - study.bench_intraday[name]
        out[f"n_{name}"] = n
    return out


def _sector_rows(
    study: _Study,
    windows: Mapping[str, tuple[int, int]],
    estimation: tuple[int, int],
    min_estimation_days: int,
    actions: Mapping[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    panel = study.panel
    tickers = np.array(panel.tickers, dtype=object)
    weights = panel.weights
    equal = bool(len(weights)) and np.allclose(weights, weights[0])
    fig = _sector_figures(study, windows)
    est_days = study.est.n.tolist()
    limits_up, limits_down = study.limits["up"], study.limits["down"]
    rows = []
    for k, event in enumerate(study.events):
        p = int(study.p0[k])
        session = study.day0[k]
        notes: list[str] = []
        row: dict[str, Any] = {
            "story_id": event.get("story_id"),
            "sector": event.get("sector"),
            "benchmark": panel.benchmark,
            "event_time": event.get("event_time"),
            "event_session": session,
            "n_members": len(panel.tickers),
            "n_members_with_data": int(fig["n_members_with_data"][k]),
            "sector_return": float(fig["sector_return"][k]),
            "benchmark_return": float(fig["benchmark_return"][k]),
        }
        if p < 0:
            notes.append(f"day 0 ({_fmt_day(session)}) is not a session in the price data")
            day0_returns = np.full(len(tickers), np.nan)
        else:
            day0_returns = panel.member[p]
            missing = list(tickers[np.isnan(day0_returns)])
            if missing:
                notes.append(
                    f"{len(missing)} of {len(tickers)} members have no return on day 0 "
                    f"(left out of the mean, not counted as 0): {_list(missing)}"
                )
            if np.isnan(panel.bench[p]):
                notes.append(f"benchmark {panel.benchmark} has no return on day 0")
        action_notes, found = _action_notes(actions, panel.tickers, panel.sessions, p, PATH_DAYS)
        notes += action_notes
        for name, span in windows.items():
            n = int(fig[f"n_{name}"][k])
            t = float(fig[f"t_{name}"][k])
            row[name] = float(fig[name][k])
            row[f"t_{name}"] = t
            row[f"test_{name}"] = (
                (TEST_BMP if fig[f"bmp_{name}"][k] else TEST_CROSS_SECTION)
                if np.isfinite(t)
                else None
            )
            row[f"n_{name}"] = n
            row[f"mm_{name}"] = float(fig[f"mm_{name}"][k])
            row[f"mm_t_{name}"] = float(fig[f"mm_t_{name}"][k])
            row[f"mm_n_{name}"] = int(fig[f"mm_n_{name}"][k])
            gap = _gap_note(name, span, study.windows[name], k, study, n)
            if gap:
                notes.append(gap)
            if p >= 0 and not np.isfinite(t) and n > 0 and not gap:
                notes.append(
                    f"t_{name}: {n} member(s) with the whole window; a cross-sectional test "
                    f"needs {MIN_CROSS_SECTION}"
                )
        if not equal and len(weights):
            notes.append("the tests weigh members equally; the CARs use the sector's weights")
        row["est_members"] = list(tickers[study.est.ok[k]])
        row["est_days"] = dict(zip(panel.tickers, est_days[k], strict=True))
        est_note = _estimation_note(study, k, estimation, min_estimation_days)
        if est_note:
            notes.append(est_note)
        for name in INTRADAY_WINDOWS:
            row[name] = float(fig[name][k])
        row["n_intraday"] = int(max(fig[f"n_{name}"][k] for name in INTRADAY_WINDOWS))
        notes += _intraday_notes(study, k)
        row["limit_up"] = list(tickers[limits_up[k]])
        row["limit_down"] = list(tickers[limits_down[k]])
        notes += _limit_note(study, k)
        row["corporate_actions"] = found
        bench0 = panel.bench[p] if p >= 0 else np.nan
        row["members"] = [
            {
                "ticker": t,
                "return0": r,
                "ar0": r - bench0,
                "est_days": d,
                "limit": "up" if up else "down" if down else None,
            }
            for t, r, d, up, down in zip(
                panel.tickers,
                day0_returns.tolist(),
                est_days[k],
                limits_up[k].tolist(),
                limits_down[k].tolist(),
                strict=True,
            )
        ]
        row["notes"] = notes
        rows.append(row)
    return rows


# ---------------------------------------------------------------- public API


def _validate(
    events: pd.DataFrame, returns: pd.DataFrame, estimation: tuple[int, int], need: Sequence[str]
) -> None:
    if estimation[0] > estimation[1] or estimation[1] >= 0:
        raise ValueError(f"estimation window {estimation} must satisfy start <= end < 0")
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise ValueError("returns needs a DatetimeIndex of session dates")
    for col in need:
        if col not in events.columns:
            raise ValueError(f"events needs the column {col!r}; got {list(events.columns)}")


def _actions_by_ticker(returns: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for a in returns.attrs.get(CORPORATE_ACTIONS_ATTR, []) or []:
        out.setdefault(a["ticker"], []).append(a)
    return out


def story_reactions(
    events: pd.DataFrame,
    returns: pd.DataFrame,
    sectors: Mapping[str, Any],
    *,
    benchmark: str | pd.Series = DEFAULT_BENCHMARK,
    closes: pd.DataFrame | None = None,
    bars: pd.DataFrame | None = None,
    sessions: pd.DatetimeIndex | None = None,
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    min_estimation_days: int = MIN_ESTIMATION_DAYS,
    windows: Mapping[str, tuple[int, int]] = DEFAULT_WINDOWS,
    st_tickers: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per event row (a story x sector pair) with every figure and its notes.

    ``events``: columns ``story_id``, ``sector`` (a key of ``sectors``), ``event_session``
    (day 0, a date) and optionally ``event_time`` (UTC, the aligned first moment the
    market could react; needed for the intraday windows). ``returns``: index date, one
    column per ticker (members and, unless ``benchmark`` is a Series, the benchmark),
    from ``adjusted_returns``. ``sectors``: sector id -> members (see the module doc).
    ``closes``: raw closes in the layout of ``returns`` (limit flags, intraday reference).
    ``bars``: minute bars (``ticker``, ``ts`` bar start UTC, ``interval``, ``open``,
    ``close``). ``sessions``: the exchange's sessions (relative days count them).

    Columns: ``REACTION_COLUMNS`` (the window columns follow ``windows``), in the order of
    ``events``.
    """
    _validate(events, returns, estimation, ("sector", "event_session"))
    unknown = sorted(set(events["sector"]) - set(sectors))
    if unknown:
        raise ValueError(f"events name sectors not in the taxonomy: {unknown}")
    prepared_bars = _prepare_bars(bars)
    actions = _actions_by_ticker(returns)
    # pandas deep-copies attrs (the returns' reports) on every operation
    returns = _bare(returns)
    closes = None if closes is None else _bare(closes)
    rows: list[tuple[int, dict[str, Any]]] = []
    order = np.arange(len(events))
    for sector_id, index in events.groupby("sector", sort=False).indices.items():
        panel = _panel(returns, sectors[sector_id], benchmark, sessions, closes)
        study = _study(
            panel,
            events.iloc[index],
            estimation=estimation,
            min_estimation_days=min_estimation_days,
            windows=windows,
            bars=prepared_bars,
            st_tickers=st_tickers,
        )
        got = _sector_rows(study, windows, estimation, min_estimation_days, actions)
        rows.extend(zip(order[index].tolist(), got, strict=True))
    rows.sort(key=lambda item: item[0])
    out = pd.DataFrame([r for _, r in rows], columns=reaction_columns(windows))
    if len(out):
        out["event_session"] = pd.to_datetime(out["event_session"])
    return out


def sector_reaction(
    returns: pd.DataFrame,
    event_session: Any,
    members: Sequence[str] | Mapping[str, Any],
    *,
    benchmark: str | pd.Series = DEFAULT_BENCHMARK,
    event_time: Any = None,
    story_id: str | None = None,
    sector: str | None = None,
    closes: pd.DataFrame | None = None,
    bars: pd.DataFrame | None = None,
    sessions: pd.DatetimeIndex | None = None,
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    min_estimation_days: int = MIN_ESTIMATION_DAYS,
    windows: Mapping[str, tuple[int, int]] = DEFAULT_WINDOWS,
) -> dict[str, Any]:
    """``story_reactions`` for one story and one sector: the row as a dict."""
    key = sector or "sector"
    events = pd.DataFrame(
        {
            "story_id": [story_id],
            "sector": [key],
            "event_session": [pd.Timestamp(event_session)],
            "event_time": [event_time],
        }
    )
    frame = story_reactions(
        events,
        returns,
        {key: members},
        benchmark=benchmark,
        closes=closes,
        bars=bars,
        sessions=sessions,
        estimation=estimation,
        min_estimation_days=min_estimation_days,
        windows=windows,
    )
    return frame.iloc[0].to_dict()


def cumulative_abnormal_path(
    returns: pd.DataFrame,
    event_session: Any,
    members: Sequence[str] | Mapping[str, Any],
    *,
    benchmark: str | pd.Series = DEFAULT_BENCHMARK,
    sessions: pd.DatetimeIndex | None = None,
    days: tuple[int, int] = PATH_DAYS,
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    min_estimation_days: int = MIN_ESTIMATION_DAYS,
) -> pd.DataFrame:
    """Days ``days`` (-5..+5) around day 0, for charts: columns ``rel_day``, ``date`` (NaT
    past the data), ``sector_return``, ``benchmark_return``, ``ar`` (the day's sector AR),
    ``car``, ``n_members_with_data`` (the members ``car`` rests on), ``mm_car`` (market
    model; NaN when no member has one).

    ``car`` is anchored where the event window starts: 0 at day -1; at day k >= 0 it is
    CAR[0, k] computed as the event windows are (so day +1 and +3 equal the table's
    ``car_0_1`` and ``car_0_3``); at day k < -1 it is minus CAR[k+1, -1] (so day -4 is
    minus the pre-event drift ``car_m3_m1``). A member missing a session drops out of the
    days whose window holds it.
    """
    panel = _panel(_bare(returns), members, benchmark, sessions, None)
    day0 = pd.Timestamp(event_session).normalize()
    events = pd.DataFrame({"event_session": [day0], "event_time": [None]})
    study = _study(
        panel,
        events,
        estimation=estimation,
        min_estimation_days=min_estimation_days,
        windows={},
        bars=None,
        st_tickers=(),
        path_days=days,
    )
    p = int(study.p0[0])
    rel = np.arange(days[0], days[1] + 1)
    idx = p + rel
    inside = (idx >= 0) & (idx < len(panel.sessions)) & (p >= 0)
    dates = pd.DatetimeIndex(
        [panel.sessions[i] if ok else pd.NaT for i, ok in zip(idx, inside, strict=True)]
    )
    sector = _gather(_weighted_mean(panel.member, panel.weights)[0], study.p0, days[0], days[1])[0]
    bench = _gather(panel.bench, study.p0, days[0], days[1])[0]
    signs = {d: s for d, (_, _, s) in _path_windows(days).items()}
    car, mm_car, n = [], [], []
    est_ok = study.est.ok[0]
    for day in rel:
        if day == -1:
            anchor = p >= 0 and inside[rel.tolist().index(-1)]
            car.append(0.0 if anchor else np.nan)
            mm_car.append(0.0 if anchor and est_ok.any() else np.nan)
            n.append(int((~np.isnan(panel.member[p])).sum()) if p >= 0 else 0)
            continue
        w = study.path[int(day)]
        value, count = _weighted_mean(w.car[0][None, :], panel.weights)
        mm_value, _ = _weighted_mean(np.where(est_ok, w.mm[0], np.nan)[None, :], panel.weights)
        car.append(signs[int(day)] * float(value[0]))
        mm_car.append(signs[int(day)] * float(mm_value[0]))
        n.append(int(count[0]))
    return pd.DataFrame(
        {
            "rel_day": rel,
            "date": dates,
            "sector_return": sector,
            "benchmark_return": bench,
            "ar": sector - bench,
            "car": np.array(car, dtype="float64"),
            "n_members_with_data": pd.array(n, dtype="Int64"),
            "mm_car": np.array(mm_car, dtype="float64"),
        }
    )


# ---------------------------------------------------------------- per stock


def stock_reaction_columns(windows: Mapping[str, tuple[int, int]] = DEFAULT_WINDOWS) -> list[str]:
    """The columns of ``stock_reactions`` for these windows."""
    out = []
    for w in windows:
        out += [w, f"t_{w}", f"mm_{w}", f"mm_t_{w}"]
    return [
        "story_id",
        "ticker",
        "name",
        "benchmark",
        "event_time",
        "event_session",
        "prev_close",
        "close",
        "return0",
        "benchmark_return",
        *out,
        "test",
        "est_days",
        "alpha",
        "beta",
        "est_sd",
        "limit",
        "limit_up_price",
        "limit_down_price",
        "limit_up",
        "limit_down",
        *INTRADAY_WINDOWS,
        "basis",
        "notes",
    ]


STOCK_REACTION_COLUMNS = stock_reaction_columns()


def stock_reactions(
    events: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    benchmark: str | pd.Series = DEFAULT_BENCHMARK,
    closes: pd.DataFrame | None = None,
    bars: pd.DataFrame | None = None,
    sessions: pd.DatetimeIndex | None = None,
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    min_estimation_days: int = MIN_ESTIMATION_DAYS,
    windows: Mapping[str, tuple[int, int]] = DEFAULT_WINDOWS,
    st_tickers: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per (story, named stock): its own day-0 move and windows.

    ``events``: columns ``story_id``, ``ticker``, ``event_session``, optionally ``name``
    and ``event_time``. The rest as ``story_reactions``. The t of each window is the
    stock's CAR over its own estimation-window standard deviation times sqrt(L)
    (``test`` = "time-series t"; NaN with fewer than ``min_estimation_days`` days);
    ``mm_t_*`` divides the market-model CAR by its OLS forecast-error sd. The limit
    flags follow the exchange's rule on the raw closes (``limit_up_price``,
    ``limit_down_price``; None without them).

    Columns: ``STOCK_REACTION_COLUMNS``, in the order of ``events``.
    """
    _validate(events, returns, estimation, ("ticker", "event_session"))
    columns = stock_reaction_columns(windows)
    if not len(events):
        return pd.DataFrame(columns=columns)
    prepared_bars = _prepare_bars(bars)
    actions = _actions_by_ticker(returns)
    basis = returns.attrs.get(BASIS_ATTR, {}) or {}
    bare = _bare(returns)
    closes = None if closes is None else _bare(closes)
    tickers = list(dict.fromkeys(str(t) for t in events["ticker"]))
    panel = _panel(bare, tickers, benchmark, sessions, closes)
    column_of = {t: j for j, t in enumerate(panel.tickers)}
    study = _study(
        panel,
        events,
        estimation=estimation,
        min_estimation_days=min_estimation_days,
        windows=windows,
        bars=prepared_bars,
        st_tickers=st_tickers,
    )
    rows = []
    for k, event in enumerate(study.events):
        ticker = str(event["ticker"])
        j = column_of[ticker]
        p = int(study.p0[k])
        notes: list[str] = []
        est_ok = bool(study.est.ok[k, j])
        row: dict[str, Any] = {
            "story_id": event.get("story_id"),
            "ticker": ticker,
            "name": event.get("name"),
            "benchmark": panel.benchmark,
            "event_time": event.get("event_time"),
            "event_session": study.day0[k],
            "prev_close": float(study.limits["prev"][k, j]),
            "close": float(study.limits["close"][k, j]),
            "return0": float(panel.member[p, j]) if p >= 0 else np.nan,
            "benchmark_return": float(panel.bench[p]) if p >= 0 else np.nan,
        }
        if p < 0:
            notes.append(f"day 0 ({_fmt_day(study.day0[k])}) is not a session in the price data")
        elif np.isnan(row["return0"]):
            notes.append(f"{ticker} has no return on day 0")
        for name, span in windows.items():
            w = study.windows[name]
            row[name] = float(w.car[k, j])
            row[f"t_{name}"] = float(w.scar[k, j])
            row[f"mm_{name}"] = float(w.mm[k, j]) if est_ok else np.nan
            row[f"mm_t_{name}"] = float(w.mm_scar[k, j]) if est_ok else np.nan
            if p >= 0 and np.isnan(w.car[k, j]):
                if w.outside[k]:
                    notes.append(f"{name} [{span[0]}, {span[1]}] reaches outside the price data")
                else:
                    days = [
                        _fmt_day(panel.sessions[p + d])
                        for d in range(span[0], span[1] + 1)
                        if np.isnan(panel.member[p + d, j]) or np.isnan(panel.bench[p + d])
                    ]
                    notes.append(
                        f"{name} [{span[0]}, {span[1]}] not computed: no return on {', '.join(days)} "
                        "(never folded into a longer return)"
                    )
        row["test"] = TEST_TIME_SERIES if est_ok else None
        row["est_days"] = int(study.est.n[k, j])
        row["alpha"] = float(study.est.alpha[k, j])
        row["beta"] = float(study.est.beta[k, j])
        row["est_sd"] = float(study.est.ma_sd[k, j])
        if p >= 0 and not est_ok:
            notes.append(
                f"estimation window [{estimation[0]}, {estimation[1]}] has {row['est_days']} days "
                f"with returns (need {min_estimation_days}): no t-statistic and no market model"
            )
        lim = study.limits
        known = bool(lim["known"][k, j])
        row["limit"] = float(lim["limit"][k, j]) if known else np.nan
        row["limit_up_price"] = float(lim["up_price"][k, j]) if known else np.nan
        row["limit_down_price"] = float(lim["down_price"][k, j]) if known else np.nan
        row["limit_up"] = bool(lim["up"][k, j]) if known else None
        row["limit_down"] = bool(lim["down"][k, j]) if known else None
        if row["limit_up"]:
            notes.append(
                f"closed limit-up at {row['limit_up_price']:.2f} (previous close "
                f"{row['prev_close']:.2f} x {1 + row['limit']:.2f}, rounded to the fen): the close understates demand"
            )
        if row["limit_down"]:
            notes.append(
                f"closed limit-down at {row['limit_down_price']:.2f} (previous close "
                f"{row['prev_close']:.2f} x {1 - row['limit']:.2f}, rounded to the fen): the close understates selling"
            )
        if not known and p >= 0 and closes is not None and not np.isnan(row["return0"]):
            notes.append("limit status unknown: no raw close that day or the session before")
        action_notes, _ = _action_notes(actions, [ticker], panel.sessions, p, PATH_DAYS)
        notes += action_notes
        intraday = _intraday_figures(study, k, np.array([j]))
        for name in INTRADAY_WINDOWS:
            row[name] = intraday[name]
        notes += _intraday_notes(study, k, np.array([j]))
        row["basis"] = list(basis.get(ticker, []))
        row["notes"] = notes
        rows.append(row)
    out = pd.DataFrame(rows, columns=columns)
    out["event_session"] = pd.to_datetime(out["event_session"])
    return out


# ---------------------------------------------------------------- stored rows


def reaction_events(
    story_id: str,
    tags: Sequence[Mapping[str, Any]],
    sectors: Mapping[str, Any],
    *,
    event_session: Any,
    event_time: Any,
    min_relevance: float,
) -> list[dict[str, Any]]:
    """The event rows ``story_reactions`` takes for one story: one per sector tag.

    ``tags``: the story's tags (``kind``, ``code``, ``relevance``, as stored); a tag
    counts when it is a sector of ``sectors`` with relevance at least
    ``min_relevance``. Returns dicts ``story_id``, ``sector``, ``event_session``,
    ``event_time``, in the order of ``tags``.
    """
    return [
        {
            "story_id": story_id,
            "sector": t["code"],
            "event_session": event_session,
            "event_time": event_time,
        }
        for t in tags
        if t["kind"] == "sector" and t["code"] in sectors and (t["relevance"] or 0) >= min_relevance
    ]


def stock_events(
    story_id: str,
    tags: Sequence[Mapping[str, Any]],
    *,
    event_session: Any,
    event_time: Any,
    min_confidence: float,
) -> list[dict[str, Any]]:
    """The event rows ``stock_reactions`` takes for one story: one per named A-share.

    ``tags``: the story's tags; a ``stock`` tag counts when its relevance (the highest
    confidence of its articles) is at least ``min_confidence`` and its code is an A-share
    ticker (``002045.SZ``; not ``usstock:AAPL``). Dicts ``story_id``, ``ticker``,
    ``name``, ``event_session``, ``event_time``, in the order of ``tags``.
    """
    import re

    return [
        {
            "story_id": story_id,
            "ticker": t["code"],
            "name": t.get("name"),
            "event_session": event_session,
            "event_time": event_time,
        }
        for t in tags
        if t["kind"] == "stock"
        and re.fullmatch(r"\d{6}\.(SZ|SS|BJ)", str(t["code"]))
        and (t["relevance"] or 0) >= min_confidence
    ]


def plain(value: Any) -> Any:
    """A figure as JSON holds it: NaN -> None, numpy scalars -> Python, Timestamps ->
    ISO 8601, lists and tuples element by element, dicts value by value; anything else
    as it is."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _utc_text(moment: Any) -> str | None:
    if moment is None or (not isinstance(moment, str) and pd.isna(moment)):
        return None
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return utc_iso(stamp.to_pydatetime())


def reaction_record(row: Mapping[str, Any], path: pd.DataFrame) -> dict[str, Any]:
    """The stored form of one ``story_reactions`` row and its ``cumulative_abnormal_path``.

    Returns ``story_id``, ``sector_id``, ``event_time`` (UTC ``YYYY-MM-DDTHH:MM:SSZ``; a
    naive time is read as UTC),
    ``event_session`` (``YYYY-MM-DD``) and ``figures``: every other column of ``row``
    made JSON-safe by ``plain``, and ``path``, a list of ``day`` (int), ``car``, ``n``
    (members it rests on, when the path has them) and ``mm_car`` (None when unknown),
    one per row of ``path``.
    """
    keys = ("story_id", "sector", "event_time", "event_session")
    figures = {k: plain(v) for k, v in row.items() if k not in keys}
    points = []
    for p in path.to_dict(orient="records"):
        point = {"day": int(p["rel_day"]), "car": plain(p["car"])}
        if "n_members_with_data" in p:
            point["n"] = (
                None if pd.isna(p["n_members_with_data"]) else int(p["n_members_with_data"])
            )
        point["mm_car"] = plain(p["mm_car"])
        points.append(point)
    figures["path"] = points
    return {
        "story_id": row["story_id"],
        "sector_id": row["sector"],
        "event_time": _utc_text(row["event_time"]),
        "event_session": pd.Timestamp(row["event_session"]).strftime("%Y-%m-%d"),
        "figures": figures,
    }


def has_price_data(figures: Mapping[str, Any]) -> bool:
    """Whether stored figures rest on prices: a member and the benchmark had a day-0 return."""
    benchmark = figures.get("benchmark_return")
    return (figures.get("n_members_with_data") or 0) > 0 and not (
        benchmark is None or pd.isna(benchmark)
    )


def reaction_records(
    events: pd.DataFrame,
    returns: pd.DataFrame,
    sectors: Mapping[str, Any],
    *,
    default_benchmark: str = DEFAULT_BENCHMARK,
    closes: pd.DataFrame | None = None,
    bars: pd.DataFrame | None = None,
    sessions: pd.DatetimeIndex | None = None,
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    min_estimation_days: int = MIN_ESTIMATION_DAYS,
) -> list[dict[str, Any]]:
    """The stored reactions (``reaction_record``) of every event row, with its CAR path.

    ``events``: ``reaction_events`` rows (``story_id``, ``sector``, ``event_session``,
    ``event_time``); ``returns``, ``closes``, ``bars`` and ``sessions`` as
    ``story_reactions`` takes them; ``sectors``: sector id -> sector table, whose
    ``benchmark`` (else ``default_benchmark``) each sector's abnormal returns are
    measured against. Rows come grouped by benchmark (in sorted order), in the order of
    ``events`` within a group.
    """
    if not len(events):
        return []
    by_benchmark = events["sector"].map(
        lambda sid: sectors[sid].get("benchmark") or default_benchmark
    )
    out = []
    for bench, group in events.groupby(by_benchmark):
        rows = story_reactions(
            group.reset_index(drop=True),
            returns,
            sectors,
            benchmark=bench,
            closes=closes,
            bars=bars,
            sessions=sessions,
            estimation=estimation,
            min_estimation_days=min_estimation_days,
        )
        for row in rows.to_dict(orient="records"):
            path = cumulative_abnormal_path(
                returns,
                row["event_session"],
                sectors[row["sector"]],
                benchmark=bench,
                sessions=sessions,
                estimation=estimation,
                min_estimation_days=min_estimation_days,
            )
            out.append(reaction_record(row, path))
    return out


def stock_records(
    events: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    benchmark: str = DEFAULT_BENCHMARK,
    closes: pd.DataFrame | None = None,
    bars: pd.DataFrame | None = None,
    sessions: pd.DatetimeIndex | None = None,
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    min_estimation_days: int = MIN_ESTIMATION_DAYS,
) -> list[dict[str, Any]]:
    """The stored form of ``stock_reactions`` rows: ``story_id``, ``ticker``, ``name``,
    ``event_time`` (UTC text), ``event_session`` (``YYYY-MM-DD``) and ``figures`` (every
    other column, JSON-safe)."""
    if not len(events):
        return []
    rows = stock_reactions(
        events.reset_index(drop=True),
        returns,
        benchmark=benchmark,
        closes=closes,
        bars=bars,
        sessions=sessions,
        estimation=estimation,
        min_estimation_days=min_estimation_days,
    )
    keys = ("story_id", "ticker", "name", "event_time", "event_session")
    return [
        {
            "story_id": row["story_id"],
            "ticker": row["ticker"],
            "name": row["name"],
            "event_time": _utc_text(row["event_time"]),
            "event_session": pd.Timestamp(row["event_session"]).strftime("%Y-%m-%d"),
            "figures": {k: plain(v) for k, v in row.items() if k not in keys},
        }
        for row in rows.to_dict(orient="records")
    ]
