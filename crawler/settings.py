"""Scrapy settings, built from newsmon's configuration: every crawl default lives here.

`scrapy crawl SPIDER` (scrapy.cfg points here) and `newsmon crawl SPIDER` both read
this module. The newsmon configuration is loaded once, as the CLI loads it: defaults,
then a user file ($NEWSMON_CONFIG or ./newsmon.toml), then NEWSMON_DB and
NEWSMON_BASE_URL. Components read these values in from_crawler only.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from newsmon.config import Config, ConfigError, load_config, validate

#: set by crawler.runner: the exact configuration of the caller, as JSON in a file, or
#: "-": on stdin
FROZEN_CONFIG_ENV = "NEWSMON_CONFIG_JSON"

try:
    if os.environ.get(FROZEN_CONFIG_ENV) == "-":  # crawler.runner sends it through a pipe
        _config = validate(Config(json.loads(sys.stdin.read())))
    elif os.environ.get(FROZEN_CONFIG_ENV):
        frozen = Path(os.environ[FROZEN_CONFIG_ENV]).read_text(encoding="utf-8")
        _config = validate(Config(json.loads(frozen)))
    else:
        _config = load_config()
except ConfigError as exc:  # `scrapy crawl` with a bad newsmon.toml: one line, exit 2
    print(f"Error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

BOT_NAME = "newsmon"
SPIDER_MODULES = ["newsmon.crawler.spiders"]
NEWSPIDER_MODULE = "newsmon.crawler.spiders"

# --- politeness --------------------------------------------------------------------------
_user_agent = _config["crawl.user_agent"]
_contact = _config["crawl.contact_url"]
if _contact and _contact not in _user_agent:
    _user_agent = f"{_user_agent} (+{_contact})"
#: honest User-Agent with a contact URL, sent to robots.txt too
USER_AGENT = _user_agent
ROBOTSTXT_OBEY = _config["crawl.obey_robots"]
DOWNLOAD_DELAY = float(_config["crawl.download_delay"])
#: each wait varies by ±50%, so requests do not arrive in lockstep
DOWNLOAD_DELAY_JITTER = 0.5
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = int(_config["crawl.concurrent_per_domain"])
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = float(CONCURRENT_REQUESTS_PER_DOMAIN)
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
#: no control port is opened by a crawl
REMOTE_CONTROL_ENABLED = False

# --- limits ------------------------------------------------------------------------------
DOWNLOAD_TIMEOUT = float(_config["crawl.timeout_s"])
#: the size cap: larger responses are cancelled and reported as failures
DOWNLOAD_MAXSIZE = int(_config["crawl.max_response_bytes"])
DOWNLOAD_WARNSIZE = max(1, DOWNLOAD_MAXSIZE // 2)
#: a body shorter than its Content-Length still reaches the spider, flagged "dataloss":
#: it is stored marked incomplete (never over a whole copy) and fetched again
DOWNLOAD_FAIL_ON_DATALOSS = False
REDIRECT_MAX_TIMES = 5

# --- retries -----------------------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = int(_config["crawl.retries"])
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
#: Retry-After on 429/503 is honoured up to this many seconds
NEWSMON_RETRY_AFTER_MAX = float(_config["crawl.retry_after_max_s"])
#: back-off before the n-th retry: NEWSMON_RETRY_BACKOFF * 2 ** (n - 1), capped as above
NEWSMON_RETRY_BACKOFF = float(_config["crawl.retry_backoff_s"])

DOWNLOADER_MIDDLEWARES = {
    # every request, redirects included, stays on its allowed domains: after the redirect
    # middleware (600), so it sees a redirect before a request is made of it
    "newsmon.crawler.middlewares.ScopeMiddleware": 650,
    # the frontier decides: stored, gone and not-yet-due documents are not fetched;
    # before robots.txt, so none is asked for them
    "newsmon.crawler.middlewares.StoredArticleMiddleware": 50,
    # the built-in retry is replaced by one with back-off and Retry-After
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsmon.crawler.middlewares.BackoffRetryMiddleware": 550,
}
SPIDER_MIDDLEWARES = {
    # every document request is in the frontier before its page's item is stored;
    # each run starts with the spider's due frontier URLs
    "newsmon.crawler.middlewares.FrontierSpiderMiddleware": 950,
}
ITEM_PIPELINES = {
    "newsmon.crawler.pipelines.ValidatePipeline": 100,
    "newsmon.crawler.pipelines.StorePipeline": 300,
    "newsmon.crawler.pipelines.RawPagePipeline": 400,
    "newsmon.crawler.pipelines.FrontierPipeline": 500,
    "newsmon.crawler.pipelines.CrawlRunPipeline": 900,
}

# --- newsmon -----------------------------------------------------------------------------
NEWSMON_DB = _config.db_path
NEWSMON_BUSY_TIMEOUT_MS = int(_config["database.busy_timeout_ms"])
#: the replay site standing in for every live host ("" = live)
NEWSMON_BASE_URL = _config["crawl.base_url"]
NEWSMON_FOLLOW_ORIGIN = _config["crawl.follow_origin"]
#: one table per spider, as declared in newsmon.config.model (Sources)
NEWSMON_SOURCES = _config.get("sources", {})
#: fetch stored article URLs again (newsmon crawl --refresh)
NEWSMON_REFRESH = False
#: the frontier: first wait before a failed URL is asked for again (doubled each time)
NEWSMON_FRONTIER_BACKOFF_S = float(_config["crawl.frontier_backoff_s"])
#: a URL answering 404/410 this many times is "gone"
NEWSMON_GONE_AFTER = int(_config["crawl.gone_after"])
#: a crawl that has not finished after this many seconds is closed ("failed"); 0 = no limit
CLOSESPIDER_TIMEOUT = 0

# --- engine ------------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
