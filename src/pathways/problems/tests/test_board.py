"""The board: every problem the partnership works, with its stage and age, for every partner's staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pathways.problems.models import Stage
from pathways.problems.testing import create_problem
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db


def test_the_board_lists_every_problem_with_its_stage_and_age(officer, probation, housing_worker):
    today = timezone.localdate()
    ours = create_problem(owner=officer, partners=[probation], opened_on=today - dt.timedelta(days=45))
    other = create_problem(
        owner=officer,
        partners=[probation],
        stage=Stage.RESPONSE,
        title="Cycle theft at the station",
        opened_on=today - dt.timedelta(days=200),
    )
    page = signed_in_client(housing_worker).get(reverse("problems:board"))
    assert page.status_code == 200
    html = page.content.decode()
    for problem, stage, age in ((ours, "Scanning", "45 days"), (other, "Response", "200 days")):
        row = html.split(f'id="problem-{problem.reference}"')[1].split("</tr>")[0]
        assert problem.title in row and stage in row and age in row
        # Housing works neither: each is listed, not linked.
        assert reverse("problems:detail", args=[problem.pk]) not in row
    assert 'id="count-response"' in html


def test_the_partners_staff_get_a_link_and_the_filters_narrow_the_list(officer, probation, probation_caseworker):
    first = create_problem(owner=officer, partners=[probation])
    second = create_problem(owner=officer, partners=[], stage=Stage.ANALYSIS, title="Drug dealing in the park")
    client = signed_in_client(probation_caseworker)
    html = client.get(reverse("problems:board")).content.decode()
    assert reverse("problems:detail", args=[first.pk]) in html
    assert reverse("problems:detail", args=[second.pk]) not in html
    only_analysis = client.get(reverse("problems:board"), {"stage": "analysis"}).content.decode()
    assert second.reference in only_analysis and first.reference not in only_analysis
    by_probation = client.get(reverse("problems:board"), {"agency": probation.code}).content.decode()
    assert first.reference in by_probation and second.reference not in by_probation
    mine = signed_in_client(officer).get(reverse("problems:board"), {"mine": "1"}).content.decode()
    assert first.reference in mine and second.reference in mine
    assert first.reference not in client.get(reverse("problems:board"), {"mine": "1"}).content.decode()
