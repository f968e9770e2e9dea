"""The HTML page's "Flaky and slow" section: the recorded test runs, and the duration histogram."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["HISTOGRAM_BAR", "HISTOGRAM_ROW", "tests_section"]


def _bin_label(low: float, high: float | None) -> str:
    def text(seconds: float) -> str:
        return f"{seconds * 1000:g} ms" if seconds < 0.1 else f"{seconds:g} s"

    if high is None:
        return f"≥ {text(low)}"
    if not low:
        return f"< {text(high)}"
    return f"{text(low)} – {text(high)}"


#: The duration histogram's width for its bars, in the SVG's units, and a row's height.
HISTOGRAM_BAR = 420
HISTOGRAM_ROW = 26


def tests_section(view: Mapping[str, Any]) -> dict[str, Any] | None:
    """The "Flaky and slow" section: the view's ``tests_history`` with the histogram's bars
    laid out (the template writes them as SVG: no script, no library)."""
    tests = view.get("tests_history")
    if not tests:
        return None
    bins = tests["timing"]["histogram"]
    most = max((b["tests"] for b in bins), default=0)
    bars = [
        {
            **b,
            "label": _bin_label(b["low"], b["high"]),
            "width": round(HISTOGRAM_BAR * b["tests"] / most, 1) if most else 0,
            "y": index * HISTOGRAM_ROW,
        }
        for index, b in enumerate(bins)
    ]
    return {**tests, "bars": bars, "height": len(bars) * HISTOGRAM_ROW}
