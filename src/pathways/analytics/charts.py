"""Charts for the performance pages and the panel report, drawn by matplotlib: SVG images for
pages (sharp at any size, no script), PNG for the PDF. Every chart on a page sits beside a table
of the same figures, which is what screen readers and people who print the page rely on."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no screen on a server
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

# GOV.UK Design System colours, in an order that stays distinguishable for most colour vision.
COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#5694ca", "#912b88", "#85994b"]
TEXT = "#0b0c0c"
GRID = "#b1b4b6"
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
# pyplot keeps global state; pages may be drawn on two threads at once.
_drawing = threading.Lock()


def _figure(width: float, height: float) -> Figure:
    figure = plt.figure(figsize=(width, height), dpi=100)
    plt.rcParams.update({"font.family": "sans-serif", "font.size": 10, "svg.fonttype": "none"})
    return figure


def _style(axes: plt.Axes, *, percent: bool) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.spines[["left", "bottom"]].set_color(GRID)
    axes.tick_params(colors=TEXT)
    axes.grid(axis="y", color=GRID, linewidth=0.5)
    axes.set_axisbelow(True)
    if percent:
        axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _render(figure: Figure, kind: str, title: str) -> bytes:
    out = io.BytesIO()
    figure.tight_layout()
    figure.savefig(
        out, format=kind, dpi=200 if kind == "png" else 100, metadata={"Title": title} if kind == "svg" else None
    )
    plt.close(figure)
    return out.getvalue()


def _svg(data: bytes, title: str) -> str:
    """The SVG as a data address for an <img>: matplotlib styles its shapes inline, which the
    pages' Content-Security-Policy rightly refuses in the page itself but not inside an image."""
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode()


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    percent: bool = True,
    kind: str = "svg",
) -> str | bytes:
    """Lines over successive periods (e.g. the reoffending rate of each quarterly cohort)."""
    with _drawing:
        figure = _figure(8, 3.6)
        axes = figure.add_subplot()
        for i, (label, values) in enumerate(series):
            points = [(x, v) for x, v in enumerate(values) if v is not None]
            axes.plot(
                [x for x, _ in points],
                [v for _, v in points],
                label=label,
                color=COLOURS[i % len(COLOURS)],
                marker=MARKERS[i % len(MARKERS)],
                linewidth=2,
            )
        axes.set_xticks(range(len(x_labels)), x_labels, rotation=30, ha="right")
        axes.set_ylim(bottom=0)  # rates and counts alike: an axis from zero does not exaggerate a change
        _style(axes, percent=percent)
        axes.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        data = _render(figure, kind, title)
    return _svg(data, title) if kind == "svg" else data


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    percent: bool = False,
    kind: str = "svg",
    horizontal: bool = True,
) -> str | bytes:
    """One bar per group (e.g. offences by area); groups without a figure are left empty."""
    with _drawing:
        height = max(2.2, 0.32 * len(labels) + 0.8) if horizontal else 3.6
        figure = _figure(8, height)
        axes = figure.add_subplot()
        shown = [v if v is not None else 0 for v in values]
        if horizontal:
            axes.barh(range(len(labels)), shown, color=COLOURS[0])
            axes.set_yticks(range(len(labels)), labels)
            axes.invert_yaxis()
            axes.grid(axis="x", color=GRID, linewidth=0.5)
            if percent:
                axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            axes.spines[["top", "right"]].set_visible(False)
            axes.set_axisbelow(True)
        else:
            axes.bar(range(len(labels)), shown, color=COLOURS[0])
            axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
            _style(axes, percent=percent)
        data = _render(figure, kind, title)
    return _svg(data, title) if kind == "svg" else data
