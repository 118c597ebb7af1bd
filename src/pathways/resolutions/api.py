"""Out-of-court resolutions over the API: the caller's agency's resolutions, each with its
recommendation, reasons, rule-set version, decision, actions and victims.

Mounted in `pathways.api.routes` with `api.add_router("/resolutions", "pathways.resolutions.api.router")`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from pathways.resolutions.models import Resolution
from pathways.resolutions.policies import can_record_resolutions
from pathways.resolutions.reference import Status
from pathways.resolutions.selectors import ResolutionNotFound, access_resolution, resolutions_visible_to

router = Router(tags=["resolutions"])


class ActionOut(Schema):
    kind: str
    description: str
    owner: str
    due_on: dt.date
    amount: float | None
    status: str
    finished_on: dt.date | None


class VictimOut(Schema):
    name: str
    wants: str
    wishes: str
    told_outcome_on: dt.date | None
    satisfaction: int | None


class ResolutionOut(Schema):
    id: uuid.UUID
    reference: str
    person_id: uuid.UUID
    offence_reference: str
    offence_code: str
    offence_date: dt.date
    status: str
    recommended_route: str
    recommendation_reasons: list[str]
    rule_set_version: int
    route: str
    override_reason: str
    review_status: str
    review_reasons: list[str]
    decided_at: dt.datetime | None
    outcome_code: str | None
    completed_on: dt.date | None
    actions: list[ActionOut]
    victims: list[VictimOut]


class ListQuery(Schema):
    status: str = ""
    person_id: uuid.UUID | None = None


def _require(request: HttpRequest) -> None:
    if not can_record_resolutions(request.user):
        raise HttpError(403, "Only officers and supervisors read resolutions")


def _out(r: Resolution) -> ResolutionOut:
    return ResolutionOut(
        id=r.pk,
        reference=r.reference,
        person_id=r.person_id,
        offence_reference=r.offence.reference,
        offence_code=r.offence.offence_code,
        offence_date=r.offence.offence_date,
        status=r.status,
        recommended_route=r.recommended_route,
        recommendation_reasons=r.recommendation.get("reasons", []),
        rule_set_version=r.rule_set.version,
        route=r.route,
        override_reason=r.override_reason,
        review_status=r.review_status,
        review_reasons=r.review_reasons,
        decided_at=r.decided_at,
        outcome_code=r.outcome.outcome if r.outcome else None,
        completed_on=r.completed_on,
        actions=[
            ActionOut(
                kind=a.kind,
                description=a.description,
                owner=a.owner,
                due_on=a.due_on,
                amount=float(a.amount) if a.amount is not None else None,
                status=a.status,
                finished_on=a.finished_on,
            )
            for a in r.actions.all()
        ],
        victims=[
            VictimOut(
                name=v.name,
                wants=v.wants,
                wishes=v.wishes,
                told_outcome_on=v.told_outcome_on,
                satisfaction=v.satisfaction,
            )
            for v in r.victims.all()
        ],
    )


@router.get("", response=list[ResolutionOut], summary="Your agency's resolutions", operation_id="resolutions_list")
def resolutions_list(request: HttpRequest, query: Query[ListQuery]):  # type: ignore[no-untyped-def]
    """Newest first, at most 500; filter by `status` or `person_id`. Each person named is a read
    of their record, and is audited as one list read."""
    _require(request)
    if query.status and query.status not in Status.values:
        raise HttpError(422, f"status must be one of {', '.join(Status.values)}")
    found = resolutions_visible_to(request.user).select_related("offence", "rule_set", "outcome")
    if query.status:
        found = found.filter(status=query.status)
    if query.person_id:
        found = found.filter(person_id=query.person_id)
    rows = list(found.prefetch_related("actions", "victims").order_by("-created_at")[:500])
    from pathways.access.models import AuditEvent
    from pathways.access.services import audit_record

    audit_record(
        user=request.user,
        action=AuditEvent.Action.READ,
        object_type="resolution_list",
        via="api",
        detail={"people": sorted({str(r.person_id) for r in rows}), "status": query.status},
    )
    return [_out(r) for r in rows]


@router.get("/{resolution_id}", response=ResolutionOut, summary="One resolution", operation_id="resolution_get")
def resolution_get(request: HttpRequest, resolution_id: uuid.UUID):  # type: ignore[no-untyped-def]
    _require(request)
    try:
        resolution = access_resolution(user=request.user, resolution_id=resolution_id, purpose="community_resolution")
    except ResolutionNotFound as exc:
        raise HttpError(404, "No such resolution, or you may not see it") from exc
    return _out(resolution)
