"""Commands of the crawling area: `newsmon crawl`, `newsmon frontier`, `newsmon extract`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from newsmon.clicommon import Failure, State, handle_errors, pass_state, write_result
from newsmon.config import SPIDERS
from newsmon.output import echo_json, echo_records, json_option, output_options

#: what a crawl reports as its result counts (job_runs.counts for a scheduled crawl)
CRAWL_COUNTS = ("pages", "new", "updated", "unchanged", "failed", "refetched")


@click.command()
@click.argument("spider", type=click.Choice(SPIDERS))
@click.option("--refresh", is_flag=True, help="Fetch articles already stored again")
@click.option("--log", "log_file", metavar="PATH", help="Append the crawl's log to this file")
@click.option("-v", "--verbose", is_flag=True, help="Show the crawl's log as it runs")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Seed a shared crawl on this Redis for `newsmon worker`s (docs/distributed.md)",
)
@click.option("--wait", is_flag=True, help="With --redis: wait until the crawl is stored")
@json_option
@pass_state
@handle_errors
def crawl(
    state: State,
    spider: str,
    refresh: bool,
    log_file: str | None,
    verbose: bool,
    redis_url: str | None,
    wait: bool,
    as_json: bool,
) -> None:
    """Crawl one source into the database; exit 1 when any page or list failed.

    Articles already stored are not fetched again unless --refresh; lists and feeds
    are read on every run, and so is what the frontier still wants (`newsmon
    frontier`): URLs that failed before, when their next attempt is due, and origins
    and attachments of stored pages. A copy cut short, or a page without the body its
    site's template has, is stored marked incomplete and fetched again: the run is
    partial. Each run is recorded in crawl_runs. NEWSMON_BASE_URL (or [crawl]
    base_url) points every spider at the replay site. Progress (pages, new, failed so
    far) is shown on stderr as the crawl goes. Stopping the command (Ctrl-C, SIGTERM,
    a kill) stops the crawl too; its run is then "interrupted".

    \b
    Example:
        newsmon crawl sina
        NEWSMON_BASE_URL=http://127.0.0.1:8765 newsmon --db /tmp/x.db crawl ithome --refresh
    """
    if redis_url:  # a crawl shared by workers through Redis (newsmon.cli_distributed)
        from newsmon.cli_distributed import crawl_on_redis

        return crawl_on_redis(state, spider, redis_url, refresh=refresh, wait=wait, as_json=as_json)
    from newsmon.crawler.runner import run_crawl
    from newsmon.progress import Progress
    from newsmon.timefmt import utc_iso

    config = state.config
    state.db().close()  # create and migrate the file before the crawl process opens it
    since = utc_iso()
    # the log on stderr (--verbose) and a progress line there would tear each other
    with Progress(f"crawl {spider}", enabled=False if verbose else None) as progress:
        result = run_crawl(
            config,
            spider,
            refresh=refresh,
            log_file=log_file,
            echo_log=verbose,
            on_progress=progress.update,
        )
    counts = {
        **{k: result.counts.get(k, 0) for k in CRAWL_COUNTS},
        "run_id": result.run_id,
        "status": result.status,
    }
    for key in ("gone", "incomplete_copies", "deferred", "frontier_due"):
        if result.stats.get(key):
            counts[key] = result.stats[key]
    if (result.counts.get("new") or result.counts.get("updated")) and not result.stopped_by:
        from newsmon.pipeline import refresh_after_store

        # stories follow what was stored, even on a partial run, and keep their tags
        refreshed = refresh_after_store(state.db(), config, since=since)
        stories = refreshed["stories"]
        counts["stories"] = stories["stories"]
        if not as_json:
            click.echo(f"stories: {stories['stories']} from {stories['articles']} articles")
    write_result(counts)
    if as_json:
        echo_json(asdict(result))
    else:
        click.echo(f"crawl run {result.run_id or '-'}: {result.summary()}")
        if result.counts.get("refetched"):
            click.echo(f"refetched: {result.counts['refetched']}")
        skipped = result.stats.get("skipped_known")
        if skipped:
            click.echo(f"skipped (already stored): {skipped}")
        if result.stats.get("frontier_due"):
            click.echo(f"from the frontier (due again): {result.stats['frontier_due']}")
        if result.stats.get("deferred"):
            click.echo(f"left for later (not due yet): {result.stats['deferred']}")
        for err in result.errors:
            click.echo(f"failed: {err.get('url', '')}: {err.get('reason', '')}", err=True)
        for gone in result.stats.get("gone_urls") or []:
            click.echo(f"gone: {gone.get('url', '')}: {gone.get('reason', '')}", err=True)
        for note in result.stats.get("notes") or []:
            said = "; ".join(f"{v}" for k, v in note.items() if k != "url")
            click.echo(f"note: {note.get('url', '')}: {said}", err=True)
        if result.reason and not result.ok:
            click.echo(f"reason: {result.reason}", err=True)
        if result.status == "error" and not verbose:
            click.echo("\n".join(result.log_tail), err=True)
    if result.stopped_by:
        sys.exit(128 + int(result.stopped_by))
    if not result.ok:
        sys.exit(1)


#: columns of `newsmon frontier`, in order
FRONTIER_COLUMNS = (
    "spider",
    "state",
    "role",
    "url",
    "attempts",
    "last_status",
    "last_error",
    "next_attempt_at",
    "last_attempt_at",
    "parent_url",
)


@click.command()
@click.option("--spider", type=click.Choice(SPIDERS), help="Only this spider's URLs")
@click.option(
    "--state",
    "states",
    type=click.Choice(("pending", "retry", "gone", "done")),
    multiple=True,
    help="Only URLs in this state (repeatable; default: pending, retry and gone)",
)
@click.option("--summary", is_flag=True, help="Counts per spider and state instead of URLs")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many URLs")
@output_options
@pass_state
@handle_errors
def frontier(
    state: State,
    spider: str | None,
    states: tuple[str, ...],
    summary: bool,
    limit: int | None,
    fmt: str,
) -> dict[str, int]:
    """What the crawls still want, by spider: URLs pending, failing (retry, with the last
    error and when the next attempt is due) and gone (404/410 too often).

    Each crawl of a spider works through its URLs that are due; `done` URLs are stored.

    \b
    Example:
        newsmon frontier
        newsmon frontier --spider sina --state retry --json
        newsmon frontier --summary
    """
    from newsmon.db.frontier import frontier_counts, load_frontier

    db = state.db(create=False)
    try:
        if summary:
            rows = frontier_counts(db)
            if spider:
                rows = [r for r in rows if r["spider"] == spider]
            columns = ["spider", "pending", "retry", "gone", "done"]
        else:
            rows = load_frontier(
                db, spider=spider, states=states or ("pending", "retry", "gone"), limit=limit
            )
            columns = list(FRONTIER_COLUMNS)
    finally:
        db.close()
    table = (
        None
        if summary
        else ["spider", "state", "role", "url", "attempts", "last_error", "next_attempt_at"]
    )
    echo_records(rows, fmt, columns, table=table)
    return {"rows": len(rows)}


#: record fields shown by `newsmon extract`, in order
FIELDS = (
    "url",
    "canonical_url",
    "site",
    "kind",
    "title",
    "author",
    "editor",
    "source",
    "published_at",
    "published_at_candidates",
    "document_date",
    "doc_number",
    "issuer",
    "origin_links",
    "attachments",
    "stock_tags",
    "cited_titles",
    "images",
    "tags",
    "meta",
    "text",
)


def _show(value) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The page's live URL (chooses the parser)")
@click.option("--charset", default=None, help="The charset the server declared, if any")
@json_option
@click.option("--text-chars", default=400, show_default=True, help="Text shown (0 = all)")
@pass_state
@handle_errors
def extract(
    state: State, file: Path, url: str, charset: str | None, as_json: bool, text_chars: int
) -> None:
    """Parse one saved page as the crawler would: the parser chosen, every field, and
    what could not be found and why (an incomplete copy says so, as a crawl would
    store it).

    \b
    Example:
        newsmon extract page.html --url https://finance.sina.com.cn/roll/2022-07-08/doc-x.shtml
        newsmon extract notice.html --url https://www.shanghai.gov.cn/nw12344/20220708/x.html --json
    """
    from newsmon.crawler.completeness import mark_incomplete, page_incomplete
    from newsmon.crawler.extract.charset import decode_html
    from newsmon.crawler.extract.dispatch import parse_page, site_for_url

    body = file.read_bytes()
    headers = {"Content-Type": f"text/html; charset={charset}"} if charset else {}
    text, encoding = decode_html(body, charset)
    try:
        record = parse_page(text, url, headers)
    except Exception as exc:
        raise Failure(f"{file}: the parser for {site_for_url(url)} failed: {exc}") from exc
    incomplete = page_incomplete(record, text, body=body, headers=headers)
    if incomplete:
        mark_incomplete(record, incomplete)
    data = record.to_dict()
    data["encoding"] = encoding
    if as_json:
        echo_json(data)
        return
    click.echo(f"parser: {record.parser or '-'} (site {record.site}, decoded as {encoding})")
    if incomplete:
        click.echo(f"incomplete: {incomplete}")
    rows = []
    for name in FIELDS:
        value = data.get(name)
        if name == "text" and isinstance(value, str):
            shown = value if text_chars == 0 else value[:text_chars]
            value = shown + (f"… ({len(data['text'])} chars)" if shown != data["text"] else "")
        rows.append({"field": name, "value": _show(value)})
    rows.append({"field": "body_html", "value": f"{len(record.body_html or '')} chars"})
    for row in rows:
        click.echo(f"{row['field']}: {row['value']}")
    if record.missing:
        click.echo("not found:")
        echo_records(
            [{"field": k, "why": v} for k, v in sorted(record.missing.items())],
            "table",
            ["field", "why"],
        )
    else:
        click.echo("not found: nothing")


COMMANDS = [crawl, frontier, extract]
