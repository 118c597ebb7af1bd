"""A problem's own pages: found only by the agencies working it; moved on only in order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from pathways.access.models import AuditEvent
from pathways.problems.models import Problem, Stage, StageChange
from pathways.problems.testing import STATEMENT, create_problem
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db

PROBLEM_ROUTES = ["detail", "edit", "advance", "note-add", "partners", "analysis", "person-add", "response"]


def test_an_agency_not_working_a_problem_finds_none_of_its_pages(officer, probation, housing_worker):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    client = signed_in_client(housing_worker)
    for name in PROBLEM_ROUTES:
        url = reverse(f"problems:{name}", args=[problem.pk])
        for response in (client.get(url), client.post(url, {"to_stage": "assessment", "text": "x"})):
            assert response.status_code in (404, 405), (name, response.status_code)
            assert problem.title not in response.content.decode()
    assert not StageChange.objects.exists() and not problem.notes.exists()
    assert AuditEvent.objects.filter(action="refused", object_type="problem", username="housing-worker").exists()


def test_the_problem_page_shows_its_stages_what_is_missing_and_its_definition(officer, probation):
    problem = create_problem(owner=officer, partners=[], scanning_summary="")
    html = signed_in_client(officer).get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert STATEMENT in html
    assert "Add at least one partner agency working the problem" in html
    assert "Write what scanning showed" in html
    assert 'data-stage="scanning"' in html and "Move to analysis" in html


def test_a_crafted_post_cannot_skip_a_stage_and_the_reasons_are_shown(officer, probation):
    problem = create_problem(owner=officer, partners=[probation])
    client = signed_in_client(officer)
    url = reverse("problems:advance", args=[problem.pk])
    response = client.post(url, {"to_stage": "response"})
    assert response.status_code == 409
    assert "A problem in Scanning cannot move to Response: stages are worked in order" in response.content.decode()
    problem.refresh_from_db()
    assert problem.stage == Stage.SCANNING
    response = client.post(url, {"to_stage": "analysis", "note": "Scanned: agreed at the JAG"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.stage == Stage.ANALYSIS
    assert problem.stage_changes.get().note == "Scanned: agreed at the JAG"
    # The history shows the move.
    html = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert "Scanning → Analysis" in html


def test_an_incomplete_stage_is_refused_with_what_is_missing(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS)
    response = signed_in_client(officer).post(reverse("problems:advance", args=[problem.pk]), {"to_stage": "response"})
    assert response.status_code == 409
    assert "Write the analysis" in response.content.decode()


def test_a_partner_works_the_problem_but_does_not_move_it_on(officer, probation, probation_caseworker):
    problem = create_problem(owner=officer, partners=[probation])
    client = signed_in_client(probation_caseworker)
    html = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert 'id="advance"' not in html and 'id="note-form"' in html
    assert client.post(reverse("problems:advance", args=[problem.pk]), {"to_stage": "analysis"}).status_code == 403
    client.post(reverse("problems:note-add", args=[problem.pk]), {"kind": "note", "text": "Two more reports"})
    assert problem.notes.get().agency == probation


def test_a_new_problem_is_defined_on_the_form(officer, probation):
    client = signed_in_client(officer)
    assert client.get(reverse("problems:new")).status_code == 200
    empty = client.post(
        reverse("problems:new"),
        {"kind": "place", "title": "Shops", "statement": STATEMENT, "period_from": "2026-01-01", "period_to": "x"},
    )
    assert "Enter the end of the period as a date like 2026-11-30" in empty.content.decode()
    empty = client.post(
        reverse("problems:new"),
        {
            "kind": "place",
            "title": "Shops",
            "statement": STATEMENT,
            "period_from": "2026-01-01",
            "period_to": "2026-02-01",
        },
    )
    assert "A place problem needs its place" in empty.content.decode()
    response = client.post(
        reverse("problems:new"),
        {
            "kind": "place",
            "title": "Youths at the Market Place shops",
            "statement": STATEMENT,
            "area_codes": "wx1, WX2",
            "streets": "Market Place\nHigh Street\n",
            "period_from": "2025-11-01",
            "period_to": "2026-10-31",
            "crime_types": "Shoplifting, Public order",
            "partners": [probation.pk],
        },
    )
    problem = Problem.objects.get()
    assert response["Location"] == reverse("problems:detail", args=[problem.pk])
    assert problem.area_codes == ["WX1", "WX2"] and problem.streets == ["Market Place", "High Street"]
    assert problem.crime_types == ["Shoplifting", "Public order"] and problem.period_to == dt.date(2026, 10, 31)
    assert list(problem.partners.values_list("agency", flat=True)) == [probation.pk]


def test_the_definition_and_scanning_summary_are_edited_while_scanning(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], scanning_summary="")
    client = signed_in_client(officer)
    url = reverse("problems:edit", args=[problem.pk])
    assert client.get(url).status_code == 200
    client.post(
        url,
        {
            "kind": "place",
            "title": problem.title,
            "statement": STATEMENT,
            "area_codes": "WX1",
            "period_from": "2025-11-01",
            "period_to": "2026-10-31",
            "partners": [probation.pk],
            "scanning_summary": "Forty shoplifting offences, most 3 to 5 pm on weekdays.",
        },
    )
    problem.refresh_from_db()
    assert problem.scanning_summary.startswith("Forty shoplifting")
    problem.stage = Stage.ANALYSIS
    problem.save()
    assert client.get(url)["Location"] == reverse("problems:detail", args=[problem.pk])


def test_the_owner_adds_and_removes_partners_at_any_stage(officer, probation, housing, probation_caseworker):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    url = reverse("problems:partners", args=[problem.pk])
    assert signed_in_client(probation_caseworker).post(url, {"agency": housing.pk}).status_code == 403
    client = signed_in_client(officer)
    client.post(url, {"agency": housing.pk, "role": "Owns the garage blocks"})
    assert problem.partners.get(agency=housing).role == "Owns the garage blocks"
    client.post(url, {"remove": str(probation.pk)})
    assert list(problem.partners.values_list("agency", flat=True)) == [housing.pk]


def test_an_analyst_reads_any_problem_but_works_only_those_of_their_agency(officer, probation, analyst):
    problem = create_problem(owner=officer, partners=[probation])
    client = signed_in_client(analyst)
    html = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert problem.title in html and 'id="note-form"' not in html and 'id="advance"' not in html
    assert client.post(reverse("problems:note-add", args=[problem.pk]), {"text": "x"}).status_code == 403
    assert client.get(reverse("problems:edit", args=[problem.pk])).status_code == 403
