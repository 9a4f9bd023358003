"""The command line: parse arguments, call one library function, print the result.

Library errors become one line `Error: ...` and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from newsmon.clicommon import Failure, NewsmonGroup, State, handle_errors, pass_state, write_result
from newsmon.output import add_shanghai, echo_frame, echo_rows, json_option, output_options


@click.group(
    cls=NewsmonGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="newsmon")
@click.option(
    "--db",
    "db_path",
    metavar="PATH",
    help="SQLite database file (default data/newsmon.db; or NEWSMON_DB)",
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="A TOML file laid over the defaults (or NEWSMON_CONFIG)",
)
@click.pass_context
def cli(ctx: click.Context, db_path: str | None, config_path: str | None) -> None:
    """newsmon: watch Chinese financial and policy news spread, and measure what the market did.

    Commands that read (stories, story, reactions, search, stats, sql, jobs, serve)
    need an existing database; those that write (import, crawl, analyze, demo,
    prices, schedule, digest) create it. Listings print a table, or --json, --csv,
    --nl for programs. Errors are one line and exit 1; a usage error exits 2.

    \b
    Examples (from a clone of the repository):
        newsmon demo
        newsmon stories --date 2022-07-08
        newsmon reactions --date 2022-07-08 --json
        newsmon --db seeds.db import newsmon/data/seeds/*.txt
        newsmon --db seeds.db search 智能终端
        newsmon sql "select site, count(*) as n from articles group by site"
        newsmon crawl sina
        newsmon serve

    \b
    Environment:
        NEWSMON_DB           the database file, as --db
        NEWSMON_CONFIG       a TOML file laid over the defaults, as --config
        NEWSMON_BASE_URL     point every spider at this site (a replay server)
        NEWSMON_TRACEBACK    set to 1 to see a failure's traceback, not one line
        NEWSMON_PROGRESS     set to 0 to show no progress on stderr
        NEWSMON_RESULT_FILE  write the command's result counts there as JSON
                             (the scheduler sets it for each job)
    """
    ctx.obj = State(db_path, config_path)


@cli.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
@pass_state
@handle_errors
def import_cmd(state: State, paths: tuple[Path, ...], as_json: bool) -> None:
    """Import archived documents: front matter + HTML posts, plain text, PDF text or files, saved pages.

    A folder is read for the kinds of file import understands (.txt, .md, .html,
    .pdf, ...); the rest (MANIFEST.tsv, README, data files) is skipped and listed. A
    file larger than [crawl] max_response_bytes is refused. A document without a URL
    is identified by its site, file, title and time, never by its text alone; an
    archived copy of a crawled article (its URL in the front matter, or the same site,
    title and minute) updates that article. A bad file is named and the others still
    import; the exit code is then 1.

    \b
    Example:
        newsmon import newsmon/data/seeds/
        newsmon import newsmon/data/seeds/*.txt
    """
    from newsmon.crawler.ingest import expand_paths, import_files
    from newsmon.progress import Progress
    from newsmon.timefmt import utc_iso

    db = state.db()
    since = utc_iso()
    skipped: list[tuple[str, str]] = []
    files = expand_paths(paths, skipped)
    cap = int(state.config["crawl.max_response_bytes"])
    counts = {
        "files": len(files),
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "skipped": len(skipped),
    }
    errors: list[str] = []
    with Progress("import", total=len(files), unit="files") as progress:
        for path in files:
            report = import_files(db, [path], max_bytes=cap)
            for key in ("new", "updated", "unchanged"):
                counts[key] += report.counts[key]
            counts["failed"] += len(report.errors)
            errors.extend(report.errors)
            progress.advance(1, **{k: report.counts[k] for k in ("new", "updated")})
    if not as_json:
        click.echo(
            f"imported {counts['new']} new, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['failed']} failed"
        )
        for path, why in skipped:
            click.echo(f"skipped: {path}: {why}")
    for err in errors:
        click.echo(f"Error: {err}", err=True)
    if counts["new"] or counts["updated"]:
        from newsmon.pipeline import refresh_after_store

        # stories follow what was stored, and keep their tags and reactions
        result = refresh_after_store(db, state.config, since=since)["stories"]
        counts["stories"] = result["stories"]
        if not as_json:
            click.echo(f"stories: {result['stories']} from {result['articles']} articles")
    if as_json:
        from newsmon.output import echo_json

        echo_json(
            {
                **counts,
                "errors": errors,
                "skipped_files": [{"path": p, "why": w} for p, w in skipped],
            }
        )
    write_result(counts)
    if errors:
        sys.exit(1)


@cli.command()
@click.argument("sql")
@click.option(
    "-p", "--param", "params", nargs=2, multiple=True, metavar="NAME VALUE", help="Named parameter"
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Stop the query after this long",
)
@output_options
@pass_state
@handle_errors
def sql(
    state: State, sql: str, params: tuple[tuple[str, str], ...], timeout_s: float, fmt: str
) -> dict[str, int]:
    """Run a read-only SQL query; writes are refused and change nothing.

    Statements that would touch anything but the database (ATTACH, VACUUM INTO,
    writing PRAGMAs, load_extension) are refused before they run; a query running
    past --timeout is stopped; empty SQL is an error.

    \b
    Example:
        newsmon sql "select site, title, published_at from articles"
        newsmon sql "select * from articles where site = :s" -p s sina --json
    """
    from newsmon.db.queries import run_readonly

    state.db(create=False).close()  # an older file gets the current schema first
    columns, rows = run_readonly(state.db_path, sql, dict(params), timeout_s=timeout_s)
    return {"rows": echo_rows(columns, rows, fmt)}


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="Most results to show")
@output_options
@pass_state
@handle_errors
def search(state: State, query: str, limit: int, fmt: str) -> dict[str, int]:
    """Full-text search over titles and texts, newest first, with snippets.

    \b
    Example:
        newsmon search 智能终端
        newsmon search 氢能 --json
    """
    with state.library() as m:
        frame = add_shanghai(m.search(query, limit=limit), "published_at")
    shown = echo_frame(
        frame,
        fmt,
        ["id", "site", "published_at", "published_shanghai", "title", "snippet"],
        table=["id", "site", "published_shanghai", "title", "snippet"],
    )
    return {"rows": shown}


@cli.command()
@output_options
@pass_state
@handle_errors
def stats(state: State, fmt: str) -> dict[str, int]:
    """Article counts by site and Asia/Shanghai publication day (no day: no known time).

    \b
    Example:
        newsmon stats --csv
    """
    with state.library() as m:
        frame = m.counts()
    return {"rows": echo_frame(frame, fmt, ["day_shanghai", "site", "articles"])}


@cli.command()
@json_option
@pass_state
@handle_errors
def demo(state: State, as_json: bool) -> None:
    """Run the main job on the bundled 2022-07-08 replay, offline, into the configured database.

    \b
    Example:
        newsmon demo
        newsmon --db /tmp/demo.db demo
    """
    from newsmon.demo import run_demo

    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    summary = run_demo(state.config, echo=echo)
    write_result(summary)
    if as_json:
        from newsmon.output import echo_json

        echo_json(summary)
    failed = [
        f"{name} ({c['status']})" for name, c in summary["crawls"].items() if c["status"] != "ok"
    ]
    if failed:
        raise Failure(
            "the replay crawl did not succeed for: " + ", ".join(failed) + " (see crawl_runs)"
        )


def _register_commands() -> None:
    """Commands of each area live in their own module and are added here."""
    import importlib

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for command in module.COMMANDS:
            cli.add_command(command)


#: modules with a COMMANDS list of click commands
COMMAND_MODULES = (
    "newsmon.cli_crawl",
    "newsmon.cli_analysis",
    "newsmon.cli_ops",
    "newsmon.cli_calendar",
    "newsmon.cli_distributed",
    "newsmon.cli_eval",
    "newsmon.cli_reextract",
)
_register_commands()


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv, prog_name="newsmon")


if __name__ == "__main__":
    main()
