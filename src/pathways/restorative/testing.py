"""Fixtures and `create_*` helpers for restorative justice tests: the service, its co-ordinator
and a facilitator, and a referral made through the real service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from pathways.accounts.models import Agency, AgencyKind, Role, User
from pathways.people.models import Person
from pathways.restorative import referrals
from pathways.restorative.models import Case
from pathways.restorative.reference import Role as PartyRole
from pathways.restorative.reference import Source, Stage


@pytest.fixture
def rj_service(db: Any) -> Agency:
    return Agency.objects.create(
        code="wessex-rj", name="Wessex Restorative Justice Service", kind=AgencyKind.RJ_SERVICE
    )


@pytest.fixture
def coordinator(rj_service: Agency, make_user: Callable[..., User]) -> User:
    return make_user("rj-coordinator", rj_service, Role.RJ_COORDINATOR)


@pytest.fixture
def facilitator_user(rj_service: Agency, make_user: Callable[..., User]) -> User:
    return make_user("facilitator", rj_service, Role.FACILITATOR)


def create_case(
    *,
    by: User,
    service: Agency,
    offender: Person | None = None,
    victim_name: str = "Priya Shah",
    source: str = Source.POLICE,
    stage: str = Stage.PRE_SENTENCE,
    case_types: tuple[str, ...] = (),
    referred_on: dt.date | None = None,
    **overrides: Any,
) -> Case:
    """A referral to the service, about `offender` (if given) harming one named victim."""
    parties = [referrals.PartyInput(role=PartyRole.VICTIM, name=victim_name, phone="07700 900123")]
    if offender is not None:
        parties.append(referrals.PartyInput(role=PartyRole.OFFENDER, name="", person=offender))
    return referrals.referral_create(
        by=by,
        referral=referrals.ReferralInput(
            service=service,
            source=source,
            stage=stage,
            what_happened=overrides.pop("what_happened", "Burglary of the victim's shed; tools taken."),
            parties=parties,
            case_types=case_types,
            referred_on=referred_on,
            **overrides,
        ),
    )
