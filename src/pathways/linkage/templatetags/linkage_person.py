"""The person page's "Records from each agency" and "Merges" sections, in one line of its
template: ``{% load linkage_person %}{% linkage_person_panel %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string

from pathways.access.policies import request_purpose, sharing_view
from pathways.linkage.merging import merged_into_now, merges_of
from pathways.linkage.models import Merge, SourceRecord
from pathways.sharing.reference import Category

register = template.Library()


@register.simple_tag(takes_context=True)
def linkage_person_panel(context: Any) -> str:
    """Each agency's record of the person (names, date of birth, postcode: identity, shown where
    the sharing rules let this user see that agency's identity details) and the merges behind
    them. The page has already checked that the viewer may see the person."""
    request, person = context["request"], context["person"]
    view = sharing_view(request.user, request_purpose(request))
    records = list(SourceRecord.objects.filter(person=person).select_related("agency").order_by("agency__name"))
    shown = [r for r in records if view.can_see(Category.IDENTITY, r.agency_id, person)]
    return render_to_string(
        "linkage/person_panel.html",
        {
            "person": person,
            "records": shown,
            "withheld": len(records) - len(shown),
            "merges": merges_of(person=person, user=request.user),
        },
        request=request,
    )


@register.simple_tag(takes_context=True)
def linkage_merged_notice(context: Any) -> str:
    """ "X's record was merged into this person on D", when an old link to X led here."""
    request, person = context["request"], context["person"]
    merged_from = None
    wanted = request.GET.get("merged_from", "")
    if wanted:
        # Only a record that now belongs to this very person is announced: the query string
        # cannot be used to name anyone else.
        ids = _uuid_or_none(wanted)
        now = merged_into_now(ids[0]) if ids else None
        if now is not None and now.pk == person.pk:
            merged_from = (
                Merge.objects.filter(merged_id=ids[0], undone_at__isnull=True).select_related("merged").first()
            )
    if merged_from is None:
        return ""
    return render_to_string("linkage/merged_notice.html", {"merged_from": merged_from}, request=request)


def _uuid_or_none(value: str) -> list[Any]:
    import uuid

    try:
        return [uuid.UUID(value)]
    except ValueError:
        return []
