"""Extraction benchmark: our parsers (crawler.extract.dispatch.parse_page) against
trafilatura.bare_extraction on the same pages: the hand-labelled extraction set
(newsmon/data/extract_eval, 50 real pages: Sina desktop, mobile and 2004-2005 pages,
IT之家, gov.cn and other government sites, other outlets, blogs, listing pages).

    python bench/bench_extract.py [--repeats N]

Speed: pages per second over every page of the set, the median of N timed passes,
one process pinned to one core. Each side gets the page bytes, as a crawler would;
both decode them themselves. The ratio ours / trafilatura is printed; our parsers
must stay at least MIN_SPEED_RATIO times as fast (the script exits 1 otherwise).

Accuracy: the scores of crawler.extract.evaluation (title exact, minute-exact time
on the pages that show one, source and author on the pages that name one, body
character F1 over character multisets without whitespace, listing pages recognised),
ours and trafilatura's side by side; the same figures as `newsmon eval extract`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from newsmon.crawler.extract.evaluation import (
    EXTRACTOR_FUNCTIONS,
    evaluate_extraction,
    load_labelled_pages,
    summarize_extraction,
)

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "newsmon" / "data"
#: our parsers must be at least this many times as fast as trafilatura on the same pages
MIN_SPEED_RATIO = 3.0


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass


def speed(name: str, pages, repeats: int) -> list[float]:
    """Pages per second of each timed pass over every page."""
    fn = EXTRACTOR_FUNCTIONS[name]
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for page in pages:
            fn(page.body, page.url)
        rates.append(len(pages) / (time.perf_counter() - start))
    return rates


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed passes (median reported)")
    args = parser.parse_args(argv)
    pin_one_core()
    pages = load_labelled_pages(DATA)
    # warm up both (imports, lxml / trafilatura caches) before timing
    for name in ("ours", "trafilatura"):
        EXTRACTOR_FUNCTIONS[name](pages[0].body, pages[0].url)
    ours = speed("ours", pages, args.repeats)
    theirs = speed("trafilatura", pages, args.repeats)
    ours_rate, theirs_rate = statistics.median(ours), statistics.median(theirs)
    ratio = ours_rate / theirs_rate
    print(f"pages: {len(pages)} labelled pages, {args.repeats} repeats, one core")
    print(
        f"speed (pages/s, median): ours {ours_rate:.1f}   trafilatura {theirs_rate:.1f}   "
        f"ratio ours/trafilatura {ratio:.2f}"
    )
    frame = evaluate_extraction(pages, ["ours", "trafilatura"])
    summary = summarize_extraction(frame)
    a, b = summary.loc["ours"], summary.loc["trafilatura"]

    def share(row, key) -> str:
        value = row[key]
        return "-" if value != value or value is None else f"{value:.3f}"

    print(f"accuracy on {int(a['body_pages'])} article pages   ours        trafilatura")
    for key in ("title", "time", "source", "author", "listing"):
        print(
            f"  {key:<8} ({int(a[f'{key}_pages'])} pages)        "
            f"{share(a, key):<11} {share(b, key)}"
        )
    print(f"  body char-F1 mean          {a['body_f1_mean']:.3f}       {b['body_f1_mean']:.3f}")
    print(f"  body char-F1 worst page    {a['body_f1_min']:.3f}       {b['body_f1_min']:.3f}")
    if ratio < MIN_SPEED_RATIO:
        print(f"FAIL: ours is {ratio:.2f}x trafilatura's speed, below {MIN_SPEED_RATIO}x")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
