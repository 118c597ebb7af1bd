"""Reads for data protection: what retention would delete, and everything held about one person.

Both start from Django's app registry rather than a hand-kept list, so that a model added
later with a foreign key to `Person` is covered without anyone remembering to add it: a
subject access export includes its rows, and retention will not delete a person it refers to.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import router
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.db.models.deletion import Collector
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.accounts.models import Agency, User
from pathways.dataprotection.models import (
    CATEGORY_DESCRIPTIONS,
    MINIMUM_PERIOD_DAYS,
    LegalHold,
    RetentionCategory,
    RetentionRule,
    describe_period,
)
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome, OffenceVictim
from pathways.offending.reference import Outcome, offence_description
from pathways.people.models import Person, PersonIdentifier, WarningMarker
from pathways.people.reference import IdentifierKind, normalise_pnc

# Big `IN (…)` lists are split: SQLite limits the number of parameters in one statement.
_CHUNK = 500

# What is left of a person when nothing else is held: the identity retention deletes.
IDENTITY_PARTS = frozenset(
    {"people.PersonName", "people.PersonIdentifier", "people.Address", "access.AgencyRecord", "linkage.SourceRecord"}
)

# --------------------------------------------------------------------------------------
# The app registry: every model that refers to a person, and every history model.


def is_history_model(model: type[Model]) -> bool:
    """django-simple-history's tables (and their many-to-many companions) name the model they record."""
    return getattr(model, "instance_type", None) is not None


def person_references(*, history: bool = False) -> list[tuple[type[Model], Any]]:
    """(model, field) for every foreign key to `Person` in the project: the ordinary models, or,
    with `history=True`, django-simple-history's copies of them."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if is_history_model(model) != history:
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and (f.many_to_one or f.one_to_one) and f.related_model is Person:
                found.append((model, f))
    return found


def history_models() -> list[type[Model]]:
    return [m for m in apps.get_models(include_auto_created=True) if is_history_model(m)]


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# --------------------------------------------------------------------------------------
# Finding a person for data protection work.


def person_lookup(*, query: str) -> Person | None:
    """A person by their Pathways id or their PNC ID. Any person in the partnership: a data
    protection lead answers for all of it. The caller checks the policy and audits."""
    value = query.strip()
    try:
        return Person.objects.filter(pk=uuid.UUID(value)).first()
    except ValueError:
        pass
    ident = (
        PersonIdentifier.objects.select_related("person")
        .filter(kind=IdentifierKind.PNC, agency__isnull=True, value=normalise_pnc(value))
        .first()
    )
    return ident.person if ident else None


def active_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.active().select_related("person", "placed_by").order_by("-placed_at")


def recently_lifted_holds(*, limit: int = 20) -> QuerySet[LegalHold]:
    return (
        LegalHold.objects.filter(lifted_at__isnull=False)
        .select_related("person", "placed_by", "lifted_by")
        .order_by("-lifted_at")[:limit]
    )


@dataclass
class CategoryRule:
    category: str
    label: str
    description: str
    minimum: str
    rule: RetentionRule | None


def retention_rules() -> list[CategoryRule]:
    """Every category, with its rule or None when no rule has been set (then nothing happens)."""
    rules = {r.category: r for r in RetentionRule.objects.select_related("updated_by")}
    return [
        CategoryRule(
            category=c.value,
            label=c.label,
            description=CATEGORY_DESCRIPTIONS[c],
            minimum=describe_period(0, MINIMUM_PERIOD_DAYS[c]) if MINIMUM_PERIOD_DAYS[c] < 365 else "1 year",
            rule=rules.get(c.value),
        )
        for c in RetentionCategory
    ]


# --------------------------------------------------------------------------------------
# Retention: what each rule would delete today.


class RetentionRefused(Exception):
    """A retention run that is not safe to make. Nothing has been read or changed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Retention refused: " + "; ".join(problems))


def retention_problems(*, rules: Iterable[RetentionRule], as_of: dt.date, today: dt.date) -> list[str]:
    """Every reason not to run: a date in the future, a period shorter than its category allows."""
    problems = []
    if as_of > today:
        problems.append(f"the run date {as_of} is in the future (today is {today}): cut-offs must be in the past")
    for rule in rules:
        label = RetentionCategory(rule.category).label.lower()
        minimum = MINIMUM_PERIOD_DAYS[rule.category]
        if rule.period_in_days < minimum:
            shortest = "1 year" if minimum == 365 else f"{minimum} days"
            problems.append(
                f"the {rule.category} rule keeps {label} for {rule.period}, shorter than the {shortest} allowed"
            )
        cutoff = rule.cutoff(as_of)
        if cutoff >= today:
            problems.append(f"the {rule.category} rule's cut-off {cutoff} is not in the past")
    return problems


@dataclass
class RulePlan:
    """What one rule covers today. `records` is every row that deleting would remove, by model
    (the rule's own records and everything that goes with them); `history` counts the
    django-simple-history rows about them, which go too."""

    category: str
    action: str
    version: int
    period_years: int
    period_days: int
    cutoff: dt.date
    ids: list[str]
    records: dict[str, list[str]]
    history: dict[str, int]
    held: list[str]
    collector: Collector | None = field(default=None, repr=False)
    deleted: dict[str, int] | None = None
    history_deleted: dict[str, int] | None = None

    @property
    def label(self) -> str:
        return RetentionCategory(self.category).label

    @property
    def period(self) -> str:
        return describe_period(self.period_years, self.period_days)

    @property
    def counted(self) -> str:
        """How many of the rule's own records, for a sentence: '1 offence', '3 warning markers', '2 people'."""
        one, many = {
            "offending_history": ("offence", "offences"),
            "risk_markers": ("warning marker", "warning markers"),
            "identity": ("person", "people"),
        }[self.category]
        return f"{self.count} {one if self.count == 1 else many}"

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def related_counts(self) -> dict[str, int]:
        """Rows that go with the rule's own records, by model."""
        own = _PRIMARY_MODEL[self.category]._meta.label
        return {label: len(ids) for label, ids in self.records.items() if label != own and ids}

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "category": self.category,
            "action": self.action,
            "version": self.version,
            "period": {"years": self.period_years, "days": self.period_days},
            "cutoff": self.cutoff.isoformat(),
            "count": self.count,
            "ids": self.ids,
            "records": {label: {"count": len(ids), "ids": ids} for label, ids in self.records.items()},
            "history_rows": self.history,
            "held_by_legal_hold": {"count": len(self.held), "ids": self.held},
        }
        if self.deleted is not None:
            data["deleted"] = self.deleted
            data["history_deleted"] = self.history_deleted
        return data


@dataclass
class RetentionPlan:
    as_of: dt.date
    generated_at: dt.datetime
    rules: list[RulePlan]
    without_rule: list[str]
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "mode": "applied" if self.applied else "report (nothing changed)",
            "rules": [r.as_dict() for r in self.rules],
            "categories_without_a_rule": self.without_rule,
        }


_PRIMARY_MODEL: dict[str, type[Model]] = {
    RetentionCategory.OFFENDING_HISTORY: Offence,
    RetentionCategory.RISK_MARKERS: WarningMarker,
    RetentionCategory.IDENTITY: Person,
}


def _held_people() -> QuerySet[LegalHold]:
    return LegalHold.objects.active().values("person_id")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _offences_past(cutoff: dt.date) -> tuple[QuerySet[Offence], Q]:
    """Offences whose every date is before the cut-off, and the condition for a held one.

    The latest date is the offence's, its last outcome's, or a custody sentence or release
    date; an open custody period (no release date) keeps the offence."""
    recent_outcome = OffenceOutcome.objects.filter(offence=OuterRef("pk"), outcome_date__gte=cutoff)
    custody_not_past = CustodyPeriod.objects.filter(offence=OuterRef("pk")).filter(
        Q(sentence_date__gte=cutoff) | Q(release_date__gte=cutoff) | Q(release_date__isnull=True)
    )
    past = (
        Offence.objects.filter(offence_date__lt=cutoff)
        .exclude(Exists(recent_outcome))
        .exclude(Exists(custody_not_past))
    )
    held = _held_people()
    # A hold on anyone the offence is about protects it: the offender, a victim, whoever was in custody for it.
    is_held = (
        Q(person_id__in=held)
        | Exists(OffenceVictim.objects.filter(offence=OuterRef("pk"), person_id__in=held))
        | Exists(CustodyPeriod.objects.filter(offence=OuterRef("pk"), person_id__in=held))
    )
    return past, is_held


def _markers_past(cutoff: dt.date) -> tuple[QuerySet[WarningMarker], Q]:
    past = WarningMarker.objects.filter(end_date__isnull=False, end_date__lt=cutoff)
    return past, Q(person_id__in=_held_people())


def _identities_past(cutoff: dt.date) -> tuple[QuerySet[Person], Q]:
    """People of whom nothing but their identity is held, none of it changed since the cut-off.

    Anything else that refers to the person — an offence, a victim link, a marker, a consent,
    any record a later capability adds — keeps them: retention never deletes a kind of record
    no rule covers. A lifted legal hold does not keep them; an active one does."""
    since = _day_start(cutoff)
    past = Person.objects.filter(updated_at__lt=since)
    for model, fk in person_references():
        label = model._meta.label
        related = model._base_manager.filter(**{fk.attname: OuterRef("pk")})
        if label in IDENTITY_PARTS:
            past = past.exclude(Exists(related.filter(updated_at__gte=since)))
        elif model is LegalHold:
            continue  # an active hold is a hold, below; a lifted one goes with the person
        else:
            past = past.exclude(Exists(related))
    return past, Q(pk__in=_held_people())


_FINDERS = {
    RetentionCategory.OFFENDING_HISTORY: _offences_past,
    RetentionCategory.RISK_MARKERS: _markers_past,
    RetentionCategory.IDENTITY: _identities_past,
}


def _collected(collector: Collector) -> dict[str, set[str]]:
    rows: dict[str, set[str]] = defaultdict(set)
    for model, instances in collector.data.items():
        rows[model._meta.label].update(str(obj.pk) for obj in instances)
    for qs in collector.fast_deletes:
        rows[qs.model._meta.label].update(str(pk) for pk in qs.values_list("pk", flat=True))
    return rows


def _check_nothing_held(rows: dict[str, set[str]]) -> None:
    """A second, generic guard behind each category's own rule: no row that would be deleted
    may refer to a person under an active legal hold."""
    held = {str(p) for p in LegalHold.objects.active().values_list("person_id", flat=True)}
    if not held:
        return
    if rows.get(Person._meta.label, set()) & held:
        raise RetentionRefused(["a person under a legal hold would be deleted"])
    for model, fk in person_references():
        ids = rows.get(model._meta.label)
        if not ids:
            continue
        for chunk in _chunks(ids):
            refs = model._base_manager.filter(pk__in=chunk).values_list(fk.attname, flat=True)
            if {str(p) for p in refs if p is not None} & held:
                raise RetentionRefused(
                    [f"a {model._meta.verbose_name} of a person under a legal hold would be deleted"]
                )


def _with_m2m_history(found: dict[type[Model], set[Any]]) -> dict[type[Model], set[Any]]:
    """Add the many-to-many history rows that belong to history rows already found."""
    for hmodel in history_models():
        parent = next((f for f in hmodel._meta.concrete_fields if f.name == "history" and f.is_relation), None)
        if parent is None or parent.related_model not in found:
            continue
        pk_name = hmodel._meta.pk.attname
        keys = found.setdefault(hmodel, set())
        for chunk in _chunks(found[parent.related_model]):
            keys.update(hmodel._base_manager.filter(history_id__in=chunk).values_list(pk_name, flat=True))
        if not keys:
            del found[hmodel]
    return found


def history_rows_about(rows: dict[str, set[str]]) -> dict[type[Model], set[Any]]:
    """The django-simple-history rows recording any of these rows, or pointing to one of them."""
    found: dict[type[Model], set[Any]] = {}
    for hmodel in history_models():
        pk_name = hmodel._meta.pk.attname
        keys: set[Any] = set()
        own = rows.get(hmodel.instance_type._meta.label, set())
        if own and "id" in {f.attname for f in hmodel._meta.concrete_fields}:
            for chunk in _chunks(own):
                keys.update(hmodel._base_manager.filter(id__in=chunk).values_list(pk_name, flat=True))
        for f in hmodel._meta.concrete_fields:
            if not (f.is_relation and f.many_to_one) or f.name in ("history_user", "history"):
                continue
            targets = rows.get(f.related_model._meta.label, set())
            for chunk in _chunks(targets):
                keys.update(hmodel._base_manager.filter(**{f"{f.attname}__in": chunk}).values_list(pk_name, flat=True))
        if keys:
            found[hmodel] = keys
    return _with_m2m_history(found)


def rule_plan(rule: RetentionRule, *, as_of: dt.date) -> RulePlan:
    cutoff = rule.cutoff(as_of)
    past, is_held = _FINDERS[rule.category](cutoff)
    eligible = past.exclude(is_held)
    held = sorted(str(pk) for pk in past.filter(is_held).values_list("pk", flat=True))
    collector = Collector(using=router.db_for_write(eligible.model), origin=eligible)
    collector.collect(eligible)
    rows = _collected(collector)
    _check_nothing_held(rows)
    history = history_rows_about(rows)
    primary = _PRIMARY_MODEL[rule.category]._meta.label
    return RulePlan(
        category=rule.category,
        action=rule.action,
        version=rule.version,
        period_years=rule.period_years,
        period_days=rule.period_days,
        cutoff=cutoff,
        ids=sorted(rows.get(primary, set())),
        records={label: sorted(ids) for label, ids in sorted(rows.items()) if ids},
        history={h._meta.label: len(keys) for h, keys in sorted(history.items(), key=lambda kv: kv[0]._meta.label)},
        held=held,
        collector=collector,
    )


def retention_plan(*, as_of: dt.date | None = None) -> RetentionPlan:
    """What every rule covers on `as_of` (default today). Reads only; changes nothing.
    Raises `RetentionRefused` for unsafe settings."""
    today = timezone.localdate()
    as_of = as_of or today
    rules = list(RetentionRule.objects.all())
    rules.sort(key=lambda r: list(RetentionCategory.values).index(r.category))
    problems = retention_problems(rules=rules, as_of=as_of, today=today)
    if problems:
        raise RetentionRefused(problems)
    set_categories = {r.category for r in rules}
    return RetentionPlan(
        as_of=as_of,
        generated_at=timezone.now(),
        rules=[rule_plan(rule, as_of=as_of) for rule in rules],
        without_rule=[c.value for c in RetentionCategory if c.value not in set_categories],
    )


# --------------------------------------------------------------------------------------
# Subject access: everything held about one person.

SUBJECT_ACCESS_FORMAT = "pathways-subject-access/1"


class _Names:
    """Agency names and usernames for the foreign keys in a row, fetched once each."""

    def __init__(self) -> None:
        self.agencies: dict[str, str] = {}
        self.users: dict[str, str] = {}
        self.offences: dict[str, str] = {}

    def agency(self, pk: Any) -> str:
        key = str(pk)
        if key not in self.agencies:
            self.agencies[key] = Agency.objects.filter(pk=pk).values_list("name", flat=True).first() or ""
        return self.agencies[key]

    def offence(self, pk: Any) -> str:
        key = str(pk)
        if key not in self.offences:
            self.offences[key] = Offence.objects.filter(pk=pk).values_list("reference", flat=True).first() or ""
        return self.offences[key]

    def user(self, pk: Any) -> str:
        key = str(pk)
        if key not in self.users:
            self.users[key] = User.objects.filter(pk=pk).values_list("username", flat=True).first() or ""
        return self.users[key]


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _row(obj: Model, names: _Names) -> dict[str, Any]:
    """Every column of a row, as JSON values. A coded value gets its label beside it
    (`kind__label`), an agency its name (`agency__name`), a user their username (`…__username`)."""
    row: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        value = getattr(obj, f.attname)
        row[f.name] = _plain(value)
        if value is None or value == "":
            continue
        if f.choices:
            row[f"{f.name}__label"] = str(dict(f.flatchoices).get(value, value))
        elif f.name == "offence_code":
            row[f"{f.name}__label"] = offence_description(value)
        if f.is_relation and f.related_model is Agency:
            row[f"{f.name}__name"] = names.agency(value)
        elif f.is_relation and f.related_model is User:
            row[f"{f.name}__username"] = names.user(value)
        elif f.is_relation and f.related_model is Offence:
            row[f"{f.name}__reference"] = names.offence(value)
    return row


def _victim_row(link: OffenceVictim) -> dict[str, Any]:
    """An offence against the person, without the offender: they are a third party."""
    offence = link.offence
    labels = dict(Outcome.choices)
    return {
        "id": str(link.pk),
        "offence_date": offence.offence_date.isoformat(),
        "offence_code": offence.offence_code,
        "offence_code__label": offence_description(offence.offence_code),
        "offence_group": offence.offence_group,
        "offence_group__label": offence.get_offence_group_display(),
        "outcomes": [
            {
                "outcome_date": o.outcome_date.isoformat(),
                "outcome": o.outcome,
                "outcome__label": labels.get(o.outcome, o.outcome),
            }
            for o in sorted(offence.outcomes.all(), key=lambda o: o.outcome_date)
        ],
    }


def subject_access_bundle(*, person: Person, generated_by: str) -> dict[str, Any]:
    """Everything Pathways holds about one person, as plain JSON-ready data.

    - `person`: their own row;
    - `records`: by model, every row of every model with a foreign key to `Person` that
      points to them (found through the app registry, so new models are included), the
      outcomes and custody of offences they committed, and offences against them as a
      victim — date, code, group and outcome only, never who committed them;
    - `history`: every earlier version of those rows that django-simple-history keeps;
    - `audit`: who read, searched for, changed or exported their record (audit events about
      them), oldest first.

    Import batches are about files, not people, and are not included."""
    names = _Names()
    records: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for model, fk in person_references():
        label = model._meta.label
        if model is OffenceVictim:
            continue
        for obj in model._base_manager.filter(**{fk.attname: person.pk}).order_by("pk"):
            records[label][str(obj.pk)] = _row(obj, names)
    offence_ids = list(records.get(Offence._meta.label, {}))
    for chunk in _chunks(offence_ids):
        for outcome in OffenceOutcome.objects.filter(offence_id__in=chunk).order_by("pk"):
            records[OffenceOutcome._meta.label][str(outcome.pk)] = _row(outcome, names)
        for period in CustodyPeriod.objects.filter(offence_id__in=chunk).order_by("pk"):
            records[CustodyPeriod._meta.label][str(period.pk)] = _row(period, names)
    victim_links = (
        OffenceVictim.objects.filter(person=person).select_related("offence").prefetch_related("offence__outcomes")
    )
    for link in victim_links.order_by("offence__offence_date", "pk"):
        records[OffenceVictim._meta.label][str(link.pk)] = _victim_row(link)

    # History: earlier versions of every row above, of the person, and any history row that names them.
    covered = {label: set(rows) for label, rows in records.items() if label != OffenceVictim._meta.label}
    covered[Person._meta.label] = {str(person.pk)}
    found: dict[type[Model], set[Any]] = {}
    for hmodel in history_models():
        query = Q()
        own = covered.get(hmodel.instance_type._meta.label)
        if own and "id" in {f.attname for f in hmodel._meta.concrete_fields}:
            query |= Q(id__in=list(own))
        for f in hmodel._meta.concrete_fields:
            if f.is_relation and f.many_to_one and f.related_model is Person:
                query |= Q(**{f.attname: person.pk})
        if query:
            keys = set(hmodel._base_manager.filter(query).values_list(hmodel._meta.pk.attname, flat=True))
            if keys:
                found[hmodel] = keys
    history: dict[str, list[dict[str, Any]]] = {}
    for hmodel, keys in _with_m2m_history(found).items():
        rows = hmodel._base_manager.filter(pk__in=keys).order_by(hmodel._meta.pk.attname)
        history[hmodel._meta.label] = [_row(h, names) for h in rows]

    audit = [
        {
            "id": event.pk,
            "at": event.at.isoformat(),
            "username": event.username,
            "agency_code": event.agency_code,
            "action": event.action,
            "action__label": event.get_action_display(),
            "purpose": event.purpose,
            "via": event.via,
            "detail": event.detail,
        }
        for event in AuditEvent.objects.filter(object_type="person", object_id=str(person.pk)).order_by("at", "id")
    ]
    return {
        "format": SUBJECT_ACCESS_FORMAT,
        "person_id": str(person.pk),
        "generated_at": timezone.now().isoformat(),
        "generated_by": generated_by,
        "person": _row(person, names),
        "records": {
            label: list(rows.values())
            for label, rows in sorted(records.items(), key=lambda kv: section_order(kv[0]))
            if rows
        },
        "history": {
            label: history[label]
            for label in sorted(history, key=lambda h: section_order(apps.get_model(h).instance_type._meta.label))
        },
        "audit": audit,
    }


# The order a reader meets the sections in; anything else follows, alphabetically.
_SECTION_ORDER = [
    "people.Person",
    "people.PersonName",
    "people.PersonIdentifier",
    "people.Address",
    "people.WarningMarker",
    "access.AgencyRecord",
    "offending.Offence",
    "offending.OffenceOutcome",
    "offending.CustodyPeriod",
    "offending.OffenceVictim",
]
_TITLES = {
    "people.Person": "Details",
    "people.PersonName": "Names",
    "people.PersonIdentifier": "Identifiers",
    "people.Address": "Addresses",
    "people.WarningMarker": "Warning markers",
    "access.AgencyRecord": "Agencies that know them",
    "offending.Offence": "Offences",
    "offending.OffenceOutcome": "Outcomes of their offences",
    "offending.CustodyPeriod": "Custody",
    "offending.OffenceVictim": "Offences against them",
    "dataprotection.LegalHold": "Legal holds",
}


def section_order(label: str) -> tuple[int, str]:
    return (_SECTION_ORDER.index(label) if label in _SECTION_ORDER else len(_SECTION_ORDER), label)


def model_title(label: str) -> str:
    """'people.WarningMarker' → 'Warning markers'; a history model names what it records."""
    model = apps.get_model(label)
    if is_history_model(model):
        return f"{model_title(model.instance_type._meta.label)}: earlier versions"
    if label in _TITLES:
        return _TITLES[label]
    name = str(model._meta.verbose_name_plural)
    return name[:1].upper() + name[1:]
