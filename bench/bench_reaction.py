"""Benchmark of the sector event study on synthetic daily prices.

    python bench/bench_reaction.py                 # 1,000 stories x 10 sectors, 300 tickers
    python bench/bench_reaction.py --stories 100   # a quick run

The data: ``--tickers`` stocks over ``--days`` sessions (a year of events after a
120-day estimation window), returns from a one-factor model (market return N(0, 1.2%),
betas 0.5-1.5, idiosyncratic N(0, 2%), clipped to +-9.5% so no move crosses the daily
limit), about 1% of stock-days missing (suspensions), prices compounded from 10 CNY and
rounded to the fen, a benchmark "000300.SS" built the same way. ``--sectors`` sectors of
30 random members; ``--stories`` stories on random sessions of the last year, each
measured for every sector.

Measured, end to end (median wall time of ``--repeats`` runs): the canonical long
price frame -> ``adjusted_returns`` and ``raw_closes`` -> ``story_reactions`` (member
CARs, the cross-sectional test of each window, every member's market model and its BMP
statistic, limit flags by the price rule, notes) for every story x sector. Baseline, in
the same run: a naive per-row loop (pandas slices of the members' returns, ``np.polyfit``
per member and row, a Python loop over members for the tests and the limits) on
``--baseline-rows`` rows, scaled to all rows. The two must agree on the slice.
Exit status 1 when the run exceeds ``--target`` seconds or the results disagree.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

from newsmon.analysis.prices import adjusted_returns, raw_closes
from newsmon.analysis.reaction import (
    DEFAULT_ESTIMATION,
    DEFAULT_WINDOWS,
    MIN_CROSS_SECTION,
    MIN_ESTIMATION_DAYS,
    price_limit,
    story_reactions,
)

BENCHMARK = "000300.SS"
MEMBERS_PER_SECTOR = 30
#: figures compared between the fast and the naive version
CHECKED = ["ar0", "car_0_1", "car_0_3", "car_m3_m1", "t_ar0", "t_car_0_3", "mm_ar0", "mm_t_car_0_3"]


def synthetic_prices(n_tickers: int, n_days: int, rng: np.random.Generator) -> pd.DataFrame:
    """Canonical long frame: ``n_tickers`` stocks and the benchmark over ``n_days`` sessions."""
    days = pd.bdate_range("2021-01-04", periods=n_days)
    market = rng.normal(0.0003, 0.012, n_days)
    betas = rng.uniform(0.5, 1.5, n_tickers)
    returns = market[:, None] * betas[None, :] + rng.normal(0, 0.02, (n_days, n_tickers))
    returns = np.clip(returns, -0.095, 0.095)
    closes = np.round(10.0 * np.cumprod(1 + returns, axis=0), 2)
    closes[rng.random(closes.shape) < 0.01] = np.nan  # suspensions
    codes = [f"{600000 + i:06d}.SS" if i % 2 else f"{i:06d}.SZ" for i in range(1, n_tickers + 1)]
    bench = np.round(4000.0 * np.cumprod(1 + market), 2)
    frame = pd.DataFrame(closes, index=days, columns=codes)
    frame[BENCHMARK] = bench
    long = frame.stack().rename("close").reset_index()
    long.columns = ["date", "ticker", "close"]
    long = long.assign(
        open=np.nan,
        high=np.nan,
        low=np.nan,
        volume=np.nan,
        amount=np.nan,
        adjusted="none",
        source="synthetic",
        adj_factor=np.nan,
    )
    return long[
        [
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
    ]


def synthetic_events(
    sessions: pd.DatetimeIndex,
    sectors: dict[str, list[str]],
    n_stories: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    days = rng.choice(sessions[-250:], size=n_stories)
    return pd.DataFrame(
        {
            "story_id": np.repeat([f"s{i:05d}" for i in range(n_stories)], len(sectors)),
            "sector": np.tile(list(sectors), n_stories),
            "event_session": np.repeat(days, len(sectors)),
        }
    )


def end_to_end(prices: pd.DataFrame, events: pd.DataFrame, sectors: dict) -> pd.DataFrame:
    returns = adjusted_returns(prices)
    closes = raw_closes(prices)
    return story_reactions(events, returns, sectors, benchmark=BENCHMARK, closes=closes)


def naive_setup(prices: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The naive version's one-off work: wide closes and returns."""
    closes = prices.pivot(index="date", columns="ticker", values="close").sort_index()
    return closes, closes / closes.shift(1) - 1


def _cross_t(values: list[float]) -> float:
    if len(values) < MIN_CROSS_SECTION:
        return np.nan
    return float(np.mean(values) / (np.std(values, ddof=1) / np.sqrt(len(values))))


def naive(
    closes: pd.DataFrame, returns: pd.DataFrame, events: pd.DataFrame, sectors: dict
) -> pd.DataFrame:
    """The per-row loop a first version would write: pandas slices, polyfit per member."""
    sessions = returns.index
    bench = returns[BENCHMARK]
    rows = []
    for event in events.itertuples(index=False):
        members = sectors[event.sector]
        p0 = sessions.get_loc(pd.Timestamp(event.event_session))
        lo, hi = max(p0 + DEFAULT_ESTIMATION[0], 0), p0 + DEFAULT_ESTIMATION[1]
        model = {}
        for t in members:
            est = pd.DataFrame({"y": returns[t].iloc[lo : hi + 1], "x": bench.iloc[lo : hi + 1]})
            est = est.dropna()
            if len(est) >= MIN_ESTIMATION_DAYS:
                beta, alpha = np.polyfit(est["x"], est["y"], 1)
                resid = est["y"] - alpha - beta * est["x"]
                model[t] = {
                    "alpha": alpha,
                    "beta": beta,
                    "sd": float(np.sqrt((resid**2).sum() / (len(est) - 2))),
                    "ma_sd": float((est["y"] - est["x"]).std(ddof=1)),
                    "n": len(est),
                    "mx": float(est["x"].mean()),
                    "sxx": float(((est["x"] - est["x"].mean()) ** 2).sum()),
                }
        row = {"story_id": event.story_id, "sector": event.sector}
        for name, (first, last) in DEFAULT_WINDOWS.items():
            length = last - first + 1
            cars, scars, mms, mm_scars = [], [], [], []
            if p0 + first >= 0 and p0 + last < len(sessions):
                b = bench.iloc[p0 + first : p0 + last + 1]
                for t in members:
                    r = returns[t].iloc[p0 + first : p0 + last + 1]
                    car = float((r - b).sum(skipna=False))
                    if np.isnan(car):
                        continue
                    cars.append(car)
                    m = model.get(t)
                    if m is None:
                        continue
                    scars.append(car / (m["ma_sd"] * np.sqrt(length)))
                    mm = float(r.sum() - length * m["alpha"] - m["beta"] * b.sum())
                    gap = b.sum() - length * m["mx"]
                    var = m["sd"] ** 2 * (length + length**2 / m["n"] + gap**2 / m["sxx"])
                    mms.append(mm)
                    mm_scars.append(mm / np.sqrt(var))
            row[name] = float(np.mean(cars)) if cars else np.nan
            bmp = len(scars) == len(cars)
            row[f"t_{name}"] = _cross_t(scars if bmp else cars)
            row[f"mm_{name}"] = float(np.mean(mms)) if mms else np.nan
            row[f"mm_t_{name}"] = _cross_t(mm_scars)
        limit_up = []
        for ticker in members:
            close, prev = closes[ticker].iloc[p0], closes[ticker].iloc[p0 - 1]
            if np.isfinite(close) and np.isfinite(prev):
                limit = price_limit(ticker, sessions[p0])
                up = np.floor(
                    (round(prev * 100) * (10_000 + round(limit * 10_000)) + 5_000) / 10_000
                )
                if round(close * 100) == up:
                    limit_up.append(ticker)
        row["limit_up"] = limit_up
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=1_000)
    parser.add_argument("--sectors", type=int, default=10)
    parser.add_argument("--tickers", type=int, default=300)
    parser.add_argument("--days", type=int, default=380, help="sessions of synthetic data")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-rows", type=int, default=200)
    parser.add_argument("--target", type=float, default=10.0, help="seconds allowed end to end")
    parser.add_argument("--seed", type=int, default=20220708)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    prices = synthetic_prices(args.tickers, args.days, rng)
    tickers = sorted(set(prices["ticker"]) - {BENCHMARK})
    sectors = {
        f"sector{i:02d}": list(rng.choice(tickers, size=MEMBERS_PER_SECTOR, replace=False))
        for i in range(args.sectors)
    }
    sessions = pd.DatetimeIndex(sorted(prices["date"].unique()))
    events = synthetic_events(sessions, sectors, args.stories, rng)
    n_rows = len(events)
    print(
        f"{args.stories} stories x {args.sectors} sectors = {n_rows} rows; "
        f"{args.tickers} tickers x {args.days} sessions ({len(prices)} price rows)"
    )

    times = []
    result = None
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = end_to_end(prices, events, sectors)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        f"event study end to end: median {median:.3f} s of {args.repeats} "
        f"({', '.join(f'{t:.3f}' for t in times)}), {median / n_rows * 1e6:.0f} us a row"
    )

    m = min(args.baseline_rows, n_rows)
    sliced = events.iloc[:m]
    start = time.perf_counter()
    closes, returns = naive_setup(prices)
    setup_time = time.perf_counter() - start
    start = time.perf_counter()
    slow = naive(closes, returns, sliced, sectors)
    loop_time = time.perf_counter() - start
    scaled = setup_time + loop_time / m * n_rows
    print(
        f"naive per-row loop: setup {setup_time:.3f} s + {loop_time:.3f} s for {m} rows -> "
        f"{scaled:.1f} s for {n_rows} rows (loop scaled); ratio {scaled / median:.0f}x"
    )

    fast = result.iloc[:m].reset_index(drop=True)
    worst = 0.0
    for col in CHECKED:
        a, b = fast[col].to_numpy(dtype=float), slow[col].to_numpy(dtype=float)
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            print(f"DISAGREE: {col} is NaN in one version only")
            return 1
        ok = ~np.isnan(a)
        if ok.any():
            worst = max(worst, float(np.max(np.abs(a[ok] - b[ok]))))
    same_limits = fast["limit_up"].tolist() == slow["limit_up"].tolist()
    print(f"agreement on the slice: max |diff| {worst:.2e}; limit-up lists equal: {same_limits}")
    if worst > 1e-9 or not same_limits:
        print("DISAGREE")
        return 1
    if median > args.target:
        print(f"SLOW: {median:.2f} s > target {args.target:.0f} s")
        return 1
    print(f"target {args.target:.0f} s: met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
