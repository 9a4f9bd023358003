"""Rows out: an aligned table for people, CSV, JSON or newline-delimited JSON for programs."""

from __future__ import annotations

import csv
import functools
import io
import json
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import click

#: widest a table cell is shown before it is cut with …
MAX_CELL = 60


def output_options(fn: Callable) -> Callable:
    """The shared --csv / --json / --nl flags, for every command that prints rows."""

    @click.option("--csv", "fmt", flag_value="csv", help="Output CSV")
    @click.option("--json", "fmt", flag_value="json", help="Output a JSON array")
    @click.option("--nl", "fmt", flag_value="nl", help="Output newline-delimited JSON")
    @functools.wraps(fn)
    def wrapper(*args, fmt=None, **kwargs):
        return fn(*args, fmt=fmt or "table", **kwargs)

    return wrapper


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).replace("\n", " ")
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


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [_width(c) for c in columns]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], _width(c))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (widths[i] - _width(v)) for i, v in enumerate(values)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def render_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    dicts = [dict(zip(columns, r, strict=True)) for r in rows]
    if fmt == "json":
        return json.dumps(dicts, ensure_ascii=False, indent=2, default=str)
    if fmt == "nl":
        return "\n".join(json.dumps(d, ensure_ascii=False, default=str) for d in dicts)
    return format_table(columns, rows)


def echo_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> None:
    text = render_rows(columns, rows, fmt)
    if text:
        click.echo(text)


def echo_dicts(
    dicts: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str] | None = None
) -> None:
    if columns is None:
        columns = list(dicts[0].keys()) if dicts else []
    echo_rows(columns, [[d.get(c) for c in columns] for d in dicts], fmt)
