"""Reading the service's own records for analysis goes through the sharing agreements."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command

from pathways.access.models import AuditEvent
from pathways.analytics.sources import service_extract
from pathways.offending.models import Offence
from pathways.sharing.models import Agreement, Consent
from pathways.sharing.reference import Category, LawfulBasis, Purpose
from pathways.testing import create_person_row, load

pytestmark = pytest.mark.django_db


def offending(agency, by, pid: str, surname: str, *, offence_date: str, outcome: str, outcome_date: str) -> None:
    load("people", [create_person_row(person_id=pid, surname=surname)], agency=agency, by=by)
    load(
        "offences",
        [
            {
                "offence_id": f"{pid}-1",
                "person_id": pid,
                "offence_date": offence_date,
                "offence_code": "46",
                "offence_group": "theft",
            }
        ],
        agency=agency,
        by=by,
    )
    load(
        "outcomes", [{"offence_id": f"{pid}-1", "outcome_date": outcome_date, "outcome": outcome}], agency=agency, by=by
    )


@pytest.fixture
def recorded(police, housing, police_admin, make_user, performance_agreement):
    """The police (party to the performance agreement) and Wessex Homes (not party) each record an offence."""
    offending(police, police_admin, "P1", "Smith", offence_date="2023-01-10", outcome="3", outcome_date="2023-02-01")
    housing_admin = make_user("housing-admin", housing, "administrator")
    offending(housing, housing_admin, "H1", "Jones", offence_date="2023-03-10", outcome="3", outcome_date="2023-04-01")
    return housing_admin


def test_an_analyst_gets_only_what_the_agreements_share_and_no_names(recorded, analyst):
    extract = service_extract(analyst)
    offences = extract.frames["offences"]
    assert list(offences["offence_group"]) == ["theft"]
    assert len(extract.frames["outcomes"]) == 1
    assert extract.offence_sources == [
        "Office of the Wessex Police and Crime Commissioner",
        "Wessex Police",
        "Wessex Probation",
    ]
    assert "Wessex Homes" in extract.left_out
    people = extract.frames["people"]
    assert set(people.columns) == {"person_id", "date_of_birth", "sex", "ethnicity", "postcode"}
    assert list(people["postcode"]) == ["WX1"], "only the outward code leaves the service"
    assert extract.agreements == ["Reducing Reoffending Performance Agreement"]
    event = AuditEvent.objects.filter(object_type="analytics_extract").latest("id")
    assert event.username == "analyst"
    assert event.action == AuditEvent.Action.EXPORT
    assert event.purpose == Purpose.PERFORMANCE_ANALYSIS
    assert event.detail["offences"] == 1


def test_an_agreement_out_of_force_shares_nothing(recorded, analyst, performance_agreement):
    performance_agreement.end_date = dt.date(2021, 1, 1)
    performance_agreement.save()
    assert service_extract(analyst).frames["offences"].empty


def test_a_consent_based_agreement_shares_only_people_who_consented(recorded, analyst, housing, opcc, police_admin):
    agreement = Agreement.objects.create(
        reference="homes-consent",
        title="Homes (with consent)",
        purposes=[Purpose.PERFORMANCE_ANALYSIS],
        categories=[Category.OFFENDING_HISTORY, Category.OUTCOMES],
        lawful_basis=LawfulBasis.CONSENT,
        start_date=dt.date(2020, 1, 1),
        review_date=dt.date(2030, 1, 1),
    )
    agreement.parties.set([housing, opcc])
    assert len(service_extract(analyst).frames["offences"]) == 1
    housing_offender = Offence.objects.get(agency=housing).person
    Consent.objects.create(
        person=housing_offender,
        purpose=Purpose.PERFORMANCE_ANALYSIS,
        status=Consent.Status.GIVEN,
        recorded_on=dt.date(2024, 1, 1),
        recorded_by=police_admin,
        agency=housing,
    )
    extract = service_extract(analyst)
    assert len(extract.frames["offences"]) == 2
    assert len(extract.frames["outcomes"]) == 2
    Consent.objects.create(
        person=housing_offender,
        purpose=Purpose.PERFORMANCE_ANALYSIS,
        status=Consent.Status.WITHDRAWN,
        recorded_on=dt.date(2024, 6, 1),
        recorded_by=police_admin,
        agency=housing,
    )
    assert len(service_extract(analyst).frames["offences"]) == 1, "withdrawn consent takes them out again"


def test_the_command_reads_the_service_database_without_data(recorded, analyst, capsys):
    call_command(
        "reoffending", "--cohort-start", "2023-01-01", "--cohort-end", "2023-12-31", "--format", "json", "--no-progress"
    )
    everything = json.loads(capsys.readouterr().out)
    assert everything["cohort"] == 2, "the operator on the server analyses the whole database"
    call_command(
        "reoffending",
        "--cohort-start",
        "2023-01-01",
        "--cohort-end",
        "2023-12-31",
        "--format",
        "json",
        "--no-progress",
        "--as-user",
        "analyst",
    )
    assert json.loads(capsys.readouterr().out)["cohort"] == 1, "the analyst's agreements leave Wessex Homes out"
