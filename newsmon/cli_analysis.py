"""Commands over what is stored: analyze, stories, story, eval."""

from __future__ import annotations

import json

import click

from newsmon.clicommon import Failure, State, handle_errors, pass_state
from newsmon.output import echo_dicts, output_options
from newsmon.timefmt import shanghai


@click.command()
@pass_state
@handle_errors
def analyze(state: State) -> None:
    """Bring stories, tags and reactions up to date with everything stored.

    \b
    Example:
        newsmon analyze
    """
    from newsmon.pipeline import analyze as run

    result = run(state.db(), state.config, echo=click.echo)
    click.echo(json.dumps(result, ensure_ascii=False, default=str))


@click.command()
@click.option(
    "--date", "day", metavar="YYYY-MM-DD", help="Stories first published on this Asia/Shanghai day"
)
@output_options
@pass_state
@handle_errors
def stories(state: State, day: str | None, fmt: str) -> None:
    """List stories: first publication (Asia/Shanghai), first site, reach, official origin.

    \b
    Example:
        newsmon stories --date 2022-07-08
        newsmon stories --json
    """
    from db.analysis import load_stories

    rows = []
    for s in load_stories(state.db(), day_shanghai=day):
        rows.append(
            {
                "id": s["id"],
                "first_published": shanghai(s["first_published_at"]),
                "first_site": s["first_site"],
                "articles": s["n_articles"],
                "sites": s["n_sites"],
                "title": s["title"],
                "origin_article_id": s["origin_article_id"],
                "official_origin_url": s["official_origin_url"],
            }
        )
    echo_dicts(
        rows,
        fmt,
        [
            "id",
            "first_published",
            "first_site",
            "articles",
            "sites",
            "title",
            "origin_article_id",
            "official_origin_url",
        ],
    )


@click.command()
@click.argument("story_id")
@output_options
@pass_state
@handle_errors
def story(state: State, story_id: str, fmt: str) -> None:
    """One story's spread: every article with site, Asia/Shanghai time, role and scores.

    \b
    Example:
        newsmon story 3f2a9c0d1e2b4a5c
    """
    from db.analysis import load_stories, load_story_members

    db = state.db()
    found = [s for s in load_stories(db) if s["id"] == story_id]
    if not found:
        raise Failure(f"no story {story_id!r} (see newsmon stories)")
    s = found[0]
    rows = load_story_members(db, story_id)
    for r in rows:
        r["published_shanghai"] = shanghai(r["published_at"])
        r["official_origin"] = "yes" if r["article_id"] == s["origin_article_id"] else ""
    if fmt == "table":
        click.echo(f"story {s['id']}: {s['title']}")
        click.echo(
            f"first published {shanghai(s['first_published_at'])} Asia/Shanghai by {s['first_site']}; "
            f"{s['n_articles']} articles on {s['n_sites']} sites"
        )
        click.echo("")
    echo_dicts(
        rows,
        fmt,
        [
            "published_shanghai",
            "site",
            "role",
            "novelty",
            "score",
            "official_origin",
            "article_id",
            "title",
            "document_date",
        ],
    )


@click.group(name="eval")
def eval_group() -> None:
    """Measure newsmon against its labelled evaluation sets.

    \b
    Example:
        newsmon eval dedupe
    """


@eval_group.command(name="dedupe")
@output_options
@handle_errors
def eval_dedupe(fmt: str) -> None:
    """Precision and recall of story detection per relation on the labelled set.

    \b
    Example:
        newsmon eval dedupe --json
    """
    from importlib import resources

    from analysis.evaluation import DEDUPE_EVAL_DIR, dedupe_eval_set, evaluate_dedupe

    root = resources.files("newsmon") / DEDUPE_EVAL_DIR
    table = evaluate_dedupe(dedupe_eval_set(lambda name: (root / name).read_text("utf-8")))
    frame = table.reset_index()
    echo_dicts(frame.to_dict(orient="records"), fmt, list(frame.columns))


COMMANDS = [analyze, stories, story, eval_group]
