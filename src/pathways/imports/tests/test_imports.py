"""Partner imports: every bad row reported, nothing half-written, the same file twice changes nothing."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.imports.models import ImportBatch
from pathways.imports.services import import_file
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome, OffenceVictim
from pathways.people.models import Address, Person, PersonIdentifier, PersonName
from pathways.testing import create_person_row, csv_bytes, load, person_by_reference

DOMAIN_MODELS = [
    Person,
    PersonName,
    PersonIdentifier,
    Address,
    AgencyRecord,
    Offence,
    OffenceVictim,
    OffenceOutcome,
    CustodyPeriod,
]


def snapshot() -> dict[str, int]:
    """Row counts of every domain table and of their change histories."""
    counts = {m.__name__: m.objects.count() for m in DOMAIN_MODELS}
    for m in DOMAIN_MODELS:
        if hasattr(m, "history"):
            counts[f"history:{m.__name__}"] = m.history.count()
    return counts


def test_a_valid_people_file_creates_people_with_names_identifiers_and_addresses(police, police_admin):
    report = load(
        "people",
        [
            create_person_row(pnc_id="2016/0001234B", other_id="CUST-9"),
            create_person_row(
                person_id="P2", given_name="Amira", surname="Khan", sex="F", ethnicity="A2", postcode="wx5 1bd"
            ),
        ],
        agency=police,
        by=police_admin,
    )
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    smith = person_by_reference(police, "P1")
    assert smith.full_name == "Jonathan Smith"
    assert set(smith.identifiers.values_list("kind", "value")) == {
        ("agency_ref", "P1"),
        ("pnc", "2016/0001234B"),
        ("other", "CUST-9"),
    }
    khan = person_by_reference(police, "P2")
    address = khan.addresses.get()
    assert (address.postcode, address.area) == ("WX5 1BD", "WX5")
    assert AgencyRecord.objects.filter(agency=police, person=khan).exists()


def test_a_file_with_bad_rows_imports_nothing_and_reports_every_row_and_column(police, police_admin):
    load("people", [create_person_row(person_id="KEEP")], agency=police, by=police_admin)
    before = snapshot()
    content = csv_bytes(
        "people",
        [
            create_person_row(person_id="A1"),
            create_person_row(person_id="A2", date_of_birth="1998-13-40"),
            create_person_row(person_id="A3", surname=""),
            create_person_row(person_id="A4", sex="Q", postcode="NOT A CODE", pnc_id="12345"),
        ],
    )
    report = import_file(kind="people", agency=police, filename="bad-people.csv", content=content, by=police_admin)
    assert not report.ok
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "date_of_birth"), (4, "surname"), (5, "sex"), (5, "postcode"), (5, "pnc_id")}
    assert all(e.file == "bad-people.csv" for e in report.errors)
    assert "YYYY-MM-DD" in next(e.reason for e in report.errors if e.column == "date_of_birth")
    assert snapshot() == before
    assert report.batch.status == ImportBatch.Status.REJECTED
    assert len(report.batch.errors) == 5


def test_importing_the_same_file_twice_changes_nothing(police, police_admin):
    people = csv_bytes(
        "people", [create_person_row(), create_person_row(person_id="P2", given_name="Amira", surname="Khan")]
    )
    offences = csv_bytes(
        "offences",
        [
            {
                "offence_id": "O1",
                "person_id": "P1",
                "offence_date": "2020-01-02",
                "offence_code": "105A",
                "offence_group": "violence",
                "victim_ids": "P2",
            }
        ],
    )
    outcomes = csv_bytes(
        "outcomes", [{"offence_id": "O1", "outcome_date": "2020-02-02", "outcome": "conviction_custody"}]
    )
    custody = csv_bytes(
        "custody",
        [{"person_id": "P1", "offence_id": "O1", "sentence_date": "2020-02-02", "release_date": "2020-05-01"}],
    )
    files = [("people", people), ("offences", offences), ("outcomes", outcomes), ("custody", custody)]
    for kind, content in files:
        assert import_file(kind=kind, agency=police, filename=f"{kind}.csv", content=content, by=police_admin).ok
    after_first = snapshot()
    for kind, content in files:
        report = import_file(kind=kind, agency=police, filename=f"{kind}.csv", content=content, by=police_admin)
        assert (report.created, report.updated) == (0, 0)
        assert report.unchanged == report.rows
    assert snapshot() == after_first


def test_a_changed_row_updates_the_person_and_keeps_the_old_name_and_address(police, police_admin):
    load("people", [create_person_row()], agency=police, by=police_admin)
    report = load(
        "people",
        [create_person_row(surname="Smith-Jones", address_1="4 Quarry Lane", postcode="WX2 9ZZ")],
        agency=police,
        by=police_admin,
    )
    assert (report.created, report.updated) == (0, 1)
    person = person_by_reference(police, "P1")
    assert person.surname == "Smith-Jones"
    assert person.names.get(is_alias=True).surname == "Smith"
    assert list(person.addresses.order_by("-is_current").values_list("postcode", "is_current")) == [
        ("WX2 9ZZ", True),
        ("WX1 2AB", False),
    ]
    # The change keeps its history: who made it and what it was before.
    latest, previous = person.history.all()[:2]
    assert (latest.surname, previous.surname) == ("Smith-Jones", "Smith")
    assert latest.history_user == police_admin


def test_a_person_from_a_second_agency_joins_on_pnc_id_without_overwriting(police, probation, police_admin):
    load("people", [create_person_row(pnc_id="2016/0001234B")], agency=police, by=police_admin)
    load(
        "people",
        [
            create_person_row(
                person_id="X123456", given_name="Jon", surname="Smith", date_of_birth="", pnc_id="2016/0001234B"
            )
        ],
        agency=probation,
    )
    assert Person.objects.count() == 1
    person = Person.objects.get()
    assert person.given_name == "Jonathan"
    assert person.names.filter(given_name="Jon", is_alias=True).exists()
    assert AgencyRecord.objects.filter(person=person).count() == 2


def test_a_pnc_id_already_held_for_someone_else_is_refused(police, police_admin):
    load(
        "people",
        [create_person_row(pnc_id="2016/0001234B"), create_person_row(person_id="P2", pnc_id="")],
        agency=police,
        by=police_admin,
    )
    report = import_file(
        kind="people",
        agency=police,
        filename="p.csv",
        content=csv_bytes("people", [create_person_row(person_id="P2", pnc_id="2016/0001234B")]),
        by=police_admin,
    )
    assert [(e.row, e.column) for e in report.errors] == [(2, "pnc_id")]


def test_references_to_unknown_people_and_offences_are_reported(police, police_admin):
    load("people", [create_person_row()], agency=police, by=police_admin)
    offences = import_file(
        kind="offences",
        agency=police,
        filename="o.csv",
        by=police_admin,
        content=csv_bytes(
            "offences",
            [
                {
                    "offence_id": "O1",
                    "person_id": "NOBODY",
                    "offence_date": "2020-01-02",
                    "offence_code": "46",
                    "offence_group": "theft",
                },
                {
                    "offence_id": "O2",
                    "person_id": "P1",
                    "offence_date": "1990-01-02",
                    "offence_code": "46",
                    "offence_group": "theft",
                },
                {
                    "offence_id": "O3",
                    "person_id": "P1",
                    "offence_date": "2020-01-02",
                    "offence_code": "theft!",
                    "offence_group": "burglary",
                },
            ],
        ),
    )
    assert [(e.row, e.column) for e in offences.errors] == [
        (2, "person_id"),
        (3, "offence_date"),
        (4, "offence_code"),
        (4, "offence_group"),
    ]
    outcomes = import_file(
        kind="outcomes",
        agency=police,
        filename="x.csv",
        by=police_admin,
        content=csv_bytes("outcomes", [{"offence_id": "O9", "outcome_date": "2020-01-01", "outcome": "23"}]),
    )
    assert {(e.row, e.column) for e in outcomes.errors} == {(2, "outcome")}
    assert Offence.objects.count() == 0


def test_outcomes_and_custody_are_checked_against_the_offence(police, police_admin):
    load(
        "people",
        [create_person_row(), create_person_row(person_id="P2", given_name="Amira", surname="Khan")],
        agency=police,
        by=police_admin,
    )
    load(
        "offences",
        [
            {
                "offence_id": "O1",
                "person_id": "P1",
                "offence_date": "2020-01-02",
                "offence_code": "46",
                "offence_group": "theft",
            }
        ],
        agency=police,
        by=police_admin,
    )
    outcomes = import_file(
        kind="outcomes",
        agency=police,
        filename="x.csv",
        by=police_admin,
        content=csv_bytes("outcomes", [{"offence_id": "O1", "outcome_date": "2019-12-31", "outcome": "8"}]),
    )
    assert [(e.row, e.column) for e in outcomes.errors] == [(2, "outcome_date")]
    custody = import_file(
        kind="custody",
        agency=police,
        filename="c.csv",
        by=police_admin,
        content=csv_bytes(
            "custody",
            [
                {"person_id": "P2", "offence_id": "O1", "sentence_date": "2020-03-01", "release_date": ""},
                {"person_id": "P1", "offence_id": "O1", "sentence_date": "2020-03-01", "release_date": "2020-02-01"},
            ],
        ),
    )
    assert [(e.row, e.column) for e in custody.errors] == [(2, "offence_id"), (3, "release_date")]
    assert CustodyPeriod.objects.count() == 0


def test_header_problems_are_reported_on_row_one(police, police_admin):
    content = b"person_id,given_name\nP1,Jon\n"
    report = import_file(kind="people", agency=police, filename="short.csv", content=content, by=police_admin)
    assert {e.column for e in report.errors} >= {"surname", "date_of_birth", "pnc_id"}
    assert {e.row for e in report.errors} == {1}
    empty = import_file(kind="people", agency=police, filename="empty.csv", content=b"", by=police_admin)
    assert "empty" in empty.errors[0].reason
    latin1 = import_file(
        kind="people", agency=police, filename="l.csv", content="person_id\nZo\xeb\n".encode("latin-1"), by=police_admin
    )
    assert "UTF-8" in latin1.errors[0].reason


def test_duplicate_keys_and_ragged_rows_are_reported(police, police_admin):
    content = csv_bytes("people", [create_person_row(), create_person_row()]) + b"P3,A,B,,,,,,,,,,extra\n"
    report = import_file(kind="people", agency=police, filename="d.csv", content=content, by=police_admin)
    reasons = {e.row: e.reason for e in report.errors}
    assert "first at row 2" in reasons[3]
    assert "values but the header has 12 columns" in reasons[4]


def test_every_import_is_audited(police, police_admin):
    load("people", [create_person_row()], agency=police, by=police_admin)
    event = AuditEvent.objects.get(action="import")
    assert (event.username, event.agency_code, event.detail["created"]) == ("police-admin", "wessex-police", 1)


def test_the_import_command_prints_every_problem_and_fails(police, tmp_path, capsys):
    bad = tmp_path / "people.csv"
    bad.write_bytes(csv_bytes("people", [create_person_row(date_of_birth="12/04/1998")]))
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_data", "people", str(bad), "--agency", "wessex-police")
    assert "people.csv, row 2, column date_of_birth" in capsys.readouterr().err
    good = tmp_path / "people-good.csv"
    good.write_bytes(csv_bytes("people", [create_person_row()]))
    call_command("import_data", "people", str(good), "--agency", "wessex-police")
    assert "1 new" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No agency"):
        call_command("import_data", "people", str(good), "--agency", "nobody")


names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x24F), min_size=1, max_size=30)
dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2010, 12, 31))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(names, names, dates), min_size=1, max_size=6))
def test_any_valid_people_file_imports_and_reimports_idempotently(police, police_admin, rows):
    # Examples share one database, so each example's references are new.
    batch = uuid.uuid4().hex[:12]
    people = [
        create_person_row(
            person_id=f"H{batch}-{i}",
            given_name=g.strip() or "A",
            surname=s.strip() or "B",
            date_of_birth=d.isoformat(),
        )
        for i, (g, s, d) in enumerate(rows)
    ]
    content = csv_bytes("people", people)
    first = import_file(kind="people", agency=police, filename="h.csv", content=content, by=police_admin)
    assert first.ok, first.errors
    before = snapshot()
    second = import_file(kind="people", agency=police, filename="h.csv", content=content, by=police_admin)
    assert second.ok and second.created == second.updated == 0
    assert snapshot() == before


def test_a_file_with_a_nul_character_is_refused_with_its_line(police, police_admin):
    content = csv_bytes("people", [create_person_row(), create_person_row(person_id="P2", surname="Smi\x00th")])
    report = import_file(kind="people", agency=police, filename="p.csv", content=content, by=police_admin)
    assert [(e.row, "NUL" in e.reason) for e in report.errors] == [(3, True)]
    assert Person.objects.count() == 0
