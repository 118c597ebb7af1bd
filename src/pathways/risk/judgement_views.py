"""Recording a judgement beside a person's OGRS3 score, and the overrides report. Thin: the rules
are in `risk.judgements` and `risk.policies`."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from pathways.access.decorators import requires
from pathways.access.policies import request_purpose, sharing_view
from pathways.access.services import access_person
from pathways.risk.history import person_ogrs3
from pathways.risk.judgement_forms import JudgementForm
from pathways.risk.judgements import judgement_record, judgements_latest, overrides_report, visible_person_ids
from pathways.risk.models import ScoreKind
from pathways.risk.ogrs3 import SOURCE, VERSION
from pathways.risk.policies import can_judge_scores, can_see_overrides, offending_fully_visible
from pathways.web.forms import apply_service_errors

SHOWN_ON_PERSON_PAGE = "person page"


@require_http_methods(["GET", "POST"])
@requires(can_judge_scores, "Only officers, supervisors and caseworkers record a judgement beside a score")
def ogrs3_judgement(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    purpose = request_purpose(request)
    person = access_person(user=request.user, person_id=person_id, purpose=purpose)
    if not offending_fully_visible(sharing_view(request.user, purpose), person):
        raise PermissionDenied("Some of this person's offending is not shared with you, so their score is not shown")
    history, result = person_ogrs3(person.pk, timezone.localdate())
    form = JudgementForm(request.POST or None)
    if result is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            judgement_record(
                by=request.user,
                person=person,
                score_kind=ScoreKind.OGRS3,
                score_version=VERSION,
                score_value=round(result.two_year, 4),
                score_band=result.band,
                shown_on=SHOWN_ON_PERSON_PAGE,
                judgement=data["judgement"],
                overridden=data["overridden"],
                judged_band=data["judged_band"],
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect(reverse("people:detail", args=[person.pk]) + "#ogrs3")
    return render(
        request,
        "risk/judgement_form.html",
        {
            "person": person,
            "history": history,
            "score": result,
            "form": form,
            "source": SOURCE,
            "judgements": judgements_latest(person=person, score_kind=ScoreKind.OGRS3),
        },
    )


@requires(can_see_overrides, "The overrides report is for supervisors and analysts")
def overrides(request: HttpRequest) -> HttpResponse:
    report = overrides_report(user=request.user, purpose=request_purpose(request))
    return render(
        request,
        "risk/overrides.html",
        {"report": report, "openable": visible_person_ids(request.user, report.judgements)},
    )


urlpatterns = [
    path("people/<uuid:person_id>/ogrs3/judgement/", ogrs3_judgement, name="ogrs3-judgement"),
    path("overrides/", overrides, name="overrides"),
]
