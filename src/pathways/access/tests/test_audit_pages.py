"""The audit trail's pages and API, for the data protection lead only."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from ninja.testing import TestClient

from pathways.access.api import router
from pathways.access.models import AuditEvent
from pathways.access.services import PersonNotFound, access_person, audit_record
from pathways.testing import signed_in_client

PAGES = ["/audit/", "/audit/people/", "/audit/users/", "/audit/break-glass/", "/audit/exports/"]


@pytest.fixture
def lead(police_admin):
    """Wessex Police's administrator, acting as its data protection lead."""
    return police_admin


@pytest.fixture
def looked_at(known_offender, officer, probation_caseworker, housing_worker):
    """The officer reads the known offender's record twice, once through the API; the housing
    worker is refused it; the officer searches; someone else's record is refused too."""
    access_person(user=officer, person_id=known_offender.pk, purpose="casework")
    access_person(user=officer, person_id=known_offender.pk, purpose="offender_management", via="api")
    for user, person_id in [
        (housing_worker, known_offender.pk),
        (probation_caseworker, "5a3c1b2e-0000-4000-8000-000000000001"),
    ]:
        with pytest.raises(PersonNotFound):
            access_person(user=user, person_id=person_id, purpose="casework")
    audit_record(user=officer, action=AuditEvent.Action.SEARCH, object_type="person", detail={"name": "Jon Smyth"})
    return known_offender


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)


def rows(response) -> int:
    return response.content.decode().count('<tr class="govuk-table__row">') - 1


@pytest.mark.parametrize("path", PAGES)
def test_only_the_data_protection_lead_may_see_the_audit_pages(path, officer, lead):
    assert signed_in_client(officer).get(path).status_code == 403
    assert AuditEvent.objects.filter(action="refused", object_type="audit", username="officer").exists()
    assert signed_in_client(lead).get(path).status_code == 200


def test_the_audit_home_links_to_each_page(lead):
    page = signed_in_client(lead).get("/audit/").content.decode()
    for path in PAGES[1:]:
        assert f'href="{path}"' in page
    assert "pathways audit verify" in page


def test_who_looked_at_this_person(looked_at, lead):
    response = signed_in_client(lead).get(f"/audit/people/{looked_at.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert rows(response) == 3  # two reads and the refusal; not the search, not the other person
    assert page.count('href="/audit/users/officer/"') == 2
    assert "housing-worker" in page and "Wessex Homes" in page and "Refused" in page
    assert "Offender management" in page and ">api<" in page
    assert "probation-worker" not in page
    assert 'class="govuk-pagination"' not in page


def test_who_looked_at_a_person_found_by_their_id(looked_at, lead):
    client = signed_in_client(lead)
    response = client.get("/audit/people/", {"person": str(looked_at.pk)})
    assert rows(response) == 3
    form = client.get("/audit/people/", {"person": "not-an-id"}).content.decode()
    assert "There is a problem" in form and "Enter a Pathways ID like" in form
    assert 'class="govuk-table"' not in client.get("/audit/people/").content.decode()


def test_what_did_this_user_look_at(looked_at, lead, officer):
    audit_record(user=None, action=AuditEvent.Action.SIGN_IN_FAILED, username="officer")
    response = signed_in_client(lead).get("/audit/users/officer/")
    page = response.content.decode()
    assert rows(response) == 4  # two reads, the search, the failed sign-in
    assert f'href="/audit/people/{looked_at.pk}/"' in page
    assert "name: Jon Smyth" in page and "Failed sign-in" in page
    assert "housing-worker" not in page
    assert rows(signed_in_client(lead).get("/audit/users/", {"username": "housing-worker"})) == 1


def test_break_glass_accesses_with_their_reasons(known_offender, officer, lead):
    audit_record(
        user=officer,
        action=AuditEvent.Action.BREAK_GLASS,
        object_type="person",
        object_id=str(known_offender.pk),
        purpose="casework",
        detail={"identifier": "2016/0001234B", "reason": "Missing child found with this man at 2am", "opened": True},
    )
    audit_record(
        user=officer,
        action=AuditEvent.Action.BREAK_GLASS,
        object_type="person",
        detail={"identifier": "nobody", "reason": "Trying a reference I was given", "opened": False},
    )
    response = signed_in_client(lead).get("/audit/break-glass/")
    page = response.content.decode()
    assert rows(response) == 2
    assert "Missing child found with this man at 2am" in page and "Trying a reference I was given" in page
    assert page.count("Not opened") == 1
    assert f'href="/audit/people/{known_offender.pk}/"' in page


def test_exports(known_offender, lead):
    audit_record(
        user=lead,
        action=AuditEvent.Action.EXPORT,
        object_type="person",
        object_id=str(known_offender.pk),
        purpose="data_protection",
        detail={"subject_access": {"formats": ["pdf"]}},
    )
    audit_record(user=lead, action=AuditEvent.Action.READ, object_type="person", object_id=str(known_offender.pk))
    response = signed_in_client(lead).get("/audit/exports/")
    assert rows(response) == 1
    assert "subject access" in response.content.decode()


def test_pages_filter_by_date_range(officer, lead, monkeypatch):
    for day in [dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)]:
        monkeypatch.setattr("django.utils.timezone.now", lambda day=day: at_noon(day))
        audit_record(user=officer, action=AuditEvent.Action.EXPORT, object_type="report", object_id=str(day))
    monkeypatch.undo()
    client = signed_in_client(lead)
    assert rows(client.get("/audit/exports/", {"date_from": "2026-03-02", "date_to": "02/03/2026"})) == 1
    assert rows(client.get("/audit/exports/", {"date_from": "2026-03-02"})) == 3
    assert rows(client.get("/audit/users/officer/", {"date_to": "2026-03-03"})) == 3
    assert rows(client.get("/audit/exports/", {"date_from": "01/01/0001", "date_to": "31/12/9999"})) == 4
    wrong_way_round = client.get("/audit/exports/", {"date_from": "2026-03-04", "date_to": "2026-03-01"})
    assert "The to date must be the same as or after the from date" in wrong_way_round.content.decode()
    assert 'class="govuk-table"' not in wrong_way_round.content.decode()


def test_long_lists_are_paged_and_keep_their_filters(officer, lead):
    for i in range(120):
        audit_record(user=officer, action=AuditEvent.Action.READ, object_type="person", object_id=f"p{i}")
    client = signed_in_client(lead)
    first = client.get("/audit/users/officer/", {"date_from": "2000-01-01"})
    page = first.content.decode()
    assert rows(first) == 50
    assert 'class="govuk-pagination"' in page and 'aria-current="page"' in page
    assert 'href="?date_from=2000-01-01&amp;page=2" rel="next"' in page
    assert 'aria-label="Page 3"' in page
    last = client.get("/audit/users/officer/", {"date_from": "2000-01-01", "page": 3})
    assert rows(last) == 20
    assert "person p0" in last.content.decode()


def test_looking_at_the_trail_is_itself_audited(looked_at, lead):
    signed_in_client(lead).get(f"/audit/people/{looked_at.pk}/", {"date_from": "2026-01-01"})
    event = AuditEvent.objects.filter(object_type="audit").get()
    assert (event.action, event.username, event.object_id, event.purpose, event.via) == (
        "read",
        "police-admin",
        "people",
        "data_protection",
        "web",
    )
    assert event.detail == {"person": str(looked_at.pk), "date_from": "2026-01-01", "page": "1"}


def test_the_trail_stays_intact_through_all_of_this(looked_at, lead):
    client = signed_in_client(lead)
    for path in [f"/audit/people/{looked_at.pk}/", "/audit/users/officer/", "/audit/break-glass/", "/audit/exports/"]:
        client.get(path)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().startswith(f"Audit trail intact: {AuditEvent.objects.count()} events")


# --- The API ------------------------------------------------------------------------


def test_the_api_answers_the_same_questions(looked_at, lead, officer):
    api = TestClient(router)
    answer = api.get(f"/people/{looked_at.pk}", user=lead)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (3, 1, 1, 50)
    assert {e["username"] for e in body["events"]} == {"officer", "housing-worker"}
    assert body["events"][0]["agency"] in {"wessex-police", "wessex-housing"}
    assert api.get("/users/officer", user=lead).json()["count"] == 3
    assert api.get("/break-glass", user=lead).json()["count"] == 0
    assert api.get("/exports?date_from=2026-03-04&date_to=2026-03-01", user=lead).status_code == 422
    assert api.get("/exports?date_from=0001-01-01&date_to=9999-12-31", user=lead).json()["count"] == 0
    assert api.get("/users/a\x00b", user=lead).status_code == 422
    viewed = AuditEvent.objects.filter(object_type="audit", via="api").order_by("id")
    assert [e.object_id for e in viewed] == ["people", "users", "break-glass", "exports"]


def test_the_api_refuses_everyone_but_the_lead(looked_at, officer):
    api = TestClient(router)
    for path in [f"/people/{looked_at.pk}", "/users/officer", "/break-glass", "/exports"]:
        assert api.get(path, user=officer).status_code == 403
    assert AuditEvent.objects.filter(action="refused", object_type="audit", via="api").count() == 4
