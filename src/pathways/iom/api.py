"""The IOM cohort and its candidates over the API, for partners' case systems: the same
selectors, policies and audit as the pages.

Mounted in `pathways.api.routes` with `api.add_router("/iom", "pathways.iom.api.router")`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from pathways.access.models import AuditEvent
from pathways.access.policies import default_purpose
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.iom import cohort, selection, selectors
from pathways.iom.models import Scheme
from pathways.iom.policies import can_work_iom
from pathways.iom.reference import MANAGED_BY_TIER, Tier

router = Router(tags=["integrated offender management"])

IOM_ONLY = "Only officers, supervisors and caseworkers of the IOM partner agencies work the cohort"


class ScorePartsOut(Schema):
    total: float
    recency: float
    frequency: float
    gravity: float
    victims: float


class MemberOut(Schema):
    membership_id: uuid.UUID
    person_id: uuid.UUID
    given_name: str
    surname: str
    scheme: str
    tier: str
    managed_by: str
    lead_agency: str
    lead_worker: str
    adopted_on: dt.date
    score_at_adoption: float
    config_version: int


class CandidateOut(Schema):
    person_id: uuid.UUID
    given_name: str
    surname: str
    age: int | None
    score: ScorePartsOut
    offences_counted: int
    days_since_latest: int | None
    explanation: list[str]
    last_decision: str | None
    last_decided_on: dt.date | None


class CandidatesOut(Schema):
    scheme: str
    config_version: int
    as_of: dt.date
    candidates: list[CandidateOut]


class CohortQuery(Schema):
    scheme: str = ""
    tier: str = ""


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]  # set by the bearer token or the session
    if not can_work_iom(user):
        raise HttpError(403, IOM_ONLY)
    return user


def _scheme(code: str) -> Scheme:
    scheme = Scheme.objects.filter(code=code).first()
    if scheme is None:
        raise HttpError(404, f"No scheme with the code '{code}'")
    return scheme


@router.get("/cohort", response=list[MemberOut], summary="The cohort you may see", operation_id="iom_cohort")
def cohort_list(request: HttpRequest, filters: Query[CohortQuery]):  # type: ignore[no-untyped-def]
    """The people in the cohort now, whose records your agency may see, optionally of one
    scheme and one risk tier. Each person read is audited."""
    user = _user(request)
    if filters.tier and filters.tier not in Tier.values:
        raise HttpError(422, f"tier must be one of {', '.join(Tier.values)}")
    members = selectors.cohort(user, scheme=_scheme(filters.scheme) if filters.scheme else None).select_related(
        "config"
    )
    if filters.tier:
        members = members.filter(tier=filters.tier)
    purpose = default_purpose(user)
    out = []
    for m in members:
        audit_record(
            user=user,
            action=AuditEvent.Action.READ,
            object_type="person",
            object_id=str(m.person_id),
            purpose=purpose,
            detail={"iom_membership": str(m.pk), "scheme": m.scheme.code},
            via="api",
        )
        out.append(
            MemberOut(
                membership_id=m.pk,
                person_id=m.person_id,
                given_name=m.person.given_name,
                surname=m.person.surname,
                scheme=m.scheme.code,
                tier=m.tier,
                managed_by=str(MANAGED_BY_TIER.get(m.tier, "")),
                lead_agency=m.lead_agency.code,
                lead_worker=m.lead_worker.username if m.lead_worker else "",
                adopted_on=m.adopted_on,
                score_at_adoption=float(m.score_at_adoption),
                config_version=m.config.version,
            )
        )
    return out


@router.get(
    "/candidates", response=CandidatesOut, summary="Ranked candidates for a scheme", operation_id="iom_candidates"
)
def candidate_list(request: HttpRequest, scheme: str, limit: int = 100):  # type: ignore[no-untyped-def]
    """People you may see who meet the scheme's checkable entry criteria, highest score first,
    with each part of the score and how it was reached. The list is audited as one search."""
    user = _user(request)
    if not 1 <= limit <= 500:
        raise HttpError(422, "limit must be between 1 and 500")
    chosen = _scheme(scheme)
    config = cohort.config_current()
    as_of = timezone.localdate()
    found = selection.candidates(
        user, chosen, as_of=as_of, config=config, limit=limit, via="api", purpose=default_purpose(user)
    )
    return CandidatesOut(
        scheme=chosen.code,
        config_version=config.version,
        as_of=as_of,
        candidates=[
            CandidateOut(
                person_id=c.person.pk,
                given_name=c.person.given_name,
                surname=c.person.surname,
                age=c.age,
                score=ScorePartsOut(**c.score.parts()),
                offences_counted=len(c.score.offences),
                days_since_latest=c.score.days_since_latest,
                explanation=c.explanation,
                last_decision=c.latest_decision.decision if c.latest_decision else None,
                last_decided_on=c.latest_decision.decided_on if c.latest_decision else None,
            )
            for c in found
        ],
    )
