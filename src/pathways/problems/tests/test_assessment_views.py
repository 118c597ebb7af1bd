"""The assessment page: what a problem still needs before it, the figures worked out against a
comparison area at it, and the verdict that ends the cycle, with earlier cycles kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from pathways.access.models import AuditEvent
from pathways.accounts.models import Role
from pathways.problems.models import Assessment, Problem, Stage
from pathways.problems.testing import create_problem
from pathways.problems.tests.test_assessment import AFTER, BEFORE, create_areas, create_offences
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db

FIGURES = {
    "action": "figures",
    "comparison_area_codes": ["WX9"],
    "buffer_area_codes": ["WX2"],
    "before_from": "2025-01-01",
    "before_to": "2025-06-30",
    "after_from": "2025-07-01",
    "after_to": "2025-12-31",
    "source": "offences",
}


@pytest.fixture
def problem(officer, probation, police, known_offender) -> Problem:
    """At assessment: WX1 halved against WX9, with crime steady next door in WX2."""
    create_areas()
    create_offences(police, known_offender, "WX1", BEFORE, [30, 28, 33, 29, 31, 29])
    create_offences(police, known_offender, "WX1", AFTER, [17, 15, 18, 16, 17, 16])
    create_offences(police, known_offender, "WX9", BEFORE, [52, 47, 50, 49, 54, 48])
    create_offences(police, known_offender, "WX9", AFTER, [58, 52, 57, 53, 55, 55])
    create_offences(police, known_offender, "WX2", BEFORE, [10] * 6)
    create_offences(police, known_offender, "WX2", AFTER, [10] * 6)
    return create_problem(
        owner=officer,
        partners=[probation],
        stage=Stage.ASSESSMENT,
        period_from=dt.date(2025, 1, 1),
        period_to=dt.date(2025, 6, 30),
    )


def _url(problem: Problem) -> str:
    return reverse("problems:assessment", args=[problem.pk])


def _page(client: Any, problem: Problem) -> str:
    response = client.get(_url(problem))
    assert response.status_code == 200
    return response.content.decode()


def test_before_assessment_the_page_says_the_stage_and_what_it_still_needs(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    page = _page(signed_in_client(officer), problem)
    assert "This problem is in <strong>Response</strong>" in page
    assert "Agree at least one response action owned by a partner agency" in page
    assert "Work out the figures" not in page and 'name="action"' not in page
    response = signed_in_client(officer).post(_url(problem), FIGURES)
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_the_form_starts_from_the_problems_period_and_ticks_the_areas_touching_the_place(problem, officer):
    page = _page(signed_in_client(officer), problem)
    assert "The figures have not been worked out yet." in page
    assert 'name="before_from" value="01/01/2025"' in page
    assert 'name="before_to" value="30/06/2025"' in page
    assert 'value="WX1"' not in page  # the place itself is neither comparison nor around it
    assert 'value="WX2" checked' in page  # WX2's boundary touches WX1's
    assert 'value="WX9" checked' not in page
    assert "Work out the figures before giving the verdict." in page


def test_working_out_the_figures_shows_the_change_the_chart_and_displacement(problem, officer):
    client = signed_in_client(officer)
    response = client.post(_url(problem), FIGURES)
    assert response.status_code == 302
    page = _page(client, problem)
    assert "The figures are worked out" in page
    assert "Crime in the problem area fell by 50% relative to the comparison area (95% interval:" in page
    assert 'id="counts"' in page and ">180<" in page and ">99<" in page and ">330<" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert "Diffusion of benefit" in page  # WX2 held steady while WX9 rose 10%
    assert "Farrington" in page and "Bowers" in page
    saved = Assessment.objects.get(problem=problem, cycle=1)
    assert saved.figures["counts"]["treated"] == {"before": 180, "after": 99}
    assert AuditEvent.objects.filter(
        object_type="problem", object_id=str(problem.pk), action="create", username="officer"
    ).exists()


def test_periods_that_cannot_be_compared_are_shown_beside_their_field_and_nothing_is_kept(problem, officer):
    response = signed_in_client(officer).post(_url(problem), {**FIGURES, "after_to": "2025-11-30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'id="id_after_to-error"' in page and "as long as the before period" in page
    assert not Assessment.objects.exists()


def test_not_solved_sends_the_problem_back_to_analysis_and_keeps_the_cycle(problem, officer):
    client = signed_in_client(officer)
    client.post(_url(problem), FIGURES)
    response = client.post(
        _url(problem), {"action": "verdict", "verdict": "not_solved", "note": "Crime moved to the bus station."}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.stage, problem.cycle) == (Stage.ANALYSIS, 2)
    page = _page(client, problem)
    assert "This problem is in <strong>Analysis</strong> (cycle 2)" in page
    assert "Cycle 1: Not solved" in page and "Crime moved to the bus station." in page
    assert "fell by 50%" in page  # the earlier cycle's estimate, read-only
    assert 'name="action"' not in page


def test_a_verdict_needs_its_reason(problem, officer):
    client = signed_in_client(officer)
    client.post(_url(problem), FIGURES)
    response = client.post(_url(problem), {"action": "verdict", "verdict": "solved", "note": ""})
    assert response.status_code == 200
    assert "Say why the partnership reached this verdict" in response.content.decode()
    problem.refresh_from_db()
    assert problem.stage == Stage.ASSESSMENT


def test_a_partner_works_out_the_figures_but_only_the_owner_gives_the_verdict(problem, officer, probation_caseworker):
    client = signed_in_client(probation_caseworker)
    assert client.post(_url(problem), FIGURES).status_code == 302
    page = _page(client, problem)
    assert "fell by 50%" in page
    assert 'value="verdict"' not in page
    assert "gives the verdict" in page
    response = client.post(_url(problem), {"action": "verdict", "verdict": "solved", "note": "Gone."})
    assert response.status_code == 403
    problem.refresh_from_db()
    assert problem.stage == Stage.ASSESSMENT
    assert 'value="verdict"' in _page(signed_in_client(officer), problem)


def test_a_supervisor_of_the_owners_agency_closes_the_problem(problem, officer, police, make_user):
    signed_in_client(officer).post(_url(problem), FIGURES)
    sergeant = signed_in_client(make_user("sergeant", police, Role.SUPERVISOR))
    sergeant.post(_url(problem), {"action": "verdict", "verdict": "reduced", "note": "Halved; keep the club."})
    problem.refresh_from_db()
    assert problem.stage == Stage.CLOSED
    page = _page(sergeant, problem)
    assert "This problem was closed" in page and "Cycle 1: Reduced" in page


def test_an_analyst_reads_the_figures_but_works_nothing_out(problem, officer, analyst):
    signed_in_client(officer).post(_url(problem), FIGURES)
    client = signed_in_client(analyst)
    page = _page(client, problem)
    assert "fell by 50%" in page and 'name="action"' not in page
    assert client.post(_url(problem), FIGURES).status_code == 403


def test_an_agency_not_working_the_problem_finds_nothing(problem, housing_worker):
    client = signed_in_client(housing_worker)
    assert client.get(_url(problem)).status_code == 404
    assert client.post(_url(problem), FIGURES).status_code == 404
    assert AuditEvent.objects.filter(action="refused", object_type="problem", object_id=str(problem.pk)).exists()
