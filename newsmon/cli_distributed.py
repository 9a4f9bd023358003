"""Commands of a crawl shared through Redis: `newsmon worker`, `newsmon store`, and the
seeding behind `newsmon crawl SPIDER --redis URL` (see docs/distributed.md)."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from newsmon.clicommon import Failure, State, handle_errors, pass_state
from newsmon.config import SPIDERS
from newsmon.output import echo_json, json_option

#: the environment variable any of these commands reads the Redis URL from
REDIS_ENV = "NEWSMON_REDIS_URL"

redis_option = click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    required=True,
    envvar=REDIS_ENV,
    help=f"The shared Redis, redis://HOST:PORT/DB (or ${REDIS_ENV})",
)


@contextmanager
def redis_errors(url: str):
    """A Redis that cannot be reached is one line, exit 1."""
    from redis.exceptions import RedisError

    try:
        yield
    except RedisError as exc:
        raise Failure(f"{url}: {exc}") from exc


def crawl_on_redis(
    state: State, spider: str, redis_url: str, *, refresh: bool, wait: bool, as_json: bool
) -> None:
    """`newsmon crawl SPIDER --redis URL`: seed a shared crawl (and wait for it)."""
    from newsmon.crawler import cluster
    from newsmon.timefmt import utc_iso

    config = state.config
    if config.source(spider).get("enabled") is False:
        raise Failure(
            f"spider {spider!r} is disabled in the configuration (sources.{spider}.enabled)"
        )
    since = utc_iso()
    db = state.db()
    try:
        with redis_errors(redis_url):
            try:
                seeded = cluster.seed_crawl(config, redis_url, spider, db, refresh=refresh)
            except cluster.CrawlUnderWay as exc:
                raise Failure(str(exc)) from exc
    finally:
        db.close()
    if not wait:
        if as_json:
            echo_json(seeded)
        else:
            click.echo(
                f"shared crawl {seeded['crawl']}: {seeded['requests']} requests on the queue "
                f"({seeded['frontier_due']} from the frontier); run `newsmon worker --redis "
                f"{redis_url} {spider}` on any machine and `newsmon store --redis {redis_url}` "
                "next to the database"
            )
        return
    with redis_errors(redis_url):
        final = cluster.wait_until_stored(cluster.connect(redis_url), spider, seeded["crawl"])
    run = _run(state, final.get("run_id"))
    if run and (run.get("new") or run.get("updated")):
        from newsmon.pipeline import refresh_after_store

        db = state.db()
        try:
            refresh_after_store(db, config, since=since)
        finally:
            db.close()
    result = {**seeded, "run": run}
    if as_json:
        echo_json(result)
    elif run:
        click.echo(
            f"crawl run {run['id']}: {spider}: {run['status']}; {run['pages']} pages, "
            f"{run['new']} new, {run['updated']} updated, {run['unchanged']} unchanged, "
            f"{run['failed']} failed"
        )
    if not run or run.get("status") != "ok":
        sys.exit(1)


def _run(state: State, run_id: str | None) -> dict | None:
    if not run_id:
        return None
    from newsmon.db.crawl import load_crawl_runs

    db = state.db()
    try:
        return next((r for r in load_crawl_runs(db) if str(r["id"]) == str(run_id)), None)
    finally:
        db.close()


@click.command()
@click.argument("spiders", nargs=-1, type=click.Choice(SPIDERS))
@redis_option
@click.option(
    "--exit-when-idle",
    is_flag=True,
    help="Exit once the spiders' shared crawls are finished (default: wait for more)",
)
@click.option(
    "--heartbeat-ttl",
    type=click.FloatRange(min=0.5),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="After this long without a heartbeat the others put this worker's requests back",
)
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Scrapy setting for this worker, as `scrapy crawl -s` (repeatable)",
)
@pass_state
@handle_errors
def worker(
    state: State,
    spiders: tuple[str, ...],
    redis_url: str,
    exit_when_idle: bool,
    heartbeat_ttl: float,
    overrides: tuple[str, ...],
) -> None:
    """Fetch and parse for shared crawls: take requests from Redis, send what they give
    back to Redis for the writer. Never opens the database, so it runs on any machine
    that reaches Redis (and the sites). Without SPIDERS: every enabled spider.

    The configuration ([crawl] politeness, sources) is this machine's; keep it the same
    on every worker. Each host's delay and concurrency hold for all workers together;
    each worker reads robots.txt itself. Stop it with Ctrl-C or SIGTERM: it finishes what it
    was fetching, or puts it back on the queue; a worker killed outright has its
    requests put back by the others after its heartbeat expires (--heartbeat-ttl).

    \b
    Example:
        newsmon worker --redis redis://10.0.0.5:6379/0
        NEWSMON_REDIS_URL=redis://10.0.0.5:6379/0 newsmon worker sina ithome
    """
    from newsmon.crawler.cluster_worker import run_worker

    settings: dict[str, str | float] = {"NEWSMON_HEARTBEAT_TTL_S": heartbeat_ttl}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
        settings[name] = value
    config = state.config
    names = list(spiders) or [s for s in SPIDERS if config.source(s).get("enabled") is not False]
    with redis_errors(redis_url):
        run_worker(
            config,
            redis_url,
            names,
            exit_when_idle=exit_when_idle,
            settings=settings,
        )


@click.command()
@redis_option
@click.option(
    "--exit-when-idle",
    is_flag=True,
    help="Exit once no shared crawl is left to store (default: wait for more)",
)
@pass_state
@handle_errors
def store(state: State, redis_url: str, exit_when_idle: bool) -> None:
    """Store what the workers of shared crawls send: their items through the same
    pipelines as a local crawl, their pages and failures into the crawl's run. Run
    exactly one, next to the database; it may stop and start again at any time (what
    the workers send waits in Redis).

    \b
    Example:
        newsmon store --redis redis://10.0.0.5:6379/0
        newsmon --db data/newsmon.db store --redis redis://127.0.0.1:6379/0 --exit-when-idle
    """
    from newsmon.crawler.cluster_writer import run_writer

    state.db().close()  # create and migrate the file before the pipelines open it
    with redis_errors(redis_url):
        run_writer(state.config, redis_url, exit_when_idle=exit_when_idle)


@click.command(name="cluster")
@redis_option
@json_option
@pass_state
@handle_errors
def cluster_status(state: State, redis_url: str, as_json: bool) -> None:
    """The shared crawls on Redis: each spider's state, queue, requests under way, workers
    alive and messages waiting for the writer.

    \b
    Example:
        newsmon cluster --redis redis://10.0.0.5:6379/0
    """
    from newsmon.crawler import cluster

    with redis_errors(redis_url):
        rows = cluster.cluster_status(cluster.connect(redis_url), SPIDERS)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['spider']}: {row['state'] or '-'} {row['crawl'] or ''}; queue {row['queued']}, "
            f"under way {row['in_flight']}, workers {row['workers']}, "
            f"waiting for the writer {row['stream']}"
        )


COMMANDS = [worker, store, cluster_status]
