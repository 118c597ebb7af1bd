"""Who may do what with the service directory and referrals. Every view, command and API call
asks here.

The directory is public within the partnership: any signed-in member of staff can search it.
An entry is kept by the agency that manages it (`Service.managed_by`); administrators may add
or correct any entry. Officers, supervisors and caseworkers refer people they may see. The
receiving agency's caseworkers and supervisors triage its referrals and record contact and
outcome. The referrer's agency follows its referrals — status, dates, reasons and outcome —
but never the receiving agency's contact notes.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.agency_id is not None)


def can_search_directory(user: Any) -> bool:
    return _active(user)


def can_manage_service(user: Any, service: Any | None = None) -> bool:
    """Adds an entry (service None) or changes one: the managing agency's supervisors,
    caseworkers and administrators, or any administrator."""
    if not _active(user):
        return False
    if user.has_role(Role.ADMINISTRATOR):
        return True
    if not user.has_role(Role.SUPERVISOR, Role.CASEWORKER):
        return False
    return service is None or service.managed_by_id == user.agency_id


def can_refer(user: Any) -> bool:
    return _active(user) and user.has_role(Role.OFFICER, Role.SUPERVISOR, Role.CASEWORKER)


def can_triage(user: Any, referral: Any) -> bool:
    return (
        _active(user)
        and user.has_role(Role.CASEWORKER, Role.SUPERVISOR)
        and referral.receiving_agency_id == user.agency_id
    )


def can_follow(user: Any, referral: Any) -> bool:
    """The referring agency follows what became of its referral."""
    return _active(user) and referral.referring_agency_id == user.agency_id


def referral_visible(user: Any, referral: Any) -> bool:
    return (
        can_triage(user, referral)
        or can_follow(user, referral)
        or (_active(user) and referral.receiving_agency_id == user.agency_id)
    )


def sees_contact_notes(user: Any, referral: Any) -> bool:
    """Contact notes are the receiving agency's own."""
    return _active(user) and referral.receiving_agency_id == user.agency_id


def can_see_gaps(user: Any) -> bool:
    """Gaps in provision are counts by area, never people: analysts, supervisors, administrators."""
    return _active(user) and user.has_role(Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR)
