"""Merging one person into another, and undoing it.

A merge moves every row that points at the merged person — in any app, found from the model
registry rather than a list that a new model could be left out of — to the kept person, and
writes each move down in `MergeMove`. A row that would duplicate one the kept person already
has (the same name, a second record of theirs for one agency, …: whatever the model's unique
constraints forbid) is kept whole in `MergeSnapshot` and removed. An unmerge reverses both:
moved rows go back, snapshots are re-created with their own primary keys.

Rows added to the kept person after the merge stay with them when it is undone: nobody can
know which of the two people they were about. `rows_added_since` counts them, so that the
person undoing the merge is told before and the audit trail after.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core import serializers
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.linkage.models import Merge, MergeMove, MergeSnapshot, SourceRecord
from pathways.people.models import Person, PersonName
from pathways.people.reference import Ethnicity, Sex

# The details a kept person takes from the merged one where its own are missing, with the
# value that means "missing".
FILLABLE: dict[str, Any] = {"date_of_birth": None, "sex": Sex.NOT_KNOWN, "ethnicity": Ethnicity.NOT_STATED}
# A name moved from the merged person that was their main name becomes an alias of the kept
# one; the move is written down under this field so that unmerge makes it their main name again.
ALIAS_FLAG = "is_alias"
# The merges themselves point at both people and must stay where they are.
_NOT_MOVED = {("linkage.Merge", "kept"), ("linkage.Merge", "merged")}


class MergeRefused(Exception):
    """The two people cannot be made one (or a merge undone) until someone decides something first."""


@dataclass(frozen=True)
class PersonLink:
    """A column of some model that points at a person."""

    model: type[models.Model]
    field: models.ForeignKey

    @property
    def label(self) -> str:
        return self.model._meta.label

    def rows(self, person: Person) -> models.QuerySet:
        return self.model._base_manager.filter(**{self.field.name: person})


def person_links() -> list[PersonLink]:
    """Every ForeignKey or OneToOne to `Person` in every installed app, `Person.merged_into`
    included — the same registry walk retention uses. History tables are left out: they keep the
    past as it was."""
    from pathways.dataprotection.selectors import person_references

    return [
        PersonLink(model, f)
        for model, f in person_references()
        if isinstance(f, models.ForeignKey) and (model._meta.label, f.name) not in _NOT_MOVED
    ]


def _unique_field_sets(model: type[models.Model], field_name: str) -> Iterator[tuple[list[str], Q | None]]:
    """The sets of columns (with a condition, if any) that must be unique and include `field_name`."""
    opts = model._meta
    if opts.get_field(field_name).unique:
        yield [field_name], None
    for together in opts.unique_together:
        if field_name in together:
            yield list(together), None
    for constraint in opts.constraints:
        fields = list(getattr(constraint, "fields", ()) or ())
        if isinstance(constraint, models.UniqueConstraint) and field_name in fields:
            yield fields, constraint.condition


def _would_duplicate(link: PersonLink, row: models.Model, kept: Person) -> bool:
    """Whether moving `row` to `kept` would break one of its model's unique constraints."""
    manager = link.model._base_manager
    for fields, condition in _unique_field_sets(link.model, link.field.name):
        values = {}
        for name in fields:
            f = link.model._meta.get_field(name)
            values[f.attname] = kept.pk if name == link.field.name else getattr(row, f.attname)
        if any(v is None for v in values.values()):
            continue  # a NULL never equals another
        others = manager.filter(**values).exclude(pk=row.pk)
        if condition is not None:
            if not manager.filter(condition, pk=row.pk).exists():
                continue
            others = others.filter(condition)
        if others.exists():
            return True
    return False


def _dependants(row: models.Model) -> list[str]:
    """Names of the kinds of record that point at `row` (removing it would remove them too)."""
    found = []
    for rel in row._meta.related_objects:
        related = rel.related_model
        if related.__name__.startswith("Historical") or not rel.field.concrete:
            continue
        if rel.many_to_many:
            continue
        if related._base_manager.filter(**{rel.field.name: row}).exists():
            found.append(str(related._meta.verbose_name_plural))
    return found


def _plain(value: Any) -> Any:
    # Not DjangoJSONEncoder: it cuts times to milliseconds, and a restored row must be the same row.
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _snapshot(row: models.Model) -> dict[str, Any]:
    data = serializers.serialize("python", [row])[0]
    return {**data, "pk": _plain(data["pk"]), "fields": {k: _plain(v) for k, v in data["fields"].items()}}


def _restore(data: dict[str, Any]) -> None:
    for restored in serializers.deserialize("python", [data]):
        restored.save()


def _name(person: Person) -> str:
    return person.full_name


def _open_iom_schemes(person: Person) -> set[Any]:
    from pathways.iom.models import Membership
    from pathways.iom.reference import MembershipStatus

    return set(
        Membership.objects.filter(person=person, status=MembershipStatus.ADOPTED).values_list("scheme_id", flat=True)
    )


def _refuse_merge(kept: Person, merged: Person) -> None:
    if kept.pk == merged.pk:
        raise MergeRefused(f"{_name(kept)} cannot be merged into themself.")
    for person in (kept, merged):
        if person.merged_into_id is not None:
            raise MergeRefused(
                f"{_name(person)}'s record was already merged into someone else; merge with that person instead."
            )
    shared = _open_iom_schemes(kept) & _open_iom_schemes(merged)
    if shared:
        from pathways.iom.models import Scheme

        names = ", ".join(sorted(Scheme.objects.filter(pk__in=shared).values_list("name", flat=True)))
        raise MergeRefused(
            f"{_name(kept)} and {_name(merged)} are both open members of the {names} IOM scheme. "
            "End one of the two memberships before merging them."
        )
    from pathways.sharing.models import Restriction

    restricted = [p for p in (kept, merged) if Restriction.objects.filter(person=p, lifted_at__isnull=True).exists()]
    if restricted:
        # A restriction hides a record from everyone not named on it; moving it (or not) would
        # change who sees the other person's record, which is the data-protection lead's decision.
        raise MergeRefused(
            f"{_name(restricted[0])}'s record is restricted. A data-protection lead must decide who may see "
            "the merged record before these two people are merged."
        )


@dataclass
class _Plan:
    moves: list[tuple[PersonLink, list[Any]]] = field(default_factory=list)
    snapshots: list[models.Model] = field(default_factory=list)


def _plan(kept: Person, merged: Person) -> _Plan:
    plan = _Plan()
    for link in person_links():
        moving = []
        for row in link.rows(merged):
            if row.pk == kept.pk:
                continue  # Person.merged_into: never point the kept person at themself
            if _would_duplicate(link, row, kept):
                dependants = _dependants(row)
                if dependants:
                    raise MergeRefused(
                        f"Both {_name(kept)} and {_name(merged)} have a {link.model._meta.verbose_name} that cannot "
                        f"be combined, and {_name(merged)}'s has {', '.join(dependants)} recorded against it. "
                        "Sort out which one is right before merging them."
                    )
                plan.snapshots.append(row)
            else:
                moving.append(row.pk)
        if moving:
            plan.moves.append((link, moving))
    return plan


def _locked(*people: Person) -> list[Person]:
    ids = [p.pk for p in people]
    found = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids)}
    return [found[i] for i in ids]


@transaction.atomic
def merge_people(
    *,
    kept: Person,
    merged: Person,
    by: Any,
    cause: str,
    reason: str = "",
    match_probability: float | None = None,
) -> Merge:
    """Fold `merged` into `kept`: see the module's docstring and docs/linkage.md."""
    kept, merged = _locked(kept, merged) if kept.pk != merged.pk else (kept, merged)
    _refuse_merge(kept, merged)
    plan = _plan(kept, merged)

    filled = {
        name: getattr(merged, name)
        for name, missing in FILLABLE.items()
        if getattr(kept, name) == missing and getattr(merged, name) != missing
    }
    kept_before = {
        name: (value.isoformat() if hasattr(value, "isoformat") else value)
        for name, value in ((n, getattr(kept, n)) for n in filled)
    }
    merge = Merge.objects.create(
        kept=kept,
        merged=merged,
        cause=cause,
        by=by if by is not None and getattr(by, "is_authenticated", False) else None,
        reason=reason,
        match_probability=match_probability,
        kept_before=kept_before,
    )

    for row in plan.snapshots:
        MergeSnapshot.objects.create(merge=merge, model=row._meta.label, data=_snapshot(row))
        row.delete()

    moves: list[MergeMove] = []
    for link, pks in plan.moves:
        link.model._base_manager.filter(pk__in=pks).update(**{link.field.name: kept})
        moves += [MergeMove(merge=merge, model=link.label, object_id=str(pk), field=link.field.name) for pk in pks]
    # The merged person's main name is now one of the kept person's other names.
    became_aliases = list(
        PersonName.objects.filter(
            pk__in=[m.object_id for m in moves if m.model == PersonName._meta.label], is_alias=False
        ).values_list("pk", flat=True)
    )
    PersonName.objects.filter(pk__in=became_aliases).update(is_alias=True)
    moves += [
        MergeMove(merge=merge, model=PersonName._meta.label, object_id=str(pk), field=ALIAS_FLAG)
        for pk in became_aliases
    ]
    MergeMove.objects.bulk_create(moves, batch_size=1000)

    if filled:
        for name, value in filled.items():
            setattr(kept, name, value)
        kept.save()
    merged.merged_into = kept
    merged.save()

    detail = {
        "merge": str(merge.pk),
        "kept": str(kept.pk),
        "merged": str(merged.pk),
        "cause": cause,
        "reason": reason,
        "match_probability": match_probability,
        "rows_moved": sum(len(pks) for _, pks in plan.moves),
        "rows_kept_aside": len(plan.snapshots),
        "details_filled": sorted(filled),
    }
    _audit(by, "merge", kept, detail)
    _audit(by, "merge", merged, detail)
    return merge


def _audit(by: Any, event: str, person: Person, detail: dict[str, Any]) -> None:
    audit_record(
        user=by if by is not None and getattr(by, "is_authenticated", False) else None,
        username="" if by is not None else "linkage",
        action=AuditEvent.Action.UPDATE,
        object_type="person",
        object_id=str(person.pk),
        detail={"event": event, **detail},
        via="web" if by is not None else "import",
    )


def merge_in_force_after(merge: Merge) -> Merge | None:
    """A later merge, not undone, that folded this merge's kept person into someone else: it
    moved this merge's rows away, so it has to be undone first."""
    return (
        Merge.objects.filter(merged=merge.kept_id, undone_at__isnull=True, created_at__gte=merge.created_at)
        .exclude(pk=merge.pk)
        .select_related("kept")
        .first()
    )


def rows_added_since(merge: Merge) -> int:
    """Rows that point at the kept person and were made after the merge: they stay with them."""
    total = 0
    for link in person_links():
        if not any(f.name == "created_at" for f in link.model._meta.concrete_fields):
            continue
        total += link.rows(merge.kept).filter(created_at__gt=merge.created_at).count()
    return total


def _refuse_unmerge(merge: Merge) -> None:
    if merge.undone_at is not None:
        raise MergeRefused(f"This merge was already undone on {timezone.localtime(merge.undone_at):%-d %B %Y}.")
    later = merge_in_force_after(merge)
    if later is not None:
        raise MergeRefused(
            f"{_name(merge.kept)} was since merged into {_name(later.kept)}, which moved these records again. "
            "Undo that merge first."
        )


@transaction.atomic
def unmerge(*, merge: Merge, by: Any, reason: str) -> None:
    """Put every row the merge moved back, re-create what it kept aside, give the kept person
    their own details back and make the merged person a person again."""
    merge = Merge.objects.select_for_update().select_related("kept", "merged").get(pk=merge.pk)
    reason = (reason or "").strip()
    if not reason:
        raise MergeRefused("Say why this merge is being undone.")
    _refuse_unmerge(merge)
    kept, merged = _locked(merge.kept, merge.merged)
    added = rows_added_since(merge)

    moved_back = not_found = 0
    names_made_main = []
    for move in merge.moves.all().order_by("id"):
        model = apps.get_model(move.model)
        rows = model._base_manager.filter(pk=move.object_id)
        if move.field == ALIAS_FLAG:
            names_made_main.append(move.object_id)
            continue
        changed = rows.filter(**{move.field: kept}).update(**{move.field: merged})
        moved_back += changed
        not_found += 1 - changed
    PersonName.objects.filter(pk__in=names_made_main, person=merged).update(is_alias=False)
    snapshots = list(merge.snapshots.all().order_by("id"))
    for snapshot in snapshots:
        _restore(snapshot.data)

    restored = []
    for name, value in merge.kept_before.items():
        # Only details still as the merge left them: a correction made since stays.
        if getattr(kept, name) == getattr(merged, name):
            setattr(kept, name, kept._meta.get_field(name).to_python(value))
            restored.append(name)
    if restored:
        kept.save()
    merged.merged_into = None
    merged.save()

    merge.undone_at = timezone.now()
    merge.undone_by = by if by is not None and getattr(by, "is_authenticated", False) else None
    merge.undo_reason = reason
    merge.save()

    detail = {
        "merge": str(merge.pk),
        "kept": str(kept.pk),
        "merged": str(merged.pk),
        "cause": merge.cause,
        "reason": reason,
        "rows_moved_back": moved_back,
        "rows_restored": len(snapshots),
        "rows_no_longer_there": not_found,
        "rows_added_since_stay": added,
        "details_restored": restored,
    }
    _audit(by, "unmerge", kept, detail)
    _audit(by, "unmerge", merged, detail)


def merge_agency_ids(merge: Merge) -> set[Any]:
    """The agencies of the source records the merge brought together: those it moved and
    those the kept person held. Who may undo it depends on them (`policies.can_unmerge`)."""
    moved = merge.moves.filter(model=SourceRecord._meta.label, field="person").values_list("object_id", flat=True)
    return set(
        SourceRecord.objects.filter(Q(pk__in=list(moved)) | Q(person=merge.kept) | Q(person=merge.merged))
        .values_list("agency_id", flat=True)
        .distinct()
    )


def source_records_of_each_side(merge: Merge) -> tuple[list[SourceRecord], list[SourceRecord]]:
    """(records that stay with the kept person, records that go back to the merged one) on undo."""
    moved = set(merge.moves.filter(model=SourceRecord._meta.label, field="person").values_list("object_id", flat=True))
    current = SourceRecord.objects.filter(person=merge.kept) if merge.undone_at is None else SourceRecord.objects.none()
    stays, goes_back = [], []
    for record in current.select_related("agency").order_by("agency__name", "reference"):
        (goes_back if str(record.pk) in moved else stays).append(record)
    return stays, goes_back


# --- Reads for the person page and the unmerge page ----------------------------------


def merged_into_now(person_id: Any) -> Person | None:
    """The person someone's record now belongs to if it was merged away (following merges of
    merges), or None if it was not merged. Nothing here says whether the user may see them."""
    person = Person.objects.filter(pk=person_id).only("pk", "merged_into").first()
    if person is None or person.merged_into_id is None:
        return None
    seen = {person.pk}
    while person.merged_into_id is not None and person.merged_into_id not in seen:
        seen.add(person.merged_into_id)
        person = Person.objects.get(pk=person.merged_into_id)
    return person


@dataclass
class MergeShown:
    merge: Merge
    other: Person  # the merged person on the kept one's page, and the other way round
    may_undo: bool


def merges_of(*, person: Person, user: Any) -> list[MergeShown]:
    """The merges that brought records into (or took them from) this person, newest first, with
    whether this user may undo each. The caller has already checked that the user may see the person."""
    from pathways.linkage.policies import can_unmerge

    merges = (
        Merge.objects.filter(Q(kept=person) | Q(merged=person))
        .select_related("kept", "merged", "by", "undone_by")
        .order_by("-created_at")
    )
    return [
        MergeShown(
            merge=m,
            other=m.merged if m.kept_id == person.pk else m.kept,
            may_undo=m.undone_at is None and can_unmerge(user, merge_agency_ids(m)),
        )
        for m in merges
    ]
