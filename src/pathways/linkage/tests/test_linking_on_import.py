"""A second agency's people file arrives: the records the model is sure of join the people
the police hold, the uncertain ones wait for review, and the rest become new people."""

from __future__ import annotations

from typing import Any

import pytest

from pathways.imports.formats import csv_bytes
from pathways.imports.services import import_file
from pathways.linkage import synthetic
from pathways.linkage.models import LinkageModel, LinkDecision, ReviewPair, SourceRecord
from pathways.linkage.services import active_model
from pathways.people.models import Person, PersonName
from pathways.testing import create_person_row, load, person_by_reference

pytestmark = pytest.mark.django_db

POLICE_FILE = [
    create_person_row(person_id="P1", given_name="Jonathan", surname="Smith", date_of_birth="1998-04-12"),
    create_person_row(
        person_id="P2",
        given_name="Margaret",
        surname="Okonkwo",
        date_of_birth="1975-09-30",
        sex="F",
        address_1="3 Abbey Road",
        postcode="WX4 7QT",
    ),
    create_person_row(
        person_id="P3",
        given_name="Daniel",
        surname="Whitfield",
        date_of_birth="2001-01-17",
        address_1="88 Station Road",
        postcode="WX2 5LP",
    ),
]

# Probation's file: Jonathan Smith as probation writes him (clear), Margaret Okonkwo as "Maggie",
# moved house, her year of birth a year out (uncertain), and two people no one holds.
PROBATION_FILE = [
    create_person_row(person_id="PR-10", given_name="JONATHAN", surname="Smith", date_of_birth="1998-04-12"),
    create_person_row(
        person_id="PR-11",
        given_name="Maggie",
        surname="Okonkwo",
        date_of_birth="1976-09-30",
        sex="F",
        address_1="Flat 2, 19 Ridge Way",
        town="Melchester",
        postcode="WX8 1AA",
    ),
    create_person_row(
        person_id="PR-12",
        given_name="Priya",
        surname="Raman",
        date_of_birth="1990-06-02",
        sex="F",
        address_1="7 Elm Close",
        postcode="WX6 3DD",
    ),
    create_person_row(
        person_id="PR-13",
        given_name="Tomasz",
        surname="Kowalczyk",
        date_of_birth="1985-11-23",
        address_1="51 Dock Street",
        postcode="WX3 9PL",
    ),
]


def background() -> list[dict[str, Any]]:
    """The police's records of a few hundred synthetic people (no PNC IDs, so that only the model
    links): how common a name or a postcode is, which the model weighs, needs a population."""
    frame = synthetic.partner_records(people=400, seed=5)
    rows = []
    for record in frame[frame.agency == "police"][list(synthetic.PEOPLE_COLUMNS)].to_dict("records"):
        row = {k: "" if v is None else str(v) for k, v in record.items()}
        rows.append({**row, "pnc_id": ""})
    return rows


@pytest.fixture
def police_people(police: Any, police_admin: Any) -> None:
    load("people", background() + POLICE_FILE, agency=police, by=police_admin)


def _import(rows: list[dict[str, Any]], agency: Any, by: Any) -> Any:
    return import_file(
        kind="people", agency=agency, filename="probation-people.csv", content=csv_bytes("people", rows), by=by
    )


def test_the_first_use_of_linkage_makes_version_1_from_the_shipped_model(db, settings):
    settings.PATHWAYS_LINKAGE_LINK_THRESHOLD = 0.97
    settings.PATHWAYS_LINKAGE_REVIEW_THRESHOLD = 0.6
    model = active_model()
    assert (model.version, model.is_active, model.link_threshold, model.review_threshold) == (1, True, 0.97, 0.6)
    assert model.splink_settings
    assert active_model() == model and LinkageModel.objects.count() == 1


def test_a_second_agencys_file_links_the_clear_queues_the_uncertain_and_creates_the_rest(
    police_people, police, probation, police_admin
):
    people_before = Person.objects.count()
    report = _import(PROBATION_FILE, probation, police_admin)
    assert report.ok
    assert report.linkage == {"joined_by_identifier": 0, "joined_by_model": 1, "queued_for_review": 1, "new_people": 2}
    # Jonathan joined the police's person; his record keeps its agency and reference.
    jonathan = person_by_reference(police, "P1")
    assert person_by_reference(probation, "PR-10") == jonathan
    assert SourceRecord.objects.filter(person=jonathan).count() == 2
    # Margaret became a new person, and the pair waits for review.
    margaret = person_by_reference(probation, "PR-11")
    assert margaret != person_by_reference(police, "P2")
    pair = ReviewPair.objects.get()
    assert (pair.record.reference, pair.candidate.reference) == ("PR-11", "P2")
    assert pair.status == ReviewPair.Status.WAITING and pair.comparison
    model = active_model()
    assert model.review_threshold <= pair.match_probability < model.link_threshold
    assert Person.objects.count() == people_before + 3


def test_a_record_that_joins_by_the_model_fills_gaps_but_overwrites_nothing(
    police_people, police, probation, police_admin
):
    jonathan = person_by_reference(police, "P1")
    row = create_person_row(
        person_id="PR-20", given_name="Jonathon", surname="Smith", date_of_birth="1998-04-12", ethnicity="W2"
    )
    report = _import([row], probation, police_admin)
    assert report.linkage["joined_by_model"] == 1
    jonathan.refresh_from_db()
    assert (jonathan.given_name, jonathan.ethnicity) == ("Jonathan", "W1")
    assert PersonName.objects.filter(person=jonathan, given_name="Jonathon", is_alias=True).exists()


def test_every_decision_keeps_its_probability_comparison_model_and_import(police_people, probation, police_admin):
    report = _import(PROBATION_FILE, probation, police_admin)
    decisions = LinkDecision.objects.filter(record__agency=probation)
    assert decisions.count() == len(PROBATION_FILE)
    model = active_model()
    for decision in decisions:
        assert decision.method == LinkDecision.Method.MODEL
        assert decision.model == model and decision.import_batch == report.batch and decision.via == "web"
        if decision.outcome in (LinkDecision.Outcome.JOINED, LinkDecision.Outcome.QUEUED):
            assert decision.candidate is not None and decision.match_probability is not None
            assert decision.match_weight is not None
            assert {"comparison", "level", "left", "right", "agrees", "match_weight"} <= set(decision.comparison[0])
        if decision.match_probability is not None:
            assert decision.comparison


def test_importing_the_same_file_again_changes_nothing(police_people, probation, police_admin):
    _import(PROBATION_FILE, probation, police_admin)
    counts = (Person.objects.count(), LinkDecision.objects.count(), ReviewPair.objects.count())
    again = _import(PROBATION_FILE, probation, police_admin)
    assert again.ok and again.created == again.updated == 0
    assert again.linkage == {"joined_by_identifier": 0, "joined_by_model": 0, "queued_for_review": 0, "new_people": 0}
    assert (Person.objects.count(), LinkDecision.objects.count(), ReviewPair.objects.count()) == counts


def test_a_record_matched_by_pnc_id_is_kept_as_an_identifier_decision(police, probation, police_admin):
    load("people", [create_person_row(pnc_id="2016/0001234B")], agency=police, by=police_admin)
    report = _import(
        [create_person_row(person_id="PR-30", given_name="Jon", pnc_id="2016/0001234B")], probation, police_admin
    )
    assert report.linkage["joined_by_identifier"] == 1
    decision = LinkDecision.objects.get(record__reference="PR-30")
    assert (decision.method, decision.outcome, decision.match_probability) == ("identifier", "joined", None)


def test_rows_of_one_file_are_not_linked_to_each_other(db, police, police_admin):
    twins = [
        create_person_row(person_id="P1"),
        create_person_row(person_id="P2"),  # the police's own duplicate, in the same file
    ]
    report = load("people", twins, agency=police, by=police_admin)
    assert report.linkage["new_people"] == 2
    assert person_by_reference(police, "P1") != person_by_reference(police, "P2")
    assert not ReviewPair.objects.exists()


def test_a_duplicate_in_a_later_file_of_the_same_agency_is_linked(police_people, police, police_admin):
    duplicate = create_person_row(person_id="P99", given_name="Jonathan", surname="Smith", date_of_birth="1998-04-12")
    report = load("people", [duplicate], agency=police, by=police_admin)
    assert report.linkage["joined_by_model"] == 1
    assert person_by_reference(police, "P99") == person_by_reference(police, "P1")


def test_a_file_with_an_error_saves_nothing(police_people, probation, police_admin):
    bad = [*PROBATION_FILE, create_person_row(person_id="PR-99", date_of_birth="1998-02-30")]
    counts = (Person.objects.count(), SourceRecord.objects.count(), LinkDecision.objects.count())
    report = _import(bad, probation, police_admin)
    assert not report.ok and report.linkage is None
    assert any(e.row == 6 and e.column == "date_of_birth" for e in report.errors)
    assert (Person.objects.count(), SourceRecord.objects.count(), LinkDecision.objects.count()) == counts
    assert not ReviewPair.objects.exists()


def test_the_report_says_what_linkage_did_on_the_page_the_command_and_the_api(
    police_people, probation, make_user, tmp_path, capsys
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from pathways.accounts.models import Role
    from pathways.accounts.services import api_token_create
    from pathways.testing import signed_in_client

    probation_admin = make_user("probation-admin", probation, Role.ADMINISTRATOR)
    _, key = api_token_create(user=probation_admin, name="test")
    api = Client(headers={"Authorization": f"Bearer {key}"})
    upload = SimpleUploadedFile("people.csv", csv_bytes("people", PROBATION_FILE[:2]), content_type="text/csv")
    answer = api.post("/api/v1/imports/people", {"file": upload})
    assert answer.status_code == 201, answer.content
    assert answer.json()["linkage"] == {
        "joined_by_identifier": 0,
        "joined_by_model": 1,
        "queued_for_review": 1,
        "new_people": 0,
    }
    page = signed_in_client(probation_admin).get(reverse("imports:batch", args=[answer.json()["batch_id"]]))
    html = page.content.decode()
    assert "Joined a person by the linkage model" in html and "Wait for review" in html
    rest = tmp_path / "people.csv"
    rest.write_bytes(csv_bytes("people", PROBATION_FILE[2:]))
    call_command("import_data", "people", str(rest), "--agency", probation.code)
    out = capsys.readouterr().out
    assert "0 joined a person by the linkage model, 0 wait for review, 2 new people" in out
