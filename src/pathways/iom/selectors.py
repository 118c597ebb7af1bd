"""Reading the cohort: which memberships a user may see, and one membership, audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.iom.models import Membership
from pathways.iom.policies import can_work_iom
from pathways.iom.reference import MembershipStatus
from pathways.sharing.reference import Purpose


class MembershipNotFound(Http404):
    """Both for a membership that does not exist and one about a person the user may not see."""


def memberships_visible_to(user: User) -> QuerySet[Membership]:
    """Memberships of people this user may see; none for anyone who does not work IOM."""
    if not can_work_iom(user):
        return Membership.objects.none()
    return Membership.objects.filter(person__in=people_visible_to(user))


def cohort(user: User, *, scheme: Any = None) -> QuerySet[Membership]:
    """The open memberships this user may see, with what a list shows."""
    found = memberships_visible_to(user).filter(status=MembershipStatus.ADOPTED)
    if scheme is not None:
        found = found.filter(scheme=scheme)
    return found.select_related("person", "scheme", "lead_agency", "lead_worker").order_by(
        "scheme__name", "tier", "person__surname"
    )


def access_membership(
    *, user: User, membership_id: uuid.UUID | str, via: str = "web", purpose: str = Purpose.OFFENDER_MANAGEMENT
) -> Membership:
    """The membership, if the user may see its person; the read of the person (or the refusal)
    is audited like any other read of their record."""
    try:
        key = uuid.UUID(str(membership_id))
    except ValueError as exc:
        raise MembershipNotFound("No such cohort member") from exc
    membership = (
        memberships_visible_to(user)
        .select_related("person", "scheme", "lead_agency", "lead_worker", "config")
        .filter(pk=key)
        .first()
    )
    if membership is None:
        audit_record(
            user=user,
            action=AuditEvent.Action.REFUSED,
            object_type="iom_membership",
            object_id=str(key),
            purpose=purpose,
            via=via,
        )
        raise MembershipNotFound("No such cohort member")
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="person",
        object_id=str(membership.person_id),
        purpose=purpose,
        detail={"iom_membership": str(membership.pk), "scheme": membership.scheme.code},
        via=via,
    )
    return membership
