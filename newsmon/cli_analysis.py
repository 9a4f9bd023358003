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
    from newsmon.db.analysis import load_stories

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
    from newsmon.db.analysis import load_stories, load_story_members

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

    from newsmon.analysis.evaluation import DEDUPE_EVAL_DIR, dedupe_eval_set, evaluate_dedupe

    root = resources.files("newsmon") / DEDUPE_EVAL_DIR
    table = evaluate_dedupe(dedupe_eval_set(lambda name: (root / name).read_text("utf-8")))
    frame = table.reset_index()
    echo_dicts(frame.to_dict(orient="records"), fmt, list(frame.columns))


@click.group()
def prices() -> None:
    """Daily prices: fetch from the configured provider, or import recorded files.

    \b
    Example:
        newsmon prices update
        newsmon prices import data/market/*.csv
    """


@prices.command(name="update")
@pass_state
@handle_errors
def prices_update(state: State) -> None:
    """Fetch daily prices of every sector member and benchmark around the stored stories.

    What is stored already is not fetched again; a ticker with no data is named.

    \b
    Example:
        newsmon prices update
    """
    from newsmon.pipeline import update_prices

    result = update_prices(state.db(), state.config)
    if result.get("no_data"):
        click.echo("no data for: " + ", ".join(result["no_data"]), err=True)
    click.echo(json.dumps(result, ensure_ascii=False))


@prices.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@pass_state
@handle_errors
def prices_import(state: State, paths: tuple[str, ...]) -> None:
    """Import recorded daily prices (akshare, baostock, tushare, Choice, Yahoo CSV, samleon layouts).

    \b
    Example:
        newsmon prices import samleon_daily_002045.csv choice_csi300.csv
    """
    from newsmon.pipeline import import_prices

    result = import_prices(state.db(), list(paths))
    for line in result["issues"]:
        click.echo(f"note: {line}", err=True)
    for line in result["errors"]:
        click.echo(f"Error: {line}", err=True)
    click.echo(
        "imported {files} files: {new} new, {updated} updated, {unchanged} unchanged daily bars".format(
            **result
        )
    )
    if result["errors"]:
        raise SystemExit(1)


@click.command()
@click.option(
    "--date", "day", metavar="YYYY-MM-DD", help="Only stories whose event session is this day"
)
@pass_state
@handle_errors
def react(state: State, day: str | None) -> None:
    """Compute each story x tagged sector's market reaction (the event study) from stored prices.

    \b
    Example:
        newsmon react --date 2022-07-08
    """
    from newsmon.pipeline import compute_reactions, tag_articles

    db = state.db()
    tag_articles(db, state.config)
    result = compute_reactions(db, state.config, day=day)
    click.echo(json.dumps(result))


@click.command()
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Event session (trading day)")
@click.option("--story", "story_id", metavar="ID", help="One story")
@output_options
@pass_state
@handle_errors
def reactions(state: State, day: str | None, story_id: str | None, fmt: str) -> None:
    """Sector reactions: return, benchmark, abnormal return, CARs, drift, t, members with data.

    Returns are simple daily returns as fractions (0.05 = +5%).

    \b
    Example:
        newsmon reactions --date 2022-07-08
        newsmon reactions --json
    """
    from newsmon.db.analysis import load_reactions

    rows = []
    for r in load_reactions(state.db(), story_id=story_id, day_shanghai=day):
        f = r["figures"]
        rows.append(
            {
                "story_id": r["story_id"],
                "sector": r["sector_id"],
                "event_time": shanghai(r["event_time"], "%Y-%m-%d %H:%M"),
                "sector_return": _pct(f.get("sector_return")),
                "benchmark_return": _pct(f.get("benchmark_return")),
                "ar_day0": _pct(f.get("ar0")),
                "car_0_1": _pct(f.get("car_0_1")),
                "car_0_3": _pct(f.get("car_0_3")),
                "pre_drift": _pct(f.get("car_m3_m1")),
                "t_ar0": None if f.get("t_ar0") is None else round(f["t_ar0"], 2),
                "members": f"{f.get('n_members_with_data')}/{f.get('n_members')}",
                "notes": "; ".join(f.get("notes") or []),
            }
        )
        if fmt != "table":
            rows[-1].update({"figures": f})
    echo_dicts(rows, fmt)


def _pct(value):
    return None if value is None else f"{value * 100:+.2f}%"


@click.command()
@click.option(
    "--date", "day", metavar="YYYY-MM-DD", help="Asia/Shanghai day (default: today there)"
)
@pass_state
@handle_errors
def digest(state: State, day: str | None) -> None:
    """Write the day's digest: Markdown, one self-contained HTML page, and the Atom feed of digests.

    \b
    Example:
        newsmon digest --date 2022-07-08
    """
    import datetime as dt

    from newsmon.pipeline import write_digest
    from newsmon.timefmt import SHANGHAI

    if day is None:
        day = dt.datetime.now(SHANGHAI).date().isoformat()
    else:
        try:
            dt.date.fromisoformat(day)
        except ValueError as exc:
            raise Failure(f"--date {day!r}: expected YYYY-MM-DD") from exc
    result = write_digest(state.db(), state.config, day)
    click.echo(f"digest {day}: {result['stories']} stories")
    click.echo(f"  html:     {result['html']}")
    click.echo(f"  markdown: {result['markdown']}")
    click.echo(f"  atom:     {result['atom']}")
    click.echo(json.dumps(result, ensure_ascii=False))


COMMANDS = [analyze, stories, story, eval_group, prices, react, reactions, digest]
