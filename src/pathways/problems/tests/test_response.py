"""Response: actions owned by partner agencies, with dates and status; overdue ones flagged;
a linked person shown only to those who may see them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pathways.access.services import agency_record_ensure
from pathways.people.models import Person
from pathways.problems import services
from pathways.problems.models import ActionStatus, ResponseAction, Stage
from pathways.problems.testing import create_problem
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db


def test_an_action_is_added_on_the_response_page_with_its_person(officer, probation, known_offender):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    client = signed_in_client(officer)
    url = reverse("problems:response", args=[problem.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "action": "Weekly probation check-in about the shops",
            "owner_agency": probation.pk,
            "owner_name": "Priya Patel",
            "starts_on": "2026-11-01",
            "due_on": "2026-12-31",
            "status": "in_progress",
            "place": "Market Place",
            "person": "2016/0001234B",
        },
    )
    assert response.status_code == 302
    action = ResponseAction.objects.get()
    assert (action.owner_agency, action.person, action.place) == (probation, known_offender, "Market Place")
    html = client.get(url).content.decode()
    assert "Weekly probation check-in" in html and "Smith" in html


def test_a_linked_person_is_not_named_to_a_partner_who_may_not_see_them(officer, probation, probation_caseworker):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    person = Person.objects.create(given_name="Kyle", surname="Rowe")
    agency_record_ensure(person=person, agency=officer.agency)
    today = timezone.localdate()
    services.action_add(
        problem=problem,
        by=officer,
        action="Warning letter",
        owner_agency=officer.agency,
        starts_on=today,
        due_on=today,
        person_id=person.pk,
    )
    html = signed_in_client(probation_caseworker).get(reverse("problems:response", args=[problem.pk])).content.decode()
    assert "Warning letter" in html and "Rowe" not in html
    assert "About a person you may not see" in html


def test_overdue_actions_are_flagged_and_progress_is_recorded(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    today = timezone.localdate()
    late = services.action_add(
        problem=problem,
        by=officer,
        action="Fit CCTV",
        owner_agency=probation,
        starts_on=today - dt.timedelta(days=40),
        due_on=today - dt.timedelta(days=5),
    )
    client = signed_in_client(officer)
    html = client.get(reverse("problems:response", args=[problem.pk])).content.decode()
    assert "1 action overdue" in html
    url = reverse("problems:action", args=[problem.pk, late.pk])
    response = client.post(url, {"status": "done", "finished_on": today.isoformat(), "outcome": "Two cameras fitted"})
    assert response.status_code == 302
    late.refresh_from_db()
    assert (late.status, late.finished_on) == (ActionStatus.DONE, today)
    assert "overdue" not in client.get(reverse("problems:response", args=[problem.pk])).content.decode()


def test_earlier_cycles_actions_are_read_only(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ASSESSMENT)
    old = problem.actions.get()  # cycle 1's, done
    problem.cycle, problem.stage = 2, Stage.ANALYSIS
    problem.save()
    client = signed_in_client(officer)
    html = client.get(reverse("problems:response", args=[problem.pk])).content.decode()
    assert 'id="earlier-actions"' in html and 'id="action-form"' not in html
    url = reverse("problems:action", args=[problem.pk, old.pk])
    assert client.post(url, {"status": "planned"}).status_code == 403
    assert client.post(reverse("problems:response", args=[problem.pk]), {"action": "x"}).status_code == 403
