"""The member page's "Is it working" section, and the filters the figures pages show money and
suppressed counts with."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.template.loader import render_to_string

from pathways.iom import impact
from pathways.offending.reference import offence_description

register = template.Library()


@register.filter
def pounds(value: Any) -> str:
    """£1,234 (pence only when there are some); a dash for a figure that is not shown."""
    if value is None:
        return "–"
    amount = Decimal(str(value))
    sign = "−" if amount < 0 else ""
    amount = abs(amount)
    if amount == amount.to_integral_value():
        return f"{sign}£{int(amount):,}"
    return f"{sign}£{amount:,.2f}"


@register.filter
def shown(value: Any) -> str:
    """A count, or "fewer than 5" where it is suppressed."""
    if value is None:
        return f"fewer than {impact.SMALL}"
    return str(value)


@register.filter
def signed(value: Any) -> str:
    if value is None:
        return "–"
    amount = Decimal(str(value))
    return f"+{amount}" if amount > 0 else ("−" + str(-amount) if amount < 0 else "0")


@register.filter
def offence_label(code: str) -> str:
    return f"{code} {offence_description(code)}"


@register.simple_tag(takes_context=True)
def member_impact(context: Any, membership: Any) -> str:
    """The person's proven offending the year before adoption and each year since, their score
    then and now, and the cost. The member page has already audited the read of the person."""
    found = impact.member_impact(membership)
    request = context.get("request")
    return render_to_string("iom/member/_impact.html", {"impact": found, "membership": membership}, request=request)
