"""Times at the edges: stored as ISO 8601 UTC, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shanghai(value: str | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """'2022-07-08T02:06:12Z' -> '2022-07-08 10:06:12' (Asia/Shanghai); '' when unknown."""
    if not value:
        return ""
    return parse_utc(value).astimezone(SHANGHAI).strftime(fmt)
