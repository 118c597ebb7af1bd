"""The service directory and the gaps in provision over the API, for partners' own systems: the
same search, counts and policies as the pages, audited like them. Nobody is named.

Mounted in `pathways.api.routes` with `api.add_router("/services", "pathways.referrals.api.router")`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.common.reference import Pathway
from pathways.referrals import gaps as gap_counts
from pathways.referrals.models import Service
from pathways.referrals.policies import can_search_directory, can_see_gaps

router = Router(tags=["service directory"])

MAX_AGE = 120


class ServiceOut(Schema):
    id: uuid.UUID
    name: str
    provider: str
    description: str
    pathways: list[str]
    area_codes: list[str]  # empty: the whole partnership area
    eligibility: str
    min_age: int | None
    max_age: int | None
    monthly_capacity: int | None
    contact_route: str
    contact_details: str
    is_linking_service: bool
    receiving_agency: str | None  # the agency that triages referrals made through Pathways
    managed_by: str


class DirectoryQuery(Schema):
    need: str = ""
    pathway: str = ""
    area: str = ""
    age: int | None = None


class GapCellOut(Schema):
    pathway: str
    # People counts: null means from 1 to 4, hidden so that no one can be picked out.
    people_with_need: int | None
    services: int
    monthly_capacity: int
    services_capacity_unknown: int
    referrals: int | None
    referrals_accepted: int | None
    referrals_declined: int | None
    gaps: list[str]
    reason: str


class GapAreaOut(Schema):
    area_code: str  # empty: people and referrals whose area is not known
    area: str
    town: str
    cells: list[GapCellOut]


class GapsOut(Schema):
    as_of: dt.date
    referrals_since: dt.date
    suppressed_below: int
    areas: list[GapAreaOut]


class GapsQuery(Schema):
    area: str = ""
    town: str = ""


def _service_out(s: Service) -> ServiceOut:
    return ServiceOut(
        id=s.pk,
        name=s.name,
        provider=s.provider,
        description=s.description,
        pathways=s.pathways or [],
        area_codes=s.area_codes or [],
        eligibility=s.eligibility,
        min_age=s.min_age,
        max_age=s.max_age,
        monthly_capacity=s.monthly_capacity,
        contact_route=s.contact_route,
        contact_details=s.contact_details,
        is_linking_service=s.is_linking_service,
        receiving_agency=s.receiving_agency.code if s.receiving_agency_id else None,
        managed_by=s.managed_by.code,
    )


@router.get("", response=list[ServiceOut], summary="Search the service directory", operation_id="services_search")
def services_search(request: HttpRequest, filters: Query[DirectoryQuery]):  # type: ignore[no-untyped-def]
    """Active services matching every word of `need` (in the name, provider, description and
    eligibility), meeting needs on `pathway`, taking people from `area` (a service with no
    areas takes them from anywhere), for someone aged `age`. The linking service first."""
    # The directory's search is its own part (`referrals.directory`); imported here, when asked.
    from pathways.referrals import directory

    user: User = request.user  # type: ignore[assignment]  # set by the bearer token or the session
    if not can_search_directory(user):
        raise HttpError(403, "Only partnership staff search the directory")
    if filters.pathway and filters.pathway not in Pathway.values:
        raise HttpError(422, f"pathway must be one of {', '.join(Pathway.values)}")
    if filters.age is not None and not 0 <= filters.age <= MAX_AGE:
        raise HttpError(422, f"age must be between 0 and {MAX_AGE}")
    found = directory.services_search(
        need=filters.need[:200], pathway=filters.pathway, area=filters.area.strip().upper()[:20], age=filters.age
    ).select_related("receiving_agency", "managed_by")
    audit_record(
        user=user,
        action=AuditEvent.Action.SEARCH,
        object_type="service",
        detail={k: v for k, v in filters.dict().items() if v not in ("", None)},
        via="api",
    )
    return [_service_out(s) for s in found]


@router.get("/gaps", response=GapsOut, summary="Gaps in provision by area and pathway", operation_id="services_gaps")
def services_gaps(request: HttpRequest, filters: Query[GapsQuery]):  # type: ignore[no-untyped-def]
    """For each area and pathway: people with a need, the services and their monthly capacity,
    referrals in the last year and how many were accepted, and whether (and why) it is a gap.
    Counts only; any count of people from 1 to 4 is null. Optionally one `area` or one `town`."""
    user: User = request.user  # type: ignore[assignment]
    if not can_see_gaps(user):
        raise HttpError(403, "Only analysts, supervisors and administrators see the gaps in provision")
    today = timezone.localdate()
    codes = gap_counts.areas_chosen(town=filters.town, area=filters.area)
    result = gap_counts.gaps(today=today, area_codes=codes)
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="service_gaps",
        detail={"town": filters.town, "area": filters.area, "rows": len(result.rows), "gaps": result.gap_count},
        via="api",
    )
    return GapsOut(
        as_of=result.today,
        referrals_since=result.since,
        suppressed_below=gap_counts.SMALL,
        areas=[
            GapAreaOut(
                area_code=row.code,
                area=row.label,
                town=row.town,
                cells=[
                    GapCellOut(
                        pathway=c.pathway,
                        people_with_need=c.need,
                        services=c.services,
                        monthly_capacity=c.capacity,
                        services_capacity_unknown=c.capacity_unknown,
                        referrals=c.referrals,
                        referrals_accepted=c.accepted,
                        referrals_declined=c.declined,
                        gaps=list(c.gaps),
                        reason=c.reason,
                    )
                    for c in row.cells
                ],
            )
            for row in result.rows
        ],
    )
