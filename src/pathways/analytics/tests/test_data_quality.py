"""Data quality and timeliness: hand-worked partner feeds, loaded through the real import service,
give the figures an analyst reads on the page, and only for the feeds shared with them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.analytics.quality import data_quality, lateness, rows_with_problems
from pathways.imports.models import ImportBatch
from pathways.imports.services import import_file
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome
from pathways.testing import create_person_row, csv_bytes, load, signed_in_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.UTC)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T10:00:00+00:00")


def arrived(filename: str, day: str) -> None:
    """The file (loaded just now by the test) in fact arrived on `day`."""
    ImportBatch.objects.filter(filename=filename).update(created_at=at(day))


def offence(ref: str, person: str, day: str, code: str, group: str, **more: str) -> dict[str, str]:
    return {
        "offence_id": ref,
        "person_id": person,
        "offence_date": day,
        "offence_code": code,
        "offence_group": group,
    } | more


@pytest.fixture
def feeds(police, probation, housing, police_admin, make_user, performance_agreement):
    """The police and probation share with the analyst's office; Wessex Homes does not.

    Police offences (4), arriving in three files, one more file rejected:
        CR1  P1  10 Jun 2025  shoplifting   WX1, coordinates     arrived 12 Jun (2 days)  caution
        CR2  P1  10 Jun 2025  shoplifting   no area              arrived 15 Jun (5 days)  (CR1 again)
        CR3  P2  11 Jun 2025  assault (105A) WX2, harmed P3      arrived 12 Jun (1 day)
        CR4  P2   1 Dec 2024  assault (8N)  WX1, no victim       arrived 11 Dec 2024      charged only
    """
    people = [
        create_person_row(person_id="P1", pnc_id="2010/0000001Z"),
        create_person_row(
            person_id="P2",
            surname="Jones",
            pnc_id="2010/0000002A",
            date_of_birth="",
            sex="",
            ethnicity="",
            address_1="",
            postcode="",
        ),
        create_person_row(person_id="P3", surname="Brown"),
    ]
    load("people", people, agency=police, by=police_admin, filename="police-people-1.csv")
    arrived("police-people-1.csv", "2024-11-30")
    # The police hold P1 twice: a second reference, matched on the PNC ID.
    load(
        "people",
        [create_person_row(person_id="P1B", pnc_id="2010/0000001Z")],
        agency=police,
        by=police_admin,
        filename="police-people-2.csv",
    )
    arrived("police-people-2.csv", "2025-06-01")
    load(
        "offences",
        [offence("CR4", "P2", "2024-12-01", "8N", "violence", area="WX1")],
        agency=police,
        by=police_admin,
        filename="police-offences-1.csv",
    )
    arrived("police-offences-1.csv", "2024-12-11")
    load(
        "offences",
        [
            offence("CR1", "P1", "2025-06-10", "46", "theft", area="WX1", latitude="50.7", longitude="-2.4"),
            offence("CR3", "P2", "2025-06-11", "105A", "violence", area="WX2", victim_ids="P3"),
        ],
        agency=police,
        by=police_admin,
        filename="police-offences-2.csv",
    )
    arrived("police-offences-2.csv", "2025-06-12")
    bad = csv_bytes(
        "offences",
        [
            offence("CR9", "P1", "2025-06-13", "XX", "theft"),
            offence("CR10", "P1", "2025-13-01", "46", "nonsense"),
        ],
    )
    rejected = import_file(kind="offences", agency=police, filename="police-offences-bad.csv", content=bad, by=None)
    assert not rejected.ok and rejected.error_count == 3
    arrived("police-offences-bad.csv", "2025-06-14")
    load(
        "offences",
        [offence("CR2", "P1", "2025-06-10", "46", "theft")],
        agency=police,
        by=police_admin,
        filename="police-offences-3.csv",
    )
    arrived("police-offences-3.csv", "2025-06-15")
    for ref, day in [("CR1", "2025-06-12"), ("CR2", "2025-06-15"), ("CR3", "2025-06-12"), ("CR4", "2024-12-11")]:
        Offence.objects.filter(reference=ref).update(created_at=at(day))
    load(
        "outcomes",
        [
            {"offence_id": "CR1", "outcome_date": "2025-06-11", "outcome": "3"},
            {"offence_id": "CR4", "outcome_date": "2024-12-20", "outcome": "1"},
        ],
        agency=police,
        by=police_admin,
        filename="police-outcomes-1.csv",
    )
    OffenceOutcome.objects.filter(offence__reference="CR1").update(created_at=at("2025-06-13"))
    OffenceOutcome.objects.filter(offence__reference="CR4").update(created_at=at("2024-12-21"))
    arrived("police-outcomes-1.csv", "2025-06-13")

    # Probation's custody feed came weekly, then stopped on 10 April.
    probation_admin = make_user("probation-admin", probation, "administrator")
    load("people", [create_person_row(person_id="Q1", surname="Green")], agency=probation, by=probation_admin)
    load("offences", [offence("PR1", "Q1", "2025-01-05", "28E", "theft")], agency=probation, by=probation_admin)
    load(
        "outcomes",
        [{"offence_id": "PR1", "outcome_date": "2025-02-01", "outcome": "conviction_custody"}],
        agency=probation,
        by=probation_admin,
    )
    ImportBatch.objects.filter(agency=probation).update(created_at=at("2025-03-01"))
    Offence.objects.filter(agency=probation).update(created_at=at("2025-03-01"))
    OffenceOutcome.objects.filter(agency=probation).update(created_at=at("2025-03-01"))
    custody = [{"person_id": "Q1", "offence_id": "PR1", "sentence_date": "2025-02-01", "release_date": ""}]
    load("custody", custody, agency=probation, by=probation_admin, filename="custody-1.csv")
    load("custody", custody, agency=probation, by=probation_admin, filename="custody-2.csv")
    arrived("custody-1.csv", "2025-04-03")
    arrived("custody-2.csv", "2025-04-10")
    CustodyPeriod.objects.update(created_at=at("2025-04-03"))

    # Wessex Homes records P2's assault again (found through the PNC ID), but shares nothing with the office.
    homes_admin = make_user("homes-admin", housing, "administrator")
    load(
        "people",
        [
            create_person_row(
                person_id="H2",
                surname="Jones",
                pnc_id="2010/0000002A",
                date_of_birth="",
                sex="",
                ethnicity="",
                address_1="",
                postcode="",
            )
        ],
        agency=housing,
        by=homes_admin,
    )
    load("offences", [offence("HX1", "H2", "2025-06-11", "105A", "violence")], agency=housing, by=homes_admin)


def feed(found, label):
    return next(f for f in found.feeds if f.label == label)


def test_each_feed_says_when_it_arrived_and_whether_that_is_late(feeds, analyst):
    found = data_quality(analyst, now=NOW)
    assert [f.label for f in found.feeds] == [
        "Wessex Police: people",
        "Wessex Police: offences",
        "Wessex Police: outcomes",
        "Wessex Probation: people",
        "Wessex Probation: offences",
        "Wessex Probation: outcomes",
        "Wessex Probation: custody periods",
    ]
    offences = feed(found, "Wessex Police: offences")
    assert offences.last_arrival == at("2025-06-15")
    assert offences.days_since_arrival == 15
    assert offences.latest_event == dt.date(2025, 6, 11)
    assert offences.late is False
    custody = feed(found, "Wessex Probation: custody periods")
    assert custody.usual_interval_days == 7.0
    assert custody.days_since_arrival == 81
    assert custody.late is True
    assert found.late == [custody]
    assert feed(found, "Wessex Police: outcomes").late is None, "one file: nothing to say what is usual"


def test_files_loaded_and_rejected_are_counted_in_the_window_and_over_all_time(feeds, analyst):
    offences = feed(data_quality(analyst, now=NOW), "Wessex Police: offences")
    # The rejected file named rows 2 and 3 (row 3 twice): two rows with problems, none loaded.
    assert (offences.recent.loaded, offences.recent.rows_loaded) == (2, 3)
    assert (offences.recent.rejected, offences.recent.rows_with_problems) == (1, 2)
    assert (offences.all_time.loaded, offences.all_time.rows_loaded) == (3, 4)


def test_lateness_is_the_median_and_90th_percentile_of_days_from_event_to_arrival(feeds, analyst):
    found = data_quality(analyst, now=NOW)
    # CR1 2 days, CR2 5, CR3 1; CR4 arrived before the 90-day window.
    offences = feed(found, "Wessex Police: offences").lateness
    assert (offences.records, offences.median_days, offences.p90_days) == (3, 2.0, 5)
    outcomes = feed(found, "Wessex Police: outcomes").lateness
    assert (outcomes.records, outcomes.median_days, outcomes.p90_days) == (1, 2.0, 2)
    custody = feed(found, "Wessex Probation: custody periods").lateness
    assert (custody.records, custody.median_days) == (1, 61.0)


def test_completeness_duplicates_and_offences_awaiting_an_outcome(feeds, analyst):
    found = data_quality(analyst, now=NOW)
    offences = feed(found, "Wessex Police: offences")
    shares = {c.label: (c.filled, c.total) for c in offences.completeness}
    assert shares == {
        "Offence code": (4, 4),
        "Offence group": (4, 4),
        "Area": (3, 4),
        "Coordinates": (1, 4),
        "Victim (offences that have one)": (1, 2),  # CR3 and CR4 are assaults; shoplifting has none
    }
    assert offences.duplicates == 2, "CR1 and CR2; Wessex Homes' copy of CR3 is not shared, so not counted"
    assert offences.awaiting_outcome == 1, "CR4: charged over 90 days ago, no court result"
    people = feed(found, "Wessex Police: people")
    assert people.records == 2, "P1 and P2 offended; P3 was only harmed"
    assert {c.label: (c.filled, c.total) for c in people.completeness} == {
        "Date of birth": (1, 2),
        "Sex known": (1, 2),
        "Ethnicity stated": (1, 2),
        "Postcode": (1, 2),
    }
    assert people.duplicates == 1, "P1 is held under P1 and P1B"


def test_an_agency_that_shares_nothing_adds_no_feed_and_no_figure(feeds, analyst, housing, performance_agreement):
    found = data_quality(analyst, now=NOW)
    assert not any(f.agency == "Wessex Homes" for f in found.feeds)
    performance_agreement.parties.add(housing)
    shared = data_quality(analyst, now=NOW)
    assert feed(shared, "Wessex Homes: offences").records == 1
    assert feed(shared, "Wessex Police: offences").duplicates == 3, "now Wessex Homes' copy of CR3 is a twin"


def test_the_page_reads_the_figures_and_is_audited(feeds, analyst):
    response = signed_in_client(analyst).get("/performance/data-quality/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Wessex Probation: custody periods" in page
    assert '<strong class="govuk-tag govuk-tag--red">Late</strong>' in page
    assert "Wessex Homes:" not in page, "no feed of an agency that shares nothing"
    assert "Not shared for this purpose" in page
    assert "Smith" not in page and "Jones" not in page, "no names on the page"
    assert AuditEvent.objects.filter(object_type="data_quality", username="analyst").exists()


def test_an_officer_is_refused_the_page(officer):
    assert signed_in_client(officer).get("/performance/data-quality/").status_code == 403


@pytest.fixture
def cohort(police, police_admin, performance_agreement):
    """Three people cautioned in July–September 2023, the latest cohort complete by June 2025:
    A reoffends (fined); B commits an offence in the follow-up that was charged but whose court
    result never arrived; C's sex is not known and nothing more is recorded."""
    people = [
        create_person_row(person_id="A"),
        create_person_row(person_id="B", surname="Jones"),
        create_person_row(person_id="C", surname="Brown", sex="U"),
    ]
    load("people", people, agency=police, by=police_admin)
    offences = [
        offence("A1", "A", "2023-07-20", "46", "theft"),
        offence("A2", "A", "2024-01-10", "46", "theft"),
        offence("B1", "B", "2023-08-01", "46", "theft"),
        offence("B2", "B", "2024-02-01", "46", "theft"),
        offence("C1", "C", "2023-08-20", "46", "theft"),
        offence("Z", "A", "2025-06-20", "46", "theft"),  # the data run to here
    ]
    load("offences", offences, agency=police, by=police_admin)
    outcomes = [
        {"offence_id": "A1", "outcome_date": "2023-08-01", "outcome": "3"},
        {"offence_id": "A2", "outcome_date": "2024-03-01", "outcome": "conviction_fine"},
        {"offence_id": "B1", "outcome_date": "2023-08-15", "outcome": "3"},
        {"offence_id": "B2", "outcome_date": "2024-02-10", "outcome": "1"},
        {"offence_id": "C1", "outcome_date": "2023-09-01", "outcome": "3"},
    ]
    load("outcomes", outcomes, agency=police, by=police_admin)


def test_how_missing_data_could_move_the_headline_measure(cohort, analyst):
    effect = data_quality(analyst, now=NOW).effect
    assert effect.cohort.label == "Jul–Sep 2023"
    assert (effect.as_is.cohort, effect.as_is.reoffenders) == (3, 1)
    assert effect.unknown_details == 1
    assert (effect.known_details.cohort, effect.known_details.reoffenders) == (2, 1)
    assert effect.awaiting == 1
    assert effect.upper_rate == pytest.approx(2 / 3)
    page = signed_in_client(analyst).get("/performance/data-quality/").content.decode()
    assert "33.3%" in page and "50.0%" in page and "66.7%" in page


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60))
def test_nine_in_ten_records_arrive_within_the_90th_percentile_and_half_within_the_median(days):
    event = dt.date(2025, 1, 1)
    found = lateness([(event, at((event + dt.timedelta(days=d)).isoformat())) for d in days])
    assert found.records == len(days)
    assert sum(d <= found.p90_days for d in days) >= 0.9 * len(days)
    assert sum(d < found.p90_days for d in days) < 0.9 * len(days), "and no smaller number would do"
    assert sum(d <= found.median_days for d in days) >= len(days) / 2 <= sum(d >= found.median_days for d in days)


def test_rows_with_problems_count_each_data_row_once_and_leave_the_header_to_the_file():
    errors = [{"row": 1, "column": "x"}, {"row": 3, "column": "a"}, {"row": 3, "column": "b"}, {"row": 7, "column": ""}]
    assert rows_with_problems(errors) == 2


def test_with_nothing_shared_the_page_says_so(analyst):
    found = data_quality(analyst, now=NOW)
    assert (found.feeds, found.effect) == ([], None)
    page = signed_in_client(analyst).get("/performance/data-quality/").content.decode()
    assert "No partner shares any records with your agency for performance analysis." in page
    assert "No cohort has completed its follow-up yet" in page
