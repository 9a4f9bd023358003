"""`newsmon reextract`: today's parsers over the raw-page archive."""

from __future__ import annotations

import click

from newsmon.clicommon import DATE, State, handle_errors, pass_state
from newsmon.output import echo_json, echo_records, json_option


@click.command()
@click.option("--site", metavar="SITE", help="Only this site's articles (e.g. sina, ithome)")
@click.option(
    "--since", type=DATE, metavar="YYYY-MM-DD", help="Only responses fetched on or after this day"
)
@click.option("--dry-run", is_flag=True, help="Say what would change, change nothing")
@json_option
@pass_state
@handle_errors
def reextract(
    state: State, site: str | None, since: str | None, dry_run: bool, as_json: bool
) -> dict[str, object]:
    """Run today's parsers over the archived pages and update the articles whose fields changed.

    Each article's newest archived response is parsed again as the crawl parses it; a
    field that changed is updated (a field the parser now leaves empty is kept), and
    stories, tags and reactions follow. The report says, per field, how many
    articles changed.

    \b
    Example:
        newsmon reextract --dry-run
        newsmon reextract --site sina --since 2022-07-01
    """
    from newsmon.reextract import reextract as run

    db = state.db(create=False)
    result = run(
        db,
        state.config,
        site=site,
        since=since,
        dry_run=dry_run,
    )
    if as_json:
        echo_json(result)
    else:
        verb = "would change" if dry_run else "changed"
        click.echo(
            f"{result['pages']} archived pages read; {result['articles_changed']} articles {verb}"
        )
        if result["fields"]:
            echo_records(
                [{"field": f, "articles": n} for f, n in result["fields"].items()],
                "table",
                ["field", "articles"],
            )
        for change in result["changes"]:
            click.echo(f"  {change['article_id']} {change['url']}: {', '.join(change['fields'])}")
        for failure in result["failures"]:
            click.echo(f"failed: {failure['url']}: {failure['reason']}", err=True)
    return {
        "pages": result["pages"],
        "articles_changed": result["articles_changed"],
        "failed": len(result["failures"]),
    }


COMMANDS = [reextract]
