"""Who may use the partnership's own reoffending models and the fairness audits of any score.

*Model cards and audits* are the analysts' and supervisors' reading: an analyst builds and
checks the tools, a supervisor decides whether a score is fit to put in front of the people
they manage. Neither page names anyone — a model card and an audit report hold figures only.

*Training and making a model active* is analysts' work alone: a new version is built from the
records the analyst may analyse, and which version is active decides what workers are shown,
so it is a deliberate act by someone who can read the card's evidence, and it is audited.

*Saved audits* belong to the agency of the person who ran them. A vendor's file is usually
offered to one agency, and the figures in an audit of it are that agency's business until it
chooses to share them, so another agency's analysts and supervisors do not see them (a page
about one answers "not found"). The model cards are the partnership's: there is one sequence
of versions, and every analyst and supervisor reads every card.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.agency_id is not None)


def can_read_models_and_audits(user: Any) -> bool:
    """Reads the model cards, runs fairness audits and reads their reports."""
    return _active(user) and user.has_role(Role.ANALYST, Role.SUPERVISOR)


def can_run_audits(user: Any) -> bool:
    return can_read_models_and_audits(user)


def can_train_models(user: Any) -> bool:
    """Trains a new version of the partnership's model and chooses the active one."""
    return _active(user) and user.has_role(Role.ANALYST)


def can_see_audit(user: Any, audit: Any) -> bool:
    return can_read_models_and_audits(user) and audit.agency_id == user.agency_id
