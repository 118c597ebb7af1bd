"""Writes for data protection: retention rules, legal holds, retention runs, subject access exports.

Every write is audited. A retention run deletes through Django's own deletion (cascades,
signals and all), in one transaction, exactly what the report for that moment lists — or
nothing.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import is_data_protection_lead
from pathways.access.services import PersonNotFound, audit_record
from pathways.accounts.models import User
from pathways.dataprotection.models import LegalHold, RetentionRule
from pathways.dataprotection.rendering import subject_access_html, subject_access_json
from pathways.dataprotection.selectors import (
    RetentionPlan,
    RetentionRefused,
    RulePlan,
    history_rows_about,
    person_lookup,
    retention_plan,
    subject_access_bundle,
)
from pathways.people.models import Person

DATA_PROTECTION_PURPOSE = "data_protection"


def command_line_username() -> str:
    """Who ran a command when no `--user` was given: the operating-system account."""
    try:
        return f"os:{getpass.getuser()}"
    except (OSError, KeyError):
        return "os:unknown"


def _require_lead(user: User | None) -> None:
    if user is not None and not is_data_protection_lead(user):
        raise PermissionDenied("Only a data protection lead may do this")


# --------------------------------------------------------------------------------------
# Rules and holds.


@transaction.atomic
def retention_rule_save(
    *, category: str, period_years: int, period_days: int, action: str, basis: str, by: User, via: str = "web"
) -> RetentionRule:
    """Set the rule for a category. Each change is a new version, kept in the rule's history."""
    _require_lead(by)
    rule = RetentionRule.objects.select_for_update().filter(category=category).first()
    created = rule is None
    if rule is None:
        rule = RetentionRule(category=category, version=0)
    values = {"period_years": period_years, "period_days": period_days, "action": action, "basis": basis}
    if not created and all(getattr(rule, k) == v for k, v in values.items()):
        return rule
    for name, value in values.items():
        setattr(rule, name, value)
    rule.version += 1
    rule.updated_by = by
    rule._history_user = by  # type: ignore[attr-defined]
    rule.full_clean()
    rule.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        object_type="retention_rule",
        object_id=category,
        purpose=DATA_PROTECTION_PURPOSE,
        via=via,
        detail={"retention_rule": {"version": rule.version, **values}},
    )
    return rule


@transaction.atomic
def legal_hold_place(*, person: Person, reason: str, by: User, via: str = "web") -> LegalHold:
    """Keep everything about this person, whatever the retention rules say, until lifted."""
    _require_lead(by)
    hold = LegalHold(person=person, reason=reason.strip(), placed_by=by, placed_at=timezone.now())
    hold.full_clean()
    hold.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="person",
        object_id=str(person.pk),
        purpose=DATA_PROTECTION_PURPOSE,
        via=via,
        detail={"legal_hold": {"id": str(hold.pk), "placed": True, "reason": hold.reason}},
    )
    return hold


class HoldAlreadyLifted(Exception):
    pass


@transaction.atomic
def legal_hold_lift(*, hold: LegalHold, reason: str, by: User, via: str = "web") -> LegalHold:
    _require_lead(by)
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise HoldAlreadyLifted("This legal hold has already been lifted")
    hold.lifted_at = timezone.now()
    hold.lifted_by = by
    hold.lift_reason = reason.strip()
    hold.full_clean()
    hold.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="person",
        object_id=str(hold.person_id),
        purpose=DATA_PROTECTION_PURPOSE,
        via=via,
        detail={"legal_hold": {"id": str(hold.pk), "lifted": True, "reason": hold.lift_reason}},
    )
    return hold


def data_protection_person(*, user: User, query: str, via: str = "web") -> Person:
    """A person by id or PNC ID, for a data protection lead, anywhere in the partnership.
    The read is audited with the data protection purpose."""
    _require_lead(user)
    person = person_lookup(query=query)
    if person is None:
        raise PersonNotFound("No person has that Pathways id or PNC ID")
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="person",
        object_id=str(person.pk),
        purpose=DATA_PROTECTION_PURPOSE,
        via=via,
    )
    return person


# --------------------------------------------------------------------------------------
# Retention runs.


def _delete_rule(rule: RulePlan) -> tuple[dict[str, int], dict[str, int]]:
    """Delete what the rule's plan collected, then every history row about it."""
    planned = {label: len(ids) for label, ids in rule.records.items()}
    if not planned or rule.collector is None:
        return {}, {}
    _, counts = rule.collector.delete()
    deleted = {label: n for label, n in sorted(counts.items()) if n}
    if deleted != planned:
        raise RetentionRefused(
            [
                f"the {rule.category} rule deleted {deleted} where the report listed {planned}: "
                "the records changed during the run, so nothing has been deleted; run it again"
            ]
        )
    # Retention means gone: the earlier versions django-simple-history kept (and the
    # 'deleted' versions the deletion itself just wrote) go too.
    history_deleted: dict[str, int] = defaultdict(int)
    for hmodel, keys in history_rows_about({label: set(ids) for label, ids in rule.records.items()}).items():
        keys_list = list(keys)
        for start in range(0, len(keys_list), 500):
            _, counts = hmodel._base_manager.filter(pk__in=keys_list[start : start + 500]).delete()
            for label, n in counts.items():
                history_deleted[label] += n
    return deleted, dict(sorted((k, v) for k, v in history_deleted.items() if v))


def retention_apply(
    *, as_of: dt.date | None = None, by: User | None = None, username: str = "", via: str = "command"
) -> RetentionPlan:
    """Apply every retention rule: `delete` rules delete exactly what `retention_plan` lists at
    this moment (nothing under an active legal hold), `review` rules only list. One audit event
    per rule. All in one transaction: an unsafe setting or a surprise deletes nothing."""
    _require_lead(by)
    who = "" if by is not None else (username or command_line_username())
    with transaction.atomic():
        plan = retention_plan(as_of=as_of)
        for rule in plan.rules:
            if rule.action == RetentionRule.Action.DELETE:
                rule.deleted, rule.history_deleted = _delete_rule(rule)
            else:
                rule.deleted, rule.history_deleted = {}, {}
            audit_record(
                user=by,
                username=who,
                action=AuditEvent.Action.UPDATE,
                object_type="retention_rule",
                object_id=rule.category,
                purpose=DATA_PROTECTION_PURPOSE,
                via=via,
                detail={
                    "retention": {
                        "category": rule.category,
                        "version": rule.version,
                        "action": rule.action,
                        "as_of": plan.as_of.isoformat(),
                        "cutoff": rule.cutoff.isoformat(),
                        "period": {"years": rule.period_years, "days": rule.period_days},
                        "count": rule.count,
                        "ids": rule.ids,
                        "deleted": rule.deleted,
                        "history_deleted": rule.history_deleted,
                        "held_by_legal_hold": len(rule.held),
                    }
                },
            )
        plan.applied = True
    return plan


# --------------------------------------------------------------------------------------
# Subject access.


@dataclass
class SubjectAccessExport:
    person: Person
    bundle: dict[str, Any]

    @property
    def filename_stem(self) -> str:
        return f"subject-access-{self.person.pk}"

    def json(self) -> str:
        return subject_access_json(self.bundle)

    def html(self) -> str:
        return subject_access_html(self.bundle)


def subject_access_export(
    *, person: Person, by: User | None, formats: list[str], username: str = "", via: str = "web"
) -> SubjectAccessExport:
    """Gather everything held about the person, and audit the export (action 'export')."""
    _require_lead(by)
    who = by.username if by is not None else (username or command_line_username())
    bundle = subject_access_bundle(person=person, generated_by=who)
    audit_record(
        user=by,
        username="" if by is not None else who,
        action=AuditEvent.Action.EXPORT,
        object_type="person",
        object_id=str(person.pk),
        purpose=DATA_PROTECTION_PURPOSE,
        via=via,
        detail={
            "subject_access": {
                "formats": formats,
                "records": {label: len(rows) for label, rows in bundle["records"].items()},
                "history_rows": sum(len(rows) for rows in bundle["history"].values()),
                "audit_events": len(bundle["audit"]),
            }
        },
    )
    return SubjectAccessExport(person=person, bundle=bundle)


def subject_access_write(
    *, person: Person, directory: Path, by: User | None = None, username: str = "", via: str = "command"
) -> list[Path]:
    """Write `subject-access-<id>.json` and `.html` into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    export = subject_access_export(person=person, by=by, formats=["json", "html"], username=username, via=via)
    json_path = directory / f"{export.filename_stem}.json"
    html_path = directory / f"{export.filename_stem}.html"
    json_path.write_text(export.json(), encoding="utf-8")
    html_path.write_text(export.html(), encoding="utf-8")
    return [json_path, html_path]
