"""Progress of long work on stderr: a live line on a terminal, plain periodic lines otherwise.

One helper for every long command (crawl, import of many files, analyze, prices
update)::

    with Progress("import", total=len(paths), unit="files") as p:
        for path in paths:
            ...
            p.advance(new=counts["new"], failed=len(errors))

On a terminal the line is redrawn in place (with a bar when the total is known)
and wiped at the end, so the command's own summary stands alone. Elsewhere (a
log file, a pipe, a scheduled job's error output) a plain line such as
``crawl sina: 12 pages, 10 new, 0 failed (6 s)`` is written at most every
`interval` seconds while something changes, and every `heartbeat` seconds while
nothing does; work that ends sooner than `interval` writes nothing.
NEWSMON_PROGRESS=0 switches it off.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO, Any

import click

PROGRESS_ENV = "NEWSMON_PROGRESS"
#: seconds between plain lines while the counts change
INTERVAL_S = 2.0
#: seconds between plain lines while nothing changes (work blocked in one call)
HEARTBEAT_S = 10.0
#: seconds between redraws of a terminal's live line
REDRAW_S = 0.1
BAR_WIDTH = 20


class Progress:
    """Counts and a stage shown while work goes on; use it as a context manager."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "items",
        stream: IO[str] | None = None,
        interval: float = INTERVAL_S,
        heartbeat: float = HEARTBEAT_S,
        enabled: bool | None = None,
    ):
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.counts: dict[str, Any] = {}
        self.stage = ""
        self.interval = interval
        self.heartbeat = heartbeat
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = os.environ.get(PROGRESS_ENV, "1").strip().lower() not in ("0", "no", "off")
        self.enabled = enabled
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(enabled and isatty and isatty())
        self.lines = 0  # plain lines written
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_shown = self._started
        self._shown_text = ""
        self._changed = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # ------------------------------------------------------------ reporting

    def advance(self, n: int = 1, **counts: Any) -> None:
        """n more items done; counts added to the running totals (new=1, failed=0...)."""
        with self._lock:
            self.done += n
            for key, value in counts.items():
                self.counts[key] = self.counts.get(key, 0) + value
            self._changed = True
        self._maybe_show()

    def update(self, counts: Mapping[str, Any] | None = None, *, stage: str | None = None) -> None:
        """Replace the counts with these (a crawl's running totals), or set the stage."""
        with self._lock:
            if counts is not None:
                self.counts = dict(counts)
            if stage is not None:
                self.stage = stage
            self._changed = True
        self._maybe_show()

    def set_stage(self, stage: str) -> None:
        """What is being done now: 'fetching 40 tickers', 'stories'."""
        self.update(stage=stage)

    def echo(self, line: str, *, err: bool = False) -> None:
        """Print a line of the command's own output without tearing the live line."""
        with self._lock:
            if self.live and self._shown_text:
                self._write("\r\x1b[K")
                self._shown_text = ""
                self._last_shown = 0.0  # redraw at the next chance
            click.echo(line, err=err)

    # ------------------------------------------------------------ showing

    def text(self) -> str:
        parts = []
        if self.total is not None:
            parts.append(f"{self.done}/{self.total} {self.unit}")
        elif self.done:
            parts.append(f"{self.done} {self.unit}")
        for key, value in self.counts.items():
            if isinstance(value, str):
                parts.append(value)  # a status: "running"
            elif isinstance(value, int | float):
                parts.append(f"{value} {key}")
        if self.stage:
            parts.append(self.stage)
        elapsed = time.monotonic() - self._started
        return f"{self.label}: {', '.join(parts) or 'working'} ({elapsed:.0f} s)"

    def _bar(self) -> str:
        if not self.total:
            return ""
        filled = min(BAR_WIDTH, BAR_WIDTH * self.done // self.total)
        return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "] "

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr stops the display, not the work
            self.enabled = self.live = False

    def _maybe_show(self, *, tick: bool = False) -> None:
        if not self.enabled:
            return
        with self._lock:
            now = time.monotonic()
            since = now - self._last_shown
            if self.live:
                if since < REDRAW_S and not tick:
                    return
                width = shutil.get_terminal_size((100, 20)).columns - 1
                line = (self._bar() + self.text())[:width]
                self._write("\r\x1b[K" + line)
                self._last_shown = now
                self._shown_text = line
                return
            if since < self.interval or not (self._changed or since >= self.heartbeat):
                return
            self._write(self.text() + "\n")
            self.lines += 1
            self._last_shown = now
            self._changed = False

    def _tick(self) -> None:
        period = 1.0 if self.live else min(self.interval, 1.0)
        while not self._stop.wait(period):
            self._maybe_show(tick=self.live)

    def __enter__(self) -> Progress:
        if self.enabled:
            self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        if self.live and self._shown_text:
            self._write("\r\x1b[K")  # the command's summary follows on a clean line
