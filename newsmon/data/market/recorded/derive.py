"""Rebuild the recorded yfinance responses in this folder from the Yahoo CSV next door.

    python newsmon/data/market/recorded/derive.py

yfinance 1.x ``download(tickers, start, end, interval="1d", auto_adjust=False,
group_by="column", multi_level_index=True)`` returns a frame with a column
MultiIndex named (Price, Ticker), the Price level sorted (Adj Close, Close, High,
Low, Open, Volume), Volume as integers, and a tz-naive DatetimeIndex named Date.
The Yahoo CSV of 000001.SS holds exactly those values (Yahoo's float32 noise
included); this puts them in that shape and writes it with ``DataFrame.to_csv``
(header rows Price / Ticker / Date). Read it back with
``pd.read_csv(path, header=[0, 1], index_col=0, parse_dates=True)``.
"""

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "yahoo_csv_sse_composite_000001SS_2022-05_2022-08.csv"
TARGET = HERE / "yfinance_download_000001SS_1d_2022-05-05_2022-09-01.csv"


def main() -> None:
    raw = pd.read_csv(SOURCE, index_col="Date", parse_dates=True)
    frame = raw[["Adj Close", "Close", "High", "Low", "Open", "Volume"]].copy()
    frame["Volume"] = frame["Volume"].astype("int64")
    frame.columns = pd.MultiIndex.from_product(
        [frame.columns, ["000001.SS"]], names=["Price", "Ticker"]
    )
    frame.index.name = "Date"
    frame.to_csv(TARGET, float_format="%.6f")


if __name__ == "__main__":
    main()
