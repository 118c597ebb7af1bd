"""Making a referral and moving it through its statuses (see docs/referrals.md).

    sent → accepted | declined | redirected
    accepted → in contact → closed (with an outcome)
    sent | accepted | in contact → withdrawn (by the referrer)

Each move locks the referral's row (`select_for_update`), checks the move is one its status
allows (`ReferralRefused`, in words, when not), writes a `ReferralEvent` (from, to, who, which
agency, the reason the referrer may read) and an audit event, in one transaction.

Redirect: the receiving agency closes its referral as redirected and opens a new one (status
sent) to the other service, `redirected_from` the first. The new referral is made by the
triaging worker (`referred_by`, and its first event names their agency), but its
`referring_agency` stays the original referrer's: that agency asked for help for the person and
follows what became of it, whichever service ends up helping. The person's consent and the
referrer's reason carry over: the person agreed to be referred for help with these needs, and
the linking service's triage is the help they agreed to.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import agency_record_ensure, audit_record
from pathways.accounts.models import User
from pathways.people.models import Person
from pathways.referrals.models import (
    PATHWAY_CODES,
    Consent,
    ContactRecord,
    ContactRoute,
    Outcome,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Service,
)
from pathways.referrals.policies import can_follow, can_refer, can_triage

S = ReferralStatus
# The moves each status allows.
ALLOWED: dict[str, set[str]] = {
    S.SENT: {S.ACCEPTED, S.DECLINED, S.REDIRECTED, S.WITHDRAWN},
    S.ACCEPTED: {S.IN_CONTACT, S.WITHDRAWN},
    S.IN_CONTACT: {S.CLOSED, S.WITHDRAWN},
    S.DECLINED: set(),
    S.REDIRECTED: set(),
    S.CLOSED: set(),
    S.WITHDRAWN: set(),
}
_DOING = {
    S.ACCEPTED: "accepted",
    S.DECLINED: "declined",
    S.REDIRECTED: "redirected",
    S.IN_CONTACT: "given a contact",
    S.CLOSED: "closed",
    S.WITHDRAWN: "withdrawn",
}


class ReferralRefused(Exception):
    """A move the referral's status does not allow, said in words."""


def _refuse_move(referral: Referral, to: str) -> None:
    if to not in ALLOWED[referral.status]:
        status = ReferralStatus(referral.status).label.lower()
        raise ReferralRefused(f"Referral {referral.reference} is {status}: it cannot be {_DOING[to]} now")


def _audit(by: User, action: str, referral: Referral, **detail: object) -> None:
    audit_record(
        user=by,
        action=action,
        object_type="referral",
        object_id=str(referral.pk),
        detail={"reference": referral.reference, "person": str(referral.person_id), **detail},
    )


def _move(referral: Referral, *, by: User, to: str, reason: str = "", **changes: object) -> Referral:
    """Lock the referral, check the move, change its status (and any other fields), record the
    event and the audit. Call inside a transaction."""
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    _refuse_move(locked, to)
    was = locked.status
    locked.status = to
    locked.status_since = timezone.now()
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save()
    ReferralEvent.objects.create(referral=locked, from_status=was, to_status=to, reason=reason, by=by, agency=by.agency)
    _audit(by, AuditEvent.Action.UPDATE, locked, from_status=was, to_status=to)
    return locked


def _done(referral: Referral, moved: Referral) -> Referral:
    """Keep the caller's object in step with the row just saved."""
    referral.refresh_from_db()
    return moved


def _need_triage(by: User, referral: Referral) -> None:
    if not can_triage(by, referral):
        raise PermissionDenied("Only the receiving agency's caseworkers and supervisors work this referral")


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Say why the referral is {what}"})
    return reason


def _next_reference(year: int) -> str:
    prefix = f"RF-{year}-"
    last = (
        Referral.objects.filter(reference__startswith=prefix).order_by("-reference").values_list("reference", flat=True)
    ).first()
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:05d}"


def _area_code(person: Person) -> str:
    address = person.addresses.filter(is_current=True).exclude(area="").order_by("-created_at").first()
    return address.area if address else ""


def _receivable(service: Service) -> str | None:
    """Why a referral cannot be made to this service through Pathways, or None."""
    if not service.is_active:
        return f"{service.name} no longer takes referrals"
    if service.contact_route != ContactRoute.PATHWAYS or service.receiving_agency_id is None:
        return f"{service.name} does not take referrals through Pathways: {service.get_contact_route_display().lower()}"
    return None


def _create(
    *,
    by: User,
    person: Person,
    service: Service,
    pathways: list[str],
    reason: str,
    consent: str,
    consent_on: dt.date,
    consent_note: str,
    referring_agency_id: object,
    area_code: str,
    redirected_from: Referral | None = None,
    event_reason: str = "",
) -> Referral:
    """Write a sent referral, its first event, the receiving agency's sight of the person and
    the audit. A clash on the reference (two made at once) takes the next number."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                referral = Referral.objects.create(
                    reference=_next_reference(timezone.localdate().year),
                    person=person,
                    service=service,
                    pathways=pathways,
                    reason=reason,
                    consent=consent,
                    consent_recorded_on=consent_on,
                    consent_note=consent_note,
                    referred_by=by,
                    referring_agency_id=referring_agency_id,
                    receiving_agency_id=service.receiving_agency_id,
                    status=S.SENT,
                    status_since=timezone.now(),
                    redirected_from=redirected_from,
                    area_code=area_code,
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - five clashes in a row
        raise ReferralRefused("Could not number the referral: try again")
    ReferralEvent.objects.create(
        referral=referral, from_status="", to_status=S.SENT, reason=event_reason, by=by, agency=by.agency
    )
    # The receiving agency's workers must be able to open the person they are asked to help.
    agency_record_ensure(
        person=person,
        agency=service.receiving_agency,  # type: ignore[arg-type]
        basis=AgencyRecord.Basis.SHARED,
        reason=f"Referral {referral.reference}",
    )
    _audit(
        by,
        AuditEvent.Action.CREATE,
        referral,
        service=str(service.pk),
        receiving_agency=service.receiving_agency.code,  # type: ignore[union-attr]
        consent=consent,
        redirected_from=redirected_from.reference if redirected_from else "",
    )
    return referral


@transaction.atomic
def referral_make(
    *,
    by: User,
    person: Person,
    service: Service,
    pathways: list[str],
    reason: str,
    consent: str,
    consent_note: str = "",
    consent_on: dt.date | None = None,
) -> Referral:
    """Refer a person the user may see to a service that takes referrals through Pathways,
    with the person's consent (the date it was given; "not needed" only with a note of why)."""
    if not can_refer(by):
        raise PermissionDenied("Only officers, supervisors and caseworkers make referrals")
    if not people_visible_to(by).filter(pk=person.pk).exists():
        raise PermissionDenied("You may not see this person")
    errors: dict[str, str] = {}
    why_not = _receivable(service)
    if why_not:
        errors["service"] = why_not
    chosen = list(dict.fromkeys(pathways or []))
    if not chosen:
        errors["pathways"] = "Choose at least one need the referral is for"
    elif any(p not in PATHWAY_CODES for p in chosen):
        errors["pathways"] = "Choose the needs from the list"
    if not (reason or "").strip():
        errors["reason"] = "Say what the person needs help with"
    today = timezone.localdate()
    consent_on = consent_on or today
    if consent not in Consent.values:
        errors["consent"] = "Say whether the person agreed to the referral"
    elif consent == Consent.NOT_NEEDED and not (consent_note or "").strip():
        errors["consent_note"] = "Say why the referral is made without the person's agreement"
    if consent_on > today:
        errors["consent_on"] = "The date of consent cannot be in the future"
    if errors:
        raise ValidationError(errors)
    return _create(
        by=by,
        person=person,
        service=service,
        pathways=[p for p in PATHWAY_CODES if p in chosen],
        reason=reason.strip(),
        consent=consent,
        consent_on=consent_on,
        consent_note=(consent_note or "").strip(),
        referring_agency_id=by.agency_id,
        area_code=_area_code(person),
    )


@transaction.atomic
def referral_accept(*, referral: Referral, by: User) -> Referral:
    _need_triage(by, referral)
    return _done(referral, _move(referral, by=by, to=S.ACCEPTED))


@transaction.atomic
def referral_decline(*, referral: Referral, by: User, reason: str) -> Referral:
    _need_triage(by, referral)
    return _done(referral, _move(referral, by=by, to=S.DECLINED, reason=_reason(reason, "declined")))


@transaction.atomic
def referral_redirect(*, referral: Referral, by: User, to_service: Service, reason: str) -> Referral:
    """Close this referral as redirected and open a new one (sent) to `to_service`; returns the new one."""
    _need_triage(by, referral)
    errors: dict[str, str] = {}
    why_not = _receivable(to_service)
    if why_not:
        errors["to_service"] = why_not
    elif to_service.pk == referral.service_id:
        errors["to_service"] = "Choose a different service from the one the referral was made to"
    if not (reason or "").strip():
        errors["reason"] = "Say why the referral is redirected"
    if errors:
        raise ValidationError(errors)
    reason = reason.strip()
    closed = _move(referral, by=by, to=S.REDIRECTED, reason=f"Redirected to {to_service.name}: {reason}")
    made = _create(
        by=by,
        person=closed.person,
        service=to_service,
        pathways=list(closed.pathways),
        reason=closed.reason,
        consent=closed.consent,
        consent_on=closed.consent_recorded_on,
        consent_note=closed.consent_note,
        referring_agency_id=closed.referring_agency_id,
        area_code=closed.area_code,
        redirected_from=closed,
        event_reason=f"Redirected from {closed.reference} by {by.agency.name}: {reason}",
    )
    referral.refresh_from_db()
    return made


@transaction.atomic
def referral_contact(*, referral: Referral, by: User, on: dt.date, method: str, note: str) -> ContactRecord:
    """Record contact (or an attempt) with the person. The first contact of an accepted referral
    moves it to "in contact"; later ones are recorded without a change of status."""
    _need_triage(by, referral)
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if locked.status not in (S.ACCEPTED, S.IN_CONTACT):
        status = ReferralStatus(locked.status).label.lower()
        raise ReferralRefused(f"Referral {locked.reference} is {status}: accept it before recording contact")
    errors: dict[str, str] = {}
    if method not in ContactRecord.Method.values:
        errors["method"] = "Choose how you were in touch"
    if not (note or "").strip():
        errors["note"] = "Write what happened"
    if on is None:
        errors["on"] = "Enter the date of the contact"
    elif on > timezone.localdate():
        errors["on"] = "The date of the contact cannot be in the future"
    elif on < timezone.localtime(locked.created_at).date():
        errors["on"] = "The contact cannot be before the referral was made"
    if errors:
        raise ValidationError(errors)
    record = ContactRecord.objects.create(referral=locked, on=on, method=method, note=note.strip(), by=by)
    if locked.status == S.ACCEPTED:
        _move(locked, by=by, to=S.IN_CONTACT)
    _audit(by, AuditEvent.Action.CREATE, locked, contact=str(record.pk), method=method)
    referral.refresh_from_db()
    return record


@transaction.atomic
def referral_close(*, referral: Referral, by: User, outcome: str, reason: str = "") -> Referral:
    """Close the referral with its outcome; the reason (optional) is what the referrer reads."""
    _need_triage(by, referral)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose the outcome"})
    outcome_label = Outcome(outcome).label
    said = f"{outcome_label}. {reason.strip()}" if (reason or "").strip() else outcome_label
    return _done(referral, _move(referral, by=by, to=S.CLOSED, reason=said, outcome=outcome))


@transaction.atomic
def referral_withdraw(*, referral: Referral, by: User, reason: str) -> Referral:
    """The referring agency takes the referral back, saying why."""
    if not (can_follow(by, referral) and can_refer(by)):
        raise PermissionDenied("Only the referring agency's workers withdraw a referral")
    return _done(referral, _move(referral, by=by, to=S.WITHDRAWN, reason=_reason(reason, "withdrawn")))


def next_moves(referral: Referral) -> set[str]:
    """The statuses this referral may move to."""
    return set(ALLOWED[referral.status])
