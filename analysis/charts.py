"""Charts for the digest, drawn with matplotlib's Agg renderer into PNG bytes.

The figure is built from :class:`matplotlib.figure.Figure` and drawn by
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg` directly, so importing
this module neither touches pyplot's global figure registry nor switches the
process-wide backend. Settings are applied through ``matplotlib.rc_context`` for
the duration of one drawing only.

Output is deterministic: fixed figure size and resolution, fixed colours and
PNG metadata stripped, so the same input gives the same bytes on one machine
(different installed fonts may still change pixels between machines).

Fonts: matplotlib's default DejaVu Sans has no CJK glyphs. Callers should pass
Latin labels (the digest uses the English sector name); if a CJK font is
installed it is added as a fallback family so Chinese characters still render,
and missing-glyph warnings are silenced either way.
"""

from __future__ import annotations

import functools
import io
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: fixed size (inches) and resolution, so the same input draws the same picture
FIGSIZE: tuple[float, float] = (9.0, 3.8)
DPI: int = 100
#: the event window drawn, in trading days relative to day 0
DAYS: tuple[int, ...] = tuple(range(-5, 6))

#: CJK families tried, in order, as a fallback after DejaVu Sans
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)

#: line colours (colour-blind friendly "tab10") then dash patterns for more sectors
_COLOURS: tuple[str, ...] = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_DASHES: tuple[str, ...] = ("-", "--", ":", "-.")
_EVENT_COLOUR = "#b3261e"


@functools.cache
def cjk_font_family() -> str | None:
    """The first installed CJK font family of :data:`CJK_FAMILIES`, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in installed), None)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _series(path: Sequence[Mapping[str, Any]]) -> list[float]:
    """CAR in percent for each day of :data:`DAYS`; NaN where unknown (a gap in the line)."""
    by_day = {p.get("day"): p.get("car") for p in path}
    return [by_day[d] * 100.0 if _finite(by_day.get(d)) else math.nan for d in DAYS]


def car_chart_png(
    sectors: Sequence[tuple[str, Sequence[Mapping[str, Any]]]], event_label: str
) -> bytes:
    """Cumulative abnormal return per sector over event days -5..+5, day 0 marked.

    Args:
        sectors: ``(label, path)`` pairs; a path is a list of
            ``{"day": int, "car": float | None}`` with CAR as a fraction (0.05 = 5%),
            as ``analysis.reaction.cumulative_abnormal_path`` makes it: 0 at day -1,
            where the event window starts, CAR[0, k] at day k >= 0 (the table's
            windows), minus the drift still to come before. Drawn as given, so the
            chart agrees with the table. Days outside -5..+5 are ignored; missing or
            None values leave a gap.
        event_label: text written beside the vertical line at day 0, e.g. the
            Asia/Shanghai time of first publication.

    Returns:
        PNG bytes (no text metadata), the same for the same input.
    """
    family = ["DejaVu Sans"]
    cjk = cjk_font_family()
    if cjk:
        family.append(cjk)
    rc = {
        "font.family": "sans-serif",
        "font.sans-serif": family,
        "font.size": 9,
        "axes.unicode_minus": True,
    }
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        fig = Figure(figsize=FIGSIZE, dpi=DPI, facecolor="white")
        FigureCanvasAgg(fig)  # attach the Agg canvas: no pyplot, no global backend
        ax = fig.add_subplot()
        drawn = 0
        for i, (label, path) in enumerate(sectors):
            values = _series(path)
            if all(math.isnan(v) for v in values):
                continue
            ax.plot(
                DAYS,
                values,
                color=_COLOURS[i % len(_COLOURS)],
                linestyle=_DASHES[(i // len(_COLOURS)) % len(_DASHES)],
                marker="o",
                markersize=3,
                linewidth=1.6,
                label=str(label),
            )
            drawn += 1
        ax.axhline(0, color="#888888", linewidth=0.8)
        ax.axvline(-1, color="#888888", linestyle=":", linewidth=0.8)  # where every line is 0
        ax.axvline(0, color=_EVENT_COLOUR, linestyle="--", linewidth=1.2)
        ax.annotate(
            event_label,
            xy=(0, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            color=_EVENT_COLOUR,
            fontsize=8,
        )
        ax.set_xlim(DAYS[0] - 0.3, DAYS[-1] + 0.3)
        ax.set_xticks(list(DAYS))
        ax.set_xlabel("trading days relative to the event session (day 0)")
        ax.set_ylabel("CAR from the close before day 0, %")
        ax.grid(True, alpha=0.3)
        if drawn:
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        else:
            ax.text(
                0.5,
                0.5,
                "no price data",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="#5b6577",
            )
        buf = io.BytesIO()
        fig.savefig(
            buf,
            format="png",
            dpi=DPI,
            bbox_inches="tight",
            pad_inches=0.15,
            metadata={"Software": None},
        )
    return buf.getvalue()
