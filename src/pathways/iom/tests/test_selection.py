"""Candidates for a scheme, as the IOM panel sees them: ranked by the score with each part
explained, only those meeting the scheme's entry criteria, and not those the panel has
already decided on unless something has changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.iom import cohort, selection
from pathways.iom.testing import create_membership, create_offender
from pathways.testing import load

pytestmark = pytest.mark.django_db


def add_offence(agency: Any, by: Any, reference: str, n: int, days_ago: int, proven_days_ago: int | None) -> None:
    """A further offence for the person known as `reference`, proven (or not) on the day given."""
    today = timezone.localdate()
    offence_id = f"{reference}-N{n}"
    load(
        "offences",
        [
            {
                "offence_id": offence_id,
                "person_id": reference,
                "offence_date": (today - dt.timedelta(days=days_ago)).isoformat(),
                "offence_code": "28E",
                "offence_group": "theft",
            }
        ],
        agency=agency,
        by=by,
    )
    if proven_days_ago is not None:
        load(
            "outcomes",
            [
                {
                    "offence_id": offence_id,
                    "outcome_date": (today - dt.timedelta(days=proven_days_ago)).isoformat(),
                    "outcome": "conviction_community",
                }
            ],
            agency=agency,
            by=by,
        )


@pytest.fixture
def lighter_offender(police: Any, police_admin: Any) -> Any:
    """Three proven thefts over the last year and a half: above the PPO minimum, below Kyle."""
    return create_offender(
        agency=police,
        by=police_admin,
        reference="L1",
        given_name="Lee",
        surname="Cole",
        offences=[(90, "46", "theft"), (250, "46", "theft"), (500, "46", "theft")],
    )


@pytest.fixture
def minor_offender(police: Any, police_admin: Any) -> Any:
    """One public order offence a year and a half ago: far below the PPO minimum score."""
    return create_offender(
        agency=police,
        by=police_admin,
        reference="M1",
        given_name="Mo",
        surname="Hart",
        offences=[(540, "125", "public_order")],
    )


def names(found: list[selection.Candidate]) -> list[str]:
    return [c.person.full_name for c in found]


def test_candidates_are_ranked_highest_score_first_with_each_part_explained(
    iom_supervisor: Any, ppo_scheme: Any, prolific_offender: Any, lighter_offender: Any, minor_offender: Any
) -> None:
    found = selection.candidates(iom_supervisor, ppo_scheme)
    assert names(found) == [prolific_offender.full_name, lighter_offender.full_name]
    assert found[0].score.total > found[1].score.total >= float(ppo_scheme.minimum_score)
    kyle = found[0]
    assert kyle.score.total == cohort.person_score(prolific_offender).total
    assert kyle.explanation[0].startswith(f"Recency {kyle.score.recency:.2f}")
    assert kyle.explanation[1].startswith(f"Frequency {kyle.score.frequency:.2f}: 6 proven offences")
    assert any("burglary" in line.lower() for line in kyle.explanation)  # per-offence weights listed
    assert kyle.age == selection.age_on(prolific_offender.date_of_birth, timezone.localdate())


def test_reading_the_list_is_audited_once_naming_the_scheme_and_count(
    iom_supervisor: Any, ppo_scheme: Any, prolific_offender: Any, lighter_offender: Any
) -> None:
    before = AuditEvent.objects.count()
    found = selection.candidates(iom_supervisor, ppo_scheme)
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.object_id, e.detail["count"]) for e in events] == [
        (AuditEvent.Action.SEARCH, "ppo", len(found))
    ]


def test_an_adopted_person_leaves_the_candidate_list(
    iom_supervisor: Any, ppo_scheme: Any, prolific_offender: Any, lighter_offender: Any
) -> None:
    create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme)
    assert names(selection.candidates(iom_supervisor, ppo_scheme)) == [lighter_offender.full_name]


def test_a_de_selected_person_can_be_a_candidate_again(
    iom_supervisor: Any, ppo_scheme: Any, prolific_offender: Any
) -> None:
    membership = create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme)
    cohort.deselect(by=iom_supervisor, membership=membership, reason="Moved out of the area")
    found = selection.candidates(iom_supervisor, ppo_scheme)
    assert names(found) == [prolific_offender.full_name]
    assert found[0].latest_decision.decision == "adopted"


def test_a_declined_candidate_disappears_until_a_new_proven_offence(
    iom_supervisor: Any, police: Any, police_admin: Any, ppo_scheme: Any, prolific_offender: Any
) -> None:
    today = timezone.localdate()
    cohort.decline(
        by=iom_supervisor,
        person=prolific_offender,
        scheme=ppo_scheme,
        reason="Engaging well with probation",
        on=today - dt.timedelta(days=40),
    )
    assert selection.candidates(iom_supervisor, ppo_scheme) == []
    # An offence committed before the decision and proven since does not bring them back…
    add_offence(police, police_admin, "K1", 1, days_ago=50, proven_days_ago=5)
    assert selection.candidates(iom_supervisor, ppo_scheme) == []
    # …nor one committed since but not yet proven…
    add_offence(police, police_admin, "K1", 2, days_ago=20, proven_days_ago=None)
    assert selection.candidates(iom_supervisor, ppo_scheme) == []
    # …but a proven offence committed after the decision does, showing why.
    add_offence(police, police_admin, "K1", 3, days_ago=15, proven_days_ago=2)
    found = selection.candidates(iom_supervisor, ppo_scheme)
    assert names(found) == [prolific_offender.full_name]
    assert found[0].latest_decision.reason == "Engaging well with probation"
    assert [o.reference for o in found[0].back_because] == ["K1-N3"]


def test_a_decline_for_one_scheme_does_not_hide_them_from_another(
    iom_supervisor: Any, police: Any, ppo_scheme: Any, prolific_offender: Any
) -> None:
    other = cohort.scheme_save(
        by=iom_supervisor,
        data=cohort.SchemeInput(
            code="hccu", name="High Crime Causers", entry_criteria="Acquisitive crime", lead_agency=police
        ),
    )
    cohort.decline(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme, reason="Not now")
    assert names(selection.candidates(iom_supervisor, other)) == [prolific_offender.full_name]


def test_minimum_and_maximum_age_and_minimum_score_are_respected(
    iom_supervisor: Any, police: Any, police_admin: Any, ppo_scheme: Any, prolific_offender: Any, minor_offender: Any
) -> None:
    today = timezone.localdate()
    seventeen = selection.years_before(today, 17)
    young = create_offender(
        agency=police,
        by=police_admin,
        reference="Y1",
        given_name="Jay",
        surname="Young",
        date_of_birth=seventeen.isoformat(),
        offences=[(60, "28E", "theft"), (120, "46", "theft"), (200, "8N", "violence"), (260, "46", "theft")],
    )
    found = selection.candidates(iom_supervisor, ppo_scheme)
    assert young.full_name not in names(found)  # 17: under the PPO scheme's minimum age of 18
    assert minor_offender.full_name not in names(found)  # scores under 20
    youth = cohort.scheme_save(
        by=iom_supervisor,
        data=cohort.SchemeInput(
            code="yos-prolific",
            name="Young prolific offenders",
            entry_criteria="Children aged 10 to 17",
            lead_agency=police,
            minimum_age=10,
            maximum_age=17,
        ),
    )
    assert names(selection.candidates(iom_supervisor, youth)) == [young.full_name]
    assert selection.candidates(iom_supervisor, youth)[0].age == 17


def test_offence_groups_need_a_counted_offence_in_one_of_them(
    iom_supervisor: Any, police: Any, prolific_offender: Any, lighter_offender: Any
) -> None:
    violent = cohort.scheme_save(
        by=iom_supervisor,
        data=cohort.SchemeInput(
            code="violence",
            name="Violent offenders",
            entry_criteria="Proven violence",
            lead_agency=police,
            offence_groups=("violence", "robbery"),
        ),
    )
    assert names(selection.candidates(iom_supervisor, violent)) == [prolific_offender.full_name]


def test_a_user_sees_only_candidates_whose_records_they_may_see(
    housing_worker: Any, iom_supervisor: Any, ppo_scheme: Any, prolific_offender: Any
) -> None:
    assert selection.candidates(housing_worker, ppo_scheme) == []
    assert names(selection.candidates(iom_supervisor, ppo_scheme)) == [prolific_offender.full_name]


def test_the_list_takes_the_same_few_queries_however_many_people(
    iom_supervisor: Any, police: Any, police_admin: Any, ppo_scheme: Any
) -> None:
    def people(start: int, count: int) -> None:
        for n in range(start, start + count):
            create_offender(
                agency=police,
                by=police_admin,
                reference=f"P{n}",
                # Eight different people: records this alike would otherwise be linked as one.
                given_name=["Pat", "Dev", "Lou", "Kit", "Sam", "Ray", "Jo", "Max"][n],
                surname=["Barnes", "Okafor", "Lindqvist", "Mahmood", "Fitzgerald", "Nakamura", "Ellsworth", "Quigley"][
                    n
                ],
                date_of_birth=f"19{70 + n}-0{1 + n}-1{n}",
                offences=[(40 + n, "46", "theft"), (100 + n, "28E", "theft"), (300, "8N", "violence")],
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            found = selection.candidates(iom_supervisor, ppo_scheme)
        return len(captured), len(found)

    cohort.config_current()  # saves the default configuration once, before counting
    people(0, 2)
    few, found_few = queries()
    people(2, 6)
    many, found_many = queries()
    assert (found_few, found_many) == (2, 8)
    assert many == few


@given(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2030, 12, 31)), st.dates(), st.integers(0, 90))
def test_the_age_filter_and_the_age_shown_agree(born: dt.date, day: dt.date, years: int) -> None:
    """The database filter (born on or before `years_before`) says the same as the age shown."""
    if day < born or day.year - years < 1:
        return
    assert (born <= selection.years_before(day, years)) == (selection.age_on(born, day) >= years)
