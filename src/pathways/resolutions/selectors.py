"""Reading resolutions, always within the user's scope: their agency's resolutions about
people they may see. Fetching one is audited as a read of the person's record."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.resolutions.models import Resolution, RuleSet
from pathways.resolutions.reference import ReviewStatus, Status


class ResolutionNotFound(Http404):
    """For a resolution that does not exist and one the user may not see alike."""


def resolutions_visible_to(user: User) -> QuerySet[Resolution]:
    if not user.is_authenticated or user.agency_id is None:
        return Resolution.objects.none()
    return Resolution.objects.filter(agency_id=user.agency_id, person__in=people_visible_to(user))


def access_resolution(*, user: User, resolution_id: uuid.UUID | str, purpose: str) -> Resolution:
    """The resolution, if the user may see it. Reading it is a read of the person's record, and
    is audited as one (so it shows in "who looked at this person"); a refusal is audited
    against the resolution, naming no one."""
    try:
        found = (
            resolutions_visible_to(user)
            .select_related("person", "offence", "agency", "officer", "rule_set", "reviewed_by", "outcome")
            .filter(pk=uuid.UUID(str(resolution_id)))
            .first()
        )
    except ValueError:
        found = None
    if found is None:
        audit_record(
            user=user,
            action=AuditEvent.Action.REFUSED,
            object_type="resolution",
            object_id=str(resolution_id),
            purpose=purpose,
        )
        raise ResolutionNotFound("No such resolution")
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="person",
        object_id=str(found.person_id),
        purpose=purpose,
        detail={"resolution": found.reference},
    )
    return found


def resolutions_of_officer(user: User) -> QuerySet[Resolution]:
    """The officer's own resolutions still needing something: a decision, review, actions."""
    return (
        resolutions_visible_to(user)
        .filter(officer=user)
        .exclude(status__in=[Status.CLOSED])
        .select_related("person", "offence")
        .order_by("-created_at")
    )


def review_queue(user: User) -> QuerySet[Resolution]:
    """Decisions waiting for a supervisor of this agency, oldest first; not their own."""
    return (
        resolutions_visible_to(user)
        .filter(review_status=ReviewStatus.PENDING)
        .exclude(officer=user)
        .select_related("person", "offence", "officer")
        .order_by("decided_at")
    )


def rule_set_versions() -> QuerySet[RuleSet]:
    return RuleSet.objects.select_related("created_by").order_by("-version")
