"""Small `create_*` helpers for data protection tests, and views of the whole database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db import connection
from django.utils import timezone

from pathways.accounts.models import Agency, User
from pathways.dataprotection.models import RetentionRule
from pathways.dataprotection.selectors import IDENTITY_PARTS, is_history_model, person_references
from pathways.dataprotection.services import retention_rule_save
from pathways.people.models import Person, WarningMarker


def create_rule(category: str, *, by: User, years: int = 6, days: int = 0, action: str = "delete") -> RetentionRule:
    return retention_rule_save(
        category=category, period_years=years, period_days=days, action=action, basis="Test policy", by=by
    )


def create_marker(
    person: Person, *, agency: Agency, kind: str = "violence", start: dt.date, end: dt.date | None = None
) -> WarningMarker:
    return WarningMarker.objects.create(person=person, agency=agency, kind=kind, start_date=start, end_date=end)


def age_identity(person: Person, *, to: dt.datetime) -> None:
    """Make it look as if nothing about the person's identity has changed since `to`."""
    Person.objects.filter(pk=person.pk).update(updated_at=to)
    for model, fk in person_references():
        if model._meta.label in IDENTITY_PARTS:
            model._base_manager.filter(**{fk.attname: person.pk}).update(updated_at=to)


def years_ago(years: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=365 * years + 10)


def table_counts() -> dict[str, int]:
    """Rows in every table in the database, Django's own included."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from the database)
            counts[table] = cursor.fetchone()[0]
    return counts


def snapshot() -> dict[str, set[str]]:
    """The primary keys of every row of every ordinary (not history) model."""
    rows: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        if is_history_model(model):
            continue
        rows[model._meta.label] = {str(pk) for pk in model._base_manager.values_list("pk", flat=True)}
    return rows


def removed(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, set[str]]:
    gone = {label: before[label] - after.get(label, set()) for label in before}
    return {label: ids for label, ids in gone.items() if ids}


def rows_about(person_ids: set[Any]) -> dict[str, set[str]]:
    """Every row that refers to one of these people, offences against them, and their outcomes."""
    from pathways.offending.models import Offence, OffenceOutcome

    found: dict[str, set[str]] = {"people.Person": {str(p) for p in person_ids}}
    for model, fk in person_references():
        found.setdefault(model._meta.label, set()).update(
            str(pk)
            for pk in model._base_manager.filter(**{f"{fk.attname}__in": person_ids}).values_list("pk", flat=True)
        )
    offences = set(Offence.objects.filter(person_id__in=person_ids).values_list("pk", flat=True))
    offences |= set(Offence.objects.filter(victims__in=person_ids).values_list("pk", flat=True))
    found.setdefault("offending.Offence", set()).update(str(pk) for pk in offences)
    found["offending.OffenceOutcome"] = {
        str(pk) for pk in OffenceOutcome.objects.filter(offence_id__in=offences).values_list("pk", flat=True)
    }
    return found
