from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """0.123 → '12.3%'; a difference keeps its sign and reads in percentage points."""
    return "–" if value is None else f"{value * 100:.1f}%"


@register.filter
def points(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f} points".replace("-", "−")


@register.filter
def num(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:.{places}f}".replace("-", "−")


@register.filter
def signed(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:+.{places}f}".replace("-", "−")


@register.filter
def pvalue(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
