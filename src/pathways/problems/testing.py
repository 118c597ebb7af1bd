"""Problems for tests: one in any stage, with what that stage needs already done."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from pathways.accounts.models import Agency, User
from pathways.problems.models import (
    STAGE_ORDER,
    ActionStatus,
    Analysis,
    Problem,
    ProblemKind,
    ProblemPartner,
    ResponseAction,
    Stage,
)

STATEMENT = (
    "Groups of young people gather outside the Market Place shops after school, shoplift and "
    "intimidate staff and customers until the shops close"
)


def create_problem(*, owner: User, partners: list[Agency], stage: str = Stage.SCANNING, **overrides: Any) -> Problem:
    """A place problem about Casterbridge's WX1, owned by `owner`, worked by `partners`, with
    every stage before `stage` complete (its analysis written, its actions done)."""
    today = timezone.localdate()
    values: dict[str, Any] = {
        "reference": f"PS-{Problem.objects.count() + 1:04d}",
        "title": "Youths at the Market Place shops",
        "kind": ProblemKind.PLACE,
        "statement": STATEMENT,
        "area_codes": ["WX1"],
        "period_from": today - dt.timedelta(days=365),
        "period_to": today,
        "owner": owner,
        "owner_agency": owner.agency,
        "stage": stage,
        "stage_since": timezone.now(),
        "opened_on": today - dt.timedelta(days=120),
        "created_by": owner,
        "scanning_summary": "Shoplifting and public order offences doubled at the shops since spring.",
    }
    values.update(overrides)
    problem = Problem.objects.create(**values)
    for agency in partners:
        ProblemPartner.objects.create(problem=problem, agency=agency, role="Partner")
    reached = STAGE_ORDER.index(stage)
    if reached > STAGE_ORDER.index(Stage.ANALYSIS):
        Analysis.objects.create(
            problem=problem,
            cycle=problem.cycle,
            victims="Shop staff and older shoppers",
            offenders="A group of about ten 13–16 year olds from two schools",
            places="Three shops with no door staff; the bus stop opposite",
            summary="The shops are the only warm place between school and the 5 pm bus.",
            completed_at=timezone.now(),
            completed_by=owner,
        )
    if reached > STAGE_ORDER.index(Stage.RESPONSE):
        ResponseAction.objects.create(
            problem=problem,
            cycle=problem.cycle,
            action="Youth club opens 3–6 pm at the community centre",
            owner_agency=partners[0] if partners else owner.agency,
            starts_on=today - dt.timedelta(days=90),
            due_on=today - dt.timedelta(days=30),
            status=ActionStatus.DONE,
            finished_on=today - dt.timedelta(days=30),
            created_by=owner,
        )
    return problem
