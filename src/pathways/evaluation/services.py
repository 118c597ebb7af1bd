"""Running an evaluation: check the settings, build the cohort, match, save and audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.evaluation import cohorts
from pathways.evaluation.matching import EvaluationError, evaluate
from pathways.evaluation.models import Evaluation, Intervention
from pathways.evaluation.policies import can_evaluate


class EvaluationRefused(ValueError):
    """The evaluation cannot run as asked; the message says why."""


@dataclass(frozen=True)
class Upload:
    """An uploaded CSV of person references (`person_id`, optional `index_date`)."""

    filename: str
    content: bytes


def _date(parameters: dict[str, Any], key: str) -> dt.date:
    value = parameters.get(key)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise EvaluationRefused(f"{key}: {value!r} is not a date (YYYY-MM-DD)") from None


def clean_parameters(intervention: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The settings, checked and in JSON types."""
    if intervention not in Intervention.values:
        raise EvaluationRefused(f"Unknown intervention {intervention!r} (one of: {', '.join(Intervention.values)})")
    start, end = _date(parameters, "start"), _date(parameters, "end")
    covariates = list(parameters.get("covariates") or cohorts.DEFAULT_COVARIATES)
    unknown = [c for c in covariates if c not in cohorts.COVARIATES]
    if unknown:
        raise EvaluationRefused(
            f"Unknown covariate {', '.join(unknown)} (choose from: {', '.join(cohorts.COVARIATES)})"
        )
    try:
        caliper = float(parameters.get("caliper", 0.2))
        ratio = int(parameters.get("ratio", 1))
        seed = int(parameters.get("seed", 0))
    except (TypeError, ValueError):
        raise EvaluationRefused("caliper must be a number; ratio and seed whole numbers") from None
    if not 0 < caliper <= 5:
        raise EvaluationRefused("caliper must be more than 0 and at most 5 (standard deviations of the logit)")
    if not 1 <= ratio <= 5:
        raise EvaluationRefused("ratio must be from 1 to 5")
    clean = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "covariates": covariates,
        "caliper": caliper,
        "ratio": ratio,
        "replace": bool(parameters.get("replace", False)),
        "seed": seed,
    }
    if intervention == Intervention.IOM_ADOPTION:
        if not parameters.get("scheme"):
            raise EvaluationRefused("Choose the IOM scheme to evaluate")
        clean["scheme"] = str(parameters["scheme"])
    if intervention == Intervention.RESOLUTION_TIER:
        from pathways.resolutions.reference import Route

        if parameters.get("tier") not in Route.values:
            raise EvaluationRefused(f"Choose the resolution tier (one of: {', '.join(Route.values)})")
        clean["tier"] = str(parameters["tier"])
    if parameters.get("as_of"):
        clean["as_of"] = _date(parameters, "as_of").isoformat()
    return clean


def evaluation_run(
    *, by: User, title: str, intervention: str, parameters: dict[str, Any], upload: Upload | None = None
) -> Evaluation:
    """Run an evaluation as `by` (on the people they may see) and keep it with its result."""
    if not can_evaluate(by):
        raise PermissionError("Only analysts and supervisors run evaluations")
    title = (title or "").strip()
    if not title:
        raise EvaluationRefused("Give the evaluation a title")
    clean = clean_parameters(intervention, parameters)
    uploaded = None
    if intervention == Intervention.UPLOADED_LIST:
        if upload is None:
            raise EvaluationRefused("Upload a CSV file of the people who received the intervention")
        try:
            uploaded = cohorts.read_people_csv(upload.content, agency=by.agency, user=by, filename=upload.filename)
        except cohorts.CohortError as exc:
            raise EvaluationRefused(str(exc)) from None
        clean["upload"] = {"filename": upload.filename, "people": len(uploaded)}
    spec = cohorts.CohortSpec(
        intervention=intervention,
        start=dt.date.fromisoformat(clean["start"]),
        end=dt.date.fromisoformat(clean["end"]),
        scheme=clean.get("scheme", ""),
        tier=clean.get("tier", ""),
        as_of=dt.date.fromisoformat(clean["as_of"]) if "as_of" in clean else None,
    )
    try:
        cohort = cohorts.build(spec, user=by, uploaded=uploaded)
        result = evaluate(
            cohort.frame,
            treated="treated",
            covariates=clean["covariates"],
            outcome="reoffended",
            frequency="reoffences",
            caliper=clean["caliper"],
            ratio=clean["ratio"],
            replace=clean["replace"],
            seed=clean["seed"],
        )
    except (cohorts.CohortError, EvaluationError) as exc:
        raise EvaluationRefused(str(exc)) from None
    data = result.to_dict()
    data["cohort"] = {"counts": cohort.counts, "notes": cohort.notes}
    data["warnings"] = cohort.notes + data["warnings"]
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            title=title[:200], intervention=intervention, parameters=clean, result=data, by=by, agency=by.agency
        )
        audit_record(
            user=by,
            action="evaluation.run",
            object_type="evaluation",
            object_id=str(evaluation.pk),
            detail={
                "intervention": intervention,
                "treated": data["n_treated"],
                "matched": data["n_matched_treated"],
                "comparison_pool": data["n_comparison_pool"],
            },
        )
    return evaluation
