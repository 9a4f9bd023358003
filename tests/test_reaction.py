"""The event study, checked against a hand computation on the recorded 2022-07-08 prices."""

from __future__ import annotations

import csv
import json
import tomllib
from importlib import resources

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from conftest import DATA
from newsmon.analysis.prices import close_panel, daily_returns, parse_price_table
from newsmon.analysis.reaction import (
    REACTION_COLUMNS,
    cumulative_abnormal_path,
    has_price_data,
    plain,
    price_limit,
    reaction_events,
    reaction_record,
    reaction_records,
    sector_reaction,
    sector_returns,
    story_reactions,
)
from newsmon.analysis.tagging import sector_taxonomy

MARKET = DATA / "market"
FOUR = ["002045", "300088", "002047", "300433"]
CHOICE = MARKET / "choice_csi300_000300SH_daily_2022-04_2022-09.csv"
TUSHARE = MARKET / "tushare_index_daily_000300SH_2022-04_2022-09.csv"
SECTORS_TOML = resources.files("newsmon.config") / "sectors.toml"
DAY0 = "2022-07-08"


# ---------------------------------------------------------------- the hand computation


def csv_close_return(path, date_col: str, close_col: str, day: str, fmt=lambda d: d) -> float:
    """close_t / close_{t-1} - 1 read with the csv module (previous date in the file)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        closes = {row[date_col]: float(row[close_col]) for row in csv.DictReader(handle)}
    dates = sorted(closes)
    t = dates.index(fmt(day))
    return closes[dates[t]] / closes[dates[t - 1]] - 1


def hand_member_returns() -> dict[str, float]:
    return {
        code: csv_close_return(
            MARKET / f"samleon_daily_{code}_2022-05_2022-08.csv", "date", "close", DAY0
        )
        for code in FOUR
    }


def hand_csi300_return() -> float:
    return csv_close_return(CHOICE, "交易日期", "收盘价", DAY0)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    files = [MARKET / f"samleon_daily_{code}_2022-05_2022-08.csv" for code in FOUR]
    return pd.concat(
        [parse_price_table(f.read_bytes(), f.name) for f in [*files, CHOICE]], ignore_index=True
    )


@pytest.fixture(scope="module")
def returns(prices) -> pd.DataFrame:
    return daily_returns(prices)


@pytest.fixture(scope="module")
def closes(prices) -> pd.DataFrame:
    return close_panel(prices)


@pytest.fixture(scope="module")
def metaverse() -> dict:
    sectors = sector_taxonomy(tomllib.loads(SECTORS_TOML.read_text(encoding="utf-8")))
    return sectors["metaverse"]


# ---------------------------------------------------------------- the 2022-07-08 event


def test_hand_computation_inputs():
    members = hand_member_returns()
    assert members["002045"] == pytest.approx(9.00 / 8.18 - 1)
    assert members["002047"] == pytest.approx(4.07 / 3.70 - 1)
    csi = hand_csi300_return()
    assert csi == pytest.approx(4428.78 / 4443.47 - 1)
    tushare = csv_close_return(
        TUSHARE, "trade_date", "close", DAY0, fmt=lambda d: d.replace("-", "")
    )
    assert tushare == pytest.approx(csi, abs=1e-15)


def test_metaverse_day0_abnormal_return_matches_hand_computation(returns, closes, metaverse):
    members = hand_member_returns()
    csi = hand_csi300_return()
    expected_ar = sum(members.values()) / len(members) - csi

    row = sector_reaction(
        returns,
        DAY0,
        metaverse,
        event_time=pd.Timestamp("2022-07-08T02:06:12Z"),
        story_id="shanghai-plans",
        sector="metaverse",
        closes=closes,
    )
    assert row["ar0"] == pytest.approx(expected_ar, abs=1e-12)
    assert row["benchmark_return"] == pytest.approx(csi, abs=1e-12)
    assert row["ar0"] > 0.05  # strongly positive ...
    assert row["benchmark_return"] < 0  # ... while CSI 300 fell
    # the configured members without recorded prices are missing, not zero
    assert row["n_members"] == len(metaverse["members"])
    assert row["n_members_with_data"] == 4
    assert any("not counted as 0" in n and "002241.SZ" in n for n in row["notes"])
    # 国光电器 and 宝鹰股份 closed limit-up (10%); the ChiNext pair did not reach 20%
    assert row["limit_up"] == ["002045.SZ", "002047.SZ"]
    assert any(n.startswith("limit-up close understates demand") for n in row["notes"])
    # estimation window: members start 2022-05-05, so 34 of the 110 days exist
    with_data = {f"{c}.SZ" for c in FOUR}
    assert {t: d for t, d in row["est_days"].items() if t in with_data} == dict.fromkeys(
        with_data, 34
    )
    assert set(row["est_members"]) == with_data
    assert any("short for 4 members" in n and "002045.SZ 34" in n for n in row["notes"])
    # every member with data has a model: the standardized cross-sectional test (BMP)
    assert row["test_ar0"] == "BMP" and row["n_ar0"] == 4 and row["t_ar0"] > 2
    assert np.isfinite(row["mm_ar0"]) and row["mm_n_ar0"] == 4
    assert np.isnan(row["ar_30m"])
    assert any("no minute bars" in n for n in row["notes"])


def test_member_without_a_row_that_day(prices, metaverse):
    members = hand_member_returns()
    csi = hand_csi300_return()
    dropped = prices[~((prices["ticker"] == "300433.SZ") & (prices["date"] == DAY0))]
    row = sector_reaction(daily_returns(dropped), DAY0, metaverse)
    assert row["n_members_with_data"] == 3
    rest = [members[c] for c in ("002045", "300088", "002047")]
    assert row["sector_return"] == pytest.approx(sum(rest) / 3, abs=1e-12)
    assert row["ar0"] == pytest.approx(sum(rest) / 3 - csi, abs=1e-12)
    assert any("300433.SZ" in n for n in row["notes"])


def test_too_few_estimation_days(returns):
    row = sector_reaction(returns, DAY0, [f"{c}.SZ" for c in FOUR], min_estimation_days=40)
    assert set(row["est_days"].values()) == {34} and row["est_members"] == []
    assert np.isnan(row["mm_ar0"]) and np.isnan(row["mm_t_ar0"]) and row["mm_n_ar0"] == 0
    assert np.isfinite(row["ar0"])  # the market-adjusted figure needs no estimation
    # ... and neither does the plain cross-sectional t
    assert row["test_ar0"] == "cross-sectional t" and np.isfinite(row["t_car_0_3"])
    assert any("no member has 40 days with returns (most: 34)" in n for n in row["notes"])


def test_windows_and_path_agree(returns):
    members = [f"{c}.SZ" for c in FOUR]
    row = sector_reaction(returns, DAY0, members)
    path = cumulative_abnormal_path(returns, DAY0, members).set_index("rel_day")
    assert list(path.index) == list(range(-5, 6))
    assert path.loc[0, "date"] == pd.Timestamp(DAY0)
    assert path.loc[0, "ar"] == pytest.approx(row["ar0"])
    # no member misses a session here: the windows are sums of the daily sector ARs
    assert path.loc[0:1, "ar"].sum() == pytest.approx(row["car_0_1"])
    assert path.loc[0:3, "ar"].sum() == pytest.approx(row["car_0_3"])
    assert path.loc[-3:-1, "ar"].sum() == pytest.approx(row["car_m3_m1"])
    # the line: zero at day -1, CAR[0, k] after, minus CAR[k+1, -1] before
    assert path.loc[-1, "car"] == 0.0
    assert path.loc[3, "car"] == pytest.approx(row["car_0_3"])
    assert path.loc[5, "car"] == pytest.approx(path.loc[0:5, "ar"].sum())
    assert path.loc[-5, "car"] == pytest.approx(-path.loc[-4:-1, "ar"].sum())
    assert path.loc[3, "mm_car"] == pytest.approx(row["mm_car_0_3"])
    assert (path["n_members_with_data"] == 4).all()


def test_window_past_the_data(returns):
    row = sector_reaction(returns, "2022-08-30", [f"{c}.SZ" for c in FOUR])
    assert np.isfinite(row["car_0_1"])
    assert np.isnan(row["car_0_3"])  # the members' files end 2022-08-31
    assert any("car_0_3 [0, 3]" in n for n in row["notes"])


def test_day0_not_in_the_data(returns):
    row = sector_reaction(returns, "2022-07-09", [f"{c}.SZ" for c in FOUR])  # a Saturday
    assert np.isnan(row["ar0"]) and row["n_members_with_data"] == 0
    assert any("not a session" in n for n in row["notes"])


# ---------------------------------------------------------------- tiny frames


def tiny_returns() -> pd.DataFrame:
    days = pd.bdate_range("2022-07-01", periods=8, name="date")
    frame = pd.DataFrame(
        {
            "A.SZ": [0.01, -0.02, 0.00, 0.01, 0.03, 0.05, 0.01, -0.01],
            "B.SZ": [0.02, 0.00, -0.01, np.nan, 0.01, 0.01, 0.02, 0.00],
            "IDX": [0.005, -0.01, 0.00, 0.004, 0.01, -0.002, 0.003, 0.0],
        },
        index=days,
    )
    frame.columns.name = "ticker"
    return frame


def test_sector_returns_tiny():
    frame = tiny_returns()
    before = frame.copy()
    got = sector_returns(frame, ["A.SZ", "B.SZ", "C.SZ"])
    pdt.assert_frame_equal(frame, before)
    assert list(got.columns) == ["sector_return", "n_members", "n_members_with_data"]
    assert got["n_members"].unique().tolist() == [3]
    assert got["n_members_with_data"].tolist() == [2, 2, 2, 1, 2, 2, 2, 2]
    assert got["sector_return"].iloc[3] == pytest.approx(0.01)  # B missing: A alone
    assert got["sector_return"].iloc[0] == pytest.approx(0.015)
    weighted = sector_returns(frame, {"A.SZ": 3.0, "B.SZ": 1.0})
    assert weighted["sector_return"].iloc[0] == pytest.approx((3 * 0.01 + 0.02) / 4)


def test_sector_returns_empty_and_no_data():
    empty = tiny_returns().iloc[:0]
    assert sector_returns(empty, ["A.SZ"]).empty
    nobody = sector_returns(tiny_returns(), ["X.SZ"])
    assert nobody["sector_return"].isna().all()
    assert (nobody["n_members_with_data"] == 0).all()


def tiny_three() -> pd.DataFrame:
    """Three members and an index over 8 sessions, for the cross-sectional tests by hand."""
    frame = tiny_returns().drop(columns="B.SZ")
    frame["B.SZ"] = [0.02, 0.00, -0.01, 0.005, 0.01, 0.01, 0.02, 0.00]
    frame["C.SZ"] = [-0.01, 0.01, 0.02, -0.005, 0.00, 0.03, -0.01, 0.01]
    return frame


def test_market_model_and_tests_by_hand():
    frame = tiny_three()
    members = ["A.SZ", "B.SZ", "C.SZ"]
    day0 = frame.index[6]
    row = sector_reaction(
        frame, day0, members, benchmark="IDX", estimation=(-6, -1), min_estimation_days=4
    )
    bench = frame["IDX"].to_numpy()
    mm_ars, mm_scars, scars, ars, cars = [], [], [], [], []
    for t in members:
        y = frame[t].to_numpy()
        beta, alpha = np.polyfit(bench[:6], y[:6], 1)
        resid = y[:6] - alpha - beta * bench[:6]
        sd = np.sqrt((resid**2).sum() / 4)
        mm = y[6] - alpha - beta * bench[6]
        # the OLS forecast error of one day: sd^2 (1 + 1/T + (Rb0 - mean)^2 / Sxx)
        sxx = ((bench[:6] - bench[:6].mean()) ** 2).sum()
        fe = sd * np.sqrt(1 + 1 / 6 + (bench[6] - bench[:6].mean()) ** 2 / sxx)
        mm_ars.append(mm)
        mm_scars.append(mm / fe)
        ma_sd = np.std(y[:6] - bench[:6], ddof=1)
        ars.append(y[6] - bench[6])
        scars.append((y[6] - bench[6]) / ma_sd)
        cars.append(y[6] - bench[6] + y[7] - bench[7])
    assert row["mm_ar0"] == pytest.approx(np.mean(mm_ars))
    bmp = np.mean(mm_scars) / (np.std(mm_scars, ddof=1) / np.sqrt(3))
    assert row["mm_t_ar0"] == pytest.approx(bmp)
    assert row["ar0"] == pytest.approx(np.mean(ars))
    assert row["test_ar0"] == "BMP"
    assert row["t_ar0"] == pytest.approx(np.mean(scars) / (np.std(scars, ddof=1) / np.sqrt(3)))
    assert row["est_days"] == dict.fromkeys(members, 6)
    # without enough estimation days: the plain cross-sectional t on the same members
    plain_row = sector_reaction(frame, day0, members, benchmark="IDX", estimation=(-6, -1))
    assert plain_row["test_car_0_1"] == "cross-sectional t"
    t = np.mean(cars) / (np.std(cars, ddof=1) / np.sqrt(3))
    assert plain_row["t_car_0_1"] == pytest.approx(t)
    # two members are too few for a cross-sectional test
    two = sector_reaction(frame, day0, members[:2], benchmark="IDX", estimation=(-6, -1))
    assert np.isnan(two["t_ar0"]) and two["test_ar0"] is None
    assert any("needs 3" in n for n in two["notes"])


def test_benchmark_series_and_missing_benchmark():
    frame = tiny_returns()
    series = frame["IDX"].rename("my index")
    row = sector_reaction(frame.drop(columns="IDX"), frame.index[5], ["A.SZ"], benchmark=series)
    assert row["benchmark"] == "my index"
    assert row["ar0"] == pytest.approx(0.05 + 0.002)
    with pytest.raises(ValueError, match="000300.SS"):
        sector_reaction(frame, frame.index[5], ["A.SZ"])


def test_story_reactions_many_rows_keep_order():
    frame = tiny_returns()
    events = pd.DataFrame(
        {
            "story_id": ["s1", "s2", "s1"],
            "sector": ["b", "a", "a"],
            "event_session": [frame.index[5], frame.index[6], frame.index[5]],
        }
    )
    before = events.copy()
    sectors = {"a": {"members": ["A.SZ"], "benchmark": "IDX"}, "b": ["B.SZ"]}
    out = story_reactions(events, frame, sectors, benchmark="IDX", min_estimation_days=3)
    pdt.assert_frame_equal(events, before)
    assert list(out.columns) == REACTION_COLUMNS
    assert out[["story_id", "sector"]].values.tolist() == [["s1", "b"], ["s2", "a"], ["s1", "a"]]
    assert out["ar0"].tolist() == pytest.approx([0.012, 0.007, 0.052])


def test_story_reactions_empty_and_unknown_sector():
    frame = tiny_returns()
    empty = pd.DataFrame({"story_id": [], "sector": [], "event_session": []})
    out = story_reactions(empty, frame, {"a": ["A.SZ"]}, benchmark="IDX")
    assert out.empty and list(out.columns) == REACTION_COLUMNS
    events = pd.DataFrame({"story_id": ["s"], "sector": ["zz"], "event_session": ["2022-07-05"]})
    with pytest.raises(ValueError, match="zz"):
        story_reactions(events, frame, {"a": ["A.SZ"]}, benchmark="IDX")


# ---------------------------------------------------------------- price limits


def test_price_limit_rules():
    assert price_limit("002045.SZ", pd.Timestamp(DAY0)) == 0.10
    assert price_limit("600000.SS", pd.Timestamp(DAY0)) == 0.10
    assert price_limit("300433.SZ", pd.Timestamp(DAY0)) == 0.20
    assert price_limit("300433.SZ", pd.Timestamp("2020-08-21")) == 0.10
    assert price_limit("688981.SS", pd.Timestamp(DAY0)) == 0.20
    assert price_limit("430047.BJ", pd.Timestamp(DAY0)) == 0.30


def test_limit_flags_exact_and_from_returns():
    days = pd.to_datetime(["2022-07-07", "2022-07-08"])
    close = pd.DataFrame(
        {
            "600001.SS": [1.23, 1.35],  # limit 1.353 -> 1.35: +9.76% is limit-up
            "300001.SZ": [10.0, 11.0],  # ChiNext +10%: not its limit
            "600002.SS": [10.0, 9.0],  # -10%: limit-down
            "600003.SS": [10.0, 10.96],  # +9.6%: not at the limit
            "IDX": [100.0, 100.0],
        },
        index=pd.DatetimeIndex(days, name="date"),
    )
    ret = close / close.shift(1) - 1
    members = ["600001.SS", "300001.SZ", "600002.SS", "600003.SS"]
    exact = sector_reaction(ret, "2022-07-08", members, benchmark="IDX", closes=close)
    assert exact["limit_up"] == ["600001.SS"]
    assert exact["limit_down"] == ["600002.SS"]
    # without the closes the rule cannot be applied: no flags from returns near 10%
    rough = sector_reaction(ret, "2022-07-08", members, benchmark="IDX")
    assert rough["limit_up"] == [] and rough["limit_down"] == []
    assert any("no raw closes" in n for n in rough["notes"])


# ---------------------------------------------------------------- intraday


def bars_for(ticker: str, prices: list[float], start: str = "2022-07-08 09:30") -> pd.DataFrame:
    ts = pd.date_range(start, periods=len(prices), freq="1min", tz="Asia/Shanghai")
    return pd.DataFrame(
        {
            "ticker": ticker,
            "ts": ts.tz_convert("UTC"),
            "interval": "1m",
            "open": prices,
            "high": prices,
            "low": prices,
            "close": prices,
            "volume": 100.0,
            "source": "test",
        }
    )


def test_intraday_windows_from_minute_bars():
    frame = tiny_returns()
    day0 = pd.Timestamp("2022-07-08")
    frame = frame.rename(index={frame.index[5]: day0})
    frame.index.name = "date"
    # 240 one-minute bars: 09:30-11:29 and 13:00-14:59
    morning = np.linspace(10.0, 12.0, 120)
    afternoon = np.linspace(12.0, 11.0, 120)
    a = pd.concat(
        [
            bars_for("A.SZ", list(morning)),
            bars_for("A.SZ", list(afternoon), "2022-07-08 13:00"),
        ]
    )
    idx = pd.concat(
        [
            bars_for("IDX", [100.0] * 120),
            bars_for("IDX", [99.0] * 120, "2022-07-08 13:00"),
        ]
    )
    bars = pd.concat([a, idx], ignore_index=True)
    event = pd.Timestamp("2022-07-08 10:06:12", tz="Asia/Shanghai").tz_convert("UTC")
    row = sector_reaction(
        frame, day0, ["A.SZ"], benchmark="IDX", event_time=event, bars=bars, min_estimation_days=3
    )
    # reference: the 10:05 bar (ends 10:06); +30 min = 10:36:12 -> the 10:35 bar
    ref, p30, p60 = morning[35], morning[65], morning[95]
    assert row["ar_30m"] == pytest.approx(p30 / ref - 1)
    assert row["ar_60m"] == pytest.approx(p60 / ref - 1)
    assert row["ar_close"] == pytest.approx(afternoon[-1] / ref - 1 - (99.0 / 100.0 - 1))
    assert not any("minute bars" in n for n in row["notes"])


# ---------------------------------------------------------------- stored rows


def test_reaction_events_keep_relevant_sector_tags():
    tags = [
        {"kind": "stock", "code": "A.SZ", "relevance": 95},
        {"kind": "sector", "code": "a", "relevance": 30},
        {"kind": "sector", "code": "b", "relevance": 29},
        {"kind": "sector", "code": "zz", "relevance": 90},  # not in the taxonomy
        {"kind": "sector", "code": "c", "relevance": None},
    ]
    sectors = {"a": {}, "b": {}, "c": {}}
    day0 = pd.Timestamp("2022-07-08")
    events = reaction_events(
        "s1", tags, sectors, event_session=day0, event_time="t", min_relevance=30
    )
    assert events == [{"story_id": "s1", "sector": "a", "event_session": day0, "event_time": "t"}]
    assert (
        reaction_events("s1", [], sectors, event_session=day0, event_time=None, min_relevance=0)
        == []
    )


def test_plain():
    assert plain(np.float64(0.5)) == 0.5 and type(plain(np.float64(0.5))) is float
    assert type(plain(np.int64(3))) is int
    assert plain(float("nan")) is None and plain(np.float64("nan")) is None and plain(None) is None
    assert plain(pd.Timestamp("2022-07-08")) == "2022-07-08T00:00:00"
    assert plain(("x", np.int64(1), float("nan"))) == ["x", 1, None]
    assert plain("note") == "note"


def test_reaction_record_and_price_data():
    frame = tiny_returns()
    event = pd.Timestamp("2022-07-08 02:06:12", tz="UTC")
    row = sector_reaction(
        frame,
        frame.index[5],
        ["A.SZ", "B.SZ"],
        benchmark="IDX",
        event_time=event,
        story_id="s1",
        sector="a",
        min_estimation_days=3,
    )
    path = cumulative_abnormal_path(frame, frame.index[5], ["A.SZ", "B.SZ"], benchmark="IDX")
    record = reaction_record(row, path)
    assert set(record) == {"story_id", "sector_id", "event_time", "event_session", "figures"}
    assert (record["story_id"], record["sector_id"]) == ("s1", "a")
    assert record["event_time"] == "2022-07-08T02:06:12Z"
    assert record["event_session"] == frame.index[5].strftime("%Y-%m-%d")
    figures = record["figures"]
    assert not {"story_id", "sector", "event_time", "event_session"} & set(figures)
    assert figures["ar0"] == pytest.approx(row["ar0"])
    assert [p["day"] for p in figures["path"]] == list(range(-5, 6))
    assert figures["path"][5]["car"] == pytest.approx(path["car"].iloc[5])
    assert figures["path"][-1]["car"] is None  # past the data
    assert json.loads(json.dumps(figures)) == figures  # JSON-safe as it is
    assert has_price_data(figures)
    assert not has_price_data(dict(figures, n_members_with_data=0))
    assert not has_price_data(dict(figures, benchmark_return=None))
    assert not has_price_data({})


def test_reaction_records_group_by_benchmark():
    frame = tiny_returns().assign(IDX2=0.0)
    sectors = {
        "a": {"members": ["A.SZ"], "benchmark": "IDX2"},
        "b": {"members": ["B.SZ"]},  # the default benchmark
    }
    events = pd.DataFrame(
        {
            "story_id": ["s1", "s2"],
            "sector": ["b", "a"],
            "event_session": [frame.index[5], frame.index[6]],
            "event_time": [pd.Timestamp("2022-07-08 02:00", tz="UTC")] * 2,
        }
    )
    records = reaction_records(
        events, frame, sectors, default_benchmark="IDX", min_estimation_days=3
    )
    assert [(r["story_id"], r["figures"]["benchmark"]) for r in records] == [
        ("s1", "IDX"),
        ("s2", "IDX2"),
    ]
    assert records[0]["figures"]["ar0"] == pytest.approx(0.01 - (-0.002))  # B.SZ - IDX
    assert records[1]["figures"]["ar0"] == pytest.approx(0.01 - 0.0)  # A.SZ - IDX2
    assert reaction_records(pd.DataFrame(), frame, sectors) == []


def test_reaction_record_event_time_is_utc():
    path = pd.DataFrame({"rel_day": [0], "car": [np.nan], "mm_car": [0.01]})
    row = {"story_id": "s", "sector": "a", "event_session": pd.Timestamp("2022-07-08"), "ar0": 0.1}
    shanghai = pd.Timestamp("2022-07-08 10:06:12", tz="Asia/Shanghai")
    record = reaction_record(dict(row, event_time=shanghai), path)
    assert record["event_time"] == "2022-07-08T02:06:12Z"
    naive = reaction_record(dict(row, event_time=pd.Timestamp("2022-07-08 02:06:12")), path)
    assert naive["event_time"] == "2022-07-08T02:06:12Z"  # naive is UTC
    assert record["figures"] == {"ar0": 0.1, "path": [{"day": 0, "car": None, "mm_car": 0.01}]}


# ---------------------------------------------------------------- the demo's recorded prices
#
# Every recorded daily file of newsmon/data/market, every kind of adjustment, on the XSHG
# sessions of the calendar: what the pipeline computes from.

CROSS = MARKET / "samleon_daily_all_ashares_2022-07-01_2022-07-15.csv"


@pytest.fixture(scope="module")
def recorded():
    from newsmon.analysis.calendar import exchange_calendar
    from newsmon.demo import market_paths
    from newsmon.providers import CSVProvider

    prices = CSVProvider(market_paths(), adjusted=None).frame()
    sessions = exchange_calendar().sessions_in_range(prices["date"].min(), prices["date"].max())
    return prices, pd.DatetimeIndex(sessions)


def panels(prices, sessions):
    from newsmon.analysis.prices import adjusted_returns, raw_closes

    return adjusted_returns(prices, sessions), raw_closes(prices, sessions)


@pytest.fixture(scope="module")
def full(recorded):
    """Returns and raw closes of every recorded file, on the sessions."""
    return panels(*recorded)


@pytest.fixture(scope="module")
def taxonomy():
    return sector_taxonomy(tomllib.loads(SECTORS_TOML.read_text(encoding="utf-8")))


def cross_closes() -> dict[str, dict[str, float]]:
    """code -> date -> close of the cross-section, read with the csv module."""
    out: dict[str, dict[str, float]] = {}
    with open(CROSS, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            out.setdefault(rec["code"], {})[rec["date"]] = float(rec["close"])
    return out


def hand_ar(code: str, day: str, prev: str, closes, csi) -> float:
    return closes[code][day] / closes[code][prev] - 1 - (csi[day] / csi[prev] - 1)


def choice_closes() -> dict[str, float]:
    with open(CHOICE, encoding="utf-8-sig", newline="") as fh:
        return {r["交易日期"]: float(r["收盘价"]) for r in csv.DictReader(fh)}


def test_smart_home_day0_leaves_out_the_ex_rights_day(recorded, full, taxonomy):
    prices, sessions = recorded
    returns, closes = full
    row = sector_reaction(returns, DAY0, taxonomy["smart_home"], closes=closes, sessions=sessions)
    closes_csv, csi = cross_closes(), choice_closes()
    others = ["000333", "000651", "600690", "603486", "002032", "002508"]
    expected = sum(hand_ar(c, DAY0, "2022-07-07", closes_csv, csi) for c in others) / 6
    assert row["ar0"] == pytest.approx(expected, abs=1e-12)  # -0.03%, not -3.88%
    assert row["n_members_with_data"] == 6
    assert "688169.SS" not in row["limit_down"]
    (note,) = [n for n in row["notes"] if "688169.SS" in n and "corporate action" in n]
    assert "2022-07-08" in note and "-27.34%" in note and "±20%" in note


def test_nev_path_leaves_out_ganfengs_ex_rights_day(recorded, full, taxonomy):
    prices, sessions = recorded
    returns, closes = full
    nev = taxonomy["nev_batteries"]
    row = sector_reaction(returns, DAY0, nev, closes=closes, sessions=sessions)
    assert any("002460.SZ" in n and "2022-07-04" in n and "-29.71%" in n for n in row["notes"])
    path = cumulative_abnormal_path(returns, DAY0, nev, sessions=sessions).set_index("rel_day")
    # day -5's point is minus the CAR of days -4..-1 (07-04..07-07) of the members that
    # have all four days: 002460.SZ's 07-04 is not a move, so it rests on the other seven
    closes_csv, csi = cross_closes(), choice_closes()
    days = ["2022-07-01", "2022-07-04", "2022-07-05", "2022-07-06", "2022-07-07"]
    codes = [t.split(".")[0] for t in (m["ticker"] for m in nev["members"])]
    cars = [
        sum(hand_ar(c, d, p, closes_csv, csi) for p, d in zip(days, days[1:], strict=False))
        for c in codes
        if c != "002460"
    ]
    assert path.loc[-5, "car"] == pytest.approx(-sum(cars) / len(cars), abs=1e-12)
    assert path.loc[-5, "n_members_with_data"] == 7


def test_a_session_missing_from_every_file_is_missing_not_a_longer_return(recorded, taxonomy):
    prices, sessions = recorded
    gone = prices[prices["date"] != pd.Timestamp("2022-07-11")]
    returns, closes = panels(gone, sessions)
    row = sector_reaction(returns, DAY0, taxonomy["metaverse"], closes=closes, sessions=sessions)
    assert np.isnan(row["car_0_1"]) and row["n_car_0_1"] == 0  # not 4.89% over two sessions
    assert any("car_0_1" in n and "2022-07-11" in n for n in row["notes"])
    path = cumulative_abnormal_path(
        returns, DAY0, taxonomy["metaverse"], sessions=sessions
    ).set_index("rel_day")
    assert path.loc[1, "date"] == pd.Timestamp("2022-07-11")  # day +1 is still that session
    assert np.isnan(path.loc[1, "car"])
    # with the session there, the same call gives the one-session figure
    whole = sector_reaction(
        panels(prices, sessions)[0], DAY0, taxonomy["metaverse"], sessions=sessions
    )
    assert whole["car_0_1"] == pytest.approx(0.0584, abs=5e-5)


def test_every_demo_sector_row_has_a_named_test(recorded, full, taxonomy):
    prices, sessions = recorded
    returns, closes = full
    sectors = [
        "carbon_trading",
        "chips",
        "green_low_carbon",
        "hydrogen",
        "metaverse",
        "nev_batteries",
        "robots",
        "smart_home",
        "smart_vehicles",
        "wearables",
    ]
    events = pd.DataFrame({"story_id": "s", "sector": sectors, "event_session": pd.Timestamp(DAY0)})
    rows = story_reactions(events, returns, taxonomy, closes=closes, sessions=sessions)
    for r in rows.to_dict("records"):
        assert np.isfinite(r["t_ar0"]), r["sector"]
        assert r["test_ar0"] in ("BMP", "cross-sectional t"), r["sector"]
        assert r["n_ar0"] == r["n_members_with_data"]


def test_metaverse_test_rests_on_the_event_members_and_says_which_have_estimation(
    recorded, taxonomy
):
    prices, sessions = recorded
    returns, closes = panels(prices, sessions)
    row = sector_reaction(returns, DAY0, taxonomy["metaverse"], closes=closes, sessions=sessions)
    ars = []
    closes_csv, csi = cross_closes(), choice_closes()
    for m in taxonomy["metaverse"]["members"]:
        ars.append(hand_ar(m["ticker"].split(".")[0], DAY0, "2022-07-07", closes_csv, csi))
    t = np.mean(ars) / (np.std(ars, ddof=1) / np.sqrt(len(ars)))
    assert (row["test_ar0"], row["n_ar0"]) == ("cross-sectional t", 10)
    assert row["t_ar0"] == pytest.approx(t, rel=1e-12)
    assert row["est_members"] == ["002045.SZ", "300088.SZ", "002047.SZ", "300433.SZ"]
    assert any(
        "4 of 10 members with data" in n and "002045.SZ 34" in n and "market model" in n
        for n in row["notes"]
    )


def test_named_stocks_limit_up_by_the_price_rule(recorded):
    from newsmon.analysis.reaction import stock_reactions

    prices, sessions = recorded
    returns, closes = panels(prices, sessions)
    events = pd.DataFrame(
        {
            "story_id": "s",
            "ticker": ["002045.SZ", "002047.SZ", "300088.SZ"],
            "name": ["国光电器", "宝鹰股份", "长信科技"],
            "event_session": pd.Timestamp(DAY0),
        }
    )
    rows = stock_reactions(events, returns, closes=closes, sessions=sessions).set_index("ticker")
    assert rows.loc["002045.SZ", "return0"] == pytest.approx(9.00 / 8.18 - 1)  # +10.02%
    assert rows.loc["002047.SZ", "return0"] == pytest.approx(4.07 / 3.70 - 1)  # +10.00%
    assert rows.loc["002045.SZ", "limit_up_price"] == 9.00
    assert rows.loc["002047.SZ", "limit_up_price"] == 4.07
    assert rows["limit_up"].tolist() == [True, True, False]
    assert rows.loc["002045.SZ", "ar0"] == pytest.approx(9.00 / 8.18 - 1 - (4428.78 / 4443.47 - 1))


def test_the_path_agrees_with_the_table(recorded, full, taxonomy):
    prices, sessions = recorded
    returns, closes = full
    for sector in ("green_low_carbon", "metaverse", "nev_batteries"):
        row = sector_reaction(returns, DAY0, taxonomy[sector], sessions=sessions)
        path = cumulative_abnormal_path(
            returns, DAY0, taxonomy[sector], sessions=sessions
        ).set_index("rel_day")
        assert path.loc[-1, "car"] == 0.0  # every line passes zero where the event window starts
        assert path.loc[0, "car"] == pytest.approx(row["ar0"])
        assert path.loc[1, "car"] == pytest.approx(row["car_0_1"])
        assert path.loc[3, "car"] == pytest.approx(row["car_0_3"])
        assert path.loc[-4, "car"] == pytest.approx(-row["car_m3_m1"])
        assert path["car"].notna().all()  # every line runs from day -5


# ---------------------------------------------------------------- minute windows on a minute file

INTRADAY = MARKET / "intraday"
STOCK_1M = INTRADAY / "tushare_stk_mins_002045SZ_1min_2022-07-08_CONSTRUCTED.csv"
INDEX_1M = INTRADAY / "tushare_idx_mins_000300SH_1min_2022-07-08_CONSTRUCTED.csv"


def minute_closes(path) -> dict[str, float]:
    """trade_time (the bar's end, Asia/Shanghai) -> close, read with the csv module."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["trade_time"][11:16]: float(r["close"]) for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def minute_bars():
    from newsmon.analysis.prices import parse_bar_table

    return pd.concat(
        [parse_bar_table(p.read_bytes(), p.name) for p in (STOCK_1M, INDEX_1M)], ignore_index=True
    )


def stock_row(recorded, full, bars, shanghai_time: str):
    from newsmon.analysis.reaction import stock_reactions

    prices, sessions = recorded
    returns, closes = full
    event = pd.Timestamp(f"{DAY0} {shanghai_time}", tz="Asia/Shanghai").tz_convert("UTC")
    events = pd.DataFrame(
        {
            "story_id": ["s"],
            "ticker": ["002045.SZ"],
            "event_session": [pd.Timestamp(DAY0)],
            "event_time": [event],
        }
    )
    return stock_reactions(events, returns, closes=closes, bars=bars, sessions=sessions).iloc[0]


def test_minute_windows_equal_a_hand_computation(recorded, full, minute_bars):
    """10:06:12: the price at the event is the 10:06 bar's close (the bar 10:05-10:06);
    +5/+15/+30/+60 trading minutes are 10:11:12 ... 11:06:12, read at the bars ending
    10:11, 10:21, 10:36, 11:06; the close is the 15:00 bar."""
    row = stock_row(recorded, full, minute_bars, "10:06:12")
    stock, index = minute_closes(STOCK_1M), minute_closes(INDEX_1M)
    for name, at in [
        ("ar_5m", "10:11"),
        ("ar_15m", "10:21"),
        ("ar_30m", "10:36"),
        ("ar_60m", "11:06"),
        ("ar_close", "15:00"),
    ]:
        hand = stock[at] / stock["10:06"] - 1 - (index[at] / index["10:06"] - 1)
        assert row[name] == pytest.approx(hand, abs=1e-15), name
    assert not any("intraday" in n for n in row["notes"])


def test_minute_windows_across_the_lunch_break_and_from_the_auction(recorded, full, minute_bars):
    stock, index = minute_closes(STOCK_1M), minute_closes(INDEX_1M)
    # 11:28: +5 trading minutes is 13:03 (the lunch break does not count)
    row = stock_row(recorded, full, minute_bars, "11:28:00")
    hand = stock["13:03"] / stock["11:28"] - 1 - (index["13:03"] / index["11:28"] - 1)
    assert row["ar_5m"] == pytest.approx(hand, abs=1e-15)
    # in the lunch break: from 13:00, the price then the morning's last close (11:30)
    row = stock_row(recorded, full, minute_bars, "12:10:00")
    hand = stock["13:15"] / stock["11:30"] - 1 - (index["13:15"] / index["11:30"] - 1)
    assert row["ar_15m"] == pytest.approx(hand, abs=1e-15)
    # in the call auction: from 09:30, the auction's print (the 09:30 row)
    row = stock_row(recorded, full, minute_bars, "09:20:00")
    hand = stock["09:35"] / stock["09:30"] - 1 - (index["09:35"] / index["09:30"] - 1)
    assert row["ar_5m"] == pytest.approx(hand, abs=1e-15)


def test_sector_minute_windows_rest_on_the_members_with_bars(recorded, full, minute_bars, taxonomy):
    prices, sessions = recorded
    returns, closes = full
    event = pd.Timestamp("2022-07-08T02:06:12Z")
    row = sector_reaction(
        returns,
        DAY0,
        taxonomy["metaverse"],
        event_time=event,
        closes=closes,
        bars=minute_bars,
        sessions=sessions,
    )
    stock, index = minute_closes(STOCK_1M), minute_closes(INDEX_1M)
    hand = stock["10:36"] / stock["10:06"] - 1 - (index["10:36"] / index["10:06"] - 1)
    assert row["ar_30m"] == pytest.approx(hand, abs=1e-15) and row["n_intraday"] == 1
    assert any("1 of 10 members with minute bars" in n for n in row["notes"])
    without = sector_reaction(returns, DAY0, taxonomy["metaverse"], event_time=event)
    assert np.isnan(without["ar_close"])
    assert any("intraday windows not computed: no minute bars" in n for n in without["notes"])
