"""The reliability suite: kill -9 at random moments of each spider's crawl, every fault of
the replay catalogue at every place, and the hostile pages.

After each kill or faulty run, one clean run must leave exactly what an uninterrupted
clean crawl leaves: the same articles (URL and content hash), the same stories, the
database whole (integrity_check), no run left "running", no crawler process left.

The default run (CI) has one kill trial per spider, a diagonal of the fault matrix
(every fault once, every place at least once) and every hostile page. The long run:

    .venv/bin/python -m pytest -m "not live" tests/test_reliability.py

(marker "reliability" selected too) adds KILLS_PER_SPIDER - 1 more kill trials per
spider and every other fault x place.
NEWSMON_RELIABILITY_SEED changes the kill moments (default 10); with
NEWSMON_RELIABILITY_REPORT=path each trial and cell is appended there as a JSON line.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsmon.crawler.replay import TRANSIENT_FAULTS, replay_server
from newsmon.crawler.runner import run_crawl
from newsmon.db import connect
from newsmon.db.analysis import load_story_article_ids
from newsmon.db.crawl import load_crawl_runs, process_alive
from newsmon.pipeline import update_stories
from replay_harness import replay_config, stored

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SPIDERS = ("sina", "ithome", "gov_cn", "shanghai_gov", "feed")
KILLS_PER_SPIDER = 6
SEED = int(os.environ.get("NEWSMON_RELIABILITY_SEED", "10"))
REPORT = os.environ.get("NEWSMON_RELIABILITY_REPORT")
#: slow enough that a kill lands in the middle of a crawl, fast enough for CI
KILL_CRAWL = {"download_delay": 0.15, "frontier_backoff_s": 0}
#: a fault's run: one retry, short timeouts
FAULT_CRAWL = {
    "timeout_s": 1,
    "retries": 1,
    "retry_backoff_s": 0.1,
    "retry_after_max_s": 1,
    "frontier_backoff_s": 0,
}
SINA_000 = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
ORIGIN = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
PDF = "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"
#: place -> (spider, URL the fault is served at)
PLACES = {
    "list page": ("shanghai_gov", "https://www.shanghai.gov.cn/nw12344/index.html"),
    "feed": ("feed", "http://www.kepu.gov.cn/feed/atom.xml"),
    "JSON API": ("sina", "https://feed.mix.sina.com.cn/api/roll/get"),
    "article": ("sina", SINA_000),
    "origin": ("ithome", ORIGIN),
    "attachment": ("shanghai_gov", PDF),
}
#: the peak RSS a crawl meeting the hostile pages must stay under (MB)
HOSTILE_RSS_LIMIT_MB = 500


def report(kind: str, **row) -> None:
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as f:
            f.write(json.dumps({"kind": kind, **row}, ensure_ascii=False) + "\n")


# --- what a database holds ----------------------------------------------------------------------


def summary(db_path) -> dict:
    """Articles (URL -> content hash), stories (a partition of URLs), integrity, runs."""
    db = connect(db_path)
    try:
        integrity = db.execute("pragma integrity_check").fetchone()[0]
        db.execute("insert into articles_fts(articles_fts) values ('integrity-check')")
        rows = list(db.query("select id, url, content_hash from articles"))
        update_stories(db)
        url_of = {r["id"]: r["url"] for r in rows}
        groups: dict[str, set[str]] = {}
        for m in load_story_article_ids(db):
            groups.setdefault(m["story_id"], set()).add(url_of[m["article_id"]])
        running = [r["id"] for r in load_crawl_runs(db) if r["status"] == "running"]
    finally:
        db.conn.close()
    return {
        "integrity": integrity,
        "articles": {r["url"]: r["content_hash"] for r in rows},
        "duplicates": len(rows) - len({r["url"] for r in rows}),
        "stories": {frozenset(g) for g in groups.values()},
        "running": running,
    }


def crawler_processes(db_path) -> list[int]:
    """Crawler processes working on this database (any parent)."""
    wanted = str(Path(db_path).resolve()).encode()
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"newsmon.crawler.runner" not in (entry / "cmdline").read_bytes():
                continue
            if wanted in (entry / "environ").read_bytes() or wanted in _stdin_config(entry):
                out.append(int(entry.name))
        except OSError:
            continue
    return out


def _stdin_config(entry: Path) -> bytes:
    """The crawler's parent's command line names the database (--db)."""
    try:
        stat = (entry / "stat").read_text()
        ppid = stat.rsplit(")", 1)[1].split()[1]
        return (Path("/proc") / ppid / "cmdline").read_bytes()
    except OSError:
        return b""


def wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"crawler.runner" in cmdline:
                out.append(int(entry.name))
    return out


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with replay_server() as srv:
        yield srv


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("reliability")


def crawl_command(server, workdir: Path, db: Path, spider: str) -> subprocess.Popen:
    conf = workdir / "kill.toml"
    conf.write_text(
        "[crawl]\n" + "".join(f"{k} = {v}\n" for k, v in KILL_CRAWL.items()) + "timeout_s = 5\n"
        "retries = 2\nretry_backoff_s = 0.1\nretry_after_max_s = 2\n"
        '[sources.feed]\nfeeds = ["http://www.kepu.gov.cn/feed/atom.xml"]\n',
        encoding="utf-8",
    )
    env = {**os.environ, "NEWSMON_BASE_URL": server.base_url, "NEWSMON_PROGRESS": "0"}
    env.pop("NEWSMON_CONFIG", None)
    env.pop("NEWSMON_DB", None)
    args = [sys.executable, "-P", "-m", "newsmon.cli", "--db", str(db), "--config", str(conf)]
    return subprocess.Popen(
        [*args, "crawl", spider], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


@pytest.fixture(scope="module")
def references(server, workdir):
    """Per spider: what one uninterrupted clean crawl leaves, and how long its crawler ran."""
    cache: dict[str, dict] = {}

    def get(spider: str) -> dict:
        if spider not in cache:
            server.clear_faults()
            db = workdir / f"reference-{spider}.db"
            proc = crawl_command(server, workdir, db, spider)
            assert wait_for(lambda: children_of(proc.pid), 30)
            started = time.monotonic()
            assert proc.wait(timeout=120) == 0, proc.stderr.read()
            cache[spider] = {**summary(db), "seconds": time.monotonic() - started}
            assert cache[spider]["articles"], spider
        return cache[spider]

    return get


# --- kill trials --------------------------------------------------------------------------------


def kill_params():
    out = []
    for spider in SPIDERS:
        for trial in range(KILLS_PER_SPIDER):
            marks = () if trial == 0 else (pytest.mark.reliability,)
            out.append(pytest.param(spider, trial, marks=marks, id=f"{spider}-{trial}"))
    return out


@pytest.mark.parametrize("spider,trial", kill_params())
def test_kill_9_then_a_clean_run_gives_the_clean_crawl(server, workdir, references, spider, trial):
    reference = references(spider)
    rng = random.Random(f"{SEED}-{spider}-{trial}")
    target = "parent" if trial % 2 == 0 else "crawler"
    server.clear_faults()
    db = workdir / f"kill-{spider}-{trial}.db"
    proc = crawl_command(server, workdir, db, spider)
    child = wait_for(lambda: children_of(proc.pid), 30)
    assert child, "the crawl did not start"
    moment = rng.uniform(0.1, 0.8) * reference["seconds"]
    time.sleep(moment)
    try:
        os.kill(proc.pid if target == "parent" else child[0], signal.SIGKILL)
    except ProcessLookupError:  # the crawl was quicker this time: nothing left to kill
        target = "none (the crawl had ended)"
    proc.wait(timeout=60)
    at_kill = len(stored(db)) if db.exists() else 0
    left = wait_for(lambda: not crawler_processes(db) and not process_alive(child[0]), 40)
    orphans = [] if left else crawler_processes(db) or [child[0]]
    config = replay_config(server.base_url, db, crawl=KILL_CRAWL)
    recovery = run_crawl(config, spider)
    got = summary(db)
    row = {
        "spider": spider,
        "trial": trial,
        "killed": target,
        "at_s": round(moment, 2),
        "stored_at_kill": at_kill,
        "of": len(reference["articles"]),
        "integrity": got["integrity"],
        "articles_equal": got["articles"] == reference["articles"],
        "stories_equal": got["stories"] == reference["stories"],
        "running": len(got["running"]),
        "orphans": len(orphans),
        "recovery": recovery.status,
    }
    report("kill", **row)
    assert not orphans, f"crawler processes left: {orphans}"
    assert recovery.ok, recovery.errors
    assert got["integrity"] == "ok" and got["duplicates"] == 0
    missing = set(reference["articles"]) - set(got["articles"])
    changed = {
        u
        for u in reference["articles"]
        if got["articles"].get(u) not in (None, reference["articles"][u])
    }
    assert not missing and not changed, (missing, changed)
    assert got["articles"] == reference["articles"]
    assert got["stories"] == reference["stories"]
    assert got["running"] == []


# --- the fault matrix ---------------------------------------------------------------------------


def fault_params():
    out = []
    places = list(PLACES)
    diagonal = {(fault, places[i % len(places)]) for i, fault in enumerate(TRANSIENT_FAULTS)}
    diagonal |= {(TRANSIENT_FAULTS[i % len(TRANSIENT_FAULTS)], p) for i, p in enumerate(places)}
    for fault in TRANSIENT_FAULTS:
        for place in places:
            marks = () if (fault, place) in diagonal else (pytest.mark.reliability,)
            out.append(pytest.param(fault, place, marks=marks, id=f"{fault}@{place}"))
    return out


@pytest.mark.parametrize("fault,place", fault_params())
def test_each_fault_at_each_place_is_recovered_by_the_next_run(
    server, workdir, references, fault, place
):
    spider, url = PLACES[place]
    reference = references(spider)
    db = workdir / f"fault-{fault}-{place.replace(' ', '_')}.db"
    config = replay_config(server.base_url, db, crawl=FAULT_CRAWL)
    server.clear_faults()
    served = len([h for h in server.hits if h.fault == fault])
    server.set_fault(url, fault, retry_after=1, delay=2)
    faulty = run_crawl(config, spider)
    exercised = len([h for h in server.hits if h.fault == fault]) > served
    server.clear_faults()
    clean = run_crawl(config, spider)
    got = summary(db)
    row = {
        "fault": fault,
        "place": place,
        "spider": spider,
        "exercised": exercised,
        "faulty_run": faulty.status,
        "next_run": clean.status,
        "recovered": clean.ok
        and got["articles"] == reference["articles"]
        and got["stories"] == reference["stories"]
        and got["integrity"] == "ok"
        and not got["running"],
    }
    report("fault", **row)
    assert exercised, f"the {fault} fault was never served at {url}"
    assert clean.ok, clean.errors
    assert got["integrity"] == "ok" and got["duplicates"] == 0 and not got["running"]
    assert set(got["articles"]) == set(reference["articles"])
    assert got["articles"] == reference["articles"]
    assert got["stories"] == reference["stories"]


# --- hostile pages ------------------------------------------------------------------------------

#: hostile fault -> the Sina article it is served at (each page gets one)
HOSTILE = {
    "huge": "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml",
    "gzip-bomb": "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2749306.shtml",
    "deep-nesting": "https://finance.sina.com.cn/roll/2018-12-28/doc-ihqfskcn2160999.shtml",
    "nul-bytes": "https://finance.sina.com.cn/stock/usstock/c/2019-09-09/doc-iicezzrq4681677.shtml",
    "invalid-utf8": "https://tech.sina.com.cn/t/2019-09-11/doc-iicezzrq4972166.shtml",
    "hostile-canonical": "https://news.sina.com.cn/c/2019-11-25/doc-iihnzahi3275702.shtml",
    "offsite-redirect": "https://news.sina.com.cn/c/2024-05-10/doc-inausehc2630922.shtml",
    "script-title": "https://news.sina.com.cn/o/2024-05-16/doc-inavmmfi1968342.shtml",
}
#: what each hostile page must be reported with (a failure's reason, or a stored note)
HOSTILE_REASON = {
    "huge": "larger than the response cap",
    "gzip-bomb": "DOWNLOAD_MAXSIZE",
    "deep-nesting": "nests elements deeper than 256 levels",
    "nul-bytes": "NUL bytes in the page were left out",
    "invalid-utf8": "replaced (U+FFFD)",
    "hostile-canonical": "https://www.ithome.com/0/628/383.htm",
    "offsite-redirect": "offsite redirect refused",
    "script-title": "script in the page's <title> was left out",
}


def crawl_measured(config, spider: str, workdir: Path):
    """run_crawl(refresh=True) from a fresh interpreter: (the result, the crawl's peak RSS
    in MB). This process's own RUSAGE_CHILDREN would also hold every earlier test's
    children (a browser, demos), so the crawl is measured where it is the only child."""
    from types import SimpleNamespace

    frozen = workdir / f"{spider}-measured-config.json"
    frozen.write_text(json.dumps(config.data, ensure_ascii=False), encoding="utf-8")
    code = (
        "import json, resource, sys\n"
        "from dataclasses import asdict\n"
        "from newsmon.config import Config, validate\n"
        "from newsmon.crawler.runner import run_crawl\n"
        "config = Config(json.loads(open(sys.argv[1], encoding='utf-8').read()))\n"
        "validate(config)\n"
        "result = run_crawl(config, sys.argv[2], refresh=True)\n"
        "print(json.dumps(asdict(result), ensure_ascii=False, default=str))\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    run = subprocess.run(
        [sys.executable, "-P", "-c", code, str(frozen), spider],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    *_, result, rss = run.stdout.strip().splitlines()
    return SimpleNamespace(**json.loads(result)), float(rss)


def test_hostile_pages_are_bounded_reported_and_change_no_other_article(server, workdir):
    server.clear_faults()
    db = workdir / "hostile.db"
    config = replay_config(server.base_url, db)
    assert run_crawl(config, "sina").ok
    before = {a["url"]: (a["id"], a["content_hash"], a["updated_at"]) for a in stored(db)}
    clean_text = {a["url"]: a["text"] for a in stored(db)}
    for kind, url in HOSTILE.items():
        options = {"target": "https://www.ithome.com/0/628/383.htm"} if "canonical" in kind else {}
        server.set_fault(url, kind, **options)
    hostile, rss = crawl_measured(config, "sina", workdir)
    server.clear_faults()
    said: dict[str, str] = {e["url"]: e["reason"] for e in hostile.errors}
    for note in hostile.stats.get("notes") or []:
        said[note["url"]] = said.get(note["url"], "") + json.dumps(note, ensure_ascii=False)
    after = {a["url"]: (a["id"], a["content_hash"], a["updated_at"]) for a in stored(db)}
    rows = []
    for kind, url in HOSTILE.items():
        reason = said.get(url, "")
        rows.append({"page": kind, "reported": HOSTILE_REASON[kind] in reason, "reason": reason})
        report("hostile", **rows[-1])
    report("hostile-run", peak_rss_mb=round(rss), status=hostile.status)
    assert rss < HOSTILE_RSS_LIMIT_MB, f"peak RSS {rss:.0f} MB"
    assert hostile.status == "partial"
    for row in rows:
        assert row["reported"], row
    hostile_urls = set(HOSTILE.values())
    others = {u: v for u, v in before.items() if u not in hostile_urls}
    assert {u: after[u] for u in others} == others, "an article no hostile page was at changed"
    assert set(after) == set(before), "a hostile page added or removed an article"
    for kind in ("huge", "gzip-bomb", "deep-nesting", "offsite-redirect"):
        assert after[HOSTILE[kind]] == before[HOSTILE[kind]], f"{kind} replaced its article"
    (nul,) = stored(db, url=HOSTILE["nul-bytes"])
    assert nul["text"] == clean_text[HOSTILE["nul-bytes"]] and "\x00" not in nul["text"]
    (canonical,) = stored(db, url=HOSTILE["hostile-canonical"])
    assert canonical["canonical_url"] == HOSTILE["hostile-canonical"]
    (scripted,) = stored(db, url=HOSTILE["script-title"])
    assert "<script" not in scripted["title"] and "alert" not in scripted["title"]
    db_ = connect(db)
    assert db_.execute("pragma integrity_check").fetchone()[0] == "ok"
