"""The member page's section on electronic monitoring: the person's tags and recent alerts."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string

from pathways.iom import tags
from pathways.iom.policies import can_work_iom

register = template.Library()


@register.simple_tag(takes_context=True)
def member_tags(context: Any, membership: Any) -> str:
    """The membership was fetched through `selectors.access_membership` (an audited read)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can_work_iom(user):
        return ""
    periods, alerts = tags.person_tags(membership.person)
    return render_to_string(
        "iom/member/_tags.html",
        {"membership": membership, "periods": periods, "alerts": alerts},
        request=request,
    )
