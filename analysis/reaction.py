"""Event study: a sector's abnormal move around a story's first publication.

Inputs (all pure pandas, never mutated):

- ``returns``: daily simple returns, index ``date`` (DatetimeIndex of session dates),
  one column per ticker, as ``analysis.prices.daily_returns`` makes them. NaN means no
  return that day (suspended, not listed, not in the data): it is never read as 0.
- a benchmark: a column of ``returns`` named by ticker (default ``"000300.SS"``, CSI 300)
  or a Series of returns indexed by date.
- members: a list of tickers, a mapping ticker -> weight, or a sector table from
  ``config/sectors.toml`` (``members`` as tickers or ``{ticker, weight}`` tables, optional
  ``weights`` and ``benchmark``).
- day 0: the event session (``analysis.calendar.event_session``); relative days count
  sessions (``sessions``, default every date of ``returns`` and the benchmark).

Figures, per story x sector (``REACTION_COLUMNS``):

- sector return R_s(t): the weighted mean (equal weights unless given) of the returns of
  the members WITH a return on day t, weights renormalised over them;
  ``n_members_with_data`` says how many that was on day 0. A member without data is
  missing, not zero.
- market-adjusted abnormal return AR(t) = R_s(t) - R_b(t): ``ar0`` and the windows
  ``car_0_1`` [0,+1], ``car_0_3`` [0,+3], ``car_m3_m1`` [-3,-1] (pre-event drift)
  (``DEFAULT_WINDOWS``). A window with a day without data, or past the data, is NaN.
- market model: alpha and beta by OLS of R_s on R_b over the estimation window
  (days ``estimation`` = [-120, -11] by default) using the days both have;
  AR_mm(t) = R_s(t) - alpha - beta R_b(t) -> ``mm_ar0``, ``mm_car_0_1``, ...
- t-statistics: CAR / (sd * sqrt(L)), L the window's length in days and sd the standard
  deviation of the model's AR over the estimation window (market-adjusted: sample sd of
  R_s - R_b, ``est_sd``; market model: residual sd with n - 2 degrees of freedom,
  ``mm_est_sd``). ``t_ar0``, ``t_car_0_1``, ... and ``mm_t_...``.
- estimation days: fewer than ``min_estimation_days`` (30) -> alpha, beta, sds and every
  t-statistic NaN, with a note; fewer than the full window -> used, with a note.
- intraday (when minute bars are given: ``ticker``, ``ts`` bar start UTC, ``interval``,
  ``close``, as ``newsmon.providers`` fetches them): the
  market-adjusted return from the event time to +30 and +60 trading minutes and to the
  close (``ar_30m``, ``ar_60m``, ``ar_close``). The reference price is the close of the
  last bar ending at or before the event time (else the previous session's close from
  ``closes``). Without bars these are NaN with a note.
- price limits: members whose day-0 close was at the daily limit (main board 00/60
  +-10%, ChiNext 300/301 +-20% from 2020-08-24 (+-10% before), STAR 688/689 +-20%,
  Beijing +-30%; ST stocks' 5% is not known here) are listed in ``limit_up`` /
  ``limit_down`` with a note: a limit-up close understates demand (buyers queued at
  the limit could not trade). With ``closes`` the test is exact (close equals the limit
  price, the previous close times 1 + limit rounded to the fen); without, a return
  within ``LIMIT_RETURN_TOLERANCE`` of the limit counts.

``notes`` (a list of strings) says everything that made a figure NaN or weaker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from newsmon.analysis.calendar import EXCHANGE_TZ, shift_trading_minutes
from newsmon.timefmt import utc_iso

#: default benchmark: CSI 300 (Yahoo's ticker)
DEFAULT_BENCHMARK = "000300.SS"
#: estimation window, days relative to day 0 (inclusive)
DEFAULT_ESTIMATION = (-120, -11)
#: fewest estimation days with both returns for the market model and the t-statistics
MIN_ESTIMATION_DAYS = 30
#: event windows, days relative to day 0 (inclusive): name -> (first, last)
DEFAULT_WINDOWS: dict[str, tuple[int, int]] = {
    "ar0": (0, 0),
    "car_0_1": (0, 1),
    "car_0_3": (0, 3),
    "car_m3_m1": (-3, -1),
}
#: intraday windows: name -> trading minutes after the event (None: to the close)
INTRADAY_WINDOWS: dict[str, int | None] = {"ar_30m": 30, "ar_60m": 60, "ar_close": None}
#: days of ``cumulative_abnormal_path``
PATH_DAYS = (-5, 5)
#: without closes, a return this close to the limit (or beyond) counts as a limit close
LIMIT_RETURN_TOLERANCE = 0.003
#: ChiNext's limit went from 10% to 20% on this day
CHINEXT_20PCT_FROM = pd.Timestamp("2020-08-24")
#: two prices closer than this are equal (prices have two decimals)
PRICE_EPS = 0.005 - 1e-9

_BAR_MINUTES = {"1m": 1, "2m": 2, "5m": 5, "15m": 15, "30m": 30, "60m": 60, "90m": 90, "1h": 60}


def price_limit(ticker: str, session: pd.Timestamp) -> float:
    """The daily price limit (as a fraction) of an A-share on a session."""
    digits, _, exchange = ticker.partition(".")
    if exchange == "BJ":
        return 0.30
    if digits.startswith(("688", "689")):
        return 0.20
    if digits.startswith(("300", "301")):
        return 0.20 if pd.Timestamp(session) >= CHINEXT_20PCT_FROM else 0.10
    return 0.10


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
    """Row means over the non-NaN cells, weights renormalised; NaN where a row has none.
    Also the count of non-NaN cells a row."""
    has = ~np.isnan(matrix)
    weight = weight.astype("float64")
    wsum = has.astype("float64") @ weight if len(weight) else np.zeros(len(matrix))
    num = np.where(has, matrix, 0.0) @ weight if len(weight) else np.zeros(len(matrix))
    value = np.full(len(matrix), np.nan)
    ok = wsum > 0
    value[ok] = num[ok] / wsum[ok]
    return value, has.sum(axis=1)


# ---------------------------------------------------------------- the vectorised core


@dataclass
class _Panel:
    """One sector on one session grid, as numpy arrays."""

    sessions: pd.DatetimeIndex
    tickers: list[str]
    weights: np.ndarray
    member: np.ndarray  # sessions x members returns
    closes: np.ndarray | None  # sessions x members closes
    bench_closes: np.ndarray | None  # sessions, the benchmark's closes
    sector: np.ndarray
    bench: np.ndarray
    n_with_data: np.ndarray
    benchmark: str


def _session_grid(
    returns: pd.DataFrame, bench: pd.Series, sessions: pd.DatetimeIndex | None
) -> pd.DatetimeIndex:
    if sessions is not None:
        grid = pd.DatetimeIndex(sessions)
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
    weight = np.array([w[t] for t in tickers], dtype="float64")
    sector, n_with_data = _weighted_mean(member, weight)
    close_arr = bench_close = None
    if closes is not None:
        close_arr = closes.reindex(index=grid, columns=tickers).to_numpy(dtype="float64")
        if bench_name in closes.columns:
            bench_close = closes[bench_name].reindex(grid).to_numpy(dtype="float64")
    return _Panel(
        sessions=grid,
        tickers=tickers,
        weights=weight,
        member=member,
        closes=close_arr,
        bench_closes=bench_close,
        sector=sector,
        bench=bench.reindex(grid).to_numpy(dtype="float64"),
        n_with_data=n_with_data,
        benchmark=bench_name,
    )


def _bare(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without attrs (the caller's frame keeps its own)."""
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def _gather(values: np.ndarray, p0: np.ndarray, first: int, last: int) -> np.ndarray:
    """values at days first..last around each event: events x days, NaN outside the grid."""
    offsets = np.arange(first, last + 1)
    idx = p0[:, None] + offsets[None, :]
    inside = (idx >= 0) & (idx < len(values)) & (p0[:, None] >= 0)
    out = np.full(idx.shape, np.nan)
    out[inside] = values[idx[inside]]
    return out


def _estimate(
    panel: _Panel, p0: np.ndarray, estimation: tuple[int, int], min_days: int
) -> dict[str, np.ndarray]:
    s = _gather(panel.sector, p0, *estimation)
    b = _gather(panel.bench, p0, *estimation)
    valid = ~np.isnan(s) & ~np.isnan(b)
    n = valid.sum(axis=1)
    s0 = np.where(valid, s, 0.0)
    b0 = np.where(valid, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_mean = s0.sum(axis=1) / n
        b_mean = b0.sum(axis=1) / n
        ds = np.where(valid, s - s_mean[:, None], 0.0)
        db = np.where(valid, b - b_mean[:, None], 0.0)
        sxx = (db * db).sum(axis=1)
        beta = (db * ds).sum(axis=1) / sxx
        alpha = s_mean - beta * b_mean
        resid = np.where(valid, s - alpha[:, None] - beta[:, None] * b, 0.0)
        mm_sd = np.sqrt((resid * resid).sum(axis=1) / (n - 2))
        ar = np.where(valid, s - b, 0.0)
        ar_mean = ar.sum(axis=1) / n
        dev = np.where(valid, ar - ar_mean[:, None], 0.0)
        ma_sd = np.sqrt((dev * dev).sum(axis=1) / (n - 1))
    enough = (n >= max(min_days, 3)) & (sxx > 0)
    for arr in (alpha, beta, mm_sd):
        arr[~enough] = np.nan
    ma_sd[n < max(min_days, 2)] = np.nan
    first = np.where(n > 0, p0 + estimation[0] + valid.argmax(axis=1), -1)
    return {"n": n, "alpha": alpha, "beta": beta, "mm_sd": mm_sd, "ma_sd": ma_sd, "first": first}


def _limit_flags(
    panel: _Panel, p0: np.ndarray, day0: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Members closing at their limit up / down on each event's day 0 (events x members
    booleans), and per event whether any flag came from returns rather than closes."""
    n_events, n_members = len(p0), len(panel.tickers)
    ups = np.zeros((n_events, n_members), dtype=bool)
    downs = np.zeros((n_events, n_members), dtype=bool)
    approx = np.zeros(n_events, dtype=bool)
    if n_members == 0 or n_events == 0:
        return ups, downs, approx
    ok = p0 >= 0
    r = np.full((n_events, n_members), np.nan)
    r[ok] = panel.member[p0[ok]]
    new_chinext = (day0 >= CHINEXT_20PCT_FROM)[:, None]
    late = np.array([price_limit(t, CHINEXT_20PCT_FROM) for t in panel.tickers])
    early = np.array(
        [price_limit(t, CHINEXT_20PCT_FROM - pd.Timedelta(days=1)) for t in panel.tickers]
    )
    limit = np.where(new_chinext, late[None, :], early[None, :])
    exact = np.zeros((n_events, n_members), dtype=bool)
    if panel.closes is not None:
        has_prev = ok & (p0 > 0)
        close = np.full((n_events, n_members), np.nan)
        prev = np.full((n_events, n_members), np.nan)
        close[has_prev] = panel.closes[p0[has_prev]]
        prev[has_prev] = panel.closes[p0[has_prev] - 1]
        exact = np.isfinite(close) & np.isfinite(prev) & ~np.isnan(r)
        with np.errstate(invalid="ignore"):
            up_price = np.floor(prev * (1 + limit) * 100 + 0.5 + 1e-6) / 100
            down_price = np.floor(prev * (1 - limit) * 100 + 0.5 + 1e-6) / 100
            ups |= exact & (np.abs(close - up_price) <= PRICE_EPS)
            downs |= exact & (np.abs(close - down_price) <= PRICE_EPS)
    rough = ~exact & ~np.isnan(r)
    with np.errstate(invalid="ignore"):
        ups |= rough & (r >= limit - LIMIT_RETURN_TOLERANCE)
        downs |= rough & (r <= -limit + LIMIT_RETURN_TOLERANCE)
    approx = (rough & (ups | downs)).any(axis=1)
    return ups, downs, approx


def _fmt_day(day: pd.Timestamp) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")


def _sector_rows(
    panel: _Panel,
    events: pd.DataFrame,
    *,
    estimation: tuple[int, int],
    min_estimation_days: int,
    windows: Mapping[str, tuple[int, int]],
    bars: _Bars | None,
) -> list[dict[str, Any]]:
    sessions = panel.sessions
    day0 = pd.DatetimeIndex(pd.to_datetime(events["event_session"])).normalize()
    pos = sessions.get_indexer(day0)
    p0 = np.asarray(pos, dtype="int64")
    est = _estimate(panel, p0, estimation, min_estimation_days)
    est_len = estimation[1] - estimation[0] + 1
    ar_ma = panel.sector - panel.bench
    figures: dict[str, np.ndarray] = {}
    window_gaps: dict[str, np.ndarray] = {}
    window_past: dict[str, np.ndarray] = {}
    for name, (first, last) in windows.items():
        length = last - first + 1
        s = _gather(panel.sector, p0, first, last)
        b = _gather(panel.bench, p0, first, last)
        a = _gather(ar_ma, p0, first, last)
        car = a.sum(axis=1)
        mm = s.sum(axis=1) - length * est["alpha"] - est["beta"] * b.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            figures[name] = car
            figures[f"t_{name}"] = car / (est["ma_sd"] * np.sqrt(length))
            figures[f"mm_{name}"] = mm
            figures[f"mm_t_{name}"] = mm / (est["mm_sd"] * np.sqrt(length))
        idx_last = p0 + last
        idx_first = p0 + first
        window_past[name] = (p0 >= 0) & ((idx_last >= len(sessions)) | (idx_first < 0))
        window_gaps[name] = (p0 >= 0) & ~window_past[name] & np.isnan(a).any(axis=1)
    ok = p0 >= 0
    no_data = np.zeros((len(p0), len(panel.tickers)), dtype=bool)
    if panel.tickers:
        no_data[ok] = np.isnan(panel.member[p0[ok]])
    ups, downs, approx = _limit_flags(panel, p0, day0)
    tickers = np.array(panel.tickers, dtype=object)
    span = f"[{estimation[0]}, {estimation[1]}]"
    rows = []
    for k, event in enumerate(events.to_dict("records")):
        p = int(p0[k])
        session = day0[k]
        notes: list[str] = []
        row: dict[str, Any] = {
            "story_id": event.get("story_id"),
            "sector": event.get("sector"),
            "benchmark": panel.benchmark,
            "event_time": event.get("event_time"),
            "event_session": session,
            "n_members": len(panel.tickers),
        }
        if p < 0:
            notes.append(f"day 0 ({_fmt_day(session)}) is not a session in the price data")
            row.update(n_members_with_data=0, sector_return=np.nan, benchmark_return=np.nan)
        else:
            row.update(
                n_members_with_data=int(panel.n_with_data[p]),
                sector_return=float(panel.sector[p]),
                benchmark_return=float(panel.bench[p]),
            )
            missing = tickers[no_data[k]]
            if len(missing):
                shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
                notes.append(
                    f"{len(missing)} of {len(panel.tickers)} members have no return on day 0 "
                    f"(left out of the mean, not counted as 0): {shown}"
                )
            if np.isnan(panel.bench[p]):
                notes.append(f"benchmark {panel.benchmark} has no return on day 0")
        for name in window_columns(windows):
            row[name] = float(figures[name][k])
        n_est = int(est["n"][k])
        row.update(
            alpha=float(est["alpha"][k]),
            beta=float(est["beta"][k]),
            est_days=n_est,
            est_sd=float(est["ma_sd"][k]),
            mm_est_sd=float(est["mm_sd"][k]),
        )
        if p >= 0:
            if n_est < min_estimation_days:
                notes.append(
                    f"estimation window {span} has {n_est} days with returns (need "
                    f"{min_estimation_days}): market model and t-statistics not computed"
                )
            elif n_est < est_len:
                first_day = sessions[int(est["first"][k])]
                notes.append(
                    f"estimation window {span} short: {n_est} of {est_len} days with returns "
                    f"(the first {_fmt_day(first_day)})"
                )
            for name, (first, last) in windows.items():
                if window_past[name][k]:
                    notes.append(f"{name} [{first}, {last}] reaches outside the price data")
                elif window_gaps[name][k]:
                    notes.append(f"{name} [{first}, {last}] has a day without returns")
        row["limit_up"] = list(tickers[ups[k]])
        row["limit_down"] = list(tickers[downs[k]])
        suffix = " (from returns, within 0.3 pp of the limit)" if approx[k] else ""
        if row["limit_up"]:
            notes.append(
                f"limit-up close understates demand: {', '.join(row['limit_up'])} "
                f"closed at the limit{suffix}"
            )
        if row["limit_down"]:
            notes.append(
                f"limit-down close understates selling: {', '.join(row['limit_down'])} "
                f"closed at the limit{suffix}"
            )
        row.update(_intraday_row(panel, event.get("event_time"), session, bars, notes))
        row["notes"] = notes
        rows.append(row)
    return rows


# ---------------------------------------------------------------- intraday


@dataclass
class _Bars:
    """Bars by ticker: bar end times (UTC, int64 ns) and closes, sorted."""

    by_ticker: dict[str, tuple[np.ndarray, np.ndarray]]


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
    ends = ts + pd.to_timedelta(minutes, unit="min")
    frame = pd.DataFrame(
        {
            "ticker": bars["ticker"].to_numpy(),
            "end": ends.to_numpy(),
            "close": bars["close"].to_numpy(),
        }
    ).sort_values(["ticker", "end"], kind="stable")
    by_ticker = {}
    for ticker, group in frame.groupby("ticker", sort=False):
        end = pd.DatetimeIndex(group["end"]).as_unit("ns").asi8
        by_ticker[str(ticker)] = (end, group["close"].to_numpy(dtype="float64"))
    return _Bars(by_ticker)


def _price_at(series: tuple[np.ndarray, np.ndarray], moment: int, not_before: int) -> float:
    """Close of the last bar ending at or before ``moment`` and after ``not_before``."""
    ends, closes = series
    i = int(np.searchsorted(ends, moment, side="right")) - 1
    if i < 0 or ends[i] <= not_before:
        return np.nan
    return float(closes[i])


def _intraday_row(
    panel: _Panel,
    event_time: Any,
    session: pd.Timestamp,
    bars: _Bars | None,
    notes: list[str],
) -> dict[str, float]:
    out = dict.fromkeys(INTRADAY_WINDOWS, np.nan)
    if bars is None:
        notes.append("no minute bars: intraday windows not computed")
        return out
    if event_time is None or pd.isna(event_time):
        notes.append("no event time: intraday windows not computed")
        return out
    start = pd.Timestamp(event_time)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    local_session = pd.Timestamp(start.tz_convert(EXCHANGE_TZ).date())
    if local_session != pd.Timestamp(session):
        notes.append("event time is not in the day-0 session: intraday windows not computed")
        return out
    session_open = pd.Timestamp(f"{_fmt_day(session)} 09:30", tz=EXCHANGE_TZ).tz_convert("UTC")
    day_start = session_open.value - 1
    event_ns = start.value
    targets = {
        name: shift_trading_minutes(start, minutes if minutes is not None else 24 * 60).value
        for name, minutes in INTRADAY_WINDOWS.items()
    }
    p = panel.sessions.get_indexer([session])[0]

    def moves(ticker: str, j: int | None) -> dict[str, float]:
        series = bars.by_ticker.get(ticker)
        if series is None:
            return dict.fromkeys(INTRADAY_WINDOWS, np.nan)
        ref = _price_at(series, event_ns, day_start)
        if np.isnan(ref) and p > 0:
            prev = panel.closes if j is not None else panel.bench_closes
            if prev is not None:
                ref = prev[p - 1, j] if j is not None else prev[p - 1]
        return {name: _price_at(series, t, day_start) / ref - 1.0 for name, t in targets.items()}

    bench_moves = moves(panel.benchmark, None)
    member_moves = [moves(t, j) for j, t in enumerate(panel.tickers)]
    with_bars = sum(1 for t in panel.tickers if t in bars.by_ticker)
    if with_bars == 0:
        notes.append("no minute bars for any member: intraday windows not computed")
    elif with_bars < len(panel.tickers):
        notes.append(f"minute bars for {with_bars} of {len(panel.tickers)} members")
    if panel.benchmark not in bars.by_ticker:
        notes.append(f"no minute bars for the benchmark {panel.benchmark}")
    for name in INTRADAY_WINDOWS:
        values = np.array([m[name] for m in member_moves], dtype="float64")
        ok = ~np.isnan(values) & (panel.weights > 0)
        if ok.any():
            sector = float((values[ok] * panel.weights[ok]).sum() / panel.weights[ok].sum())
            out[name] = sector - bench_moves[name]
    return out


# ---------------------------------------------------------------- public API


def window_columns(windows: Mapping[str, tuple[int, int]] = DEFAULT_WINDOWS) -> list[str]:
    """The figure columns of ``windows``: each window's CAR, its t, then the market model's."""
    return [
        *windows,
        *(f"t_{w}" for w in windows),
        *(f"mm_{w}" for w in windows),
        *(f"mm_t_{w}" for w in windows),
    ]


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
        "alpha",
        "beta",
        "est_days",
        "est_sd",
        "mm_est_sd",
        *INTRADAY_WINDOWS,
        "limit_up",
        "limit_down",
        "notes",
    ]


REACTION_COLUMNS = reaction_columns()


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
) -> pd.DataFrame:
    """One row per event row (a story x sector pair) with every figure and its notes.

    ``events``: columns ``story_id``, ``sector`` (a key of ``sectors``), ``event_session``
    (day 0, a date) and optionally ``event_time`` (UTC, the aligned first moment the
    market could react; needed for the intraday windows). ``returns``: index date, one
    column per ticker (members and, unless ``benchmark`` is a Series, the benchmark).
    ``sectors``: sector id -> members (see the module doc). ``closes``: optional closes
    in the layout of ``returns`` (exact limit-price test, intraday reference). ``bars``:
    optional minute bars (``ticker``, ``ts`` bar start UTC, ``interval``, ``close``).

    Columns: ``REACTION_COLUMNS`` (the window columns follow ``windows``), in the order of
    ``events``.
    """
    if estimation[0] > estimation[1] or estimation[1] >= 0:
        raise ValueError(f"estimation window {estimation} must satisfy start <= end < 0")
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise ValueError("returns needs a DatetimeIndex of session dates")
    for col in ("sector", "event_session"):
        if col not in events.columns:
            raise ValueError(f"events needs the column {col!r}; got {list(events.columns)}")
    unknown = sorted(set(events["sector"]) - set(sectors))
    if unknown:
        raise ValueError(f"events name sectors not in the taxonomy: {unknown}")
    prepared_bars = _prepare_bars(bars)
    # pandas deep-copies attrs (daily_returns' missing-day report) on every operation
    returns = _bare(returns)
    closes = None if closes is None else _bare(closes)
    rows: list[tuple[int, dict[str, Any]]] = []
    order = np.arange(len(events))
    for sector_id, index in events.groupby("sector", sort=False).indices.items():
        panel = _panel(returns, sectors[sector_id], benchmark, sessions, closes)
        chunk = events.iloc[index]
        got = _sector_rows(
            panel,
            chunk,
            estimation=estimation,
            min_estimation_days=min_estimation_days,
            windows=windows,
            bars=prepared_bars,
        )
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
    past the data), ``sector_return``, ``benchmark_return``, ``n_members_with_data``,
    ``ar``, ``car``, ``mm_ar``, ``mm_car`` (market model; NaN when not estimable).

    The cumulative columns add up from the first day shown; a day without a figure adds
    nothing and is NaN itself.
    """
    panel = _panel(_bare(returns), members, benchmark, sessions, None)
    day0 = pd.Timestamp(event_session).normalize()
    p0 = np.array([panel.sessions.get_indexer([day0])[0]], dtype="int64")
    est = _estimate(panel, p0, estimation, min_estimation_days)
    first, last = days
    rel = np.arange(first, last + 1)
    s = _gather(panel.sector, p0, first, last)[0]
    b = _gather(panel.bench, p0, first, last)[0]
    n = _gather(panel.n_with_data.astype("float64"), p0, first, last)[0]
    idx = p0[0] + rel
    inside = (idx >= 0) & (idx < len(panel.sessions)) & (p0[0] >= 0)
    dates = pd.DatetimeIndex(
        [panel.sessions[i] if ok else pd.NaT for i, ok in zip(idx, inside, strict=True)]
    )
    ar = s - b
    mm_ar = s - est["alpha"][0] - est["beta"][0] * b
    out = pd.DataFrame(
        {
            "rel_day": rel,
            "date": dates,
            "sector_return": s,
            "benchmark_return": b,
            "n_members_with_data": pd.array(np.where(np.isnan(n), pd.NA, n), dtype="Int64"),
            "ar": ar,
            "car": pd.Series(ar).cumsum().to_numpy(),
            "mm_ar": mm_ar,
            "mm_car": pd.Series(mm_ar).cumsum().to_numpy(),
        }
    )
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


def plain(value: Any) -> Any:
    """A figure as JSON holds it: NaN -> None, numpy scalars -> Python, Timestamps ->
    ISO 8601, lists and tuples element by element; anything else as it is."""
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
    return value


def reaction_record(row: Mapping[str, Any], path: pd.DataFrame) -> dict[str, Any]:
    """The stored form of one ``story_reactions`` row and its ``cumulative_abnormal_path``.

    Returns ``story_id``, ``sector_id``, ``event_time`` (UTC ``YYYY-MM-DDTHH:MM:SSZ``; a
    naive time is read as UTC),
    ``event_session`` (``YYYY-MM-DD``) and ``figures``: every other column of ``row``
    made JSON-safe by ``plain``, and ``path``, a list of ``day`` (int), ``car`` and
    ``mm_car`` (None when unknown), one per row of ``path``.
    """
    keys = ("story_id", "sector", "event_time", "event_session")
    moment = pd.Timestamp(row["event_time"])
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    figures = {k: plain(v) for k, v in row.items() if k not in keys}
    figures["path"] = [
        {"day": int(p["rel_day"]), "car": plain(p["car"]), "mm_car": plain(p["mm_car"])}
        for p in path.to_dict(orient="records")
    ]
    return {
        "story_id": row["story_id"],
        "sector_id": row["sector"],
        "event_time": utc_iso(moment.to_pydatetime()),
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
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    min_estimation_days: int = MIN_ESTIMATION_DAYS,
) -> list[dict[str, Any]]:
    """The stored reactions (``reaction_record``) of every event row, with its CAR path.

    ``events``: ``reaction_events`` rows (``story_id``, ``sector``, ``event_session``,
    ``event_time``); ``returns`` as ``story_reactions`` takes them; ``sectors``: sector
    id -> sector table, whose ``benchmark`` (else ``default_benchmark``) each sector's
    abnormal returns are measured against. Rows come grouped by benchmark (in sorted
    order), in the order of ``events`` within a group.
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
            estimation=estimation,
            min_estimation_days=min_estimation_days,
        )
        for row in rows.to_dict(orient="records"):
            path = cumulative_abnormal_path(
                returns,
                row["event_session"],
                sectors[row["sector"]],
                benchmark=bench,
                estimation=estimation,
                min_estimation_days=min_estimation_days,
            )
            out.append(reaction_record(row, path))
    return out
