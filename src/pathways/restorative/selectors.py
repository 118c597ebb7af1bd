"""Reading cases, always within the user's scope. Opening a case is audited as a read of each
person on it who has a record (so it shows in "who looked at this person")."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import Role, User
from pathways.restorative.models import Case
from pathways.restorative.policies import can_coordinate, can_facilitate


class CaseNotFound(Http404):
    """For a case that does not exist and one the user may not see alike."""


def cases_visible_to(user: User) -> QuerySet[Case]:
    """A co-ordinator: every case of their service. A facilitator: the cases allocated to them
    (as lead or co-facilitator) and not yet ended."""
    if can_coordinate(user):
        return Case.objects.filter(service_id=user.agency_id)
    if can_facilitate(user) and user.has_role(Role.FACILITATOR):
        mine = Q(allocations__facilitator__user=user) | Q(allocations__co_facilitator__user=user)
        return Case.objects.filter(mine, service_id=user.agency_id, allocations__ended_on__isnull=True).distinct()
    return Case.objects.none()


def referrals_made_by_agency(user: User) -> QuerySet[Case]:
    """The referrals the user's agency made: the referrer follows their progress (status only)."""
    if not user.is_authenticated or user.agency_id is None:
        return Case.objects.none()
    return Case.objects.filter(referring_agency_id=user.agency_id)


def access_case(*, user: User, case_id: uuid.UUID | str, purpose: str) -> Case:
    """The case, if the user may see it; the read (or the refusal) is audited."""
    try:
        found = (
            cases_visible_to(user)
            .select_related("service", "referred_by", "referring_agency", "offence", "coordinator")
            .filter(pk=uuid.UUID(str(case_id)))
            .first()
        )
    except ValueError:
        found = None
    if found is None:
        audit_record(
            user=user, action=AuditEvent.Action.REFUSED, object_type="rj_case", object_id=str(case_id), purpose=purpose
        )
        raise CaseNotFound("No such case")
    people = sorted({str(p) for p in found.parties.exclude(person=None).values_list("person_id", flat=True)})
    for person_id in people:
        audit_record(
            user=user,
            action=AuditEvent.Action.READ,
            object_type="person",
            object_id=person_id,
            purpose=purpose,
            detail={"rj_case": found.reference},
        )
    if not people:
        audit_record(
            user=user,
            action=AuditEvent.Action.READ,
            object_type="rj_case",
            object_id=str(found.pk),
            purpose=purpose,
            detail={"rj_case": found.reference},
        )
    return found
