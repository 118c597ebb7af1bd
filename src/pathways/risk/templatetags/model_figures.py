"""Showing an audit's figures: shares as percentages, the AUC as a number, intervals beside them."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def figure(value: Any, key: str = "") -> str:
    """A figure of the audit: a count as a whole number, the AUC to two places, shares as percentages."""
    # A card from before a figure existed, or a figure that cannot be defined, shows a dash.
    if value is None or value == "" or isinstance(value, bool):
        return "–"
    try:
        float(value)
    except (TypeError, ValueError):
        return "–"
    if key == "n":
        return f"{int(value):,}"
    if key in ("auc", "brier", "score"):
        return f"{float(value):.3f}" if key == "brier" else f"{float(value):.2f}"
    return f"{float(value) * 100:.1f}%"


@register.filter
def interval(bounds: Any, key: str = "") -> str:
    """'12.0% to 18.5%', or nothing when the interval cannot be given."""
    if not bounds or bounds[0] is None or bounds[1] is None:
        return ""
    return f"{figure(bounds[0], key)} to {figure(bounds[1], key)}"
