"""Fixtures and `create_*` helpers for IOM tests: the panel's supervisor, a PPO scheme, a prolific
offender with recent proven offending, and a membership made through the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from pathways.accounts.models import Agency, Role, User
from pathways.iom import cohort
from pathways.iom.models import Membership, Scheme
from pathways.iom.reference import Tier
from pathways.people.models import Person
from pathways.testing import create_person_row, load, person_by_reference


@pytest.fixture
def iom_supervisor(police: Agency, make_user: Callable[..., User]) -> User:
    """A police sergeant on the IOM team: sits on the panel."""
    return make_user("iom-sergeant", police, Role.SUPERVISOR, Role.OFFICER)


@pytest.fixture
def ppo_scheme(police: Agency, iom_supervisor: User) -> Scheme:
    return cohort.scheme_save(
        by=iom_supervisor,
        data=cohort.SchemeInput(
            code="ppo",
            name="Prolific and other Priority Offenders",
            entry_criteria="Adults whose proven offending in the last two years causes most harm",
            lead_agency=police,
            minimum_score=20,
            minimum_age=18,
        ),
    )


def create_offender(
    *,
    agency: Agency,
    by: User,
    reference: str,
    offences: list[tuple[int, str, str]],
    given_name: str = "Kyle",
    surname: str = "Barnes",
    date_of_birth: str = "1994-03-02",
    proven_after_days: int = 30,
) -> Person:
    """A person known to `agency` with offences `(days ago, code, group)`, each proven by a
    conviction `proven_after_days` after it (if that day has come)."""
    today = timezone.localdate()
    load(
        "people",
        [create_person_row(person_id=reference, given_name=given_name, surname=surname, date_of_birth=date_of_birth)],
        agency=agency,
        by=by,
    )
    offence_rows, outcome_rows = [], []
    for n, (days_ago, code, group) in enumerate(offences, start=1):
        offence_id = f"{reference}-O{n}"
        committed = today - dt.timedelta(days=days_ago)
        offence_rows.append(
            {
                "offence_id": offence_id,
                "person_id": reference,
                "offence_date": committed.isoformat(),
                "offence_code": code,
                "offence_group": group,
            }
        )
        proven = committed + dt.timedelta(days=proven_after_days)
        if proven <= today:
            outcome_rows.append(
                {"offence_id": offence_id, "outcome_date": proven.isoformat(), "outcome": "conviction_community"}
            )
    if offence_rows:
        load("offences", offence_rows, agency=agency, by=by)
    if outcome_rows:
        load("outcomes", outcome_rows, agency=agency, by=by)
    return person_by_reference(agency, reference)


@pytest.fixture
def prolific_offender(police: Agency, police_admin: User) -> Person:
    """Kyle Barnes: six proven offences in the last two years, burglary among them."""
    return create_offender(
        agency=police,
        by=police_admin,
        reference="K1",
        offences=[
            (60, "28E", "theft"),
            (120, "46", "theft"),
            (200, "46", "theft"),
            (300, "8N", "violence"),
            (420, "48", "theft"),
            (600, "46", "theft"),
        ],
    )


def create_membership(
    *, by: User, person: Person, scheme: Scheme, tier: str = Tier.HIGH, lead_worker: User | None = None, **kw: Any
) -> Membership:
    return cohort.adopt(
        by=by,
        person=person,
        scheme=scheme,
        data=cohort.Adoption(
            tier=tier,
            lead_agency=scheme.lead_agency,
            lead_worker=lead_worker,
            reason=kw.pop("reason", "Burglary series; highest score in the district"),
            on=kw.pop("on", None),
        ),
    )
