"""The plots of the item-analysis page, drawn with matplotlib as inline SVG (text kept as text, no script).

Each function takes the numbers already computed (`grader.stats`) and returns the ``<svg>`` element as Markup, sized
by its viewBox so the page scales it; the page shows a table of the same numbers beside each plot.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure

from grader.stats import LOW_DISCRIMINATION, QUINTILES, TOO_EASY, TOO_HARD, ItemStats

RC = {"svg.fonttype": "none", "svg.hashsalt": "grader-stats", "font.size": 9, "axes.spines.top": False,
      "axes.spines.right": False}
"""Text stays text (selectable, read by the browser's fonts), ids are stable from one run to the next."""
BLUE, GREY, RED = "#3b6ea8", "#9aa3ad", "#b8403a"
WIDTH = 5.2
"""Inches: the page shows plots at most about 500 px wide, beside their table."""
ROW = 0.24
"""Inches per cell in the per-cell plots."""


def _svg(fig: Figure, label: str) -> Markup:
    buffer = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    text = text.replace("<svg", f'<svg class="plot" role="img" aria-label="{label}"', 1)
    return Markup(text)


def _figure(height: float, left: float = 0.55, top: float = 0.15, bottom: float = 0.45) -> Figure:
    """A figure with fixed margins in inches (one drawing when saved: no layout engine, no tight box)."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(WIDTH, height))
    fig.subplots_adjust(left=left / WIDTH, right=1 - 0.15 / WIDTH, top=1 - top / height, bottom=bottom / height)
    return fig


def _label_room(items: Sequence[ItemStats]) -> float:
    """Inches for the cells' names left of a per-cell plot (about 0.065 in per character at 9 pt)."""
    return 0.25 + 0.065 * max([len(i.name) for i in items] or [4])


def histogram(bins: Sequence[tuple[float, float, int]], mean: float | None, median: float | None,
              max_score: float) -> Markup:
    """Bars of the totals' bins, with the mean and the median as vertical lines."""
    with matplotlib.rc_context(RC):
        fig = _figure(2.6)
        ax = fig.add_subplot()
        lows = [lo for lo, _, _ in bins]
        widths = [hi - lo for lo, hi, _ in bins]
        ax.bar(lows, [c for _, _, c in bins], width=widths, align="edge", color=BLUE, edgecolor="white")
        if mean is not None:
            ax.axvline(mean, color=RED, linewidth=1.5, label=f"mean {mean:.1f}")
        if median is not None:
            ax.axvline(median, color="black", linestyle="--", linewidth=1.2, label=f"median {median:.1f}")
        if mean is not None or median is not None:
            ax.legend(frameon=False, loc="upper left")
        ax.set_xlim(0, max(max_score, bins[-1][1] if bins else 1))
        ax.set_xlabel(f"points (of {max_score:g})")
        ax.set_ylabel("students")
        ax.yaxis.get_major_locator().set_params(integer=True)
        return _svg(fig, "histogram of the scores")


def _per_cell(items: Sequence[ItemStats], values: Sequence[float | None], lines: Sequence[tuple[float, str]],
              xlabel: str, low: float, high: float, flagged: Sequence[bool], label: str) -> Markup:
    with matplotlib.rc_context(RC):
        fig = _figure(0.6 + ROW * max(len(items), 1), left=_label_room(items))
        ax = fig.add_subplot()
        ys = list(range(len(items)))
        shown = [0.0 if v is None else v for v in values]
        colors = [RED if f else BLUE for f in flagged]
        ax.barh(ys, shown, color=colors, height=0.7)
        for y, value in zip(ys, values, strict=True):
            if value is None:
                ax.text(0.01 * (high - low), y, "none", va="center", fontsize=8, color=GREY)
        for x, style in lines:
            ax.axvline(x, color=GREY, linestyle=style, linewidth=1)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(ys, [i.name for i in items])
        ax.set_ylim(len(items) - 0.5, -0.5)
        ax.set_xlim(low, high)
        ax.set_xlabel(xlabel)
        return _svg(fig, label)


def facility(items: Sequence[ItemStats]) -> Markup:
    """One bar per cell: its facility, red outside 0.1 to 0.95 (dashed lines)."""
    values = [i.facility.value for i in items]
    flagged = [("too easy" in i.flags) or ("too hard" in i.flags) for i in items]
    return _per_cell(items, values, [(TOO_HARD, "--"), (TOO_EASY, "--")], "facility (mean / points)", 0.0, 1.0,
                     flagged, "facility of each cell")


def discrimination(items: Sequence[ItemStats]) -> Markup:
    """One bar per cell: its corrected item–total correlation, red below 0.2 (dashed line)."""
    values = [i.discrimination.value for i in items]
    low = min([-0.2, *[v for v in values if v is not None]])
    flagged = ["low discrimination" in i.flags for i in items]
    return _per_cell(items, values, [(LOW_DISCRIMINATION, "--")], "discrimination (corrected item–total r)",
                     low - 0.05, 1.0, flagged, "discrimination of each cell")


def quintiles(items: Sequence[ItemStats]) -> Markup:
    """A cell × quintile map of the facility within each fifth of the class by total, values written in it."""
    with matplotlib.rc_context(RC):
        fig = _figure(0.7 + ROW * max(len(items), 1), left=_label_room(items))
        ax = fig.add_subplot()
        grid = [[q.value if q.value is not None else float("nan") for q in i.quintiles] for i in items]
        ax.imshow(grid, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
        for y, item in enumerate(items):
            for x, q in enumerate(item.quintiles):
                text = "–" if q.value is None else f"{q.value:.2f}"
                dark = q.value is not None and q.value > 0.6
                ax.text(x, y, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
        ax.set_xticks(range(QUINTILES), [f"Q{q + 1}" for q in range(QUINTILES)])
        ax.set_yticks(range(len(items)), [i.name for i in items])
        ax.set_xlabel("quintile of the total (Q1 lowest)")
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        return _svg(fig, "facility of each cell by quintile of the total")
