"""Demo problems: eight problems in Wessex at every SARA stage, worked by the demo partnership.

One is closed (solved), one went back to analysis for a second cycle with its first kept, and
the rest are in scanning, analysis and response. They are written straight to the tables with
dates in the past, as if the partnership had worked them over the last year; the assessment
figures are worked out by `problems.assessment.assess` from the demo's own offences.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from pathways.accounts.models import Agency, User
from pathways.problems.models import (
    STAGE_ORDER,
    ActionStatus,
    Analysis,
    Assessment,
    InvolvedPerson,
    Problem,
    ProblemKind,
    ProblemNote,
    ProblemPartner,
    ResponseAction,
    Stage,
    StageChange,
    Verdict,
)

AGENCY_CODES = {
    "police": "wessex-police",
    "probation": "wessex-probation",
    "yos": "wessex-yos",
    "council": "casterbridge-council",
    "health": "wessex-health",
    "housing": "wessex-housing",
    "voluntary": "second-chances",
}


@dataclass
class Spec:
    """One demo problem: its definition, where it has got to, and what was done on the way."""

    title: str
    kind: str
    owner: str
    partners: list[str]
    statement: str
    opened_days_ago: int
    # The stages it has reached, each with how many days ago it got there (after opening).
    reached: list[tuple[str, int]]
    area_codes: list[str] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)
    group_description: str = ""
    theme: str = ""
    crime_types: list[str] = field(default_factory=list)
    scanning_summary: str = ""
    triangle: dict[str, str] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, text, source)
    # A second cycle: (cycle 1's verdict note, cycle 2's triangle so far).
    second_cycle: tuple[str, dict[str, str]] | None = None
    verdict: tuple[str, str] | None = None
    link_iom: int = 0  # how many IOM members to link as offenders (and to an action)


SPECS: list[Spec] = [
    Spec(
        title="Youths at the Market Place shops",
        kind=ProblemKind.PLACE,
        owner="officer",
        partners=["council", "yos"],
        area_codes=["WX1"],
        streets=["Market Place", "Cornhill"],
        crime_types=["Shoplifting", "Anti-social behaviour", "Public order"],
        statement=(
            "Groups of ten to fifteen pupils from two schools gather outside the Market Place shops "
            "between 3 and 5 pm on weekdays, shoplift, and intimidate staff and older shoppers."
        ),
        opened_days_ago=330,
        reached=[(Stage.ANALYSIS, 300), (Stage.RESPONSE, 260), (Stage.ASSESSMENT, 70), (Stage.CLOSED, 20)],
        scanning_summary=(
            "Shoplifting and ASB at the five shops rose from about 6 to 19 a month since the bus "
            "timetable changed; 80% between 3 and 5 pm on school days."
        ),
        triangle={
            "victims": "Staff of three small shops with no door staff; older shoppers waiting for the bus.",
            "offenders": "About twelve 13–16 year olds from two schools, a core of four.",
            "places": "The shop fronts and the covered bus shelter opposite: warm, dry and unwatched.",
            "guardians": "Shop staff (alone at the tills after 3 pm); the neighbourhood team.",
            "handlers": "Parents; the two schools' heads of year; the youth offending service for two of them.",
            "managers": "The shop owners; the council (the bus shelter); the bus company.",
            "summary": "With the youth club shut, the shops are the only warm place between school and the 5 pm bus.",
        },
        actions=[
            {"action": "Youth club reopens 3–6 pm at the community centre", "owner": "council", "status": "done"},
            {"action": "Schools' heads of year talk to the core group's families", "owner": "yos", "status": "done"},
            {"action": "Shop staff radio link and joint patrols 3–5 pm", "owner": "police", "status": "done"},
        ],
        notes=[
            ("evidence", "18 of 22 shopkeepers surveyed said the problem was the after-school group.", "Shop survey"),
            ("note", "The youth club has 40 regulars within a month of reopening.", ""),
        ],
        verdict=(
            Verdict.SOLVED,
            "The shops and the school say the after-school crowds have gone since the youth club opened.",
        ),
    ),
    Spec(
        title="Burglary of sheds and garages in Budmouth",
        kind=ProblemKind.PLACE,
        owner="supervisor",
        partners=["probation", "housing"],
        area_codes=["WX5", "WX6"],
        crime_types=["Burglary", "Theft offences"],
        statement=(
            "Sheds and garages on the Budmouth allotments and the garage blocks behind Westham Road are "
            "broken into at night, mainly for bikes and power tools sold on online."
        ),
        opened_days_ago=300,
        reached=[(Stage.ANALYSIS, 280), (Stage.RESPONSE, 220), (Stage.ASSESSMENT, 60)],
        scanning_summary="64 burglaries of sheds and garages in a year, half in the garage blocks; most at weekends.",
        triangle={
            "victims": "Allotment holders and garage tenants, many with several break-ins.",
            "offenders": "Thought to be two or three prolific adults known to probation.",
            "places": "Housing association garage blocks with broken lights and no gates.",
            "guardians": "Allotment society; neighbours overlooking the garages.",
            "handlers": "Probation practitioners of the men believed responsible.",
            "managers": "Wessex Homes (the garage blocks); the allotment society.",
            "summary": "Dark, ungated garage blocks let a few prolific offenders steal unseen.",
        },
        actions=[
            {"action": "Lights repaired and gates fitted on two garage blocks", "owner": "housing", "status": "done"},
            {"action": "Property marking day at the allotments", "owner": "police", "status": "not_done"},
            {"action": "Licence conditions reviewed for the men suspected", "owner": "probation", "status": "done"},
        ],
        second_cycle=(
            "Burglaries moved from the gated blocks to the allotments: not solved, back to analysis.",
            {
                "victims": "Allotment holders, now the main target since the garages were gated.",
                "places": "The allotment's north fence along the cycle path.",
            },
        ),
        link_iom=2,
    ),
    Spec(
        title="Drug dealing around Sandbourne station",
        kind=ProblemKind.PLACE,
        owner="supervisor",
        partners=["probation", "council", "health"],
        area_codes=["WX8"],
        streets=["Station Road", "Holdenhurst Road"],
        crime_types=["Drugs", "Possession of weapons"],
        statement=(
            "Heroin and crack are sold from cars parked in the station car park and the alley off "
            "Holdenhurst Road from late afternoon, with needles left in the alley every morning."
        ),
        opened_days_ago=180,
        reached=[(Stage.ANALYSIS, 160), (Stage.RESPONSE, 95)],
        scanning_summary="41 drug offences in the year, 70% within 200 m of the station; needle finds daily.",
        triangle={
            "victims": "Commuters and residents; the people who buy and use, several of them vulnerable.",
            "offenders": "A county line from outside Wessex using three local runners, two in the IOM cohort.",
            "places": "The station car park (no barrier, poor lighting) and an alley with no overlooking windows.",
            "guardians": "Station staff; the council's street cleansing team.",
            "handlers": "IOM offender managers; the drug treatment service.",
            "managers": "The rail operator (car park); the council (the alley).",
            "summary": "The car park and alley give buyers and sellers cover close to the trains.",
        },
        actions=[
            {"action": "Alley gated at both ends", "owner": "council", "status": "in_progress"},
            {"action": "Treatment outreach at the station twice a week", "owner": "health", "status": "in_progress"},
            {
                "action": "IOM plan actions for the two local runners",
                "owner": "probation",
                "status": "in_progress",
                "iom": True,
            },
            {
                "action": "Car park barrier and lighting with the rail operator",
                "owner": "police",
                "status": "planned",
                "overdue": True,
            },
        ],
        link_iom=2,
    ),
    Spec(
        title="Repeat shoplifting at Budmouth retail park",
        kind=ProblemKind.PLACE,
        owner="caseworker",
        partners=["police", "voluntary"],
        area_codes=["WX7"],
        crime_types=["Shoplifting"],
        statement=(
            "The same few adults steal food and toiletries from the two supermarkets at the retail park "
            "several times a week, often to pay for drugs or because they have no money left."
        ),
        opened_days_ago=75,
        reached=[(Stage.ANALYSIS, 30)],
        scanning_summary="Shoplifting at the park up a third on last year; store staff name the same five people.",
        triangle={
            "victims": "The two supermarkets; their staff who challenge shoplifters.",
            "offenders": "Five adults, three under probation supervision, two in rent arrears.",
        },
    ),
    Spec(
        title="Night-time violence on Melchester's High Street",
        kind=ProblemKind.PLACE,
        owner="officer",
        partners=["council", "health"],
        area_codes=["WX12"],
        streets=["High Street", "Catherine Street"],
        crime_types=["Violence and sexual offences", "Public order"],
        statement=(
            "Fights break out between 1 and 3 am on Friday and Saturday nights when the two late bars "
            "close at once and crowds queue for the single taxi rank on the High Street."
        ),
        opened_days_ago=60,
        reached=[(Stage.ANALYSIS, 20)],
        scanning_summary="Assaults on the High Street peak at 2 am at weekends: 70% of the town's night-time violence.",
        triangle={
            "victims": "Young adults leaving the bars; door staff.",
            "offenders": "Young men who have been drinking, rarely the same ones twice.",
            "places": "The taxi rank outside the two late bars.",
            "managers": "The bars' licence holders; the council's licensing team; the taxi firms.",
            "summary": "Everyone leaves at once and waits in one place for too few taxis.",
        },
    ),
    Spec(
        title="Anti-social behaviour on the Fordington estate",
        kind=ProblemKind.PLACE,
        owner="officer",
        partners=["housing", "council"],
        area_codes=["WX3"],
        crime_types=["Anti-social behaviour", "Criminal damage and arson"],
        statement=(
            "Residents of the Fordington estate's three tower blocks report youths riding off-road "
            "bikes across the green and setting fire to bins most evenings in the summer."
        ),
        opened_days_ago=21,
        reached=[],
        scanning_summary="ASB calls from the estate doubled in June and July; 23 bin fires since April.",
    ),
    Spec(
        title="Young people drawn into county lines in Christminster",
        kind=ProblemKind.GROUP,
        owner="caseworker",
        partners=["yos", "police"],
        area_codes=["WX19", "WX20"],
        group_description="About eight 14–17 year olds missing from school and found carrying drugs out of the area.",
        statement=(
            "Teenagers from two Christminster estates are recruited by a county line, go missing for "
            "days and are found carrying drugs in other towns."
        ),
        opened_days_ago=12,
        reached=[],
    ),
    Spec(
        title="Theft of catalytic converters",
        kind=ProblemKind.THEME,
        owner="supervisor",
        partners=[],
        theme="Catalytic converter theft",
        crime_types=["Vehicle crime"],
        statement="Catalytic converters stolen from cars",
        opened_days_ago=5,
        reached=[],
    ),
]


def _at(today: dt.date, days_ago: int, hour: int = 10) -> dt.datetime:
    day = today - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _iom_members(rng: random.Random, count: int) -> list[Any]:
    """Current IOM members, for the problems whose offenders are in the cohort."""
    from pathways.iom.models import Membership

    members = list(Membership.objects.filter(ended_on__isnull=True).select_related("person").order_by("adopted_on"))
    return rng.sample(members, min(count, len(members)))


def _create(spec: Spec, number: int, today: dt.date, rng: random.Random, users: dict[str, User]) -> Problem:
    agencies = {key: Agency.objects.get(code=code) for key, code in AGENCY_CODES.items()}
    owner = users[spec.owner]
    stage = spec.reached[-1][0] if spec.reached else Stage.SCANNING
    if spec.second_cycle:
        stage = Stage.ANALYSIS
    since = spec.reached[-1][1] if spec.reached else spec.opened_days_ago
    if spec.second_cycle:
        since = 25
    opened = today - dt.timedelta(days=spec.opened_days_ago)
    problem = Problem.objects.create(
        reference=f"PS-{opened.year}-{number:04d}",
        title=spec.title,
        kind=spec.kind,
        statement=spec.statement,
        group_description=spec.group_description,
        theme=spec.theme,
        area_codes=spec.area_codes,
        streets=spec.streets,
        period_from=opened - dt.timedelta(days=365),
        period_to=opened - dt.timedelta(days=1),
        crime_types=spec.crime_types,
        owner=owner,
        owner_agency=owner.agency,
        stage=stage,
        stage_since=_at(today, since),
        cycle=2 if spec.second_cycle else 1,
        scanning_summary=spec.scanning_summary,
        opened_on=opened,
        closed_on=today - dt.timedelta(days=since) if stage == Stage.CLOSED else None,
        created_by=owner,
    )
    for key in spec.partners:
        if agencies[key].pk != owner.agency_id:
            ProblemPartner.objects.create(problem=problem, agency=agencies[key])
    previous = Stage.SCANNING
    for to_stage, days_ago in spec.reached:
        change = StageChange.objects.create(problem=problem, from_stage=previous, to_stage=to_stage, cycle=1, by=owner)
        StageChange.objects.filter(pk=change.pk).update(created_at=_at(today, days_ago))
        previous = to_stage
    members = _iom_members(rng, spec.link_iom) if spec.link_iom else []
    for member in members:
        InvolvedPerson.objects.create(
            problem=problem,
            person=member.person,
            role=InvolvedPerson.Role.OFFENDER,
            note="In the IOM cohort; named by the neighbourhood team",
            added_by=owner,
        )
    reached = [s for s, _ in spec.reached]
    if spec.triangle:
        done = Stage.RESPONSE in reached
        Analysis.objects.create(
            problem=problem,
            cycle=1,
            completed_at=_at(today, dict(spec.reached)[Stage.RESPONSE]) if done else None,
            completed_by=owner if done else None,
            **spec.triangle,
        )
    if Stage.RESPONSE in reached:
        _actions(problem, spec, today, agencies, owner, members)
    if Stage.ASSESSMENT in reached:
        decided = dict(spec.reached).get(Stage.CLOSED)
        verdict, note = spec.verdict or (Verdict.NOT_SOLVED, spec.second_cycle[0] if spec.second_cycle else "")
        assessed_at = dict(spec.reached)[Stage.ASSESSMENT]
        Assessment.objects.create(
            problem=problem,
            cycle=1,
            comparison_area_codes=["WX2"] if "WX1" in spec.area_codes else ["WX9"],
            buffer_area_codes=[],
            before_from=problem.period_from,
            before_to=problem.period_to,
            after_from=today - dt.timedelta(days=assessed_at + 180),
            after_to=today - dt.timedelta(days=assessed_at),
            # Left for `problems.assessment.assess` to work out from the demo's incidents.
            figures={},
            verdict=verdict if (decided or spec.second_cycle) else "",
            verdict_note=note if (decided or spec.second_cycle) else "",
            decided_by=owner if (decided or spec.second_cycle) else None,
            decided_at=_at(today, decided or 25) if (decided or spec.second_cycle) else None,
        )
    if spec.second_cycle:
        note, triangle = spec.second_cycle
        change = StageChange.objects.create(
            problem=problem, from_stage=Stage.ASSESSMENT, to_stage=Stage.ANALYSIS, cycle=1, by=owner, note=note
        )
        StageChange.objects.filter(pk=change.pk).update(created_at=_at(today, 25))
        Analysis.objects.create(problem=problem, cycle=2, **triangle)
    for kind, text, source in spec.notes:
        ProblemNote.objects.create(
            problem=problem,
            cycle=1,
            stage=Stage.ANALYSIS if kind == "evidence" else Stage.RESPONSE,
            kind=kind,
            text=text,
            source=source,
            by=owner,
            agency=owner.agency,
        )
    return problem


def _actions(
    problem: Problem, spec: Spec, today: dt.date, agencies: dict[str, Agency], owner: User, members: list[Any]
) -> None:
    started = dict(spec.reached)[Stage.RESPONSE]
    for i, item in enumerate(spec.actions):
        starts = today - dt.timedelta(days=started - 7 * i)
        due = today - dt.timedelta(days=10) if item.get("overdue") else starts + dt.timedelta(days=90)
        status = item["status"]
        finished = min(due, today - dt.timedelta(days=5)) if status in ("done", "not_done", "cancelled") else None
        member = members[0] if item.get("iom") and members else None
        ResponseAction.objects.create(
            problem=problem,
            cycle=1,
            action=item["action"],
            owner_agency=agencies[item["owner"]],
            starts_on=starts,
            due_on=due,
            status=ActionStatus(status),
            finished_on=finished,
            outcome="Done as planned" if status == "done" else "",
            person=member.person if member else None,
            iom_membership=member,
            place=", ".join(spec.streets[:1] or spec.area_codes[:1]),
            created_by=owner,
        )


@transaction.atomic
def demo_problems_create(*, today: dt.date, seed: int) -> int:
    """Create the demo problems (after the partnership, its users and the IOM cohort); returns
    how many were made. Run once, on an empty problems table."""
    rng = random.Random(seed + 41)
    users = {u.username: u for u in User.objects.filter(username__in={s.owner for s in SPECS})}
    made, numbers = 0, {}  # type: ignore[var-annotated]
    # Oldest first, so each year's references count up in the order the problems were opened.
    for spec in sorted(SPECS, key=lambda s: -s.opened_days_ago):
        year = (today - dt.timedelta(days=spec.opened_days_ago)).year
        numbers[year] = numbers.get(year, 0) + 1
        _create(spec, numbers[year], today, rng, users)
        made += 1
    assert all(s in STAGE_ORDER for s in Problem.objects.values_list("stage", flat=True))
    _assessments_work_out()
    return made


def _assessments_work_out() -> None:
    """The figures of each demo assessment, from the demo's own offences: the after period
    against the same months a year before (matching length and season), the comparison area
    the problem names, and the areas around the place for displacement."""
    from pathways.problems.assessment import areas_around, assess
    from pathways.problems.places import OFFENCES

    for assessment in Assessment.objects.select_related("problem"):
        if assessment.figures:
            continue
        after = (assessment.after_from, assessment.after_to)
        before = (after[0] - dt.timedelta(days=364), after[1] - dt.timedelta(days=364))
        comparison = list(assessment.comparison_area_codes)
        buffer = [c for c in areas_around(assessment.problem) if c not in comparison]
        assessment.figures = assess(
            problem=assessment.problem,
            comparison_area_codes=comparison,
            buffer_area_codes=buffer,
            before=before,
            after=after,
            source=OFFENCES,
        )
        assessment.before_from, assessment.before_to = before
        assessment.buffer_area_codes = buffer
        assessment.save()
