"""Needs and plans across the seven resettlement pathways.

A cohort member's needs are assessed on every one of the seven pathways at once (an assessment
that leaves a pathway out would hide a need from the partners), and the plan is a list of
actions, each on one pathway, owned by a partner agency and due on a date. A referral to a
service is an action whose `referred_to` names the service. Progress is recorded as updates; an
action is finished once — done, not achieved (saying what happened) or no longer needed.

Every change is refused unless the user works IOM and may see the person, and once the person
has left the cohort; each is validated, made in one transaction and audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.iom.models import ActionUpdate, Membership, NeedsAssessment, PathwayNeed, PlanAction
from pathways.iom.policies import IOM_PARTNER_KINDS, can_work_iom
from pathways.iom.reference import ActionStatus, MembershipStatus, NeedLevel, Pathway

# Statuses that finish an action; once finished it is never changed again.
FINISHED = (ActionStatus.DONE, ActionStatus.NOT_DONE, ActionStatus.CANCELLED)

ACTION_MAX = 500
NAME_MAX = 200


def level_field(pathway: str) -> str:
    """The name of the form field (and of the error) for a pathway's need level."""
    return f"{pathway}_level"


def notes_field(pathway: str) -> str:
    return f"{pathway}_notes"


def _audit(by: User, action: str, object_type: str, object_id: Any, **detail: Any) -> None:
    audit_record(user=by, action=action, object_type=object_type, object_id=str(object_id), detail=detail)


def _require_open(by: User, membership: Membership) -> Membership:
    """The membership, locked, if `by` may work it: works IOM, may see the person, and the person
    is still in the cohort (nobody works the plan of someone who has left)."""
    if not can_work_iom(by):
        raise PermissionDenied("Only partners working integrated offender management record needs and plans")
    if not people_visible_to(by).filter(pk=membership.person_id).exists():
        raise PermissionDenied("You may not see this person")
    membership = Membership.objects.select_for_update().select_related("person", "scheme").get(pk=membership.pk)
    if membership.status != MembershipStatus.ADOPTED:
        raise ValidationError(
            {"__all__": f"{membership.person} has left the {membership.scheme} cohort: their plan can no longer change"}
        )
    return membership


# Needs ------------------------------------------------------------------------------------


@transaction.atomic
def needs_assess(
    *, by: User, membership: Membership, needs: dict[str, tuple[str, str]], on: dt.date | None = None
) -> NeedsAssessment:
    """Record an assessment of the person's needs: `needs` maps each of the seven pathways to
    `(need level, notes)`. Every pathway must be given; a high need must say why."""
    membership = _require_open(by, membership)
    today = timezone.localdate()
    on = on or today
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(needs) - set(Pathway.values))
    if unknown:
        errors["needs"] = [f"Not one of the seven pathways: {', '.join(unknown)}"]
    missing = [p for p in Pathway if not (needs.get(p.value) or ("", ""))[0]]
    if missing:
        # One message naming them all, for the summary; and one beside each pathway's question.
        errors.setdefault("needs", []).append(
            "Give a need level for every pathway; missing: " + ", ".join(str(p.label) for p in missing)
        )
        for p in missing:
            errors[level_field(p.value)] = [f"Choose the need level for {p.label}"]
    for pathway in Pathway:
        level, notes = needs.get(pathway.value) or ("", "")
        if level and level not in NeedLevel.values:
            errors[level_field(pathway.value)] = [f"Choose the need level for {pathway.label}"]
        elif level == NeedLevel.HIGH and not (notes or "").strip():
            errors[notes_field(pathway.value)] = [f"Say why the need on {pathway.label} is high"]
    if on > today:
        errors["assessed_on"] = ["The date of the assessment cannot be in the future"]
    if errors:
        raise ValidationError(errors)
    assessment = NeedsAssessment.objects.create(membership=membership, assessed_on=on, by=by)
    PathwayNeed.objects.bulk_create(
        PathwayNeed(
            assessment=assessment, pathway=p.value, level=needs[p.value][0], notes=(needs[p.value][1] or "").strip()
        )
        for p in Pathway
    )
    _audit(
        by,
        AuditEvent.Action.CREATE,
        "iom_needs_assessment",
        assessment.pk,
        membership=str(membership.pk),
        assessed_on=on.isoformat(),
        high=[p.value for p in Pathway if needs[p.value][0] == NeedLevel.HIGH],
    )
    return assessment


def assessments(membership: Membership) -> QuerySet[NeedsAssessment]:
    """Every assessment of the membership, newest first, each with its seven needs."""
    return membership.assessments.select_related("by").prefetch_related("needs")


def latest_needs(membership: Membership) -> NeedsAssessment | None:
    """The newest assessment (by the date it was done), or None if they have not been assessed."""
    return assessments(membership).first()


def needs_by_pathway(assessment: NeedsAssessment | None) -> dict[str, PathwayNeed]:
    """An assessment's needs keyed by pathway (empty for no assessment)."""
    if assessment is None:
        return {}
    return {n.pathway: n for n in assessment.needs.all()}


# Plan actions -----------------------------------------------------------------------------


def partner_agencies() -> QuerySet[Agency]:
    """The agencies that may own a plan action: the IOM partners."""
    return Agency.objects.filter(kind__in=IOM_PARTNER_KINDS).order_by("name")


@transaction.atomic
def action_add(
    *,
    by: User,
    membership: Membership,
    pathway: str,
    action: str,
    owner_agency: Agency | None,
    owner_name: str,
    due_on: dt.date | None,
    referred_to: str = "",
) -> PlanAction:
    """Add an action to the plan, on one pathway, owned by a partner agency, due on a date not
    already past. A referral to a service is an action with `referred_to` naming the service."""
    membership = _require_open(by, membership)
    errors: dict[str, str] = {}
    if pathway not in Pathway.values:
        errors["pathway"] = "Choose the pathway the action is on"
    action = (action or "").strip()
    if not action:
        errors["action"] = "Say what is to be done"
    elif len(action) > ACTION_MAX:
        errors["action"] = f"Describe the action in {ACTION_MAX} characters or fewer"
    if owner_agency is None:
        errors["owner_agency"] = "Choose the agency that owns the action"
    elif owner_agency.kind not in IOM_PARTNER_KINDS:
        errors["owner_agency"] = f"{owner_agency.name} is not an IOM partner agency"
    owner_name = (owner_name or "").strip()
    if len(owner_name) > NAME_MAX:
        errors["owner_name"] = f"Enter the owner's name in {NAME_MAX} characters or fewer"
    referred_to = (referred_to or "").strip()
    if len(referred_to) > NAME_MAX:
        errors["referred_to"] = f"Name the service in {NAME_MAX} characters or fewer"
    if due_on is None:
        errors["due_on"] = "Enter the date the action is due"
    elif due_on < timezone.localdate():
        errors["due_on"] = "The due date cannot be in the past"
    if errors:
        raise ValidationError(errors)
    assert owner_agency is not None and due_on is not None  # checked above
    saved = PlanAction.objects.create(
        membership=membership,
        pathway=pathway,
        action=action,
        owner_agency=owner_agency,
        owner_name=owner_name,
        due_on=due_on,
        referred_to=referred_to,
        created_by=by,
    )
    _audit(
        by,
        AuditEvent.Action.CREATE,
        "iom_plan_action",
        saved.pk,
        membership=str(membership.pk),
        pathway=pathway,
        owner_agency=owner_agency.code,
        due_on=due_on.isoformat(),
        referral=bool(referred_to),
    )
    return saved


def _require_unfinished(by: User, action: PlanAction) -> PlanAction:
    _require_open(by, action.membership)
    action = PlanAction.objects.select_for_update().get(pk=action.pk)
    if action.status != ActionStatus.OPEN:
        when = f" on {action.finished_on.day} {action.finished_on:%B %Y}" if action.finished_on else ""
        raise ValidationError(
            {"__all__": f"This action was finished{when} ({action.get_status_display()}); it cannot be changed"}
        )
    return action


@transaction.atomic
def action_update(*, by: User, action: PlanAction, note: str, on: dt.date | None = None) -> ActionUpdate:
    """Record progress on an open action."""
    action = _require_unfinished(by, action)
    today = timezone.localdate()
    on = on or today
    errors: dict[str, str] = {}
    if not (note or "").strip():
        errors["note"] = "Say what progress there has been"
    if on > today:
        errors["on"] = "The date of the update cannot be in the future"
    if errors:
        raise ValidationError(errors)
    update = ActionUpdate.objects.create(action=action, on=on, note=note.strip(), by=by)
    _audit(by, AuditEvent.Action.CREATE, "iom_action_update", update.pk, plan_action=str(action.pk), on=on.isoformat())
    return update


@transaction.atomic
def action_finish(
    *, by: User, action: PlanAction, status: str, outcome: str = "", on: dt.date | None = None
) -> PlanAction:
    """Finish an action: done, not achieved (saying what happened), or no longer needed.
    A finished action is never changed again."""
    action = _require_unfinished(by, action)
    today = timezone.localdate()
    on = on or today
    errors: dict[str, str] = {}
    if status not in FINISHED:
        errors["status"] = "Choose how the action ended"
    outcome = (outcome or "").strip()
    if status == ActionStatus.NOT_DONE and not outcome:
        errors["outcome"] = "Say what happened, as the action was not achieved"
    if on > today:
        errors["on"] = "The date the action ended cannot be in the future"
    if errors:
        raise ValidationError(errors)
    action.status = status
    action.outcome = outcome
    action.finished_on = on
    action.save(update_fields=["status", "outcome", "finished_on", "updated_at"])
    _audit(by, AuditEvent.Action.UPDATE, "iom_plan_action", action.pk, status=status, finished_on=on.isoformat())
    return action


def is_overdue(action: PlanAction, today: dt.date | None = None) -> bool:
    """An open action whose due date has passed."""
    return action.status == ActionStatus.OPEN and action.due_on < (today or timezone.localdate())


# Reading the plan -------------------------------------------------------------------------


@dataclass
class PathwaySummary:
    """One pathway's line of the plan: the latest need and how its actions stand."""

    pathway: str
    label: str
    need_level: str  # "" when not assessed
    need_label: str
    need_notes: str
    open: int = 0
    overdue: int = 0  # among the open ones
    done: int = 0
    not_done: int = 0
    cancelled: int = 0
    next_due: dt.date | None = None  # the earliest due date among the open actions

    @property
    def total(self) -> int:
        return self.open + self.done + self.not_done + self.cancelled


def plan_summary(membership: Membership, *, today: dt.date | None = None) -> list[PathwaySummary]:
    """For each of the seven pathways, in order: the latest need level, and the counts of open,
    overdue (open and past due), done, not achieved and cancelled actions."""
    today = today or timezone.localdate()
    needs = needs_by_pathway(latest_needs(membership))
    rows: dict[str, PathwaySummary] = {}
    for p in Pathway:
        need = needs.get(p.value)
        rows[p.value] = PathwaySummary(
            pathway=p.value,
            label=str(p.label),
            need_level=need.level if need else "",
            need_label=need.get_level_display() if need else "Not assessed",
            need_notes=need.notes if need else "",
        )
    for pathway, status, due_on in membership.actions.values_list("pathway", "status", "due_on"):
        row = rows.get(pathway)
        if row is None:  # a pathway no longer in the list; nothing to show it under
            continue
        if status == ActionStatus.OPEN:
            row.open += 1
            if due_on < today:
                row.overdue += 1
            if row.next_due is None or due_on < row.next_due:
                row.next_due = due_on
        elif status == ActionStatus.DONE:
            row.done += 1
        elif status == ActionStatus.NOT_DONE:
            row.not_done += 1
        elif status == ActionStatus.CANCELLED:
            row.cancelled += 1
    return list(rows.values())


def plan_actions(membership: Membership) -> QuerySet[PlanAction]:
    """Every action of the plan, soonest due first."""
    return membership.actions.select_related("owner_agency", "created_by").order_by("due_on", "created_at")


def actions_due(
    memberships: Iterable[Membership] | QuerySet[Membership], within_days: int = 7, *, today: dt.date | None = None
) -> QuerySet[PlanAction]:
    """The open actions of these memberships that are overdue or due within `within_days` days
    of today, soonest first — the daily board's list of partner actions to chase.

    `memberships` may be a queryset (e.g. `selectors.cohort(user)`) or a list of memberships.
    Members who have left the cohort are left out: nobody works their plan any more.
    Each action comes with its membership, person, scheme and owner agency."""
    if within_days < 0:
        raise ValueError("within_days must not be negative")
    today = today or timezone.localdate()
    if isinstance(memberships, QuerySet):
        chosen: Any = memberships.values("pk")
    else:
        chosen = [m.pk for m in memberships]
    return (
        PlanAction.objects.filter(
            membership__in=chosen,
            membership__status=MembershipStatus.ADOPTED,
            status=ActionStatus.OPEN,
            due_on__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("membership__person", "membership__scheme", "owner_agency")
        .order_by("due_on", "created_at")
    )
