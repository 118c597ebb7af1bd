"""The directory and the gaps in provision over the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.accounts.models import Agency, Role, User
from pathways.accounts.services import api_token_create
from pathways.iom.models import Scheme
from pathways.referrals.models import ContactRoute, Service
from pathways.referrals.tests.test_gaps import assess, create_person, create_service


def api(user: User) -> Client:
    _, key = api_token_create(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def world(police: Agency, make_user: Any) -> dict[str, Any]:
    sergeant = make_user("gaps-sergeant", police, Role.SUPERVISOR)
    scheme = Scheme.objects.create(code="ppo", name="PPO", entry_criteria="Prolific", lead_agency=police)
    return {"agency": police, "by": sergeant, "scheme": scheme}


# --- The directory ---------------------------------------------------------------------------


@pytest.fixture
def directory(housing: Agency) -> dict[str, Service]:
    # The search itself is `referrals.directory` (its own part of the work): these tests run with it.
    pytest.importorskip("pathways.referrals.directory")

    def service(name: str, **fields: Any) -> Service:
        values: dict[str, Any] = {
            "provider": "Wessex Homes",
            "pathways": ["accommodation"],
            "contact_route": ContactRoute.PHONE,
            "contact_details": "01305 111111",
            "managed_by": housing,
        }
        values.update(fields)
        return Service.objects.create(name=name, **values)

    return {
        "hostel": service("Casterbridge Night Shelter", area_codes=["WX1"], min_age=18, monthly_capacity=6),
        "young": service("Budmouth Young People's Housing", area_codes=["WX5"], min_age=16, max_age=24),
        "debt": service("Citizens Advice debt clinic", pathways=["finance"], eligibility="Anyone in debt"),
        "closed": service("Old Shelter", is_active=False),
        "linking": service(
            "Linking People Service",
            pathways=["accommodation", "health"],
            is_linking_service=True,
            receiving_agency=housing,
        ),
    }


def test_anyone_in_the_partnership_searches_the_directory(directory, officer):
    response = api(officer).get("/api/v1/services", {"pathway": "accommodation", "area": "WX1", "age": 30})
    assert response.status_code == 200
    names = [s["name"] for s in response.json()]
    assert names == ["Linking People Service", "Casterbridge Night Shelter"]
    shelter = response.json()[1]
    assert shelter["area_codes"] == ["WX1"] and shelter["monthly_capacity"] == 6 and shelter["min_age"] == 18
    assert shelter["managed_by"] == "wessex-housing" and shelter["receiving_agency"] is None
    assert response.json()[0]["receiving_agency"] == "wessex-housing"
    assert AuditEvent.objects.filter(username="officer", object_type="service", action="search", via="api").exists()


def test_the_directory_search_by_need_and_its_refusals(directory, officer):
    client = api(officer)
    assert [s["name"] for s in client.get("/api/v1/services", {"need": "debt"}).json()] == [
        "Citizens Advice debt clinic"
    ]
    assert "Old Shelter" not in client.get("/api/v1/services").content.decode()
    assert client.get("/api/v1/services", {"pathway": "gardening"}).status_code == 422
    assert client.get("/api/v1/services", {"age": -3}).status_code == 422
    assert Client().get("/api/v1/services").status_code == 401


# --- Gaps ------------------------------------------------------------------------------------


def test_analysts_read_the_gaps_with_small_numbers_hidden(world, analyst):
    for _ in range(6):
        assess(world, create_person("WX1"), accommodation="high")
    for _ in range(2):
        assess(world, create_person("WX2", town="Budmouth"), accommodation="high")
    create_service(world, ["accommodation"], ["WX2"], capacity=None)
    response = api(analyst).get("/api/v1/services/gaps")
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == timezone.localdate().isoformat()
    assert body["referrals_since"] == (timezone.localdate() - dt.timedelta(days=365)).isoformat()
    assert body["suppressed_below"] == 5
    areas = {a["area_code"]: a for a in body["areas"]}
    assert set(areas) == {"WX1", "WX2"}
    wx1 = next(c for c in areas["WX1"]["cells"] if c["pathway"] == "accommodation")
    assert wx1["people_with_need"] == 6 and wx1["services"] == 0
    assert wx1["gaps"] == ["Need with no service"]
    wx2 = next(c for c in areas["WX2"]["cells"] if c["pathway"] == "accommodation")
    assert wx2["people_with_need"] is None  # 2, hidden
    assert (wx2["services"], wx2["services_capacity_unknown"], wx2["gaps"]) == (1, 1, [])
    assert "Gapsworth" not in response.content.decode()
    assert AuditEvent.objects.filter(username="analyst", object_type="service_gaps", via="api").exists()

    only = api(analyst).get("/api/v1/services/gaps", {"town": "budmouth"}).json()
    assert [a["area_code"] for a in only["areas"]] == ["WX2"]
    assert api(analyst).get("/api/v1/services/gaps", {"area": "WX9"}).json()["areas"] == []


def test_officers_and_caseworkers_may_not_read_the_gaps(world, officer, probation_caseworker):
    for user in (officer, probation_caseworker):
        assert api(user).get("/api/v1/services/gaps").status_code == 403
    assert Client().get("/api/v1/services/gaps").status_code == 401
