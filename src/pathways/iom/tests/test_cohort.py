"""The panel's decisions on the cohort, through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pathways.access.models import AuditEvent
from pathways.iom import cohort
from pathways.iom.models import Membership, MembershipEvent
from pathways.iom.reference import EventKind, MembershipStatus, Tier
from pathways.iom.selectors import MembershipNotFound, access_membership
from pathways.iom.testing import create_membership


def test_adoption_keeps_the_score_and_configuration_that_chose_them(
    iom_supervisor: Any, prolific_offender: Any, ppo_scheme: Any
) -> None:
    membership = create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme)
    expected = cohort.person_score(prolific_offender)
    assert float(membership.score_at_adoption) == expected.total > 0
    assert membership.config.version == 1
    assert membership.events.get().kind == EventKind.ADOPTED


def test_a_person_is_in_a_scheme_once_at_a_time_and_leaves_with_a_reason(
    iom_supervisor: Any, prolific_offender: Any, ppo_scheme: Any
) -> None:
    membership = create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme)
    with pytest.raises(ValidationError, match="already in"):
        create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme)
    with pytest.raises(ValidationError):
        cohort.deselect(by=iom_supervisor, membership=membership, reason=" ")
    cohort.deselect(by=iom_supervisor, membership=membership, reason="No proven offending for a year")
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.DESELECTED and membership.ended_on is not None
    kinds = list(MembershipEvent.objects.filter(membership=membership).values_list("kind", flat=True))
    assert kinds == [EventKind.ADOPTED, EventKind.DESELECTED]
    # Re-adoption after an exit starts a new membership; the old one keeps its history.
    again = create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme, tier=Tier.MEDIUM)
    assert Membership.objects.filter(person=prolific_offender).count() == 2 and again.is_open


def test_only_the_panel_adopts_and_a_caseworker_cannot(
    probation_caseworker: Any, prolific_offender: Any, ppo_scheme: Any
) -> None:
    with pytest.raises(PermissionDenied):
        create_membership(by=probation_caseworker, person=prolific_offender, scheme=ppo_scheme)


def test_reading_a_membership_is_audited_and_a_stranger_is_refused(
    iom_supervisor: Any, housing_worker: Any, prolific_offender: Any, ppo_scheme: Any
) -> None:
    membership = create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme)
    access_membership(user=iom_supervisor, membership_id=membership.pk)
    assert AuditEvent.objects.filter(
        username=iom_supervisor.username, action="read", object_type="person", object_id=str(prolific_offender.pk)
    ).exists()
    with pytest.raises(MembershipNotFound):
        access_membership(user=housing_worker, membership_id=membership.pk)
    assert AuditEvent.objects.filter(username=housing_worker.username, action="refused").exists()
