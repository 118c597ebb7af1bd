from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from pathways.access.policies import (
    Purpose,
    can_analyse_performance,
    can_import,
    is_data_protection_lead,
    purposes_for,
    request_purpose,
)
from pathways.problems.policies import can_see_problem_board
from pathways.referrals.policies import can_search_directory
from pathways.resolutions.policies import can_record_resolutions


def service(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "service_name": "Pathways",
        "demo_mode": settings.DEMO_MODE,
        "nav_can_import": signed_in and can_import(user),
        "nav_can_analyse": signed_in and can_analyse_performance(user),
        "purpose_label": dict(Purpose.choices).get(request_purpose(request), "") if signed_in else "",
        "can_change_purpose": signed_in and len(purposes_for(user)) > 1,
        "nav_is_dpo": signed_in and is_data_protection_lead(user),
        "nav_can_resolve": signed_in and can_record_resolutions(user),
        "nav_can_solve_problems": signed_in and can_see_problem_board(user),
        "nav_can_find_services": signed_in and can_search_directory(user),
    }
