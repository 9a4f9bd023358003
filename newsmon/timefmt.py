"""Times at the edges: stored as ISO 8601 UTC, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc_iso(moment: datetime | None = None) -> str:
    """A moment (default: now) as stored: '2022-07-08T02:06:12Z'."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def in_shanghai(value: str | None) -> datetime | None:
    """'2022-07-08T02:06:12Z' -> that moment in Asia/Shanghai (aware); None when unknown."""
    if not value:
        return None
    return parse_utc(value).astimezone(SHANGHAI)


def shanghai(value: str | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """'2022-07-08T02:06:12Z' -> '2022-07-08 10:06:12' (Asia/Shanghai); '' when unknown."""
    moment = in_shanghai(value)
    return moment.strftime(fmt) if moment else ""
