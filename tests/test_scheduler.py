"""The scheduler: overlapping runs skipped, failures recorded, clean stop on signals, bad schedules refused."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from newsmon.cli import cli
from newsmon.config import load_config, load_defaults
from newsmon.config import schedule as sched
from newsmon.db import connect
from newsmon.db.jobs import load_job_runs, mark_stale_running, start_job_run
from newsmon.scheduler import JobRunner, read_result, run_once, run_schedule

#: a plain program reporting through the result file, as any job may
SLEEP = (
    "import json, os, sys, time; time.sleep(float(sys.argv[1])); "
    "open(os.environ['NEWSMON_RESULT_FILE'], 'w').write(json.dumps({'slept': float(sys.argv[1])}))"
)
#: a program that prints a JSON line and writes no result file: it reports no counts
CHATTY = "print('{\"new\": 3}')"

#: test actions: newsmon sql (real newsmon processes) and a plain sleeper
TEST_ACTIONS = {
    **sched.ACTIONS,
    "sql": sched.Action(lambda job: ["sql"], "newsmon sql ARGS"),
    "sleep": sched.Action(lambda job: [], "sleep ARGS[0] s", program=(sys.executable, "-c", SLEEP)),
    "chatty": sched.Action(lambda job: [], "print JSON", program=(sys.executable, "-c", CHATTY)),
}

#: the same in a `newsmon schedule` subprocess: register the actions, then run the command line
BOOT = f"""
import sys
from newsmon.config import schedule as s
s.ACTIONS["sleep"] = s.Action(lambda job: [], "sleep", program=(sys.executable, "-c", {SLEEP!r}))
from newsmon.cli import main
main(sys.argv[1:])
"""


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def write_schedule(path, jobs, *, keep_defaults=False, **settings):
    """A user file whose schedule has these jobs (default jobs switched off)."""
    lines = ["[schedule]"] + [f"{k} = {_toml_value(v)}" for k, v in settings.items()]
    defaults = {} if keep_defaults else load_defaults()[0]["schedule"]["jobs"]
    for name in defaults:
        if name not in jobs:
            lines += [f"[schedule.jobs.{name}]", "enabled = false"]
    for name, job in jobs.items():
        lines.append(f"[schedule.jobs.{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in job.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def config_with(tmp_path, jobs, **settings):
    user = write_schedule(tmp_path / "schedule.toml", jobs, **settings)
    return load_config(user, env={}, db=str(tmp_path / "t.db")), str(user)


def runs(db_path, job=None):
    db = connect(db_path)
    try:
        return list(reversed(load_job_runs(db, job=job, limit=None)))
    finally:
        db.close()


def run_for(config, config_path, seconds):
    schedule = sched.load_schedule(config, TEST_ACTIONS)
    runner = JobRunner(config.db_path, config_path=config_path, stop_grace_s=5)
    deadline = time.monotonic() + seconds
    run_schedule(
        config, schedule=schedule, runner=runner, until=lambda: time.monotonic() > deadline
    )


# ---------------------------------------------------------------- running


def test_overlapping_run_does_not_start_twice(tmp_path, caplog):
    config, path = config_with(
        tmp_path,
        {"slow": {"action": "sleep", "trigger": "interval", "seconds": 1, "args": ["2.5"]}},
    )
    run_for(config, path, 5.5)
    rows = runs(config.db_path, "slow")
    started = [r for r in rows if r["status"] != "skipped"]
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert skipped and all(r["error"] == "skipped: previous run still going" for r in skipped)
    assert "slow skipped: previous run still going" in caplog.text
    # never two at once: each run ends before the next one starts
    for a, b in zip(started, started[1:], strict=False):
        assert a["ended_at"] <= b["started_at"]
    assert started[0]["status"] == "ok" and started[0]["counts"] == {"slept": 2.5}
    assert all(r["status"] in ("ok", "interrupted") for r in started)
    assert not [r for r in rows if r["status"] == "running"]


def test_failing_job_is_recorded_and_next_runs_proceed(tmp_path):
    config, path = config_with(
        tmp_path,
        {
            "bad": {
                "action": "sql",
                "trigger": "interval",
                "seconds": 1,
                "args": ["select * from nope"],
            },
            "good": {
                "action": "sql",
                "trigger": "interval",
                "seconds": 1,
                "args": ["select 7 as n", "--nl"],
            },
        },
    )
    run_for(config, path, 9)
    # a run still going when the next is due is logged "skipped" (slow machines), and
    # the runs cut off by the stop at the end "interrupted": the rest ran to the end
    finished = ("interrupted", "skipped")
    bad = [r for r in runs(config.db_path, "bad") if r["status"] not in finished]
    good = [r for r in runs(config.db_path, "good") if r["status"] not in finished]
    assert len(bad) >= 2 and all(r["status"] == "failed" for r in bad)
    assert all("Error: SQL error: no such table: nope" in r["error"] for r in bad)
    # newsmon sql reports how many rows it printed, through the result file
    assert len(good) >= 2 and all(r["status"] == "ok" and r["counts"] == {"rows": 1} for r in good)
    assert all(r["ended_at"] and r["action"] == "sql" for r in bad + good)


def test_time_limit_fails_the_run(tmp_path):
    config, _ = config_with(
        tmp_path,
        {
            "stuck": {
                "action": "sleep",
                "trigger": "interval",
                "minutes": 5,
                "args": ["30"],
                "timeout_s": 0.5,
            }
        },
    )
    spec = sched.load_schedule(config, TEST_ACTIONS).job("stuck")
    connect(config.db_path).close()
    started = time.monotonic()
    result = JobRunner(config.db_path, stop_grace_s=2).run(spec)
    assert time.monotonic() - started < 5
    assert result.status == "failed" and result.error.startswith("timed out after 0.5 s")
    (row,) = runs(config.db_path)
    assert row["status"] == "failed" and row["error"].startswith("timed out")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_scheduler_cleanly(tmp_path, sig):
    path = write_schedule(
        tmp_path / "my.toml",
        {"slow": {"action": "sleep", "trigger": "interval", "seconds": 1, "args": ["60"]}},
        stop_grace_s=10,
    )
    db_path = tmp_path / "t.db"
    db = connect(db_path)
    stale = start_job_run(db, "slow", "sleep", started_at="2022-07-08T00:00:00Z")
    db.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", BOOT, "--db", str(db_path), "--config", str(path), "schedule"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = runs(db_path, "slow")
            if any(r["status"] == "running" and r["id"] != stale for r in rows):
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        else:
            pytest.fail("the job never started")
        stopped = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert time.monotonic() - stopped < 8  # the sleeper was stopped, not waited for
    rows = runs(db_path, "slow")
    assert not [r for r in rows if r["status"] == "running"]
    first, *later = rows
    assert first["id"] == stale and first["status"] == "interrupted"
    assert "scheduler stopped" in first["error"]
    assert later[0]["status"] == "interrupted" and later[0]["ended_at"]
    assert f"received {sig.name}" in later[0]["error"]
    assert "stopped" in err


def test_second_scheduler_on_the_same_database_is_refused(tmp_path):
    from newsmon.scheduler import SchedulerError, scheduler_lock

    with scheduler_lock(tmp_path / "t.db"):
        with pytest.raises(SchedulerError, match="already running"):
            with scheduler_lock(tmp_path / "t.db"):
                pass
    with scheduler_lock(tmp_path / "t.db"):
        pass


def test_once_runs_one_job_and_reports(tmp_path, monkeypatch):
    monkeypatch.setattr(sched, "ACTIONS", TEST_ACTIONS)
    _, path = config_with(
        tmp_path,
        {
            "good": {
                "action": "sql",
                "trigger": "interval",
                "minutes": 1,
                "args": ["select 1 as n", "--nl"],
            },
            "bad": {
                "action": "sql",
                "trigger": "interval",
                "minutes": 1,
                "args": ["select * from nope"],
            },
        },
    )
    db = str(tmp_path / "t.db")
    ok = CliRunner().invoke(cli, ["--db", db, "--config", path, "schedule", "--once", "good"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("good: ok in ") and '{"rows": 1}' in ok.output
    bad = CliRunner().invoke(cli, ["--db", db, "--config", path, "schedule", "--once", "bad"])
    assert bad.exit_code == 1
    assert (
        bad.output.strip().splitlines()[-1].startswith("Error: job bad failed (run 2, exit code 1)")
    )
    unknown = CliRunner().invoke(cli, ["--db", db, "--config", path, "schedule", "--once", "nope"])
    assert unknown.exit_code == 1 and "no job named 'nope'" in unknown.output
    assert [(r["job"], r["status"]) for r in runs(db)] == [("good", "ok"), ("bad", "failed")]


# ---------------------------------------------------------------- checking the schedule


@pytest.mark.parametrize(
    "job,message",
    [
        (
            {"action": "prices", "trigger": "cron", "cron": "61 15 * * *"},
            "schedule.jobs.broken.cron = '61 15 * * *' is not a valid crontab",
        ),
        (
            {"action": "prices", "trigger": "cron", "cron": "30 15 * *"},
            "schedule.jobs.broken.cron = '30 15 * *' is not a valid crontab: has 4 fields",
        ),
        (
            {"action": "crawl", "spider": "xinhua", "trigger": "interval", "minutes": 5},
            "schedule.jobs.broken.spider = 'xinhua' is not a known spider; expected one of sina, ithome",
        ),
        (
            {"action": "crawl", "trigger": "interval", "minutes": 5},
            "schedule.jobs.broken.spider is missing",
        ),
        (
            {"action": "tweet", "trigger": "interval", "minutes": 5},
            "schedule.jobs.broken.action = 'tweet' is not a known action",
        ),
        ({"action": "analyze", "cron": "0 18 * * *"}, "schedule.jobs.broken.trigger is missing"),
        (
            {"action": "analyze", "trigger": "interval", "minute": 5},
            "schedule.jobs.broken has unknown key 'minute'",
        ),
    ],
)
def test_bad_schedule_is_refused_before_anything_starts(tmp_path, job, message):
    path = write_schedule(tmp_path / "my.toml", {"broken": job}, keep_defaults=True)
    db = tmp_path / "t.db"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["--db", str(db), "--config", str(path), "schedule"])
    assert time.monotonic() - started < 5
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: {path}: ") and message in line
    assert not db.exists() or runs(db) == []


def test_every_problem_is_listed_at_once(tmp_path):
    path = write_schedule(
        tmp_path / "my.toml",
        {
            "a": {"action": "crawl", "spider": "nope", "trigger": "interval", "minutes": 5},
            "b": {"action": "prices", "trigger": "cron", "cron": "x"},
        },
    )
    with pytest.raises(ValueError) as exc:
        sched.validate_schedule(load_config(path, env={}))
    assert "schedule.jobs.a.spider" in str(exc.value) and "schedule.jobs.b.cron" in str(exc.value)


def test_default_schedule_is_valid():
    specs = sched.validate_schedule(load_config(None, env={}))
    by_name = {s.name: s for s in specs}
    assert by_name["crawl_sina"].args == ("crawl", "sina")
    assert by_name["crawl_sina"].interval_s == 900 and by_name["crawl_sina"].misfire_grace_s == 300
    assert by_name["prices"].args == ("prices", "update") and by_name["prices"].trigger == "cron"
    assert all(s.timezone == "Asia/Shanghai" for s in specs)


def test_crontab_weekday_numbers_mean_what_crontab_means():
    shanghai = ZoneInfo("Asia/Shanghai")
    trigger = sched.crontab_trigger("0 9 * * 1-5", shanghai)
    saturday = datetime(2022, 7, 9, 12, 0, tzinfo=shanghai)
    assert trigger.get_next_fire_time(None, saturday) == datetime(
        2022, 7, 11, 9, 0, tzinfo=shanghai
    )
    sunday = sched.crontab_trigger("0 9 * * 0", shanghai).get_next_fire_time(None, saturday)
    assert sunday.date().isoformat() == "2022-07-10"
    assert sched.crontab_trigger("0 9 * * 7", shanghai).get_next_fire_time(None, saturday) == sunday
    assert sched._crontab_day_of_week("*/2") == "sun,tue,thu,sat"
    assert sched._crontab_day_of_week("mon-fri") == "mon-fri"


# ---------------------------------------------------------------- job_runs and `newsmon jobs`


def test_stale_running_rows_become_interrupted(tmp_db):
    a = start_job_run(tmp_db, "crawl_sina", "crawl")
    start_job_run(tmp_db, "prices", "prices")
    assert mark_stale_running(tmp_db, ids=[a]) == 1
    assert mark_stale_running(tmp_db) == 1
    rows = load_job_runs(tmp_db)
    assert {r["status"] for r in rows} == {"interrupted"} and all(r["ended_at"] for r in rows)


def test_result_file_is_read_as_the_counts(tmp_path):
    good = tmp_path / "good.json"
    good.write_text('{"new": 3, "failed": 0}\n', encoding="utf-8")
    assert read_result(good) == {"new": 3, "failed": 0}
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "bad.json").write_text("new: 3", encoding="utf-8")
    assert read_result(tmp_path / "list.json") is None
    assert read_result(tmp_path / "bad.json") is None
    assert read_result(tmp_path / "missing.json") is None


def test_printed_json_is_not_taken_for_counts(tmp_path):
    """Human output is never parsed: a job that only prints JSON records no counts."""
    config, _ = config_with(
        tmp_path, {"chatty": {"action": "chatty", "trigger": "interval", "minutes": 5}}
    )
    spec = sched.load_schedule(config, TEST_ACTIONS).job("chatty")
    connect(config.db_path).close()
    result = JobRunner(config.db_path).run(spec)
    assert result.status == "ok" and result.counts is None
    (row,) = runs(config.db_path)
    assert row["status"] == "ok" and row["counts"] is None


def test_jobs_shows_schedule_and_runs(tmp_path):
    db_path = tmp_path / "t.db"
    db = connect(db_path)
    from newsmon.db.jobs import finish_job_run

    run_id = start_job_run(db, "crawl_sina", "crawl", started_at="2022-07-08T02:00:00Z")
    finish_job_run(db, run_id, "ok", counts={"new": 4}, ended_at="2022-07-08T02:01:30Z")
    db.close()
    result = CliRunner().invoke(cli, ["--db", str(db_path), "jobs", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["job"]: r for r in json.loads(result.output)}
    sina = rows["crawl_sina"]
    assert sina["trigger"] == "every 15 min" and sina["last_status"] == "ok"
    assert sina["last_started_at"] == "2022-07-08T02:00:00Z" and sina["last_seconds"] == 90
    assert sina["last_started_shanghai"] == "2022-07-08T10:00:00+08:00"
    assert sina["last_counts"] == {"new": 4}
    assert rows["prices"]["trigger"] == "cron 30 15 * * mon-fri"
    nxt = datetime.fromisoformat(rows["prices"]["next_run_shanghai"])
    assert nxt.hour == 15 and nxt.minute == 30 and nxt.weekday() < 5
    history = CliRunner().invoke(cli, ["--db", str(db_path), "jobs", "--runs", "5", "--json"])
    (run,) = json.loads(history.output)
    assert run["counts"] == {"new": 4} and run["started_shanghai"] == "2022-07-08T10:00:00+08:00"
    assert run["started_at"] == "2022-07-08T02:00:00Z" and run["seconds"] == 90
    table = CliRunner().invoke(cli, ["--db", str(db_path), "jobs", "--runs", "5"]).output
    assert '{"new": 4}' in table and "{'new'" not in table
    assert "2022-07-08 10:00:00" in table


def test_no_job_process_left_behind(tmp_path):
    """After a stop, the sleeper's process group is gone (it was signalled, then reaped)."""
    config, path = config_with(
        tmp_path, {"slow": {"action": "sleep", "trigger": "interval", "seconds": 1, "args": ["60"]}}
    )
    spec = sched.load_schedule(config, TEST_ACTIONS).job("slow")
    connect(config.db_path).close()
    runner = JobRunner(config.db_path, stop_grace_s=5)
    import threading

    thread = threading.Thread(target=runner.run, args=(spec,))
    thread.start()
    deadline = time.monotonic() + 10
    while not runner._running and time.monotonic() < deadline:
        time.sleep(0.05)
    (pid,) = runner._running
    runner.shutdown("test stop")
    thread.join(10)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    (row,) = runs(config.db_path)
    assert row["status"] == "interrupted" and row["error"].startswith("interrupted: test stop")


def test_scheduled_crawl_records_its_counts(tmp_path):
    """A crawl job's counts come through the result file into job_runs and `newsmon jobs`."""
    from newsmon.crawler.replay import replay_server

    with replay_server() as server:
        path = write_schedule(
            tmp_path / "crawl.toml",
            {
                "crawl_sina": {
                    "action": "crawl",
                    "spider": "sina",
                    "trigger": "interval",
                    "minutes": 15,
                }
            },
        )
        with path.open("a", encoding="utf-8") as f:
            f.write(
                f'\n[crawl]\nbase_url = "{server.base_url}"\ndownload_delay = 0.01\n'
                "timeout_s = 5\nretries = 1\nretry_backoff_s = 0.1\n"
            )
        config = load_config(path, env={}, db=str(tmp_path / "t.db"))
        result = run_once(config, "crawl_sina", config_path=str(path))
    assert result.status == "ok", result.error
    counts = result.counts
    assert (counts["pages"], counts["new"], counts["failed"]) == (12, 10, 0)
    assert counts["status"] == "ok" and counts["run_id"] == 1
    history = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "t.db"), "jobs", "--runs", "5", "--json"]
    )
    (run,) = json.loads(history.stdout)
    assert run["job"] == "crawl_sina" and run["status"] == "ok"
    assert run["counts"]["pages"] == 12 and run["counts"]["new"] == 10
