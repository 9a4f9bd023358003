"""Recorded price layouts -> one canonical frame; returns that never fill a gap."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from conftest import DATA
from newsmon.analysis.prices import (
    ISSUES_ATTR,
    MISSING_ATTR,
    PRICE_COLUMNS,
    canonical_ticker,
    close_panel,
    daily_returns,
    decode_price_text,
    empty_prices,
    is_index,
    parse_baostock,
    parse_price_table,
    parse_yfinance,
    price_rows,
    prices_from_rows,
    sniff_layout,
)

MARKET = DATA / "market"
SAMLEON_002045 = MARKET / "samleon_daily_002045_2022-05_2022-08.csv"
CHOICE = MARKET / "choice_csi300_000300SH_daily_2022-04_2022-09.csv"
TUSHARE = MARKET / "tushare_index_daily_000300SH_2022-04_2022-09.csv"
AKSHARE_002045 = MARKET / "akshare_hist_qfq_002045_2022-05_2022-08.csv"
BAOSTOCK = MARKET / "baostock_daily_raw_6tickers_2022-01-04_2022-02-11.csv"
YAHOO = MARKET / "yahoo_csv_sse_composite_000001SS_2022-05_2022-08.csv"
CHINEXT = MARKET / "yummyhe_chinext_399006_daily_2022-05_2022-08.csv"
CROSS = MARKET / "samleon_daily_all_ashares_2022-07-01_2022-07-15.csv"
RECORDED_YF = MARKET / "recorded" / "yfinance_download_000001SS_1d_2022-05-05_2022-09-01.csv"

DAY0 = pd.Timestamp("2022-07-08")


def parse_file(path, **kwargs) -> pd.DataFrame:
    """A recorded file through the pure parser, named as it is on disk."""
    return parse_price_table(path.read_bytes(), path.name, **kwargs)


def row(frame: pd.DataFrame, ticker: str, day: str) -> pd.Series:
    got = frame[(frame["ticker"] == ticker) & (frame["date"] == pd.Timestamp(day))]
    assert len(got) == 1
    return got.iloc[0]


def canonical(rows: list[dict]) -> pd.DataFrame:
    """A tiny canonical frame: missing columns NaN / 'none' / 'test'."""
    frame = pd.DataFrame(rows)
    frame["date"] = pd.to_datetime(frame["date"])
    for col in ("open", "high", "low", "volume", "amount", "adj_factor"):
        if col not in frame:
            frame[col] = np.nan
    if "adjusted" not in frame:
        frame["adjusted"] = "none"
    frame["source"] = "test"
    return frame[PRICE_COLUMNS]


# ---------------------------------------------------------------- tickers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sz.002045", "002045.SZ"),
        ("sz002045", "002045.SZ"),
        ("002045.SZ", "002045.SZ"),
        ("002045", "002045.SZ"),
        ("600000", "600000.SS"),
        ("sh.600000", "600000.SS"),
        ("000300.SH", "000300.SS"),
        ("000300SH", "000300.SS"),
        ("000300.SS", "000300.SS"),
        ("399006", "399006.SZ"),
        ("688981", "688981.SS"),
        ("430047", "430047.BJ"),
        # a bare 000001 is Ping An Bank, not the SSE Composite
        ("000001", "000001.SZ"),
    ],
)
def test_canonical_ticker(raw, expected):
    assert canonical_ticker(raw) == expected


def test_canonical_ticker_rejects_junk():
    with pytest.raises(ValueError, match="not an A-share code"):
        canonical_ticker("AAPL")
    with pytest.raises(ValueError, match="cannot tell the exchange"):
        canonical_ticker("123456")


def test_is_index():
    assert is_index("000300.SS") and is_index("399006.SZ") and is_index("000001.SS")
    assert not is_index("000001.SZ") and not is_index("600000.SS")


# ---------------------------------------------------------------- layouts


def test_samleon_layout_and_quirks():
    frame = parse_file(SAMLEON_002045)
    assert list(frame.columns) == PRICE_COLUMNS
    assert set(frame["ticker"]) == {"002045.SZ"}
    assert frame["date"].is_monotonic_increasing  # the file is newest first
    assert frame["date"].is_unique  # the duplicated 2022-07-08 row is gone
    assert len(frame) == 84
    day = row(frame, "002045.SZ", "2022-07-08")
    assert (day["open"], day["high"], day["low"], day["close"]) == (8.20, 9.00, 8.18, 9.00)
    # 'volume' in the file is turnover in CNY
    assert day["amount"] == pytest.approx(212786929.76)
    assert np.isnan(day["volume"])
    assert (day["adjusted"], day["source"]) == ("none", "samleon")
    issues = frame.attrs[ISSUES_ATTR]
    assert issues == [
        {
            "kind": "duplicate_row",
            "ticker": "002045.SZ",
            "date": "2022-07-08",
            "detail": "exact copy dropped",
        }
    ]


def test_conflicting_duplicate_keeps_one_and_reports():
    text = (
        "date,volume,low,close,open,high\n"
        "2022-07-08,100.0,8.18,9.00,8.20,9.00\n"
        "2022-07-08,100.0,8.18,8.99,8.20,9.00\n"
        "2022-07-07,50.0,8.12,8.18,8.12,8.26\n"
    )
    frame = parse_price_table(text, ticker="002045")
    assert frame["close"].tolist() == [8.18, 9.00]
    (issue,) = frame.attrs[ISSUES_ATTR]
    assert issue["kind"] == "conflicting_duplicate"
    assert issue["date"] == "2022-07-08"
    assert "9" in issue["detail"] and "8.99" in issue["detail"]


def test_samleon_needs_a_ticker_from_somewhere():
    text = "date,volume,low,close,open,high\n2022-07-08,1,1,1,1,1\n"
    with pytest.raises(ValueError, match="ticker="):
        parse_price_table(text)


def test_cross_section():
    frame = parse_file(CROSS)
    assert frame["source"].unique().tolist() == ["samleon_cross"]
    day = frame[frame["date"] == DAY0]
    assert len(day) > 4500
    # codes keep their leading zeros
    assert row(frame, "000001.SZ", "2022-07-08")["close"] > 0
    assert row(frame, "002045.SZ", "2022-07-08")["close"] == 9.00
    assert row(frame, "600000.SS", "2022-07-08")["close"] > 0
    assert frame["ticker"].str.fullmatch(r"\d{6}\.(SZ|SS|BJ)").all()
    # the cross-section agrees with the single-stock file
    single = parse_file(SAMLEON_002045)
    both = frame[frame["ticker"] == "002045.SZ"].merge(single, on=["ticker", "date"])
    assert len(both) == 11
    np.testing.assert_allclose(both["close_x"], both["close_y"])


def test_akshare_layout():
    frame = parse_file(AKSHARE_002045)
    assert frame["adjusted"].unique().tolist() == ["qfq"]  # from the file name
    day = row(frame, "002045.SZ", "2022-07-08")
    assert day["close"] == 9.00
    # 成交量 is in lots of 100 shares
    raw = pd.read_csv(AKSHARE_002045)
    lots = raw.loc[raw["日期"] == "2022-07-08", "成交量"].item()
    assert day["volume"] == lots * 100
    # qfq as of 2024 equals the raw 2022 prices for this ticker
    raw_prices = parse_file(SAMLEON_002045)
    merged = frame.merge(raw_prices, on=["ticker", "date"])
    np.testing.assert_allclose(merged["close_x"], merged["close_y"])
    # turnover agrees with SamLeon's mislabelled 'volume' to the yuan
    np.testing.assert_allclose(merged["amount_x"], merged["amount_y"], rtol=1e-6)


def test_akshare_without_adjustment_is_refused():
    text = AKSHARE_002045.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="adjusted="):
        parse_price_table(text, ticker="002045")
    frame = parse_price_table(text, ticker="002045", adjusted="qfq")
    assert frame["adjusted"].unique().tolist() == ["qfq"]


def test_baostock_layout():
    frame = parse_file(BAOSTOCK)
    assert set(frame["ticker"]) == {
        "002045.SZ",
        "300088.SZ",
        "002047.SZ",
        "300433.SZ",
        "300024.SZ",
        "300832.SZ",
    }
    day = row(frame, "002045.SZ", "2022-01-04")
    assert (day["close"], day["volume"], day["adjusted"]) == (15.41, 36147019.0, "none")
    assert day["amount"] == pytest.approx(550166987.39)


def test_baostock_suspended_rows_dropped_and_reported():
    raw = pd.DataFrame(
        {
            "date": ["2022-01-04", "2022-01-05"],
            "code": ["sh.600000", "sh.600000"],
            "open": ["8.0", "8.1"],
            "high": ["8.2", "8.1"],
            "low": ["7.9", "8.1"],
            "close": ["8.1", "8.1"],
            "volume": ["1000", "0"],
            "amount": ["8100", "0"],
            "adjustflag": ["2", "2"],
            "tradestatus": ["1", "0"],
        }
    )
    frame = parse_baostock(raw)
    assert frame["date"].tolist() == [pd.Timestamp("2022-01-04")]
    assert frame["adjusted"].tolist() == ["qfq"]
    assert frame.attrs[ISSUES_ATTR][0]["kind"] == "suspended"
    assert raw["tradestatus"].tolist() == ["1", "0"]  # input untouched


def test_tushare_and_choice_agree():
    tushare = parse_file(TUSHARE)
    choice = parse_file(CHOICE)
    assert set(tushare["ticker"]) == set(choice["ticker"]) == {"000300.SS"}
    assert tushare["date"].is_monotonic_increasing
    assert tushare["open"].isna().all()  # tushare's file has no open
    pdt.assert_series_equal(
        tushare.set_index("date")["close"], choice.set_index("date")["close"], check_names=False
    )
    day = row(choice, "000300.SS", "2022-07-08")
    assert day["close"] == 4428.78
    assert day["volume"] == pytest.approx(1231957.39 * 10_000)  # 万股
    assert day["amount"] == pytest.approx(30403110.73 * 10_000)  # 万元


def test_yahoo_csv_drops_index_volume():
    frame = parse_file(YAHOO)
    assert set(frame["ticker"]) == {"000001.SS"}
    assert frame["volume"].isna().all()
    assert frame.attrs[ISSUES_ATTR][0]["kind"] == "index_volume"
    assert row(frame, "000001.SS", "2022-07-08")["close"] == pytest.approx(3356.080078)


def test_yummyhe_chinext():
    frame = parse_file(CHINEXT)
    assert set(frame["ticker"]) == {"399006.SZ"}
    assert len(frame) == 84
    assert frame["amount"].isna().all()


def test_recorded_yfinance_response_loads_like_the_yahoo_csv():
    from_yf = parse_file(RECORDED_YF)
    from_csv = parse_file(YAHOO)
    pdt.assert_frame_equal(
        from_yf.drop(columns="source"), from_csv.drop(columns="source"), check_dtype=False
    )


def test_parse_yfinance_needs_the_multiindex():
    with pytest.raises(ValueError, match="MultiIndex"):
        parse_yfinance(pd.DataFrame({"Close": [1.0]}))


def test_unknown_layout_names_file_and_columns():
    path = MARKET / "eastmoney_industry_tags_all_ashares_asof_2024-06.csv"
    with pytest.raises(ValueError) as info:
        parse_file(path)
    message = str(info.value)
    assert "eastmoney_industry_tags" in message
    assert "总市值" in message


def test_sniff_layout():
    assert sniff_layout(["date", "volume", "low", "close", "open", "high"]) == "samleon"
    assert sniff_layout(["date", "open", "high", "low", "close", "volume"]) == "yummyhe"
    assert sniff_layout(["trade_date", "high", "low", "close", "pct_chg"]) == "tushare"
    assert sniff_layout(["foo", "bar"]) is None


def test_parse_price_table_takes_text_or_bytes_and_names_the_stock():
    text = SAMLEON_002045.read_text(encoding="utf-8")
    from_text = parse_price_table(text, ticker="002045.SZ")
    from_bytes = parse_price_table(text.encode("utf-8"), SAMLEON_002045.name)
    pdt.assert_frame_equal(from_text, from_bytes)
    assert len(from_text) == 84


def test_parse_price_table_reads_the_stock_from_a_windows_path():
    text = "date,open,high,low,close,volume\n2022-07-08,8.2,9.0,8.18,9.0,1000\n"
    frame = parse_price_table(text, "C:\\prices\\yummyhe_002045.csv")
    assert frame["ticker"].tolist() == ["002045.SZ"]


def test_decode_price_text():
    assert decode_price_text("\ufeffdate,close\n") == "date,close\n"
    assert decode_price_text("\ufeffdate\n".encode()) == "date\n"
    assert decode_price_text("交易日期,收盘价\n".encode("gb18030")) == "交易日期,收盘价\n"
    with pytest.raises(ValueError, match="x.csv: neither UTF-8 nor GB18030"):
        decode_price_text(b"\xff\xff\xff", "x.csv")


def test_parse_price_table_empty_and_one_row():
    header = "date,open,high,low,close,volume\n"
    assert parse_price_table(header, ticker="002045").empty
    one = parse_price_table(header + "2022-07-08,8.2,9.0,8.18,9.0,1000\n", ticker="002045")
    assert one[["ticker", "close", "volume"]].values.tolist() == [["002045.SZ", 9.0, 1000.0]]


# ---------------------------------------------------------------- stored rows


def test_price_rows_and_back():
    frame = canonical(
        [
            {"ticker": "002045.SZ", "date": "2022-07-08", "close": 9.0, "volume": 1000.0},
            {"ticker": "002045.SZ", "date": "2022-07-07", "close": 8.18},
        ]
    )
    rows = price_rows(frame)
    assert [(r["date"], r["close"], r["volume"], r["open"]) for r in rows] == [
        ("2022-07-08", 9.0, 1000.0, None),
        ("2022-07-07", 8.18, None, None),
    ]
    back = prices_from_rows(rows)  # sorted by ticker and date
    assert list(back.columns) == PRICE_COLUMNS
    assert back["date"].tolist() == [pd.Timestamp("2022-07-07"), pd.Timestamp("2022-07-08")]
    assert back["close"].tolist() == [8.18, 9.0]


def test_prices_from_rows_keeps_one_adjustment():
    rows = price_rows(canonical([{"ticker": "002045.SZ", "date": "2022-07-08", "close": 9.0}]))
    assert prices_from_rows(rows, adjusted="qfq").empty
    assert list(prices_from_rows([]).columns) == PRICE_COLUMNS
    assert len(prices_from_rows(rows)) == 1


# ---------------------------------------------------------------- returns


def test_daily_returns_empty():
    returns = daily_returns(empty_prices())
    assert returns.shape == (0, 0)
    assert returns.attrs[MISSING_ATTR] == []


def test_daily_returns_one_row():
    prices = canonical([{"ticker": "600000.SS", "date": "2022-07-08", "close": 8.0}])
    returns = daily_returns(prices)
    expected = pd.DataFrame(
        {"600000.SS": [np.nan]},
        index=pd.DatetimeIndex(pd.to_datetime(["2022-07-08"]), name="date"),
    )
    expected.columns.name = "ticker"
    pdt.assert_frame_equal(returns, expected, check_index_type=False)


def test_daily_returns_never_fill_a_gap():
    prices = canonical(
        [
            {"ticker": "AAA.SZ", "date": "2022-07-05", "close": 10.0},
            {"ticker": "AAA.SZ", "date": "2022-07-06", "close": 11.0},
            # 07-07 missing for AAA (suspended)
            {"ticker": "AAA.SZ", "date": "2022-07-08", "close": 12.1},
            {"ticker": "AAA.SZ", "date": "2022-07-11", "close": 12.1},
            {"ticker": "BBB.SZ", "date": "2022-07-05", "close": 5.0},
            {"ticker": "BBB.SZ", "date": "2022-07-06", "close": 5.5},
            {"ticker": "BBB.SZ", "date": "2022-07-07", "close": 5.0},
            {"ticker": "BBB.SZ", "date": "2022-07-08", "close": np.nan},
            {"ticker": "BBB.SZ", "date": "2022-07-11", "close": 5.0},
        ]
    )
    before = prices.copy()
    returns = daily_returns(prices)
    pdt.assert_frame_equal(prices, before)  # input not mutated
    days = pd.to_datetime(["2022-07-05", "2022-07-06", "2022-07-07", "2022-07-08", "2022-07-11"])
    expected = pd.DataFrame(
        {
            "AAA.SZ": [np.nan, 0.1, np.nan, np.nan, 0.0],
            "BBB.SZ": [np.nan, 0.1, 5.0 / 5.5 - 1, np.nan, np.nan],
        },
        index=pd.DatetimeIndex(days, name="date"),
    )
    expected.columns.name = "ticker"
    pdt.assert_frame_equal(returns, expected, check_index_type=False)
    assert returns.attrs[MISSING_ATTR] == [
        {"ticker": "AAA.SZ", "date": "2022-07-07"},
        {"ticker": "BBB.SZ", "date": "2022-07-08"},
    ]


def test_daily_returns_on_a_session_grid():
    prices = canonical(
        [
            {"ticker": "AAA.SZ", "date": "2022-07-06", "close": 10.0},
            {"ticker": "AAA.SZ", "date": "2022-07-08", "close": 11.0},
        ]
    )
    grid = pd.to_datetime(["2022-07-06", "2022-07-07", "2022-07-08"])
    returns = daily_returns(prices, sessions=pd.DatetimeIndex(grid))
    assert returns["AAA.SZ"].isna().all()  # 07-08 spans two sessions
    assert returns.attrs[MISSING_ATTR] == [{"ticker": "AAA.SZ", "date": "2022-07-07"}]


def test_daily_returns_refuse_mixed_adjustments():
    prices = canonical(
        [
            {"ticker": "002045.SZ", "date": "2022-07-07", "close": 8.18, "adjusted": "none"},
            {"ticker": "002045.SZ", "date": "2022-07-08", "close": 9.0, "adjusted": "qfq"},
            {"ticker": "600000.SS", "date": "2022-07-08", "close": 8.0, "adjusted": "hfq"},
        ]
    )
    with pytest.raises(ValueError, match=r"002045\.SZ: none, qfq"):
        daily_returns(prices)


def test_daily_returns_refuse_duplicate_days():
    prices = canonical(
        [
            {"ticker": "002045.SZ", "date": "2022-07-08", "close": 9.0},
            {"ticker": "002045.SZ", "date": "2022-07-08", "close": 9.0},
        ]
    )
    with pytest.raises(ValueError, match="deduplicate"):
        close_panel(prices)


def test_daily_returns_on_recorded_files():
    prices = pd.concat([parse_file(SAMLEON_002045), parse_file(CHOICE)], ignore_index=True)
    returns = daily_returns(prices)
    assert returns.loc[DAY0, "002045.SZ"] == pytest.approx(9.00 / 8.18 - 1)
    assert returns.loc[DAY0, "000300.SS"] == pytest.approx(4428.78 / 4443.47 - 1)
    # before 002045's first recorded day: NaN, and not reported as missing
    assert returns.loc["2022-04-06", "002045.SZ"] != returns.loc["2022-04-06", "002045.SZ"]
    assert returns.attrs[MISSING_ATTR] == []


# ---------------------------------------------------------------- adjusted returns


def hand_limit_fen(prev: float, limit: float) -> tuple[int, int]:
    """The exchange's rule with decimal arithmetic: prev x (1 +- limit), half-up to the fen."""
    from decimal import ROUND_HALF_UP, Decimal

    p, lim = Decimal(str(prev)), Decimal(str(limit))
    up = (p * (1 + lim)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    down = (p * (1 - lim)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(up * 100), int(down * 100)


def test_limit_prices_round_half_up_to_the_fen():
    from newsmon.analysis.prices import limit_fen, limit_prices

    assert [float(x) for x in limit_prices(8.18, 0.10)] == [9.00, 7.36]
    assert [float(x) for x in limit_prices(3.70, 0.10)] == [4.07, 3.33]
    assert [float(x) for x in limit_prices(3.15, 0.10)] == [3.47, 2.84]  # 3.465 -> 3.47
    prevs = np.round(np.arange(1.00, 60.00, 0.01), 2)
    for limit in (0.05, 0.10, 0.20, 0.30):
        up, down = limit_fen(prevs, limit)
        hand = [hand_limit_fen(float(p), limit) for p in prevs]
        assert up.tolist() == [float(u) for u, _ in hand]
        assert down.tolist() == [float(d) for _, d in hand]


def test_price_limits_by_board():
    from newsmon.analysis.prices import board, price_limit

    assert price_limit("002045.SZ", DAY0) == 0.10
    assert price_limit("002045.SZ", DAY0, st=True) == 0.05
    assert price_limit("300433.SZ", DAY0) == 0.20
    assert price_limit("300433.SZ", DAY0, st=True) == 0.20  # ChiNext ST: 20% since the reform
    assert price_limit("300433.SZ", "2020-08-21") == 0.10
    assert price_limit("688169.SS", DAY0) == 0.20
    assert price_limit("430047.BJ", DAY0) == 0.30
    assert price_limit("000300.SS", DAY0) is None and board("000300.SS") == "index"


def hand_corporate_actions(path) -> set[tuple[str, str]]:
    """Every (code, date) of the cross-section whose raw close lies outside the limit prices
    of the previous close, found with the csv module and decimal arithmetic."""
    from newsmon.analysis.prices import canonical_ticker, price_limit

    by_code: dict[str, list[tuple[str, float]]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            by_code.setdefault(rec["code"], []).append((rec["date"], float(rec["close"])))
    sessions = sorted({d for rows in by_code.values() for d, _ in rows})
    found = set()
    for code, rows in by_code.items():
        closes = dict(rows)
        ticker = canonical_ticker(code)
        for prev_day, day in zip(sessions, sessions[1:], strict=False):
            if prev_day in closes and day in closes:
                up, down = hand_limit_fen(closes[prev_day], price_limit(ticker, day))
                fen = round(closes[day] * 100)
                if fen > up or fen < down:
                    found.add((ticker, day))
    return found


def test_ex_rights_days_of_the_cross_section_are_left_out_and_named():
    from newsmon.analysis.prices import CORPORATE_ACTIONS_ATTR, adjusted_returns

    returns = adjusted_returns(parse_file(CROSS))
    actions = returns.attrs[CORPORATE_ACTIONS_ATTR]
    assert {(a["ticker"], a["date"]) for a in actions} == hand_corporate_actions(CROSS)
    by_key = {(a["ticker"], a["date"]): a for a in actions}
    # 石头科技 (STAR, +-20%): a bonus issue read as a 27% fall
    roborock = by_key[("688169.SS", "2022-07-08")]
    assert roborock["raw_return"] == pytest.approx(382.98 / 527.08 - 1)
    assert (roborock["limit"], roborock["prev_close"], roborock["close"]) == (0.20, 527.08, 382.98)
    assert np.isnan(returns.loc[DAY0, "688169.SS"])
    # 赣锋锂业 (main board, +-10%): -29.7% on 07-04
    ganfeng = by_key[("002460.SZ", "2022-07-04")]
    assert ganfeng["raw_return"] == pytest.approx(110.33 / 156.97 - 1)
    assert np.isnan(returns.loc["2022-07-04", "002460.SZ"])
    # the other days of both are returns as usual
    assert returns.loc["2022-07-11", "688169.SS"] == pytest.approx(380.48 / 382.98 - 1)
    assert returns.loc["2022-07-05", "002460.SZ"] == pytest.approx(109.85 / 110.33 - 1)


def test_adjusted_series_is_used_where_it_exists():
    from newsmon.analysis.prices import BASIS_ATTR, CORPORATE_ACTIONS_ATTR, adjusted_returns

    raw = parse_file(SAMLEON_002045)
    qfq = parse_file(AKSHARE_002045)
    returns = adjusted_returns(pd.concat([raw, qfq], ignore_index=True))
    assert returns.attrs[BASIS_ATTR]["002045.SZ"] == ["qfq"]
    assert returns.loc[DAY0, "002045.SZ"] == pytest.approx(9.00 / 8.18 - 1)
    # an ex-day in the raw closes, covered by an adjusted series: a move, not an action
    prices = canonical(
        [
            {"ticker": "688169.SS", "date": "2022-07-07", "close": 527.08},
            {"ticker": "688169.SS", "date": "2022-07-08", "close": 382.98},
            {"ticker": "688169.SS", "date": "2022-07-07", "close": 376.49, "adjusted": "qfq"},
            {"ticker": "688169.SS", "date": "2022-07-08", "close": 382.98, "adjusted": "qfq"},
        ]
    )
    got = adjusted_returns(prices)
    assert got.loc[DAY0, "688169.SS"] == pytest.approx(382.98 / 376.49 - 1)
    assert got.attrs[CORPORATE_ACTIONS_ATTR] == []


def test_adjustment_factor_gives_adjusted_returns():
    from newsmon.analysis.prices import BASIS_ATTR, adjusted_returns

    text = (
        "ts_code,trade_date,open,high,low,close,vol,amount,adj_factor\n"
        "688169.SH,20220708,378.84,386.98,375.02,382.98,8100,310520.99,1.4\n"
        "688169.SH,20220707,560.00,560.98,520.57,527.08,13300,704077.97,1.0\n"
    )
    prices = parse_price_table(text, "tushare_daily_688169.csv")
    assert prices["adj_factor"].tolist() == [1.0, 1.4]
    got = adjusted_returns(prices)
    assert got.loc[DAY0, "688169.SS"] == pytest.approx(382.98 * 1.4 / 527.08 - 1)
    assert got.attrs[BASIS_ATTR]["688169.SS"] == ["factor"]


def test_listing_days_have_no_limit():
    from newsmon.analysis.prices import CORPORATE_ACTIONS_ATTR, adjusted_returns

    prices = canonical(
        [
            {"ticker": "301999.SZ", "date": "2022-07-07", "close": 20.00},
            {"ticker": "301999.SZ", "date": "2022-07-08", "close": 30.00},  # +50%
        ]
    )
    flagged = adjusted_returns(prices)
    assert len(flagged.attrs[CORPORATE_ACTIONS_ATTR]) == 1
    listed = adjusted_returns(prices, listing_dates={"301999.SZ": "2022-07-07"})
    assert listed.attrs[CORPORATE_ACTIONS_ATTR] == []
    assert listed.loc[DAY0, "301999.SZ"] == pytest.approx(0.5)


def test_adjusted_returns_on_exchange_sessions_name_what_is_off():
    from newsmon.analysis.prices import adjusted_returns

    prices = canonical(
        [
            {"ticker": "AAA.SZ", "date": "2022-07-06", "close": 10.0},
            {"ticker": "AAA.SZ", "date": "2022-07-08", "close": 11.0},
            {"ticker": "AAA.SZ", "date": "2022-07-09", "close": 11.0},  # a Saturday
        ]
    )
    grid = pd.DatetimeIndex(pd.to_datetime(["2022-07-06", "2022-07-07", "2022-07-08"]))
    got = adjusted_returns(prices, sessions=grid)
    assert list(got.index) == list(grid)
    assert got["AAA.SZ"].isna().all()  # 07-08 would span two sessions
    assert got.attrs[MISSING_ATTR] == [{"ticker": "AAA.SZ", "date": "2022-07-07"}]
    assert got.attrs["off_session"] == [
        {"ticker": "AAA.SZ", "date": "2022-07-09", "adjusted": "none"}
    ]


def test_yahoo_adjusted_close_is_kept_for_a_stock():
    text = (
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2022-07-07,560.00,560.98,520.57,527.08,376.49,1000\n"
        "2022-07-08,378.84,386.98,375.02,382.98,382.98,1000\n"
    )
    frame = parse_price_table(text, "yahoo_688169SS.csv")
    assert sorted(set(frame["adjusted"])) == ["none", "yahoo_adj"]
    adj = frame[frame["adjusted"] == "yahoo_adj"].set_index("date")
    assert adj.loc["2022-07-07", "close"] == 376.49
    assert adj.loc["2022-07-07", "high"] == pytest.approx(560.98 * 376.49 / 527.08)
    raw = frame[frame["adjusted"] == "none"].set_index("date")
    assert raw.loc["2022-07-07", "close"] == 527.08
