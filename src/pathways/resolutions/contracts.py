"""Diversion contracts (Checkpoint-style): prosecution deferred while the person keeps the
conditions agreed with them, drawn from the seven pathways.

A contract runs from its start date for the rule set's months (four by default). Each
condition is a `ResolutionAction` of kind CONDITION, and compliance with it is recorded as
`ComplianceCheck`s. A condition not complied with, or a new offence dated within an active
contract (however it arrives: recorded here or imported from a partner's file), raises a
breach; a supervisor then decides to prosecute, continue the contract, or take no further
action. A contract whose conditions are all done at its end date is completed.

Every function here checks who is acting, validates before writing anything, writes in one
transaction and audits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.common.dates import add_months
from pathways.offending.models import Offence, OffenceOutcome
from pathways.resolutions.models import ComplianceCheck, DiversionContract, Resolution, ResolutionAction
from pathways.resolutions.policies import can_record_resolutions, can_review_resolutions
from pathways.resolutions.reference import ActionKind, ActionStatus, Route, Status
from pathways.resolutions.services import MIN_OVERRIDE_REASON

ContractStatus = DiversionContract.ContractStatus
BreachDecision = DiversionContract.BreachDecision

# Conditions kept by not doing something for the whole contract: done at its end, if unbroken.
ONGOING_CONDITIONS = {"no_further_offending"}
# The Home Office outcome recorded on the offence when a breach is prosecuted (charged/summonsed).
CHARGED = "1"
MIN_NOTE = 5


class ConditionInput(NamedTuple):
    """A condition to put in a contract: its code from the rule set, any detail (e.g. "40 hours"),
    who sees it done, and when it is due (the contract's end, if not given)."""

    code: str
    detail: str = ""
    owner: str = ""
    due_on: dt.date | None = None


def conditions_menu(resolution: Resolution) -> list[dict[str, str]]:
    """The conditions the resolution's rule set offers."""
    return list(resolution.rule_set.rules["diversion"]["conditions"])


def default_months(resolution: Resolution) -> int:
    return int(resolution.rule_set.rules["diversion"]["months"])


def _require_recorder(resolution: Resolution, by: User) -> None:
    if not can_record_resolutions(by) or by.agency_id != resolution.agency_id:
        raise PermissionDenied("Only the recording agency's officers manage this contract")


def _audit(by: User | None, action: str, contract: DiversionContract, **detail: Any) -> None:
    audit_record(
        user=by,
        action=action,
        object_type="diversion_contract",
        object_id=str(contract.pk),
        detail={"resolution": contract.resolution.reference, **detail},
        username="" if by is not None else "system",
    )


def _locked(contract: DiversionContract) -> DiversionContract:
    return DiversionContract.objects.select_for_update().select_related("resolution").get(pk=contract.pk)


# --- Making and signing a contract -----------------------------------------------------


@transaction.atomic
def contract_create(
    *,
    resolution: Resolution,
    by: User,
    starts_on: dt.date,
    months: int | None = None,
    conditions: list[ConditionInput] | list[tuple[Any, ...]],
) -> DiversionContract:
    """The contract for an agreed diversion, with at least one condition from the rule set."""
    resolution = Resolution.objects.select_for_update().select_related("offence", "rule_set").get(pk=resolution.pk)
    _require_recorder(resolution, by)
    if resolution.route != Route.DIVERSION or resolution.status != Status.AGREED:
        raise ValidationError({"resolution": "A contract is made for an agreed diversion"})
    if DiversionContract.objects.filter(resolution=resolution).exists():
        raise ValidationError({"resolution": "This diversion already has a contract"})
    months = default_months(resolution) if months is None else months
    menu = {c["code"]: c for c in conditions_menu(resolution)}
    wanted = [c if isinstance(c, ConditionInput) else ConditionInput(*c) for c in conditions]
    errors: dict[str, str] = {}
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 24:
        errors["months"] = "The contract runs for a whole number of months from 1 to 24"
    if starts_on < resolution.offence.offence_date:
        errors["starts_on"] = "The contract cannot start before the offence"
    if not wanted:
        errors["conditions"] = "Choose at least one condition"
    codes = [c.code for c in wanted]
    unknown = sorted(set(codes) - set(menu))
    if unknown:
        errors["conditions"] = f"Not conditions in the rules: {', '.join(unknown)}"
    elif len(set(codes)) != len(codes):
        errors["conditions"] = "Choose each condition once"
    if errors:
        raise ValidationError(errors)
    ends_on = add_months(starts_on, months)
    for c in wanted:
        label = menu[c.code]["label"]
        if not c.owner.strip():
            errors["conditions"] = f"Say who sees '{label}' done"
        elif c.due_on is not None and not starts_on <= c.due_on <= ends_on:
            errors["conditions"] = (
                f"'{label}' must be due within the contract ({starts_on:%d/%m/%Y} to {ends_on:%d/%m/%Y})"
            )
    if errors:
        raise ValidationError(errors)
    contract = DiversionContract.objects.create(resolution=resolution, starts_on=starts_on, ends_on=ends_on)
    for c in wanted:
        label = menu[c.code]["label"]
        ResolutionAction.objects.create(
            resolution=resolution,
            kind=ActionKind.CONDITION,
            code=c.code,
            description=f"{label}: {c.detail.strip()}" if c.detail.strip() else label,
            pathway=menu[c.code]["pathway"],
            owner=c.owner.strip(),
            due_on=c.due_on or ends_on,
        )
    _audit(
        by,
        AuditEvent.Action.CREATE,
        contract,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
        months=months,
        conditions=codes,
    )
    return contract


@transaction.atomic
def contract_sign(*, contract: DiversionContract, by: User, signed_on: dt.date) -> DiversionContract:
    """The date the person signed the printed contract."""
    contract = _locked(contract)
    _require_recorder(contract.resolution, by)
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError({"signed_on": "Only an active contract is signed"})
    if contract.signed_on is not None:
        raise ValidationError({"signed_on": "The contract's signature is already recorded"})
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": "The date cannot be in the future"})
    if signed_on < contract.resolution.offence.offence_date:
        raise ValidationError({"signed_on": "The date cannot be before the offence"})
    contract.signed_on = signed_on
    contract.save()
    _audit(by, AuditEvent.Action.UPDATE, contract, signed_on=signed_on.isoformat())
    return contract


# --- Compliance and breach -------------------------------------------------------------


@transaction.atomic
def compliance_record(
    *,
    action: ResolutionAction,
    by: User,
    checked_on: dt.date,
    complied: bool,
    note: str = "",
    completed: bool = False,
) -> ComplianceCheck:
    """A check of one condition. Complied (and, if `completed`, the condition is done), or not
    complied: the condition has failed and the contract is in breach."""
    action = ResolutionAction.objects.select_for_update().get(pk=action.pk)
    contract = DiversionContract.objects.filter(resolution_id=action.resolution_id).first()
    if action.kind != ActionKind.CONDITION or contract is None:
        raise ValidationError({"action": "Compliance is recorded for a diversion contract's conditions"})
    contract = _locked(contract)
    _require_recorder(contract.resolution, by)
    errors: dict[str, str] = {}
    if contract.status != ContractStatus.ACTIVE:
        errors["action"] = "Compliance is recorded while the contract is active"
    elif action.status != ActionStatus.AGREED:
        errors["action"] = "This condition is already finished"
    if checked_on > timezone.localdate():
        errors["checked_on"] = "The date cannot be in the future"
    elif checked_on < contract.starts_on:
        errors["checked_on"] = "The date cannot be before the contract starts"
    if not complied and len(note.strip()) < MIN_NOTE:
        errors["note"] = "Say what happened"
    if completed and not complied:
        errors["complied"] = "A condition not complied with is not completed"
    if errors:
        raise ValidationError(errors)
    check = ComplianceCheck.objects.create(
        action=action, checked_on=checked_on, complied=complied, note=note.strip(), recorded_by=by
    )
    if not complied or completed:
        action.status = ActionStatus.DONE if complied else ActionStatus.FAILED
        action.finished_on = checked_on
        action.note = note.strip()
        action.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="compliance_check",
        object_id=str(check.pk),
        detail={
            "resolution": contract.resolution.reference,
            "condition": action.code,
            "checked_on": checked_on.isoformat(),
            "complied": complied,
            "completed": completed,
        },
    )
    if not complied:
        _breach(contract, by=by, reason=f"Did not comply with '{action.description}': {note.strip()}")
    return check


def _breach(contract: DiversionContract, *, by: User | None, reason: str, offence: Offence | None = None) -> None:
    contract.status = ContractStatus.BREACHED
    contract.breach_raised_on = timezone.localdate()
    contract.breach_reason = reason
    contract.breach_offence = offence
    contract.breach_decision = ""
    contract.breach_decided_by = None
    contract.breach_decided_on = None
    contract.breach_decision_reason = ""
    contract.save()
    _audit(
        by,
        AuditEvent.Action.UPDATE,
        contract,
        breach=reason,
        offence=str(offence.pk) if offence is not None else None,
    )


@transaction.atomic
def breach_raise(
    *, contract: DiversionContract, by: User, reason: str, offence: Offence | None = None
) -> DiversionContract:
    """An officer reports a breach; it waits for a supervisor's prosecution decision."""
    contract = _locked(contract)
    _require_recorder(contract.resolution, by)
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError({"reason": "A breach is raised on an active contract"})
    if len(reason.strip()) < MIN_NOTE:
        raise ValidationError({"reason": "Say how the contract was breached"})
    if offence is not None and offence.person_id != contract.resolution.person_id:
        raise ValidationError({"offence": "That offence is not this person's"})
    _breach(contract, by=by, reason=reason.strip(), offence=offence)
    return contract


def breaches_for_new_offence(offence: Offence) -> list[DiversionContract]:
    """Breach every active contract of the person whose period the offence is dated within.
    Called whenever an offence is saved, however it arrived (a page, the API, an import)."""
    breached = []
    contracts = (
        DiversionContract.objects.filter(
            resolution__person_id=offence.person_id,
            status=ContractStatus.ACTIVE,
            starts_on__lte=offence.offence_date,
            ends_on__gte=offence.offence_date,
        )
        .exclude(resolution__offence_id=offence.pk)
        # An offence already judged as a breach (and the contract continued) does not breach it again.
        .exclude(breach_offence_id=offence.pk)
        .values_list("pk", flat=True)
    )
    for pk in contracts:
        with transaction.atomic():
            contract = DiversionContract.objects.select_for_update().select_related("resolution").get(pk=pk)
            if contract.status != ContractStatus.ACTIVE:
                continue
            reason = (
                f"New offence {offence.reference} dated {offence.offence_date:%d/%m/%Y} recorded during the contract"
            )
            _breach(contract, by=None, reason=reason, offence=offence)
            breached.append(contract)
    return breached


@transaction.atomic
def breach_decide(*, contract: DiversionContract, by: User, decision: str, reason: str) -> DiversionContract:
    """A supervisor's decision on a breach: prosecute (the offence is recorded as charged,
    outcome 1), continue the contract, or no further action (the contract ends)."""
    contract = _locked(contract)
    resolution = Resolution.objects.select_for_update().get(pk=contract.resolution_id)
    if not can_review_resolutions(by) or by.agency_id != resolution.agency_id:
        raise PermissionDenied("Only a supervisor of the recording agency decides a breach")
    errors: dict[str, str] = {}
    if contract.status != ContractStatus.BREACHED:
        errors["decision"] = "This contract is not waiting for a breach decision"
    elif decision not in BreachDecision.values:
        errors["decision"] = "Choose prosecute, continue the contract or no further action"
    if len(reason.strip()) < MIN_OVERRIDE_REASON:
        errors["reason"] = "Give the reason for the decision"
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    contract.breach_decision = decision
    contract.breach_decided_by = by
    contract.breach_decided_on = today
    contract.breach_decision_reason = reason.strip()
    outcome = None
    if decision == BreachDecision.PROSECUTE:
        contract.status = ContractStatus.PROSECUTED
        resolution.status = Status.FAILED
        outcome, _ = OffenceOutcome.objects.get_or_create(
            offence=resolution.offence, outcome=CHARGED, outcome_date=today, defaults={"agency": resolution.agency}
        )
    elif decision == BreachDecision.CONTINUE:
        contract.status = ContractStatus.ACTIVE
        # The failed conditions are agreed again; their checks keep what happened.
        resolution.actions.filter(kind=ActionKind.CONDITION, status=ActionStatus.FAILED).update(
            status=ActionStatus.AGREED, finished_on=None
        )
    else:
        contract.status = ContractStatus.ENDED
        resolution.status = Status.CLOSED
    contract.save()
    resolution.save()
    _audit(
        by,
        AuditEvent.Action.UPDATE,
        contract,
        breach_decision=decision,
        reason=reason.strip(),
        outcome=outcome.outcome if outcome is not None else None,
    )
    return contract


# --- Completion ------------------------------------------------------------------------


@transaction.atomic
def contract_complete(*, contract: DiversionContract, by: User) -> DiversionContract:
    """Close a kept contract: at or after its end date, unbreached, every condition done (a
    condition like no further offending is done at the end date)."""
    contract = _locked(contract)
    resolution = Resolution.objects.select_for_update().get(pk=contract.resolution_id)
    _require_recorder(resolution, by)
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError({"contract": "Only an active, unbreached contract is completed"})
    if timezone.localdate() < contract.ends_on:
        raise ValidationError({"contract": f"The contract runs until {contract.ends_on:%d/%m/%Y}"})
    conditions = list(resolution.actions.filter(kind=ActionKind.CONDITION))
    outstanding = [c for c in conditions if c.status != ActionStatus.DONE and c.code not in ONGOING_CONDITIONS]
    if outstanding:
        names = "; ".join(c.description for c in outstanding)
        raise ValidationError({"contract": f"Record every condition as done first: {names}"})
    for c in conditions:
        if c.status != ActionStatus.DONE:
            c.status = ActionStatus.DONE
            c.finished_on = contract.ends_on
            c.save()
    contract.status = ContractStatus.COMPLETED
    contract.save()
    resolution.status = Status.COMPLETED
    resolution.completed_on = timezone.localdate()
    resolution.save()
    _audit(by, AuditEvent.Action.UPDATE, contract, completed_on=resolution.completed_on.isoformat())
    return contract
