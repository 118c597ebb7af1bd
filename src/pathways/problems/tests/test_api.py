"""Problems over the API: the board for every partner's staff, one problem for those working it
(and analysts and administrators), never the people involved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.accounts.models import User
from pathways.accounts.services import api_token_create
from pathways.problems.models import InvolvedPerson, ProblemNote, Stage, StageChange
from pathways.problems.testing import create_problem


def api(user: User) -> Client:
    _, key = api_token_create(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def problems(officer: User, probation: Any, known_offender: Any) -> dict[str, Any]:
    shops = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    StageChange.objects.create(problem=shops, from_stage="scanning", to_stage="analysis", cycle=1, by=officer)
    StageChange.objects.create(problem=shops, from_stage="analysis", to_stage="response", cycle=1, by=officer)
    InvolvedPerson.objects.create(problem=shops, person=known_offender, role="offender", added_by=officer)
    ProblemNote.objects.create(
        problem=shops, cycle=1, stage="scanning", text="Seen by the shop", by=officer, agency=officer.agency
    )
    park = create_problem(
        owner=officer,
        partners=[probation],
        title="Drug dealing in Borough Gardens",
        opened_on=timezone.localdate() - dt.timedelta(days=10),
    )
    return {"shops": shops, "park": park}


def test_the_board_lists_every_problem_with_its_stage_and_age(problems, housing_worker):
    response = api(housing_worker).get("/api/v1/problems")  # any partner's staff see the board
    assert response.status_code == 200
    board = {p["reference"]: p for p in response.json()}
    shops = board[problems["shops"].reference]
    assert shops["title"] == "Youths at the Market Place shops"
    assert (shops["kind"], shops["stage"], shops["cycle"]) == ("place", "response", 1)
    assert shops["age_days"] == 120
    assert shops["owner_agency"] == {"code": "wessex-police", "name": "Wessex Police"}
    assert board[problems["park"].reference]["age_days"] == 10
    assert AuditEvent.objects.filter(username="housing-worker", object_type="problem", action="search").exists()


def test_the_board_filters_by_stage_and_refuses_an_unknown_stage(problems, officer):
    client = api(officer)
    scanning = client.get("/api/v1/problems", {"stage": "scanning"}).json()
    assert [p["reference"] for p in scanning] == [problems["park"].reference]
    assert client.get("/api/v1/problems", {"stage": "closed"}).json() == []
    assert client.get("/api/v1/problems", {"stage": "sideways"}).status_code == 422


def test_a_problem_gives_its_definition_stages_and_actions_but_no_people(
    problems, probation_caseworker, known_offender
):
    shops = problems["shops"]
    response = api(probation_caseworker).get(f"/api/v1/problems/{shops.pk}")  # a partner
    assert response.status_code == 200
    body = response.json()
    assert body["statement"].startswith("Groups of young people gather outside the Market Place shops")
    assert body["area_codes"] == ["WX1"] and body["has_boundary"] is False
    assert body["partners"] == [{"agency": {"code": "wessex-probation", "name": "Wessex Probation"}, "role": "Partner"}]
    assert [(c["from_stage"], c["to_stage"], c["by_agency"]) for c in body["stage_history"]] == [
        ("scanning", "analysis", "wessex-police"),
        ("analysis", "response", "wessex-police"),
    ]
    assert [a["action"] for a in body["actions"]] == []  # the response stage's own actions are to come
    text = response.content.decode()
    assert known_offender.surname not in text and str(known_offender.pk) not in text
    assert AuditEvent.objects.filter(
        username="probation-worker", object_type="problem", object_id=str(shops.pk), action="read", via="api"
    ).exists()


def test_a_problems_actions_are_listed_with_their_owners(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ASSESSMENT)
    actions = api(officer).get(f"/api/v1/problems/{problem.pk}").json()["actions"]
    assert [(a["action"], a["status"], a["owner_agency"]["code"]) for a in actions] == [
        ("Youth club opens 3–6 pm at the community centre", "done", "wessex-probation")
    ]


def test_an_agency_not_working_the_problem_finds_nothing(problems, housing_worker, analyst):
    shops = problems["shops"]
    response = api(housing_worker).get(f"/api/v1/problems/{shops.pk}")
    assert response.status_code == 404
    assert shops.statement not in response.content.decode()
    assert AuditEvent.objects.filter(username="housing-worker", action="refused", object_id=str(shops.pk)).exists()
    assert api(analyst).get(f"/api/v1/problems/{shops.pk}").status_code == 200  # analysts see every problem


def test_callers_without_a_token_are_refused(problems):
    assert Client().get("/api/v1/problems").status_code == 401
    assert Client().get(f"/api/v1/problems/{problems['shops'].pk}").status_code == 401
