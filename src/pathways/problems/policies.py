"""Who may do what with problems. Every view, command and API call asks here.

A problem belongs to the partnership: every partner's staff may see the board of problems.
A problem's own page (its notes, evidence and actions) is for the owner's agency, the partner
agencies working it, analysts and administrators. The people involved in a problem are shown
only to users who may see each person (`access.policies.people_visible_to`): a partner
working the problem does not thereby see people its agreements do not share.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role

WORKERS = (Role.OFFICER, Role.SUPERVISOR, Role.CASEWORKER, Role.ANALYST)


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.agency_id is not None)


def can_see_problem_board(user: Any) -> bool:
    return _active(user)


def can_open_problem(user: Any) -> bool:
    """Officers, supervisors, caseworkers and analysts define problems; the owner is one of them."""
    return _active(user) and user.has_role(*WORKERS)


def _partner_agency_ids(problem: Any) -> set[Any]:
    return {problem.owner_agency_id, *problem.partners.values_list("agency_id", flat=True)}


def problem_visible(user: Any, problem: Any) -> bool:
    if not _active(user):
        return False
    if user.has_role(Role.ANALYST, Role.ADMINISTRATOR):
        return True
    return user.agency_id in _partner_agency_ids(problem)


def can_work_problem(user: Any, problem: Any) -> bool:
    """Writes notes and evidence, the analysis, and actions: staff of the owner or a partner."""
    return _active(user) and user.has_role(*WORKERS) and user.agency_id in _partner_agency_ids(problem)


def can_move_stage(user: Any, problem: Any) -> bool:
    """Moving a problem on (and giving the verdict) is the owner's, or a supervisor's of the
    owner's agency."""
    if not _active(user):
        return False
    if user.pk == problem.owner_id:
        return True
    return user.agency_id == problem.owner_agency_id and user.has_role(Role.SUPERVISOR)


def can_import_street_crime(user: Any) -> bool:
    """police.uk files are published data, but loading one changes every partner's figures."""
    return _active(user) and user.has_role(Role.ADMINISTRATOR, Role.SUPERVISOR, Role.ANALYST)


def can_keep_areas(user: Any) -> bool:
    """Area boundaries (ONS GeoJSON) are kept by administrators and analysts."""
    return _active(user) and user.has_role(Role.ADMINISTRATOR, Role.ANALYST)
