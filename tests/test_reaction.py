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
    assert row["est_days"] == 34
    assert any("short: 34 of 110 days" in n for n in row["notes"])
    assert np.isfinite(row["beta"]) and np.isfinite(row["t_ar0"]) and row["t_ar0"] > 2
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
    assert row["est_days"] == 34
    assert np.isnan(row["alpha"]) and np.isnan(row["beta"]) and np.isnan(row["mm_ar0"])
    assert np.isnan(row["t_ar0"]) and np.isnan(row["t_car_0_3"])
    assert np.isfinite(row["ar0"])  # the market-adjusted figure needs no estimation
    assert any("has 34 days with returns (need 40)" in n for n in row["notes"])


def test_windows_and_path_agree(returns):
    members = [f"{c}.SZ" for c in FOUR]
    row = sector_reaction(returns, DAY0, members)
    path = cumulative_abnormal_path(returns, DAY0, members).set_index("rel_day")
    assert list(path.index) == list(range(-5, 6))
    assert path.loc[0, "date"] == pd.Timestamp(DAY0)
    assert path.loc[0, "ar"] == pytest.approx(row["ar0"])
    assert path.loc[0:1, "ar"].sum() == pytest.approx(row["car_0_1"])
    assert path.loc[0:3, "ar"].sum() == pytest.approx(row["car_0_3"])
    assert path.loc[-3:-1, "ar"].sum() == pytest.approx(row["car_m3_m1"])
    assert path.loc[0:3, "mm_ar"].sum() == pytest.approx(row["mm_car_0_3"])
    assert path["car"].iloc[-1] == pytest.approx(path["ar"].sum())
    assert row["t_car_0_3"] == pytest.approx(row["car_0_3"] / (row["est_sd"] * 2))
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


def test_market_model_by_hand():
    frame = tiny_returns()
    members = ["A.SZ", "B.SZ"]
    row = sector_reaction(
        frame, frame.index[6], members, benchmark="IDX", estimation=(-6, -1), min_estimation_days=4
    )
    sector = sector_returns(frame, members)["sector_return"].to_numpy()
    bench = frame["IDX"].to_numpy()
    beta, alpha = np.polyfit(bench[:6], sector[:6], 1)
    assert row["alpha"] == pytest.approx(alpha)
    assert row["beta"] == pytest.approx(beta)
    resid = sector[:6] - alpha - beta * bench[:6]
    sd = np.sqrt((resid**2).sum() / 4)
    assert row["mm_est_sd"] == pytest.approx(sd)
    mm_ar0 = sector[6] - alpha - beta * bench[6]
    assert row["mm_ar0"] == pytest.approx(mm_ar0)
    assert row["mm_t_ar0"] == pytest.approx(mm_ar0 / sd)
    ma_sd = np.std(sector[:6] - bench[:6], ddof=1)
    assert row["est_sd"] == pytest.approx(ma_sd)
    assert row["t_car_0_1"] == pytest.approx(
        (sector[6] - bench[6] + sector[7] - bench[7]) / (ma_sd * np.sqrt(2))
    )
    assert row["est_days"] == 6


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
    rough = sector_reaction(ret, "2022-07-08", members, benchmark="IDX")
    assert rough["limit_up"] == ["600001.SS"]  # +9.76% is within 0.3 pp of 10%
    assert rough["limit_down"] == ["600002.SS"]
    assert any("from returns" in n for n in rough["notes"])


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
