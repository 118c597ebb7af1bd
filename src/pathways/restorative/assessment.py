"""The risk and suitability assessment: each factor rated, the complex case types named, and
the decision whether the case goes ahead.

A high rating always carries a note saying what the risk is. A high risk is managed by
conditions, or the case does not go ahead: a plain 'suitable' with a factor rated high is
refused. A case assessed as not suitable closes (its open tasks cancelled); one that is
suitable waits for a facilitator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.restorative.cases import case_close, case_move, require_case
from pathways.restorative.models import Assessment, Case
from pathways.restorative.reference import (
    ASSESSMENT_FACTORS,
    AssessmentDecision,
    CaseStatus,
    CaseType,
    ClosureReason,
    Rating,
)


def parse_conditions(text: str | Sequence[str]) -> list[str]:
    """Conditions are entered one per line."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    return [" ".join(line.split()) for line in lines if line.strip()]


def _validate(
    ratings: Mapping[str, str],
    notes: Mapping[str, str],
    case_types: Sequence[str],
    decision: str,
    conditions: list[str],
    reasons: str,
) -> None:
    errors: dict[str, str] = {}
    for key, label in ASSESSMENT_FACTORS.items():
        rating = ratings.get(key, "")
        if rating not in Rating.values:
            errors[f"rating_{key}"] = f"Rate '{label}' low, medium or high"
        elif rating == Rating.HIGH and not notes.get(key, "").strip():
            errors[f"note_{key}"] = f"'{label}' is rated high: say what the risk is"
    unknown = set(ratings) - set(ASSESSMENT_FACTORS)
    if unknown:
        errors["__all__"] = f"Unknown factors: {', '.join(sorted(unknown))}"
    if any(t not in CaseType.values for t in case_types):
        errors["case_types"] = "Choose only the listed complex case types"
    if decision not in AssessmentDecision.values:
        errors["decision"] = "Choose whether the case is suitable"
    elif decision == AssessmentDecision.SUITABLE_WITH_CONDITIONS and not conditions:
        errors["conditions"] = "Enter the conditions, one per line"
    elif decision == AssessmentDecision.NOT_SUITABLE and not reasons.strip():
        errors["reasons"] = "Say why the case is not suitable: the parties and the referrer are told"
    elif (
        decision == AssessmentDecision.SUITABLE
        and not conditions
        and any(ratings.get(k) == Rating.HIGH for k in ASSESSMENT_FACTORS)
    ):
        # A high risk is managed by conditions, or the case does not go ahead.
        errors["conditions"] = (
            "A factor is rated high: set the conditions that manage the risk, or decide the case is not suitable"
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assessment_record(
    *,
    case: Case,
    by: User,
    ratings: Mapping[str, str],
    notes: Mapping[str, str] | None = None,
    case_types: Sequence[str] = (),
    decision: str,
    conditions: str | Sequence[str] = (),
    reasons: str = "",
    assessed_on: dt.date | None = None,
) -> Assessment:
    """Record the assessment of a case waiting for one, by a co-ordinator of the service or the
    facilitator allocated to it. The complex case types found replace those of the referral."""
    case = require_case(by, case)
    if case.status != CaseStatus.ASSESSMENT:
        raise ValidationError({"__all__": f"Case {case.reference} is not waiting for an assessment"})
    notes = {k: v.strip() for k, v in (notes or {}).items() if k in ASSESSMENT_FACTORS and v and v.strip()}
    listed = parse_conditions(conditions)
    _validate(ratings, notes, case_types, decision, listed, reasons)
    if decision == AssessmentDecision.SUITABLE and listed:
        decision = AssessmentDecision.SUITABLE_WITH_CONDITIONS
    if decision == AssessmentDecision.NOT_SUITABLE:
        listed = []
    assessed_on = assessed_on or timezone.localdate()
    types = [t for t in CaseType.values if t in set(case_types)]
    assessment = Assessment.objects.create(
        case=case,
        assessed_on=assessed_on,
        assessed_by=by,
        ratings={k: ratings[k] for k in ASSESSMENT_FACTORS},
        notes=notes,
        case_types=types,
        decision=decision,
        conditions=listed,
        reasons=reasons.strip(),
    )
    case.case_types = types
    case.save(update_fields=["case_types", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_assessment",
        object_id=str(assessment.pk),
        detail={"case": case.reference, "decision": decision, "case_types": types},
    )
    if decision == AssessmentDecision.NOT_SUITABLE:
        case_close(case=case, by=by, reason=ClosureReason.NOT_SUITABLE, note=reasons, on=assessed_on)
    else:
        case_move(case, CaseStatus.ALLOCATION, on=assessed_on)
    return assessment


def latest_assessment(case: Case) -> Assessment | None:
    return case.assessments.select_related("assessed_by").first()
