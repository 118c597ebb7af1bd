"""Retention: the report changes nothing, a run deletes exactly what the report listed, and
nothing about a person under a legal hold is ever deleted."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.accounts.models import Agency, User
from pathways.dataprotection.models import LegalHold, RetentionRule
from pathways.dataprotection.selectors import RetentionRefused, history_rows_about, retention_plan
from pathways.dataprotection.services import legal_hold_lift, legal_hold_place, retention_apply
from pathways.dataprotection.tests.helpers import (
    age_identity,
    create_marker,
    create_rule,
    removed,
    rows_about,
    snapshot,
    table_counts,
    years_ago,
)
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome, OffenceVictim
from pathways.people.models import Person, PersonName, WarningMarker
from pathways.testing import create_person_row, load, person_by_reference


def ago(years: int, days: int = 0) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year - years, day=min(today.day, 28)) - dt.timedelta(days=days)).isoformat()


@dataclass
class World:
    old_offender: Person  # an offence long past (with outcome, custody, a victim), and a recent one
    recent_offender: Person  # offences kept for different reasons
    old_victim: Person  # only a victim of the long-past offence
    quiet: Person  # nothing but identity, untouched for years
    held: Person  # under a legal hold: everything about them stays
    lifted: Person  # nothing but identity; their hold was lifted
    police: Agency


@pytest.fixture
def world(police: Agency, police_admin: User) -> World:
    people = [
        create_person_row(person_id="P1", given_name="Oliver", surname="Oldham", pnc_id="2001/0000001A"),
        create_person_row(person_id="P2", given_name="Rita", surname="Recent"),
        create_person_row(person_id="P3", given_name="Victor", surname="Vale"),
        create_person_row(person_id="P4", given_name="Quentin", surname="Quiet"),
        create_person_row(person_id="P5", given_name="Hilda", surname="Held"),
        create_person_row(person_id="P6", given_name="Lionel", surname="Lifted"),
    ]
    for row in people:
        row["date_of_birth"] = "1975-01-01"
    load("people", people, agency=police, by=police_admin)

    def offence(ref: str, person: str, years: int, code: str = "46", group: str = "theft", victims: str = "") -> dict:
        return {
            "offence_id": ref,
            "person_id": person,
            "offence_date": ago(years),
            "offence_code": code,
            "offence_group": group,
            "victim_ids": victims,
        }

    load(
        "offences",
        [
            offence("CR-OLD", "P1", 20, "8N", "violence", victims="P3"),
            offence("CR-NEW", "P1", 1),
            offence("CR-REC", "P2", 2),
            offence("CR-OPEN", "P2", 22),  # custody with no release date
            offence("CR-LATE", "P2", 18),  # an outcome only last year
            offence("CR-HELD", "P5", 23),  # the offender is under a legal hold
            offence("CR-VHELD", "P2", 24, "8N", "violence", victims="P5"),  # the victim is under a legal hold
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "outcomes",
        [
            {"offence_id": "CR-OLD", "outcome_date": ago(20, -60), "outcome": "conviction_custody"},
            {"offence_id": "CR-LATE", "outcome_date": ago(1), "outcome": "1"},
            {"offence_id": "CR-HELD", "outcome_date": ago(23, -30), "outcome": "3"},
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "custody",
        [
            {"person_id": "P1", "offence_id": "CR-OLD", "sentence_date": ago(20, -60), "release_date": ago(19)},
            {"person_id": "P2", "offence_id": "CR-OPEN", "sentence_date": ago(21), "release_date": ""},
        ],
        agency=police,
        by=police_admin,
    )
    w = World(*(person_by_reference(police, f"P{i}") for i in range(1, 7)), police=police)
    create_marker(w.old_offender, agency=police, start=dt.date(2000, 1, 1), end=dt.date(2005, 1, 1))
    create_marker(w.recent_offender, agency=police, kind="weapons", start=dt.date(2020, 1, 1))
    create_marker(w.held, agency=police, start=dt.date(2000, 1, 1), end=dt.date(2004, 1, 1))
    for person in (w.old_victim, w.quiet, w.lifted, w.held):
        age_identity(person, to=years_ago(10))
    legal_hold_place(person=w.held, reason="Civil claim WX/2026/17", by=police_admin)
    hold = legal_hold_place(person=w.lifted, reason="Complaint 44", by=police_admin)
    legal_hold_lift(hold=hold, reason="Complaint closed", by=police_admin)
    return w


@pytest.fixture
def delete_rules(police_admin: User) -> list[RetentionRule]:
    return [
        create_rule("offending_history", by=police_admin, years=6),
        create_rule("risk_markers", by=police_admin, years=2),
        create_rule("identity", by=police_admin, years=6),
    ]


def offence_ids(*references: str) -> list[str]:
    return sorted(str(pk) for pk in Offence.objects.filter(reference__in=references).values_list("pk", flat=True))


def test_the_report_lists_what_each_rule_covers_and_what_goes_with_it(world, delete_rules):
    plan = retention_plan()
    by_category = {r.category: r for r in plan.rules}

    offending = by_category["offending_history"]
    assert offending.ids == offence_ids("CR-OLD")
    assert offending.related_counts == {
        "offending.CustodyPeriod": 1,
        "offending.OffenceOutcome": 1,
        "offending.OffenceVictim": 1,
    }
    assert sorted(offending.held) == offence_ids("CR-HELD", "CR-VHELD")

    markers = by_category["risk_markers"]
    assert markers.ids == [str(m.pk) for m in WarningMarker.objects.filter(person=world.old_offender)]
    assert len(markers.held) == 1

    identity = by_category["identity"]
    assert identity.ids == sorted([str(world.quiet.pk), str(world.lifted.pk)])
    # The lifted hold goes with the person; the victim waits until their victim link has gone.
    assert len(identity.records["dataprotection.LegalHold"]) == 1
    assert str(world.held.pk) not in identity.ids
    assert identity.history["people.HistoricalPerson"] == 2


def test_the_report_changes_nothing(world, delete_rules, tmp_path, capsys):
    before = table_counts()
    report = tmp_path / "retention.json"
    call_command("retention", "run", "--report", str(report))
    assert table_counts() == before

    data = json.loads(report.read_text())
    assert data["mode"] == "report (nothing changed)"
    assert [r["category"] for r in data["rules"]] == ["offending_history", "risk_markers", "identity"]
    assert data["rules"][0]["ids"] == offence_ids("CR-OLD")
    out = capsys.readouterr().out
    assert "nothing has been changed" in out
    assert offence_ids("CR-OLD")[0] in out
    assert "will delete 1 offence\n" in out


def test_a_run_deletes_exactly_what_the_report_listed(world, delete_rules, tmp_path):
    report = tmp_path / "retention.json"
    call_command("retention", "run", "--report", str(report))
    listed = json.loads(report.read_text())
    before = snapshot()

    call_command("retention", "run", "--apply")

    expected: dict[str, set[str]] = {}
    for rule in listed["rules"]:
        for label, records in rule["records"].items():
            expected.setdefault(label, set()).update(records["ids"])
    assert removed(before, snapshot()) == expected
    # Retention means gone: no earlier versions of anything deleted are left either.
    assert history_rows_about(expected) == {}
    # What was not due stays.
    assert Offence.objects.filter(reference__in=["CR-NEW", "CR-REC", "CR-OPEN", "CR-LATE"]).count() == 4
    assert Person.objects.filter(pk=world.old_offender.pk).exists()


def test_a_run_writes_one_audit_event_per_rule(world, delete_rules, police_admin):
    old = offence_ids("CR-OLD")
    call_command("retention", "run", "--apply", "--user", police_admin.username)
    events = list(AuditEvent.objects.filter(object_type="retention_rule", action="update").order_by("id"))
    events = [e for e in events if "retention" in e.detail]
    assert [e.object_id for e in events] == ["offending_history", "risk_markers", "identity"]
    assert all(e.username == police_admin.username and e.via == "command" for e in events)
    offending = events[0].detail["retention"]
    assert offending["ids"] == old
    assert offending["deleted"]["offending.Offence"] == 1
    assert offending["held_by_legal_hold"] == 2


def test_nothing_about_a_person_under_a_legal_hold_is_deleted(world, delete_rules):
    about_held = rows_about({world.held.pk})
    retention_apply(username="test")
    retention_apply(username="test")  # and again, once victim links have gone
    after = snapshot()
    for label, ids in about_held.items():
        assert ids <= after[label], label
    assert Offence.objects.filter(reference__in=["CR-HELD", "CR-VHELD"]).count() == 2


def test_lifting_a_hold_lets_the_rules_apply_at_the_next_run(world, delete_rules, police_admin):
    retention_apply(username="test")
    assert Person.objects.filter(pk=world.held.pk).exists()
    legal_hold_lift(hold=LegalHold.objects.get(person=world.held), reason="Claim settled", by=police_admin)
    retention_apply(username="test")
    assert not Offence.objects.filter(reference__in=["CR-HELD", "CR-VHELD"]).exists()
    assert not WarningMarker.objects.filter(person=world.held).exists()
    retention_apply(username="test")  # now nothing but their identity is left
    assert not Person.objects.filter(pk=world.held.pk).exists()
    assert not LegalHold.objects.filter(person_id=world.held.pk).exists()


def test_a_victim_whose_last_link_was_deleted_goes_at_the_following_run(world, delete_rules):
    retention_apply(username="test")
    assert not OffenceVictim.objects.filter(person=world.old_victim).exists()
    assert Person.objects.filter(pk=world.old_victim.pk).exists()
    retention_apply(username="test")
    assert not Person.objects.filter(pk=world.old_victim.pk).exists()
    assert not PersonName.history.filter(person_id=world.old_victim.pk).exists()


def test_an_offence_with_recent_dates_or_open_custody_is_kept(world, delete_rules):
    retention_apply(username="test")
    kept = Offence.objects.get(reference="CR-OPEN")
    assert CustodyPeriod.objects.filter(offence=kept, release_date__isnull=True).exists()
    late = Offence.objects.get(reference="CR-LATE")
    assert OffenceOutcome.objects.filter(offence=late).exists()


def test_review_rules_only_list(world, police_admin):
    for category in ("offending_history", "risk_markers", "identity"):
        create_rule(category, by=police_admin, years=6, action="review")
    before = snapshot()
    plan = retention_apply(by=police_admin, via="command")
    assert removed(before, snapshot()) == {}
    assert [r.count for r in plan.rules] == [1, 1, 2]
    event = AuditEvent.objects.filter(object_type="retention_rule", object_id="identity").latest("id")
    assert event.detail["retention"]["action"] == "review"
    assert event.detail["retention"]["deleted"] == {}
    assert len(event.detail["retention"]["ids"]) == 2


def test_no_rules_means_nothing_happens(world, capsys):
    before = snapshot()
    call_command("retention", "run", "--apply")
    assert removed(before, snapshot()) == {}
    assert "No retention rules are set" in capsys.readouterr().out


def test_a_rule_shorter_than_a_year_for_offending_history_cannot_be_saved(police_admin):
    with pytest.raises(ValidationError, match="at least 1 year"):
        create_rule("offending_history", by=police_admin, years=0, days=200)
    assert create_rule("risk_markers", by=police_admin, years=0, days=90).period == "90 days"


def test_unsafe_settings_are_refused_and_nothing_changes(world, delete_rules):
    # A rule changed behind the service's back (a shell, a bad migration) is still refused.
    RetentionRule.objects.filter(category="offending_history").update(period_years=0, period_days=30)
    before = table_counts()
    with pytest.raises(CommandError, match="offending_history rule keeps offending history for 30 days"):
        call_command("retention", "run", "--apply")
    assert table_counts() == before
    with pytest.raises(RetentionRefused):
        retention_plan()


def test_a_run_date_in_the_future_is_refused(world, delete_rules):
    future = (timezone.localdate() + dt.timedelta(days=400)).isoformat()
    before = table_counts()
    with pytest.raises(CommandError, match="in the future"):
        call_command("retention", "run", "--apply", "--as-of", future)
    assert table_counts() == before


def test_a_run_as_of_an_earlier_day_measures_from_that_day(world, delete_rules):
    plan = retention_plan(as_of=timezone.localdate() - dt.timedelta(days=365 * 15))
    offending = next(r for r in plan.rules if r.category == "offending_history")
    assert offending.ids == []  # fifteen years ago, CR-OLD was recent


def test_only_a_data_protection_lead_may_run_it_as_a_named_user(world, delete_rules, officer):
    with pytest.raises(CommandError, match="not a data protection lead"):
        call_command("retention", "run", "--apply", "--user", officer.username)


def test_rules_are_versioned_with_who_changed_them(police_admin):
    rule = create_rule("identity", by=police_admin, years=6)
    assert (rule.version, rule.updated_by) == (1, police_admin)
    rule = create_rule("identity", by=police_admin, years=7)
    assert rule.version == 2
    assert [h.period_years for h in rule.history.order_by("history_date")] == [6, 7]
    assert create_rule("identity", by=police_admin, years=7).version == 2  # no change, no new version
