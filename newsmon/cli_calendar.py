"""`newsmon calendar`: the exchange calendar's known range, holiday notices, and aligning a time."""

from __future__ import annotations

from pathlib import Path

import click

from newsmon.clicommon import State, handle_errors, pass_state
from newsmon.output import echo_json, echo_records, json_option, output_options


@click.group(invoke_without_command=True)
@output_options
@pass_state
@click.pass_context
@handle_errors
def calendar(ctx: click.Context, state: State, fmt: str) -> dict[str, int] | None:
    """The XSHG calendar's known range, and where each year's holidays come from.

    exchange_calendars knows the Shanghai exchange's holidays up to its last year;
    each later year comes from the State Council's annual holiday notice
    (国务院办公厅关于YYYY年部分节假日安排的通知), crawled from gov.cn and picked up by
    `newsmon analyze`, or imported from a file. Past the last known year a news
    time aligns provisionally (weekends only), and every reaction it touches says so.

    \b
    Example:
        newsmon calendar
        newsmon calendar import notice_2027.txt
        newsmon calendar align "2022-10-01T10:00+08:00"
    """
    if ctx.invoked_subcommand is not None:
        return None
    from newsmon.holidays import calendar_overview

    rows = calendar_overview(_existing_db(state), state.config)
    return {"rows": echo_records(rows, fmt, ["years", "source", "ref", "closed_weekdays"])}


@calendar.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--year", type=click.IntRange(2000, 2100), help="The year, when the text has no title"
)
@json_option
@pass_state
@handle_errors
def calendar_import(
    state: State, paths: tuple[str, ...], year: int | None, as_json: bool
) -> dict[str, int]:
    """Add years from holiday notices: the notice's text (plain or a saved page) or holiday-cn JSON.

    Every 放假 day closes the exchange; the weekend days worked in exchange (调休上班)
    do not open it. Importing a year again replaces it.

    \b
    Example:
        newsmon calendar import notice_2027.txt
        newsmon calendar import holiday_2027.json --json
    """
    from newsmon.holidays import import_notice_file

    db = state.db()
    results = [import_notice_file(db, Path(p), year) for p in paths]
    if as_json:
        echo_json(results)
    else:
        for r in results:
            click.echo(
                f"{r['year']}: {r['status']}, {r['closed_weekdays']} closed weekdays "
                f"({', '.join(r['holidays'])}) from {r['ref']}"
            )
            for note in r["notes"]:
                click.echo(f"  note: {note}", err=True)
    return {
        "years": len(results),
        "new": sum(r["status"] == "new" for r in results),
        "updated": sum(r["status"] == "updated" for r in results),
    }


@calendar.command(name="align")
@click.argument("time")
@json_option
@pass_state
@handle_errors
def calendar_align(state: State, time: str, as_json: bool) -> dict[str, object]:
    """The session and first tradable minute (Asia/Shanghai) of a news time.

    A time without a zone is read as Asia/Shanghai. During continuous trading it is
    the time itself; in the call auction, the lunch break, after the close or on a
    closed day it is the next continuous-trading minute.

    \b
    Example:
        newsmon calendar align "2022-10-01T10:00+08:00"
        newsmon calendar align "2022-07-08 12:10" --json
    """
    from newsmon.holidays import align_news_time

    result = align_news_time(_existing_db(state), state.config, time)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"session:      {result['session']}")
        click.echo(f"first minute: {result['first_minute']}")
        for note in result["notes"]:
            click.echo(f"note: {note}")
    return {"provisional": int(result["provisional"])}


def _existing_db(state: State):
    """The database when there is one: reading the calendar needs none, and creates none."""
    return state.db(create=False) if Path(state.db_path).exists() else None


COMMANDS = [calendar]
