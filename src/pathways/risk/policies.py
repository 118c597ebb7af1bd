"""Who may see and judge scores about people, and read the overrides. Every view asks here.

A score is shown only to someone who may see the person *and* everything the score is worked
out from: OGRS3 is computed from the whole offending history, so showing it to someone the
sharing agreements keep from part of that history would reveal what they may not see.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role

# The workers who hold cases and so judge a score against what they know of the person.
JUDGING_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.CASEWORKER)


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.agency_id is not None)


def can_judge_scores(user: Any) -> bool:
    """Records their own judgement beside a score (for people they may see)."""
    return _active(user) and user.has_role(*JUDGING_ROLES)


def can_see_overrides(user: Any) -> bool:
    """The overrides report: supervisors (their agency's workers, by name) and analysts
    (partnership counts, naming nobody)."""
    return _active(user) and user.has_role(Role.SUPERVISOR, Role.ANALYST)


def sees_named_overrides(user: Any) -> bool:
    return _active(user) and user.has_role(Role.SUPERVISOR)


def offending_fully_visible(view: Any, person: Any) -> bool:
    """Whether this user, working under the view's purpose, may see every offence, outcome and
    custody period a score about the person is worked out from."""
    from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome
    from pathways.sharing.reference import Category

    offence_agencies = set(Offence.objects.filter(person=person).values_list("agency_id", flat=True).distinct())
    outcome_agencies = set(
        OffenceOutcome.objects.filter(offence__person=person).values_list("agency_id", flat=True).distinct()
    ) | set(CustodyPeriod.objects.filter(person=person).values_list("agency_id", flat=True).distinct())
    return all(view.can_see(Category.OFFENDING_HISTORY, a, person) for a in offence_agencies) and all(
        view.can_see(Category.OUTCOMES, a, person) for a in outcome_agencies
    )
