"""Proven reoffending over the API, for analysts: the same figures and JSON as
`pathways reoffending --format json`, from what the agreements share with the caller's agency.

Mounted in `pathways.api.routes` with `api.add_router("/reoffending", "pathways.analytics.api.router")`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from pathways.access.policies import can_analyse_performance
from pathways.analytics.engines import DataError
from pathways.analytics.measures import BREAKDOWNS, PRESETS
from pathways.analytics.selectors import partnership_analysis

router = Router(tags=["performance"])


class ReoffendingQuery(Schema):
    cohort_start: dt.date
    cohort_end: dt.date
    preset: str = "moj"
    by: list[str] = []
    suppress: int = 0


class FiguresOut(Schema):
    """The measures of one group (or of the whole cohort); all None when suppressed."""

    cohort: int | None
    reoffenders: int | None
    rate: float | None
    rate_ci95: list[float] | None
    reoffences: int | None
    per_reoffender: float | None
    per_offender: float | None
    mean_days_to_first_reoffence: float | None
    suppressed: bool = False


class GroupOut(FiguresOut):
    group: str


class ReoffendingOut(FiguresOut):
    breakdowns: dict[str, list[GroupOut]]
    definition: dict[str, Any]


@router.get("", response=ReoffendingOut, summary="Proven reoffending for a cohort", operation_id="reoffending")
def reoffending(request: HttpRequest, query: Query[ReoffendingQuery]):  # type: ignore[no-untyped-def]
    """The cohort of people whose first index event falls between `cohort_start` and `cohort_end`
    (inclusive), under a preset (`moj` by default, or `community_resolution`), with any breakdowns
    (`by=age_band&by=sex`…: age_band, sex, ethnicity, index_disposal, previous_offences,
    offence_group, area, scheme). `suppress=N` hides figures with fewer than N people behind them,
    for publication. Analysts only."""
    if not can_analyse_performance(request.user):
        raise HttpError(403, "Only analysts may ask for reoffending figures")
    if query.preset not in PRESETS:
        raise HttpError(422, f"preset must be one of {', '.join(PRESETS)}")
    unknown = [b for b in query.by if b not in BREAKDOWNS]
    if unknown:
        raise HttpError(422, f"unknown breakdown {', '.join(unknown)}; choose from {', '.join(BREAKDOWNS)}")
    if query.cohort_end < query.cohort_start:
        raise HttpError(422, "cohort_end must be on or after cohort_start")
    if not 0 <= query.suppress <= 1000:
        raise HttpError(422, "suppress must be between 0 and 1000")
    try:
        result = partnership_analysis(request.user).run(
            PRESETS[query.preset], query.cohort_start, query.cohort_end, by=list(dict.fromkeys(query.by))
        )
    except DataError as exc:
        raise HttpError(422, str(exc)) from exc
    return result.as_dict(suppress=query.suppress)
