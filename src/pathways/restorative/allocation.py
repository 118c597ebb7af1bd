"""Choosing who facilitates a case: every active facilitator of the service ranked, with the
reasons, and the hard rules that keep a case from someone who must not take it.

Hard rules (a facilitator failing any is *not offered*, and `allocate` refuses them):
in-date vetting; in-date foundation training; in-date training for each complex case type on
the case; no declared conflict with a party; available today; below capacity.
Those offered are ranked: covers the case's area, then spare places, then fewer open cases,
then name. The co-ordinator may choose someone other than the first, saying why.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.restorative.cases import case_move, require_case
from pathways.restorative.facilitators import in_date_courses, is_available, open_allocations
from pathways.restorative.models import Allocation, Case, Facilitator
from pathways.restorative.reference import CaseStatus, CaseType, Course


@dataclass
class Candidate:
    facilitator: Facilitator
    offered: bool
    score: int
    reasons: list[str] = field(default_factory=list)
    """What counts for them (shown beside an offered candidate)."""
    refusals: list[str] = field(default_factory=list)
    """Why they are not offered (empty when offered)."""
    covers_area: bool = False
    open_cases: int = 0
    spare: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "facilitator_id": str(self.facilitator.pk),
            "name": self.facilitator.full_name,
            "offered": self.offered,
            "score": self.score,
            "reasons": self.reasons,
            "refusals": self.refusals,
        }


@dataclass
class Pair:
    lead: Candidate
    co: Candidate

    @property
    def both_cover(self) -> bool:
        return self.lead.covers_area and self.co.covers_area

    @property
    def spare(self) -> int:
        return self.lead.spare + self.co.spare


def covers(areas: list[str], case_area: str) -> bool:
    """An area covers the case's if it is the same, or the case's is a full postcode in it
    ('WX3' covers 'WX3 7AB')."""
    wanted = " ".join(case_area.split()).upper()
    if not wanted:
        return False
    return any(wanted == a or wanted.split(" ")[0] == a for a in (x.upper() for x in areas))


def _party_names(case: Case) -> tuple[set[Any], set[str]]:
    people, names = set(), set()
    for party in case.parties.select_related("person"):
        if party.person_id:
            people.add(party.person_id)
            names.add(party.person.full_name.casefold())
        if party.name.strip():
            names.add(" ".join(party.name.split()).casefold())
    return people, names


def _judge(facilitator: Facilitator, case: Case, today: dt.date, people: set[Any], names: set[str]) -> Candidate:
    refusals: list[str] = []
    reasons: list[str] = []
    if not facilitator.vetting_level or not facilitator.vetting_expires_on:
        refusals.append("not vetted")
    elif facilitator.vetting_expires_on <= today:
        refusals.append(f"vetting expired on {facilitator.vetting_expires_on:%-d %B %Y}")
    else:
        reasons.append(f"vetting in date until {facilitator.vetting_expires_on:%-d %B %Y}")
    held = in_date_courses(facilitator.trainings.all(), today)
    if Course.FOUNDATION not in held:
        refusals.append("no in-date foundation training")
    for case_type in case.case_types or []:
        label = CaseType(case_type).label.lower() if case_type in CaseType.values else case_type
        if case_type in held:
            reasons.append(f"trained for {label}")
        else:
            refusals.append(f"no in-date training for {label}")
    for conflict in facilitator.conflicts.all():
        if (conflict.person_id and conflict.person_id in people) or (
            conflict.name and " ".join(conflict.name.split()).casefold() in names
        ):
            refusals.append("has declared a conflict of interest with a party")
            break
    if not is_available(facilitator, today):
        until = facilitator.unavailable_until
        refusals.append(f"unavailable until {until:%-d %B %Y}" if until and until > today else "unavailable")
    # A re-allocation ends the case's current allocation: it does not count against anyone.
    open_cases = open_allocations(facilitator, excluding_case_id=case.pk)
    spare = max(facilitator.capacity - open_cases, 0)
    if open_cases >= facilitator.capacity:
        refusals.append(f"at capacity ({open_cases} of {facilitator.capacity} places taken)")
    else:
        reasons.append(f"{spare} of {facilitator.capacity} places free")
    covering = covers(facilitator.areas or [], case.area)
    if case.area:
        reasons.insert(0, f"covers {case.area}" if covering else f"does not cover {case.area}")
    score = (1000 if covering else 0) + 10 * min(spare, 50) + max(0, 9 - open_cases)
    return Candidate(
        facilitator=facilitator,
        offered=not refusals,
        score=score if not refusals else 0,
        reasons=reasons,
        refusals=refusals,
        covers_area=covering,
        open_cases=open_cases,
        spare=spare,
    )


def rank_facilitators(case: Case, today: dt.date | None = None) -> list[Candidate]:
    """Every active facilitator of the case's service: those offered first, best first; then
    those not offered, by name, each with why."""
    today = today or timezone.localdate()
    people, names = _party_names(case)
    facilitators = Facilitator.objects.filter(service_id=case.service_id, active=True).prefetch_related(
        "trainings", "conflicts"
    )
    candidates = [_judge(f, case, today, people, names) for f in facilitators]
    return sorted(
        candidates,
        key=lambda c: (
            not c.offered,
            not c.covers_area if c.offered else False,
            -c.spare if c.offered else 0,
            c.open_cases if c.offered else 0,
            c.facilitator.surname.casefold(),
            c.facilitator.given_name.casefold(),
        ),
    )


def rank_pairs(case: Case, today: dt.date | None = None, limit: int = 5) -> list[Pair]:
    """For services that work in pairs: two offered facilitators, both covering the area first,
    then the most spare places between them. The better-ranked of the two leads."""
    offered = [c for c in rank_facilitators(case, today) if c.offered]
    pairs = [Pair(lead=a, co=b) for a, b in itertools.combinations(offered, 2)]
    pairs.sort(key=lambda p: (not p.both_cover, -p.spare, p.lead.open_cases + p.co.open_cases, offered.index(p.lead)))
    return pairs[:limit]


@transaction.atomic
def allocate(
    *,
    case: Case,
    by: User,
    facilitator: Facilitator,
    co_facilitator: Facilitator | None = None,
    reason: str = "",
    on: dt.date | None = None,
) -> Allocation:
    """Give the case to a facilitator (and a co-facilitator). Each must be offered now: the
    ranking is worked out again here, with the facilitators locked, so two co-ordinators
    allocating at once cannot take someone past their capacity."""
    case = require_case(by, case, coordinator_only=True)
    today = on or timezone.localdate()
    if case.status not in (CaseStatus.ALLOCATION, CaseStatus.PREPARATION):
        raise ValidationError({"__all__": "A facilitator is allocated once the case has been assessed as suitable"})
    if co_facilitator is not None and co_facilitator.pk == facilitator.pk:
        raise ValidationError({"co_facilitator": "Choose a different person as co-facilitator"})
    chosen = [f for f in (facilitator, co_facilitator) if f is not None]
    list(Facilitator.objects.select_for_update().filter(pk__in=[f.pk for f in chosen]).order_by("pk"))
    ranking = rank_facilitators(case, today)
    by_id = {c.facilitator.pk: c for c in ranking}
    for field_name, person in (("facilitator", facilitator), ("co_facilitator", co_facilitator)):
        if person is None:
            continue
        candidate = by_id.get(person.pk)
        if candidate is None:
            raise ValidationError({field_name: f"{person.full_name} is not an active facilitator of this service"})
        if not candidate.offered:
            raise ValidationError(
                {field_name: f"{person.full_name} cannot take this case: {'; '.join(candidate.refusals)}"}
            )
    if co_facilitator is None:
        first_choice = bool(ranking) and ranking[0].facilitator.pk == facilitator.pk
    else:
        pairs = rank_pairs(case, today, limit=1)
        first_choice = bool(pairs) and {pairs[0].lead.facilitator.pk, pairs[0].co.facilitator.pk} == {
            facilitator.pk,
            co_facilitator.pk,
        }
    if not first_choice and not reason.strip():
        raise ValidationError({"reason": "Say why you chose someone other than the first ranked"})
    ended = Allocation.objects.filter(case=case, ended_on__isnull=True).update(ended_on=today)
    allocation = Allocation.objects.create(
        case=case,
        facilitator=facilitator,
        co_facilitator=co_facilitator,
        allocated_on=today,
        allocated_by=by,
        ranking=[c.snapshot() for c in ranking],
        reason=reason.strip(),
    )
    if case.status != CaseStatus.PREPARATION:
        case_move(case, CaseStatus.PREPARATION, on=today)
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_allocation",
        object_id=str(allocation.pk),
        detail={
            "case": case.reference,
            "facilitator": str(facilitator.pk),
            "co_facilitator": str(co_facilitator.pk) if co_facilitator else "",
            "first_choice": first_choice,
            "reallocation": bool(ended),
        },
    )
    return allocation


def current_allocation(case: Case) -> Allocation | None:
    return (
        case.allocations.filter(ended_on__isnull=True)
        .select_related("facilitator", "co_facilitator", "allocated_by")
        .first()
    )
