"""The main job on its embedded default: the 2022-07-08 event, replayed offline end to end.

Starts the replay site on 127.0.0.1, crawls it with the real spiders, builds
stories, tags the sectors, loads the recorded prices, computes the reactions and
writes the digest. Running it again changes nothing that is already stored.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from newsmon.config import Config, validate
from newsmon.db import connect

DATA = resources.files("newsmon") / "data"
#: the spiders that find the event's documents on the replay site
DEMO_SPIDERS = ("ithome", "sina", "shanghai_gov", "gov_cn")
DEMO_DAY = "2022-07-08"


def market_paths() -> list[Path]:
    market = DATA / "market"
    return sorted(Path(str(p)) for p in market.iterdir() if p.name.endswith(".csv"))


def replay_config(config: Config, base_url: str) -> Config:
    """The same configuration with every spider pointed at the replay site, politely fast."""
    data = copy.deepcopy(config.data)
    data["crawl"]["base_url"] = base_url
    data["crawl"]["download_delay"] = 0.05
    data["prices"]["provider"] = "csv"
    data["prices"]["csv_paths"] = [str(p) for p in market_paths()]
    replayed = Config(data, dict(config.origins))
    validate(replayed)
    return replayed


def run_demo(config: Config, echo: Callable[[str], None] = print) -> dict[str, Any]:
    from newsmon import pipeline
    from newsmon.crawler.replay import serve_replay
    from newsmon.crawler.runner import run_crawl

    started = time.monotonic()
    db_path = Path(config.db_path).resolve()
    db = connect(db_path, busy_timeout_ms=config["database.busy_timeout_ms"])
    echo(f"database: {db_path}")
    summary: dict[str, Any] = {"crawls": {}}
    with serve_replay() as base_url:
        echo(f"replay site: {base_url} (the 2022-07-08 event, recorded and rebuilt pages)")
        replayed = replay_config(config, base_url)
        for spider in DEMO_SPIDERS:
            result = run_crawl(replayed, spider)
            summary["crawls"][spider] = {"status": result.status, **result.counts}
            echo(f"crawl {spider}: {result.summary()}")
    stories = pipeline.update_stories(db)
    echo(f"stories: {stories['stories']} from {stories['articles']} articles")
    # tagged first: the companies the stories name are wanted as well as the sectors'
    pipeline.tag_articles(db, replayed)
    summary["prices"] = pipeline.update_prices(db, replayed)
    echo(
        "prices: {new} new, {updated} updated, {unchanged} unchanged daily bars (recorded files)".format(
            **summary["prices"]
        )
    )
    summary.update(pipeline.analyze(db, replayed, echo=echo, day=DEMO_DAY))
    summary["digest"] = pipeline.write_digest(db, replayed, DEMO_DAY)
    echo(f"digest: {summary['digest']['html']}")
    echo(f"        {summary['digest']['markdown']}")
    echo(f"        {summary['digest']['atom']}")
    echo(f"browse: newsmon --db {db_path} serve    (Datasette, read-only)")
    summary["seconds"] = round(time.monotonic() - started, 1)
    echo(f"done in {summary['seconds']} s")
    return summary
