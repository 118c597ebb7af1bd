"""Figures about out-of-court resolutions: how many by tier and route, how many completed and how
quickly, how satisfied victims were, and how often officers decided differently from the
recommendation. Reoffending after each route is the performance framework's (preset
`community_resolution`).

The arithmetic is in `summarise`, a pure function of plain rows, so it can be tested on its own;
`resolution_figures` reads one agency's resolutions decided in a period and hands them over.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from pathways.accounts.models import User
from pathways.resolutions.models import Resolution, ResolutionVictim
from pathways.resolutions.reference import COMMUNITY_RESOLUTION_TIERS, ROUTE_ORDER, Route, Status

SATISFIED = 4  # 4 satisfied, 5 very satisfied
TOP_OVERRIDES = 5


def tier_of(route: str) -> str:
    return "Community resolution (outcome 8)" if route in COMMUNITY_RESOLUTION_TIERS else "Other outcome"


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class RouteRow:
    route: str
    label: str
    tier: str
    decided: int = 0
    recommended: int = 0
    completed: int = 0
    failed: int = 0

    @property
    def completion_rate(self) -> float | None:
        return _rate(self.completed, self.completed + self.failed)


@dataclass
class Override:
    recommended: str
    decided: str
    count: int

    @property
    def recommended_label(self) -> str:
        return Route(self.recommended).label

    @property
    def decided_label(self) -> str:
        return Route(self.decided).label


@dataclass
class Figures:
    decided: int = 0
    routes: list[RouteRow] = field(default_factory=list)
    tiers: dict[str, int] = field(default_factory=dict)
    completed: int = 0
    failed: int = 0
    under_way: int = 0
    median_days: float | None = None
    satisfaction_answers: int = 0
    satisfied: int = 0
    overrides: int = 0
    top_overrides: list[Override] = field(default_factory=list)

    @property
    def completion_rate(self) -> float | None:
        """Completed, of those finished (completed or not completed)."""
        return _rate(self.completed, self.completed + self.failed)

    @property
    def satisfaction_rate(self) -> float | None:
        """Satisfied or very satisfied (4 or 5), of the victims who answered."""
        return _rate(self.satisfied, self.satisfaction_answers)

    @property
    def override_rate(self) -> float | None:
        return _rate(self.overrides, self.decided)


def summarise(resolutions: Iterable[dict[str, Any]], satisfaction: Iterable[int | None]) -> Figures:
    """Figures from rows with `route`, `recommended_route`, `status`, `decided_on` and
    `completed_on`, and the satisfaction scores (1–5, or None) the victims of those resolutions gave."""
    rows = {r: RouteRow(route=r, label=Route(r).label, tier=tier_of(r)) for r in ROUTE_ORDER}
    figures = Figures()
    days: list[int] = []
    pairs: Counter[tuple[str, str]] = Counter()
    for r in resolutions:
        figures.decided += 1
        rows[r["route"]].decided += 1
        rows[r["recommended_route"]].recommended += 1
        if r["status"] == Status.COMPLETED:
            figures.completed += 1
            rows[r["route"]].completed += 1
            if r["completed_on"] is not None and r["decided_on"] is not None:
                days.append((r["completed_on"] - r["decided_on"]).days)
        elif r["status"] == Status.FAILED:
            figures.failed += 1
            rows[r["route"]].failed += 1
        elif r["status"] != Status.CLOSED:
            figures.under_way += 1
        if r["route"] != r["recommended_route"]:
            figures.overrides += 1
            pairs[(r["recommended_route"], r["route"])] += 1
    figures.routes = [row for row in rows.values() if row.decided or row.recommended]
    tiers: Counter[str] = Counter()
    for row in rows.values():
        tiers[row.tier] += row.decided
    figures.tiers = dict(tiers)
    figures.median_days = statistics.median(days) if days else None
    answers = [s for s in satisfaction if s is not None]
    figures.satisfaction_answers = len(answers)
    figures.satisfied = sum(1 for s in answers if s >= SATISFIED)
    # Most common first; ties in the order of the routes, so the page is stable.
    ranked = sorted(pairs.items(), key=lambda kv: (-kv[1], ROUTE_ORDER.index(kv[0][0]), ROUTE_ORDER.index(kv[0][1])))
    figures.top_overrides = [Override(recommended=a, decided=b, count=n) for (a, b), n in ranked[:TOP_OVERRIDES]]
    return figures


def decided_in(*, user: User, start: dt.date, end: dt.date) -> Any:
    """The user's agency's resolutions decided between `start` and `end` (inclusive)."""
    return (
        Resolution.objects.filter(agency_id=user.agency_id, decided_at__isnull=False)
        .exclude(route="")
        .filter(decided_at__date__gte=start, decided_at__date__lte=end)
    )


def resolution_figures(*, user: User, start: dt.date, end: dt.date) -> Figures:
    """Figures for the user's agency's resolutions decided in the period. Nothing names a person."""
    scope = decided_in(user=user, start=start, end=end)
    rows = [
        {**r, "decided_on": timezone.localtime(r["decided_at"]).date()}
        for r in scope.values("route", "recommended_route", "status", "decided_at", "completed_on")
    ]
    scores = ResolutionVictim.objects.filter(resolution__in=scope).values_list("satisfaction", flat=True)
    return summarise(rows, list(scores))


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 12 months, to today."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start + dt.timedelta(days=1), today
