"""Subject access: the export holds every record about the person the database holds, shows
offences against them without the offender, and every export is audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from pathways.access.models import AuditEvent
from pathways.access.services import access_person
from pathways.accounts.models import Agency, User
from pathways.cli import ALIASES
from pathways.dataprotection.selectors import person_references, subject_access_bundle
from pathways.dataprotection.services import legal_hold_place, subject_access_export
from pathways.dataprotection.tests.helpers import create_marker
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome
from pathways.people.models import Person
from pathways.testing import create_person_row, load, person_by_reference

PNC = "2016/0001234B"


@pytest.fixture
def subject(police: Agency, probation: Agency, police_admin: User, officer: User) -> Person:
    """Jonathan Smith, as the demo would hold him: known to the police and to probation, with
    offences (outcomes, custody, a victim), an offence against him, markers, a changed address
    and name, a legal hold, and reads in the audit trail. Otto and Vera are third parties."""
    load(
        "people",
        [
            create_person_row(pnc_id=PNC),
            create_person_row(person_id="P2", given_name="Otto", surname="Prendergast", pnc_id="2010/0000002C"),
            create_person_row(person_id="P3", given_name="Vera", surname="Quibble"),
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "people",
        [create_person_row(person_id="PR-77", pnc_id=PNC, address_1="Flat 3, Hill House", postcode="WX4 1ZZ")],
        agency=probation,
        by=police_admin,
    )
    load(
        "offences",
        [
            {
                "offence_id": "CR1",
                "person_id": "P1",
                "offence_date": "2019-05-01",
                "offence_code": "46",
                "offence_group": "theft",
            },
            {
                "offence_id": "CR2",
                "person_id": "P1",
                "offence_date": "2021-02-10",
                "offence_code": "8N",
                "offence_group": "violence",
                "victim_ids": "P3",
            },
            {
                "offence_id": "CR9",
                "person_id": "P2",
                "offence_date": "2022-08-14",
                "offence_code": "34B",
                "offence_group": "robbery",
                "victim_ids": "P1",
            },
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "outcomes",
        [
            {"offence_id": "CR1", "outcome_date": "2019-05-20", "outcome": "3"},
            {"offence_id": "CR2", "outcome_date": "2021-06-01", "outcome": "conviction_custody"},
            {"offence_id": "CR9", "outcome_date": "2022-12-01", "outcome": "1"},
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "custody",
        [{"person_id": "P1", "offence_id": "CR2", "sentence_date": "2021-06-01", "release_date": "2021-12-01"}],
        agency=police,
        by=police_admin,
    )
    # A new name and address: the old ones stay (as an alias, as a previous address), and history keeps both.
    load(
        "people",
        [create_person_row(given_name="Jon", address_1="4 Quay Street", postcode="WX2 9QQ", pnc_id=PNC)],
        agency=police,
        by=police_admin,
    )
    person = person_by_reference(police, "P1")
    create_marker(person, agency=police, start=dt.date(2021, 2, 10))
    create_marker(person, agency=probation, kind="drugs", start=dt.date(2019, 1, 1), end=dt.date(2020, 1, 1))
    legal_hold_place(person=person, reason="Civil claim WX/2026/17", by=police_admin)
    access_person(user=officer, person_id=person.pk, purpose="casework")
    return person


def _ids(rows: list[dict], key: str = "id") -> set[str]:
    return {str(row[key]) for row in rows}


def test_the_export_holds_every_record_that_refers_to_the_person(subject, police_admin):
    bundle = subject_access_export(person=subject, by=police_admin, formats=["json"]).bundle
    assert bundle["person"]["id"] == str(subject.pk)

    # Every model with a foreign key to Person, found the same way a new model would be.
    ordinary = person_references()
    assert {m._meta.label for m, _ in ordinary} >= {
        "people.PersonName",
        "people.PersonIdentifier",
        "people.Address",
        "people.WarningMarker",
        "access.AgencyRecord",
        "offending.Offence",
        "offending.OffenceVictim",
        "offending.CustodyPeriod",
        "dataprotection.LegalHold",
    }
    for model, fk in ordinary:
        held = {str(pk) for pk in model._base_manager.filter(**{fk.attname: subject.pk}).values_list("pk", flat=True)}
        assert held <= _ids(bundle["records"].get(model._meta.label, [])), model._meta.label
    for model, fk in person_references(history=True):
        pk = model._meta.pk.attname
        held = {str(k) for k in model._base_manager.filter(**{fk.attname: subject.pk}).values_list(pk, flat=True)}
        assert held <= _ids(bundle["history"].get(model._meta.label, []), pk), model._meta.label

    # And what hangs off their offences, and the history of the person row itself.
    offences = Offence.objects.filter(person=subject)
    outcomes = OffenceOutcome.objects.filter(offence__in=offences)
    assert _ids(bundle["records"]["offending.OffenceOutcome"]) == {str(o.pk) for o in outcomes}
    assert _ids(bundle["records"]["offending.CustodyPeriod"]) == {
        str(c.pk) for c in CustodyPeriod.objects.filter(offence__in=offences)
    }
    assert _ids(bundle["history"]["people.HistoricalPerson"], "history_id") == {
        str(h.history_id) for h in Person.history.filter(id=subject.pk)
    }
    assert _ids(bundle["history"]["offending.HistoricalOffenceOutcome"], "history_id") == {
        str(h.history_id) for h in OffenceOutcome.history.filter(offence_id__in=offences)
    }

    # Who saw them: every audit event about their record before this export.
    assert _ids(bundle["audit"]) == {
        str(pk)
        for pk in AuditEvent.objects.filter(object_type="person", object_id=str(subject.pk))
        .exclude(action="export")
        .values_list("pk", flat=True)
    }
    assert {e["username"] for e in bundle["audit"]} >= {"officer"}
    # Two agencies know him; both show.
    assert {r["agency__name"] for r in bundle["records"]["access.AgencyRecord"]} == {
        "Wessex Police",
        "Wessex Probation",
    }
    assert len(bundle["records"]["people.Address"]) == 3
    assert len(bundle["records"]["people.WarningMarker"]) == 2


def test_an_offence_against_them_is_shown_without_the_offender(subject, police_admin):
    bundle = subject_access_export(person=subject, by=police_admin, formats=["json"]).bundle
    (as_victim,) = bundle["records"]["offending.OffenceVictim"]
    assert as_victim["offence_date"] == "2022-08-14"
    assert as_victim["offence_code"] == "34B"
    assert as_victim["offence_group"] == "robbery"
    assert [o["outcome"] for o in as_victim["outcomes"]] == ["1"]
    assert set(as_victim) == {
        "id",
        "offence_date",
        "offence_code",
        "offence_code__label",
        "offence_group",
        "offence_group__label",
        "outcomes",
    }
    # Neither the offender against him nor the victim of his own offence appears anywhere.
    text = json.dumps(bundle)
    for reference in ("P2", "P3"):
        third_party = person_by_reference(subject.offences.first().agency, reference)
        assert str(third_party.pk) not in text
        assert third_party.surname not in text
    assert "2010/0000002C" not in text
    assert "CR9" not in text


def test_every_export_is_audited(subject, police_admin):
    subject_access_export(person=subject, by=police_admin, formats=["json"])
    event = AuditEvent.objects.filter(action="export").get()
    assert (event.username, event.object_type, event.object_id, event.purpose) == (
        police_admin.username,
        "person",
        str(subject.pk),
        "data_protection",
    )
    assert event.detail["subject_access"]["formats"] == ["json"]
    assert event.detail["subject_access"]["records"]["offending.Offence"] == 2
    # The next export shows the last one in the audit section.
    again = subject_access_bundle(person=subject, generated_by="test")
    assert any(e["action"] == "export" for e in again["audit"])


def test_the_readable_version_is_one_self_contained_page(subject, police_admin):
    html = subject_access_export(person=subject, by=police_admin, formats=["html"]).html()
    assert html.startswith("<!DOCTYPE html>")
    assert "Jon Smith" in html
    for text in ("Shoplifting", "Assault with injury", "Robbery of personal property", "Wessex Probation", "officer"):
        assert text in html, text
    for external in ("<link", "<script", "src=", "url(", "http://", "https://", "@import"):
        assert external not in html, external
    assert "Otto" not in html


def test_the_command_writes_json_and_html(subject, police_admin, tmp_path, capsys):
    assert ALIASES["subject-access"] == "subject_access"
    call_command("subject_access", PNC, "--output", str(tmp_path), "--user", police_admin.username)
    json_path = tmp_path / f"subject-access-{subject.pk}.json"
    html_path = tmp_path / f"subject-access-{subject.pk}.html"
    assert json.loads(json_path.read_text())["person_id"] == str(subject.pk)
    assert "Jon Smith" in html_path.read_text()
    assert str(json_path) in capsys.readouterr().out
    event = AuditEvent.objects.get(action="export")
    assert (event.via, event.detail["subject_access"]["formats"]) == ("command", ["json", "html"])


def test_the_command_without_a_user_records_the_operating_system_account(subject, tmp_path):
    call_command("subject_access", str(subject.pk), "--output", str(tmp_path))
    assert AuditEvent.objects.get(action="export").username.startswith("os:")


def test_the_command_refuses_an_unknown_person_or_someone_who_is_not_a_lead(subject, officer, tmp_path):
    with pytest.raises(CommandError, match="No person"):
        call_command("subject_access", "2099/0000000Z", "--output", str(tmp_path))
    with pytest.raises(CommandError, match="not a data protection lead"):
        call_command("subject_access", str(subject.pk), "--output", str(tmp_path), "--user", officer.username)
    assert not AuditEvent.objects.filter(action="export").exists()
