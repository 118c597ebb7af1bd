"""Referrals to a restorative justice service: making one, from any partner or the victim.

Every function here checks who is acting, validates, writes in one transaction and audits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import agency_record_ensure, audit_record
from pathways.accounts.models import Agency, AgencyKind, User
from pathways.offending.models import Offence
from pathways.people.models import Person
from pathways.restorative.models import Case, Party
from pathways.restorative.policies import can_coordinate, can_refer
from pathways.restorative.reference import CaseStatus, CaseType, Role, Source, Stage


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
    if referral.stage != Stage.ASB and not any(p.role == Role.VICTIM for p in referral.parties):
        errors["parties"] = "Name the victim: restorative justice starts with what the victim wants"
    if not referral.parties:
        errors["parties"] = "Name at least one party"
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
