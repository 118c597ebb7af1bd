"""The facilitator register: the service's staff and volunteer facilitators, their vetting and
training (with reminders before either runs out), their supervision and declared conflicts of
interest.

A vetting clearance or a training course is *in date* on a day when it expires after that day:
on its expiry date it no longer counts. The same rule decides whom a case may be offered to
(`allocation`), so the register's warnings and the allocation list never disagree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, Role, User
from pathways.people.models import Person
from pathways.restorative.models import Allocation, Conflict, Facilitator, SupervisionSession, Training
from pathways.restorative.policies import can_coordinate
from pathways.restorative.reference import CaseStatus, Course, FacilitatorKind, VettingLevel

# Co-ordinators book refresher training and re-vetting weeks ahead: warn two months before.
REMINDER_DAYS = 60


class Reminder(NamedTuple):
    """Something of a facilitator's that runs out: `what` in the users' words, the date, and
    whether it has already run out."""

    facilitator: Facilitator
    what: str
    date: dt.date | None
    expired: bool


def _require_coordinator(by: User, service: Agency | None = None) -> None:
    if not can_coordinate(by) or (service is not None and by.agency_id != service.pk):
        raise PermissionDenied("Only the service's co-ordinators keep the facilitator register")


def facilitators_of(user: User) -> QuerySet[Facilitator]:
    """The register the user keeps: their own service's facilitators (none for anyone else)."""
    if not can_coordinate(user):
        return Facilitator.objects.none()
    return Facilitator.objects.filter(service_id=user.agency_id)


def find_facilitator(user: User, facilitator_id: uuid.UUID | str) -> Facilitator:
    """One facilitator of the user's service; another service's is not found."""
    found = facilitators_of(user).filter(pk=facilitator_id).first()
    if found is None:
        raise Http404("No such facilitator")
    return found


def vetting_in_date(facilitator: Facilitator, today: dt.date) -> bool:
    return bool(facilitator.vetting_level and facilitator.vetting_expires_on and facilitator.vetting_expires_on > today)


def training_in_date(training: Training, today: dt.date) -> bool:
    return training.completed_on <= today and (training.expires_on is None or training.expires_on > today)


def in_date_courses(trainings: Iterable[Training], today: dt.date) -> dict[str, dt.date | None]:
    """Each course held in date, with when it runs out (None: it never does)."""
    held: dict[str, dt.date | None] = {}
    for training in trainings:
        if not training_in_date(training, today):
            continue
        if training.course in held and (held[training.course] is None or training.expires_on is None):
            held[training.course] = None
        elif training.course in held:
            held[training.course] = max(held[training.course], training.expires_on)  # type: ignore[type-var]
        else:
            held[training.course] = training.expires_on
    return held


def open_allocations(facilitator: Facilitator, *, excluding_case_id: uuid.UUID | None = None) -> int:
    """Cases the facilitator holds now (as lead or co-facilitator) that are still open."""
    found = Allocation.objects.filter(
        Q(facilitator=facilitator) | Q(co_facilitator=facilitator), ended_on__isnull=True
    ).exclude(case__status__in=[CaseStatus.CLOSED, CaseStatus.DECLINED])
    if excluding_case_id is not None:
        found = found.exclude(case_id=excluding_case_id)
    return found.values("case_id").distinct().count()


def is_available(facilitator: Facilitator, today: dt.date) -> bool:
    return facilitator.available and not (facilitator.unavailable_until and facilitator.unavailable_until > today)


def reminders_for(facilitator: Facilitator, today: dt.date) -> list[Reminder]:
    """What has run out or runs out within `REMINDER_DAYS`. Only the latest of each course
    counts: an old certificate that has been renewed is not a warning."""
    soon = today + dt.timedelta(days=REMINDER_DAYS)
    found: list[Reminder] = []
    if not facilitator.vetting_level or not facilitator.vetting_expires_on:
        found.append(Reminder(facilitator, "Not vetted", None, True))
    elif facilitator.vetting_expires_on <= soon:
        label = VettingLevel(facilitator.vetting_level).label
        found.append(
            Reminder(
                facilitator,
                f"Vetting ({label})",
                facilitator.vetting_expires_on,
                facilitator.vetting_expires_on <= today,
            )
        )
    latest: dict[str, Training] = {}
    for training in facilitator.trainings.all():
        best = latest.get(training.course)
        if best is None or (
            best.expires_on is not None and (training.expires_on is None or training.expires_on > best.expires_on)
        ):
            latest[training.course] = training
    for course, training in sorted(latest.items()):
        if training.expires_on is not None and training.expires_on <= soon:
            found.append(
                Reminder(
                    facilitator, f"Training: {Course(course).label}", training.expires_on, training.expires_on <= today
                )
            )
    return found


def expiry_reminders(service: Agency, today: dt.date | None = None) -> list[Reminder]:
    """Every active facilitator's vetting or training that has run out or runs out soon, the
    soonest first (run-out ones first of all): the co-ordinator's list of things to book."""
    today = today or timezone.localdate()
    rows: list[Reminder] = []
    for facilitator in Facilitator.objects.filter(service=service, active=True).prefetch_related("trainings"):
        rows.extend(reminders_for(facilitator, today))
    return sorted(rows, key=lambda r: (not r.expired, r.date or dt.date.min, r.facilitator.full_name))


@dataclass
class FacilitatorInput:
    given_name: str
    surname: str
    kind: str
    capacity: int = 2
    areas: list[str] = field(default_factory=list)
    user: User | None = None
    available: bool = True
    unavailable_until: dt.date | None = None
    vetting_level: str = ""
    vetted_on: dt.date | None = None
    vetting_expires_on: dt.date | None = None
    active: bool = True
    notes: str = ""


def parse_areas(text: str) -> list[str]:
    """'wx3, WX4 ,,wx3' → ['WX3', 'WX4']: areas are compared without regard to case."""
    seen: list[str] = []
    for part in text.split(","):
        area = " ".join(part.split()).upper()
        if area and area not in seen:
            seen.append(area)
    return seen


def _validate(service: Agency, data: FacilitatorInput, facilitator: Facilitator | None) -> None:
    errors: dict[str, str] = {}
    if not data.given_name.strip():
        errors["given_name"] = "Enter their first name"
    if not data.surname.strip():
        errors["surname"] = "Enter their last name"
    if data.kind not in FacilitatorKind.values:
        errors["kind"] = "Choose staff or volunteer"
    if data.capacity < 0 or data.capacity > 50:
        errors["capacity"] = "Capacity is the number of open cases they can hold, from 0 to 50"
    if data.user is not None:
        if data.user.agency_id != service.pk or not data.user.has_role(Role.FACILITATOR):
            errors["user"] = "The sign-in must be a user of this service with the facilitator role"
        elif Facilitator.objects.filter(user=data.user).exclude(pk=getattr(facilitator, "pk", None)).exists():
            errors["user"] = "That sign-in already belongs to another facilitator"
    vetting = [data.vetting_level, data.vetted_on, data.vetting_expires_on]
    if any(vetting) and not all(vetting):
        errors["vetting_level"] = "Give the vetting level, the date of vetting and its expiry date, or none of them"
    elif data.vetting_level and data.vetting_level not in VettingLevel.values:
        errors["vetting_level"] = "Choose a vetting level"
    elif data.vetted_on and data.vetting_expires_on and data.vetting_expires_on <= data.vetted_on:
        errors["vetting_expires_on"] = "The vetting expiry date must be after the date of vetting"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def facilitator_save(*, by: User, data: FacilitatorInput, facilitator: Facilitator | None = None) -> Facilitator:
    """Add a facilitator to the by-user's service, or change one already on it."""
    service = by.agency if facilitator is None else facilitator.service
    _require_coordinator(by, service)
    _validate(service, data, facilitator)
    values = {
        "given_name": data.given_name.strip(),
        "surname": data.surname.strip(),
        "kind": data.kind,
        "capacity": data.capacity,
        "areas": [a.upper() for a in data.areas],
        "user": data.user,
        "available": data.available,
        "unavailable_until": data.unavailable_until,
        "vetting_level": data.vetting_level,
        "vetted_on": data.vetted_on,
        "vetting_expires_on": data.vetting_expires_on,
        "active": data.active,
        "notes": data.notes.strip(),
    }
    if facilitator is None:
        facilitator = Facilitator.objects.create(service=service, **values)
        action = AuditEvent.Action.CREATE
    else:
        facilitator = Facilitator.objects.select_for_update().get(pk=facilitator.pk)
        for name, value in values.items():
            setattr(facilitator, name, value)
        facilitator.save()
        action = AuditEvent.Action.UPDATE
    audit_record(
        user=by,
        action=action,
        object_type="rj_facilitator",
        object_id=str(facilitator.pk),
        detail={"vetting_expires_on": str(facilitator.vetting_expires_on or ""), "capacity": facilitator.capacity},
    )
    return facilitator


@transaction.atomic
def training_add(
    *,
    by: User,
    facilitator: Facilitator,
    course: str,
    completed_on: dt.date,
    expires_on: dt.date | None = None,
    level: str = "",
) -> Training:
    _require_coordinator(by, facilitator.service)
    if course not in Course.values:
        raise ValidationError({"course": "Choose the course"})
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "The completion date cannot be in the future"})
    if expires_on is not None and expires_on <= completed_on:
        raise ValidationError({"expires_on": "The expiry date must be after the completion date"})
    training = Training.objects.create(
        facilitator=facilitator, course=course, level=level.strip(), completed_on=completed_on, expires_on=expires_on
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_training",
        object_id=str(training.pk),
        detail={"facilitator": str(facilitator.pk), "course": course, "expires_on": str(expires_on or "")},
    )
    return training


@transaction.atomic
def supervision_add(*, by: User, facilitator: Facilitator, held_on: dt.date, notes: str = "") -> SupervisionSession:
    """A supervision session, held by the co-ordinator recording it."""
    _require_coordinator(by, facilitator.service)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "Record a supervision session once it has been held"})
    session = SupervisionSession.objects.create(
        facilitator=facilitator, held_on=held_on, supervisor=by, notes=notes.strip()
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_supervision",
        object_id=str(session.pk),
        detail={"facilitator": str(facilitator.pk)},
    )
    return session


@transaction.atomic
def conflict_declare(
    *,
    by: User,
    facilitator: Facilitator,
    description: str,
    person: Person | None = None,
    name: str = "",
    declared_on: dt.date | None = None,
) -> Conflict:
    """A conflict of interest: a person on record (one the service may see), or a name. A case
    with that person or name among its parties is never offered to the facilitator."""
    _require_coordinator(by, facilitator.service)
    if person is None and not name.strip():
        raise ValidationError({"name": "Choose the person or enter the name of who or what the conflict is with"})
    if person is not None and not people_visible_to(by).filter(pk=person.pk).exists():
        raise ValidationError({"person": "Choose a person the service has a record of"})
    if not description.strip():
        raise ValidationError({"description": "Describe the conflict of interest"})
    conflict = Conflict.objects.create(
        facilitator=facilitator,
        person=person,
        name=" ".join(name.split()),
        description=description.strip(),
        declared_on=declared_on or timezone.localdate(),
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_conflict",
        object_id=str(conflict.pk),
        detail={"facilitator": str(facilitator.pk), "person": str(person.pk) if person else ""},
    )
    return conflict
