"""Operations commands: run the schedule, show jobs and their runs, serve the database."""

from __future__ import annotations

import logging
import sys

import click

from newsmon.clicommon import Failure, State, handle_errors, pass_state
from newsmon.output import echo_records, output_options


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # newsmon logs skipped and missed runs itself, once, with the job's name
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def _config_path(state: State) -> str | None:
    """The --config file, passed on to each job's process (environment and ./newsmon.toml carry over)."""
    return state.config_path


@click.command()
@click.option("--once", "once", metavar="JOB", help="Run this one job now, wait for it, and exit")
@pass_state
@handle_errors
def schedule(state: State, once: str | None) -> None:
    """Run the scheduled jobs (crawls, prices, analysis, digest) until SIGTERM or Ctrl-C.

    Jobs come from the schedule config (config/schedule.toml, changed with --config);
    each run is its own process and is recorded in job_runs. On SIGTERM or Ctrl-C no
    new run starts and running ones are stopped (recorded as interrupted); a second
    Ctrl-C kills them at once.

    \b
    Example:
        newsmon schedule
        newsmon --config my.toml schedule
        newsmon schedule --once crawl_sina
    """
    from newsmon.scheduler import SchedulerError, run_once, run_schedule

    config = state.config
    _configure_logging()
    try:
        if once:
            result = run_once(config, once, config_path=_config_path(state))
            if result.status != "ok":
                if result.error:
                    click.echo(result.error, err=True)
                code = f", exit code {result.returncode}" if result.returncode else ""
                raise Failure(f"job {once} {result.status} (run {result.run_id}{code})")
            click.echo(result.summary())
        else:
            run_schedule(config, config_path=_config_path(state))
    except SchedulerError as exc:
        raise Failure(str(exc)) from exc


@click.command()
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Show the last N runs instead of the schedule",
)
@click.option("--job", "job", metavar="NAME", help="With --runs: only this job's runs")
@output_options
@pass_state
@handle_errors
def jobs(state: State, runs: int | None, job: str | None, fmt: str) -> dict[str, int]:
    """The schedule with each job's next run and last run, or the last runs (times Asia/Shanghai).

    An interval job's next run is shown while a scheduler is running it. A run's
    counts are what its command reported (in --json, a JSON object).

    \b
    Example:
        newsmon jobs
        newsmon jobs --runs 20 --job crawl_sina
        newsmon jobs --json
    """
    from newsmon.scheduler import recent_runs, schedule_overview

    db = state.db(create=False)
    if runs is None and job is not None:
        runs = 20
    if runs is not None:
        rows = recent_runs(db, job=job, limit=runs)
        shown = echo_records(
            rows,
            fmt,
            RUN_COLUMNS,
            table=[c for c in RUN_COLUMNS if not c.endswith("_at") and c != "ended_shanghai"],
        )
        return {"rows": shown}
    rows = schedule_overview(state.config, db)
    shown = echo_records(
        rows,
        fmt,
        OVERVIEW_COLUMNS,
        table=[c for c in OVERVIEW_COLUMNS if not c.endswith("_at") and c != "last_counts"],
    )
    return {"rows": shown}


#: `newsmon jobs --runs N`: each run, counts as a JSON object
RUN_COLUMNS = [
    "id",
    "job",
    "action",
    "status",
    "started_at",
    "started_shanghai",
    "ended_at",
    "ended_shanghai",
    "seconds",
    "counts",
    "error",
]
#: `newsmon jobs`: each job of the schedule with its next and last run
OVERVIEW_COLUMNS = [
    "job",
    "action",
    "trigger",
    "enabled",
    "next_run_at",
    "next_run_shanghai",
    "last_status",
    "last_started_at",
    "last_started_shanghai",
    "last_seconds",
    "last_counts",
    "last_error",
]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port")
@click.option(
    "--immutable",
    is_flag=True,
    help="Open the file as immutable: only for a copy nothing writes to",
)
@pass_state
@handle_errors
def serve(state: State, host: str, port: int, immutable: bool) -> None:
    """Browse and query the database in Datasette, read-only, with the daily canned queries.

    Writes are refused; the scheduler and crawls keep writing meanwhile and new rows
    show up. The server answers only requests addressed to the host it listens on
    (localhost and 127.0.0.1 by default), so a web page cannot reach it through DNS
    rebinding; listening on anything but loopback opens the data to the network,
    and says so.

    \b
    Example:
        newsmon serve
        newsmon serve --port 8002
        open http://127.0.0.1:8001/newsmon/today_stories?day=2022-07-08
    """
    from newsmon.db.datasette import serve as serve_datasette

    state.db(create=False).close()  # an older file gets the current schema first
    serve_datasette(
        state.db_path,
        host=host,
        port=port,
        immutable=immutable,
        warn=lambda message: click.echo(f"Warning: {message}", err=True),
    )


COMMANDS = [schedule, jobs, serve]
