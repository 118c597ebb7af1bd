"""Assessment's figures: the change in the problem's place relative to a comparison area, with
an interval that holds the true effect as often as it says, and displacement next door."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.offending.models import Offence
from pathways.people.models import Person
from pathways.problems.assessment import assess, did_estimate, displacement, periods_match, work_out
from pathways.problems.models import Area, AreaKind, Assessment, Stage
from pathways.problems.places import OFFENCES
from pathways.problems.testing import create_problem

counts = st.integers(min_value=0, max_value=5000)


# ---------------------------------------------------------------- worked by hand


def test_a_worked_example_checked_by_hand():
    # (60·200)/(100·180) = 0.667; log variance 1/100 + 1/60 + 1/200 + 1/180 = 0.03722;
    # 0.667·exp(±1.96·√0.03722) = 0.457 and 0.973.
    e = did_estimate(treated_before=100, treated_after=60, comparison_before=200, comparison_after=180)
    assert e.ratio == pytest.approx(2 / 3)
    assert e.change_percent == pytest.approx(-33.33, abs=0.01)
    assert e.log_variance == pytest.approx(0.037222, abs=1e-6)
    assert e.low_percent == pytest.approx(-54.32, abs=0.01)
    assert e.high_percent == pytest.approx(-2.70, abs=0.01)
    assert e.dispersion == 1.0 and not e.zero_corrected and not e.includes_no_change
    assert e.sentence == (
        "Crime in the problem area fell by 33% relative to the comparison area (95% interval: 3% to 54% lower)."
    )


def test_a_rise_and_an_unclear_change_are_said_as_such():
    rise = did_estimate(treated_before=50, treated_after=100, comparison_before=100, comparison_after=100)
    assert rise.change_percent == pytest.approx(100)
    assert rise.sentence.startswith("Crime in the problem area rose by 100% relative to the comparison area")
    assert "% higher)" in rise.sentence
    unclear = did_estimate(treated_before=20, treated_after=18, comparison_before=20, comparison_after=20)
    assert unclear.includes_no_change
    assert "(95% interval: from " in unclear.sentence and "% lower to " in unclear.sentence
    assert unclear.sentence.endswith("The interval includes no change: the difference could be chance.")


def test_zero_counts_add_a_half_to_every_cell_and_say_so():
    e = did_estimate(treated_before=10, treated_after=0, comparison_before=20, comparison_after=20)
    assert e.zero_corrected
    assert e.ratio == pytest.approx((0.5 * 20.5) / (10.5 * 20.5))
    assert e.log_variance == pytest.approx(1 / 10.5 + 1 / 0.5 + 2 / 20.5)
    assert "half a crime was added to each of the four counts" in e.notes[0]
    nothing = did_estimate(treated_before=0, treated_after=0, comparison_before=0, comparison_after=0)
    assert nothing.ratio == 1 and nothing.includes_no_change


def test_monthly_counts_that_vary_more_than_chance_widen_the_interval():
    # Months of 0 and 10: variance 50 over mean 5 is a dispersion of 10.
    plain = did_estimate(treated_before=100, treated_after=60, comparison_before=200, comparison_after=180)
    wide = did_estimate(
        treated_before=100,
        treated_after=60,
        comparison_before=200,
        comparison_after=180,
        treated_monthly_before=[0, 10],
        treated_monthly_after=[0, 10],
        comparison_monthly_before=[0, 10],
        comparison_monthly_after=[0, 10],
    )
    assert wide.dispersion == pytest.approx(10)
    assert wide.log_variance == pytest.approx(plain.log_variance * 10)
    assert wide.ratio == plain.ratio
    assert "varied 10.0 times as much as chance" in wide.notes[0]
    # Steadier than chance never narrows it.
    steady = did_estimate(
        treated_before=100,
        treated_after=60,
        comparison_before=200,
        comparison_after=180,
        treated_monthly_before=[50, 50],
        comparison_monthly_before=[100, 100],
    )
    assert steady.dispersion == 1.0 and steady.log_variance == plain.log_variance


# ---------------------------------------------------------------- properties


@given(counts, counts, counts, counts)
def test_the_interval_holds_the_estimate_and_the_flag_agrees_with_it(tb, ta, cb, ca):
    e = did_estimate(treated_before=tb, treated_after=ta, comparison_before=cb, comparison_after=ca)
    assert e.low_percent <= e.change_percent <= e.high_percent
    assert e.low_percent > -100
    assert e.includes_no_change == (e.low_percent <= 0 <= e.high_percent)
    assert ("fell by" in e.sentence) == (round(e.change_percent) < 0)


@given(st.integers(1, 2000), st.integers(1, 2000), st.integers(1, 2000), st.integers(1, 2000))
def test_swapping_the_periods_reverses_the_change(tb, ta, cb, ca):
    forward = did_estimate(treated_before=tb, treated_after=ta, comparison_before=cb, comparison_after=ca)
    back = did_estimate(treated_before=ta, treated_after=tb, comparison_before=ca, comparison_after=cb)
    assert forward.ratio * back.ratio == pytest.approx(1)
    assert forward.log_variance == pytest.approx(back.log_variance)


@given(st.integers(1, 500), st.integers(1, 500), st.integers(1, 500), st.integers(1, 500), st.integers(2, 10))
def test_more_crime_in_the_same_proportions_narrows_the_interval(tb, ta, cb, ca, k):
    small = did_estimate(treated_before=tb, treated_after=ta, comparison_before=cb, comparison_after=ca)
    large = did_estimate(treated_before=k * tb, treated_after=k * ta, comparison_before=k * cb, comparison_after=k * ca)
    assert large.ratio == pytest.approx(small.ratio)
    assert large.high_percent - large.low_percent < small.high_percent - small.low_percent


def _planted(seed: int, effect: float, *, months: int = 12) -> tuple[float, object]:
    """Monthly Poisson counts for a year before and a year after: a common trend in both areas,
    and in the problem place a reduction of `effect` on top of it."""
    rng = np.random.default_rng(seed)
    treated_rate, comparison_rate = rng.uniform(8, 40), rng.uniform(15, 80)
    trend = rng.uniform(0.7, 1.3)
    tb = rng.poisson(treated_rate, months)
    ta = rng.poisson(treated_rate * trend * (1 - effect), months)
    cb = rng.poisson(comparison_rate, months)
    ca = rng.poisson(comparison_rate * trend, months)
    estimate = did_estimate(
        treated_before=int(tb.sum()),
        treated_after=int(ta.sum()),
        comparison_before=int(cb.sum()),
        comparison_after=int(ca.sum()),
        treated_monthly_before=tb.tolist(),
        treated_monthly_after=ta.tolist(),
        comparison_monthly_before=cb.tolist(),
        comparison_monthly_after=ca.tolist(),
    )
    return -effect * 100, estimate


def test_the_95_percent_interval_holds_the_planted_reduction_at_least_90_percent_of_the_time():
    held = 0
    for seed in range(200):
        effect = np.random.default_rng(10_000 + seed).uniform(0.10, 0.60)
        truth, e = _planted(seed, effect)
        held += e.low_percent <= truth <= e.high_percent
    assert held / 200 >= 0.90, held


@settings(derandomize=True, max_examples=50)
@given(seed=st.integers(0, 10**6), effect=st.floats(0.5, 0.6))
def test_a_large_planted_reduction_is_told_from_no_change(seed, effect):
    _, e = _planted(seed, effect)
    assert not e.includes_no_change
    assert e.high_percent < 0
    assert "fell by" in e.sentence


# ---------------------------------------------------------------- displacement


def test_crime_that_moved_next_door_is_pure_displacement():
    # 50 fewer in the place, 50 more next door, the comparison area unchanged: WDQ −1.
    d = displacement(
        treated_before=100,
        treated_after=50,
        buffer_before=100,
        buffer_after=150,
        comparison_before=100,
        comparison_after=100,
    )
    assert d.wdq == pytest.approx(-1)
    assert d.reading.startswith("Some displacement (WDQ -1.00)")
    assert d.net_effect == pytest.approx(0)


@pytest.mark.parametrize(
    ("buffer_after", "wdq", "reading"),
    [
        (80, 0.4, "Diffusion of benefit (WDQ 0.40): relative to the comparison area, crime around the place fell too"),
        (20, 1.6, "Diffusion of benefit (WDQ 1.60): relative to the comparison area, crime around the place fell even"),
        (100, 0.0, "No displacement and no diffusion of benefit"),
        (200, -2.0, "Displacement greater than the reduction (WDQ -2.00)"),
    ],
)
def test_the_quotient_is_read_in_words(buffer_after, wdq, reading):
    d = displacement(
        treated_before=100,
        treated_after=50,
        buffer_before=100,
        buffer_after=buffer_after,
        comparison_before=100,
        comparison_after=100,
    )
    assert d.wdq == pytest.approx(wdq)
    assert d.reading.startswith(reading)


def test_the_cases_with_no_quotient_are_said_not_raised():
    no_comparison = displacement(
        treated_before=10, treated_after=5, buffer_before=10, buffer_after=10, comparison_before=0, comparison_after=4
    )
    assert no_comparison.wdq is None and "comparison area had no crime" in no_comparison.reading
    no_change = displacement(
        treated_before=10, treated_after=20, buffer_before=10, buffer_after=10, comparison_before=5, comparison_after=10
    )
    assert no_change.wdq is None and "no reduction to displace" in no_change.reading
    rise = displacement(
        treated_before=10,
        treated_after=30,
        buffer_before=10,
        buffer_after=10,
        comparison_before=10,
        comparison_after=10,
    )
    assert rise.wdq is not None and "says nothing about displacement" in rise.reading


@given(st.integers(1, 1000), st.integers(0, 1000), st.integers(0, 1000), st.integers(1, 1000), st.integers(1, 1000))
def test_whatever_the_counts_displacement_never_fails(tb, ta, bb, cb, ca):
    moved = tb - ta  # what left the place turns up next door
    d = displacement(
        treated_before=tb,
        treated_after=ta,
        buffer_before=bb,
        buffer_after=bb + moved,
        comparison_before=cb,
        comparison_after=cb,
    )
    assert d.reading
    if d.wdq is not None and ta < tb:
        assert d.wdq == pytest.approx(-1)


# ---------------------------------------------------------------- periods and the database


def test_periods_match_by_days_or_by_whole_months():
    assert periods_match((dt.date(2025, 1, 1), dt.date(2025, 6, 30)), (dt.date(2025, 7, 1), dt.date(2025, 12, 31)))
    assert periods_match((dt.date(2025, 1, 10), dt.date(2025, 1, 19)), (dt.date(2025, 3, 1), dt.date(2025, 3, 10)))
    assert not periods_match((dt.date(2025, 1, 1), dt.date(2025, 6, 30)), (dt.date(2025, 7, 1), dt.date(2025, 11, 30)))


SQUARE = [[-2.5, 50.7], [-2.4, 50.7], [-2.4, 50.8], [-2.5, 50.8], [-2.5, 50.7]]


def _square(x: float, y: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x + a - SQUARE[0][0], y + b - SQUARE[0][1]] for a, b in SQUARE]]}


def create_areas() -> None:
    """WX1 (the problem's place), WX2 beside it, WX9 far away."""
    Area.objects.create(code="WX1", name="Market", kind=AreaKind.POSTCODE_DISTRICT, boundary=_square(-2.5, 50.7))
    Area.objects.create(code="WX2", name="Quay", kind=AreaKind.POSTCODE_DISTRICT, boundary=_square(-2.4, 50.7))
    Area.objects.create(code="WX9", name="Downs", kind=AreaKind.POSTCODE_DISTRICT, boundary=_square(-1.5, 51.5))


@pytest.fixture
def areas(db):
    create_areas()


BEFORE = (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
AFTER = (dt.date(2025, 7, 1), dt.date(2025, 12, 31))


def create_offences(police, person: Person, area: str, period: tuple[dt.date, dt.date], monthly: list[int]) -> None:
    start = period[0]
    rows = []
    for m, n in enumerate(monthly):
        month = dt.date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1)
        for k in range(n):
            rows.append(
                Offence(
                    person=person,
                    agency=police,
                    reference=f"{area}-{month:%Y%m}-{k}",
                    offence_date=month + dt.timedelta(days=k % 28),
                    offence_code="0001",
                    offence_group="theft",
                    area=area,
                )
            )
    Offence.objects.bulk_create(rows)


@pytest.mark.django_db
def test_assess_recovers_a_reduction_planted_in_offences(officer, probation, police, known_offender, areas):
    """WX1 halves after the response; WX9 (the comparison) rises 10%; WX2 next door is steady."""
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ASSESSMENT)
    # 180 → 99 against 300 → 330: (99·300)/(180·330) = 0.5, a planted 50% reduction.
    create_offences(police, known_offender, "WX1", BEFORE, [30, 28, 33, 29, 31, 29])
    create_offences(police, known_offender, "WX1", AFTER, [17, 15, 18, 16, 17, 16])
    create_offences(police, known_offender, "WX9", BEFORE, [52, 47, 50, 49, 54, 48])
    create_offences(police, known_offender, "WX9", AFTER, [58, 52, 57, 53, 55, 55])
    create_offences(police, known_offender, "WX2", BEFORE, [10] * 6)
    create_offences(police, known_offender, "WX2", AFTER, [11] * 6)
    figures = assess(
        problem=problem,
        comparison_area_codes=["WX9"],
        buffer_area_codes=["WX2"],
        before=BEFORE,
        after=AFTER,
        source="offences",
    )
    e = figures["estimate"]
    assert e["change_percent"] == pytest.approx(-50)
    assert e["low_percent"] <= -50 <= e["high_percent"]
    assert e["high_percent"] < 0 and "fell by" in e["sentence"]
    assert figures["counts"]["treated"]["before"] == e["treated_before"] > 0
    assert figures["counts"]["buffer"] == {"before": 60, "after": 66}
    assert figures["displacement"]["wdq"] == pytest.approx(0, abs=0.2)
    assert figures["monthly"]["months"][0] == "2025-01" and len(figures["monthly"]["months"]) == 12
    assert sum(figures["monthly"]["comparison"]) == e["comparison_before"] + e["comparison_after"]
    assert figures["before"] == {"from": "2025-01-01", "to": "2025-06-30", "days": 181}
    assert "Farrington" in figures["method"] and figures["source"] == "offences"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"after": (dt.date(2025, 7, 1), dt.date(2025, 11, 30))}, "after_to", "as long as the before period"),
        ({"after": (dt.date(2025, 6, 1), dt.date(2025, 11, 27))}, "after_from", "cannot overlap"),
        ({"comparison_area_codes": ["WX1"]}, "comparison_area_codes", "cannot be part of the problem's place"),
        ({"comparison_area_codes": []}, "comparison_area_codes", "Choose at least one comparison area"),
        ({"buffer_area_codes": ["WX9"]}, "buffer_area_codes", "both a comparison area"),
        ({"source": "rumour"}, "source", "Choose where the crimes are counted from"),
        (
            {"after": (dt.date(2099, 7, 1), dt.date(2099, 12, 31))},
            "after_to",
            "has not ended yet",
        ),
    ],
)
def test_periods_and_areas_that_cannot_be_compared_are_refused_on_their_field(
    officer, probation, areas, change, field, message
):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ASSESSMENT)
    asked = {
        "comparison_area_codes": ["WX9"],
        "buffer_area_codes": ["WX2"],
        "before": BEFORE,
        "after": AFTER,
        "source": "offences",
        **change,
    }
    with pytest.raises(ValidationError) as refused:
        assess(problem=problem, **asked)
    assert any(message in m for m in refused.value.message_dict[field])


@pytest.mark.django_db
def test_a_comparison_area_drawn_over_the_place_is_refused(officer, probation, areas):
    Area.objects.create(code="WX5", name="Overlap", kind=AreaKind.WARD, boundary=_square(-2.45, 50.75))
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ASSESSMENT)
    with pytest.raises(ValidationError) as refused:
        assess(
            problem=problem,
            comparison_area_codes=["WX5"],
            buffer_area_codes=[],
            before=BEFORE,
            after=AFTER,
            source="offences",
        )
    assert "cannot overlap the problem's place" in refused.value.message_dict["comparison_area_codes"][0]


@pytest.mark.django_db
def test_working_out_keeps_one_assessment_per_cycle_and_audits_each_time(officer, probation, areas, housing_worker):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ASSESSMENT)
    asked = {"comparison_area_codes": ["WX9"], "buffer_area_codes": [], "before": BEFORE, "after": AFTER}
    work_out(problem=problem, by=officer, source="offences", **asked)
    saved = work_out(problem=problem, by=officer, source="street_crime", **asked)
    assert Assessment.objects.get(problem=problem, cycle=1) == saved
    assert saved.figures["source"] == "street_crime" and saved.figures["displacement"] is None
    assert saved.before_from == BEFORE[0] and saved.comparison_area_codes == ["WX9"]
    events = AuditEvent.objects.filter(object_type="problem", object_id=str(problem.pk), username="officer")
    assert list(events.order_by("id").values_list("action", flat=True)) == ["create", "update"]
    with pytest.raises(PermissionDenied):
        work_out(problem=problem, by=housing_worker, source="offences", **asked)
    with pytest.raises(ValidationError):
        work_out(
            problem=create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE),
            by=officer,
            source="offences",
            **asked,
        )
    assert math.isfinite(saved.figures["estimate"]["ratio"])


@pytest.mark.django_db
def test_a_problem_named_in_police_uk_crime_types_counts_the_matching_offence_groups(
    officer, probation, police, known_offender, areas
):
    """A problem about "Shoplifting" and "Anti-social behaviour", assessed on the partnership's
    offences, counts theft offences (ASB is no offence); one about violence counts none of them."""
    create_offences(police, known_offender, "WX1", BEFORE, [5] * 6)
    create_offences(police, known_offender, "WX1", AFTER, [3] * 6)
    create_offences(police, known_offender, "WX9", BEFORE, [4] * 6)
    create_offences(police, known_offender, "WX9", AFTER, [4] * 6)
    periods = {"before": BEFORE, "after": AFTER, "comparison_area_codes": ["WX9"], "buffer_area_codes": []}
    shops = create_problem(
        owner=officer,
        partners=[probation],
        stage=Stage.ASSESSMENT,
        crime_types=["Shoplifting", "Anti-social behaviour"],
    )
    counts = assess(problem=shops, source=OFFENCES, **periods)["counts"]
    assert counts["treated"] == {"before": 30, "after": 18}
    assert counts["comparison"] == {"before": 24, "after": 24}
    fights = create_problem(owner=officer, partners=[probation], stage=Stage.ASSESSMENT, crime_types=["Violence"])
    assert assess(problem=fights, source=OFFENCES, **periods)["counts"]["treated"] == {"before": 0, "after": 0}
