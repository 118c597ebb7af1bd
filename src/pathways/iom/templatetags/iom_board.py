"""The member page's section for the daily review board and appointments."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from pathways.iom import board
from pathways.iom.policies import can_work_iom

register = template.Library()


@register.simple_tag(takes_context=True)
def member_board(context: Any, membership: Any) -> str:
    """The last five board decisions, the next appointment and the missed ones. The member page
    has already fetched the membership through `access_membership`, so the read is audited."""
    request = context.get("request")
    if request is None or not can_work_iom(request.user):
        return ""
    appointments = board.appointments_for(membership)
    return SafeString(
        render_to_string(
            "iom/member/_board.html",
            {
                "membership": membership,
                "entries": board.recent_entries(membership),
                "next": appointments["upcoming"][0] if appointments["upcoming"] else None,
                "missed": appointments["missed"][:5],
                "to_record": appointments["to_record"],
                "today": timezone.localdate(),
            },
            request=request,
        )
    )
