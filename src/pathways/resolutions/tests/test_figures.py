"""Resolution figures: counts by tier and route, completion, time to completion, victim
satisfaction and overrides, worked by hand; and properties that hold for any resolutions."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pathways.accounts.models import Role
from pathways.resolutions import figures, services
from pathways.resolutions.models import Resolution, ResolutionVictim
from pathways.resolutions.reference import ROUTE_ORDER, Route, Status, VictimWants
from pathways.testing import signed_in_client

_numbers = itertools.count(1)


def make(officer, person, *, route, recommended=None, status=Status.AGREED, decided, completed_on=None, scores=()):  # type: ignore[no-untyped-def]
    """A resolution written straight to the table, decided at noon on `decided`."""
    resolution = Resolution.objects.create(
        reference=f"OOC-TEST-{next(_numbers):05d}",
        person=person,
        offence=person.offences.first(),
        agency=officer.agency,
        officer=officer,
        admission="admits",
        rule_set=services.rule_set_current(),
        recommended_route=recommended or route,
        route=route,
        status=status,
        decided_at=timezone.make_aware(dt.datetime.combine(decided, dt.time(12))),
        completed_on=completed_on,
    )
    for score in scores:
        ResolutionVictim.objects.create(
            resolution=resolution, name="Victim", wants=VictimWants.RESOLUTION, satisfaction=score
        )
    return resolution


@pytest.fixture
def handmade(officer, shoplifter, make_user, probation):  # type: ignore[no-untyped-def]
    d = dt.date(2026, 3, 1)
    make(
        officer,
        shoplifter,
        route=Route.STREET_CR,
        status=Status.COMPLETED,
        decided=d,
        completed_on=d + dt.timedelta(days=4),
        scores=[5, 2],
    )
    make(
        officer,
        shoplifter,
        route=Route.STREET_CR,
        status=Status.COMPLETED,
        decided=d,
        completed_on=d + dt.timedelta(days=10),
        scores=[None],
    )
    make(
        officer,
        shoplifter,
        route=Route.STREET_CR,
        recommended=Route.LEVEL_1,
        status=Status.FAILED,
        decided=d,
        scores=[4],
    )
    make(
        officer,
        shoplifter,
        route=Route.LEVEL_2,
        recommended=Route.LEVEL_1,
        status=Status.COMPLETED,
        decided=d,
        completed_on=d + dt.timedelta(days=21),
    )
    make(officer, shoplifter, route=Route.STREET_CR, recommended=Route.LEVEL_1, status=Status.AGREED, decided=d)
    make(officer, shoplifter, route=Route.CHARGE, recommended=Route.LEVEL_1, status=Status.CLOSED, decided=d)
    make(officer, shoplifter, route=Route.LEVEL_3, status=Status.REFERRED, decided=d)
    # Outside the period, and another agency's: not counted
    make(
        officer,
        shoplifter,
        route=Route.STREET_CR,
        status=Status.COMPLETED,
        decided=dt.date(2025, 1, 1),
        completed_on=dt.date(2025, 1, 2),
    )
    other = make_user("probation-officer", probation, Role.OFFICER)
    make(other, shoplifter, route=Route.CAUTION, status=Status.CLOSED, decided=d)


def test_the_figures_worked_by_hand(handmade, officer):
    found = figures.resolution_figures(user=officer, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    assert found.decided == 7
    by_route = {row.route: (row.decided, row.recommended, row.completed, row.failed) for row in found.routes}
    assert by_route == {
        Route.STREET_CR: (4, 2, 2, 1),
        Route.LEVEL_1: (0, 4, 0, 0),
        Route.LEVEL_2: (1, 0, 1, 0),
        Route.LEVEL_3: (1, 1, 0, 0),
        Route.CHARGE: (1, 0, 0, 0),
    }
    assert found.tiers == {"Community resolution (outcome 8)": 6, "Other outcome": 1}
    assert (found.completed, found.failed, found.under_way) == (3, 1, 2)
    assert found.completion_rate == 0.75
    assert found.median_days == 10
    assert (found.satisfaction_answers, found.satisfied, found.satisfaction_rate) == (3, 2, pytest.approx(2 / 3))
    assert (found.overrides, found.override_rate) == (4, pytest.approx(4 / 7))
    assert [(o.recommended, o.decided, o.count) for o in found.top_overrides] == [
        (Route.LEVEL_1, Route.STREET_CR, 2),
        (Route.LEVEL_1, Route.LEVEL_2, 1),
        (Route.LEVEL_1, Route.CHARGE, 1),
    ]


def test_an_even_number_of_completions_takes_the_middle_two():
    rows = [
        {
            "route": Route.STREET_CR,
            "recommended_route": Route.STREET_CR,
            "status": Status.COMPLETED,
            "decided_on": dt.date(2026, 1, 1),
            "completed_on": dt.date(2026, 1, 1) + dt.timedelta(days=d),
        }
        for d in (2, 5)
    ]
    assert figures.summarise(rows, []).median_days == 3.5


def test_nothing_decided_gives_no_rates():
    found = figures.summarise([], [])
    assert found.decided == 0
    assert (found.completion_rate, found.satisfaction_rate, found.override_rate, found.median_days) == (None,) * 4
    assert found.routes == []


resolution_rows = st.lists(
    st.fixed_dictionaries(
        {
            "route": st.sampled_from(ROUTE_ORDER),
            "recommended_route": st.sampled_from(ROUTE_ORDER),
            "status": st.sampled_from([s.value for s in Status if s != Status.DRAFT]),
            "decided_on": st.dates(dt.date(2024, 1, 1), dt.date(2026, 1, 1)),
            "completed_on": st.none() | st.dates(dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
        }
    ),
    max_size=40,
)


@given(resolution_rows, st.lists(st.none() | st.integers(1, 5), max_size=40))
def test_rates_stay_between_nought_and_one_and_the_counts_add_up(rows, scores):
    found = figures.summarise(rows, scores)
    for rate in (found.completion_rate, found.satisfaction_rate, found.override_rate):
        assert rate is None or 0 <= rate <= 1
    for row in found.routes:
        assert row.completion_rate is None or 0 <= row.completion_rate <= 1
    closed = sum(1 for r in rows if r["status"] == Status.CLOSED)
    assert found.completed + found.failed + found.under_way + closed == found.decided == len(rows)
    assert sum(r.completed for r in found.routes) == found.completed
    assert sum(r.failed for r in found.routes) == found.failed
    assert sum(r.decided for r in found.routes) == sum(found.tiers.values()) == len(rows)
    assert sum(r.recommended for r in found.routes) == len(rows)
    assert found.satisfaction_answers == sum(1 for s in scores if s is not None)
    assert sum(o.count for o in found.top_overrides) <= found.overrides <= found.decided
    if found.median_days is not None:
        assert found.completed > 0


# --- The page ---------------------------------------------------------------------------


def test_the_figures_page_for_a_supervisor(handmade, sergeant):
    client = signed_in_client(sergeant)
    page = client.get(reverse("resolutions:figures"), {"start": "2026-01-01", "end": "2026-12-31"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "75.0%" in text and "(3 completed, 1 not completed; 2 under way)" in text
    assert "preset=community_resolution" in text
    assert "Kelly" not in text  # nobody is named


def test_the_figures_page_refuses_bad_dates_and_officers(handmade, sergeant, officer):
    client = signed_in_client(sergeant)
    backwards = client.get(reverse("resolutions:figures"), {"start": "2026-12-31", "end": "2026-01-01"})
    assert backwards.status_code == 400
    assert "on or after its start" in backwards.content.decode()
    assert client.get(reverse("resolutions:figures"), {"start": "soon", "end": ""}).status_code == 400
    assert signed_in_client(officer).get(reverse("resolutions:figures")).status_code == 403


def test_an_analyst_at_an_agency_with_no_resolutions_sees_an_empty_state(handmade, analyst):
    page = signed_in_client(analyst).get(reverse("resolutions:figures"))
    assert page.status_code == 200
    assert 'id="no-resolutions"' in page.content.decode()
