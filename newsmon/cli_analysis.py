"""Commands over what is stored: analyze, stories, story, eval, prices, react, reactions, digest."""

from __future__ import annotations

import click

from newsmon.clicommon import (
    DATE,
    Failure,
    NewsmonGroup,
    State,
    handle_errors,
    pass_state,
    write_result,
)
from newsmon.output import (
    add_shanghai,
    echo_frame,
    echo_json,
    fixed,
    joined,
    json_option,
    output_options,
    percent,
)


def _stage_echo(progress, as_json: bool):
    """The pipeline's stage lines: printed (to stderr with --json), and shown as the stage."""

    def echo(line: str) -> None:
        progress.echo(line, err=as_json)
        progress.set_stage(line.split(":", 1)[0] + " done")

    return echo


@click.command()
@json_option
@pass_state
@handle_errors
def analyze(state: State, as_json: bool) -> None:
    """Bring stories, tags and reactions up to date with everything stored.

    \b
    Example:
        newsmon analyze
        newsmon analyze --json
    """
    from newsmon.pipeline import analyze as run
    from newsmon.progress import Progress

    with Progress("analyze") as progress:
        result = run(state.db(), state.config, echo=_stage_echo(progress, as_json))
    if as_json:
        echo_json(result)
    write_result(result)


@click.command()
@click.option("--date", "day", type=DATE, help="Stories first published on this Asia/Shanghai day")
@output_options
@pass_state
@handle_errors
def stories(state: State, day: str | None, fmt: str) -> dict[str, int]:
    """List stories: first publication (Asia/Shanghai), first outlet, reach, official origin.

    \b
    Example:
        newsmon stories --date 2022-07-08
        newsmon stories --json
    """
    with state.library() as m:
        frame = add_shanghai(m.stories(date=day), "first_published_at")
    shown = echo_frame(
        frame,
        fmt,
        [
            "id",
            "first_published_at",
            "first_published_shanghai",
            "first_site",
            "first_site_name",
            "n_articles",
            "n_sites",
            "title",
            "origin_article_id",
            "official_origin_url",
        ],
        table=[
            "id",
            "first_published_shanghai",
            "first_site_name",
            "n_articles",
            "n_sites",
            "title",
            "origin_article_id",
            "official_origin_url",
        ],
    )
    return {"rows": shown}


@click.command()
@click.argument("story_id")
@output_options
@pass_state
@handle_errors
def story(state: State, story_id: str, fmt: str) -> dict[str, int]:
    """One story's spread: every article with its outlet, Asia/Shanghai time, role and scores.

    \b
    Example:
        newsmon story 3f2a9c0d1e2b4a5c
    """
    from newsmon.timefmt import shanghai

    with state.library() as m:
        try:
            frame = m.story(story_id)
        except KeyError as exc:
            raise Failure(exc.args[0]) from exc
    s = frame.attrs["story"]
    frame = add_shanghai(frame, "published_at")
    if fmt == "table":
        click.echo(f"story {s['id']}: {s['title']}")
        click.echo(
            f"first published {shanghai(s['first_published_at'])} Asia/Shanghai by "
            f"{s.get('first_site_name') or s['first_site']}; "
            f"{s['n_articles']} articles on {s['n_sites']} sites"
        )
        click.echo("")
    shown = echo_frame(
        frame,
        fmt,
        [
            "article_id",
            "published_at",
            "published_shanghai",
            "site",
            "outlet",
            "outlet_name",
            "source_outlet",
            "kind",
            "role",
            "novelty",
            "score",
            "official_origin",
            "title",
            "url",
            "document_date",
            "doc_number",
            "source",
        ],
        table=[
            "published_shanghai",
            "outlet_name",
            "role",
            "novelty",
            "score",
            "official_origin",
            "article_id",
            "title",
            "document_date",
        ],
        formats={"official_origin": lambda v: "yes" if v else ""},
    )
    return {"rows": shown}


@click.group(name="eval", cls=NewsmonGroup)
def eval_group() -> None:
    """Measure newsmon against its labelled evaluation sets.

    \b
    Example:
        newsmon eval dedupe
    """


@eval_group.command(name="dedupe")
@click.option(
    "--errors",
    "errors",
    type=int,
    default=None,
    metavar="N",
    help="List the first N errors instead (false merges first, with the evidence that linked them)",
)
@output_options
@handle_errors
def eval_dedupe(fmt: str, errors: int | None) -> dict[str, int]:
    """Precision and recall of story detection on the labelled set: pairwise per
    relation (with F1), linked versus not, pairs in one story, BCubed and the
    adjusted Rand index of the clustering.

    \b
    Example:
        newsmon eval dedupe
        newsmon eval dedupe --errors 20
    """
    from importlib import resources

    from newsmon.analysis.evaluation import (
        DEDUPE_EVAL_DIR,
        dedupe_errors,
        dedupe_eval_set,
        evaluate_dedupe,
    )

    root = resources.files("newsmon") / DEDUPE_EVAL_DIR
    eval_set = dedupe_eval_set(lambda name: (root / name).read_text("utf-8"))
    if errors is not None:
        return {"rows": echo_frame(dedupe_errors(eval_set, errors), fmt)}
    table = evaluate_dedupe(eval_set)
    return {"rows": echo_frame(table.reset_index(), fmt)}


@click.group(cls=NewsmonGroup)
def prices() -> None:
    """Daily prices and minute bars: fetch from the configured provider, or import files.

    \b
    Example:
        newsmon prices update
        newsmon prices update --interval 1m
        newsmon prices import data/market/*.csv
    """


@prices.command(name="update")
@click.option(
    "--interval",
    type=click.Choice(["1d", "1m", "2m", "5m", "15m", "30m", "60m", "90m"]),
    default="1d",
    show_default=True,
    help="1d: daily prices (raw and adjusted). 1m, 5m, ...: minute bars of each story's "
    "event session from Yahoo, which serves 1m bars for the last 30 days (at most 7 days "
    "a request) and 2m-90m bars for the last 60 days; older sessions are named, not fetched",
)
@json_option
@pass_state
@handle_errors
def prices_update(state: State, interval: str, as_json: bool) -> None:
    """Fetch prices of every sector member, benchmark and named company around the stored stories.

    Daily prices come from the configured provider (raw and adjusted rows; what is
    stored already is not fetched again). Minute bars (--interval 1m or 5m) come from
    Yahoo for each story's event session within Yahoo's lookback: 1m bars for the last
    30 days, 7 days a request; 2m-90m bars for the last 60 days. Older sessions need
    minute-bar files (newsmon prices import). A ticker with no data is named.

    \b
    Example:
        newsmon prices update
        newsmon prices update --interval 1m
    """
    from newsmon.pipeline import update_prices
    from newsmon.progress import Progress

    with Progress("prices update") as progress:
        source = state.config["prices.provider"] if interval == "1d" else "yfinance"
        progress.set_stage(f"fetching {interval} from {source}")
        result = update_prices(state.db(), state.config, interval=interval)
    for key, words in (("no_data", "no data for"), ("no_bars", "no minute bars for")):
        if result.get(key):
            click.echo(f"{words}: " + ", ".join(result[key]), err=True)
    if as_json:
        echo_json(result)
    else:
        if interval == "1d":
            line = "prices: {tickers} tickers fetched, {new} new, {updated} updated, {unchanged} unchanged daily bars"
        else:
            line = "prices: {tickers} tickers x {sessions} sessions, {new} new, {updated} updated, {unchanged} unchanged minute bars"
        click.echo(line.format(**result) + (f" ({result['note']})" if result.get("note") else ""))
    write_result(result)


@prices.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@json_option
@pass_state
@handle_errors
def prices_import(state: State, paths: tuple[str, ...], as_json: bool) -> None:
    """Import recorded daily prices (akshare, baostock, tushare, Choice, Yahoo CSV, samleon
    layouts; raw and adjusted) and minute bars (yfinance's intraday CSV, tushare stk_mins).

    \b
    Example:
        newsmon prices import newsmon/data/market/*.csv
        newsmon prices import newsmon/data/market/intraday/*.csv
    """
    from newsmon.pipeline import import_prices
    from newsmon.progress import Progress

    db = state.db()
    counted = ("files", "new", "updated", "unchanged", "bars_new", "bars_updated", "bars_unchanged")
    result = {**dict.fromkeys(counted, 0), "issues": [], "errors": []}
    with Progress("prices import", total=len(paths), unit="files") as progress:
        for path in paths:
            one = import_prices(db, [path])
            for key in counted:
                result[key] += one[key]
            result["issues"] += one["issues"]
            result["errors"] += one["errors"]
            progress.advance(1, new=one["new"], failed=len(one["errors"]))
    for line in result["issues"]:
        click.echo(f"note: {line}", err=True)
    for line in result["errors"]:
        click.echo(f"Error: {line}", err=True)
    if as_json:
        echo_json(result)
    else:
        line = (
            "imported {files} files: {new} new, {updated} updated, {unchanged} unchanged daily bars"
        )
        if result["bars_new"] or result["bars_updated"] or result["bars_unchanged"]:
            line += (
                "; {bars_new} new, {bars_updated} updated, {bars_unchanged} unchanged minute bars"
            )
        click.echo(line.format(**result))
    write_result(
        {
            **{k: result[k] for k in counted},
            "issues": len(result["issues"]),
            "failed": len(result["errors"]),
        }
    )
    if result["errors"]:
        raise SystemExit(1)


@click.command()
@click.option("--date", "day", type=DATE, help="Only stories whose event session is this day")
@json_option
@pass_state
@handle_errors
def react(state: State, day: str | None, as_json: bool) -> None:
    """Compute each story x tagged sector's market reaction (the event study) from stored prices.

    \b
    Example:
        newsmon react --date 2022-07-08
    """
    from newsmon.pipeline import compute_reactions, reactions_line, tag_articles

    db = state.db()
    tag_articles(db, state.config)
    result = compute_reactions(db, state.config, day=day)
    if as_json:
        echo_json(result)
    else:
        click.echo(reactions_line(result))
    write_result(result)


#: how the reactions table shows each figure (programs get fractions)
REACTION_TABLE_FORMATS = {
    **{
        c: percent
        for c in ("sector_return", "benchmark_return", "ar_day0", "car_0_1", "car_0_3", "pre_drift")
    },
    "t_ar0": fixed(2),
    "notes": joined,
}
#: how the named stocks' table shows each figure
STOCK_TABLE_FORMATS = {
    **{c: percent for c in ("return0", "benchmark_return", "ar_day0", "car_0_1", "car_0_3")},
    **{c: percent for c in ("ar_5m", "ar_15m", "ar_30m", "ar_60m", "ar_close")},
    "t_ar0": fixed(2),
    "limit_up_price": fixed(2),
    "limit_down_price": fixed(2),
    "limit_up": lambda v: "limit-up" if v else "",
    "limit_down": lambda v: "limit-down" if v else "",
    "notes": joined,
}


@click.command()
@click.option("--date", "day", type=DATE, help="Event session (trading day)")
@click.option("--story", "story_id", metavar="ID", help="One story")
@click.option(
    "--stocks",
    is_flag=True,
    help="The companies the stories name, each with its own day-0 move and limit flags",
)
@output_options
@pass_state
@handle_errors
def reactions(
    state: State, day: str | None, story_id: str | None, stocks: bool, fmt: str
) -> dict[str, int]:
    """Sector reactions: return, benchmark, abnormal return, CARs, drift, the test and its
    statistic, members with data; with --stocks, each named company's own reaction.

    Returns are simple daily returns as fractions (0.05 = +5%) in --json, --csv and
    --nl; the table shows them as percent. t_ar0 is the day-0 abnormal return's test
    statistic, test names it (BMP, cross-sectional t, or for a stock a time-series t).
    event_time is the story's first publication (UTC, and Asia/Shanghai in
    event_time_shanghai). Limit-up and limit-down follow the exchange's rule on the
    raw closes (previous close x (1 +- limit), rounded to the fen).

    \b
    Example:
        newsmon reactions --date 2022-07-08
        newsmon reactions --date 2022-07-08 --stocks --json
    """
    if stocks:
        return _stock_reactions(state, day, story_id, fmt)
    with state.library() as m:
        frame = add_shanghai(m.reactions(date=day, story=story_id), "event_time")
    frame["members"] = [
        f"{a}/{b}" for a, b in zip(frame["n_members_with_data"], frame["n_members"], strict=True)
    ]
    columns = [
        "story_id",
        "sector",
        "event_time",
        "event_time_shanghai",
        "event_session",
        "sector_return",
        "benchmark_return",
        "ar_day0",
        "car_0_1",
        "car_0_3",
        "pre_drift",
        "t_ar0",
        "test",
        "mm_ar0",
        "mm_t_ar0",
        "ar_5m",
        "ar_15m",
        "ar_30m",
        "ar_60m",
        "ar_close",
        "n_members",
        "n_members_with_data",
        "benchmark",
        "notes",
        "figures",
    ]
    table = [
        "story_id",
        "sector",
        "event_time_shanghai",
        "sector_return",
        "benchmark_return",
        "ar_day0",
        "car_0_1",
        "car_0_3",
        "pre_drift",
        "t_ar0",
        "test",
        "members",
        "notes",
    ]
    formats = {
        **REACTION_TABLE_FORMATS,
        "event_time_shanghai": lambda v: v.strftime("%Y-%m-%d %H:%M"),
    }
    return {"rows": echo_frame(frame, fmt, columns, table=table, formats=formats)}


def _stock_reactions(state: State, day: str | None, story_id: str | None, fmt: str) -> dict:
    """``reactions --stocks``: the named companies' own reactions."""
    with state.library() as m:
        frame = add_shanghai(m.stock_reactions(date=day, story=story_id), "event_time")
    columns = [
        "story_id",
        "ticker",
        "name",
        "event_time",
        "event_time_shanghai",
        "event_session",
        "prev_close",
        "close",
        "return0",
        "benchmark_return",
        "ar_day0",
        "car_0_1",
        "car_0_3",
        "pre_drift",
        "t_ar0",
        "test",
        "limit_up",
        "limit_down",
        "limit_up_price",
        "limit_down_price",
        "ar_5m",
        "ar_15m",
        "ar_30m",
        "ar_60m",
        "ar_close",
        "benchmark",
        "notes",
        "figures",
    ]
    table = [
        "story_id",
        "ticker",
        "name",
        "return0",
        "ar_day0",
        "car_0_1",
        "t_ar0",
        "limit_up",
        "limit_down",
        "limit_up_price",
        "ar_30m",
        "notes",
    ]
    return {"rows": echo_frame(frame, fmt, columns, table=table, formats=STOCK_TABLE_FORMATS)}


@click.command()
@click.option("--date", "day", type=DATE, help="Asia/Shanghai day (default: today there)")
@json_option
@pass_state
@handle_errors
def digest(state: State, day: str | None, as_json: bool) -> None:
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
    result = write_digest(state.db(), state.config, day)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"digest {day}: {result['stories']} stories")
        click.echo(f"  html:     {result['html']}")
        click.echo(f"  markdown: {result['markdown']}")
        click.echo(f"  atom:     {result['atom']}")
    write_result(result)


COMMANDS = [analyze, stories, story, eval_group, prices, react, reactions, digest]
