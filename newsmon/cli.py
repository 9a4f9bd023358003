"""The command line: parse arguments, call one library function, print the result.

Library errors become one line `Error: ...` and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from newsmon.clicommon import Failure, State, handle_errors, pass_state
from newsmon.output import echo_dicts, echo_rows, output_options


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsmon")
@click.option(
    "--db",
    "db_path",
    metavar="PATH",
    help="SQLite database file (default from newsmon.config: data/newsmon.db)",
)
@click.option("--config", "config_path", metavar="PATH", help="A TOML file laid over the defaults")
@click.pass_context
def cli(ctx: click.Context, db_path: str | None, config_path: str | None) -> None:
    """newsmon: watch Chinese financial and policy news spread, and measure what the market did.

    \b
    Example:
        newsmon demo
        newsmon --db /tmp/x.db import archive/*.txt
    """
    ctx.obj = State(db_path, config_path)


@cli.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_state
@handle_errors
def import_cmd(state: State, paths: tuple[Path, ...]) -> None:
    """Import archived documents: front matter + HTML posts, plain text, PDF text or files, saved pages.

    \b
    Example:
        newsmon import seeds/*.txt
    """
    from newsmon.crawler.ingest import import_files

    db = state.db()
    report = import_files(db, paths)
    c = report.counts
    click.echo(
        f"imported {c['new']} new, {c['updated']} updated, {c['unchanged']} unchanged, {len(report.errors)} failed"
    )
    for err in report.errors:
        click.echo(f"Error: {err}", err=True)
    if report.counts["new"] or report.counts["updated"]:
        from newsmon.pipeline import update_stories

        result = update_stories(db)
        click.echo(f"stories: {result['stories']} from {result['articles']} articles")
    if report.errors:
        sys.exit(1)


@cli.command()
@click.argument("sql")
@click.option(
    "-p", "--param", "params", nargs=2, multiple=True, metavar="NAME VALUE", help="Named parameter"
)
@output_options
@pass_state
@handle_errors
def sql(state: State, sql: str, params: tuple[tuple[str, str], ...], fmt: str) -> None:
    """Run a read-only SQL query; writes are refused and change nothing.

    \b
    Example:
        newsmon sql "select site, title, published_at from articles"
        newsmon sql "select * from articles where site = :s" -p s sina --json
    """
    from newsmon.db.queries import run_readonly

    state.db()  # create and migrate the file if new, so the schema is there to query
    columns, rows = run_readonly(state.db_path, sql, dict(params))
    echo_rows(columns, rows, fmt)


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="Most results to show")
@output_options
@pass_state
@handle_errors
def search(state: State, query: str, limit: int, fmt: str) -> None:
    """Full-text search over titles and texts, newest first, with snippets.

    \b
    Example:
        newsmon search 智能终端
        newsmon search 氢能 --json
    """
    from newsmon.db.queries import search_articles
    from newsmon.timefmt import shanghai

    rows = search_articles(state.db(), query, limit=limit)
    for r in rows:
        r["published_shanghai"] = shanghai(r.get("published_at"))
    echo_dicts(rows, fmt, ["id", "site", "published_shanghai", "title", "snippet"])


@cli.command()
@output_options
@pass_state
@handle_errors
def stats(state: State, fmt: str) -> None:
    """Article counts by site and Asia/Shanghai publication day.

    \b
    Example:
        newsmon stats --csv
    """
    from newsmon.db.queries import article_counts

    echo_dicts(article_counts(state.db()), fmt, ["day_shanghai", "site", "articles"])


@cli.command()
@pass_state
@handle_errors
def demo(state: State) -> None:
    """Run the main job on the bundled 2022-07-08 replay, offline, into the configured database.

    \b
    Example:
        newsmon demo
        newsmon --db /tmp/demo.db demo
    """
    from newsmon.demo import run_demo

    summary = run_demo(state.config, echo=click.echo)
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
COMMAND_MODULES = ("newsmon.cli_crawl", "newsmon.cli_analysis", "newsmon.cli_ops")
_register_commands()


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv, prog_name="newsmon")


if __name__ == "__main__":
    main()
