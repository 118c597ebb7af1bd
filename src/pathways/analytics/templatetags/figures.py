"""How figures read on the performance pages: rates as percentages, intervals, averages."""

from __future__ import annotations

from typing import Any

from django import template

from pathways.analytics.measures import Figures, wilson_interval

register = template.Library()


@register.filter
def percent(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{int(places)}f}%"


@register.filter
def interval(figures: Figures) -> str:
    found = wilson_interval(figures.reoffenders, figures.cohort)
    return "" if found is None else f"{found[0] * 100:.1f}% to {found[1] * 100:.1f}%"


@register.filter
def per_reoffender(figures: Figures) -> str:
    return "–" if not figures.reoffenders else f"{figures.reoffences / figures.reoffenders:.2f}"


@register.filter
def per_offender(figures: Figures) -> str:
    return "–" if not figures.cohort else f"{figures.reoffences / figures.cohort:.2f}"


@register.filter
def days_to_first(figures: Figures) -> str:
    return "–" if not figures.reoffenders else f"{figures.total_days_to_first / figures.reoffenders:.0f} days"


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
