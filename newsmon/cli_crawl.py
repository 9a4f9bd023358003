"""Commands of the crawling area: `newsmon crawl`, `newsmon extract`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from newsmon.clicommon import Failure, State, handle_errors, pass_state, write_result
from newsmon.config import SPIDERS
from newsmon.output import echo_json, echo_records, json_option

#: what a crawl reports as its result counts (job_runs.counts for a scheduled crawl)
CRAWL_COUNTS = ("pages", "new", "updated", "unchanged", "failed", "refetched")


@click.command()
@click.argument("spider", type=click.Choice(SPIDERS))
@click.option("--refresh", is_flag=True, help="Fetch articles already stored again")
@click.option("--log", "log_file", metavar="PATH", help="Append the crawl's log to this file")
@click.option("-v", "--verbose", is_flag=True, help="Show the crawl's log as it runs")
@json_option
@pass_state
@handle_errors
def crawl(
    state: State, spider: str, refresh: bool, log_file: str | None, verbose: bool, as_json: bool
) -> None:
    """Crawl one source into the database; exit 1 when any page or list failed.

    Articles already stored are not fetched again unless --refresh; lists and feeds
    are read on every run. Each run is recorded in crawl_runs. NEWSMON_BASE_URL (or
    [crawl] base_url) points every spider at the replay site. Progress (pages, new,
    failed so far) is shown on stderr as the crawl goes.

    \b
    Example:
        newsmon crawl sina
        NEWSMON_BASE_URL=http://127.0.0.1:8765 newsmon --db /tmp/x.db crawl ithome --refresh
    """
    from newsmon.crawler.runner import run_crawl
    from newsmon.progress import Progress

    config = state.config
    state.db().close()  # create and migrate the file before the crawl process opens it
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
    if result.counts.get("new") or result.counts.get("updated"):
        from newsmon.pipeline import update_stories

        # stories follow what was stored, even on a partial run
        stories = update_stories(state.db())
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
        for err in result.errors:
            click.echo(f"failed: {err.get('url', '')}: {err.get('reason', '')}", err=True)
        if result.reason and not result.ok:
            click.echo(f"reason: {result.reason}", err=True)
        if result.status == "error" and not verbose:
            click.echo("\n".join(result.log_tail), err=True)
    if not result.ok:
        sys.exit(1)


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
    what could not be found and why.

    \b
    Example:
        newsmon extract page.html --url https://finance.sina.com.cn/roll/2022-07-08/doc-x.shtml
        newsmon extract notice.html --url https://www.shanghai.gov.cn/nw12344/20220708/x.html --json
    """
    from newsmon.crawler.extract.charset import decode_html
    from newsmon.crawler.extract.dispatch import parse_page, site_for_url

    body = file.read_bytes()
    headers = {"Content-Type": f"text/html; charset={charset}"} if charset else {}
    text, encoding = decode_html(body, charset)
    try:
        record = parse_page(text, url, headers)
    except Exception as exc:
        raise Failure(f"{file}: the parser for {site_for_url(url)} failed: {exc}") from exc
    data = record.to_dict()
    data["encoding"] = encoding
    if as_json:
        echo_json(data)
        return
    click.echo(f"parser: {record.parser or '-'} (site {record.site}, decoded as {encoding})")
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


COMMANDS = [crawl, extract]
