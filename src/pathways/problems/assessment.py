"""Assessment: did crime in the problem's place fall once the response was done, compared with
an area that had no response, and did it move next door?

One method, the one crime-prevention evaluations use:

- The **relative effect size** (Farrington, Gill, Waples & Argomaniz 2007, "The effects of
  closed-circuit television on crime: meta-analysis of an English national quasi-multi-site
  evaluation", J. Exp. Criminol. 3:21–38; Welsh & Farrington's systematic reviews). With the
  counts Tb, Ta (problem place, before and after) and Cb, Ca (comparison area), the change in
  the problem place relative to the comparison area is (Ta·Cb)/(Tb·Ca): the inverse of
  Farrington's odds ratio, so that below 1 (a negative percentage) is a *reduction*. Its
  natural log has variance 1/Tb + 1/Ta + 1/Cb + 1/Ca if counts were Poisson; crime counts
  vary more than that, so the variance is multiplied by the dispersion D = variance/mean of
  the monthly counts (never by less than 1), as Farrington et al. 2007 did.
- The **weighted displacement quotient** (Bowers & Johnson 2003, "Measuring the geographical
  displacement and diffusion of benefit effects of crime prevention activity", J. Quant.
  Criminol. 19:275–301): WDQ = (Ba/Ca − Bb/Cb) / (Ta/Ca − Tb/Cb) with B the buffer around the
  place. Above 0 the areas around the place improved too (diffusion of benefit); below 0
  crime moved there (displacement).

The pure functions come first; `assess` counts the incidents and returns every figure the page
shows, JSON-ready, for `Assessment.figures`; `work_out` saves and audits it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.problems.analysis import problem_kinds
from pathways.problems.models import Area, Assessment, Problem, Stage
from pathways.problems.places import SOURCES, Incident, Place, incidents
from pathways.problems.policies import can_work_problem

METHOD = (
    "Relative effect size (Farrington et al. 2007), its variance inflated for overdispersion; "
    "weighted displacement quotient (Bowers & Johnson 2003)"
)
# The 97.5th centile of the standard normal: a two-sided 95% interval.
Z95 = statistics.NormalDist().inv_cdf(0.975)
# Haldane–Anscombe: a log of zero has no value, so when any count is zero every count gets a half.
ZERO_CORRECTION = 0.5


# ---------------------------------------------------------------- the estimate (pure)


@dataclass(frozen=True)
class Estimate:
    treated_before: int
    treated_after: int
    comparison_before: int
    comparison_after: int
    ratio: float  # (Ta·Cb)/(Tb·Ca): below 1 is a reduction relative to the comparison area
    change_percent: float  # (ratio − 1)·100, negative = reduction
    low_percent: float  # the 95% interval of change_percent
    high_percent: float
    log_variance: float  # after the dispersion was applied
    dispersion: float  # the factor the variance was multiplied by (1 when not inflated)
    zero_corrected: bool
    includes_no_change: bool  # the interval includes 0%: the figures cannot tell a change from chance
    sentence: str
    notes: list[str] = field(default_factory=list)


def _dispersion(series: Sequence[Sequence[float]]) -> float | None:
    """Variance over mean of monthly counts, averaged over the series that can show one (two
    months or more and some crime); None when none can."""
    ratios = [statistics.variance(s) / statistics.fmean(s) for s in series if len(s) >= 2 and statistics.fmean(s) > 0]
    return statistics.fmean(ratios) if ratios else None


def _percent(ratio: float) -> float:
    return (ratio - 1.0) * 100.0


def _interval_words(low: float, high: float) -> str:
    """The 95% interval of a percentage change, in words ("18% to 44% lower")."""
    lo, hi = round(low), round(high)
    if hi < 0:
        return f"{-hi}% to {-lo}% lower"
    if lo > 0:
        return f"{lo}% to {hi}% higher"
    return f"from {-lo}% lower to {hi}% higher"


def _estimate_sentence(change: float, low: float, high: float, includes_no_change: bool) -> str:
    shown = round(change)
    if shown < 0:
        said = f"Crime in the problem area fell by {-shown}% relative to the comparison area"
    elif shown > 0:
        said = f"Crime in the problem area rose by {shown}% relative to the comparison area"
    else:
        said = "Crime in the problem area changed no more than in the comparison area"
    said += f" (95% interval: {_interval_words(low, high)})."
    if includes_no_change:
        said += " The interval includes no change: the difference could be chance."
    return said


def did_estimate(
    *,
    treated_before: int,
    treated_after: int,
    comparison_before: int,
    comparison_after: int,
    treated_monthly_before: Sequence[float] = (),
    treated_monthly_after: Sequence[float] = (),
    comparison_monthly_before: Sequence[float] = (),
    comparison_monthly_after: Sequence[float] = (),
) -> Estimate:
    """The change in the problem area relative to the comparison area over matching before and
    after periods, with its 95% interval (see the module's docstring for the method)."""
    counts = (treated_before, treated_after, comparison_before, comparison_after)
    if any(c < 0 for c in counts):
        raise ValueError("counts cannot be negative")
    notes: list[str] = []
    zero_corrected = any(c == 0 for c in counts)
    tb, ta, cb, ca = (c + ZERO_CORRECTION if zero_corrected else float(c) for c in counts)
    if zero_corrected:
        notes.append(
            "A count was zero, so half a crime was added to each of the four counts "
            "(the Haldane–Anscombe correction): the estimate is rougher than usual."
        )
    ratio = (ta * cb) / (tb * ca)
    variance = 1 / tb + 1 / ta + 1 / cb + 1 / ca
    measured = _dispersion(
        [treated_monthly_before, treated_monthly_after, comparison_monthly_before, comparison_monthly_after]
    )
    dispersion = max(measured, 1.0) if measured is not None else 1.0
    if measured is not None and measured > 1:
        notes.append(
            f"Monthly counts varied {measured:.1f} times as much as chance alone would make them, "
            "so the interval is widened to match."
        )
    variance *= dispersion
    spread = Z95 * math.sqrt(variance)
    low, high = _percent(ratio * math.exp(-spread)), _percent(ratio * math.exp(spread))
    change = _percent(ratio)
    includes_no_change = low <= 0 <= high
    return Estimate(
        treated_before=treated_before,
        treated_after=treated_after,
        comparison_before=comparison_before,
        comparison_after=comparison_after,
        ratio=ratio,
        change_percent=change,
        low_percent=low,
        high_percent=high,
        log_variance=variance,
        dispersion=dispersion,
        zero_corrected=zero_corrected,
        includes_no_change=includes_no_change,
        sentence=_estimate_sentence(change, low, high, includes_no_change),
        notes=notes,
    )


# ---------------------------------------------------------------- displacement (pure)


@dataclass(frozen=True)
class Displacement:
    buffer_before: int
    buffer_after: int
    wdq: float | None  # None when it cannot be worked out (`reading` says why)
    reading: str
    # Crimes prevented in the place and around it together, had both followed the comparison
    # area's trend (Bowers & Johnson's net effect): positive = fewer crimes than expected.
    net_effect: float | None


def _wdq_reading(wdq: float) -> str:
    if abs(wdq) < 1e-9:
        return "No displacement and no diffusion of benefit: crime around the place followed the comparison area."
    if wdq > 1:
        return (
            f"Diffusion of benefit (WDQ {wdq:.2f}): relative to the comparison area, crime around the "
            "place fell even more than in the place itself."
        )
    if wdq > 0:
        return (
            f"Diffusion of benefit (WDQ {wdq:.2f}): relative to the comparison area, crime around the "
            "place fell too, though less than in the place itself."
        )
    if wdq >= -1:
        return (
            f"Some displacement (WDQ {wdq:.2f}): relative to the comparison area, crime around the "
            "place rose, but by less than it fell in the place, so there was still a net reduction."
        )
    return (
        f"Displacement greater than the reduction (WDQ {wdq:.2f}): relative to the comparison area, "
        "crime around the place rose by more than it fell in the place; the response made things worse overall."
    )


def displacement(
    *,
    treated_before: int,
    treated_after: int,
    buffer_before: int,
    buffer_after: int,
    comparison_before: int,
    comparison_after: int,
) -> Displacement:
    """Bowers & Johnson's weighted displacement quotient, read in words; the cases where it has
    no value are said, not raised."""
    tb, ta, bb, ba, cb, ca = (
        treated_before,
        treated_after,
        buffer_before,
        buffer_after,
        comparison_before,
        comparison_after,
    )
    if cb == 0 or ca == 0:
        return Displacement(
            bb,
            ba,
            None,
            "Displacement cannot be worked out: the comparison area had no crime in one of the periods.",
            None,
        )
    net = (tb * ca / cb - ta) + (bb * ca / cb - ba)
    success = ta / ca - tb / cb  # below 0: the place improved relative to the comparison area
    if success == 0:
        return Displacement(
            bb,
            ba,
            None,
            "Displacement cannot be worked out: crime in the problem area changed exactly as in the "
            "comparison area, so there was no reduction to displace.",
            net,
        )
    wdq = (ba / ca - bb / cb) / success
    reading = _wdq_reading(wdq)
    if success > 0:
        # Bowers & Johnson read the quotient only after a reduction: with a rise, its sign flips.
        reading = (
            f"Crime in the problem area did not fall relative to the comparison area, so the "
            f"quotient (WDQ {wdq:.2f}) says nothing about displacement."
        )
    return Displacement(bb, ba, wdq, reading, net)


# ---------------------------------------------------------------- periods


def _days(period: tuple[dt.date, dt.date]) -> int:
    return (period[1] - period[0]).days + 1


def _whole_months(period: tuple[dt.date, dt.date]) -> int | None:
    """The number of calendar months, when the period is whole calendar months; else None."""
    start, end = period
    if start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def periods_match(before: tuple[dt.date, dt.date], after: tuple[dt.date, dt.date]) -> bool:
    """The same number of days, or the same number of whole calendar months (January to June
    against July to December is 181 days against 184, yet the fair comparison)."""
    if _days(before) == _days(after):
        return True
    months = _whole_months(before)
    return months is not None and months == _whole_months(after)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, at = [], start.replace(day=1)
    while at <= end:
        months.append(at)
        at = (at.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def _monthly(found: list[Incident], months: list[dt.date]) -> list[int]:
    counts = dict.fromkeys(months, 0)
    for i in found:
        key = i.on.replace(day=1)
        if key in counts:
            counts[key] += 1
    return [counts[m] for m in months]


def _whole_month_counts(found: list[Incident], start: dt.date, end: dt.date) -> list[int]:
    """Monthly counts for the dispersion, leaving out a part month at either end (a part month
    has fewer crimes for no reason but its length); all months when fewer than two are whole."""
    months = _months(start, end)
    whole = [m for m in months if m >= start and m.replace(day=calendar.monthrange(m.year, m.month)[1]) <= end]
    return _monthly(found, whole if len(whole) >= 2 else months)


# ---------------------------------------------------------------- the figures (Django)


def _touching(outline: Any, areas: list[Area]) -> list[str]:
    """Codes of the areas whose boundaries touch or cross the outline. Boundary files are drawn
    separately, so neighbours can miss each other by a sliver: 0.0002° (about 15 m) counts as
    touching."""
    near = outline.buffer(0.0002)
    return [a.code for a in areas if a.boundary and shape(a.boundary).intersects(near)]


def areas_around(problem: Problem) -> list[str]:
    """The areas around the problem's place, to look for displacement in: those whose boundaries
    touch the place's, the place's own areas left out. From the outline, not the codes, so that a
    drawn boundary has neighbours too."""
    outline = Place.of_problem(problem).shape()
    if outline is None:
        return []
    own = set(problem.area_codes or ())
    return _touching(outline, [a for a in Area.objects.exclude(code__in=own) if a.boundary])


def _codes(codes: Sequence[str]) -> list[str]:
    return sorted({c.strip() for c in codes if c and c.strip()})


def _check(
    *,
    problem: Problem,
    comparison: list[str],
    buffer: list[str],
    before: tuple[dt.date, dt.date],
    after: tuple[dt.date, dt.date],
    source: str,
) -> None:
    errors: dict[str, list[str]] = {}

    def say(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    place = Place.of_problem(problem)
    if place.is_empty:
        say("comparison_area_codes", "The problem has no place to count crime in: give it areas, streets or a boundary")
    if not comparison:
        say("comparison_area_codes", "Choose at least one comparison area")
    own = set(problem.area_codes or ())
    if own & set(comparison):
        say("comparison_area_codes", "A comparison area cannot be part of the problem's place")
    elif comparison and _overlaps(place, comparison):
        say("comparison_area_codes", "A comparison area cannot overlap the problem's place")
    if own & set(buffer):
        say("buffer_area_codes", "An area around the place cannot be part of the place itself")
    if set(buffer) & set(comparison):
        say("buffer_area_codes", "An area cannot be both a comparison area and an area around the place")
    if source not in SOURCES:
        say("source", "Choose where the crimes are counted from")
    if before[0] > before[1]:
        say("before_to", "The before period must end on or after the day it starts")
    if after[0] > after[1]:
        say("after_to", "The after period must end on or after the day it starts")
    if "before_to" not in errors and "after_to" not in errors:
        if after[0] <= before[1]:
            say("after_from", "The after period must start after the before period ends: they cannot overlap")
        elif not periods_match(before, after):
            say(
                "after_to",
                f"The after period must be as long as the before period ({_days(before)} days, or the same "
                f"number of whole months); it is {_days(after)} days",
            )
        if after[1] > timezone.localdate():
            say("after_to", "The after period has not ended yet: its figures would be incomplete")
    if errors:
        raise ValidationError(errors)


def _overlaps(place: Place, codes: list[str]) -> bool:
    """Whether the comparison areas' boundaries overlap the place's (touching is allowed)."""
    outline = place.shape()
    other = Place.of_areas(codes).shape()
    if outline is None or other is None:
        return False
    return bool(outline.intersection(other).area > 1e-6 * max(outline.area, 1e-12))


def assess(
    *,
    problem: Problem,
    comparison_area_codes: Sequence[str],
    buffer_area_codes: Sequence[str],
    before: tuple[dt.date, dt.date],
    after: tuple[dt.date, dt.date],
    source: str,
) -> dict[str, Any]:
    """Count the problem's crimes in its place, the comparison areas and the areas around the
    place over the before and after periods, and work out the estimate and displacement.
    Returns every figure the page shows, JSON-ready (kept in `Assessment.figures`).
    Raises ValidationError (by form field) for periods or areas that cannot be compared."""
    comparison, buffer = _codes(comparison_area_codes), _codes(buffer_area_codes)
    _check(problem=problem, comparison=comparison, buffer=buffer, before=before, after=after, source=source)
    place = Place.of_problem(problem)
    kinds = tuple(problem_kinds(problem, source))

    def count(where: Place) -> tuple[list[Incident], list[Incident]]:
        found = [
            [
                i
                # An incident by a point inside a wide area may be in the problem's place too
                # (a street or a drawn boundary inside it): it counts for the place only.
                for i in incidents(where, start, end, source=source, kinds=kinds)
                if where is place or not place.contains(i)
            ]
            for start, end in (before, after)
        ]
        return found[0], found[1]

    treated = count(place)
    compared = count(Place.of_areas(comparison))
    around = count(Place.of_areas(buffer)) if buffer else ([], [])
    estimate = did_estimate(
        treated_before=len(treated[0]),
        treated_after=len(treated[1]),
        comparison_before=len(compared[0]),
        comparison_after=len(compared[1]),
        treated_monthly_before=_whole_month_counts(treated[0], *before),
        treated_monthly_after=_whole_month_counts(treated[1], *after),
        comparison_monthly_before=_whole_month_counts(compared[0], *before),
        comparison_monthly_after=_whole_month_counts(compared[1], *after),
    )
    moved = (
        displacement(
            treated_before=len(treated[0]),
            treated_after=len(treated[1]),
            buffer_before=len(around[0]),
            buffer_after=len(around[1]),
            comparison_before=len(compared[0]),
            comparison_after=len(compared[1]),
        )
        if buffer
        else None
    )
    months = [*_months(*before), *_months(*after)]
    return {
        "method": METHOD,
        "computed_at": timezone.now().isoformat(),
        "source": source,
        "source_label": SOURCES[source],
        "crime_types": list(kinds),
        "place": place.describe(),
        "comparison_area_codes": comparison,
        "buffer_area_codes": buffer,
        "before": {"from": before[0].isoformat(), "to": before[1].isoformat(), "days": _days(before)},
        "after": {"from": after[0].isoformat(), "to": after[1].isoformat(), "days": _days(after)},
        "counts": {
            "treated": {"before": len(treated[0]), "after": len(treated[1])},
            "comparison": {"before": len(compared[0]), "after": len(compared[1])},
            "buffer": {"before": len(around[0]), "after": len(around[1])} if buffer else None,
        },
        "monthly": {
            "months": [m.strftime("%Y-%m") for m in months],
            "period": ["before"] * len(_months(*before)) + ["after"] * len(_months(*after)),
            "treated": _monthly(treated[0], _months(*before)) + _monthly(treated[1], _months(*after)),
            "comparison": _monthly(compared[0], _months(*before)) + _monthly(compared[1], _months(*after)),
            "buffer": (_monthly(around[0], _months(*before)) + _monthly(around[1], _months(*after)))
            if buffer
            else None,
        },
        "estimate": asdict(estimate),
        "displacement": asdict(moved) if moved else None,
    }


@transaction.atomic
def work_out(
    *,
    problem: Problem,
    by: User,
    comparison_area_codes: Sequence[str],
    buffer_area_codes: Sequence[str],
    before: tuple[dt.date, dt.date],
    after: tuple[dt.date, dt.date],
    source: str,
) -> Assessment:
    """Work out this cycle's figures and keep them (again, if they were worked out before), audited."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if not can_work_problem(by, problem):
        raise PermissionDenied("Only staff of the owner or a partner agency work a problem")
    if problem.stage != Stage.ASSESSMENT:
        raise ValidationError("The figures are worked out at the assessment stage")
    figures = assess(
        problem=problem,
        comparison_area_codes=comparison_area_codes,
        buffer_area_codes=buffer_area_codes,
        before=before,
        after=after,
        source=source,
    )
    assessment, created = Assessment.objects.update_or_create(
        problem=problem,
        cycle=problem.cycle,
        defaults={
            "comparison_area_codes": figures["comparison_area_codes"],
            "buffer_area_codes": figures["buffer_area_codes"],
            "before_from": before[0],
            "before_to": before[1],
            "after_from": after[0],
            "after_to": after[1],
            "figures": figures,
        },
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        object_type="problem",
        object_id=str(problem.pk),
        detail={
            "what": "assessment figures",
            "cycle": problem.cycle,
            "source": source,
            "comparison": figures["comparison_area_codes"],
            "buffer": figures["buffer_area_codes"],
            "before": [before[0].isoformat(), before[1].isoformat()],
            "after": [after[0].isoformat(), after[1].isoformat()],
            "change_percent": round(figures["estimate"]["change_percent"], 1),
        },
    )
    return assessment
