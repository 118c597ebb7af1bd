from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from pathways.access.policies import Purpose, can_import, default_purpose


def service(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "service_name": "Pathways",
        "demo_mode": settings.DEMO_MODE,
        "nav_can_import": signed_in and can_import(user),
        "purpose_label": Purpose.LABELS.get(default_purpose(user), "") if signed_in else "",
    }
