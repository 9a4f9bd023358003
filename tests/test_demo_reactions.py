"""The demo's market reactions as an analyst checks them, end to end: the replayed
2022-07-08 event crawled, stored and computed by the real pipeline, read back through the
CLI, the library and the digest; then minute bars imported, a session removed, and the
story moved into a year whose holidays are not known yet."""

from __future__ import annotations

import csv
import json
import sqlite3

import pandas as pd
import pytest
from click.testing import CliRunner

import newsmon
from conftest import DATA
from newsmon.cli import cli
from newsmon.config import load_config
from newsmon.db import connect
from newsmon.db.analysis import load_reactions, load_stock_reactions, load_stories
from newsmon.demo import DEMO_DAY, run_demo

MARKET = DATA / "market"
CROSS = MARKET / "samleon_daily_all_ashares_2022-07-01_2022-07-15.csv"
CHOICE = MARKET / "choice_csi300_000300SH_daily_2022-04_2022-09.csv"
STOCK_1M = MARKET / "intraday" / "tushare_stk_mins_002045SZ_1min_2022-07-08_CONSTRUCTED.csv"
INDEX_1M = MARKET / "intraday" / "tushare_idx_mins_000300SH_1min_2022-07-08_CONSTRUCTED.csv"
NOTICE_2027 = DATA / "calendar" / "constructed_2027_notice.txt"
SECTORS = [
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


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo_reactions")
    config = load_config(env={}, db=str(tmp / "demo.db"))
    config.data["digest"]["output_dir"] = str(tmp / "digests")
    run_demo(config, echo=lambda line: None)
    return tmp


def copy_of(demo, tmp_path):
    """A copy of the demo database to change, and its configuration."""
    path = tmp_path / "copy.db"
    source, target = sqlite3.connect(demo / "demo.db"), sqlite3.connect(path)
    source.backup(target)  # with what is still in the write-ahead log
    source.close()
    target.close()
    config = load_config(env={}, db=str(path))
    config.data["digest"]["output_dir"] = str(tmp_path / "digests")
    return path, config


def cli_json(db_path, *args):
    result = CliRunner().invoke(cli, ["--db", str(db_path), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_sector(db_path):
    return {r["sector"]: r for r in cli_json(db_path, "reactions", "--date", DEMO_DAY)}


def hand_day0_ar(codes) -> float:
    """Mean of the members' close-to-close returns on 2022-07-08 minus CSI 300's, with csv."""
    closes: dict[str, dict[str, float]] = {}
    with open(CROSS, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            closes.setdefault(r["code"], {})[r["date"]] = float(r["close"])
    with open(CHOICE, encoding="utf-8-sig", newline="") as fh:
        csi = {r["交易日期"]: float(r["收盘价"]) for r in csv.DictReader(fh)}
    bench = csi[DEMO_DAY] / csi["2022-07-07"] - 1
    rets = [closes[c][DEMO_DAY] / closes[c]["2022-07-07"] - 1 for c in codes]
    return sum(rets) / len(rets) - bench


def test_smart_home_no_longer_carries_the_ex_rights_day(demo):
    row = by_sector(demo / "demo.db")["smart_home"]
    others = ["000333", "000651", "600690", "603486", "002032", "002508"]
    assert row["ar_day0"] == pytest.approx(hand_day0_ar(others), abs=1e-12)  # -0.03%
    assert abs(row["ar_day0"]) < 0.001  # was -3.88% with 688169.SS's -27.3%
    assert row["n_members_with_data"] == 6
    assert "688169.SS" not in row["figures"]["limit_down"]
    assert any("688169.SS 2022-07-08" in n and "corporate action" in n for n in row["notes"])


def test_nev_path_no_longer_carries_ganfengs_ex_rights_day(demo):
    row = by_sector(demo / "demo.db")["nev_batteries"]
    assert any("002460.SZ 2022-07-04 (day -4)" in n for n in row["notes"])
    point = next(p for p in row["figures"]["path"] if p["day"] == -5)
    assert point["n"] == 7  # 002460.SZ's 07-04 is no move


def test_every_sector_row_has_a_named_test_statistic(demo):
    rows = by_sector(demo / "demo.db")
    assert sorted(rows) == SECTORS
    for sector, r in rows.items():
        assert isinstance(r["t_ar0"], float), sector
        assert r["test"] in ("BMP", "cross-sectional t"), sector
    table = CliRunner().invoke(
        cli, ["--db", str(demo / "demo.db"), "reactions", "--date", DEMO_DAY]
    )
    assert table.stdout.count("cross-sectional t") + table.stdout.count("BMP") == 10


def test_named_stocks_limit_up_by_the_price_rule(demo):
    rows = {
        r["ticker"]: r
        for r in cli_json(demo / "demo.db", "reactions", "--date", DEMO_DAY, "--stocks")
    }
    assert sorted(rows) == ["002045.SZ", "002047.SZ", "300088.SZ", "300433.SZ"]
    for ticker, ret, price in [
        ("002045.SZ", 9.00 / 8.18 - 1, 9.00),
        ("002047.SZ", 4.07 / 3.70 - 1, 4.07),
    ]:
        r = rows[ticker]
        assert r["return0"] == pytest.approx(ret, abs=1e-12)
        assert (r["limit_up"], r["limit_up_price"]) == (True, price)
        assert isinstance(r["ar_day0"], float) and r["test"] == "time-series t"
    assert round(rows["002045.SZ"]["return0"] * 100, 2) == 10.02
    assert round(rows["002047.SZ"]["return0"] * 100, 2) == 10.00
    assert rows["300088.SZ"]["limit_up"] is False
    with newsmon.open(demo / "demo.db") as m:
        frame = m.stock_reactions(date=DEMO_DAY).set_index("ticker")
    assert frame.loc["002045.SZ", "limit_up"] and frame["return0"].dtype == "float64"
    html = (demo / "digests" / f"{DEMO_DAY}.html").read_text(encoding="utf-8")
    row = html[html.index('data-ticker="002045.SZ"') :].split("</tr>", 1)[0]
    assert "+10.02%" in row and "limit-up 9.00" in row


def test_the_stored_path_agrees_with_the_table(demo):
    db = connect(demo / "demo.db")
    (story,) = load_stories(db, day_shanghai=DEMO_DAY)
    for r in load_reactions(db, story_id=story["id"]):
        f = r["figures"]
        path = {p["day"]: p["car"] for p in f["path"]}
        assert path[-1] == 0.0 and path[0] == pytest.approx(f["ar0"])
        assert path[1] == pytest.approx(f["car_0_1"]) and path[3] == pytest.approx(f["car_0_3"])
        assert path[-4] == pytest.approx(-f["car_m3_m1"])
        assert all(path[d] is not None for d in range(-5, 6)), r["sector_id"]
    green = next(
        r for r in load_reactions(db, story_id=story["id"]) if r["sector_id"] == "green_low_carbon"
    )
    assert round(green["figures"]["car_0_3"] * 100, 2) == 2.99
    db.close()


def test_digest_says_why_there_is_no_intraday_path(demo):
    html = (demo / "digests" / f"{DEMO_DAY}.html").read_text(encoding="utf-8")
    assert "No intraday path: no minute bars stored" in html
    assert "Sectors are ordered by the strength of the evidence" in html


def test_minute_bars_imported_give_the_minute_windows(demo, tmp_path):
    path, config = copy_of(demo, tmp_path)
    runner = CliRunner()
    out = runner.invoke(cli, ["--db", str(path), "prices", "import", str(STOCK_1M), str(INDEX_1M)])
    assert out.exit_code == 0, out.output
    assert "482 new, 0 updated, 0 unchanged minute bars" in out.stdout
    react = runner.invoke(cli, ["--db", str(path), "react", "--date", DEMO_DAY])
    assert react.exit_code == 0, react.output
    rows = {r["ticker"]: r for r in cli_json(path, "reactions", "--date", DEMO_DAY, "--stocks")}
    with open(STOCK_1M, encoding="utf-8", newline="") as fh:
        stock = {r["trade_time"][11:16]: float(r["close"]) for r in csv.DictReader(fh)}
    with open(INDEX_1M, encoding="utf-8", newline="") as fh:
        index = {r["trade_time"][11:16]: float(r["close"]) for r in csv.DictReader(fh)}
    hand = stock["10:36"] / stock["10:06"] - 1 - (index["10:36"] / index["10:06"] - 1)
    assert rows["002045.SZ"]["ar_30m"] == pytest.approx(hand, abs=1e-15)
    assert rows["002047.SZ"]["ar_30m"] is None  # no bars for it
    metaverse = by_sector(path)["metaverse"]
    assert metaverse["ar_30m"] == pytest.approx(hand, abs=1e-15)
    from newsmon.pipeline import write_digest

    db = connect(path)
    written = write_digest(db, config, DEMO_DAY)
    db.close()
    html = open(written["html"], encoding="utf-8").read()
    table = html[html.index('<table class="intraday"') :].split("</table>", 1)[0]
    assert "Metaverse" in table and "002045.SZ 国光电器" in table
    assert f"{hand * 100:+.2f}%" in table  # the +30 min column


def test_minute_bars_from_yahoo_are_refused_for_a_2022_story_with_the_limits(demo):
    out = CliRunner().invoke(
        cli, ["--db", str(demo / "demo.db"), "prices", "update", "--interval", "1m"]
    )
    assert out.exit_code == 1
    assert "Yahoo serves 1m bars for the last 30 days, at most 7 days a request" in out.output
    assert "newsmon prices import" in out.output
    help_text = CliRunner().invoke(cli, ["prices", "update", "--help"]).stdout
    assert "last 30 days" in help_text and "60 days" in help_text


def test_a_story_past_the_known_holidays_is_provisional_on_every_row(demo, tmp_path):
    from newsmon.holidays import import_notice_file
    from newsmon.pipeline import compute_reactions

    path, config = copy_of(demo, tmp_path)
    db = connect(path)
    (story,) = load_stories(db, day_shanghai=DEMO_DAY)
    db["stories"].update(story["id"], {"first_published_at": "2027-02-08T02:06:12Z"})
    far = next(s for s in load_stories(db) if s["id"] != story["id"])
    db["stories"].update(far["id"], {"first_published_at": "2040-07-08T02:00:00Z"})
    counts = compute_reactions(db, config)  # never raises for the 2040 story
    assert counts["provisional"] == 1
    rows = load_reactions(db, story_id=story["id"]) + load_stock_reactions(db, story_id=story["id"])
    assert len(rows) == 14
    for r in rows:
        assert r["event_session"] == "2027-02-08"
        assert r["figures"]["provisional"] is True
        assert r["figures"]["notes"][0].startswith("provisional: 2027-02-08 is past")
    meta = next(s for s in load_stories(db) if s["id"] == far["id"])["meta"]
    assert "outside the XSHG calendar" in meta["reaction_error"]
    # the 2027 notice known: no longer provisional, and the Spring Festival is closed
    import_notice_file(db, NOTICE_2027)
    counts = compute_reactions(db, config)
    assert counts["provisional"] == 0
    for r in load_reactions(db, story_id=story["id"]):
        assert r["event_session"] == "2027-02-15" and not r["figures"].get("provisional")
    db.close()


def test_analyze_picks_up_a_crawled_holiday_notice(demo, tmp_path):
    from newsmon.db.articles import save_article
    from newsmon.db.calendar import load_calendar_years
    from newsmon.pipeline import analyze

    path, config = copy_of(demo, tmp_path)
    db = connect(path)
    text = NOTICE_2027.read_text(encoding="utf-8")
    save_article(
        db,
        {
            "url": "https://www.gov.cn/zhengce/zhengceku/202611/content_2027.htm",
            "site": "gov_cn",
            "kind": "document",
            "title": text.splitlines()[0],
            "text": text,
            "published_at": "2026-11-10T02:00:00Z",
        },
    )
    out = analyze(db, config, day=DEMO_DAY)
    assert [n["year"] for n in out["calendar"]] == [2027]
    assert [y["year"] for y in load_calendar_years(db)] == [2027]
    db.close()


def test_a_session_removed_from_every_price_file_is_reported_missing(demo, tmp_path):
    from newsmon.pipeline import compute_reactions

    path, config = copy_of(demo, tmp_path)
    db = connect(path)
    db.execute("delete from prices where date = '2022-07-11'")
    db.conn.commit()
    compute_reactions(db, config, day=DEMO_DAY)
    db.close()
    row = by_sector(path)["metaverse"]
    assert row["car_0_1"] is None  # not 4.89%, the return over two sessions
    assert row["figures"]["n_car_0_1"] == 0
    (note,) = [n for n in row["notes"] if n.startswith("car_0_1 [0, 1]")]
    assert "2022-07-11" in note and "never folded into a longer return" in note
    assert row["ar_day0"] == pytest.approx(by_sector(demo / "demo.db")["metaverse"]["ar_day0"])


def test_minute_bars_from_yahoo_for_a_recent_session_are_stored(demo, tmp_path):
    """prices update --interval 1m's work, with yfinance.download injected: the event
    session inside Yahoo's 30 days is fetched and stored, the older ones are named."""
    from test_providers import FakeDownload, minute_frame

    from newsmon.db.analysis import load_bars
    from newsmon.pipeline import update_prices
    from newsmon.providers import YFinanceProvider

    path, config = copy_of(demo, tmp_path)
    db = connect(path)
    fake = FakeDownload(minute_frame("2022-07-08 09:30", 30))
    provider = YFinanceProvider(
        download=fake,
        sleep=lambda s: None,
        now=lambda: pd.Timestamp("2022-07-20T08:00Z"),
    )
    result = update_prices(db, config, provider, interval="1m")
    assert (result["sessions"], result["new"]) == (1, 30)
    assert "2022-02-11" in result["too_old"] and "2022-07-08" not in result["too_old"]
    assert "002045.SZ" not in result["no_bars"] and "002047.SZ" in result["no_bars"]
    assert {c["interval"] for c in fake.calls} == {"1m"}
    bars = load_bars(db, ["002045.SZ"], interval="1m")
    assert len(bars) == 30 and bars[0]["ts"] == "2022-07-08T01:30:00Z"
    db.close()
