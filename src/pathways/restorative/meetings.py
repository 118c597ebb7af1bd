"""Venues, preparing the parties, the restorative meeting itself, the outcome agreement's
actions, and the follow-up that ends a case.

Every function here checks who is acting (the service's co-ordinators; for a case, also the
facilitators allocated to it, through `cases.require_case`), validates, writes in one
transaction and audits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.restorative import cases
from pathways.restorative.models import (
    Agreement,
    AgreementAction,
    Case,
    ContactAttempt,
    Meeting,
    Participant,
    Party,
    Preparation,
    Task,
    Venue,
)
from pathways.restorative.policies import can_coordinate
from pathways.restorative.reference import (
    ActionStatus,
    CaseStatus,
    ClosureReason,
    ContactMethod,
    ContactResult,
    Intervention,
    MeetingStatus,
    ParticipantRole,
    Role,
    TaskKind,
    TaskStatus,
)

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FOLLOW_UP_AFTER = dt.timedelta(weeks=4)
PANEL_ELSEWHERE = "Neighbourhood Justice Panels are arranged from the panel pages, not here"


# --- Venues -------------------------------------------------------------------------


@dataclass
class VenueInput:
    lent_by: Agency
    name: str
    address: str
    area: str = ""
    step_free: bool = False
    hearing_loop: bool = False
    separate_waiting_rooms: bool = False
    accessibility_notes: str = ""
    available_days: Sequence[int] = ()
    active: bool = True


def _require_coordinator(by: User) -> None:
    if not can_coordinate(by):
        raise PermissionDenied("Only the service's co-ordinators keep the list of venues")


@transaction.atomic
def venue_save(*, by: User, data: VenueInput, venue: Venue | None = None) -> Venue:
    """Add a venue to the service's list, or change one of its own."""
    _require_coordinator(by)
    if venue is not None:
        venue = Venue.objects.select_for_update().get(pk=venue.pk)
        if venue.service_id != by.agency_id:
            raise PermissionDenied("This venue belongs to another service")
    errors = {}
    if not data.name.strip():
        errors["name"] = "Enter the venue's name"
    if not data.address.strip():
        errors["address"] = "Enter the venue's address"
    days = sorted({int(d) for d in data.available_days})
    if any(d < 0 or d > 6 for d in days):
        errors["available_days"] = "Choose days of the week"
    elif data.active and not days:
        errors["available_days"] = "Choose at least one day the venue can be used"
    if errors:
        raise ValidationError(errors)
    values = {
        "lent_by": data.lent_by,
        "name": data.name.strip(),
        "address": data.address.strip(),
        "area": data.area.strip().upper(),
        "step_free": data.step_free,
        "hearing_loop": data.hearing_loop,
        "separate_waiting_rooms": data.separate_waiting_rooms,
        "accessibility_notes": data.accessibility_notes.strip(),
        "available_days": days,
        "active": data.active,
    }
    if venue is None:
        venue = Venue.objects.create(service_id=by.agency_id, **values)
        action = AuditEvent.Action.CREATE
    else:
        for key, value in values.items():
            setattr(venue, key, value)
        venue.save()
        action = AuditEvent.Action.UPDATE
    audit_record(user=by, action=action, object_type="rj_venue", object_id=str(venue.pk), detail={"name": venue.name})
    return venue


# --- Preparation ----------------------------------------------------------------------


def _party_of(case: Case, party: Party, field_name: str = "party") -> Party:
    if party.case_id != case.pk:
        raise ValidationError({field_name: "Choose a party of this case"})
    return party


@transaction.atomic
def preparation_record(
    *, case: Case, by: User, party: Party, held_on: dt.date, ready: bool, notes: str = ""
) -> Preparation:
    """A preparation meeting with one party: what they expect, what they want to say, their
    support, and whether they are ready to go ahead."""
    case = cases.require_case(by, case)
    if case.status != CaseStatus.PREPARATION:
        raise ValidationError({"__all__": "Preparation meetings are recorded once a facilitator has the case"})
    _party_of(case, party)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "The preparation meeting's date cannot be in the future"})
    if not ready and not notes.strip():
        raise ValidationError({"notes": "Say why they are not ready yet and what happens next"})
    preparation = Preparation.objects.create(
        case=case, party=party, held_on=held_on, held_by=by, ready=ready, notes=notes.strip()
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_preparation",
        object_id=str(preparation.pk),
        detail={"case": case.reference, "role": party.role, "ready": ready},
    )
    return preparation


def parties_not_ready(case: Case) -> list[Party]:
    """Parties whose latest preparation meeting did not find them ready (or who have had none)."""
    waiting = []
    for party in case.parties.all():
        latest = party.preparations.order_by("-held_on", "-created_at").first()
        if latest is None or not latest.ready:
            waiting.append(party)
    return waiting


# --- The meeting ----------------------------------------------------------------------


@dataclass
class Supporter:
    name: str
    supporting: Party


@dataclass
class MeetingInput:
    intervention: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    venue: Venue | None = None
    access_needs_met: bool = False
    supporters: Sequence[Supporter] = ()
    professionals: Sequence[str] = field(default_factory=tuple)
    notes: str = ""


def _venue_problems(venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime, case: Case) -> dict[str, str]:
    if venue.service_id != case.service_id:
        return {"venue": "Choose one of the service's venues"}
    if not venue.active:
        return {"venue": f"{venue.name} is no longer in use"}
    local_start = timezone.localtime(starts_at)
    if local_start.weekday() not in venue.available_days:
        days = ", ".join(WEEKDAYS[d] for d in venue.available_days) or "no day at present"
        return {"starts_at": f"{venue.name} is not available on a {WEEKDAYS[local_start.weekday()]} (only {days})"}
    clash = (
        Meeting.objects.filter(venue=venue, status=MeetingStatus.ARRANGED, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        when = timezone.localtime(clash.starts_at)
        return {"starts_at": f"{venue.name} is already booked then, from {when:%-d %B %Y %H:%M}"}
    return {}


@transaction.atomic
def meeting_arrange(*, case: Case, by: User, data: MeetingInput) -> Meeting:
    """Arrange the restorative intervention: a conference at a venue, or a shuttle or letter
    exchange. Every party must first have been prepared and found ready."""
    case = cases.require_case(by, case)
    if data.intervention == Intervention.PANEL:
        raise ValidationError({"intervention": PANEL_ELSEWHERE})
    if data.intervention not in Intervention.values:
        raise ValidationError({"intervention": "Choose the kind of restorative intervention"})
    if case.status != CaseStatus.PREPARATION:
        raise ValidationError({"__all__": "A meeting is arranged once the parties are being prepared"})
    if case.meetings.filter(status=MeetingStatus.ARRANGED).exists():
        raise ValidationError({"__all__": "A meeting is already arranged: postpone or cancel it first"})
    parties = list(case.parties.all())
    roles = {p.role for p in parties}
    if not {Role.VICTIM, Role.OFFENDER} <= roles:
        raise ValidationError({"__all__": "A restorative meeting needs both a victim and an offender on the case"})
    waiting = parties_not_ready(case)
    if waiting:
        names = ", ".join(str(p) for p in waiting)
        raise ValidationError(
            {"__all__": f"Every party needs a preparation meeting that found them ready first: {names}"}
        )
    errors: dict[str, str] = {}
    venue = None
    if data.intervention == Intervention.CONFERENCE:
        if data.venue is None:
            errors["venue"] = "Choose the venue for the conference"
        if data.ends_at is None:
            errors["ends_at"] = "Enter when the conference ends"
        elif data.ends_at <= data.starts_at:
            errors["ends_at"] = "The conference must end after it starts"
        if errors:
            raise ValidationError(errors)
        assert data.venue is not None and data.ends_at is not None
        # Locking the venue makes two co-ordinators booking it at once take turns, so the
        # overlap check below cannot pass for both.
        venue = Venue.objects.select_for_update().get(pk=data.venue.pk)
        errors.update(_venue_problems(venue, data.starts_at, data.ends_at, case))
        # A party's needs are free text (a language, a hearing loss, a wheelchair…), so the
        # service cannot tell whether a venue without step-free access suits them: whoever
        # arranges the meeting must say they have checked.
        if not venue.step_free and any(p.needs.strip() for p in parties) and not data.access_needs_met:
            errors["access_needs_met"] = (
                f"{venue.name} is not step-free and a party has access needs: confirm their needs are met there"
            )
    elif data.ends_at is not None and data.ends_at <= data.starts_at:
        errors["ends_at"] = "The end must be after the start"
    for supporter in data.supporters:
        if not supporter.name.strip():
            errors["supporters"] = "Enter each supporter's name"
        elif supporter.supporting.case_id != case.pk:
            errors["supporters"] = "A supporter supports a party of this case"
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        case=case,
        intervention=data.intervention,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        venue=venue,
        notes=data.notes.strip(),
    )
    for party in parties:
        Participant.objects.create(meeting=meeting, party=party, name=party.name, role=party.role)
    for supporter in data.supporters:
        Participant.objects.create(
            meeting=meeting,
            name=supporter.name.strip(),
            role=ParticipantRole.SUPPORTER,
            supporting=supporter.supporting,
        )
    for name in data.professionals:
        if name.strip():
            Participant.objects.create(meeting=meeting, name=name.strip(), role=ParticipantRole.PROFESSIONAL)
    case.intervention = data.intervention
    case.save(update_fields=["intervention", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_meeting",
        object_id=str(meeting.pk),
        detail={
            "case": case.reference,
            "intervention": data.intervention,
            "venue": str(venue.pk) if venue else "",
            "access_needs_confirmed": data.access_needs_met,
        },
    )
    return meeting


def _require_meeting(by: User, meeting: Meeting) -> Meeting:
    cases.require_case(by, meeting.case)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != MeetingStatus.ARRANGED:
        raise ValidationError({"__all__": f"This meeting is already {meeting.get_status_display().lower()}"})
    return meeting


@transaction.atomic
def meeting_call_off(*, meeting: Meeting, by: User, status: str, reason: str) -> Meeting:
    """Postpone (to be arranged again) or cancel an arranged meeting; either frees the venue."""
    meeting = _require_meeting(by, meeting)
    if status not in (MeetingStatus.POSTPONED, MeetingStatus.CANCELLED):
        raise ValidationError({"status": "Choose to postpone or cancel the meeting"})
    if not reason.strip():
        raise ValidationError({"reason": "Say why, so the parties can be told"})
    meeting.status = status
    label = MeetingStatus(status).label
    meeting.notes = f"{meeting.notes}\n{label}: {reason.strip()}".strip()
    meeting.save(update_fields=["status", "notes", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="rj_meeting",
        object_id=str(meeting.pk),
        detail={"case": meeting.case.reference, "status": status},
    )
    return meeting


@transaction.atomic
def meeting_hold(
    *, meeting: Meeting, by: User, held_on: dt.date, attended: Sequence[Participant], notes: str = ""
) -> Meeting:
    """Record the meeting as held, with who came."""
    meeting = _require_meeting(by, meeting)
    today = timezone.localdate()
    if held_on > today:
        raise ValidationError({"held_on": "A meeting cannot be recorded as held before its date"})
    if held_on < timezone.localtime(meeting.starts_at).date():
        raise ValidationError({"held_on": "The date held is before the date the meeting was arranged for"})
    came = {p.pk for p in attended}
    participants = list(meeting.participants.all())
    if not came <= {p.pk for p in participants}:
        raise ValidationError({"attended": "Choose people invited to this meeting"})
    if meeting.intervention == Intervention.CONFERENCE:
        roles_present = {p.role for p in participants if p.pk in came}
        if not {ParticipantRole.VICTIM, ParticipantRole.OFFENDER} <= roles_present:
            raise ValidationError(
                {"attended": "A conference needs the victim and the offender: record it as postponed instead"}
            )
    for participant in participants:
        participant.attended = participant.pk in came
        participant.save(update_fields=["attended", "updated_at"])
    meeting.status = MeetingStatus.HELD
    meeting.held_on = held_on
    if notes.strip():
        meeting.notes = f"{meeting.notes}\n{notes.strip()}".strip()
    meeting.save(update_fields=["status", "held_on", "notes", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="rj_meeting",
        object_id=str(meeting.pk),
        detail={"case": meeting.case.reference, "status": MeetingStatus.HELD, "attended": len(came)},
    )
    return meeting


def held_meeting(case: Case) -> Meeting | None:
    return case.meetings.filter(status=MeetingStatus.HELD).order_by("-held_on").first()


# --- The agreement and follow-up ------------------------------------------------------


@transaction.atomic
def agreement_make(
    *, case: Case, by: User, actions: Sequence[cases.AgreedAction], summary: str = "", made_on: dt.date | None = None
) -> Agreement:
    """The outcome agreement, which only a held meeting can have reached."""
    locked = cases.require_case(by, case)
    if held_meeting(locked) is None:
        raise ValidationError({"__all__": "Record the meeting as held before its agreement"})
    if locked.status != CaseStatus.PREPARATION:
        raise ValidationError({"__all__": "This case is past the agreement"})
    return cases.agreement_record(case=locked, by=by, actions=actions, summary=summary, made_on=made_on)


def _to_follow_up(case: Case, by: User, on: dt.date) -> None:
    """Move to follow-up: each party is contacted four weeks on, and asked how it went."""
    cases.case_move(case, CaseStatus.FOLLOW_UP, on=on)
    due = on + FOLLOW_UP_AFTER
    for party in case.parties.all():
        cases.task_create(
            case=case,
            by=by,
            kind=TaskKind.FOLLOW_UP,
            party=party,
            due_on=due,
            description=f"Follow up with {party.name or party.get_role_display().lower()}: how are they now?",
        )
    cases.task_create(
        case=case, by=by, kind=TaskKind.SURVEY, due_on=due, description="Ask each party to complete the survey"
    )


@transaction.atomic
def agreement_action_finish(
    *, action: AgreementAction, by: User, done: bool, note: str = "", on: dt.date | None = None
) -> AgreementAction:
    """Mark an agreed action done or not done. When the last is finished the agreement is
    complete and the case moves to follow-up."""
    case = cases.require_case(by, action.agreement.case)
    action = AgreementAction.objects.select_for_update().get(pk=action.pk)
    if action.status != ActionStatus.AGREED:
        raise ValidationError({"__all__": "This action is already marked"})
    if not done and not note.strip():
        raise ValidationError({"note": "Say why it was not done"})
    on = on or timezone.localdate()
    action.status = ActionStatus.DONE if done else ActionStatus.NOT_DONE
    action.finished_on = on
    action.note = note.strip()
    action.save(update_fields=["status", "finished_on", "note", "updated_at"])
    agreement = Agreement.objects.select_for_update().get(pk=action.agreement_id)
    completed = not agreement.actions.filter(status=ActionStatus.AGREED).exists()
    if completed and agreement.completed_on is None:
        agreement.completed_on = on
        agreement.save(update_fields=["completed_on", "updated_at"])
        _to_follow_up(case, by, on)
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="rj_agreement_action",
        object_id=str(action.pk),
        detail={"case": case.reference, "status": action.status, "agreement_complete": completed},
    )
    return action


@transaction.atomic
def no_agreement_needed(*, case: Case, by: User, reason: str, on: dt.date | None = None) -> Case:
    """A held meeting that needed no agreement (a letter received, a shuttle exchange ended)
    goes straight to follow-up."""
    case = cases.require_case(by, case)
    if held_meeting(case) is None:
        raise ValidationError({"__all__": "Record the meeting as held first"})
    if case.status != CaseStatus.PREPARATION or hasattr(case, "agreement"):
        raise ValidationError({"__all__": "This case already has an agreement"})
    if not reason.strip():
        raise ValidationError({"reason": "Say why no agreement was needed"})
    on = on or timezone.localdate()
    _to_follow_up(case, by, on)
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="rj_case",
        object_id=str(case.pk),
        detail={"no_agreement": reason.strip()[:300]},
    )
    return case


@transaction.atomic
def follow_up_record(*, task: Task, by: User, method: str, note: str, on: dt.date | None = None) -> ContactAttempt:
    """The follow-up contact with a party: recorded as a contact, and its task done."""
    case = cases.require_case(by, task.case)
    if task.kind != TaskKind.FOLLOW_UP or task.party is None:
        raise ValidationError({"__all__": "This is not a follow-up task"})
    if method not in ContactMethod.values:
        raise ValidationError({"method": "Choose how you contacted them"})
    if not note.strip():
        raise ValidationError({"note": "Say briefly how they are and anything still to do"})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"made_on": "The contact cannot be in the future"})
    cases.task_finish(task=task, by=by, on=on)
    contact = ContactAttempt.objects.create(
        case=case,
        party=task.party,
        made_on=on,
        method=method,
        result=ContactResult.SPOKE,
        note=note.strip(),
        made_by=by,
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_contact",
        object_id=str(contact.pk),
        detail={"case": case.reference, "follow_up": True},
    )
    return contact


@transaction.atomic
def case_complete(*, case: Case, by: User, note: str = "") -> Case:
    """Close a case whose follow-up is done as completed. An unanswered survey does not hold it
    open (closing cancels that task)."""
    locked = cases.require_case(by, case)
    if locked.status != CaseStatus.FOLLOW_UP:
        raise ValidationError({"__all__": "A case is completed after its follow-up"})
    if locked.tasks.filter(kind=TaskKind.FOLLOW_UP, status=TaskStatus.OPEN).exists():
        raise ValidationError({"__all__": "Record the follow-up with every party first"})
    return cases.case_close(case=locked, by=by, reason=ClosureReason.COMPLETED, note=note)
