"""The partnership's history as a training table: index events, features known on the day, and
the Ministry of Justice reoffending outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.risk import dataset
from pathways.risk.model_testing import create_history, history_period
from pathways.testing import create_person_row, load

START, END = dt.date(2022, 1, 1), dt.date(2022, 12, 31)


def offence(oid: str, person: str, day: str, group: str = "theft") -> dict[str, str]:
    return {"offence_id": oid, "person_id": person, "offence_date": day, "offence_code": "46", "offence_group": group}


def outcome(oid: str, day: str, result: str = "conviction_fine") -> dict[str, str]:
    return {"offence_id": oid, "outcome_date": day, "outcome": result}


@pytest.fixture
def histories(police, police_admin):
    """Five people, each showing one rule of the definition."""
    people = [
        create_person_row(person_id=p, surname=s, date_of_birth="2000-06-15", sex=sex, ethnicity="W1")
        for p, s, sex in [
            ("R", "Reoffends", "M"),
            ("L", "Provenlate", "F"),
            ("F", "Followuplate", "M"),
            ("O", "Outside", "M"),
            ("N", "Nodate", "M"),
        ]
    ]
    people[-1]["date_of_birth"] = ""
    load("people", people, agency=police, by=police_admin)
    load(
        "offences",
        [
            offence("R0", "R", "2019-03-01", "violence"),
            offence("R1", "R", "2022-02-01", "violence"),
            offence("R2", "R", "2022-05-10"),  # a second index event: not the first in the period
            offence("L1", "L", "2022-03-01"),
            offence("L2", "L", "2022-09-01"),  # committed in time, proven too late
            offence("F1", "F", "2022-03-01"),
            offence("F2", "F", "2023-05-01"),  # committed after the 12 months
            offence("O1", "O", "2021-06-01"),
            offence("N1", "N", "2022-03-01"),
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "outcomes",
        [
            outcome("R0", "2019-04-01"),
            outcome("R1", "2022-03-01", "3"),
            outcome("R2", "2022-06-01"),
            outcome("L1", "2022-04-01"),
            outcome("L2", "2023-11-01"),
            outcome("F1", "2022-04-01"),
            outcome("F2", "2023-06-01"),
            outcome("O1", "2021-07-01"),
            outcome("N1", "2022-04-01"),
        ],
        agency=police,
        by=police_admin,
    )


def rows_by_surname(table):
    from pathways.people.models import Person

    names = {str(pk): s for pk, s in Person.objects.values_list("pk", "surname")}
    return {names[r["person_id"]]: r for r in table.frame.to_dict("records")}


def test_one_row_per_person_from_their_first_index_event_with_the_moj_outcome(histories, police_admin):
    table = dataset.history_table(police_admin, period_start=START, period_end=END)
    rows = rows_by_surname(table)
    assert set(rows) == {"Reoffends", "Provenlate", "Followuplate"}
    r = rows["Reoffends"]
    assert r["index_date"] == dt.date(2022, 3, 1)
    assert r["index_disposal"] == "caution" and r["index_offence_group"] == "violence"
    assert r["previous_offences"] == 1 and r["age_at_first_offence"] == 18 and r["age_at_index"] == 21
    assert r["years_since_first_offence"] == pytest.approx(3.0, abs=0.01)
    assert r["reoffended"] == 1
    assert rows["Provenlate"]["reoffended"] == 0  # proven after the six months' wait
    assert rows["Followuplate"]["reoffended"] == 0  # committed after the year
    assert rows["Followuplate"]["previous_offences"] == 0
    assert {r["sex"] for r in rows.values()} == {"M", "F"} and rows["Provenlate"]["age_band"] == "21-24"
    assert table.left_out == {"no date of birth": 1}
    assert table.base_rate == pytest.approx(1 / 3)


def test_an_analyst_sees_only_what_the_agreements_share(histories, analyst):
    assert dataset.history_table(analyst, period_start=START, period_end=END).rows == 0


def test_an_analyst_with_the_performance_agreement_gets_the_table(histories, analyst, performance_agreement):
    table = dataset.history_table(analyst, period_start=START, period_end=END)
    assert table.rows == 3 and table.sources


def test_the_synthetic_history_gives_one_row_a_person(police, police_admin):
    made = create_history(agency=police, by=police_admin, people=30)
    start, end = history_period()
    table = dataset.history_table(police_admin, period_start=start, period_end=end)
    assert table.rows == 30
    assert int(table.frame["reoffended"].sum()) == made["reoffended"]
    assert not table.frame[list(dataset.FEATURES)].isna().any().any()


@given(st.dates(dt.date(1990, 1, 1), dt.date(2040, 1, 1)), st.integers(0, 40))
def test_adding_months_lands_in_the_right_month_never_past_its_end(day, months):
    later = dataset.add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day <= day.day and (later.day == day.day or later.day >= 28)


@given(st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)))
def test_the_latest_complete_end_is_the_last_day_whose_wait_has_ended(today):
    end = dataset.latest_complete_end(today)
    assert dataset.add_months(end, 18) <= today < dataset.add_months(end + dt.timedelta(days=1), 18)


def test_ogrs3_is_worked_out_from_what_was_known_at_the_index_date(histories, police_admin):
    from pathways.risk import ogrs3
    from pathways.risk.history import ogrs3_group

    table = dataset.history_table(police_admin, period_start=START, period_end=END)
    r = rows_by_surname(table)["Reoffends"]
    expected = ogrs3.probability(
        ogrs3.Ogrs3Inputs(
            sex="male",
            age=21,
            sanctions=2,
            age_at_first_sanction=18,
            offence_group=ogrs3_group("46", "violence")[0],
        ),
        2,
    )
    assert dataset.ogrs3_available() and r["ogrs3_2y"] == pytest.approx(expected)
    assert "ogrs3_2y" in dataset.features_offered()
