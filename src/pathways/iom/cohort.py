"""Writing the cohort: score configuration versions, schemes, and each person's membership —
adopted or declined by the panel, reviewed, re-tiered, handed to a new lead, de-selected.
Every change is refused unless the policy allows it, validated, and audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.iom import scoring
from pathways.iom.models import (
    CandidateDecision,
    Membership,
    MembershipEvent,
    Scheme,
    ScoreConfig,
    SupportingWorker,
)
from pathways.iom.policies import can_decide_cohort, can_keep_score_config, can_work_iom
from pathways.iom.reference import CandidateDecisionKind, EventKind, MembershipStatus, Tier
from pathways.people.models import Person


def _audit(by: User, action: str, object_type: str, object_id: Any, **detail: Any) -> None:
    audit_record(user=by, action=action, object_type=object_type, object_id=str(object_id), detail=detail)


# Score configuration ----------------------------------------------------------------------


def config_current() -> ScoreConfig:
    """The newest configuration; the default one is saved as version 1 the first time."""
    found = ScoreConfig.objects.order_by("-version").first()
    if found is None:
        found, _ = ScoreConfig.objects.get_or_create(
            version=1, defaults={"config": scoring.DEFAULT_CONFIG, "note": "The default configuration"}
        )
    return found


@transaction.atomic
def config_save(*, by: User, config: Any, note: str) -> ScoreConfig:
    """A new version of the configuration: validated, never overwriting an old one."""
    if not can_keep_score_config(by):
        raise PermissionDenied("Only the IOM panel's supervisors keep the score's configuration")
    problems = scoring.validate_config(config)
    if not note.strip():
        problems.append("note: say what changed, and why")
    if problems:
        raise ValidationError({"config": problems})
    config_current()
    version = (ScoreConfig.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
    saved = ScoreConfig.objects.create(version=version, config=config, note=note.strip(), created_by=by)
    _audit(by, AuditEvent.Action.CREATE, "iom_score_config", saved.pk, version=version)
    return saved


def person_score(person: Person, *, as_of: dt.date | None = None, config: ScoreConfig | None = None) -> scoring.Score:
    """One person's score on a day (today by default) under a configuration (the current one)."""
    config = config or config_current()
    as_of = as_of or timezone.localdate()
    offences = scoring.offences_for_scoring([person.pk], config.config, as_of).get(person.pk, [])
    return scoring.score(config.config, offences, as_of)


# Schemes ----------------------------------------------------------------------------------


@dataclass
class SchemeInput:
    code: str
    name: str
    entry_criteria: str
    lead_agency: Agency
    description: str = ""
    minimum_score: Decimal | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    offence_groups: tuple[str, ...] = ()
    active: bool = True


@transaction.atomic
def scheme_save(*, by: User, data: SchemeInput, scheme: Scheme | None = None) -> Scheme:
    if not can_decide_cohort(by):
        raise PermissionDenied("Only the IOM panel's supervisors set up schemes")
    from pathways.offending.reference import OffenceGroup

    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "Enter the scheme's name"
    if not data.entry_criteria.strip():
        errors["entry_criteria"] = "Say who the scheme is for"
    unknown = [g for g in data.offence_groups if g not in OffenceGroup.values]
    if unknown:
        errors["offence_groups"] = f"Not offence groups: {', '.join(unknown)}"
    if data.minimum_age is not None and data.maximum_age is not None and data.minimum_age > data.maximum_age:
        errors["maximum_age"] = "The maximum age must not be below the minimum age"
    if Scheme.objects.filter(code=data.code).exclude(pk=getattr(scheme, "pk", None)).exists():
        errors["code"] = f"A scheme with the code '{data.code}' already exists"
    if errors:
        raise ValidationError(errors)
    fields = {
        "code": data.code,
        "name": data.name.strip(),
        "description": data.description,
        "entry_criteria": data.entry_criteria.strip(),
        "lead_agency": data.lead_agency,
        "minimum_score": data.minimum_score,
        "minimum_age": data.minimum_age,
        "maximum_age": data.maximum_age,
        "offence_groups": list(data.offence_groups),
        "active": data.active,
    }
    if scheme is None:
        scheme = Scheme.objects.create(**fields)
        action = AuditEvent.Action.CREATE
    else:
        for name, value in fields.items():
            setattr(scheme, name, value)
        scheme.save()
        action = AuditEvent.Action.UPDATE
    _audit(by, action, "iom_scheme", scheme.pk, code=scheme.code)
    return scheme


# Panel decisions and the membership -------------------------------------------------------


def _require_panel(by: User, person: Person) -> None:
    if not can_decide_cohort(by):
        raise PermissionDenied("Only the IOM panel's supervisors adopt, decline and de-select")
    if not people_visible_to(by).filter(pk=person.pk).exists():
        raise PermissionDenied("You may not see this person")


@dataclass
class Adoption:
    tier: str
    lead_agency: Agency
    reason: str
    lead_worker: User | None = None
    on: dt.date | None = None


@transaction.atomic
def adopt(*, by: User, person: Person, scheme: Scheme, data: Adoption) -> Membership:
    """The panel adopts a person into a scheme's cohort; the score that put them forward (under
    the current configuration) is kept with the decision."""
    _require_panel(by, person)
    on = data.on or timezone.localdate()
    errors: dict[str, str] = {}
    if data.tier not in Tier.values:
        errors["tier"] = "Choose the risk tier"
    if not data.reason.strip():
        errors["reason"] = "Say why the panel adopts them"
    if on > timezone.localdate():
        errors["on"] = "The adoption date cannot be in the future"
    if not scheme.active:
        errors["scheme"] = f"{scheme.name} is closed to new members"
    if data.lead_worker is not None and data.lead_worker.agency_id != data.lead_agency.pk:
        errors["lead_worker"] = f"The lead worker must work for {data.lead_agency.name}"
    if Membership.objects.filter(person=person, scheme=scheme, status=MembershipStatus.ADOPTED).exists():
        errors["scheme"] = f"{person} is already in the {scheme.name} cohort"
    if errors:
        raise ValidationError(errors)
    config = config_current()
    result = person_score(person, as_of=on, config=config)
    membership = Membership.objects.create(
        person=person,
        scheme=scheme,
        adopted_on=on,
        lead_agency=data.lead_agency,
        lead_worker=data.lead_worker,
        tier=data.tier,
        score_at_adoption=Decimal(str(result.total)),
        score_parts=result.parts(),
        config=config,
    )
    CandidateDecision.objects.create(
        person=person,
        scheme=scheme,
        decision=CandidateDecisionKind.ADOPTED,
        reason=data.reason.strip(),
        decided_on=on,
        decided_by=by,
        score=Decimal(str(result.total)),
        score_parts=result.parts(),
        config=config,
    )
    MembershipEvent.objects.create(
        membership=membership,
        kind=EventKind.ADOPTED,
        on=on,
        reason=data.reason.strip(),
        by=by,
        detail={"tier": data.tier, "score": result.total, "config_version": config.version},
    )
    _audit(by, AuditEvent.Action.CREATE, "iom_membership", membership.pk, scheme=scheme.code, tier=data.tier)
    return membership


@transaction.atomic
def decline(*, by: User, person: Person, scheme: Scheme, reason: str, on: dt.date | None = None) -> CandidateDecision:
    """The panel declines a candidate, saying why. They come back as a candidate only after a
    new proven offence (see `selection`)."""
    _require_panel(by, person)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the panel declines them"})
    on = on or timezone.localdate()
    config = config_current()
    result = person_score(person, as_of=on, config=config)
    decision = CandidateDecision.objects.create(
        person=person,
        scheme=scheme,
        decision=CandidateDecisionKind.DECLINED,
        reason=reason.strip(),
        decided_on=on,
        decided_by=by,
        score=Decimal(str(result.total)),
        score_parts=result.parts(),
        config=config,
    )
    _audit(by, AuditEvent.Action.CREATE, "iom_candidate_decision", decision.pk, scheme=scheme.code, decision="declined")
    return decision


def _require_open(by: User, membership: Membership, *, panel: bool) -> Membership:
    allowed = can_decide_cohort(by) if panel else can_work_iom(by)
    if not allowed:
        raise PermissionDenied("Only the IOM panel's supervisors do this" if panel else "You do not work IOM")
    if not people_visible_to(by).filter(pk=membership.person_id).exists():
        raise PermissionDenied("You may not see this person")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_open:
        raise ValidationError({"__all__": f"{membership.person} has left the {membership.scheme} cohort"})
    return membership


@transaction.atomic
def review(*, by: User, membership: Membership, note: str, on: dt.date | None = None) -> MembershipEvent:
    """A periodic review that keeps the person in the cohort as they are."""
    membership = _require_open(by, membership, panel=True)
    if not note.strip():
        raise ValidationError({"note": "Say what the review found"})
    on = on or timezone.localdate()
    membership.last_reviewed_on = on
    membership.save(update_fields=["last_reviewed_on", "updated_at"])
    event = MembershipEvent.objects.create(membership=membership, kind=EventKind.REVIEWED, on=on, reason=note, by=by)
    _audit(by, AuditEvent.Action.UPDATE, "iom_membership", membership.pk, reviewed=on.isoformat())
    return event


@transaction.atomic
def tier_change(*, by: User, membership: Membership, tier: str, reason: str) -> Membership:
    membership = _require_open(by, membership, panel=True)
    errors: dict[str, str] = {}
    if tier not in Tier.values:
        errors["tier"] = "Choose the risk tier"
    elif tier == membership.tier:
        errors["tier"] = f"They are already {membership.get_tier_display().lower()}"
    if not reason.strip():
        errors["reason"] = "Say why the tier changes"
    if errors:
        raise ValidationError(errors)
    before = membership.tier
    membership.tier = tier
    membership.save(update_fields=["tier", "updated_at"])
    MembershipEvent.objects.create(
        membership=membership,
        kind=EventKind.TIER_CHANGED,
        on=timezone.localdate(),
        reason=reason,
        by=by,
        detail={"from": before, "to": tier},
    )
    _audit(by, AuditEvent.Action.UPDATE, "iom_membership", membership.pk, tier_from=before, tier_to=tier)
    return membership


@transaction.atomic
def lead_change(
    *, by: User, membership: Membership, lead_agency: Agency, lead_worker: User | None, reason: str
) -> Membership:
    membership = _require_open(by, membership, panel=True)
    errors: dict[str, str] = {}
    if lead_worker is not None and lead_worker.agency_id != lead_agency.pk:
        errors["lead_worker"] = f"The lead worker must work for {lead_agency.name}"
    if not reason.strip():
        errors["reason"] = "Say why the lead changes"
    if errors:
        raise ValidationError(errors)
    before = {"agency": membership.lead_agency.code, "worker": getattr(membership.lead_worker, "username", "")}
    membership.lead_agency = lead_agency
    membership.lead_worker = lead_worker
    membership.save(update_fields=["lead_agency", "lead_worker", "updated_at"])
    after = {"agency": lead_agency.code, "worker": getattr(lead_worker, "username", "")}
    MembershipEvent.objects.create(
        membership=membership,
        kind=EventKind.LEAD_CHANGED,
        on=timezone.localdate(),
        reason=reason,
        by=by,
        detail={"from": before, "to": after},
    )
    _audit(by, AuditEvent.Action.UPDATE, "iom_membership", membership.pk, lead_from=before, lead_to=after)
    return membership


@transaction.atomic
def deselect(*, by: User, membership: Membership, reason: str, on: dt.date | None = None) -> Membership:
    """The panel ends the membership (exit): the reason and date are kept in the history."""
    membership = _require_open(by, membership, panel=True)
    on = on or timezone.localdate()
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = "Say why they leave the cohort"
    if on < membership.adopted_on:
        errors["on"] = "They cannot leave before they were adopted"
    if on > timezone.localdate():
        errors["on"] = "The date they leave cannot be in the future"
    if errors:
        raise ValidationError(errors)
    membership.status = MembershipStatus.DESELECTED
    membership.ended_on = on
    membership.end_reason = reason.strip()
    membership.save(update_fields=["status", "ended_on", "end_reason", "updated_at"])
    MembershipEvent.objects.create(membership=membership, kind=EventKind.DESELECTED, on=on, reason=reason, by=by)
    ended = SupportingWorker.objects.filter(membership=membership, until__isnull=True).update(until=on)
    _audit(
        by, AuditEvent.Action.UPDATE, "iom_membership", membership.pk, deselected=on.isoformat(), supporters_ended=ended
    )
    return membership


@transaction.atomic
def supporting_worker_add(
    *, by: User, membership: Membership, agency: Agency, name: str, role: str = "", since: dt.date | None = None
) -> SupportingWorker:
    membership = _require_open(by, membership, panel=False)
    if not name.strip():
        raise ValidationError({"name": "Enter the worker's name"})
    worker = SupportingWorker.objects.create(
        membership=membership, agency=agency, name=name.strip(), role=role.strip(), since=since or timezone.localdate()
    )
    _audit(by, AuditEvent.Action.CREATE, "iom_supporting_worker", worker.pk, membership=str(membership.pk))
    return worker


@transaction.atomic
def supporting_worker_end(*, by: User, worker: SupportingWorker, on: dt.date | None = None) -> SupportingWorker:
    _require_open(by, worker.membership, panel=False)
    worker.until = on or timezone.localdate()
    worker.save(update_fields=["until", "updated_at"])
    _audit(by, AuditEvent.Action.UPDATE, "iom_supporting_worker", worker.pk, until=worker.until.isoformat())
    return worker
