"""Who may do what in the restorative justice service. Every view and API call asks here.

Partners refer; the service's co-ordinators see and work every case of their service;
a facilitator sees only the cases allocated to them. What a page shows of a person's wider
record is still decided by `access.policies` (the agreements with the service).
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import AgencyKind, Role


def _active(user: Any) -> bool:
    return user.is_authenticated and user.is_active and user.agency_id is not None


def _in_service(user: Any) -> bool:
    return _active(user) and user.agency.kind == AgencyKind.RJ_SERVICE


# The partners that refer: the justice agencies, councils (their anti-social behaviour teams),
# victim services (voluntary organisations) and the service itself (victims' own referrals).
# Housing, health and the commissioner's office hold no cases a referral would start from.
REFERRING_AGENCY_KINDS = frozenset(
    {
        AgencyKind.POLICE,
        AgencyKind.PROBATION,
        AgencyKind.YOUTH_OFFENDING,
        AgencyKind.COUNCIL,
        AgencyKind.VOLUNTARY,
        AgencyKind.RJ_SERVICE,
    }
)


def can_refer(user: Any) -> bool:
    """Officers, supervisors and caseworkers of a referring partner refer; co-ordinators enter
    victims' own referrals and those that arrive by phone or letter."""
    return (
        _active(user)
        and user.has_role(Role.OFFICER, Role.SUPERVISOR, Role.CASEWORKER, Role.RJ_COORDINATOR)
        and user.agency.kind in REFERRING_AGENCY_KINDS
    )


def can_coordinate(user: Any) -> bool:
    return _in_service(user) and user.has_role(Role.RJ_COORDINATOR)


def can_facilitate(user: Any) -> bool:
    return _in_service(user) and user.has_role(Role.FACILITATOR, Role.RJ_COORDINATOR)


def can_see_rj_dataset(user: Any) -> bool:
    """The quarterly return: the service's co-ordinators, and analysts (the commissioner's among them)."""
    return can_coordinate(user) or (_active(user) and user.has_role(Role.ANALYST))
