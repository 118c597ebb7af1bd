"""Writes for information sharing: agreements, consent, restrictions, break-glass access.

Every change is audited; each rule is checked here, not in the views.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import can_record_consent, is_data_protection_lead, purposes_for
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.people.models import Person, PersonIdentifier
from pathways.people.reference import normalise_pnc
from pathways.sharing.models import Agreement, BreakGlassAccess, Consent, Restriction, Signatory
from pathways.sharing.reference import Category, LawfulBasis, Purpose

BREAK_GLASS_HOURS = 24
MIN_REASON_LENGTH = 20


def _require_dpo(user: User) -> None:
    if not is_data_protection_lead(user):
        raise PermissionDenied("Only a data protection lead may do this")


def _check_agreement(values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not values.get("purposes"):
        errors["purposes"] = "Select at least one purpose"
    elif set(values["purposes"]) - set(Purpose.values):
        errors["purposes"] = "Unknown purpose"
    if not values.get("categories"):
        errors["categories"] = "Select at least one category of information"
    elif set(values["categories"]) - set(Category.values):
        errors["categories"] = "Unknown category"
    if values.get("lawful_basis") not in LawfulBasis.values:
        errors["lawful_basis"] = "Select the lawful basis"
    end, start = values.get("end_date"), values.get("start_date")
    if end and start and end < start:
        errors["end_date"] = "The end date must be on or after the start date"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def agreement_save(
    *, by: User, parties: Iterable[Agency], agreement: Agreement | None = None, **values: Any
) -> Agreement:
    """Create or change an agreement. An agreement needs at least two parties."""
    _require_dpo(by)
    parties = list(parties)
    if len({p.pk for p in parties}) < 2:
        raise ValidationError({"parties": "An agreement needs at least two agencies"})
    _check_agreement(values)
    created = agreement is None
    agreement = agreement or Agreement(created_by=by)
    for name, value in values.items():
        setattr(agreement, name, value)
    agreement._history_user = by
    agreement.full_clean()
    agreement.save()
    agreement.parties.set(parties)
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        object_type="agreement",
        object_id=str(agreement.pk),
        detail={
            "reference": agreement.reference,
            "parties": sorted(p.code for p in parties),
            "purposes": agreement.purposes,
            "categories": agreement.categories,
        },
    )
    return agreement


@transaction.atomic
def signatory_add(
    *, by: User, agreement: Agreement, agency: Agency, name: str, job_title: str, signed_on: dt.date
) -> Signatory:
    _require_dpo(by)
    if not agreement.parties.filter(pk=agency.pk).exists():
        raise ValidationError({"agency": f"{agency.name} is not a party to this agreement"})
    signatory = Signatory(agreement=agreement, agency=agency, name=name, job_title=job_title, signed_on=signed_on)
    signatory.full_clean()
    signatory.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="agreement",
        object_id=str(agreement.pk),
        detail={"signatory": name, "agency": agency.code},
    )
    return signatory


@transaction.atomic
def consent_record(
    *, by: User, person: Person, purpose: str, status: str, recorded_on: dt.date, note: str = ""
) -> Consent:
    if not can_record_consent(by):
        raise PermissionDenied("Your role does not record consent")
    if recorded_on > timezone.localdate():
        raise ValidationError({"recorded_on": "The date consent was recorded cannot be in the future"})
    consent = Consent(
        person=person,
        purpose=purpose,
        status=status,
        recorded_on=recorded_on,
        recorded_by=by,
        agency=by.agency,
        note=note,
    )
    consent.full_clean()
    consent.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="consent",
        object_id=str(person.pk),
        detail={"purpose": purpose, "status": status, "recorded_on": recorded_on.isoformat()},
    )
    return consent


@transaction.atomic
def restriction_place(*, by: User, person: Person, reason: str, allowed_users: Iterable[User]) -> Restriction:
    _require_dpo(by)
    allowed = list(allowed_users)
    if not allowed:
        raise ValidationError({"allowed_users": "Name at least one user who may still see the record"})
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": f"Give a reason of at least {MIN_REASON_LENGTH} characters"})
    Restriction.objects.filter(person=person, lifted_at__isnull=True).update(lifted_at=timezone.now(), lifted_by=by)
    restriction = Restriction.objects.create(person=person, reason=reason.strip(), placed_by=by)
    restriction.allowed_users.set(allowed)
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="person",
        object_id=str(person.pk),
        detail={"restriction": "placed", "allowed_users": sorted(u.username for u in allowed)},
    )
    return restriction


@transaction.atomic
def restriction_lift(*, by: User, restriction: Restriction) -> Restriction:
    _require_dpo(by)
    restriction.lifted_at = timezone.now()
    restriction.lifted_by = by
    restriction.save(update_fields=["lifted_at", "lifted_by", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="person",
        object_id=str(restriction.person_id),
        detail={"restriction": "lifted"},
    )
    return restriction


def _find_by_identifier(identifier: str) -> Person | None:
    value = identifier.strip()
    found = PersonIdentifier.objects.filter(value__in={value, normalise_pnc(value)}).select_related("person").first()
    return found.person if found else None


@transaction.atomic
def break_glass_open(*, by: User, identifier: str, reason: str, purpose: str) -> BreakGlassAccess | None:
    """Open a record outside the user's scope in an emergency. The reason is required, the access
    lasts 24 hours, is flagged in the audit trail and waits in the data protection lead's queue.
    A restricted record cannot be opened this way. Returns None when nothing matches."""
    if purpose not in purposes_for(by):
        raise PermissionDenied("Your roles do not allow that purpose")
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": f"Give a reason of at least {MIN_REASON_LENGTH} characters"})
    person = _find_by_identifier(identifier)
    restricted = person is not None and Restriction.objects.filter(person=person, lifted_at__isnull=True).exists()
    if person is None or restricted:
        audit_record(
            user=by,
            action="break_glass",
            object_type="person",
            object_id=str(person.pk) if person else "",
            purpose=purpose,
            detail={"identifier": identifier, "reason": reason, "opened": False},
        )
        return None
    access = BreakGlassAccess.objects.create(
        user=by, person=person, reason=reason.strip(), expires_at=timezone.now() + dt.timedelta(hours=BREAK_GLASS_HOURS)
    )
    audit_record(
        user=by,
        action="break_glass",
        object_type="person",
        object_id=str(person.pk),
        purpose=purpose,
        detail={"identifier": identifier, "reason": reason.strip(), "opened": True, "access": str(access.pk)},
    )
    return access


@transaction.atomic
def break_glass_review(*, by: User, access: BreakGlassAccess, review: str, note: str) -> BreakGlassAccess:
    _require_dpo(by)
    if access.user.agency_id != by.agency_id:
        raise PermissionDenied("Another agency's data protection lead reviews this access")
    if access.user_id == by.pk:
        raise PermissionDenied("No one reviews their own break-glass access")
    if review not in BreakGlassAccess.Review.values:
        raise ValidationError({"review": "Say whether the access was justified"})
    if review == BreakGlassAccess.Review.NOT_JUSTIFIED and not note.strip():
        raise ValidationError({"review_note": "Say why the access was not justified"})
    access.review, access.review_note, access.reviewed_by, access.reviewed_at = review, note.strip(), by, timezone.now()
    if review == BreakGlassAccess.Review.NOT_JUSTIFIED:
        access.expires_at = min(access.expires_at, timezone.now())
    access.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="break_glass",
        object_id=str(access.pk),
        detail={"review": review, "note": note.strip(), "user": access.user.username},
    )
    return access
