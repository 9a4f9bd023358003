"""Running the schedule: APScheduler 3 fires jobs, each run is a child process, job_runs records it.

Each run is `python -m newsmon.cli [--db PATH] [--config PATH] ACTION-ARGS` in its own
process (Scrapy's reactor cannot restart inside one process, and a crash stays in its
child). A run's row in job_runs says running until it ends as ok, failed (non-zero
exit or time limit), skipped (its previous run was still going, or it was missed) or
interrupted (the scheduler was stopped). counts is what the child reported through its
result file: the scheduler names a fresh file in NEWSMON_RESULT_FILE, the command
writes its counts there as one JSON object (newsmon.clicommon.write_result), and the
scheduler reads it when the child has ended; human output is never parsed. error is
the tail of its error output.

SIGTERM or SIGINT stops scheduling, passes SIGTERM to running children, waits
stop_grace_s for them, then kills them; their rows end as interrupted. A second signal
kills at once. Rows left running by a scheduler that was killed outright are marked
interrupted when the next one starts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from newsmon.config import Config
from newsmon.config.schedule import JobSpec, Schedule, load_schedule
from newsmon.db import DatabaseError, connect
from newsmon.db import jobs as job_runs
from newsmon.timefmt import in_shanghai, shanghai, utc_iso

logger = logging.getLogger("newsmon.scheduler")

#: how the scheduler starts newsmon in a child process; -P keeps the working directory
#: off sys.path, so no file there can stand in for a module of newsmon's
NEWSMON_COMMAND: tuple[str, ...] = (sys.executable, "-P", "-m", "newsmon.cli")
#: most characters of a child's error output kept in job_runs.error
ERROR_TAIL_CHARS = 2000
#: the environment variable naming the file a child writes its result counts to
RESULT_FILE_ENV = "NEWSMON_RESULT_FILE"
#: most bytes of a result file read back
RESULT_MAX_BYTES = 1_000_000
SKIPPED_BUSY = "skipped: previous run still going"
#: tries at writing a job_runs row while other processes hold the database's write lock
WRITE_ATTEMPTS = 3
POLL_S = 0.2


class SchedulerError(RuntimeError):
    """The scheduler cannot start or a job cannot be run: one line for the user."""


@dataclass
class RunResult:
    job: str
    status: str
    run_id: int | None = None
    returncode: int | None = None
    counts: dict[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        text = f"{self.job}: {self.status} in {self.seconds:.1f} s"
        if self.counts:
            text += " " + json.dumps(self.counts, ensure_ascii=False, sort_keys=True)
        return text


def _tail_text(handle: IO[bytes], limit: int) -> str:
    handle.flush()
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - limit))
    return handle.read().decode("utf-8", errors="replace")


def read_result(path: Path) -> dict[str, Any] | None:
    """The counts a child wrote to its result file; None when it wrote none (or garbage)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(RESULT_MAX_BYTES + 1)
    except OSError:
        return None
    if not data.strip() or len(data) > RESULT_MAX_BYTES:
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except ValueError:
        logger.warning("%s: not a JSON object; counts not recorded", path)
        return None
    return value if isinstance(value, dict) else None


def error_tail(text: str, limit: int = ERROR_TAIL_CHARS) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    newline = cut.find("\n")
    return "…" + (cut[newline + 1 :] if 0 <= newline < limit // 2 else cut)


@dataclass
class _Running:
    spec: JobSpec
    proc: Any
    signalled: bool = False


@dataclass
class JobRunner:
    """Runs one job at a time per call, as a child process, and records it in job_runs."""

    db_path: str
    config_path: str | None = None
    busy_timeout_ms: int = 5000
    stop_grace_s: float = 30.0
    newsmon_command: Sequence[str] = NEWSMON_COMMAND
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _idle: threading.Condition = field(init=False, repr=False)
    _running: dict[int, _Running] = field(default_factory=dict, repr=False)
    _active: int = 0
    _stopping: str | None = None
    _force: bool = False
    _run_ids: set[int] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self._idle = threading.Condition(self._lock)

    # ------------------------------------------------------------ database

    def _write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call fn(db, ...) on a fresh connection, retried while the database is locked.

        A lasting failure is logged, not raised: the run goes on, and a row left
        running is marked interrupted at the latest by the next scheduler start.
        """
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                db = connect(self.db_path, busy_timeout_ms=self.busy_timeout_ms, migrate=False)
            except DatabaseError as exc:
                logger.error("job_runs not written: %s", exc)
                return None
            try:
                return fn(db, *args, **kwargs)
            except sqlite3.OperationalError as exc:
                if attempt == WRITE_ATTEMPTS or "locked" not in str(exc):
                    logger.error("job_runs not written: %s", exc)
                    return None
                time.sleep(attempt)
            except (sqlite3.Error, DatabaseError) as exc:
                logger.error("job_runs not written: %s", exc)
                return None
            finally:
                db.close()
        return None

    def record_skipped(self, spec: JobSpec, reason: str = SKIPPED_BUSY) -> None:
        logger.warning("%s %s", spec.name, reason)
        self._write(job_runs.record_job_run, spec.name, spec.action, "skipped", error=reason)

    # ------------------------------------------------------------ running

    def command(self, spec: JobSpec) -> list[str]:
        if spec.program is not None:
            return [*spec.program, *spec.args]
        prefix = [*self.newsmon_command, "--db", str(self.db_path)]
        if self.config_path:
            prefix += ["--config", str(self.config_path)]
        return [*prefix, *spec.args]

    def run(self, spec: JobSpec) -> RunResult | None:
        """Run the job to its end and record it; None when the runner is stopping."""
        with self._lock:
            if self._stopping:
                return None
            self._active += 1
        try:
            return self._run(spec)
        finally:
            with self._lock:
                self._active -= 1
                self._idle.notify_all()

    def _run(self, spec: JobSpec) -> RunResult:
        import subprocess

        argv = self.command(spec)
        started_at = utc_iso()
        started = time.monotonic()
        with (
            tempfile.TemporaryFile(prefix="newsmon-job-") as err,
            tempfile.TemporaryDirectory(prefix="newsmon-job-") as tmp,
        ):
            result_file = Path(tmp) / "result.json"
            env = {**os.environ, RESULT_FILE_ENV: str(result_file)}
            with self._lock:
                stopping = self._stopping
                running: _Running | None = None
                launch_error = ""
                if not stopping:
                    try:
                        proc = subprocess.Popen(
                            argv,
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,  # people's output; counts come by file
                            stderr=err,
                            env=env,
                            start_new_session=True,  # a terminal's Ctrl-C reaches only the scheduler
                        )
                    except OSError as exc:
                        launch_error = f"could not start {argv[0]}: {exc}"
                    else:
                        running = _Running(spec, proc)
                        self._running[proc.pid] = running
            if stopping:
                return RunResult(spec.name, "interrupted", error=f"interrupted: {stopping}")
            if running is None:
                result = RunResult(spec.name, "failed", error=launch_error)
                result.run_id = self._write(
                    job_runs.record_job_run,
                    spec.name,
                    spec.action,
                    "failed",
                    started_at=started_at,
                    error=launch_error,
                )
                logger.error("%s failed: %s", spec.name, launch_error)
                return result

            run_id = self._write(
                job_runs.start_job_run, spec.name, spec.action, started_at=started_at
            )
            if run_id is not None:
                with self._lock:
                    self._run_ids.add(run_id)
            shown = " ".join(["newsmon", *spec.args] if spec.program is None else argv)
            logger.info("%s started (run %s): %s", spec.name, run_id, shown)

            timed_out = False
            try:
                proc.wait(timeout=spec.timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                logger.warning(
                    "%s: time limit of %g s reached; stopping it", spec.name, spec.timeout_s
                )
                self._terminate(proc, running)
            finally:
                with self._lock:
                    self._running.pop(proc.pid, None)

            seconds = time.monotonic() - started
            stderr = error_tail(_tail_text(err, ERROR_TAIL_CHARS * 4))
            counts = read_result(result_file)

        code = proc.returncode
        if running.signalled and not timed_out:
            status = "interrupted"
            error = f"interrupted: {self._stopping or 'stopped'}" + (
                f"\n{stderr}" if stderr else ""
            )
        elif timed_out:
            status = "failed"
            error = f"timed out after {spec.timeout_s:g} s" + (f"\n{stderr}" if stderr else "")
        elif code == 0:
            status, error = "ok", None
        else:
            status = "failed"
            if code is not None and code < 0:
                why = f"killed by {signal.Signals(-code).name}"
            else:
                why = f"exited with code {code}"
            error = stderr or why + " (no error output)"

        result = RunResult(spec.name, status, run_id, code, counts, error, seconds)
        ended_at = utc_iso()
        if run_id is None:
            result.run_id = self._write(
                job_runs.record_job_run,
                spec.name,
                spec.action,
                status,
                started_at=started_at,
                ended_at=ended_at,
                counts=counts,
                error=error,
            )
        else:
            self._write(
                job_runs.finish_job_run,
                run_id,
                status,
                counts=counts,
                error=error,
                ended_at=ended_at,
            )
        if status == "ok":
            logger.info("%s", result.summary())
        else:
            first = (error or "").strip().splitlines()
            logger.warning("%s — %s", result.summary(), first[-1] if first else "")
        return result

    def _signal(self, running: _Running, sig: int) -> bool:
        """Signal the child's process group; False when it had already ended."""
        proc = running.proc
        if proc.poll() is not None:
            return False
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def _terminate(self, proc: Any, running: _Running) -> None:
        """SIGTERM, stop_grace_s to finish, then SIGKILL."""
        import subprocess

        self._signal(running, signal.SIGTERM)
        try:
            proc.wait(timeout=self.stop_grace_s)
        except subprocess.TimeoutExpired:
            self._signal(running, signal.SIGKILL)
            proc.wait()

    # ------------------------------------------------------------ stopping

    def stop(self, reason: str) -> None:
        """Start no new run; ask the running children to stop (SIGTERM)."""
        with self._lock:
            if self._stopping is None:
                self._stopping = reason
            running = list(self._running.values())
        for r in running:
            if self._signal(r, signal.SIGTERM):
                r.signalled = True
                logger.info("stopping %s (pid %s)", r.spec.name, r.proc.pid)

    def force(self) -> None:
        """From a signal handler: the next wait kills the children instead of waiting."""
        self._force = True

    def kill(self) -> None:
        with self._lock:
            running = list(self._running.values())
        for r in running:
            if self._signal(r, signal.SIGKILL):
                r.signalled = True
                logger.warning("killing %s (pid %s)", r.spec.name, r.proc.pid)

    def wait_idle(self, timeout: float | None, *, forcible: bool = True) -> bool:
        """Wait for every run to end and be recorded; False on timeout (or when forced)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._active:
                if forcible and self._force:
                    return False
                left = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def shutdown(self, reason: str) -> None:
        """Stop every run: SIGTERM, wait stop_grace_s, SIGKILL; no row is left running."""
        self.stop(reason)
        if not self.wait_idle(self.stop_grace_s):
            self.kill()
            self.wait_idle(max(5.0, self.stop_grace_s), forcible=False)
        with self._lock:
            ids = set(self._run_ids)
        if ids:
            self._write(
                job_runs.mark_stale_running,
                ids=ids,
                error=f"interrupted: {reason}",
            )


# ---------------------------------------------------------------- the scheduler


class _StopSignals:
    """SIGTERM and SIGINT set an event; a second one asks for a kill."""

    def __init__(self, runner: JobRunner):
        self.event = threading.Event()
        self.name: str | None = None
        self._runner = runner
        self._old: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            self._runner.force()
            return
        self.name = signal.Signals(signum).name
        self.event.set()

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def wait(self, until: Callable[[], bool] = lambda: False) -> None:
        while not self.event.wait(POLL_S):
            if until():
                return


def _aps_scheduler(schedule: Schedule, runner: JobRunner) -> Any:
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    specs = {s.name: s for s in schedule.enabled}
    aps = BackgroundScheduler(
        timezone=ZoneInfo(schedule.timezone),
        executors={"default": ThreadPoolExecutor(max(1, len(specs)))},
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    for spec in specs.values():
        aps.add_job(
            runner.run,
            trigger=spec.make_trigger(),
            args=[spec],
            id=spec.name,
            name=spec.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=spec.misfire_grace_s,
        )

    def listener(event: Any) -> None:
        spec = specs.get(event.job_id)
        if spec is None:
            return
        if event.code == EVENT_JOB_MAX_INSTANCES:
            runner.record_skipped(spec, SKIPPED_BUSY)
        elif event.code == EVENT_JOB_MISSED:
            when = shanghai(utc_iso(event.scheduled_run_time))
            runner.record_skipped(
                spec,
                f"skipped: missed its {when} (Asia/Shanghai) start by more than {spec.misfire_grace_s} s",
            )
        elif event.code == EVENT_JOB_ERROR:
            logger.error("%s: %r", spec.name, event.exception)

    aps.add_listener(listener, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return aps


@contextlib.contextmanager
def scheduler_lock(db_path: str | os.PathLike) -> Iterator[Path]:
    """Only one scheduler per database: an exclusive lock on DB.schedule.lock."""
    import fcntl

    path = Path(f"{db_path}.schedule.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held for the scheduler's life
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "?"
            raise SchedulerError(
                f"another newsmon schedule (pid {pid}) is already running on {db_path}"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield path
    finally:
        handle.close()


def make_runner(config: Config, schedule: Schedule, config_path: str | None = None) -> JobRunner:
    return JobRunner(
        db_path=config.db_path,
        config_path=config_path,
        busy_timeout_ms=config.get("database.busy_timeout_ms", 5000),
        stop_grace_s=schedule.stop_grace_s,
    )


def run_schedule(
    config: Config,
    *,
    config_path: str | None = None,
    runner: JobRunner | None = None,
    schedule: Schedule | None = None,
    until: Callable[[], bool] = lambda: False,
) -> str:
    """Run the schedule until SIGTERM or SIGINT (or until() is true); returns what stopped it.

    The schedule is checked first (ConfigError naming job and key). Rows a killed
    scheduler left running are marked interrupted.
    """
    schedule = schedule or load_schedule(config)
    if not schedule.enabled:
        raise SchedulerError("the schedule has no enabled jobs")
    runner = runner or make_runner(config, schedule, config_path)
    with scheduler_lock(runner.db_path):
        db = connect(runner.db_path, busy_timeout_ms=runner.busy_timeout_ms)
        try:
            stale = job_runs.mark_stale_running(db)
        finally:
            db.close()
        if stale:
            logger.warning(
                "%d run(s) left running by a stopped scheduler marked interrupted", stale
            )
        aps = _aps_scheduler(schedule, runner)
        with _StopSignals(runner) as signals:
            reason = "scheduler stopped"
            aps.start()
            try:
                for job in aps.get_jobs():
                    logger.info(
                        "%s: %s, next %s (Asia/Shanghai)",
                        job.id,
                        schedule.job(job.id).describe(),
                        shanghai(utc_iso(job.next_run_time)),
                    )
                signals.wait(until)
                if signals.name:
                    reason = f"scheduler received {signals.name}"
                logger.info("%s: stopping", reason)
            finally:
                aps.shutdown(wait=False)
                runner.shutdown(reason)
    logger.info("stopped")
    return reason


def run_once(
    config: Config,
    job: str,
    *,
    config_path: str | None = None,
    runner: JobRunner | None = None,
    schedule: Schedule | None = None,
) -> RunResult:
    """Run one job of the schedule now (even if disabled), recorded in job_runs like any run."""
    schedule = schedule or load_schedule(config)
    spec = schedule.job(job)
    runner = runner or make_runner(config, schedule, config_path)
    connect(runner.db_path, busy_timeout_ms=runner.busy_timeout_ms).close()
    box: dict[str, RunResult | None] = {}
    thread = threading.Thread(target=lambda: box.update(result=runner.run(spec)), daemon=True)
    with _StopSignals(runner) as signals:
        thread.start()
        signals.wait(lambda: not thread.is_alive())
        if signals.event.is_set():
            runner.shutdown(f"received {signals.name}")
        thread.join()
    result = box.get("result")
    if result is None:
        return RunResult(spec.name, "interrupted", error="interrupted before it started")
    return result


# ---------------------------------------------------------------- overview


def _next_run(spec: JobSpec, last: dict[str, Any] | None, now: datetime) -> str | None:
    """The next run time (UTC ISO): from the crontab, or a running interval's last start."""
    if not spec.enabled:
        return None
    if spec.trigger == "cron":
        fire = spec.make_trigger().get_next_fire_time(None, now)
        return utc_iso(fire) if fire else None
    if last and last.get("started_at"):
        started = datetime.fromisoformat(last["started_at"].replace("Z", "+00:00"))
        nxt = started + timedelta(seconds=spec.interval_s or 0)
        if nxt > now:
            return utc_iso(nxt)
    return None


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    a = datetime.fromisoformat(start.replace("Z", "+00:00"))
    b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return (b - a).total_seconds()


def schedule_overview(
    config: Config, db: Any, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """One row per job: trigger, next run and the last run (UTC text, and Asia/Shanghai).

    An interval job's next run is known only while a scheduler runs it (its last start
    plus the interval); otherwise it is empty.
    """
    schedule = load_schedule(config)
    now = now or datetime.now(UTC)
    last = job_runs.last_job_runs(db)
    rows = []
    for spec in schedule.jobs:
        run = last.get(spec.name)
        next_run = _next_run(spec, run, now)
        rows.append(
            {
                "job": spec.name,
                "action": " ".join(spec.args) if spec.program is None else spec.action,
                "trigger": spec.describe(),
                "enabled": spec.enabled,
                "next_run_at": next_run,
                "next_run_shanghai": in_shanghai(next_run),
                "last_status": run["status"] if run else None,
                "last_started_at": run["started_at"] if run else None,
                "last_started_shanghai": in_shanghai(run["started_at"]) if run else None,
                "last_seconds": _seconds_between(run["started_at"], run["ended_at"])
                if run
                else None,
                "last_counts": run["counts"] if run else None,
                "last_error": run["error"] if run else None,
            }
        )
    return rows


def recent_runs(db: Any, *, job: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The last runs, newest first: UTC and Asia/Shanghai times, durations, counts decoded."""
    rows = []
    for r in job_runs.load_job_runs(db, job=job, limit=limit):
        rows.append(
            {
                "id": r["id"],
                "job": r["job"],
                "action": r["action"],
                "status": r["status"],
                "started_at": r["started_at"],
                "started_shanghai": in_shanghai(r["started_at"]),
                "ended_at": r["ended_at"],
                "ended_shanghai": in_shanghai(r["ended_at"]),
                "seconds": _seconds_between(r["started_at"], r["ended_at"]),
                "counts": r["counts"],
                "error": r["error"],
            }
        )
    return rows
