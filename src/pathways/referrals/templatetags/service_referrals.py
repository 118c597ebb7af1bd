"""The "Refer to a service" button and the person's referrals on a person's page (whose view
belongs to `people`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from pathways.referrals import policies
from pathways.referrals.models import Referral

register = template.Library()


@register.filter
def may_refer_to_services(user: Any) -> bool:
    return policies.can_refer(user)


@register.simple_tag
def person_referrals(person: Any, user: Any) -> list[Referral]:
    """The person's referrals that the user's agency made or received: no one else's."""
    if not user.is_authenticated or user.agency_id is None:
        return []
    mine = Q(referring_agency=user.agency_id) | Q(receiving_agency=user.agency_id)
    return list(Referral.objects.filter(mine, person=person).select_related("service").order_by("-created_at")[:20])
