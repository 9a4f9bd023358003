"""Price providers: recorded files, and yfinance with an injected download (never the network)."""

from __future__ import annotations

import io
import logging

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from yfinance.exceptions import YFRateLimitError

from conftest import DATA
from newsmon.analysis.prices import ISSUES_ATTR, PRICE_COLUMNS, parse_price_table
from newsmon.providers import (
    BAR_COLUMNS,
    CSVProvider,
    IntradayNotSupported,
    YFinanceProvider,
    read_price_file,
)

MARKET = DATA / "market"
RECORDED_YF = MARKET / "recorded" / "yfinance_download_000001SS_1d_2022-05-05_2022-09-01.csv"
YAHOO = MARKET / "yahoo_csv_sse_composite_000001SS_2022-05_2022-08.csv"
MEMBERS = ["002045.SZ", "300088.SZ", "002047.SZ", "300433.SZ"]
NOW = pd.Timestamp("2022-07-20T08:00:00Z")


def recorded_response() -> pd.DataFrame:
    """yfinance 1.x's download() frame for 000001.SS, as recorded."""
    frame = pd.read_csv(RECORDED_YF, header=[0, 1], index_col=0, parse_dates=True)
    return frame


class FakeDownload:
    """Stands in for yfinance.download: records its calls, replays given outcomes."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        if callable(outcome):
            return outcome(**kwargs)
        return outcome.copy()


def with_failed_ticker(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """What yfinance returns when one ticker of a batch failed: its columns all NaN."""
    extra = pd.DataFrame(
        np.nan,
        index=frame.index,
        columns=pd.MultiIndex.from_product(
            [["Adj Close", "Close", "High", "Low", "Open", "Volume"], [symbol]],
            names=["Price", "Ticker"],
        ),
    )
    return pd.concat([frame, extra], axis=1).sort_index(axis=1, level=0)


# ---------------------------------------------------------------- recorded response


def test_recorded_response_has_yfinance_shape():
    frame = recorded_response()
    assert list(frame.columns.names) == ["Price", "Ticker"]
    assert frame.columns.get_level_values("Price").tolist() == [
        "Adj Close",
        "Close",
        "High",
        "Low",
        "Open",
        "Volume",
    ]
    assert frame.index.name == "Date"
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None
    # the same numbers as the Yahoo CSV it was derived from
    csv = pd.read_csv(YAHOO, index_col="Date", parse_dates=True)
    np.testing.assert_allclose(frame[("Close", "000001.SS")].to_numpy(), csv["Close"].to_numpy())


# ---------------------------------------------------------------- yfinance daily


def test_fetch_daily_converts_the_multiindex_frame():
    fake = FakeDownload(recorded_response())
    provider = YFinanceProvider(download=fake, sleep=lambda s: None)
    frame = provider.fetch_daily(["000001.SS"], "2022-07-01", "2022-07-15")
    assert list(frame.columns) == PRICE_COLUMNS
    expected = read_price_file(YAHOO)
    expected = expected[expected["date"].between("2022-07-01", "2022-07-15")]
    pdt.assert_frame_equal(
        frame.drop(columns="source").reset_index(drop=True),
        expected.drop(columns="source").reset_index(drop=True),
        check_dtype=False,
    )
    assert set(frame["source"]) == {"yfinance"}
    assert set(frame["adjusted"]) == {"none"}
    (call,) = fake.calls
    assert call["tickers"] == ["000001.SS"]
    assert call["interval"] == "1d"
    assert call["auto_adjust"] is False
    assert call["multi_level_index"] is True
    assert (call["start"], call["end"]) == ("2022-07-01", "2022-07-16")  # end exclusive


def test_fetch_daily_keeps_close_not_adj_close():
    frame = recorded_response()
    frame[("Adj Close", "000001.SS")] = frame[("Adj Close", "000001.SS")] * 0.9
    provider = YFinanceProvider(download=FakeDownload(frame), sleep=lambda s: None)
    got = provider.fetch_daily(["000001.SS"], "2022-07-08", "2022-07-08")
    assert got["close"].tolist() == [pytest.approx(3356.080078)]


def test_fetch_daily_reports_a_failed_ticker():
    fake = FakeDownload(with_failed_ticker(recorded_response(), "002045.SZ"))
    provider = YFinanceProvider(download=fake, sleep=lambda s: None)
    frame = provider.fetch_daily(["000001.SS", "002045.SZ"], "2022-07-04", "2022-07-08")
    assert set(frame["ticker"]) == {"000001.SS"}
    assert len(frame) == 5
    kinds = {(i["kind"], i["ticker"]) for i in frame.attrs[ISSUES_ATTR]}
    assert ("no_data", "002045.SZ") in kinds


def test_fetch_daily_batches():
    fake = FakeDownload(recorded_response())
    provider = YFinanceProvider(download=fake, sleep=lambda s: None, batch_size=2)
    provider.fetch_daily(["000001.SS", *MEMBERS], "2022-07-08", "2022-07-08")
    assert [len(c["tickers"]) for c in fake.calls] == [2, 2, 1]


def test_fetch_daily_empty_request():
    provider = YFinanceProvider(download=FakeDownload(recorded_response()), sleep=lambda s: None)
    frame = provider.fetch_daily([], "2022-07-08", "2022-07-08")
    assert frame.empty and list(frame.columns) == PRICE_COLUMNS


def test_rate_limit_is_retried_with_backoff():
    fake = FakeDownload(YFRateLimitError(), YFRateLimitError(), recorded_response())
    waits: list[float] = []
    provider = YFinanceProvider(download=fake, sleep=waits.append, max_retries=3, backoff_s=2.0)
    frame = provider.fetch_daily(["000001.SS"], "2022-07-08", "2022-07-08")
    assert frame["close"].tolist() == [pytest.approx(3356.080078)]
    assert waits == [2.0, 4.0]
    assert len(fake.calls) == 3


def test_rate_limit_gives_up_after_max_retries():
    fake = FakeDownload(YFRateLimitError())
    waits: list[float] = []
    provider = YFinanceProvider(download=fake, sleep=waits.append, max_retries=2, backoff_s=1.0)
    with pytest.raises(YFRateLimitError):
        provider.fetch_daily(["000001.SS"], "2022-07-08", "2022-07-08")
    assert waits == [1.0, 2.0]
    assert len(fake.calls) == 3


def test_logged_rate_limit_retries_only_the_missing_tickers():
    """yfinance.download logs a rate-limited ticker instead of raising."""
    response = recorded_response()

    def limited(**kwargs):
        logging.getLogger("yfinance").error(
            "['002045.SZ']: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')"
        )
        return with_failed_ticker(response, "002045.SZ")

    def second(**kwargs):
        frame = response.copy()
        frame.columns = pd.MultiIndex.from_tuples(
            [(p, "002045.SZ") for p, _ in frame.columns], names=["Price", "Ticker"]
        )
        return frame

    fake = FakeDownload(limited, second)
    waits: list[float] = []
    provider = YFinanceProvider(download=fake, sleep=waits.append, backoff_s=0.5)
    frame = provider.fetch_daily(["000001.SS", "002045.SZ"], "2022-07-08", "2022-07-08")
    # a stock comes with its Adj Close as yahoo_adj rows; the index has only raw ones
    assert sorted(zip(frame["ticker"], frame["adjusted"], strict=True)) == [
        ("000001.SS", "none"),
        ("002045.SZ", "none"),
        ("002045.SZ", "yahoo_adj"),
    ]
    assert fake.calls[1]["tickers"] == ["002045.SZ"]
    assert waits == [0.5]


# ---------------------------------------------------------------- yfinance intraday


def minute_frame(start: str, periods: int, symbol: str = "002045.SZ") -> pd.DataFrame:
    index = pd.date_range(start, periods=periods, freq="1min", tz="Asia/Shanghai", name="Datetime")
    close = np.linspace(8.2, 8.5, periods)
    data = {
        ("Adj Close", symbol): close,
        ("Close", symbol): close,
        ("High", symbol): close + 0.01,
        ("Low", symbol): close - 0.01,
        ("Open", symbol): close,
        ("Volume", symbol): np.full(periods, 1000),
    }
    frame = pd.DataFrame(data, index=index)
    frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["Price", "Ticker"])
    return frame


def test_intraday_1m_is_split_into_7_day_requests():
    fake = FakeDownload(minute_frame("2022-07-08 10:00", 3))
    provider = YFinanceProvider(download=fake, sleep=lambda s: None, now=lambda: NOW)
    bars = provider.fetch_intraday(
        ["002045.SZ"], "2022-07-01T00:00:00Z", "2022-07-18T00:00:00Z", "1m"
    )
    spans = [pd.Timestamp(c["end"]) - pd.Timestamp(c["start"]) for c in fake.calls]
    assert len(fake.calls) == 3
    assert all(span <= pd.Timedelta(days=7) for span in spans)
    assert {c["interval"] for c in fake.calls} == {"1m"}
    assert list(bars.columns) == BAR_COLUMNS
    assert len(bars) == 3  # the overlapping chunks' copies are merged
    assert bars["ts"].iloc[0] == pd.Timestamp("2022-07-08T02:00:00Z")
    assert str(bars["ts"].dt.tz) == "UTC"


@pytest.mark.parametrize(
    ("interval", "start", "words"),
    [
        ("1m", "2022-06-01T00:00:00Z", "last 30 days"),
        ("5m", "2022-05-01T00:00:00Z", "last 60 days"),
        ("60m", "2022-05-01T00:00:00Z", "last 60 days"),
        ("1d", "2022-07-10T00:00:00Z", "not an intraday interval"),
        ("3m", "2022-07-10T00:00:00Z", "not an intraday interval"),
    ],
)
def test_intraday_outside_yahoo_limits_is_refused(interval, start, words):
    fake = FakeDownload(minute_frame("2022-07-08 10:00", 3))
    provider = YFinanceProvider(download=fake, sleep=lambda s: None, now=lambda: NOW)
    with pytest.raises(ValueError, match=words):
        provider.fetch_intraday(["002045.SZ"], start, "2022-07-15T00:00:00Z", interval)
    assert fake.calls == []  # refused before any request


def test_intraday_5m_within_60_days_is_one_request():
    fake = FakeDownload(minute_frame("2022-07-08 10:00", 3))
    provider = YFinanceProvider(download=fake, sleep=lambda s: None, now=lambda: NOW)
    provider.fetch_intraday(["002045.SZ"], "2022-06-01", "2022-07-15", "5m")
    assert len(fake.calls) == 1


# ---------------------------------------------------------------- recorded files


SAMLEON_002045 = MARKET / "samleon_daily_002045_2022-05_2022-08.csv"


def test_read_price_file_is_the_parser_on_the_file_bytes():
    read = read_price_file(SAMLEON_002045)
    parsed = parse_price_table(SAMLEON_002045.read_bytes(), SAMLEON_002045.name)
    pdt.assert_frame_equal(read, parsed)
    assert set(read["ticker"]) == {"002045.SZ"}  # from the file name


def test_read_price_file_from_open_files():
    text = SAMLEON_002045.read_text(encoding="utf-8")
    from_bytes = read_price_file(io.BytesIO(text.encode("utf-8")), ticker="002045.SZ")
    from_text = read_price_file(io.StringIO("\ufeff" + text), ticker="002045.SZ")
    pdt.assert_frame_equal(from_bytes, from_text)
    assert len(from_bytes) == 84


def test_read_price_file_gb18030_and_unknown_layout():
    text = SAMLEON_002045.read_text(encoding="utf-8").replace("date,", "日期x,", 1)
    with pytest.raises(ValueError, match="<buffer>: unknown price file layout"):
        read_price_file(io.BytesIO(text.encode("gb18030")))


@pytest.fixture
def csv_provider():
    files = [MARKET / f"samleon_daily_{t[:6]}_2022-05_2022-08.csv" for t in MEMBERS]
    files += [
        MARKET / "choice_csi300_000300SH_daily_2022-04_2022-09.csv",
        MARKET / "tushare_index_daily_000300SH_2022-04_2022-09.csv",
        MARKET / "akshare_hist_qfq_002045_2022-05_2022-08.csv",
    ]
    return CSVProvider(files)


def test_csv_provider_fetch_daily(csv_provider):
    frame = csv_provider.fetch_daily([*MEMBERS, "000300.SS"], "2022-07-01", "2022-07-15")
    assert list(frame.columns) == PRICE_COLUMNS
    assert sorted(frame["ticker"].unique()) == sorted([*MEMBERS, "000300.SS"])
    assert len(frame) == 5 * 11
    # raw prices only by default (the akshare qfq file is left out)
    assert set(frame["adjusted"]) == {"none"}
    # CSI 300 is in two files: the first listed (Choice, with an open) wins
    csi = frame[frame["ticker"] == "000300.SS"]
    assert set(csi["source"]) == {"choice"} and csi["open"].notna().all()
    kinds = {i["kind"] for i in frame.attrs[ISSUES_ATTR]}
    assert "duplicate_row" in kinds  # SamLeon's doubled 2022-07-08
    assert "conflicting_duplicate" not in kinds  # the two CSI 300 files agree


def test_csv_provider_reports_unknown_tickers(csv_provider):
    frame = csv_provider.fetch_daily(["600000.SS"], "2022-07-01", "2022-07-15")
    assert frame.empty
    assert frame.attrs[ISSUES_ATTR][0]["kind"] == "no_data"


def test_csv_provider_has_no_intraday(csv_provider):
    with pytest.raises(IntradayNotSupported):
        csv_provider.fetch_intraday(MEMBERS, "2022-07-08", "2022-07-09", "1m")


def test_csv_provider_all_adjustments():
    provider = CSVProvider(
        [
            MARKET / "samleon_daily_002045_2022-05_2022-08.csv",
            MARKET / "akshare_hist_qfq_002045_2022-05_2022-08.csv",
        ],
        adjusted=None,
    )
    frame = provider.fetch_daily(["002045.SZ"], "2022-07-08", "2022-07-08")
    assert sorted(frame["adjusted"]) == ["none", "qfq"]


def test_csv_provider_skips_a_file_that_is_not_prices():
    listing = MARKET / "eastmoney_industry_tags_all_ashares_asof_2024-06.csv"
    files = [listing, MARKET / "samleon_daily_002045_2022-05_2022-08.csv"]
    frame = CSVProvider(files).fetch_daily(["002045.SZ"], "2022-07-08", "2022-07-08")
    assert frame["close"].tolist() == [9.00]
    skipped = [i for i in frame.attrs[ISSUES_ATTR] if i["kind"] == "not_prices"]
    assert skipped[0]["file"] == listing.name and "总市值" in skipped[0]["detail"]
    with pytest.raises(ValueError, match="unknown price file layout"):
        CSVProvider(files, strict=True).fetch_daily(["002045.SZ"], "2022-07-08", "2022-07-08")


def test_csv_provider_every_recorded_market_file():
    """All of newsmon/data/market at once: overlapping files agree, one row per day."""
    provider = CSVProvider(sorted(MARKET.glob("*.csv")))
    wanted = [*MEMBERS, "000300.SS", "000001.SS", "399006.SZ", "600000.SS"]
    frame = provider.fetch_daily(wanted, "2022-07-08", "2022-07-08")
    assert sorted(frame["ticker"]) == sorted(wanted)
    kinds = {i["kind"] for i in frame.attrs[ISSUES_ATTR]}
    assert "conflicting_duplicate" not in kinds


# ---------------------------------------------------------------- minute bars


INTRADAY = MARKET / "intraday"
WEEKEND_1M = INTRADAY / "yf2_chart_AAPL_1m_2025-02-01_weekend_empty.json"
STOCK_1M = INTRADAY / "tushare_stk_mins_002045SZ_1min_2022-07-08_CONSTRUCTED.csv"
INDEX_1M = INTRADAY / "tushare_idx_mins_000300SH_1min_2022-07-08_CONSTRUCTED.csv"


def replay_session(body: dict):
    """A real requests Session whose transport answers every Yahoo request offline: the
    cookie and crumb handshake with stand-ins, every chart request with ``body``."""
    import json

    import requests
    from requests.adapters import BaseAdapter
    from requests.models import Response

    class Replay(BaseAdapter):
        def __init__(self):
            super().__init__()
            self.urls: list[str] = []

        def send(self, request, **kwargs):
            self.urls.append(request.url)
            response = Response()
            response.request, response.url, response.status_code = request, request.url, 200
            response.encoding = "utf-8"
            if "/v8/finance/chart/" in request.url:
                response._content = json.dumps(body).encode()
                response.headers["content-type"] = "application/json;charset=utf-8"
            elif "getcrumb" in request.url:
                response._content = b"offline-crumb"
            else:
                response._content = b""
                response.headers["set-cookie"] = "A3=offline; Domain=.yahoo.com; Path=/"
            return response

        def close(self):
            pass

    session = requests.Session()
    adapter = Replay()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside yfinance, not ours
def test_recorded_1m_response_of_a_day_without_trading_gives_no_bars(tmp_path):
    """Yahoo's real answer for 1m bars of a Saturday (metadata, an empty quote list),
    through the real yfinance.download: no bars and a note, not an error."""
    import json

    import yfinance

    yfinance.set_tz_cache_location(str(tmp_path))  # no cache outside the test
    body = json.loads(WEEKEND_1M.read_text(encoding="utf-8"))["response"]["bodyJson"]
    assert body["chart"]["result"][0]["indicators"]["quote"] == [{}]
    session, adapter = replay_session(body)

    def download(**kwargs):
        return yfinance.download(**kwargs, session=session, threads=False)

    provider = YFinanceProvider(
        download=download, sleep=lambda s: None, now=lambda: pd.Timestamp("2025-02-20T11:47Z")
    )
    bars = provider.fetch_intraday(
        ["002045.SZ"], "2025-02-01T00:00:00+08:00", "2025-02-02T00:00:00+08:00", "1m"
    )
    assert bars.empty and list(bars.columns) == BAR_COLUMNS
    (issue,) = bars.attrs[ISSUES_ATTR]
    assert (issue["kind"], issue["ticker"]) == ("no_bars", "002045.SZ")
    assert "no 1m bars" in issue["detail"]
    assert any("/v8/finance/chart/002045.SZ" in u and "interval=1m" in u for u in adapter.urls)


def test_read_bar_file_tushare_minutes_are_labelled_by_their_end():
    from newsmon.providers import is_bar_file, read_bar_file

    assert is_bar_file(STOCK_1M) and not is_bar_file(SAMLEON_002045)
    bars = read_bar_file(STOCK_1M)
    assert list(bars.columns) == BAR_COLUMNS
    assert set(bars["ticker"]) == {"002045.SZ"} and set(bars["interval"]) == {"1m"}
    assert len(bars) == 241
    local = bars["ts"].dt.tz_convert("Asia/Shanghai")
    # the 09:30 row (the auction's print) starts 09:29; 09:31 is the 09:30-09:31 bar
    assert local.iloc[0] == pd.Timestamp("2022-07-08 09:29", tz="Asia/Shanghai")
    assert local.iloc[1] == pd.Timestamp("2022-07-08 09:30", tz="Asia/Shanghai")
    assert local.iloc[-1] == pd.Timestamp("2022-07-08 14:59", tz="Asia/Shanghai")
    assert bars["close"].iloc[-1] == 9.00 and bars["close"].iloc[0] == 8.20
    index = read_bar_file(INDEX_1M)
    assert set(index["ticker"]) == {"000300.SS"} and index["close"].iloc[-1] == 4428.78


def test_read_bar_file_yfinance_intraday_csv(tmp_path):
    from newsmon.providers import read_bar_file

    path = tmp_path / "yfinance_002045SZ_1m.csv"
    minute_frame("2022-07-08 09:30", 5).to_csv(path)
    bars = read_bar_file(path)
    assert bars["ts"].iloc[0] == pd.Timestamp("2022-07-08T01:30:00Z")
    assert set(bars["interval"]) == {"1m"} and len(bars) == 5
