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

The keys of the schedule and of a job, with their types, ranges and defaults, are
declared in newsmon.config.model (Schedule, Job) and checked when the configuration
loads: every problem is reported at once, each naming the file, the job and the key.
Whether a job's action exists (and takes a spider) is checked here, against ACTIONS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from newsmon.config import SPIDERS, Config
from newsmon.config.model import _crontab_day_of_week, crontab_trigger

__all__ = [
    "ACTIONS",
    "Action",
    "JobSpec",
    "Schedule",
    "_crontab_day_of_week",
    "crontab_trigger",
    "load_schedule",
    "validate_schedule",
]


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


@dataclass(frozen=True)
class JobSpec:
    name: str
    action: str
    trigger: str  # cron | interval
    #: newsmon arguments (or, with program, that program's arguments)
    args: tuple[str, ...]
    misfire_grace_s: int
    timezone: str
    enabled: bool
    program: tuple[str, ...] | None = None
    spider: str | None = None
    cron: str | None = None
    interval_s: float | None = None
    timeout_s: float | None = None

    def make_trigger(self) -> Any:
        """A fresh APScheduler trigger for this job."""
        tz = ZoneInfo(self.timezone)
        if self.trigger == "cron":
            return crontab_trigger(self.cron or "", tz)
        from apscheduler.triggers.interval import IntervalTrigger

        return IntervalTrigger(seconds=self.interval_s, timezone=tz)

    def describe(self) -> str:
        """'cron 30 15 * * mon-fri' or 'every 15 min'."""
        if self.trigger == "cron":
            return f"cron {self.cron}"
        return "every " + _describe_seconds(self.interval_s or 0)


@dataclass(frozen=True)
class Schedule:
    timezone: str
    jobs: list[JobSpec]
    stop_grace_s: float

    def job(self, name: str) -> JobSpec:
        """The job of this name; ValueError (a wrong argument, not a wrong file) otherwise."""
        for spec in self.jobs:
            if spec.name == name:
                return spec
        known = ", ".join(s.name for s in self.jobs) or "none"
        raise ValueError(f"no job named {name!r} in the schedule; known: {known}")

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


def validate_schedule(config: Config, actions: Mapping[str, Action] | None = None) -> list[JobSpec]:
    """Every job of config["schedule"] as a JobSpec (enabled or not); ConfigError listing all problems."""
    return load_schedule(config, actions).jobs


def load_schedule(config: Config, actions: Mapping[str, Action] | None = None) -> Schedule:
    """The schedule of a loaded (validated) config, each job's action checked against `actions`.

    ConfigError lists every problem, each naming the file, the job and the key.
    """
    actions = ACTIONS if actions is None else actions
    table = config["schedule"]
    problems: list[tuple[str, str]] = []
    specs: list[JobSpec] = []
    for name, job in table["jobs"].items():
        prefix = f"schedule.jobs.{name}"
        action = actions.get(job["action"])
        spider = job["spider"]
        if action is None:
            problems.append(
                (
                    f"{prefix}.action",
                    f"{prefix}.action = {job['action']!r} is not a known action; "
                    f"expected one of {', '.join(actions)}",
                )
            )
            continue
        if action.needs_spider and spider is None:
            problems.append(
                (
                    f"{prefix}.spider",
                    f"{prefix}.spider is missing; expected one of {', '.join(SPIDERS)}",
                )
            )
            continue
        if not action.needs_spider and spider is not None:
            problems.append(
                (
                    f"{prefix}.spider",
                    f"{prefix}.spider is set but action {job['action']!r} takes no spider",
                )
            )
            continue
        cron = job["trigger"] == "cron"
        grace = job["misfire_grace_s"] or table["misfire_grace_s"]
        specs.append(
            JobSpec(
                name=name,
                action=job["action"],
                trigger=job["trigger"],
                args=tuple(action.args(job)) + tuple(job["args"]),
                program=action.program,
                spider=spider,
                cron=job["cron"] if cron else None,
                interval_s=None if cron else (job["minutes"] or 0) * 60 + (job["seconds"] or 0),
                timeout_s=job["timeout_s"] or table["timeout_s"],
                misfire_grace_s=math.ceil(grace),
                timezone=table["timezone"],
                enabled=job["enabled"],
            )
        )
    if problems:
        raise config.error(problems)
    return Schedule(timezone=table["timezone"], jobs=specs, stop_grace_s=table["stop_grace_s"])
