"""Rebuild the CONSTRUCTED minute-bar files in this folder (no network, no randomness).

    python newsmon/data/market/intraday/construct.py

No real minute bars of 2022-07-08 are on record here, so these two files are made up
to test the minute-window arithmetic end to end; they are not market data. What is
real: the layout (tushare ``stk_mins`` / ``idx_mins``: ts_code,trade_time,close,open,
high,low,vol,amount, newest first, ``trade_time`` the bar's END in Asia/Shanghai, a
09:30 row for the opening auction's print, 241 rows a day) and each day's recorded
open, high, low and close, which the path meets exactly:

- 002045.SZ (国光电器): open 8.20, low 8.18, high = close 9.00 = the limit-up price
  (previous close 8.18), from ../akshare_hist_qfq_002045_2022-05_2022-08.csv; the
  price wanders near the open until the 10:06 news, climbs, and sits at the limit
  from 10:41 to the close; the day's volume (240572 lots) is spread over the minutes.
- 000300.SH (CSI 300): open 4468.06, high 4479.49, low 4426.89, close 4428.78, from
  ../choice_csi300_000300SH_daily_2022-04_2022-09.csv; up early, down from 10:00.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAY = "2022-07-08"


def minutes() -> list[str]:
    """The bar ends of one session: 09:30 (auction), 09:31-11:30, 13:01-15:00."""
    out = [f"{DAY} 09:30:00"]
    for start, n in (("09:30", 120), ("13:00", 120)):
        t0 = datetime.strptime(f"{DAY} {start}", "%Y-%m-%d %H:%M")
        out += [(t0 + timedelta(minutes=k + 1)).strftime("%Y-%m-%d %H:%M:%S") for k in range(n)]
    return out


def path(points: list[tuple[int, float]], n: int) -> list[float]:
    """A piecewise-linear price path through (bar index, price) points, to the fen."""
    out = []
    for i in range(n):
        for (a, pa), (b, pb) in zip(points, points[1:], strict=False):
            if a <= i <= b:
                out.append(pa + (pb - pa) * (i - a) / (b - a) if b > a else pb)
                break
    return out


def write(name: str, code: str, closes: list[float], opening: float, volume: int, digits: int):
    ends = minutes()
    rows = []
    prev = opening
    for k, (end, close) in enumerate(zip(ends, closes, strict=True)):
        close = round(close, digits)
        open_ = opening if k == 0 else prev
        vol = volume // len(ends) + (volume % len(ends) if k == 0 else 0)
        rows.append(
            {
                "ts_code": code,
                "trade_time": end,
                "close": f"{close:.{digits}f}",
                "open": f"{open_:.{digits}f}",
                "high": f"{max(open_, close):.{digits}f}",
                "low": f"{min(open_, close):.{digits}f}",
                "vol": f"{vol:.1f}",
                "amount": f"{vol * close:.1f}",
            }
        )
        prev = close
    with (HERE / name).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(reversed(rows))  # newest first, as tushare returns them


def main() -> None:
    n = len(minutes())  # 241: index 0 is the 09:30 auction, 36 is the 10:06 bar end
    stock = path([(0, 8.20), (10, 8.18), (36, 8.26), (50, 8.62), (71, 9.00), (n - 1, 9.00)], n)
    write(
        "tushare_stk_mins_002045SZ_1min_2022-07-08_CONSTRUCTED.csv",
        "002045.SZ",
        stock,
        8.20,
        240572 * 100,
        2,
    )
    index = path([(0, 4468.06), (18, 4479.49), (30, 4470.00), (150, 4426.89), (n - 1, 4428.78)], n)
    write(
        "tushare_idx_mins_000300SH_1min_2022-07-08_CONSTRUCTED.csv",
        "000300.SH",
        index,
        4468.06,
        1231957_3900,
        4,
    )


if __name__ == "__main__":
    main()
