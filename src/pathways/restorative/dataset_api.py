"""The quarterly return over the API: the same rows as the page and the CSV, under the same
access rule (`dataset.services_for`).

Mounted in `pathways.api.routes` with
`api.add_router("/restorative/dataset", "pathways.restorative.dataset_api.router")`.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from pathways.restorative import dataset
from pathways.restorative.policies import can_see_rj_dataset

router = Router(tags=["restorative justice"])


class DatasetQuery(Schema):
    # Optional here so that a caller without access is refused (403) before anything is checked.
    service: str = ""
    quarter: str = ""


class RowOut(Schema):
    measure: str
    breakdown: str
    value: int | float | None


class DatasetOut(Schema):
    service: str
    quarter: str
    start: dt.date
    end: dt.date
    rows: list[RowOut]


@router.get(
    "", response=DatasetOut, summary="A restorative justice service's quarterly return", operation_id="rj_dataset"
)
def rj_dataset(request: HttpRequest, query: Query[DatasetQuery]):  # type: ignore[no-untyped-def]
    """The standard quarterly return of one restorative justice service (`service`, its agency
    code) for a calendar quarter (`quarter`, e.g. 2026-Q3): rows of measure, breakdown and value,
    as defined in docs/restorative-justice.md. The service's co-ordinators, and analysts of an
    agency the service shares its outcomes with for performance analysis."""
    user = request.user
    if not can_see_rj_dataset(user):
        raise HttpError(403, "Only the service's co-ordinators and analysts see the restorative justice return")
    if not query.quarter:
        raise HttpError(422, "Give the quarter, e.g. quarter=2026-Q3")
    quarter = query.quarter.strip().upper()
    try:
        start, end = dataset.quarter_bounds(quarter)
    except dataset.QuarterError as exc:
        raise HttpError(422, str(exc)) from exc
    if not query.service:
        raise HttpError(422, "Give the service's code, e.g. service=wessex-rj")
    service = dataset.services_for(user).filter(code=query.service).first()  # type: ignore[arg-type]
    if service is None:
        raise HttpError(403, f"You may not see the return of the service '{query.service}'")
    result = dataset.rj_return(service, start, end)
    dataset.return_seen(user=user, service=service, quarter=quarter, export=True, via="api")  # type: ignore[arg-type]
    return DatasetOut(
        service=service.code,
        quarter=quarter,
        start=start,
        end=end,
        rows=[RowOut(measure=m, breakdown=b, value=v) for m, b, v in result.rows()],
    )
