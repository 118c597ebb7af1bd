"""The member page's section for this capability (placeholder until it lands)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def member_needs_and_plan(context: Any, membership: Any) -> str:
    return ""
