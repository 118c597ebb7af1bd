"""Who may do what with out-of-court resolutions. Every view and API call asks here."""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role
from pathways.restorative.policies import can_coordinate


def _active(user: Any) -> bool:
    return user.is_authenticated and user.is_active and user.agency_id is not None


def can_record_resolutions(user: Any) -> bool:
    """Officers and their supervisors resolve offences."""
    return _active(user) and user.has_role(Role.OFFICER, Role.SUPERVISOR)


def can_review_resolutions(user: Any) -> bool:
    return _active(user) and user.has_role(Role.SUPERVISOR)


def can_edit_resolution_rules(user: Any) -> bool:
    """The gravity matrix and eligibility rules are the partnership's policy: supervisors and
    administrators keep them."""
    return _active(user) and user.has_role(Role.SUPERVISOR, Role.ADMINISTRATOR)


def can_run_panels(user: Any) -> bool:
    """Officers and supervisors run their agency's Level 2 case-conference panels; a restorative
    justice service's co-ordinators run its Neighbourhood Justice Panels (one panel feature)."""
    return _active(user) and (user.has_role(Role.SUPERVISOR, Role.OFFICER) or can_coordinate(user))


def can_see_resolution_figures(user: Any) -> bool:
    return _active(user) and user.has_role(Role.SUPERVISOR, Role.ANALYST)
