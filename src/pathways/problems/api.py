"""Problems over the API: the board and one problem's definition, stage history and actions,
through the same policies as the pages and audited like them. No people: who is involved in a
problem is shown only on its page, to users who may see each person.

Mounted in `pathways.api.routes` with `api.add_router("/problems", "pathways.problems.api.router")`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.problems.models import Problem, Stage
from pathways.problems.policies import can_see_problem_board, problem_visible

router = Router(tags=["problems"])

NOT_FOUND = "No such problem, or you may not see it"


class AgencyOut(Schema):
    code: str
    name: str


class ProblemSummaryOut(Schema):
    id: uuid.UUID
    reference: str
    title: str
    kind: str
    stage: str
    cycle: int
    opened_on: dt.date
    age_days: int  # from opening to today, or to closing for a closed problem
    owner_agency: AgencyOut


class PartnerOut(Schema):
    agency: AgencyOut
    role: str


class StageChangeOut(Schema):
    from_stage: str
    to_stage: str
    cycle: int
    at: dt.datetime
    by_agency: str | None
    note: str


class ActionOut(Schema):
    id: uuid.UUID
    cycle: int
    action: str
    owner_agency: AgencyOut
    owner_name: str
    starts_on: dt.date
    due_on: dt.date
    status: str
    finished_on: dt.date | None
    outcome: str
    place: str


class ProblemOut(ProblemSummaryOut):
    statement: str
    group_description: str
    theme: str
    area_codes: list[str]
    streets: list[str]
    has_boundary: bool
    period_from: dt.date
    period_to: dt.date
    crime_types: list[str]
    scanning_summary: str
    stage_since: dt.datetime
    closed_on: dt.date | None
    partners: list[PartnerOut]
    stage_history: list[StageChangeOut]
    actions: list[ActionOut]


class BoardQuery(Schema):
    stage: str = ""


def _agency(agency) -> AgencyOut:  # type: ignore[no-untyped-def]
    return AgencyOut(code=agency.code, name=agency.name)


def _summary(problem: Problem, today: dt.date) -> ProblemSummaryOut:
    return ProblemSummaryOut(
        id=problem.pk,
        reference=problem.reference,
        title=problem.title,
        kind=problem.kind,
        stage=problem.stage,
        cycle=problem.cycle,
        opened_on=problem.opened_on,
        age_days=((problem.closed_on or today) - problem.opened_on).days,
        owner_agency=_agency(problem.owner_agency),
    )


@router.get("", response=list[ProblemSummaryOut], summary="The board of problems", operation_id="problems_board")
def problems_board(request: HttpRequest, filters: Query[BoardQuery]):  # type: ignore[no-untyped-def]
    """Every problem the partnership is working (or has closed), newest first, optionally in one
    SARA stage: `scanning`, `analysis`, `response`, `assessment` or `closed`."""
    user: User = request.user  # type: ignore[assignment]  # set by the bearer token or the session
    if not can_see_problem_board(user):
        raise HttpError(403, "Only partnership staff see the problems")
    if filters.stage and filters.stage not in Stage.values:
        raise HttpError(422, f"stage must be one of {', '.join(Stage.values)}")
    problems = Problem.objects.select_related("owner_agency")
    if filters.stage:
        problems = problems.filter(stage=filters.stage)
    audit_record(
        user=user,
        action=AuditEvent.Action.SEARCH,
        object_type="problem",
        detail={"board": True, "stage": filters.stage},
        via="api",
    )
    today = timezone.localdate()
    return [_summary(p, today) for p in problems]


@router.get(
    "/{uuid:problem_id}", response=ProblemOut, summary="One problem, its stages and actions", operation_id="problem_get"
)
def problem_get(request: HttpRequest, problem_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The problem's definition, every move from stage to stage and every response action, of
    every cycle. The people involved are not given here."""
    user: User = request.user  # type: ignore[assignment]
    problem = Problem.objects.select_related("owner_agency").filter(pk=problem_id).first()
    if problem is None or not problem_visible(user, problem):
        if problem is not None:
            audit_record(
                user=user, action=AuditEvent.Action.REFUSED, object_type="problem", object_id=str(problem.pk), via="api"
            )
        raise HttpError(404, NOT_FOUND)
    audit_record(user=user, action=AuditEvent.Action.READ, object_type="problem", object_id=str(problem.pk), via="api")
    changes = problem.stage_changes.select_related("by__agency")
    return ProblemOut(
        **_summary(problem, timezone.localdate()).dict(),
        statement=problem.statement,
        group_description=problem.group_description,
        theme=problem.theme,
        area_codes=problem.area_codes or [],
        streets=problem.streets or [],
        has_boundary=bool(problem.boundary),
        period_from=problem.period_from,
        period_to=problem.period_to,
        crime_types=problem.crime_types or [],
        scanning_summary=problem.scanning_summary,
        stage_since=problem.stage_since,
        closed_on=problem.closed_on,
        partners=[PartnerOut(agency=_agency(p.agency), role=p.role) for p in problem.partners.select_related("agency")],
        stage_history=[
            StageChangeOut(
                from_stage=c.from_stage,
                to_stage=c.to_stage,
                cycle=c.cycle,
                at=c.created_at,
                by_agency=c.by.agency.code if c.by.agency_id else None,
                note=c.note,
            )
            for c in changes
        ],
        actions=[
            ActionOut(
                id=a.pk,
                cycle=a.cycle,
                action=a.action,
                owner_agency=_agency(a.owner_agency),
                owner_name=a.owner_name,
                starts_on=a.starts_on,
                due_on=a.due_on,
                status=a.status,
                finished_on=a.finished_on,
                outcome=a.outcome,
                place=a.place,
            )
            for a in problem.actions.select_related("owner_agency").order_by("cycle", "due_on", "created_at")
        ],
    )
