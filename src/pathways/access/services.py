"""Writing the audit trail, and fetching a person only through the access rule."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import people_visible_to
from pathways.accounts.models import Agency, User
from pathways.people.models import Person


def audit_record(
    *,
    user: User | None,
    action: str,
    object_type: str = "",
    object_id: str = "",
    purpose: str = "",
    detail: dict[str, Any] | None = None,
    via: str = "web",
    username: str = "",
) -> AuditEvent:
    """Append one event to the audit trail, chained by hash to the event before it (see
    `access.chain`), so that any later change, removal or insertion shows."""
    from pathways.access import chain

    known = user is not None and user.is_authenticated
    return chain.append(
        user_id=user.pk if known else None,
        username=user.username if known else username,
        agency_code=user.agency.code if known and user.agency_id else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        purpose=purpose,
        detail=detail or {},
        via=via,
    )


class PersonNotFound(Http404):
    """Raised both for a person who does not exist and one the user may not see, so that a
    refusal does not reveal that the record exists."""


def access_person(*, user: User, person_id: uuid.UUID | str, purpose: str, via: str = "web") -> Person:
    """The person, if this user may see them; the read (or the refusal) is audited."""
    try:
        person_uuid = uuid.UUID(str(person_id))
    except ValueError as exc:
        raise PersonNotFound("No such person") from exc
    person = people_visible_to(user).filter(pk=person_uuid).first()
    if person is None:
        audit_record(
            user=user,
            action=AuditEvent.Action.REFUSED,
            object_type="person",
            object_id=str(person_uuid),
            purpose=purpose,
            via=via,
        )
        raise PersonNotFound("No such person")
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="person",
        object_id=str(person.pk),
        purpose=purpose,
        via=via,
    )
    return person


def agency_record_ensure(
    *,
    person: Person,
    agency: Agency,
    basis: str = AgencyRecord.Basis.HOLDS_RECORD,
    reason: str = "",
) -> AgencyRecord:
    record, _ = AgencyRecord.objects.get_or_create(
        person=person, agency=agency, defaults={"basis": basis, "reason": reason}
    )
    return record
