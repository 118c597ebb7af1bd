"""The demo partnership's restorative justice service, made through the real services.

Wessex Restorative Justice Service: eight facilitators (one whose vetting has lapsed, one due a
refresher, one away), four venues lent by partners, a Neighbourhood Justice Panel, and some fifty
referrals over the last nine months from the police, probation, the youth offending service and
victims themselves — at every step from a new referral to a completed case with its satisfaction
surveys, with the declines and withdrawals real services see. Each step is dated when it
happened; the few steps the services date today are moved back afterwards (synthetic data only).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from pathways.access.policies import people_visible_to
from pathways.accounts.models import Agency, User
from pathways.offending.models import Offence
from pathways.resolutions import panels
from pathways.resolutions import services as resolution_services
from pathways.restorative import allocation, assessment, cases, facilitators, meetings, referrals, surveys
from pathways.restorative.models import Case, Venue
from pathways.restorative.reference import (
    ASSESSMENT_FACTORS,
    AssessmentDecision,
    CaseStatus,
    ConsentStatus,
    ContactMethod,
    ContactResult,
    Course,
    FacilitatorKind,
    Intervention,
    Role,
    Source,
    Stage,
    SurveyMethod,
    TaskKind,
    TaskStatus,
    VettingLevel,
)

AREAS = ["WX1", "WX2", "WX3", "WX4", "WX5", "WX6"]
# given, surname, kind, areas, capacity, vetting years ago (None: lapsed), extra courses
_FACILITATORS = [
    ("Frank", "Fletcher", FacilitatorKind.VOLUNTEER, ["WX1", "WX2"], 3, 1, [Course.DOMESTIC_ABUSE]),
    ("Grace", "Adeyemi", FacilitatorKind.STAFF, ["WX1", "WX2", "WX3"], 5, 2, [Course.SEXUAL_VIOLENCE]),
    ("Tom", "Hartley", FacilitatorKind.VOLUNTEER, ["WX3", "WX4"], 2, 1, [Course.HATE_CRIME]),
    ("Aisha", "Khan", FacilitatorKind.STAFF, ["WX4", "WX5", "WX6"], 5, 1, [Course.DOMESTIC_ABUSE, Course.HATE_CRIME]),
    ("Bill", "Morgan", FacilitatorKind.VOLUNTEER, ["WX5", "WX6"], 2, 2, []),
    ("Jenny", "Price", FacilitatorKind.VOLUNTEER, ["WX2", "WX3"], 2, None, []),  # vetting lapsed
    ("Owen", "Lewis", FacilitatorKind.VOLUNTEER, ["WX1", "WX6"], 2, 1, [Course.PANEL]),
    ("Ruth", "Bennett", FacilitatorKind.VOLUNTEER, ["WX4"], 1, 1, []),  # away until next month
]
_VENUES = [
    (
        "council",
        "Casterbridge Guildhall, Committee Room 2",
        "High West Street, Casterbridge WX1 1AB",
        "WX1",
        True,
        [0, 1, 2, 3],
    ),
    ("police", "Budmouth Police Station, Community Room", "Esplanade, Budmouth WX4 8QP", "WX4", True, [1, 3]),
    (
        "probation",
        "Sandbourne Probation Office, Interview Suite",
        "Old Road, Sandbourne WX5 2LN",
        "WX5",
        False,
        [0, 2, 4],
    ),
    ("voluntary", "Second Chances Trust Hub", "Mill Street, Melchester WX3 4DE", "WX3", True, [0, 1, 2, 3, 4]),
]
_HARMS = {
    "police": [
        "Criminal damage to a neighbour's car after an argument over parking.",
        "Shop theft; the shop manager wants the young man to understand the effect on staff.",
        "Assault at a bus stop; the victim wants to know why it happened to him.",
    ],
    "probation": [
        "Burglary of the victim's home while she was at work; she has not felt safe since.",
        "Theft from the victim's van; the tools were his livelihood.",
    ],
    "yos": [
        "Graffiti on the community centre by two fifteen-year-olds.",
        "A fight outside school; the other boy's mother asked for a meeting.",
    ],
    "self": ["The victim of a robbery three years ago wants to ask the man in prison why."],
}
_VICTIM_NAMES = [
    "Mrs J. Everdene",
    "Mr G. Oak",
    "Sunita Patel",
    "Mr W. Boldwood",
    "Ms F. Robin",
    "Casterbridge Community Centre",
]
_ACTIONS = [
    "Letter of apology to the victim",
    "Pay £60 towards the repair",
    "Eight hours of reparation with the council's parks team",
    "Attend the victim awareness course",
    "Keep away from the shop for six months",
]


def demo_restorative_create(*, today: dt.date, seed: int, count: int = 50) -> int:
    """Build the service; returns the number of cases."""
    rng = random.Random(seed + 6)
    service = Agency.objects.get(code="wessex-rj")
    coordinator = User.objects.get(username="rj-coordinator")
    with transaction.atomic():
        _register(rng, service, coordinator, today)
        _venues(service, coordinator)
    referrers = {
        "police": User.objects.get(username="officer"),
        "probation": User.objects.get(username="caseworker"),
        "yos": User.objects.get(username="yos-worker"),
        "self": coordinator,
    }
    made = 0
    hour = 9
    for n in range(count):
        kind = rng.choices(list(referrers), weights=[45, 30, 18, 7])[0]
        # The first few are recent, so that the queue and every step of the work have cases in them.
        recent = [0, 1, 2, 5, 8, 10, 14, 18, 22, 26, 30, 36, 42]
        referred_on = today - dt.timedelta(days=recent[n] if n < len(recent) else int(rng.triangular(1, 270, 150)))
        with transaction.atomic():
            case = _refer(rng, kind, referrers[kind], service, referred_on, n)
            if case is None:
                continue
            hour = 9 + (hour - 8) % 8
            _progress(rng, case, coordinator, today, hour, keep=n < len(recent))
        made += 1
    with transaction.atomic():
        _panel(rng, coordinator, today)
    return made


def _register(rng: random.Random, service: Agency, coordinator: User, today: dt.date) -> None:
    user = User.objects.get(username="facilitator")
    for i, (given, surname, kind, areas, capacity, vetted_years, courses) in enumerate(_FACILITATORS):
        vetted_on = today - dt.timedelta(days=365 * (vetted_years or 3) + rng.randint(0, 60))
        expires = vetted_on + dt.timedelta(days=365 * 3)
        if i == 3:  # due for renewal soon: shows as a reminder
            vetted_on, expires = today - dt.timedelta(days=365 * 3 - 40), today + dt.timedelta(days=40)
        facilitator = facilitators.facilitator_save(
            by=coordinator,
            data=facilitators.FacilitatorInput(
                given_name=given,
                surname=surname,
                kind=kind,
                areas=areas,
                capacity=capacity,
                user=user if i == 0 else None,
                available=i != 7,
                unavailable_until=today + dt.timedelta(days=30) if i == 7 else None,
                vetting_level=VettingLevel.NPPV2 if kind == FacilitatorKind.STAFF else VettingLevel.NPPV1,
                vetted_on=vetted_on,
                vetting_expires_on=expires,
            ),
        )
        trained = vetted_on + dt.timedelta(days=30)
        facilitators.training_add(
            by=coordinator,
            facilitator=facilitator,
            course=Course.FOUNDATION,
            completed_on=trained,
            level="Level 3 certificate",
        )
        for course in courses:
            facilitators.training_add(
                by=coordinator,
                facilitator=facilitator,
                course=course,
                completed_on=trained + dt.timedelta(days=90),
                expires_on=trained + dt.timedelta(days=90 + 365 * 3),
                level="Complex and sensitive cases",
            )
        facilitators.supervision_add(
            by=coordinator,
            facilitator=facilitator,
            held_on=today - dt.timedelta(days=rng.randint(5, 80)),
            notes="Case load reviewed; reflective practice on a recent conference.",
        )


def _venues(service: Agency, coordinator: User) -> None:
    for key, name, address, area, step_free, days in _VENUES:
        meetings.venue_save(
            by=coordinator,
            data=meetings.VenueInput(
                lent_by=Agency.objects.get(
                    code={
                        "council": "casterbridge-council",
                        "police": "wessex-police",
                        "probation": "wessex-probation",
                        "voluntary": "second-chances",
                    }[key]
                ),
                name=name,
                address=address,
                area=area,
                step_free=step_free,
                hearing_loop=step_free,
                separate_waiting_rooms=key != "probation",
                available_days=days,
            ),
        )


def _refer(rng: random.Random, kind: str, by: User, service: Agency, referred_on: dt.date, n: int) -> Case | None:
    visible = people_visible_to(by)
    offence = (
        Offence.objects.filter(person__in=visible, offence_date__lt=referred_on, offencevictim__isnull=False)
        .select_related("person")
        .order_by("offence_date")[rng.randint(0, 400) :]
        .first()
    )
    if offence is None:
        return None
    victim_name = rng.choice(_VICTIM_NAMES)
    case_types = []
    if rng.random() < 0.12:
        case_types = [rng.choice([Course.DOMESTIC_ABUSE, Course.HATE_CRIME, Course.SEXUAL_VIOLENCE])]
    stage = {
        "police": Stage.PRE_CHARGE if rng.random() < 0.8 else Stage.ASB,
        "probation": rng.choice([Stage.POST_SENTENCE, Stage.PRE_SENTENCE]),
        "yos": Stage.PRE_CHARGE,
        "self": Stage.POST_SENTENCE,
    }[kind]
    return referrals.referral_create(
        by=by,
        referral=referrals.ReferralInput(
            service=service,
            source={
                "police": Source.POLICE,
                "probation": Source.PROBATION,
                "yos": Source.YOUTH_OFFENDING,
                "self": Source.SELF,
            }[kind],
            stage=stage,
            what_happened=rng.choice(_HARMS[kind]),
            why_referred="The victim asked about meeting the person who harmed them.",
            parties=[
                referrals.PartyInput(role=Role.VICTIM, name=victim_name, phone=f"07700 900{n:03d}"),
                referrals.PartyInput(role=Role.OFFENDER, name="", person=offence.person),
            ],
            offence=offence if kind != "self" else None,
            area=rng.choice(AREAS),
            case_types=case_types,
            referred_on=referred_on,
        ),
    )


def _weekday_on_or_after(day: dt.date, days: list[int]) -> dt.date:
    while day.weekday() not in days:
        day += dt.timedelta(days=1)
    return day


def _progress(rng: random.Random, case: Case, coordinator: User, today: dt.date, hour: int, *, keep: bool) -> None:
    """Take the case as far as its age and its people allow (`keep`: no one drops out, so the
    recent cases show every step)."""

    def drops(chance: float) -> bool:
        return not keep and rng.random() < chance

    start = case.referred_on

    def reached(days: int) -> dt.date | None:
        on = start + dt.timedelta(days=days)
        return on if on <= today else None

    if not reached(3):
        return
    if drops(0.04):
        referrals.referral_ask(
            case=case, by=coordinator, question="Has the victim been told about RJ yet?", on=reached(3)
        )
        return
    if drops(0.08):
        referrals.referral_decline(
            case=case,
            by=coordinator,
            reason="The offender has moved out of the area and is not known to probation.",
            on=reached(3),
        )
        return
    referrals.referral_accept(case=case, by=coordinator, on=reached(3))
    victim = case.parties.get(role=Role.VICTIM)
    offender = case.parties.get(role=Role.OFFENDER)
    if not reached(6):
        return
    referrals.contact_record(
        case=case,
        party=victim,
        by=coordinator,
        method=ContactMethod.PHONE,
        result=ContactResult.SPOKE,
        made_on=reached(6),
    )
    if drops(0.15):
        referrals.consent_record(
            case=case,
            party=victim,
            by=coordinator,
            status=ConsentStatus.DECLINED,
            recorded_on=reached(6),
            note="She would rather put it behind her; thanked for the offer and told she can come back to us.",
        )
        return
    referrals.consent_record(
        case=case, party=victim, by=coordinator, status=ConsentStatus.GIVEN, informed=True, recorded_on=reached(6)
    )
    if not reached(12):
        return
    referrals.contact_record(
        case=case,
        party=offender,
        by=coordinator,
        method=ContactMethod.VISIT,
        result=ContactResult.SPOKE,
        made_on=reached(12),
    )
    if drops(0.15):
        referrals.consent_record(
            case=case,
            party=offender,
            by=coordinator,
            status=ConsentStatus.DECLINED,
            recorded_on=reached(12),
            note="He would not take part. The victim was told by phone, gently, and offered victim support.",
        )
        return
    referrals.consent_record(
        case=case, party=offender, by=coordinator, status=ConsentStatus.GIVEN, informed=True, recorded_on=reached(12)
    )
    if not reached(20):
        return
    case.refresh_from_db()
    unsuitable = drops(0.06)
    assessment.assessment_record(
        case=case,
        by=coordinator,
        ratings={
            f: ("high" if unsuitable and f == "revictimisation" else rng.choice(["low", "low", "medium"]))
            for f in ASSESSMENT_FACTORS
        },
        notes={"revictimisation": "He has contacted her on social media since."} if unsuitable else {},
        case_types=case.case_types,
        decision=AssessmentDecision.NOT_SUITABLE if unsuitable else AssessmentDecision.SUITABLE,
        reasons="A real risk of re-victimisation; the victim was told and offered support." if unsuitable else "",
        assessed_on=reached(20),
    )
    if unsuitable or not reached(24):
        return
    offered = [c for c in allocation.rank_facilitators(case, reached(24)) if c.offered]
    if not offered:
        return  # waits for a trained facilitator with room
    allocation.allocate(case=case, by=coordinator, facilitator=offered[0].facilitator, on=reached(24))
    if not reached(32):
        return
    for party in (victim, offender):
        meetings.preparation_record(
            case=case,
            by=coordinator,
            party=party,
            held_on=reached(32),
            ready=True,
            notes="Talked through what to expect.",
        )
    if drops(0.05):
        referrals.consent_record(
            case=case,
            party=victim,
            by=coordinator,
            status=ConsentStatus.WITHDRAWN,
            recorded_on=reached(33),
            note="She decided she did not want to go on after all; we will not contact her again unless she asks.",
        )
        return
    intervention = rng.choices(
        [Intervention.CONFERENCE, Intervention.SHUTTLE, Intervention.LETTER], weights=[60, 25, 15]
    )[0]
    meeting_day = reached(45)
    if meeting_day is None:
        return
    venue = None
    if intervention == Intervention.CONFERENCE:
        venue = rng.choice(list(Venue.objects.filter(service=case.service)))
        meeting_day = _weekday_on_or_after(meeting_day, venue.available_days)
        if meeting_day > today:
            return
    starts = timezone.make_aware(dt.datetime.combine(meeting_day, dt.time(hour)))
    meeting = meetings.meeting_arrange(
        case=case,
        by=coordinator,
        data=meetings.MeetingInput(
            intervention=intervention,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1, minutes=30),
            venue=venue,
            access_needs_met=True,
            supporters=[meetings.Supporter(name="A friend", supporting=victim)] if rng.random() < 0.4 else [],
        ),
    )
    meetings.meeting_hold(
        meeting=meeting,
        by=coordinator,
        held_on=meeting_day,
        attended=list(meeting.participants.all()),
        notes="Went well; both spoke.",
    )
    for party in (victim, offender):
        if meeting_day + dt.timedelta(days=14) <= today and rng.random() < 0.8:
            surveys.survey_enter(
                case=case,
                party=party,
                by=coordinator,
                method=rng.choice([SurveyMethod.PAPER, SurveyMethod.PHONE]),
                answers=surveys.Answers(
                    satisfaction=rng.choices([5, 4, 3, 2, 1], weights=[50, 35, 8, 5, 2])[0],
                    felt_safe=rng.random() < 0.92,
                    felt_heard=rng.random() < 0.88,
                    would_recommend=rng.random() < 0.85,
                    comments=rng.choice(["", "I got the answers I needed.", "Glad I did it.", "Hard, but worth it."]),
                ),
                on=meeting_day + dt.timedelta(days=14),
            )
    if intervention == Intervention.LETTER:
        meetings.no_agreement_needed(
            case=case,
            by=coordinator,
            reason="The letter was read to the victim; nothing more was asked.",
            on=meeting_day,
        )
    else:
        meetings.agreement_make(
            case=case,
            by=coordinator,
            actions=[
                cases.AgreedAction(description=d, owner=offender.name, due_on=meeting_day + dt.timedelta(days=30))
                for d in rng.sample(_ACTIONS, 2)
            ],
            summary="Both agreed what would put things right.",
            made_on=meeting_day,
        )
        finished = meeting_day + dt.timedelta(days=35)
        if finished > today:
            return
        for action in case.agreement.actions.all():
            done = rng.random() < 0.88
            meetings.agreement_action_finish(
                action=action,
                by=coordinator,
                done=done,
                note="" if done else "Did not attend; the victim was told.",
                on=finished,
            )
    case.refresh_from_db()
    follow_up_on = (case.status_changed_on or meeting_day) + dt.timedelta(days=28)
    if case.status != CaseStatus.FOLLOW_UP or follow_up_on > today:
        return
    for task in case.tasks.filter(kind=TaskKind.FOLLOW_UP, status=TaskStatus.OPEN):
        meetings.follow_up_record(
            task=task,
            by=coordinator,
            method=ContactMethod.PHONE,
            note="Doing well; nothing further needed.",
            on=follow_up_on,
        )
    meetings.case_complete(case=case, by=coordinator, note="Follow-up done with both.")
    Case.objects.filter(pk=case.pk).update(closed_on=follow_up_on, status_changed_on=follow_up_on)


def _panel(rng: random.Random, coordinator: User, today: dt.date) -> None:
    """A Neighbourhood Justice Panel with a sitting last month that heard one low-level case."""
    panel = panels.panel_create(
        by=coordinator,
        name="Casterbridge Neighbourhood Justice Panel",
        area="WX1",
        restorative_options=["Litter picking in the Walks", "Helping at the food bank"],
        members=[
            panels.MemberInput(
                name="Owen Lewis", community_member=True, role="Chair", trained_on=today - dt.timedelta(days=400)
            ),
            panels.MemberInput(name="Margaret Day", community_member=True, trained_on=today - dt.timedelta(days=200)),
            panels.MemberInput(name="PC Olivia Okafor", agency=Agency.objects.get(code="wessex-police"), role="Police"),
        ],
    )
    waiting = panels.rj_waiting_for_panel(user=coordinator)
    if not waiting:
        return
    sitting = panels.sitting_create(
        panel=panel, by=coordinator, sits_on=today - dt.timedelta(days=20), venue="Casterbridge Guildhall"
    )
    listed = panels.case_list(sitting=sitting, by=coordinator, rj_case=waiting[0])
    panels.case_hear(
        panel_case=listed,
        by=coordinator,
        offender_attended=True,
        victim_attended=False,
        notes="He listened to the panel and agreed to put it right.",
        actions=[
            resolution_services.ActionInput(
                kind="reparation_community",
                description="Litter picking in the Walks",
                owner="Owen Lewis",
                due_on=today + dt.timedelta(days=14),
            )
        ],
    )
    if len(waiting) > 1:
        upcoming = panels.sitting_create(
            panel=panel, by=coordinator, sits_on=today + dt.timedelta(days=10), venue="Casterbridge Guildhall"
        )
        panels.case_list(sitting=upcoming, by=coordinator, rj_case=waiting[1])
