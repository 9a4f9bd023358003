"""Charts for the digest, drawn with matplotlib's Agg backend into PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

#: fixed size and resolution, so the same input draws the same picture
FIGSIZE = (8.0, 3.6)
DPI = 100


def car_chart_png(
    series: Sequence[tuple[str, Sequence[dict[str, Any]]]], event_label: str
) -> bytes:
    """Cumulative abnormal return per sector over event days, day 0 marked.

    ``series``: (label, path) pairs; a path is a list of ``{"day": int, "car": float|None}``.
    Labels should be Latin text (the default font has no CJK glyphs).
    """
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    try:
        for label, path in series:
            days = [p["day"] for p in path if p.get("car") is not None]
            cars = [p["car"] * 100 for p in path if p.get("car") is not None]
            if days:
                ax.plot(days, cars, marker="o", markersize=3, linewidth=1.5, label=label)
        ax.axhline(0, color="#888888", linewidth=0.8)
        ax.axvline(0, color="#b3261e", linestyle="--", linewidth=1)
        ax.annotate(
            event_label,
            xy=(0, 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            color="#b3261e",
            fontsize=8,
        )
        ax.set_xlabel("trading days relative to the event (day 0)")
        ax.set_ylabel("cumulative abnormal return, %")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        return buf.getvalue()
    finally:
        plt.close(fig)
