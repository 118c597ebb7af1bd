"""Out-of-court resolutions for the demo partnership, made through the real services.

Some sixty recent incidents resolved by Wessex Police officers over the last six months: most
decided as recommended, some decided differently with a reason, a few waiting for the
sergeant's review; actions done, not done or still due; victims told and asked how satisfied
they are. The services date everything today, so the demo moves each resolution back to when
it happened (synthetic data only)."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from pathways.access.models import AgencyRecord
from pathways.access.policies import sharing_view
from pathways.accounts.models import Agency, User
from pathways.offending.models import Offence, OffenceOutcome
from pathways.offending.reference import OFFENCE_TYPES_BY_CODE
from pathways.people.models import Person
from pathways.resolutions import engine, services
from pathways.resolutions.models import Resolution, ResolutionAction, ResolutionVictim
from pathways.resolutions.reference import (
    ROUTE_ORDER,
    ROUTES_WITH_ACTIONS,
    ActionKind,
    ActionStatus,
    Admission,
    Route,
    Status,
    VictimWants,
)
from pathways.sharing.reference import Purpose

_INCIDENTS = ["46", "46", "46", "58C", "58A", "105A", "9A", "149", "92D", "44", "49", "8L"]
_WANTS = [
    VictimWants.RESOLUTION,
    VictimWants.RESOLUTION,
    VictimWants.MEETING,
    VictimWants.PROSECUTION,
    VictimWants.NO_ACTION,
]
_VICTIMS = ["Quickmart Stores", "Budmouth Co-operative", "Mrs A. Hardy", "Mr D. Oak", "Casterbridge Leisure Centre"]
_OVERRIDE_REASONS = [
    "The victim asked to meet him and he agreed straight away",
    "First contact with police; very remorseful, parents present",
    "Third incident at the same shop this month; the manager wants it taken further",
]


def demo_resolutions_create(*, today: dt.date, seed: int, count: int = 60) -> int:
    rng = random.Random(seed)
    police = Agency.objects.get(code="wessex-police")
    officer = User.objects.get(username="officer")
    sergeant = User.objects.get(username="supervisor")
    view = sharing_view(officer, Purpose.COMMUNITY_RESOLUTION)
    held = AgencyRecord.objects.filter(agency=police).values("person_id")
    candidates = list(Person.objects.filter(pk__in=held, date_of_birth__isnull=False).order_by("id")[:4000])
    made = 0
    for person in rng.sample(candidates, min(count, len(candidates))):
        when = today - dt.timedelta(days=rng.randint(3, 180))
        if person.date_of_birth and (when - person.date_of_birth).days < 10 * 366:
            continue
        with transaction.atomic():
            _one(rng, person, when, made, police, officer, sergeant, view, today)
        made += 1
    return made


def _one(rng, person, when, n, police, officer, sergeant, view, today) -> None:  # type: ignore[no-untyped-def]
    code = rng.choice(_INCIDENTS)
    kind = OFFENCE_TYPES_BY_CODE[code]
    wants = rng.choice(_WANTS) if kind.has_victim else VictimWants.NO_VICTIM
    resolution = services.resolution_start(
        by=officer,
        person=person,
        view=view,
        incident=services.NewIncident(
            reference=f"WX/OOC/{when:%y}/{n + 1:04d}",
            offence_date=when,
            offence_code=code,
            offence_group=kind.group,
            area=rng.choice(["Casterbridge", "Budmouth", "Sandbourne", "Melchester"]),
        ),
        admission=rng.choices(list(Admission), weights=[85, 10, 5])[0],
        victims=[
            services.VictimInput(
                name="" if wants == VictimWants.NO_VICTIM else rng.choice(_VICTIMS),
                wants=wants,
                wishes="" if wants == VictimWants.NO_VICTIM else "Wants an apology and for it not to happen again",
            )
        ],
        aggravating=["intoxicated"] if rng.random() < 0.15 else [],
        mitigating=["remorse"] if rng.random() < 0.2 else [],
        flags=["domestic_abuse"] if rng.random() < 0.05 else [],
    )
    route, reason = resolution.recommended_route, ""
    if rng.random() < 0.15:
        rank = ROUTE_ORDER.index(route) + rng.choice([-1, 1])
        candidate = ROUTE_ORDER[max(1, min(rank, len(ROUTE_ORDER) - 1))]
        if candidate != route and not engine.decision_refused(services.recommendation_of(resolution), candidate):
            route, reason = candidate, rng.choice(_OVERRIDE_REASONS)
    due = timezone.localdate() + dt.timedelta(days=28)
    actions = []
    if route in (Route.STREET_CR, Route.LEVEL_1):
        actions.append(
            services.ActionInput(
                kind=ActionKind.APOLOGY_LETTER, description="Letter of apology", owner=officer.display_name, due_on=due
            )
        )
        if rng.random() < 0.4:
            actions.append(
                services.ActionInput(
                    kind=ActionKind.COMMUNITY_REMEDY,
                    code="parks_reparation",
                    description="Reparation in parks with the council's environmental services",
                    owner="Casterbridge District Council",
                    due_on=due,
                )
            )
    resolution = services.resolution_decide(
        resolution=resolution, by=officer, route=route, override_reason=reason, actions=actions
    )
    if resolution.status == Status.AWAITING_REVIEW and rng.random() < 0.7:
        resolution = services.resolution_review(resolution=resolution, by=sergeant, approve=True)
    decided = when + dt.timedelta(days=rng.randint(0, 2))
    if resolution.status not in (Status.AWAITING_REVIEW, Status.DRAFT) and resolution.route in ROUTES_WITH_ACTIONS:
        for action in resolution.actions.all():
            if (today - decided).days > 30 and rng.random() < 0.9:
                done = rng.random() < 0.85
                services.action_finish(
                    action=action,
                    by=officer,
                    done=done,
                    on=timezone.localdate(),
                    note="" if done else "Did not turn up, and did not answer calls",
                )
        for victim in resolution.victims.exclude(wants=VictimWants.NO_VICTIM):
            if rng.random() < 0.8:
                services.victim_told(
                    victim=victim,
                    by=officer,
                    on=timezone.localdate(),
                    satisfaction=rng.choice([5, 4, 4, 4, 3, 2, None]),
                )
    _move_back(resolution, decided, today, rng)


def _move_back(resolution: Resolution, decided: dt.date, today: dt.date, rng: random.Random) -> None:
    """Date the resolution's steps from the day it was decided, as if recorded then."""
    at = timezone.make_aware(dt.datetime.combine(decided, dt.time(rng.randint(8, 21), rng.randint(0, 59))))
    finished = min(decided + dt.timedelta(days=rng.randint(7, 28)), today)
    Resolution.objects.filter(pk=resolution.pk).update(
        decided_at=at if resolution.decided_at else None,
        reviewed_at=at + dt.timedelta(hours=20) if resolution.reviewed_at else None,
        completed_on=finished if resolution.completed_on else None,
        created_at=at,
    )
    OffenceOutcome.objects.filter(offence=resolution.offence_id).update(outcome_date=decided)
    Offence.objects.filter(pk=resolution.offence_id).update(created_at=at)
    ResolutionAction.objects.filter(resolution=resolution).update(due_on=decided + dt.timedelta(days=28))
    ResolutionAction.objects.filter(resolution=resolution).exclude(status=ActionStatus.AGREED).update(
        finished_on=finished
    )
    ResolutionVictim.objects.filter(resolution=resolution, told_outcome_on__isnull=False).update(
        told_outcome_on=min(finished + dt.timedelta(days=2), today)
    )
