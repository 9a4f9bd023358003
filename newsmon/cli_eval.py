"""`newsmon eval extract`: extraction scored on hand-labelled real pages (the `eval` group's)."""

from __future__ import annotations

import click

from newsmon.cli_analysis import eval_group
from newsmon.clicommon import handle_errors
from newsmon.output import echo_frame, fixed, output_options

#: score columns shown with three decimals
SCORES = ("title", "time", "source", "author", "listing", "body_f1_mean", "body_f1_min")


@eval_group.command(name="extract")
@click.option(
    "--ours-only", is_flag=True, help="Score our parsers only (trafilatura takes most of the time)"
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="Only the pages of this group (sina_desktop, sina_old, sina_mobile, ithome, gov_cn, "
    "gov_agency, government, other_media, blog, listing); repeatable",
)
@click.option("--summary", is_flag=True, help="Print only the means, one line per extractor")
@output_options
@handle_errors
def eval_extract(
    fmt: str, ours_only: bool, groups: tuple[str, ...], summary: bool
) -> dict[str, int]:
    """Extraction scored on hand-labelled real pages: ours and trafilatura's side by side.

    Per page: title exact, minute-exact time (pages that show one), source and author
    (pages that name one), body character F1 (precision and recall over the characters
    of the two texts, white space removed), listing pages recognised; then the means.

    \b
    Example:
        newsmon eval extract
        newsmon eval extract --ours-only --group sina_mobile --group sina_old
        newsmon eval extract --summary --json
    """
    from importlib import resources
    from pathlib import Path

    from newsmon.crawler.extract.evaluation import (
        evaluate_extraction,
        load_labelled_pages,
        per_page_scores,
        summarize_extraction,
    )

    pages = load_labelled_pages(Path(str(resources.files("newsmon") / "data")))
    if groups:
        known = {page.group for page in pages}
        unknown = sorted(set(groups) - known)
        if unknown:
            raise click.BadParameter(
                f"{', '.join(unknown)} (known: {', '.join(sorted(known))})", param_hint="--group"
            )
        pages = [page for page in pages if page.group in groups]
    extractors = ["ours"] if ours_only else ["ours", "trafilatura"]
    frame = evaluate_extraction(pages, extractors)
    means = summarize_extraction(frame, extractors).reset_index()
    three = fixed(3)
    formats = {c: three for c in means.columns if c in SCORES}
    if summary:
        return {"rows": echo_frame(means, fmt, formats=formats)}
    table = per_page_scores(frame).reset_index()
    rows = echo_frame(
        table, fmt, formats={c: three for c in table.columns if c.startswith("body_f1")}
    )
    if fmt == "table":
        click.echo("")
        echo_frame(means, fmt, formats=formats)
    return {"rows": rows}


COMMANDS: list = []  # its command joins the `eval` group of newsmon.cli_analysis
