"""The strategic assessment: a hand-worked year of offending, loaded through the real import
service, gives the figures an analyst reads, and only from the agencies that share with them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.analytics.engines import COLUMNS, DuckDBEngine
from pathways.analytics.strategic import PROOF_OUTCOMES, default_period, previous_offending, strategic_assessment
from pathways.testing import create_person_row, load, signed_in_client

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def offence(ref: str, person: str, day: str, code: str, group: str, **more: str) -> dict[str, str]:
    return {
        "offence_id": ref,
        "person_id": person,
        "offence_date": day,
        "offence_code": code,
        "offence_group": group,
    } | more


@pytest.fixture
def year(police, housing, police_admin, make_user, performance_agreement):
    """2025 in a small town. Before it, P1 was fined (2024) and P5 offended in December 2024 but
    was only cautioned for it on 1 June 2025, the day of their next offence.

        O2  P1 (35, M)  1 Feb   assault (105A)   WX1   harmed P3 (75)    previous: fined in 2024
        O3  P2 (19, F)  1 Mar   shoplifting      WX2                     community resolution: not proof
        O4  P2          1 May   other theft      WX2   harmed P3
        O5  P5 (45, M)  1 Jun   assault (8N)     WX1   harmed P4 (10)    caution the same day: not before
        O7  P1          1 Jul   shoplifting      (no area)               previous
    """
    people = [
        create_person_row(person_id="P1", date_of_birth="1990-01-01", sex="M"),
        create_person_row(person_id="P2", surname="Jones", date_of_birth="2005-06-01", sex="F"),
        create_person_row(person_id="P3", surname="Brown", date_of_birth="1950-01-01", sex="F"),
        create_person_row(person_id="P4", surname="Green", date_of_birth="2015-01-01", sex="M"),
        create_person_row(person_id="P5", surname="Grey", date_of_birth="1980-01-01", sex="M", ethnicity="B1"),
    ]
    load("people", people, agency=police, by=police_admin)
    offences = [
        offence("O1", "P1", "2024-03-01", "46", "theft", area="WX1"),
        offence("O6", "P5", "2024-12-20", "46", "theft", area="WX1"),
        offence("O2", "P1", "2025-02-01", "105A", "violence", area="WX1", victim_ids="P3"),
        offence("O3", "P2", "2025-03-01", "46", "theft", area="WX2"),
        offence("O4", "P2", "2025-05-01", "49", "theft", area="WX2", victim_ids="P3"),
        offence("O5", "P5", "2025-06-01", "8N", "violence", area="WX1", victim_ids="P4"),
        offence("O7", "P1", "2025-07-01", "46", "theft"),
    ]
    load("offences", offences, agency=police, by=police_admin)
    outcomes = [
        {"offence_id": "O1", "outcome_date": "2024-04-01", "outcome": "conviction_fine"},
        {"offence_id": "O3", "outcome_date": "2025-03-10", "outcome": "8"},
        {"offence_id": "O6", "outcome_date": "2025-06-01", "outcome": "3"},
    ]
    load("outcomes", outcomes, agency=police, by=police_admin)
    # Wessex Homes, which shares nothing with the office, records a burglary in WX9 against P3.
    homes_admin = make_user("homes-admin", housing, "administrator")
    load(
        "people",
        [create_person_row(person_id="H1", surname="Black"), create_person_row(person_id="H3", surname="Brown")],
        agency=housing,
        by=homes_admin,
    )
    load(
        "offences",
        [offence("HX1", "H1", "2025-04-01", "28E", "theft", area="WX9", victim_ids="H3")],
        agency=housing,
        by=homes_admin,
    )


def test_where_crime_happens_by_area_and_offence_group(year, analyst):
    found = strategic_assessment(analyst, START, END)
    assert (found.offences, found.offenders) == (5, 3)
    assert [(g.key, g.count) for g in found.by_group] == [("theft", 3), ("violence", 2)]
    assert [(a.label, a.count) for a in found.by_area] == [("WX1", 2), ("WX2", 2), ("Not recorded", 1)]
    assert [(r.area, r.by_group) for r in found.cross_tab] == [
        ("WX1", [0, 2]),
        ("WX2", [2, 0]),
        ("Not recorded", [1, 0]),
    ]
    assert [m.count for m in found.by_month] == [0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0]


def test_the_share_of_offences_by_people_with_previous_proven_offences_by_crime_type(year, analyst):
    found = strategic_assessment(analyst, START, END)
    # Violence: O2 yes (fined 2024), O5 no (cautioned the same day). Theft: O7 yes; O3, O4 no (a CR is not proof).
    shares = {s.key: (s.by_previous_offenders, s.offences) for s in found.previous_by_group}
    assert shares == {"theft": (1, 3), "violence": (1, 2)}
    assert (found.previous.by_previous_offenders, found.previous.offences) == (2, 5)
    assert found.previous.share == pytest.approx(0.4)


def test_offender_and_victim_profiles_count_offences_and_people(year, analyst):
    found = strategic_assessment(analyst, START, END)
    assert [(r.key, r.offences, r.people) for r in found.offender_age] == [
        ("18-20", 2, 1),
        ("35-39", 2, 1),
        ("45-49", 1, 1),
    ]
    assert [(r.key, r.offences, r.people) for r in found.offender_sex] == [("M", 3, 2), ("F", 2, 1)]
    assert [(r.key, r.people) for r in found.offender_ethnicity] == [("B1", 1), ("W1", 2)]
    assert [(r.key, r.offences, r.people) for r in found.victim_age] == [("10-17", 1, 1), ("65+", 2, 1)]
    assert [(r.key, r.offences, r.people) for r in found.victim_sex] == [("M", 1, 1), ("F", 2, 1)]


def test_repeat_victims_and_the_offences_against_them(year, analyst):
    repeat = strategic_assessment(analyst, START, END).repeat
    assert (repeat.victims, repeat.repeat_victims, repeat.most_times_harmed) == (2, 1, 2)
    assert (repeat.offences_with_victim, repeat.offences_against_repeat_victims) == (3, 2)
    assert repeat.offence_share == pytest.approx(2 / 3)


def test_an_agency_that_shares_nothing_adds_no_offence_area_or_victim(year, analyst, housing, performance_agreement):
    found = strategic_assessment(analyst, START, END)
    assert "WX9" not in [a.key for a in found.by_area]
    performance_agreement.parties.add(housing)
    shared = strategic_assessment(analyst, START, END)
    assert shared.offences == 6
    assert "WX9" in [a.key for a in shared.by_area]
    assert shared.repeat.victims == 3


def test_the_default_period_is_the_last_twelve_complete_months_before_the_data_end():
    assert default_period(dt.date(2026, 6, 15)) == (dt.date(2025, 6, 1), dt.date(2026, 5, 31))
    assert default_period(dt.date(2026, 1, 31)) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_the_page_shows_the_figures_counts_victims_without_names_and_is_audited(year, analyst):
    client = signed_in_client(analyst)
    page = client.get("/performance/strategic-assessment/", {"start": "2025-01-01", "end": "2025-12-31"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "40.0%" in text, "the share of offences by previous offenders"
    assert "Violence against the person" in text and "WX2" in text
    for surname in ("Smith", "Jones", "Brown", "Green", "Grey"):
        assert surname not in text
    event = AuditEvent.objects.filter(object_type="strategic_assessment").latest("id")
    assert event.object_id == "2025-01-01:2025-12-31"
    # Without a period: the twelve complete months before the data end (the latest date, 1 July 2025).
    default = client.get("/performance/strategic-assessment/")
    assert default.status_code == 200
    assert "1 July 2024 to 30 June 2025" in default.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2025-01-01"},
        {"start": "2025-13-01", "end": "2025-12-31"},
        {"start": "2025-12-31", "end": "2025-01-01"},
        {"start": "1980-01-01", "end": "1980-12-31"},
        {"start": "2020-01-01", "end": "2025-12-31"},
    ],
)
def test_a_bad_period_is_refused_with_a_reason(analyst, query):
    response = signed_in_client(analyst).get("/performance/strategic-assessment/", query)
    assert response.status_code == 400
    assert response.content.decode().startswith("This assessment cannot be shown: ")


def test_an_officer_is_refused_the_page(officer):
    assert signed_in_client(officer).get("/performance/strategic-assessment/").status_code == 403


# The rule itself, against a brute-force count, on any small history.
DAY0 = dt.date(2025, 1, 1)
offences_st = st.lists(
    st.tuples(
        st.integers(0, 1),  # person
        st.integers(0, 12),  # offence day
        st.sampled_from(["theft", "violence"]),
        st.lists(st.tuples(st.sampled_from(["1", "3", "8", "16", "conviction_fine", "acquittal"]), st.integers(0, 6))),
    ),
    max_size=25,
)


@settings(max_examples=100, deadline=None)
@given(offences_st, st.integers(0, 12), st.integers(0, 12))
def test_the_previous_offender_share_is_a_proportion_and_matches_a_brute_force_count(history, first, length):
    start, end = DAY0 + dt.timedelta(days=first), DAY0 + dt.timedelta(days=first + length)
    offences = [
        {
            "offence_id": f"O{i}",
            "person_id": f"P{p}",
            "offence_date": DAY0 + dt.timedelta(days=d),
            "offence_code": "46",
            "offence_group": g,
        }
        for i, (p, d, g, _) in enumerate(history)
    ]
    outcomes = [
        {"offence_id": f"O{i}", "outcome_date": DAY0 + dt.timedelta(days=d + lag), "outcome": code}
        for i, (_, d, _, results) in enumerate(history)
        for code, lag in results
    ]
    engine = DuckDBEngine()
    engine.load_frames(
        {
            "offences": pd.DataFrame(offences, columns=list(COLUMNS["offences"])),
            "outcomes": pd.DataFrame(outcomes, columns=list(COLUMNS["outcomes"])),
        }
    )
    overall, by_group = previous_offending(engine.sql, start, end)
    engine.close()

    def proven_before(person: str, day: dt.date) -> bool:
        return any(
            o["person_id"] == person
            and o["offence_date"] < day
            and any(
                x["offence_id"] == o["offence_id"] and x["outcome"] in PROOF_OUTCOMES and x["outcome_date"] < day
                for x in outcomes
            )
            for o in offences
        )

    in_period = [o for o in offences if start <= o["offence_date"] <= end]
    assert overall.offences == len(in_period)
    assert overall.by_previous_offenders == sum(proven_before(o["person_id"], o["offence_date"]) for o in in_period)
    for share in by_group:
        group = [o for o in in_period if o["offence_group"] == share.key]
        assert share.offences == len(group)
        assert share.by_previous_offenders == sum(proven_before(o["person_id"], o["offence_date"]) for o in group)
        assert 0 <= share.share <= 1
    assert overall.share is None if not in_period else 0 <= overall.share <= 1


def test_with_nothing_shared_the_page_says_so(analyst):
    response = signed_in_client(analyst).get("/performance/strategic-assessment/")
    assert response.status_code == 200
    assert "No offence you may analyse was committed in this period." in response.content.decode()
