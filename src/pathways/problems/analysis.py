"""What analysis looks at beside the triangle: repeat victims, repeat locations, and the people
involved. Repeats are counted over the problem's place and period; a person is named only to a
user who may see them (`access.policies.people_visible_to`), and everyone else is a number.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.offending.reference import OffenceGroup
from pathways.people.models import Person
from pathways.problems.models import InvolvedPerson, Problem
from pathways.problems.places import OFFENCES, STREET_CRIME, Incident, Place, incidents
from pathways.sharing.reference import Purpose

REPEAT = 2  # a victim or a location with this many incidents or more is a repeat
# Rounding coordinates to three decimal places puts points within about 100 m together: the
# scale of a shop front or a bus stop, which is what a repeat location is.
COORDINATE_PLACES = 3


@dataclass(frozen=True)
class RepeatVictim:
    person: Person
    incidents: int


@dataclass(frozen=True)
class RepeatVictims:
    named: list[RepeatVictim]  # the ones the user may see, most incidents first
    hidden: int  # repeat victims the user may not see: counted, not named
    total: int
    incidents: int  # incidents against repeat victims, everyone counted

    @property
    def counts(self) -> list[int]:
        return sorted((v.incidents for v in self.named), reverse=True)


@dataclass(frozen=True)
class RepeatLocation:
    label: str
    kind: str  # "location" (police.uk's street), "point" (rounded coordinates) or "area"
    source: str
    incidents: int


# police.uk's crime types, as the offence groups the partnership's offences are recorded in, so
# that a problem about "Drugs" or "Shoplifting" counts the partnership's drug or theft offences.
POLICE_UK_GROUPS: dict[str, tuple[str, ...]] = {
    "bicycle theft": (OffenceGroup.THEFT,),
    "burglary": (OffenceGroup.THEFT,),
    "criminal damage and arson": (OffenceGroup.CRIMINAL_DAMAGE,),
    "drugs": (OffenceGroup.DRUGS,),
    "other crime": (OffenceGroup.MISCELLANEOUS,),
    "other theft": (OffenceGroup.THEFT,),
    "possession of weapons": (OffenceGroup.WEAPONS,),
    "public order": (OffenceGroup.PUBLIC_ORDER,),
    "robbery": (OffenceGroup.ROBBERY,),
    "shoplifting": (OffenceGroup.THEFT,),
    "theft from the person": (OffenceGroup.THEFT,),
    "vehicle crime": (OffenceGroup.THEFT,),
    "violence and sexual offences": (OffenceGroup.VIOLENCE, OffenceGroup.SEXUAL),
}


def _offence_kinds(problem: Problem) -> list[str]:
    """The offence group labels the problem's crime types stand for: offence groups by value or
    label, and police.uk's types by `POLICE_UK_GROUPS` (anti-social behaviour is no offence).
    None found means every group is counted."""
    labels = dict(OffenceGroup.choices)
    by_name = {value: (value,) for value in labels} | {label.lower(): (value,) for value, label in labels.items()}
    by_name |= POLICE_UK_GROUPS
    groups: set[str] = set()
    for wanted in problem.crime_types or ():
        groups.update(by_name.get(str(wanted).strip().lower(), ()))
    return [labels[g] for g in labels if g in groups]


def _street_crime_kinds(problem: Problem) -> list[str]:
    """police.uk's crime types the problem's crime types stand for: police.uk's own by name, and
    an offence group as every police.uk type recorded in that group. None found: every type."""
    from pathways.problems.streetcrime import CRIME_TYPES

    published = {t.lower(): t for t in CRIME_TYPES}
    labels = dict(OffenceGroup.choices)
    group_of = {value: value for value in labels} | {label.lower(): value for value, label in labels.items()}
    types: set[str] = set()
    for wanted in problem.crime_types or ():
        key = str(wanted).strip().lower()
        if key in published:
            types.add(published[key])
        elif key in group_of:
            types.update(published[t] for t, groups in POLICE_UK_GROUPS.items() if group_of[key] in groups)
    return sorted(types)


def problem_kinds(problem: Problem, source: str) -> list[str]:
    """The problem's crime types in the words of `source`: a problem about "Shoplifting" counts
    the partnership's theft offences, and one about theft offences police.uk's thefts."""
    return _offence_kinds(problem) if source == OFFENCES else _street_crime_kinds(problem)


def problem_incidents(problem: Problem, source: str = OFFENCES) -> list[Incident]:
    """The incidents of `source` in the problem's place and period, of its crime types."""
    kinds = problem_kinds(problem, source)
    return incidents(Place.of_problem(problem), problem.period_from, problem.period_to, source=source, kinds=kinds)


def repeat_victims(problem: Problem, user: User, *, found: list[Incident] | None = None) -> RepeatVictims:
    """People who were victims of two or more offences in the problem's place and period."""
    if found is None:
        found = problem_incidents(problem, OFFENCES)
    counts: Counter[uuid.UUID] = Counter()
    for incident in found:
        for victim in set(incident.victim_ids):
            counts[victim] += 1
    repeats = {person_id: n for person_id, n in counts.items() if n >= REPEAT}
    people = {p.pk: p for p in people_visible_to(user).filter(pk__in=list(repeats))}
    named = sorted(
        (RepeatVictim(people[pid], n) for pid, n in repeats.items() if pid in people),
        key=lambda v: (-v.incidents, v.person.surname, v.person.given_name),
    )
    for victim in named:  # each name shown is a read of that person
        audit_record(
            user=user,
            action=AuditEvent.Action.READ,
            object_type="person",
            object_id=str(victim.person.pk),
            purpose=Purpose.CASEWORK,
            detail={"problem": str(problem.pk), "repeat_victim": victim.incidents},
        )
    return RepeatVictims(
        named=named, hidden=len(repeats) - len(named), total=len(repeats), incidents=sum(repeats.values())
    )


def _location_key(incident: Incident) -> tuple[str, str] | None:
    if incident.location:
        return "location", f"{incident.location} ({incident.area_code})" if incident.area_code else incident.location
    if incident.latitude is not None and incident.longitude is not None:
        lat, lon = round(incident.latitude, COORDINATE_PLACES), round(incident.longitude, COORDINATE_PLACES)
        return "point", f"{lat:.{COORDINATE_PLACES}f}, {lon:.{COORDINATE_PLACES}f}"
    if incident.area_code:
        return "area", incident.area_code
    return None


def repeat_locations(
    problem: Problem, *, sources: tuple[str, ...] = (OFFENCES, STREET_CRIME), found: list[Incident] | None = None
) -> list[RepeatLocation]:
    """Places with two or more incidents: police.uk's "On or near" locations, points within
    about 100 m, or (where neither is known) the area. Each source is counted on its own:
    police.uk publishes the same crimes the police send, so adding them would count twice."""
    result = []
    for source in sources:
        rows = [i for i in found if i.source == source] if found is not None else problem_incidents(problem, source)
        counts: Counter[tuple[str, str]] = Counter(k for k in map(_location_key, rows) if k is not None)
        result += [
            RepeatLocation(label=label, kind=kind, source=source, incidents=n)
            for (kind, label), n in counts.items()
            if n >= REPEAT
        ]
    result.sort(key=lambda r: (-r.incidents, r.source, r.label))
    return result


@dataclass(frozen=True)
class PeopleInvolved:
    shown: list[InvolvedPerson]
    hidden: int  # recorded people the user may not see


def people_involved(problem: Problem, user: User) -> PeopleInvolved:
    """The people involved the user may see (each read audited), and how many more there are."""
    rows = list(problem.people.select_related("person", "added_by").order_by("role", "created_at"))
    visible = set(people_visible_to(user).filter(pk__in=[r.person_id for r in rows]).values_list("pk", flat=True))
    shown = [r for r in rows if r.person_id in visible]
    for person_id in {r.person_id for r in shown}:
        audit_record(
            user=user,
            action=AuditEvent.Action.READ,
            object_type="person",
            object_id=str(person_id),
            purpose=Purpose.CASEWORK,
            detail={"problem": str(problem.pk), "involved": True},
        )
    return PeopleInvolved(shown=shown, hidden=len(rows) - len(shown))
