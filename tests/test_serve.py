"""newsmon serve: Datasette over the database, read-only, with described tables and canned queries."""

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from newsmon.db import connect
from newsmon.db.datasette import DATABASE_NAME, QUERIES, TABLES, make_datasette

ARTICLES = [
    # id, site, published_at (UTC), title, text, kind
    (
        "a1",
        "gov_cn",
        None,
        "上海市加快智能终端产业发展行动方案",
        "为加快智能终端产业发展，制定本方案。",
        "document",
    ),
    (
        "a2",
        "sina",
        "2022-07-08T02:06:12Z",
        "上海发布智能终端行动方案",
        "上海市政府印发智能终端产业行动方案，氢能也在列。",
        "article",
    ),
    (
        "a3",
        "ithome",
        "2022-07-08T02:37:56Z",
        "上海：到2025年智能终端产业规模突破5000亿元",
        "IT之家7月8日消息，上海智能终端行动方案发布。",
        "article",
    ),
    (
        "a4",
        "sina",
        "2022-07-08T03:00:00Z",
        "氢能产业链迎来政策利好",
        "上海氢能产业发展规划落地。",
        "article",
    ),
    (
        "a5",
        "ithome",
        "2022-07-08T03:30:00Z",
        "氢能汽车示范应用扩大",
        "氢能汽车示范城市群扩容。",
        "article",
    ),
]


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "serve.db"
    db = connect(path)
    db["articles"].insert_all(
        [
            {
                "id": aid,
                "key": f"https://example.com/{aid}",
                "url": f"https://example.com/{aid}",
                "site": site,
                "kind": kind,
                "title": title,
                "text": text,
                "text_match": text,
                "published_at": published,
                "source": "上海市人民政府" if site == "gov_cn" else None,
                "doc_number": "沪府办发〔2022〕11号" if site == "gov_cn" else None,
            }
            for aid, site, published, title, text, kind in ARTICLES
        ]
    )
    db["stories"].insert_all(
        [
            {
                "id": "s1",
                "title": "上海智能终端行动方案",
                "origin_article_id": "a1",
                "first_article_id": "a2",
                "first_published_at": "2022-07-08T02:06:12Z",
                "first_site": "sina",
                "n_articles": 3,
                "n_sites": 3,
                "official_origin_url": "https://example.com/a1",
            },
            {
                "id": "s2",
                "title": "氢能政策",
                "first_article_id": "a4",
                "first_published_at": "2022-07-08T03:00:00Z",
                "first_site": "sina",
                "n_articles": 2,
                "n_sites": 2,
            },
        ]
    )
    db["story_articles"].insert_all(
        [
            {"article_id": "a1", "story_id": "s1", "role": "origin", "novelty": 1.0, "score": 1.0},
            {"article_id": "a2", "story_id": "s1", "role": "reprint", "novelty": 0.1, "score": 0.9},
            {
                "article_id": "a3",
                "story_id": "s1",
                "role": "partial reprint",
                "novelty": 0.4,
                "score": 0.7,
            },
            {"article_id": "a4", "story_id": "s2", "role": "origin", "novelty": 1.0, "score": 1.0},
            {
                "article_id": "a5",
                "story_id": "s2",
                "role": "commentary",
                "novelty": 0.6,
                "score": 0.5,
            },
        ]
    )
    db["sectors"].insert_all(
        [
            {"id": "smart_devices", "name": "Smart devices", "name_zh": "智能终端"},
            {"id": "hydrogen", "name": "Hydrogen", "name_zh": "氢能"},
        ]
    )
    db["story_tags"].insert_all(
        [
            {
                "story_id": "s1",
                "kind": "sector",
                "code": "smart_devices",
                "name": "Smart devices",
                "relevance": 0.9,
            },
            {
                "story_id": "s2",
                "kind": "sector",
                "code": "hydrogen",
                "name": "Hydrogen",
                "relevance": 0.8,
            },
        ]
    )
    figures = {  # the keys the event study stores (analysis.reaction.reaction_record)
        "ar0": 0.0123,
        "car_0_1": 0.021,
        "car_0_3": 0.034,
        "car_m3_m1": -0.002,
        "t_ar0": 2.71,
        "test_ar0": "cross-sectional t",
        "sector_return": 0.018,
        "benchmark_return": 0.0057,
        "n_members_with_data": 12,
    }
    db["reactions"].insert_all(
        [
            {
                "story_id": "s1",
                "sector_id": "smart_devices",
                "event_time": "2022-07-08T02:06:12Z",
                "event_session": "2022-07-08",
                "figures": json.dumps(figures),
            },
            {
                "story_id": "s2",
                "sector_id": "hydrogen",
                "event_time": "2022-07-08T03:00:00Z",
                "event_session": "2022-07-08",
                "figures": json.dumps({**figures, "t_ar0": 1.1}),
            },
        ]
    )
    db["job_runs"].insert(
        {
            "job": "crawl_sina",
            "action": "crawl",
            "started_at": "2022-07-08T02:00:00Z",
            "ended_at": "2022-07-08T02:01:00Z",
            "status": "ok",
            "counts": '{"new": 2}',
        }
    )
    db.close()
    return path


def get(ds, path):
    async def fetch():
        return await ds.client.get(path)

    return asyncio.run(fetch())


def rows_of(ds, query, **params):
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    response = get(ds, f"/{DATABASE_NAME}/{query}.json?_shape=array&{qs}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    "query,params",
    [
        ("today_stories", {"day": "2022-07-08"}),
        ("story_spread", {"story_id": "s1"}),
        ("sector_reactions", {"day": "2022-07-08"}),
        ("sector_reactions", {}),
        ("first_publishers", {}),
        ("search", {"q": "智能终端"}),
        ("search", {"q": "氢能"}),
        ("recent_job_runs", {}),
    ],
)
def test_every_canned_query_answers_with_rows(db_path, query, params):
    assert rows_of(make_datasette(db_path), query, **params)


def test_every_canned_query_is_covered():
    assert set(QUERIES) == {
        "today_stories",
        "story_spread",
        "sector_reactions",
        "first_publishers",
        "search",
        "recent_job_runs",
    }


def test_canned_query_answers(db_path):
    ds = make_datasette(db_path)
    (smart, hydrogen) = rows_of(ds, "today_stories", day="2022-07-08")
    assert smart["story_id"] == "s1" and smart["first_published_shanghai"] == "2022-07-08 10:06:12"
    assert smart["sectors"] == "智能终端" and hydrogen["sectors"] == "氢能"
    assert rows_of(ds, "today_stories", day="2022-07-09") == []

    spread = rows_of(ds, "story_spread", story_id="s1")
    assert [r["site"] for r in spread] == ["gov_cn", "sina", "ithome"]  # the undated document first
    assert spread[2]["published_shanghai"] == "2022-07-08 10:37:56"
    assert spread[2]["minutes_after_first"] == 31.7 and spread[2]["role"] == "partial reprint"

    reactions = rows_of(ds, "sector_reactions", day="2022-07-08")
    assert [r["sector"] for r in reactions] == ["智能终端", "氢能"]  # strongest t first
    assert reactions[0]["car_0_1"] == 0.021 and reactions[0]["n_members_with_data"] == 12
    assert (reactions[0]["ar_day0"], reactions[0]["pre_drift"]) == (0.0123, -0.002)
    assert (reactions[0]["t_stat"], reactions[0]["test"]) == (2.71, "cross-sectional t")

    (sina, ithome, gov) = rows_of(ds, "first_publishers")
    assert sina["site"] == "sina" and sina["times_first"] == 2 and sina["pct_first"] == 100.0
    assert sina["avg_lead_minutes"] == 30.9  # (31.73 + 30) / 2
    assert ithome["times_first"] == 0 and gov["site"] == "gov_cn"

    long_q = rows_of(ds, "search", q="智能终端")
    assert {r["article_id"] for r in long_q} == {"a1", "a2", "a3"}
    assert any("[智能终端]" in r["snippet"] for r in long_q)
    short_q = rows_of(ds, "search", q="氢能")  # two characters: no trigram, scanned
    assert [r["article_id"] for r in short_q] == ["a5", "a4", "a2"]
    assert rows_of(ds, "search", q="") == []


def test_new_rows_show_while_serving(db_path):
    """mode=ro, not immutable: rows written after start (through WAL) are seen."""
    ds = make_datasette(db_path)
    assert len(rows_of(ds, "search", q="智能终端")) == 3
    db = connect(db_path)
    db["articles"].insert(
        {
            "id": "a6",
            "key": "k6",
            "site": "sina",
            "kind": "article",
            "title": "智能终端新品",
            "text": "新",
        }
    )
    assert len(rows_of(ds, "search", q="智能终端")) == 4
    db.close()


def test_tables_and_columns_are_described(db_path):
    db = connect(db_path)
    tables = {
        t
        for t in db.table_names()
        if not t.startswith("articles_fts") and t != "_sqlite_migrations"
    }
    tables -= {t for t in db.table_names() if t.startswith("_")}
    undescribed = sorted(tables - set(TABLES))
    assert not undescribed, f"describe these tables in db/datasette.py: {undescribed}"
    for name in tables:
        missing = sorted(set(db[name].columns_dict) - set(TABLES[name]["columns"]))
        assert not missing, f"describe {name} columns in db/datasette.py: {missing}"
    db.close()
    ds = make_datasette(db_path)
    page = get(ds, f"/{DATABASE_NAME}/job_runs")
    assert page.status_code == 200 and "interrupted (scheduler stopped)" in page.text
    meta = get(ds, "/-/metadata.json").json()
    assert meta["title"] == "newsmon"


WIPE = {"queries": {"wipe": {"sql": "delete from articles", "write": True}}}


def test_a_write_through_datasette_fails(db_path):
    ds = make_datasette(db_path, metadata_overrides={"databases": {DATABASE_NAME: WIPE}})

    async def attempts():
        wipe = await ds.client.post(
            f"/{DATABASE_NAME}/wipe", data={}, headers={"accept": "application/json"}
        )
        arbitrary = await ds.client.get(f"/{DATABASE_NAME}.json?sql=delete+from+articles")
        with pytest.raises(Exception, match="readonly"):
            await ds.get_database(DATABASE_NAME).execute_write("delete from articles")
        return wipe, arbitrary

    wipe, arbitrary = asyncio.run(attempts())
    assert wipe.json()["ok"] is False and "readonly" in wipe.json()["message"]
    assert arbitrary.status_code == 400
    db = connect(db_path)
    assert db["articles"].count == 5
    db.close()


def test_immutable_refuses_writes_too(db_path):
    ds = make_datasette(
        db_path, immutable=True, metadata_overrides={"databases": {DATABASE_NAME: WIPE}}
    )

    async def post():
        return await ds.client.post(f"/{DATABASE_NAME}/wipe", data={})

    assert asyncio.run(post()).status_code == 403
    assert rows_of(ds, "first_publishers")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_listens_on_localhost(db_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsmon.cli", "--db", str(db_path), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/{DATABASE_NAME}/story_spread.json?_shape=array&story_id=s2"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = json.loads(response.read())
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "datasette did not start"
                time.sleep(0.3)
        assert [r["article_id"] for r in body] == ["a4", "a5"]
        busy = subprocess.run(
            [
                sys.executable,
                "-m",
                "newsmon.cli",
                "--db",
                str(db_path),
                "serve",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert busy.returncode == 1
        assert busy.stderr.strip().startswith(f"Error: cannot listen on 127.0.0.1:{port}")
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
