"""The job schedule: config["schedule"] checked and turned into JobSpecs before anything runs.

A schedule table looks like (config/schedule.toml; a user file may add or change jobs
under [schedule.jobs.NAME], or switch a default job off with `enabled = false`):

    timezone = "Asia/Shanghai"
    misfire_grace_s = 300

    [jobs.crawl_sina]
    action = "crawl"
    spider = "sina"
    trigger = "interval"
    minutes = 15

    [jobs.prices]
    action = "prices"
    trigger = "cron"
    cron = "30 15 * * mon-fri"

Every problem is reported at once, each naming the file, the job and the key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsmon.config import SPIDERS, Config, ConfigError

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_MISFIRE_GRACE_S = 300
DEFAULT_STOP_GRACE_S = 30


@dataclass(frozen=True)
class Action:
    """What a job of one action runs.

    args(job) gives the arguments after `newsmon [--db PATH] [--config PATH]`; with
    `program` set they follow that program instead (a command outside newsmon).
    """

    args: Callable[[Mapping[str, Any]], list[str]]
    help: str
    needs_spider: bool = False
    program: tuple[str, ...] | None = None


#: action name -> what it runs (tests may add their own)
ACTIONS: dict[str, Action] = {
    "crawl": Action(
        lambda job: ["crawl", job["spider"]], "newsmon crawl SPIDER", needs_spider=True
    ),
    "prices": Action(lambda job: ["prices", "update"], "newsmon prices update"),
    "analyze": Action(lambda job: ["analyze"], "newsmon analyze"),
    "digest": Action(lambda job: ["digest"], "newsmon digest"),
}

TRIGGERS = ("cron", "interval")

#: keys a [jobs.NAME] table may have, with what each means
JOB_KEYS = {
    "action": "what to run: " + ", ".join(ACTIONS),
    "spider": "the spider of a crawl job",
    "trigger": '"cron" or "interval"',
    "cron": "5-field crontab (minute hour day month day-of-week), for trigger cron",
    "minutes": "interval length in minutes, for trigger interval",
    "seconds": "interval length in seconds, for trigger interval",
    "args": "extra command-line arguments for the action",
    "timeout_s": "stop the run (status failed) after this many seconds",
    "misfire_grace_s": "how late a run may still start, overriding the schedule's",
    "enabled": "false keeps the job out of the schedule",
}

#: keys of the schedule table itself
SCHEDULE_KEYS = {
    "timezone": "time zone of cron expressions and of shown times",
    "misfire_grace_s": "how late (seconds) a run may still start after its time",
    "timeout_s": "default per-run time limit in seconds (none when absent)",
    "stop_grace_s": "seconds a running job gets to stop after SIGTERM before it is killed",
    "jobs": "one table per job",
}


@dataclass(frozen=True)
class JobSpec:
    name: str
    action: str
    trigger: str  # cron | interval
    #: newsmon arguments (or, with program, that program's arguments)
    args: tuple[str, ...]
    program: tuple[str, ...] | None = None
    spider: str | None = None
    cron: str | None = None
    interval_s: float | None = None
    timeout_s: float | None = None
    misfire_grace_s: int = DEFAULT_MISFIRE_GRACE_S
    timezone: str = DEFAULT_TIMEZONE
    enabled: bool = True

    def make_trigger(self) -> Any:
        """A fresh APScheduler trigger for this job."""
        return _make_trigger(self.trigger, self.cron, self.interval_s, ZoneInfo(self.timezone))

    def describe(self) -> str:
        """'cron 30 15 * * mon-fri' or 'every 15 min'."""
        if self.trigger == "cron":
            return f"cron {self.cron}"
        return "every " + _describe_seconds(self.interval_s or 0)


@dataclass(frozen=True)
class Schedule:
    timezone: str
    jobs: list[JobSpec]
    stop_grace_s: float = DEFAULT_STOP_GRACE_S

    def job(self, name: str) -> JobSpec:
        for spec in self.jobs:
            if spec.name == name:
                return spec
        known = ", ".join(s.name for s in self.jobs) or "none"
        raise ConfigError(f"no job named {name!r} in the schedule; known: {known}")

    @property
    def enabled(self) -> list[JobSpec]:
        return [s for s in self.jobs if s.enabled]


def _describe_seconds(seconds: float) -> str:
    seconds = float(seconds)
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    if seconds > 60:
        return f"{int(seconds // 60)} min {seconds % 60:g} s"
    return f"{seconds:g} s"


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
            f"has {len(fields)} fields; expected 5 (minute hour day month day-of-week)"
        )
    fields[4] = _crontab_day_of_week(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=tz)


def _make_trigger(trigger: str, cron: str | None, interval_s: float | None, tz: ZoneInfo) -> Any:
    if trigger == "cron":
        return crontab_trigger(cron or "", tz)
    from apscheduler.triggers.interval import IntervalTrigger

    return IntervalTrigger(seconds=interval_s, timezone=tz)


def _positive(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v > 0


def validate_schedule(config: Config, actions: Mapping[str, Action] | None = None) -> list[JobSpec]:
    """Every job of config["schedule"] as a JobSpec (enabled or not); ConfigError listing all problems."""
    return load_schedule(config, actions).jobs


def load_schedule(config: Config, actions: Mapping[str, Action] | None = None) -> Schedule:
    """The schedule with its settings; ConfigError listing every problem, each naming job and key."""
    actions = ACTIONS if actions is None else actions
    where = config.origins.get("schedule", "configuration")
    errors: list[str] = []

    def bad(message: str) -> None:
        errors.append(message)

    table = config.get("schedule")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: schedule is missing or not a table")
    for key in table:
        if key not in SCHEDULE_KEYS:
            bad(
                f"schedule.{key} is not a schedule setting; expected one of {', '.join(SCHEDULE_KEYS)}"
            )

    tz_name = table.get("timezone", DEFAULT_TIMEZONE)
    try:
        if not isinstance(tz_name, str):
            raise ZoneInfoNotFoundError(tz_name)
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        bad(f'schedule.timezone = {tz_name!r} is not a time zone; expected e.g. "Asia/Shanghai"')
        tz_name, tz = DEFAULT_TIMEZONE, ZoneInfo(DEFAULT_TIMEZONE)

    def number(value: Any, dotted: str, default: Any) -> Any:
        if value is None:
            return default
        if not _positive(value):
            bad(f"{dotted} = {value!r} is not valid; expected a number of seconds > 0")
            return default
        return value

    grace = number(
        table.get("misfire_grace_s"), "schedule.misfire_grace_s", DEFAULT_MISFIRE_GRACE_S
    )
    default_timeout = number(table.get("timeout_s"), "schedule.timeout_s", None)
    stop_grace = number(table.get("stop_grace_s"), "schedule.stop_grace_s", DEFAULT_STOP_GRACE_S)

    jobs_table = table.get("jobs", {})
    if not isinstance(jobs_table, dict):
        bad("schedule.jobs must be a table of [jobs.NAME] tables")
        jobs_table = {}

    specs: list[JobSpec] = []
    for name, job in jobs_table.items():
        prefix = f"schedule.jobs.{name}"
        if not isinstance(job, dict):
            bad(f"{prefix} must be a table")
            continue
        n_errors = len(errors)
        for key in job:
            if key not in JOB_KEYS:
                bad(f"{prefix} has unknown key {key!r}; expected one of {', '.join(JOB_KEYS)}")

        enabled = job.get("enabled", True)
        if not isinstance(enabled, bool):
            bad(f"{prefix}.enabled = {enabled!r} is not valid; expected true or false")

        action_name = job.get("action")
        action = None
        if action_name is None:
            bad(f"{prefix}.action is missing; expected one of {', '.join(actions)}")
        elif action_name not in actions:
            bad(
                f"{prefix}.action = {action_name!r} is not a known action; expected one of {', '.join(actions)}"
            )
        else:
            action = actions[action_name]

        spider = job.get("spider")
        if action is not None and action.needs_spider:
            if spider is None:
                bad(f"{prefix}.spider is missing; expected one of {', '.join(SPIDERS)}")
            elif spider not in SPIDERS:
                bad(
                    f"{prefix}.spider = {spider!r} is not a known spider; expected one of {', '.join(SPIDERS)}"
                )
        elif action is not None and spider is not None:
            bad(f"{prefix}.spider is set but action {action_name!r} takes no spider")

        extra = job.get("args", [])
        if not (isinstance(extra, list) and all(isinstance(x, str) for x in extra)):
            bad(f"{prefix}.args = {extra!r} is not valid; expected a list of strings")
            extra = []

        timeout = number(job.get("timeout_s"), f"{prefix}.timeout_s", default_timeout)
        job_grace = number(job.get("misfire_grace_s"), f"{prefix}.misfire_grace_s", grace)

        trigger = job.get("trigger")
        cron = job.get("cron")
        interval_s: float | None = None
        if trigger is None:
            bad(f'{prefix}.trigger is missing; expected "cron" or "interval"')
        elif trigger not in TRIGGERS:
            bad(f'{prefix}.trigger = {trigger!r} is not valid; expected "cron" or "interval"')
        elif trigger == "cron":
            for key in ("minutes", "seconds"):
                if key in job:
                    bad(f'{prefix}.{key} does not apply to trigger cron; use cron = "..."')
            if cron is None:
                bad(f'{prefix}.cron is missing; expected a crontab such as "30 15 * * mon-fri"')
            elif not isinstance(cron, str):
                bad(f"{prefix}.cron = {cron!r} is not valid; expected a crontab string")
            else:
                try:
                    crontab_trigger(cron, tz)
                except ValueError as exc:
                    bad(f"{prefix}.cron = {cron!r} is not a valid crontab: {exc}")
        else:
            if cron is not None:
                bad(f"{prefix}.cron does not apply to trigger interval; use minutes or seconds")
            minutes, seconds = job.get("minutes"), job.get("seconds")
            if minutes is None and seconds is None:
                bad(f"{prefix}.minutes is missing; expected a number of minutes > 0")
            for key, value in (("minutes", minutes), ("seconds", seconds)):
                if value is not None and not _positive(value):
                    bad(f"{prefix}.{key} = {value!r} is not valid; expected a number > 0")
            if len(errors) == n_errors:
                interval_s = (minutes or 0) * 60 + (seconds or 0)

        if len(errors) > n_errors or action is None:
            continue
        specs.append(
            JobSpec(
                name=name,
                action=action_name,
                trigger=trigger,
                args=tuple(action.args(job)) + tuple(extra),
                program=action.program,
                spider=spider,
                cron=cron if trigger == "cron" else None,
                interval_s=interval_s,
                timeout_s=timeout,
                misfire_grace_s=math.ceil(job_grace),
                timezone=tz_name,
                enabled=enabled,
            )
        )

    if errors:
        raise ConfigError(f"{where}: " + "; ".join(errors))
    return Schedule(timezone=tz_name, jobs=specs, stop_grace_s=stop_grace)
