"""Template helpers for the referral and parties sections of the case page, and the "Refer for
restorative justice" link on a person's page (whose views belong to other modules)."""

from __future__ import annotations

from typing import Any

from django import template

from pathways.restorative import policies
from pathways.restorative.referral_forms import CloseForm, ConsentForm, ContactForm, DecisionForm

register = template.Library()


@register.filter
def may_refer(user: Any) -> bool:
    return policies.can_refer(user)


@register.simple_tag
def rj_case_forms() -> dict[str, Any]:
    """Empty forms for the case page; each POSTs to its own view, which shows errors on a page of its own."""
    return {"decision": DecisionForm(), "contact": ContactForm(), "consent": ConsentForm(), "close": CloseForm()}


@register.simple_tag
def rj_party_forms(party: Any) -> dict[str, Any]:
    """The contact and consent forms for one party, their ids unique on a page with several parties."""
    return {
        "contact": ContactForm(auto_id=f"contact-{party.pk}-%s"),
        "consent": ConsentForm(auto_id=f"consent-{party.pk}-%s"),
    }
