"""Who may do what with record linkage. Every view, command and API call asks here.

Deciding that two records are one person changes what every agency sees, so it is kept to
supervisors (for pairs that involve a record of their own agency) and to administrators,
the partnership's data-protection leads (for any pair). Reviewers see only the identifying
details of the two records (names, date of birth, sex, address, references), never what
either agency holds about the person beyond that. The linkage model — its thresholds,
training and measured accuracy — is kept by administrators.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.agency_id is not None)


def can_review_links(user: Any) -> bool:
    """Sees the review queue (the pairs `pair_visible` allows) and decides pairs."""
    return _active(user) and user.has_role(Role.SUPERVISOR, Role.ADMINISTRATOR)


def sees_every_pair(user: Any) -> bool:
    return _active(user) and user.has_role(Role.ADMINISTRATOR)


def pair_visible(user: Any, agency_ids: set[Any]) -> bool:
    """A supervisor reviews pairs where one record is their agency's; an administrator any pair."""
    return can_review_links(user) and (sees_every_pair(user) or user.agency_id in agency_ids)


def can_unmerge(user: Any, agency_ids: set[Any]) -> bool:
    """Undoing a merge is the same decision as making it, by the same people."""
    return pair_visible(user, agency_ids)


def can_keep_linkage_model(user: Any) -> bool:
    """Sets the thresholds, retrains the model and activates a version."""
    return _active(user) and user.has_role(Role.ADMINISTRATOR)
