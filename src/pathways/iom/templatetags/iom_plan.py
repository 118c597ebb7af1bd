"""The member page's "Needs and plan" section: the seven pathways at a glance."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from pathways.iom import plan

register = template.Library()


@register.simple_tag(takes_context=True)
def member_needs_and_plan(context: Any, membership: Any) -> SafeString:
    """Each pathway's latest need level, open actions (and how many overdue) and the next due
    date, with links to the needs and plan pages. The member page has already read (and
    audited) the membership through `selectors.access_membership`."""
    latest = plan.latest_needs(membership)
    html = render_to_string(
        "iom/member/_plan.html",
        {
            "membership": membership,
            "rows": plan.plan_summary(membership),
            "assessed_on": latest.assessed_on if latest else None,
        },
        request=context.get("request"),
    )
    return mark_safe(html)  # our own template, which escapes its values
