from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pathways.accounts.models import Agency, Role, User
from pathways.linkage.models import ReviewPair, SourceRecord
from pathways.linkage.testing import create_pair


@pytest.fixture
def police_sergeant(police: Agency, make_user: Callable[..., User]) -> User:
    """A police supervisor: reviews pairs where one record is the police's."""
    return make_user("police-sergeant", police, Role.SUPERVISOR)


@pytest.fixture
def housing_manager(housing: Agency, make_user: Callable[..., User]) -> User:
    """A housing supervisor: no pair in these tests involves a housing record."""
    return make_user("housing-manager", housing, Role.SUPERVISOR)


@pytest.fixture
def uncertain_pair(police: Agency, probation: Agency, police_admin: User) -> ReviewPair:
    """Probation's Jon Smith beside the police's Jonathan Smith: the model is unsure."""
    return create_pair(police=police, probation=probation, by=police_admin)


def people_of(pair: ReviewPair) -> set[Any]:
    return set(
        SourceRecord.objects.filter(pk__in=[pair.record_id, pair.candidate_id]).values_list("person_id", flat=True)
    )
