"""Recording a judgement beside a score on a person's page (OGRS3 or the partnership's own model), and the overrides report. Thin: the rules
are in `risk.judgements` and `risk.policies`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
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
from pathways.risk.model_policies import can_read_models_and_audits
from pathways.risk.model_services import model_score_words, person_model_score
from pathways.risk.models import ScoreKind
from pathways.risk.ogrs3 import SOURCE, VERSION
from pathways.risk.policies import can_judge_scores, can_see_overrides, offending_fully_visible
from pathways.web.forms import apply_service_errors

SHOWN_ON_PERSON_PAGE = "person page"


@dataclass
class _Shown:
    """The score a judgement is made beside, worked out on the server (never taken from the form)."""

    title: str
    anchor: str
    version: str
    value: float | None
    band: str
    context: dict[str, Any]


def _score_shown(score_kind: str, person: Any) -> _Shown:
    today = timezone.localdate()
    if score_kind == ScoreKind.OGRS3:
        history, result = person_ogrs3(person.pk, today)
        context = {"history": history, "score": result, "source": SOURCE, "score_template": "risk/ogrs3_score.html"}
        if result is None:
            return _Shown("OGRS3", "ogrs3", VERSION, None, "", {**context, "not_scored": history.reason})
        return _Shown("OGRS3", "ogrs3", VERSION, round(result.two_year, 4), result.band, context)
    model_score = person_model_score(person, today)
    if model_score is None:
        raise Http404("No version of the partnership's model is active")
    context = {
        "model_score": model_score,
        "score": model_score if model_score.probability is not None else None,
        "score_template": "risk/local_model_score.html",
        "judgement_list_id": "local-model-judgements",
        "horizon": "one year",
    }
    value = round(model_score.probability, 4) if model_score.probability is not None else None
    if value is None:
        context["not_scored"] = model_score.reason
    title = f"{model_score.model.name} (version {model_score.model.version})"
    return _Shown(title, "local-model", model_score_words(model_score.model), value, "", context)


@require_http_methods(["GET", "POST"])
@requires(can_judge_scores, "Only officers, supervisors and caseworkers record a judgement beside a score")
def score_judgement(request: HttpRequest, person_id: uuid.UUID, score_kind: str) -> HttpResponse:
    """A worker's judgement beside a score shown on the person's page: OGRS3 or the active version
    of the partnership's own model."""
    purpose = request_purpose(request)
    person = access_person(user=request.user, person_id=person_id, purpose=purpose)
    if not offending_fully_visible(sharing_view(request.user, purpose), person):
        raise PermissionDenied("Some of this person's offending is not shared with you, so their score is not shown")
    shown = _score_shown(score_kind, person)
    form = JudgementForm(request.POST or None)
    if shown.value is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            judgement_record(
                by=request.user,
                person=person,
                score_kind=score_kind,
                score_version=shown.version,
                score_value=shown.value,
                score_band=shown.band,
                shown_on=SHOWN_ON_PERSON_PAGE,
                judgement=data["judgement"],
                overridden=data["overridden"],
                judged_band=data["judged_band"],
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect(reverse("people:detail", args=[person.pk]) + "#" + shown.anchor)
    return render(
        request,
        "risk/judgement_form.html",
        {
            **shown.context,
            "person": person,
            "shown": shown,
            "may_read_card": can_read_models_and_audits(request.user),
            "form": form,
            "judgements": judgements_latest(person=person, score_kind=score_kind),
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
    path(
        "people/<uuid:person_id>/ogrs3/judgement/",
        score_judgement,
        {"score_kind": ScoreKind.OGRS3},
        name="ogrs3-judgement",
    ),
    path(
        "people/<uuid:person_id>/local-model/judgement/",
        score_judgement,
        {"score_kind": ScoreKind.LOCAL_MODEL},
        name="local-model-judgement",
    ),
    path("overrides/", overrides, name="overrides"),
]
