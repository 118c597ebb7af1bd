"""Property: over random histories, holds and rules, a run deletes exactly the report's rows,
the report agrees with a plain reading of the rules, and held people are untouched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pathways.access.models import AgencyRecord
from pathways.accounts.models import Agency, User
from pathways.dataprotection.models import LegalHold, RetentionRule, years_before
from pathways.dataprotection.selectors import history_rows_about, retention_plan
from pathways.dataprotection.services import retention_apply, retention_rule_save
from pathways.dataprotection.tests.helpers import age_identity, removed, rows_about, snapshot
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome, OffenceVictim
from pathways.people.models import Person, PersonName, WarningMarker
from pathways.people.names import given_name_key, surname_key

TODAY = timezone.localdate()
# A day up to 30 years back, spread across the years (plain integers would crowd near today).
days_back = st.integers(0, 29).flatmap(lambda years: st.integers(365 * years, 365 * years + 364))


@dataclass
class OffenceSpec:
    offender: int
    victims: list[int]
    days_ago: int
    outcomes_after: list[int]
    custody: tuple[int, int | None] | None  # days after the offence: sentence, release (None: still in custody)


@dataclass
class PersonSpec:
    untouched_days: int
    markers: list[tuple[int, int | None]]  # days ago: start, end (None: current)
    hold: str  # "none", "active" or "lifted"


people_specs = st.builds(
    PersonSpec,
    untouched_days=days_back,
    markers=st.one_of(st.just([]), st.lists(st.tuples(days_back, st.one_of(st.none(), days_back)), max_size=2)),
    hold=st.sampled_from(["none", "none", "active", "lifted"]),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[PersonSpec], list[OffenceSpec]]:
    people = draw(st.lists(people_specs, min_size=1, max_size=8))
    n = len(people)
    offences = draw(
        st.lists(
            st.builds(
                OffenceSpec,
                offender=st.integers(0, n - 1),
                victims=st.lists(st.integers(0, n - 1), max_size=2, unique=True),
                days_ago=days_back,
                outcomes_after=st.lists(st.integers(0, 900), max_size=2, unique=True),
                custody=st.one_of(st.none(), st.tuples(st.integers(0, 400), st.one_of(st.none(), st.integers(1, 900)))),
            ),
            max_size=6,
        )
    )
    for o in offences:
        o.victims = [v for v in o.victims if v != o.offender]
    return people, offences


rule_specs = st.fixed_dictionaries(
    {
        # "none": the category has no rule.
        category: st.tuples(st.integers(1, 15), st.integers(0, 200), st.sampled_from(["delete", "review", "none"]))
        for category in ("offending_history", "risk_markers", "identity")
    }
)


def _day(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


def _build(people: list[PersonSpec], offences: list[OffenceSpec], *, agency: Agency, by: User) -> list[Person]:
    made = []
    for i, spec in enumerate(people):
        person = Person.objects.create(given_name=f"Given{i}", surname=f"Surname{i}")
        PersonName.objects.create(
            person=person,
            given_name=person.given_name,
            surname=person.surname,
            surname_key=surname_key(person.surname),
            given_key=given_name_key(person.given_name),
        )
        AgencyRecord.objects.create(person=person, agency=agency, basis=AgencyRecord.Basis.HOLDS_RECORD)
        for start, end in spec.markers:
            start, end = (start, end) if end is None or end <= start else (end, start)
            WarningMarker.objects.create(
                person=person,
                agency=agency,
                kind="violence",
                start_date=_day(start),
                end_date=None if end is None else _day(end),
            )
        if spec.hold != "none":
            hold = LegalHold.objects.create(person=person, reason="claim", placed_by=by, placed_at=timezone.now())
            if spec.hold == "lifted":
                LegalHold.objects.filter(pk=hold.pk).update(lifted_at=timezone.now(), lifted_by=by)
        made.append(person)
    for n, spec in enumerate(offences):
        day = _day(spec.days_ago)
        offence = Offence.objects.create(
            person=made[spec.offender],
            agency=agency,
            reference=f"CR{n}",
            offence_date=day,
            offence_code="46",
            offence_group="theft",
        )
        for v in spec.victims:
            OffenceVictim.objects.create(offence=offence, person=made[v])
        for after in spec.outcomes_after:
            OffenceOutcome.objects.create(
                offence=offence, agency=agency, outcome_date=day + dt.timedelta(days=after), outcome="1"
            )
        if spec.custody is not None:
            sentence, release = spec.custody
            CustodyPeriod.objects.create(
                person=made[spec.offender],
                offence=offence,
                agency=agency,
                sentence_date=day + dt.timedelta(days=sentence),
                release_date=None if release is None else day + dt.timedelta(days=sentence + release),
            )
    for person, spec in zip(made, people, strict=True):
        age_identity(person, to=timezone.now() - dt.timedelta(days=spec.untouched_days))
    return made


def _expected(
    people: list[Person], specs: list[PersonSpec], offences: list[OffenceSpec], cutoffs: dict[str, dt.date]
) -> dict[str, set[str]]:
    """The rules read plainly, in Python, from the specs: the primary ids each rule should list."""
    held = {i for i, s in enumerate(specs) if s.hold == "active"}
    expected: dict[str, set[str]] = {}
    if "offending_history" in cutoffs:
        cutoff = cutoffs["offending_history"]
        ids = set()
        for n, o in enumerate(offences):
            day = _day(o.days_ago)
            dates = [day] + [day + dt.timedelta(days=a) for a in o.outcomes_after]
            open_custody = False
            if o.custody is not None:
                sentence, release = o.custody
                dates.append(day + dt.timedelta(days=sentence))
                if release is None:
                    open_custody = True
                else:
                    dates.append(day + dt.timedelta(days=sentence + release))
            involved = {o.offender, *o.victims}
            if max(dates) < cutoff and not open_custody and not (involved & held):
                ids.add(f"CR{n}")
        expected["offending_history"] = {
            str(pk) for pk in Offence.objects.filter(reference__in=ids).values_list("pk", flat=True)
        }
    if "risk_markers" in cutoffs:
        cutoff = cutoffs["risk_markers"]
        expected["risk_markers"] = {
            str(m.pk)
            for m in WarningMarker.objects.filter(person__in=[p for i, p in enumerate(people) if i not in held])
            if m.end_date is not None and m.end_date < cutoff
        }
    if "identity" in cutoffs:
        cutoff = cutoffs["identity"]
        in_offences = {o.offender for o in offences} | {v for o in offences for v in o.victims}
        ids = set()
        for i, (person, spec) in enumerate(zip(people, specs, strict=True)):
            untouched_since = timezone.localtime(timezone.now() - dt.timedelta(days=spec.untouched_days)).date()
            if i in held or i in in_offences or spec.markers:
                continue
            if untouched_since < cutoff:
                ids.add(str(person.pk))
        expected["identity"] = ids
    return expected


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories(), rules=rule_specs)
def test_a_run_deletes_exactly_the_reported_rows_and_nothing_held(police, police_admin, history, rules):
    specs, offences = history
    with transaction.atomic():
        people = _build(specs, offences, agency=police, by=police_admin)
        cutoffs = {}
        for category, (years, days, action) in rules.items():
            if action == "none":
                continue
            retention_rule_save(
                category=category, period_years=years, period_days=days, action=action, basis="test", by=police_admin
            )
            cutoffs[category] = years_before(TODAY, years) - dt.timedelta(days=days)
        held = {p.pk for p, s in zip(people, specs, strict=True) if s.hold == "active"}
        about_held = rows_about(held)
        before = snapshot()

        plan = retention_plan()
        expected = _expected(people, specs, offences, cutoffs)
        assert {r.category: set(r.ids) for r in plan.rules} == expected

        applied = retention_apply(by=police_admin)
        after = snapshot()

        reported: dict[str, set[str]] = {}
        for rule in plan.rules:
            if rule.action == RetentionRule.Action.DELETE:
                for label, ids in rule.records.items():
                    reported.setdefault(label, set()).update(ids)
        assert removed(before, after) == reported
        event("deleted something" if reported else "deleted nothing")
        for r in plan.rules:
            event(f"{r.category} {r.action} lists {'some' if r.ids else 'none'}")
        event("someone held" if held else "no one held")
        assert [r.ids for r in applied.rules] == [r.ids for r in plan.rules]
        assert history_rows_about(reported) == {}
        for label, ids in about_held.items():
            assert ids <= after[label], label
        transaction.set_rollback(True)
