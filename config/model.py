"""Every setting of newsmon, declared once: its name, type, default and help.

The pydantic models below are the configuration's schema. Each section is a model
whose fields are the section's keys; a field's annotation is its type and range
(with `Expect`, the words an error message uses for it), its default is the
shipped default and its description the help. Models refuse unknown keys, and they
are strict: an integer setting takes a TOML integer only (not 2.5, 2.0 or true), a
number takes an integer or a finite float, a string a string.

Two tables are data rather than settings and ship as TOML beside this module: the
scheduled jobs (schedule.toml, [schedule.jobs.NAME]) and the sector taxonomy
(sectors.toml, [sectors.ID]). Their keys are declared here too; the sectors' values
are normalised by newsmon.analysis.tagging.sector_taxonomy.
"""

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

SPIDERS = ("sina", "ithome", "gov_cn", "shanghai_gov", "feed")

#: a cron expression must fire at least once within this many years of now
#: (8 years always hold a 29 February, even across 2100)
CRON_HORIZON_YEARS = 9


@dataclass(frozen=True)
class Expect:
    """What a setting's value must be, as an error message says it."""

    text: str


def _check(base: Any, ok: Any, expected: str) -> Any:
    """`base` further checked by the predicate `ok`; `expected` says what passes."""

    def check(value: Any) -> Any:
        if not ok(value):
            raise ValueError(f"is not valid; expected {expected}")
        return value

    return Annotated[base, AfterValidator(check), Expect(expected)]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bounds(ge: float | None, gt: float | None, le: float | None) -> str:
    low = f"> {_num(gt)}" if gt is not None else f">= {_num(ge)}" if ge is not None else ""
    high = f"<= {_num(le)}" if le is not None else ""
    return " and ".join(b for b in (low, high) if b)


def number(
    unit: str, *, ge: float | None = None, gt: float | None = None, le: float | None = None
) -> Any:
    """A finite number (a TOML integer or float) in range, e.g. seconds >= 0 and <= 3600."""
    what = f"a number of {unit}" if unit else "a number"
    text = f"{what} {_bounds(ge, gt, le)}".strip()
    return Annotated[float, Field(ge=ge, gt=gt, le=le, allow_inf_nan=False), Expect(text)]


def whole(unit: str, *, ge: int, le: int) -> Any:
    """An integer in range: 2.5, 2.0 and true are refused."""
    what = f"a whole number of {unit}" if unit else "a whole number"
    return Annotated[int, Field(ge=ge, le=le), Expect(f"{what} {_bounds(ge, None, le)}")]


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_day(value: str) -> bool:
    try:
        return bool(_DAY.fullmatch(value)) and dt.date.fromisoformat(value) is not None
    except ValueError:
        return False


def _is_zone(value: str) -> bool:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _day_text(value: Any) -> Any:
    """A TOML date (extra_holidays = [2022-10-03]) kept as its ISO string."""
    return value.isoformat() if type(value) is dt.date else value


Text = _check(str, lambda v: v.strip() != "", "a non-empty string")
FilePath = _check(str, lambda v: v.strip() != "", "a file path")
FolderPath = _check(str, lambda v: v.strip() != "", "a folder path")
Url = _check(str, _is_url, "an http(s) URL")
UrlOrNone = _check(str, lambda v: v == "" or _is_url(v), 'an http(s) URL or ""')
Host = _check(str, lambda v: bool(_HOST.fullmatch(v)), "a host name such as sina.com.cn")
Ticker = _check(str, lambda v: v.strip() != "", 'a ticker such as "000300.SS"')
Day = Annotated[_check(str, _is_day, "a date YYYY-MM-DD"), BeforeValidator(_day_text)]
TimeZoneName = _check(str, _is_zone, 'a time zone such as "Asia/Shanghai"')


def _known_spider(value: str) -> str:
    if value not in SPIDERS:
        raise ValueError(f"is not a known spider; expected one of {', '.join(SPIDERS)}")
    return value


Spider = Annotated[str, AfterValidator(_known_spider), Expect("one of " + ", ".join(SPIDERS))]


def setting(default: Any, help: str) -> Any:
    """A setting's default and help (its type is the annotation)."""
    return Field(default, description=help)


def required(help: str) -> Any:
    """A key a table must have."""
    return Field(description=help)


class Section(BaseModel):
    """A table of the configuration: unknown keys refused, values taken as written."""

    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, validate_default=True
    )


def _problem(key: str, message: str) -> PydanticCustomError:
    """A problem of one key found when checking its table (the message follows the key)."""
    return PydanticCustomError("config", "{message}", {"key": key, "message": message})


# ------------------------------------------------------------------------- settings


class Database(Section):
    path: FilePath = setting("data/newsmon.db", "SQLite file; created with its folder on first use")
    busy_timeout_ms: whole("milliseconds", ge=0, le=600_000) = setting(
        5000, "milliseconds a writer waits for a lock before failing"
    )


class Crawl(Section):
    user_agent: Text = setting(
        "newsmon/0.1 (+https://github.com/newsmon/newsmon; news research crawler)",
        "User-Agent header; identify honestly",
    )
    contact_url: UrlOrNone = setting(
        "https://github.com/newsmon/newsmon",
        "contact URL added to the User-Agent, so site operators can reach us",
    )
    obey_robots: bool = setting(True, "obey robots.txt")
    download_delay: number("seconds", ge=0, le=3600) = setting(
        1.0, "seconds between requests to one domain (AutoThrottle starts here)"
    )
    concurrent_per_domain: whole("", ge=1, le=64) = setting(2, "parallel requests per domain")
    timeout_s: number("seconds", gt=0, le=3600) = setting(30.0, "download timeout")
    retries: whole("", ge=0, le=20) = setting(3, "retries of a failed request")
    max_response_bytes: whole("bytes", ge=1024, le=2**30) = setting(
        10_000_000, "responses larger than this are cut off and reported"
    )
    base_url: UrlOrNone = setting(
        "", "when set, every spider's live hosts are replaced by this site (the local replay)"
    )
    follow_origin: bool = setting(
        True, "follow 官方原文 links and 来源 naming a government site, within allowed domains"
    )
    retry_after_max_s: number("seconds", gt=0, le=3600) = setting(
        60.0, "longest wait honoured from a Retry-After header (429/503); longer asks are cut"
    )
    retry_backoff_s: number("seconds", gt=0, le=600) = setting(
        1.0, "first retry back-off, doubled at each further retry of the same request"
    )
    frontier_backoff_s: number("seconds", ge=0, le=86400) = setting(
        600.0,
        "a URL that failed in a run is asked for again by the runs after this wait, "
        "doubled at each further failure (at most a day)",
    )
    gone_after: whole("", ge=1, le=100) = setting(
        3, "a URL answering 404 or 410 this many times is gone: not asked for again"
    )


class Prices(Section):
    provider: Annotated[Literal["yfinance", "csv"], Expect('"yfinance" or "csv"')] = setting(
        "yfinance", '"yfinance" (live) or "csv" (recorded files under csv_paths)'
    )
    csv_paths: list[FilePath] = setting([], "recorded price files, for provider csv")
    benchmark: Ticker = setting("000300.SS", "benchmark of a sector that names none (CSI 300)")


class Reaction(Section):
    estimation_start: whole("days", ge=-1000, le=-1) = setting(
        -120, "first trading day of the estimation window, relative to the event day"
    )
    estimation_end: whole("days", ge=-1000, le=-1) = setting(
        -11, "last trading day of the estimation window, relative to the event day"
    )
    min_estimation_days: whole("days", ge=1, le=1000) = setting(
        30, "fewest trading days with returns the estimation needs"
    )
    extra_holidays: list[Day] = setting(
        [], "exchange holidays (YYYY-MM-DD) past the trading calendar's own list"
    )

    @model_validator(mode="after")
    def _window(self) -> "Reaction":
        start, end = self.estimation_start, self.estimation_end
        if start >= end:
            raise _problem(
                "estimation_start",
                f"= {start} is not valid; expected a day before estimation_end ({end})",
            )
        if self.min_estimation_days > end - start + 1:
            raise _problem(
                "min_estimation_days",
                f"= {self.min_estimation_days} is more than the estimation window's "
                f"{end - start + 1} days",
            )
        return self


class Digest(Section):
    output_dir: FolderPath = setting("data/digests", "where digests are written")
    top_stories: whole("", ge=1, le=1000) = setting(20, "stories in one digest")


# -------------------------------------------------------------------------- sources


DOMAINS_HELP = "domains (and their subdomains) the spider may visit"


class Source(Section):
    """What every spider reads: [sources.NAME], named as the spider."""

    enabled: bool = setting(True, "false: `newsmon crawl NAME` refuses to run")
    allowed_domains: list[Host] = setting([], DOMAINS_HELP)


class SinaSource(Source):
    allowed_domains: list[Host] = setting(["sina.com.cn", "sina.cn"], DOMAINS_HELP)
    roll_api: UrlOrNone = setting(
        "https://feed.mix.sina.com.cn/api/roll/get?pageid=153&lid=2516&k=&num=50&page=1",
        "roll-news JSON API: pageid 153 with the finance and stock lids",
    )
    roll_referer: UrlOrNone = setting(
        "https://news.sina.com.cn/", "Referer sent with the roll API requests"
    )
    roll_pages: whole("pages", ge=1, le=100) = setting(1, "roll API pages read per crawl")
    list_pages: list[Url] = setting(["https://finance.sina.com.cn/roll/"], "list pages read")


class IthomeSource(Source):
    allowed_domains: list[Host] = setting(["ithome.com"], DOMAINS_HELP)
    feeds: list[Url] = setting(["https://www.ithome.com/rss/"], "RSS/Atom feeds read")
    list_pages: list[Url] = setting(["https://www.ithome.com/list/"], "list pages read")


class GovCnSource(Source):
    allowed_domains: list[Host] = setting(["gov.cn"], DOMAINS_HELP)
    json_feeds: list[Url] = setting(
        ["https://www.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json"], "JSON lists of new policies"
    )
    list_pages: list[Url] = setting(["https://www.gov.cn/zhengce/"], "list pages read")


class ShanghaiGovSource(Source):
    allowed_domains: list[Host] = setting(
        # sh.gov.cn: the municipal commissions' sites (e.g. sheitc.sh.gov.cn)
        ["shanghai.gov.cn", "sh.gov.cn"],
        DOMAINS_HELP,
    )
    list_pages: list[Url] = setting(
        ["https://www.shanghai.gov.cn/nw12344/index.html"], "list pages read"
    )
    policy_page_api: UrlOrNone = setting(
        "", 'policy platform list API (POST {siteIdList, pageNo, pageSize}); "" = not read'
    )
    policy_detail_api: UrlOrNone = setting(
        "", 'policy platform document API (POST {siteId, businessId}); "" = the list\'s fields'
    )
    policy_site_ids: list[Text] = setting([], "siteIdList sent to the policy list API")
    policy_page_size: whole("documents", ge=1, le=1000) = setting(
        20, "pageSize sent to the policy list API"
    )


class FeedSource(Source):
    allowed_domains: list[Host] = setting([], "domains the spider may visit; [] = the feeds' hosts")
    feeds: list[Url] = setting([], "any RSS/Atom feeds, read with the generic parser")


class Sources(Section):
    """[sources.NAME] for each spider, and the names that stand for a government site."""

    sina: SinaSource = setting(SinaSource(), "finance.sina.com.cn")
    ithome: IthomeSource = setting(IthomeSource(), "ithome.com")
    gov_cn: GovCnSource = setting(GovCnSource(), "gov.cn, the State Council")
    shanghai_gov: ShanghaiGovSource = setting(ShanghaiGovSource(), "the Shanghai government")
    feed: FeedSource = setting(FeedSource(), "any RSS/Atom feed")
    origin_sites: dict[str, Host] = setting(
        {
            "上海人民政府网站": "shanghai.gov.cn",
            "上海市人民政府": "shanghai.gov.cn",
            "上海发布": "shanghai.gov.cn",
            "上海市经济和信息化委员会": "sh.gov.cn",
            "中国政府网": "gov.cn",
            "国务院": "gov.cn",
        },
        "来源 names that stand for a government site: with crawl.follow_origin, an article "
        "naming one is followed to its 官方原文 link on that domain (a source's domain)",
    )


# ------------------------------------------------------------------------- schedule

_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _crontab_day_of_week(field_: str) -> str:
    """Crontab's day-of-week (0 or 7 = Sunday) in names, which APScheduler 3 reads correctly.

    APScheduler 3 counts weekday numbers from Monday = 0, so "1-5" would run Tuesday to
    Saturday; names mean the same thing in both.
    """
    if not re.search(r"\d", field_):
        return field_
    days: set[int] = set()
    for item in field_.split(","):
        part, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"bad step {step_text!r} in day of week {field_!r}")
            step = int(step_text)
        if part == "*":
            lo, hi = 0, 6
        else:
            lo_text, dash, hi_text = part.partition("-")
            lo = _day_number(lo_text, field_)
            hi = _day_number(hi_text, field_) if dash else (6 if step_text else lo)
            if hi == 0 and dash:
                hi = 7
            if lo > hi:
                raise ValueError(f"range {part!r} runs backwards in day of week {field_!r}")
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(_DOW_NAMES[d] for d in sorted(days))


def _day_number(text: str, whole: str) -> int:
    text = text.strip().lower()
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)
    if text in _DOW_NAMES:
        return _DOW_NAMES.index(text)
    raise ValueError(f"bad day of week {text!r} in {whole!r} (0-7 or sun-sat)")


def crontab_trigger(expr: str, tz: ZoneInfo) -> Any:
    """CronTrigger.from_crontab with crontab's own day-of-week numbering."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(
            f"has {len(fields)} field{'s' if len(fields) != 1 else ''}; "
            "expected 5 (minute hour day month day-of-week)"
        )
    fields[4] = _crontab_day_of_week(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=tz)


def check_crontab(expr: str, tz: ZoneInfo, now: dt.datetime | None = None) -> None:
    """ValueError unless `expr` parses and fires within CRON_HORIZON_YEARS of `now`."""
    try:
        trigger = crontab_trigger(expr, tz)
    except ValueError as exc:
        raise ValueError(f"is not a valid crontab: {exc}") from exc
    now = now or dt.datetime.now(tz)
    horizon = now.replace(year=now.year + CRON_HORIZON_YEARS, month=1, day=1)
    first = trigger.get_next_fire_time(None, now)
    if first is None:
        raise ValueError("never fires (no such day, e.g. 31 February)")
    if first > horizon:
        raise ValueError(f"fires next on {first:%Y-%m-%d}, not within {CRON_HORIZON_YEARS} years")


class Job(Section):
    """[schedule.jobs.NAME]: one scheduled job."""

    action: Text = required("what to run: crawl, prices, analyze or digest")
    spider: Spider | None = setting(None, "the spider of a crawl job")
    trigger: Annotated[Literal["cron", "interval"], Expect('"cron" or "interval"')] = required(
        '"cron" (with cron) or "interval" (with minutes and/or seconds)'
    )
    cron: Annotated[str, Expect('a crontab such as "30 15 * * mon-fri"')] | None = setting(
        None, "5-field crontab (minute hour day month day-of-week) in the schedule's time zone"
    )
    minutes: number("minutes", gt=0, le=525_600) | None = setting(None, "interval length")
    seconds: number("seconds", gt=0, le=31_536_000) | None = setting(None, "interval length")
    args: list[str] = setting([], 'extra command-line arguments, e.g. ["--date", "2022-07-08"]')
    timeout_s: number("seconds", gt=0, le=604_800) | None = setting(
        None, "per-run time limit, overriding the schedule's; the run then fails"
    )
    misfire_grace_s: number("seconds", gt=0, le=86_400) | None = setting(
        None, "how late a run may still start, overriding the schedule's"
    )
    enabled: bool = setting(True, "false keeps the job out of the schedule (--once still runs it)")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            tz = (info.context or {}).get("timezone") or ZoneInfo("UTC")
            check_crontab(value, tz)
        return value

    @model_validator(mode="after")
    def _trigger_keys(self) -> "Job":
        if self.trigger == "cron":
            for key in ("minutes", "seconds"):
                if getattr(self, key) is not None:
                    raise _problem(key, 'does not apply to trigger cron; use cron = "..."')
            if self.cron is None:
                raise _problem("cron", 'is missing; expected a crontab such as "30 15 * * mon-fri"')
        else:
            if self.cron is not None:
                raise _problem("cron", "does not apply to trigger interval; use minutes or seconds")
            if self.minutes is None and self.seconds is None:
                raise _problem("minutes", "is missing; expected a number of minutes > 0")
        return self


class Schedule(Section):
    """[schedule]: the jobs `newsmon schedule` runs, and how."""

    timezone: TimeZoneName = setting("Asia/Shanghai", "time zone of cron expressions")
    misfire_grace_s: number("seconds", gt=0, le=86_400) = setting(
        300.0,
        "a run whose time passed while the machine slept or was busy still starts if at "
        "most this many seconds late (then once, however many were missed)",
    )
    timeout_s: number("seconds", gt=0, le=604_800) = setting(
        3600.0, "a run still going after this many seconds is stopped and fails"
    )
    stop_grace_s: number("seconds", gt=0, le=3600) = setting(
        30.0, "seconds a running job gets to stop after SIGTERM or Ctrl-C before it is killed"
    )
    jobs: dict[str, Job] = setting({}, "one table per job (schedule.toml has the defaults)")

    @field_validator("timezone")
    @classmethod
    def _share_timezone(cls, value: str, info: ValidationInfo) -> str:
        # validated before jobs (declared first): their crons are read in this zone
        if info.context is not None:
            info.context["timezone"] = ZoneInfo(value)
        return value


# -------------------------------------------------------------------------- sectors


class Member(Section):
    """A sector member: "002045.SZ" or { ticker, name, weight }."""

    ticker: Ticker = required("A-share ticker with exchange suffix (.SS or .SZ)")
    name: str = setting("", "short name")
    weight: number("", ge=0) | None = setting(None, "weight in a weighted sector")

    @model_validator(mode="before")
    @classmethod
    def _ticker_alone(cls, data: Any) -> Any:
        return {"ticker": data} if isinstance(data, str) else data


class Sector(Section):
    """[sectors.ID]: checked for its keys here, normalised by analysis.tagging."""

    name: str | None = setting(None, "display name")
    name_zh: str | None = setting(None, "Chinese display name")
    keywords: list[Text] = required("words that put an article in the sector")
    members: list[Member] = setting([], "member tickers")
    benchmark: Ticker | None = setting(None, "benchmark ticker")
    parent: str | None = setting(None, "id of the sector this one is a sub-sector of")
    note: str | None = setting(None, "a note shown with the sector")
    weights: dict[str, number("", ge=0)] | None = setting(None, "ticker -> weight")


# ----------------------------------------------------------------------------- root


class Settings(Section):
    """The whole configuration: one table per section."""

    database: Database = setting(Database(), "the SQLite database")
    crawl: Crawl = setting(Crawl(), "how every spider crawls")
    prices: Prices = setting(Prices(), "where daily prices come from")
    reaction: Reaction = setting(Reaction(), "the event study")
    digest: Digest = setting(Digest(), "the daily digest")
    sources: Sources = setting(Sources(), "one table per spider")
    schedule: Schedule = setting(Schedule(), "scheduled jobs")
    sectors: dict[str, Sector] = setting({}, "the sector taxonomy (sectors.toml)")
