"""newsmon as a notebook library, on the real demo database, and the CLI printing the same frames."""

import csv
import io
import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

import newsmon
from newsmon.cli import cli
from newsmon.config import load_config
from newsmon.demo import DEMO_DAY, run_demo
from newsmon.library import ROLES

RETURNS = ("sector_return", "benchmark_return", "ar_day0", "car_0_1", "car_0_3", "pre_drift")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("library")
    config = load_config(env={}, db=str(tmp / "demo.db"))
    config.data["digest"]["output_dir"] = str(tmp / "digests")
    run_demo(config, echo=lambda line: None)
    return tmp / "demo.db"


@pytest.fixture
def m(demo_db):
    with newsmon.open(demo_db) as opened:
        yield opened


def cli_json(db, *args):
    result = CliRunner().invoke(cli, ["--db", str(db), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_metaverse_day0_ar_is_the_clis(demo_db, m):
    frame = m.reactions(date="2022-07-08")
    (ar,) = frame.loc[frame["sector"] == "metaverse", "ar_day0"]
    (row,) = [
        r for r in cli_json(demo_db, "reactions", "--date", DEMO_DAY) if r["sector"] == "metaverse"
    ]
    assert ar == row["ar_day0"] and ar > 0.03


def test_reactions_json_figures_are_numbers(demo_db):
    rows = cli_json(demo_db, "reactions", "--date", DEMO_DAY)
    assert len(rows) == 10
    for r in rows:
        for c in RETURNS:
            assert isinstance(r[c], float), (r["sector"], c, r[c])
        assert r["t_ar0"] is None or isinstance(r["t_ar0"], float)
        assert isinstance(r["n_members"], int) and isinstance(r["n_members_with_data"], int)
        assert r["event_time"] == "2022-07-08T02:06:12Z"
        assert r["event_time_shanghai"] == "2022-07-08T10:06:12+08:00"
        assert r["event_session"] == "2022-07-08"
        assert isinstance(r["notes"], list) and isinstance(r["figures"], dict)


def test_reactions_csv_has_fractions_and_the_table_percent(demo_db):
    by_json = {r["sector"]: r for r in cli_json(demo_db, "reactions", "--date", DEMO_DAY)}
    out = CliRunner().invoke(cli, ["--db", str(demo_db), "reactions", "--date", DEMO_DAY, "--csv"])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    for r in rows:
        assert float(r["ar_day0"]) == by_json[r["sector"]]["ar_day0"]
        assert json.loads(r["notes"]) == by_json[r["sector"]]["notes"]
    table = CliRunner().invoke(cli, ["--db", str(demo_db), "reactions", "--date", DEMO_DAY])
    line = next(x for x in table.stdout.splitlines() if " metaverse " in x)
    assert "+5.18%" in line and "2022-07-08 10:06" in line and "10/10" in line
    assert "{'" not in table.stdout and "['" not in table.stdout


def test_frames_have_typed_columns(m):
    reactions = m.reactions(date=DEMO_DAY)
    assert str(reactions["event_time"].dtype) == "datetime64[ns, UTC]"
    assert str(reactions["event_session"].dtype) == "datetime64[ns]"
    assert all(reactions[c].dtype == "float64" for c in RETURNS)
    assert str(reactions["n_members"].dtype) == "Int64"
    stories = m.stories(date=DEMO_DAY)
    assert str(stories["first_published_at"].dtype) == "datetime64[ns, UTC]"
    members = m.story(stories["id"].iloc[0])
    assert isinstance(members["role"].dtype, pd.CategoricalDtype)
    assert list(members["role"].cat.categories) == list(ROLES)
    assert members["novelty"].dtype == "float64" and members["official_origin"].dtype == bool


def test_roles_are_story_detections():
    from newsmon.analysis.stories import ROLES as DETECTED

    assert ROLES == DETECTED


def test_stories_of_the_day(m):
    (story,) = m.stories(date=DEMO_DAY).itertuples()
    assert story.first_site == "ithome"
    assert story.first_published_at == pd.Timestamp("2022-07-08T02:06:12Z")
    assert m.stories(date=pd.Timestamp("2022-07-08")).shape[0] == 1
    assert len(m.stories()) > 1


def test_story_members_and_origin(m):
    story_id = m.stories(date=DEMO_DAY)["id"].iloc[0]
    members = m.story(story_id)
    origin = members[members["official_origin"]]
    assert list(origin["site"]) == ["shanghai_gov"] and list(origin["role"]) == ["origin"]
    assert "ithome" in set(members["site"])
    with pytest.raises(KeyError, match="no story 'nope'"):
        m.story("nope")


def test_articles_filtered(m):
    sina = m.articles(site="sina", since="2022-07-08", until="2022-07-09")
    assert len(sina) >= 2 and set(sina["site"]) == {"sina"}
    assert (
        sina["published_at"]
        .between(pd.Timestamp("2022-07-08", tz="UTC"), pd.Timestamp("2022-07-09", tz="UTC"))
        .all()
    )
    assert sina["published_at"].is_monotonic_increasing
    assert len(m.articles(limit=3)) == 3
    assert str(m.articles()["document_date"].dtype) == "datetime64[ns]"


def test_prices_window(m):
    frame = m.prices(["000300.SS"], "2022-07-01", "2022-07-08")
    assert set(frame["ticker"]) == {"000300.SS"}
    assert frame["date"].min() >= pd.Timestamp("2022-07-01")
    assert frame["date"].max() == pd.Timestamp("2022-07-08")
    assert frame["close"].dtype == "float64" and str(frame["date"].dtype) == "datetime64[ns]"
    assert m.prices("nope.SS").empty


def test_cli_stories_print_the_frame(demo_db, m):
    printed = cli_json(demo_db, "stories")
    frame = m.stories()
    assert [r["id"] for r in printed] == list(frame["id"])
    first = next(r for r in printed if r["id"] == m.stories(date=DEMO_DAY)["id"].iloc[0])
    assert first["first_published_at"] == "2022-07-08T02:06:12Z"
    assert first["first_published_shanghai"] == "2022-07-08T10:06:12+08:00"
    assert first["n_articles"] == 4


def test_opening_a_missing_database_raises_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such database"):
        newsmon.open(tmp_path / "typo.db")
    assert list(tmp_path.iterdir()) == []


def test_import_newsmon_is_cheap():
    code = (
        "import sys, newsmon; "
        "print(sorted(m for m in ('pandas', 'newsmon.db', 'sqlite_utils', 'click') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
