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


#: the note a time without a zone carries: Chinese sources give local time
NO_ZONE_NOTE = "the time gives no zone: read as Asia/Shanghai, the time of every Chinese source"


def declared_time(value: object) -> tuple[str | None, str | None]:
    """A machine-written time (RFC 2822, ISO 8601, a datetime) -> (ISO UTC, note or None).

    A time without a zone (``2022-07-08 10:06:12``, an RFC 2822 date without or with
    the unknown zone ``-0000``) is Asia/Shanghai, never UTC, with NO_ZONE_NOTE.
    Raises ValueError when the value is not a time of day.
    """
    from email.utils import parsedate_to_datetime

    if value in (None, ""):
        return None, None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValueError(f"not a valid date: {value!r}") from exc
            if len(text) <= 10:  # a day alone is not a time
                raise ValueError(f"{value!r} gives a day, not a time") from None
    if moment.tzinfo is None:
        return utc_iso(moment.replace(tzinfo=SHANGHAI)), NO_ZONE_NOTE
    return utc_iso(moment), None
