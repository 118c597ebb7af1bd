"""The steps every part of the service shares: moving a case on, closing it, its tasks, and
recording the outcome agreement (by a facilitator after a conference, or by a Neighbourhood
Justice Panel).

Every function here checks who is acting, validates, writes in one transaction and audits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.restorative.models import Agreement, AgreementAction, Case, Party, Task
from pathways.restorative.policies import can_coordinate
from pathways.restorative.reference import CaseStatus, ClosureReason, TaskStatus
from pathways.restorative.selectors import cases_visible_to


def require_case(by: User, case: Case, *, coordinator_only: bool = False) -> Case:
    """The case, locked for this change, if `by` may work it (and it is still open)."""
    if coordinator_only and not (can_coordinate(by) and by.agency_id == case.service_id):
        raise PermissionDenied("Only the service's co-ordinators may do this")
    if not cases_visible_to(by).filter(pk=case.pk).exists():
        raise PermissionDenied("You may not work this case")
    # The scope may join allocations (DISTINCT), which a row lock cannot take: lock the case alone.
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if not locked.is_open:
        raise ValidationError({"__all__": f"Case {locked.reference} is closed"})
    return locked


def case_move(case: Case, status: str, *, on: dt.date | None = None) -> Case:
    """Move a case to a step (the caller has checked the step is allowed); no audit of its own."""
    case.status = status
    case.status_changed_on = on or timezone.localdate()
    case.save(update_fields=["status", "status_changed_on", "updated_at"])
    return case


def tasks_cancel(case: Case, reason: str) -> int:
    return Task.objects.filter(case=case, status=TaskStatus.OPEN).update(
        status=TaskStatus.CANCELLED, cancelled_reason=reason[:300], finished_on=timezone.localdate()
    )


@transaction.atomic
def case_close(*, case: Case, by: User, reason: str, note: str = "", on: dt.date | None = None) -> Case:
    """Close a case, cancelling every open task (so no one is contacted again). Closing early
    needs a note: it is what the next person to read the case will see."""
    case = require_case(by, case)
    if reason not in ClosureReason.values:
        raise ValidationError({"reason": "Choose why the case is closing"})
    if reason != ClosureReason.COMPLETED and not note.strip():
        raise ValidationError({"note": "Say briefly why the case closed and how the parties were told"})
    on = on or timezone.localdate()
    cancelled = tasks_cancel(case, f"Case closed: {ClosureReason(reason).label}")
    case.closed_on = on
    case.closure_reason = reason
    case.closure_note = note.strip()
    case.save(update_fields=["closed_on", "closure_reason", "closure_note", "updated_at"])
    case_move(case, CaseStatus.CLOSED, on=on)
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="rj_case",
        object_id=str(case.pk),
        detail={"closed": reason, "tasks_cancelled": cancelled},
    )
    return case


@transaction.atomic
def task_create(
    *, case: Case, by: User, kind: str, description: str, due_on: dt.date, party: Party | None = None
) -> Task:
    """A task on an open case (none may be added to a closed one)."""
    case = require_case(by, case)
    if not description.strip():
        raise ValidationError({"description": "Say what is to be done"})
    task = Task.objects.create(case=case, party=party, kind=kind, description=description.strip(), due_on=due_on)
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_task",
        object_id=str(task.pk),
        detail={"case": case.reference, "kind": kind, "due_on": due_on.isoformat()},
    )
    return task


@transaction.atomic
def task_finish(*, task: Task, by: User, on: dt.date | None = None) -> Task:
    require_case(by, task.case)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise ValidationError({"__all__": "This task is already finished"})
    task.status = TaskStatus.DONE
    task.finished_on = on or timezone.localdate()
    task.save(update_fields=["status", "finished_on", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="rj_task",
        object_id=str(task.pk),
        detail={"case": task.case.reference, "done": task.finished_on.isoformat()},
    )
    return task


@dataclass
class AgreedAction:
    description: str
    owner: str
    due_on: dt.date


@transaction.atomic
def agreement_record(
    *, case: Case, by: User, actions: Sequence[AgreedAction], summary: str = "", made_on: dt.date | None = None
) -> Agreement:
    """The outcome agreement: what the parties agreed, each action with who sees it done and by
    when. The case then waits for the actions to be done."""
    case = require_case(by, case)
    if hasattr(case, "agreement"):
        raise ValidationError({"actions": "This case already has an agreement: add to it instead"})
    if not actions:
        raise ValidationError({"actions": "Record at least one thing the parties agreed"})
    made_on = made_on or timezone.localdate()
    for number, action in enumerate(actions, start=1):
        if not action.description.strip() or not action.owner.strip():
            raise ValidationError({"actions": f"Action {number}: say what is to be done and who sees it done"})
        if action.due_on < made_on:
            raise ValidationError({"actions": f"Action {number}: the due date is before the agreement"})
    agreement = Agreement.objects.create(case=case, made_on=made_on, summary=summary.strip())
    for action in actions:
        AgreementAction.objects.create(
            agreement=agreement,
            description=action.description.strip(),
            owner=action.owner.strip(),
            due_on=action.due_on,
        )
    case_move(case, CaseStatus.AGREEMENT, on=made_on)
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_agreement",
        object_id=str(agreement.pk),
        detail={"case": case.reference, "actions": len(actions)},
    )
    return agreement
