"""Who may do what in integrated offender management. Every view and API call asks here.

IOM is the partners' shared work: officers, supervisors and caseworkers of the justice
agencies and of the partners who support people (council, health, housing, voluntary) work
the cohort, each seeing only the people `access.policies.people_visible_to` lets them see.
The IOM panel's decisions — adopting, declining, de-selecting, changing the tier — are taken
by supervisors. Analysts see the cohort's figures, never a named list.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import AgencyKind, Role

IOM_PARTNER_KINDS = frozenset(
    {
        AgencyKind.POLICE,
        AgencyKind.PROBATION,
        AgencyKind.YOUTH_OFFENDING,
        AgencyKind.COUNCIL,
        AgencyKind.HEALTH,
        AgencyKind.HOUSING,
        AgencyKind.VOLUNTARY,
    }
)


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.agency_id is not None)


def can_work_iom(user: Any) -> bool:
    """Sees the cohort, records needs, plans, appointments and board entries."""
    return (
        _active(user)
        and user.agency.kind in IOM_PARTNER_KINDS
        and user.has_role(Role.OFFICER, Role.SUPERVISOR, Role.CASEWORKER)
    )


def can_decide_cohort(user: Any) -> bool:
    """The IOM panel: adopts, declines, de-selects, sets the tier and the lead."""
    return can_work_iom(user) and user.has_role(Role.SUPERVISOR)


def can_keep_score_config(user: Any) -> bool:
    return _active(user) and (can_decide_cohort(user) or user.has_role(Role.ADMINISTRATOR))


def can_import_tags(user: Any) -> bool:
    """Tag suppliers' files come in through the police or probation, who hold the contracts."""
    return (
        can_work_iom(user)
        and user.agency.kind in {AgencyKind.POLICE, AgencyKind.PROBATION}
        and user.has_role(Role.SUPERVISOR, Role.CASEWORKER)
    )


def can_see_iom_figures(user: Any) -> bool:
    return can_work_iom(user) or (_active(user) and user.has_role(Role.ANALYST))


def can_read_iom_configuration(user: Any) -> bool:
    """The score and the unit costs are meant to be transparent: whoever works the cohort, sees
    its figures or keeps the configuration may read how they are calculated."""
    return can_see_iom_figures(user) or can_keep_score_config(user)
