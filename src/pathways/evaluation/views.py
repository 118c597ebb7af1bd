"""The evaluation pages: the evaluations run with a form to run one, and each one's report."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from pathways.access.decorators import requires
from pathways.access.services import audit_record
from pathways.evaluation import cohorts
from pathways.evaluation.matching import IMBALANCE, JUSTICE_DATA_LAB_MINIMUM
from pathways.evaluation.models import Evaluation, Intervention
from pathways.evaluation.policies import can_evaluate, can_read_evaluation
from pathways.evaluation.services import EvaluationRefused, Upload, evaluation_run

REFUSAL = "Only analysts and supervisors evaluate interventions"
MAX_UPLOAD = 5 * 1024 * 1024


def _choices() -> dict:
    from pathways.iom.models import Scheme
    from pathways.resolutions.reference import Route

    return {
        "interventions": Intervention.choices,
        "schemes": Scheme.objects.filter(active=True).order_by("name"),
        "tiers": Route.choices,
        "covariates": cohorts.COVARIATES.items(),
    }


@requires(can_evaluate, REFUSAL)
def index(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    values = {
        "title": "",
        "intervention": Intervention.IOM_ADOPTION,
        "scheme": "",
        "tier": "",
        "start": (today.replace(day=1) - dt.timedelta(days=730)).replace(day=1).isoformat(),
        "end": (today - dt.timedelta(days=550)).isoformat(),
        "covariates": list(cohorts.DEFAULT_COVARIATES),
    }
    error = ""
    if request.method == "POST":
        values = {
            key: request.POST.get(key, "").strip()
            for key in ("title", "intervention", "scheme", "tier", "start", "end")
        }
        values["covariates"] = request.POST.getlist("covariates")
        upload = None
        file = request.FILES.get("people")
        if file is not None:
            if file.size > MAX_UPLOAD:
                error = "The file must be smaller than 5 MB"
            else:
                upload = Upload(filename=file.name, content=file.read())
        if not error:
            if not values["covariates"]:
                error = "Choose at least one characteristic to match on"
            else:
                try:
                    evaluation = evaluation_run(
                        by=request.user,
                        title=values["title"],
                        intervention=values["intervention"],
                        parameters={k: v for k, v in values.items() if k not in ("title", "intervention")},
                        upload=upload,
                    )
                except EvaluationRefused as exc:
                    error = str(exc)
                else:
                    return redirect("evaluation:detail", evaluation_id=evaluation.pk)
    evaluations = Evaluation.objects.filter(agency_id=request.user.agency_id).select_related("by")[:50]
    return render(
        request,
        "evaluation/index.html",
        {"evaluations": evaluations, "values": values, "error": error, **_choices()},
        status=400 if error else 200,
    )


@requires(can_evaluate, REFUSAL)
def detail(request: HttpRequest, evaluation_id: str) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation.objects.select_related("by"), pk=evaluation_id)
    if not can_read_evaluation(request.user, evaluation):
        raise PermissionDenied("This evaluation belongs to another agency")
    audit_record(user=request.user, action="evaluation.read", object_type="evaluation", object_id=str(evaluation.pk))
    result = evaluation.result
    labels = dict(cohorts.COVARIATES)
    for row in result.get("balance", []):
        name = labels.get(row["covariate"], row["covariate"])
        row["name"] = f"{name}: {row['category']}" if row.get("category") is not None else name
        row["imbalanced_before"] = abs(row["smd_before"]) > IMBALANCE
    return render(
        request,
        "evaluation/detail.html",
        {
            "evaluation": evaluation,
            "result": result,
            "minimum": JUSTICE_DATA_LAB_MINIMUM,
            "covariate_names": [labels.get(c, c) for c in result.get("covariates", [])],
        },
    )
