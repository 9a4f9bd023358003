"""Rows out: an aligned table for people; CSV, JSON or newline-delimited JSON for programs.

Every listing command prints through here, so the formats agree:
- JSON and newline-delimited JSON keep numbers as numbers (NaN and infinities as
  null), lists and objects nested, and times as ISO 8601 (UTC with a Z;
  Asia/Shanghai columns with their +08:00 offset; a day alone as YYYY-MM-DD).
- CSV has the same values, nested ones written as JSON.
- The table is for reading: times as "YYYY-MM-DD HH:MM:SS" in their own zone,
  nested values as JSON, long cells cut with …, and per-column formats (percent
  for returns) chosen by the command.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePath
from typing import Any

import click

#: widest a table cell is shown before it is cut with …
MAX_CELL = 60
FORMATS = ("table", "csv", "json", "nl")

#: column -> how the table shows a (known, non-null) value
Formats = Mapping[str, Callable[[Any], str]]


def output_options(fn: Callable) -> Callable:
    """The shared --table / --csv / --json / --nl flags, for every command that prints rows."""

    @click.option(
        "--table", "fmt", flag_value="table", help="Output an aligned table (the default)"
    )
    @click.option("--csv", "fmt", flag_value="csv", help="Output CSV")
    @click.option("--json", "fmt", flag_value="json", help="Output a JSON array")
    @click.option("--nl", "fmt", flag_value="nl", help="Output newline-delimited JSON")
    @functools.wraps(fn)
    def wrapper(*args, fmt=None, **kwargs):
        return fn(*args, fmt=fmt or "table", **kwargs)

    return wrapper


# ---------------------------------------------------------------- values


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    return False


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        if moment.hour == moment.minute == moment.second == moment.microsecond == 0:
            return moment.date().isoformat()  # a day alone (a session, a price date)
        return moment.isoformat()
    if moment.utcoffset() == timedelta(0):
        moment = moment.astimezone(UTC)
        spec = "seconds" if moment.microsecond == 0 else "microseconds"
        return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
    return moment.isoformat(timespec="seconds" if moment.microsecond == 0 else "microseconds")


def plain(value: Any) -> Any:
    """A value as JSON holds it: numbers stay numbers, times become ISO 8601 strings."""
    if _is_missing(value):
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, datetime):  # pandas.Timestamp too
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    kind = type(value).__module__.split(".")[0]
    if kind == "numpy":
        if hasattr(value, "tolist"):
            return plain(value.tolist())
    return str(value)


def _cell(value: Any, fmt: str, column: str, formats: Formats | None) -> str:
    if _is_missing(value):
        return ""
    if fmt == "table":
        if formats and column in formats:
            return formats[column](value)
        if isinstance(value, datetime):
            if value.tzinfo is None and value == datetime.combine(
                value.date(), datetime.min.time()
            ):
                return value.date().isoformat()
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, bool):
            return "yes" if value else "no"
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ---------------------------------------------------------------- the table


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cut(text: str) -> str:
    text = text.replace("\n", " ")
    if _width(text) <= MAX_CELL:
        return text
    out, used = [], 0
    for ch in text:
        w = _width(ch)
        if used + w > MAX_CELL - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def format_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cells = [[_cut(v) for v in row] for row in rows]
    widths = [_width(c) for c in columns]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], _width(c))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (widths[i] - _width(v)) for i, v in enumerate(values)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


# ---------------------------------------------------------------- rendering


def render_records(
    records: Sequence[Mapping[str, Any]],
    fmt: str,
    columns: Sequence[str] | None = None,
    *,
    table: Sequence[str] | None = None,
    formats: Formats | None = None,
) -> str:
    """Records in one of FORMATS; `table` picks the table's columns (default: columns)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if columns is None:
        columns = list(records[0].keys()) if records else []
    if fmt == "table" and table is not None:
        columns = table
    if fmt in ("json", "nl"):
        dicts = [{c: plain(r.get(c)) for c in columns} for r in records]
        if fmt == "json":
            return json.dumps(dicts, ensure_ascii=False, indent=2, allow_nan=False)
        return "\n".join(json.dumps(d, ensure_ascii=False, allow_nan=False) for d in dicts)
    rows = [[_cell(r.get(c), fmt, c, formats) for c in columns] for r in records]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    return format_table(columns, rows)


def frame_records(frame: Any) -> list[dict[str, Any]]:
    """A pandas DataFrame's rows as dicts (categories as their labels)."""
    return frame.astype(
        {c: object for c in frame.columns if str(frame[c].dtype) == "category"}
    ).to_dict(orient="records")


def echo_records(
    records: Sequence[Mapping[str, Any]],
    fmt: str,
    columns: Sequence[str] | None = None,
    *,
    table: Sequence[str] | None = None,
    formats: Formats | None = None,
) -> int:
    """Print the records; returns how many there were."""
    text = render_records(records, fmt, columns, table=table, formats=formats)
    if text:
        click.echo(text)
    return len(records)


def echo_frame(
    frame: Any,
    fmt: str,
    columns: Sequence[str] | None = None,
    *,
    table: Sequence[str] | None = None,
    formats: Formats | None = None,
) -> int:
    """Print a DataFrame (all its columns unless named); returns its number of rows."""
    columns = list(frame.columns) if columns is None else columns
    return echo_records(frame_records(frame), fmt, columns, table=table, formats=formats)


def echo_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> int:
    """Print positional rows (as a query returns them)."""
    return echo_records([dict(zip(columns, r, strict=True)) for r in rows], fmt, list(columns))


#: the older name, kept for the commands that print plain dicts
echo_dicts = echo_records


# ---------------------------------------------------------------- table cell formats


def percent(value: Any) -> str:
    """0.0518 -> '+5.18%' (tables only; programs get the fraction)."""
    return f"{float(value) * 100:+.2f}%"


def fixed(digits: int) -> Callable[[Any], str]:
    return lambda value: f"{float(value):.{digits}f}"


def joined(value: Any) -> str:
    """A list of notes as one line."""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


# ---------------------------------------------------------------- one result


def json_option(fn: Callable) -> Callable:
    """The shared --json flag of commands that do work and report one result."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result as one JSON object"
    )(fn)


def echo_json(value: Any) -> None:
    """One result as JSON (numbers as numbers, times ISO 8601)."""
    click.echo(json.dumps(plain(value), ensure_ascii=False, indent=2, allow_nan=False))


def add_shanghai(frame: Any, column: str, name: str | None = None) -> Any:
    """A copy of the frame with column's UTC moments also in Asia/Shanghai (name, default
    column with _at replaced by _shanghai)."""
    name = name or (column[:-3] if column.endswith("_at") else column) + "_shanghai"
    out = frame.copy()
    out[name] = out[column].dt.tz_convert("Asia/Shanghai")
    return out
