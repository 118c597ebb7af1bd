"""The case page: one page a co-ordinator or facilitator works a case from. Each part of the
case (referral, parties and consent, assessment, allocation, meetings, agreement, surveys) is a
section template of its own, filled by the module that owns that part."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pathways.access.decorators import requires
from pathways.access.policies import request_purpose
from pathways.restorative.policies import can_coordinate, can_facilitate
from pathways.restorative.selectors import access_case

SERVICE_ONLY = "Only the restorative justice service's co-ordinators and facilitators work cases"


@requires(can_facilitate, SERVICE_ONLY)
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case(user=request.user, case_id=case_id, purpose=request_purpose(request))  # type: ignore[arg-type]
    return render(
        request,
        "restorative/case.html",
        {
            "case": case,
            "parties": list(case.parties.select_related("person").prefetch_related("consents")),
            "is_coordinator": can_coordinate(request.user),
        },
    )
