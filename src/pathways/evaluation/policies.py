"""Who may evaluate what works. Every evaluation page and the command ask here.

Analysts (whose work is the partnership's figures) and supervisors (who commission and review
schemes) may run and read evaluations. An evaluation holds counts, rates and differences —
never a named list — but it is built from the people the user may see
(`access.policies.people_visible_to`), so each user's evaluation reflects their own access.
A user reads their own agency's evaluations.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role


def can_evaluate(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.agency_id is not None
        and user.has_role(Role.ANALYST, Role.SUPERVISOR)
    )


def can_read_evaluation(user: Any, evaluation: Any) -> bool:
    return can_evaluate(user) and evaluation.agency_id == user.agency_id
