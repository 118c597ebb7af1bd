"""Referrals to a restorative justice service and the first steps of a case: making a
referral (from any partner, or the victim), the co-ordinator's queue and decision (accept,
decline, ask for more), the referrer's answer, contacting the parties and their consent, and
closing a case kindly when a party says no.

Every function here checks who is acting, validates, writes in one transaction and audits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import agency_record_ensure, audit_record
from pathways.accounts.models import Agency, AgencyKind, User
from pathways.offending.models import Offence
from pathways.people.models import Person
from pathways.restorative.cases import case_close, case_move, require_case, tasks_cancel
from pathways.restorative.models import Case, ConsentRecord, ContactAttempt, Party, Task
from pathways.restorative.policies import can_coordinate, can_refer
from pathways.restorative.reference import (
    OPEN_STATUSES,
    CaseStatus,
    CaseType,
    ClosureReason,
    ConsentStatus,
    ContactMethod,
    ContactResult,
    Role,
    Source,
    Stage,
    TaskKind,
    TaskStatus,
)


@dataclass
class PartyInput:
    role: str
    name: str
    person: Person | None = None
    phone: str = ""
    email: str = ""
    address: str = ""
    young_person: bool = False
    needs: str = ""


@dataclass
class ReferralInput:
    service: Agency
    source: str
    stage: str
    what_happened: str
    parties: Sequence[PartyInput] = field(default_factory=list)
    why_referred: str = ""
    offence: Offence | None = None
    area: str = ""
    case_types: Sequence[str] = field(default_factory=list)
    referred_on: dt.date | None = None


def next_reference(today: dt.date) -> str:
    prefix = f"RJ-{today:%Y}-"
    last = Case.objects.filter(reference__startswith=prefix).aggregate(m=Max("reference"))["m"]
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:05d}"


def _check(by: User, referral: ReferralInput, today: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if referral.service.kind != AgencyKind.RJ_SERVICE:
        errors["service"] = f"{referral.service.name} is not a restorative justice service"
    if referral.source not in Source.values:
        errors["source"] = "Choose who is referring"
    elif referral.source == Source.SELF and not (can_coordinate(by) and by.agency_id == referral.service.pk):
        errors["source"] = "A victim's own referral is entered by the service's co-ordinators"
    if referral.stage not in Stage.values:
        errors["stage"] = "Choose the stage of the case"
    if not referral.what_happened.strip():
        errors["what_happened"] = "Say briefly what happened"
    unknown = set(referral.case_types) - set(CaseType.values)
    if unknown:
        errors["case_types"] = f"Not a case type: {', '.join(sorted(unknown))}"
    referred_on = referral.referred_on or today
    if referred_on > today:
        errors["referred_on"] = "The referral date cannot be in the future"
    if not referral.parties:
        errors["parties"] = "Name at least one party"
    if referral.stage != Stage.ASB and not any(p.role == Role.VICTIM for p in referral.parties):
        errors["parties"] = "Name the victim: restorative justice starts with what the victim wants"
    visible = people_visible_to(by)
    for number, party in enumerate(referral.parties, start=1):
        if party.role not in Role.values:
            errors["parties"] = f"Party {number}: choose victim or offender"
        elif not party.name.strip() and party.person is None:
            errors["parties"] = f"Party {number}: enter their name"
        elif party.person is not None and not visible.filter(pk=party.person.pk).exists():
            errors["parties"] = f"Party {number}: you may not see this person's record"
    if referral.offence is not None and not visible.filter(pk=referral.offence.person_id).exists():
        errors["offence"] = "You may not see this offence"
    offenders = {p.person.pk for p in referral.parties if p.role == Role.OFFENDER and p.person is not None}
    if referral.offence is not None and offenders and referral.offence.person_id not in offenders:
        errors["offence"] = "The offence is not one of the offender's"
    return errors


@transaction.atomic
def referral_create(*, by: User, referral: ReferralInput, resolution: object | None = None) -> Case:
    """Refer a case to a restorative justice service. Each party with a record is shared with
    the service (so its co-ordinators can see them); the referral waits in the service's queue."""
    if not can_refer(by):
        raise PermissionDenied("Your role does not make restorative justice referrals")
    today = timezone.localdate()
    errors = _check(by, referral, today)
    if errors:
        raise ValidationError(errors)
    referred_on = referral.referred_on or today
    case = Case.objects.create(
        reference=next_reference(referred_on),
        service=referral.service,
        source=referral.source,
        stage=referral.stage,
        referred_on=referred_on,
        referred_by=by,
        referring_agency=by.agency,
        offence=referral.offence,
        resolution=resolution,
        what_happened=referral.what_happened.strip(),
        why_referred=referral.why_referred.strip(),
        area=referral.area.strip(),
        case_types=sorted(set(referral.case_types)),
        status=CaseStatus.REFERRED,
        status_changed_on=referred_on,
    )
    for party in referral.parties:
        person = party.person
        Party.objects.create(
            case=case,
            role=party.role,
            person=person,
            name=party.name.strip() or (person.full_name if person else ""),
            phone=party.phone.strip(),
            email=party.email.strip(),
            address=party.address.strip(),
            young_person=party.young_person,
            needs=party.needs.strip(),
        )
        if person is not None:
            agency_record_ensure(
                person=person,
                agency=referral.service,
                basis=AgencyRecord.Basis.SHARED,
                reason=f"Referred for restorative justice ({case.reference})",
            )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_case",
        object_id=str(case.pk),
        detail={
            "reference": case.reference,
            "service": referral.service.code,
            "source": case.source,
            "stage": case.stage,
            "offence": str(case.offence_id) if case.offence_id else "",
            "people": sorted(str(p.person.pk) for p in referral.parties if p.person is not None),
        },
    )
    return case


# --- Who refers, by default ----------------------------------------------------------

_SOURCE_OF_AGENCY = {
    AgencyKind.POLICE: Source.POLICE,
    AgencyKind.PROBATION: Source.PROBATION,
    AgencyKind.YOUTH_OFFENDING: Source.YOUTH_OFFENDING,
}


def default_source(user: User) -> str:
    """The referral source a referrer's agency usually is (they may choose another)."""
    kind = user.agency.kind if user.agency_id else ""
    return _SOURCE_OF_AGENCY.get(kind, Source.OTHER)


def add_working_days(day: dt.date, days: int) -> dt.date:
    """`days` weekdays after `day`. Bank holidays are not known to Pathways; a due date that
    falls on one is a day generous, which is the safe side for a victim."""
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


# The Code of Practice for Victims of Crime expects victims to be told about restorative
# justice and contacted promptly once a service takes the case; the service's standard is a
# first contact within 5 working days of accepting a referral.
FIRST_CONTACT_WORKING_DAYS = 5
CONTACT_WORKING_DAYS = 5

AWAITING_DECISION = (CaseStatus.REFERRED, CaseStatus.INFO_REQUESTED)


# --- The co-ordinator's queue and decision -------------------------------------------


@dataclass
class QueuedReferral:
    case: Case
    age_days: int


@dataclass
class Queue:
    referrals: list[QueuedReferral]
    open_by_status: list[tuple[str, str, int]]  # status, its label, how many

    @property
    def open_total(self) -> int:
        return sum(count for _, _, count in self.open_by_status)


def coordinator_queue(user: User, *, today: dt.date | None = None) -> Queue:
    """New referrals and those waiting for more information, oldest first (the longest wait is
    the first to see), and the service's open cases counted by step."""
    if not can_coordinate(user):
        raise PermissionDenied("Only the service's co-ordinators see its queue")
    today = today or timezone.localdate()
    cases = Case.objects.filter(service_id=user.agency_id)
    waiting = (
        cases.filter(status__in=AWAITING_DECISION)
        .select_related("referring_agency")
        .order_by("referred_on", "created_at")
    )
    counts = dict(
        cases.filter(status__in=OPEN_STATUSES).values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return Queue(
        referrals=[QueuedReferral(case=c, age_days=(today - c.referred_on).days) for c in waiting],
        open_by_status=[(s.value, s.label, counts[s.value]) for s in OPEN_STATUSES if counts.get(s.value)],
    )


def _decision_audit(by: User, case: Case, **detail: str) -> None:
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="rj_case",
        object_id=str(case.pk),
        detail={"case": case.reference, **detail},
    )


def _awaiting_decision(by: User, case: Case) -> Case:
    case = require_case(by, case, coordinator_only=True)
    if case.status not in AWAITING_DECISION:
        raise ValidationError({"decision": f"{case.reference} has already been decided ({case.get_status_display()})"})
    return case


@transaction.atomic
def referral_accept(*, case: Case, by: User, on: dt.date | None = None) -> Case:
    """Take the case on: the co-ordinator accepting it holds it, and each victim is to be
    contacted first (the victim decides whether anything happens at all)."""
    case = _awaiting_decision(by, case)
    on = on or timezone.localdate()
    case.accepted_on = on
    case.coordinator = by
    case.information_requested = ""
    case.save(update_fields=["accepted_on", "coordinator", "information_requested", "updated_at"])
    case_move(case, CaseStatus.CONTACT, on=on)
    due = add_working_days(on, FIRST_CONTACT_WORKING_DAYS)
    for victim in case.parties.filter(role=Role.VICTIM):
        task = Task.objects.create(
            case=case,
            party=victim,
            kind=TaskKind.FIRST_CONTACT,
            description=f"First contact with {victim.name}: explain restorative justice and ask what they want",
            due_on=due,
            assigned_to=by,
        )
        audit_record(
            user=by,
            action=AuditEvent.Action.CREATE,
            object_type="rj_task",
            object_id=str(task.pk),
            detail={"case": case.reference, "kind": task.kind, "due_on": due.isoformat()},
        )
    _decision_audit(by, case, decision="accepted")
    return case


@transaction.atomic
def referral_decline(*, case: Case, by: User, reason: str, on: dt.date | None = None) -> Case:
    """Decline the referral; the referrer sees that it was declined and why."""
    case = _awaiting_decision(by, case)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the referral is declined: the referrer will see it"})
    case.declined_reason = reason.strip()
    case.coordinator = by
    case.save(update_fields=["declined_reason", "coordinator", "updated_at"])
    tasks_cancel(case, "Referral declined")
    case_move(case, CaseStatus.DECLINED, on=on)
    _decision_audit(by, case, decision="declined")
    return case


@transaction.atomic
def referral_ask(*, case: Case, by: User, question: str, on: dt.date | None = None) -> Case:
    """Ask the referring agency for more before deciding; their answer puts the case back in the queue."""
    case = _awaiting_decision(by, case)
    if not question.strip():
        raise ValidationError({"question": "Say what more information you need"})
    case.information_requested = question.strip()
    case.save(update_fields=["information_requested", "updated_at"])
    case_move(case, CaseStatus.INFO_REQUESTED, on=on)
    _decision_audit(by, case, decision="information requested")
    return case


@transaction.atomic
def referral_answer(*, case: Case, by: User, answer: str, on: dt.date | None = None) -> Case:
    """The referring agency answers the co-ordinator's question. The answer is added to why the
    case was referred, dated, so the co-ordinator reads the whole referral in one place."""
    if not can_refer(by):
        raise PermissionDenied("Your role does not make restorative justice referrals")
    case = Case.objects.select_for_update().filter(pk=case.pk, referring_agency_id=by.agency_id).first()
    if case is None:
        raise PermissionDenied("Only the agency that made the referral may answer")
    if case.status != CaseStatus.INFO_REQUESTED:
        raise ValidationError({"answer": "The service has not asked for more information on this referral"})
    if not answer.strip():
        raise ValidationError({"answer": "Enter the information the service asked for"})
    on = on or timezone.localdate()
    added = f"More information ({on:%-d %B %Y}), asked: {case.information_requested}\n{answer.strip()}"
    case.why_referred = f"{case.why_referred}\n\n{added}".strip()
    case.information_requested = ""
    case.save(update_fields=["why_referred", "information_requested", "updated_at"])
    case_move(case, CaseStatus.REFERRED, on=on)
    _decision_audit(by, case, decision="information given")
    return case


@transaction.atomic
def case_close_by_coordinator(*, case: Case, by: User, reason: str, note: str) -> Case:
    """A co-ordinator closes an open case at any step, saying why."""
    require_case(by, case, coordinator_only=True)
    if not note.strip():
        raise ValidationError({"note": "Say briefly why the case closed and how the parties were told"})
    return case_close(case=case, by=by, reason=reason, note=note)


# --- Contact and consent -------------------------------------------------------------


def _party_of(case: Case, party: Party) -> Party:
    if party.case_id != case.pk:
        raise ValidationError({"party": "This person is not a party to the case"})
    return party


def _finish_contact_tasks(case: Case, party: Party, on: dt.date) -> int:
    return Task.objects.filter(
        case=case, party=party, status=TaskStatus.OPEN, kind__in=[TaskKind.FIRST_CONTACT, TaskKind.CONTACT]
    ).update(status=TaskStatus.DONE, finished_on=on)


@transaction.atomic
def contact_record(
    *,
    case: Case,
    party: Party,
    by: User,
    method: str,
    result: str,
    made_on: dt.date | None = None,
    note: str = "",
) -> ContactAttempt:
    """An attempt to reach a party. Speaking to them does the contact task for them; nothing can
    be recorded on a closed case (no one is contacted after they have said stop)."""
    case = require_case(by, case)
    party = _party_of(case, party)
    made_on = made_on or timezone.localdate()
    errors: dict[str, str] = {}
    if method not in ContactMethod.values:
        errors["method"] = "Choose how you tried to contact them"
    if result not in ContactResult.values:
        errors["result"] = "Choose what happened"
    if made_on > timezone.localdate():
        errors["made_on"] = "The date of the contact cannot be in the future"
    if errors:
        raise ValidationError(errors)
    attempt = ContactAttempt.objects.create(
        case=case, party=party, made_on=made_on, method=method, result=result, note=note.strip(), made_by=by
    )
    finished = _finish_contact_tasks(case, party, made_on) if result == ContactResult.SPOKE else 0
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_contact",
        object_id=str(attempt.pk),
        detail={"case": case.reference, "party": party.role, "result": result, "tasks_done": finished},
    )
    return attempt


def consent_now(party: Party) -> str:
    """A party's consent now: their latest record's status, or '' if none is recorded."""
    latest = party.consents.order_by("-recorded_on", "-created_at").first()
    return latest.status if latest else ""


_CLOSURE_FOR = {
    (Role.VICTIM, ConsentStatus.WITHDRAWN): ClosureReason.VICTIM_WITHDREW,
    (Role.OFFENDER, ConsentStatus.WITHDRAWN): ClosureReason.OFFENDER_WITHDREW,
}


@transaction.atomic
def consent_record(
    *,
    case: Case,
    party: Party,
    by: User,
    status: str,
    informed: bool = False,
    note: str = "",
    recorded_on: dt.date | None = None,
) -> ConsentRecord:
    """Record a party's consent, its refusal, or its withdrawal.

    Taking part is voluntary at every step: a refusal or withdrawal by anyone closes the case
    there and then, cancelling every open task, so no one is contacted about it again."""
    case = require_case(by, case)
    party = _party_of(case, party)
    recorded_on = recorded_on or timezone.localdate()
    errors: dict[str, str] = {}
    if status not in ConsentStatus.values:
        errors["status"] = "Choose whether they consented, declined or withdrew"
    elif status == ConsentStatus.GIVEN and not informed:
        errors["informed"] = "Consent counts only once they have been told what taking part involves"
    elif status == ConsentStatus.WITHDRAWN and consent_now(party) != ConsentStatus.GIVEN:
        errors["status"] = "They have not given consent to withdraw: record that they declined"
    elif status != ConsentStatus.GIVEN and not note.strip():
        errors["note"] = "Say how they told you and how you told them the case will close"
    if recorded_on > timezone.localdate():
        errors["recorded_on"] = "The date cannot be in the future"
    elif recorded_on < case.referred_on:
        errors["recorded_on"] = "The date cannot be before the referral"
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord.objects.create(
        party=party, status=status, recorded_on=recorded_on, informed=informed, note=note.strip(), recorded_by=by
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_consent",
        object_id=str(record.pk),
        detail={"case": case.reference, "party": party.role, "status": status},
    )
    if status != ConsentStatus.GIVEN:
        reason = _CLOSURE_FOR.get((party.role, status), ClosureReason.CONSENT_DECLINED)
        told = f"{party.get_role_display()} {ConsentStatus(status).label.lower()} consent: {note.strip()}"
        case_close(case=case, by=by, reason=reason, note=told, on=recorded_on)
        return record
    parties = list(case.parties.all())
    if party.role == Role.VICTIM:
        _offer_to_offenders(case, parties, by, recorded_on)
    everyone = [p for p in parties if p.role in (Role.VICTIM, Role.OFFENDER)]
    if (
        case.status == CaseStatus.CONTACT
        and any(p.role == Role.VICTIM for p in everyone)
        and all(consent_now(p) == ConsentStatus.GIVEN for p in everyone)
    ):
        case_move(case, CaseStatus.ASSESSMENT, on=recorded_on)
        _decision_audit(by, case, moved="assessment")
    return record


def _offer_to_offenders(case: Case, parties: list[Party], by: User, on: dt.date) -> None:
    """Victim-led: the offender is approached only after the victim says yes, so that a victim
    who says no is never the reason an offender was told about them."""
    due = add_working_days(on, CONTACT_WORKING_DAYS)
    for offender in parties:
        if offender.role != Role.OFFENDER or consent_now(offender):
            continue
        if offender.tasks.filter(status=TaskStatus.OPEN, kind__in=[TaskKind.FIRST_CONTACT, TaskKind.CONTACT]).exists():
            continue
        task = Task.objects.create(
            case=case,
            party=offender,
            kind=TaskKind.CONTACT,
            description=f"Contact {offender.name}: the victim wants to go ahead; ask whether they will take part",
            due_on=due,
            assigned_to=case.coordinator,
        )
        audit_record(
            user=by,
            action=AuditEvent.Action.CREATE,
            object_type="rj_task",
            object_id=str(task.pk),
            detail={"case": case.reference, "kind": task.kind, "due_on": due.isoformat()},
        )
