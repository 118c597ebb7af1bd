"""The audit trail over the API, for the data protection lead: the same four lists as the
pages (`access.views`), the same rule (403 for anyone else, the refusal audited), and each
call is itself audited with `via` "api".

Mounted in `pathways.api.routes` with `api.add_router("/audit/", "pathways.access.api.router")`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from pathways.access.models import AuditEvent
from pathways.access.views import PAGE_SIZE, audit_events, audit_page, audit_viewed, require_data_protection_lead

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    username: str
    agency: str
    action: str
    object_type: str
    object_id: str
    purpose: str
    via: str
    detail: dict[str, Any]


class AuditPageOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    events: list[AuditEventOut]


class AuditFilters(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = 1


def _lead(request: HttpRequest, page: str) -> None:
    try:
        require_data_protection_lead(request.user, page=page, via="api")
    except PermissionDenied as exc:
        raise HttpError(403, "Only a data protection lead may see the audit trail") from exc


def _answer(
    request: HttpRequest, *, page_name: str, events: QuerySet[AuditEvent], filters: AuditFilters, **subject: Any
) -> AuditPageOut:
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise HttpError(422, "date_to must be the same as or after date_from")
    page = audit_page(events, filters.page)
    audit_viewed(
        request.user,
        page=page_name,
        filters={**subject, "date_from": filters.date_from, "date_to": filters.date_to},
        page_number=page.number,
        via="api",
    )
    return AuditPageOut(
        count=page.paginator.count,
        page=page.number,
        pages=page.paginator.num_pages,
        page_size=PAGE_SIZE,
        events=[
            AuditEventOut(
                id=e.pk,
                at=e.at,
                username=e.username,
                agency=e.agency_code,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                purpose=e.purpose,
                via=e.via,
                detail=e.detail,
            )
            for e in page
        ],
    )


@router.get(
    "/people/{person_id}",
    response=AuditPageOut,
    summary="Who looked at this person",
    operation_id="audit_person_events",
)
def person_events(request: HttpRequest, person_id: uuid.UUID, filters: Query[AuditFilters]):  # type: ignore[no-untyped-def]
    """Every read, export, refusal, break-glass access and change recorded against a person,
    latest first, 50 to a page. Data protection leads only."""
    _lead(request, "people")
    events = audit_events(person_id=person_id, date_from=filters.date_from, date_to=filters.date_to)
    return _answer(request, page_name="people", events=events, filters=filters, person=person_id)


@router.get(
    "/users/{username}",
    response=AuditPageOut,
    summary="What this user looked at",
    operation_id="audit_user_events",
)
def user_events(request: HttpRequest, username: str, filters: Query[AuditFilters]):  # type: ignore[no-untyped-def]
    """Everything recorded against a username, failed sign-ins included, latest first."""
    _lead(request, "users")
    if "\x00" in username:
        raise HttpError(422, "A username cannot contain a null character")
    events = audit_events(username=username, date_from=filters.date_from, date_to=filters.date_to)
    return _answer(request, page_name="users", events=events, filters=filters, username=username)


@router.get(
    "/break-glass",
    response=AuditPageOut,
    summary="Break-glass accesses",
    operation_id="audit_break_glass_events",
)
def break_glass_events(request: HttpRequest, filters: Query[AuditFilters]):  # type: ignore[no-untyped-def]
    """Every break-glass access with the reason given (`detail.reason`), latest first."""
    _lead(request, "break-glass")
    events = audit_events(action=AuditEvent.Action.BREAK_GLASS, date_from=filters.date_from, date_to=filters.date_to)
    return _answer(request, page_name="break-glass", events=events, filters=filters)


@router.get(
    "/exports",
    response=AuditPageOut,
    summary="Exports",
    operation_id="audit_export_events",
)
def export_events(request: HttpRequest, filters: Query[AuditFilters]):  # type: ignore[no-untyped-def]
    """Every export of personal information, latest first."""
    _lead(request, "exports")
    events = audit_events(action=AuditEvent.Action.EXPORT, date_from=filters.date_from, date_to=filters.date_to)
    return _answer(request, page_name="exports", events=events, filters=filters)
