"""Fixtures and `create_*` helpers for resolution tests: an officer, their supervisor, and a
person with an offence to resolve, all made through the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from pathways.accounts.models import Agency, Role, User
from pathways.offending.models import Offence
from pathways.people.models import Person
from pathways.resolutions import services
from pathways.resolutions.models import Resolution
from pathways.resolutions.reference import Admission, VictimWants
from pathways.testing import create_person_row, load, person_by_reference


@pytest.fixture
def sergeant(police: Agency, make_user: Callable[..., User]) -> User:
    """A police sergeant: reviews the officers' decisions."""
    return make_user("sergeant", police, Role.SUPERVISOR, Role.OFFICER)


@pytest.fixture
def shoplifter(police: Agency, police_admin: User) -> Person:
    """Kelly Ward, in her twenties, caught shoplifting three weeks ago: her first offence (SH1, no outcome yet)."""
    from django.utils import timezone

    today = timezone.localdate()
    load(
        "people",
        [
            create_person_row(
                person_id="K1",
                given_name="Kelly",
                surname="Ward",
                date_of_birth=str(today.replace(year=today.year - 29, day=2)),
                sex="F",
            )
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "offences",
        [
            {
                "offence_id": "SH1",
                "person_id": "K1",
                "offence_date": str(today - dt.timedelta(days=21)),
                "offence_code": "46",
                "offence_group": "theft",
            }
        ],
        agency=police,
        by=police_admin,
    )
    return person_by_reference(police, "K1")


def create_resolution(
    *,
    officer: User,
    person: Person,
    offence: Offence | None = None,
    admission: str = Admission.ADMITS,
    wants: str = VictimWants.RESOLUTION,
    **facts: Any,
) -> Resolution:
    """A resolution started by `officer` for the person's (first) offence, with one victim."""
    from pathways.access.policies import sharing_view
    from pathways.sharing.reference import Purpose

    return services.resolution_start(
        by=officer,
        person=person,
        view=sharing_view(officer, Purpose.COMMUNITY_RESOLUTION),
        offence=offence or person.offences.order_by("offence_date").first(),
        admission=admission,
        victims=[services.VictimInput(name="Quickmart Stores", wants=wants, wishes="Wants the goods paid for")],
        **facts,
    )


def due(days: int = 14) -> dt.date:
    from django.utils import timezone

    return timezone.localdate() + dt.timedelta(days=days)
