"""The API keeps the pages' rules: tokens, scope, audit, and the same import checks."""

from __future__ import annotations

import json

from django.core.management import call_command
from django.test import Client

from pathways.access.models import AuditEvent
from pathways.accounts.services import api_token_create
from pathways.offending.models import Offence
from pathways.people.models import Person
from pathways.testing import create_person_row, csv_bytes


def api_client(user) -> Client:
    _, key = api_token_create(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_without_a_valid_token_every_endpoint_refuses(known_offender):
    anonymous = Client()
    forged = Client(headers={"Authorization": "Bearer pw_not-a-real-token"})
    for client in (anonymous, forged):
        for path in [
            "/api/v1/people?name=Smith",
            f"/api/v1/people/{known_offender.pk}",
            f"/api/v1/people/{known_offender.pk}/offences",
            "/api/v1/imports",
        ]:
            assert client.get(path).status_code == 401, path
        assert client.post("/api/v1/imports/people", {"file": b""}).status_code == 401
    assert not AuditEvent.objects.filter(action__in=["read", "search"]).exists()


def test_search_and_read_a_person_with_their_offences(known_offender, officer):
    client = api_client(officer)
    found = client.get("/api/v1/people", {"name": "Jon Smyth"}).json()
    assert [r["person"]["surname"] for r in found] == ["Smith"]
    person = client.get(f"/api/v1/people/{known_offender.pk}").json()
    assert person["given_name"] == "Jonathan"
    assert {"kind": "pnc", "agency": None, "value": "2016/0001234B"} in person["identifiers"]
    offences = client.get(f"/api/v1/people/{known_offender.pk}/offences").json()
    assert [o["reference"] for o in offences] == ["CR2", "CR1"]
    assert offences[0]["outcomes"][0]["outcome"] == "conviction_custody"
    assert offences[0]["custody"] == [{"sentence_date": "2021-06-01", "release_date": "2021-12-01"}]
    one = client.get(f"/api/v1/offences/{offences[1]['id']}").json()
    assert one["description"] == "Shoplifting"
    reads = AuditEvent.objects.filter(action="read", via="api", object_id=str(known_offender.pk)).count()
    assert reads == 3  # the person, their offences, and the offence (through its person)


def test_people_outside_the_agency_are_not_found(known_offender, housing_worker):
    client = api_client(housing_worker)
    assert client.get(f"/api/v1/people/{known_offender.pk}").status_code == 404
    assert client.get(f"/api/v1/people/{known_offender.pk}/offences").status_code == 404
    offence = Offence.objects.filter(person=known_offender).first()
    assert client.get(f"/api/v1/offences/{offence.pk}").status_code == 404
    assert client.get("/api/v1/people", {"name": "Jonathan Smith"}).json() == []


def test_a_search_needs_something_to_search_for(officer):
    assert api_client(officer).get("/api/v1/people").status_code == 422
    assert api_client(officer).get("/api/v1/people", {"date_of_birth": "12/04/1998"}).status_code == 422


def test_import_through_the_api_reports_errors_with_row_and_column(police, police_admin):
    client = api_client(police_admin)
    bad = csv_bytes("people", [create_person_row(), create_person_row(person_id="P2", date_of_birth="1998-02-30")])
    response = client.post("/api/v1/imports/people", {"file": _upload("people.csv", bad)})
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "rejected"
    assert body["errors"] == [
        {
            "file": "people.csv",
            "row": 3,
            "column": "date_of_birth",
            "reason": "'1998-02-30' is not a date in the form YYYY-MM-DD",
        }
    ]
    assert Person.objects.count() == 0
    good = csv_bytes("people", [create_person_row()])
    first = client.post("/api/v1/imports/people", {"file": _upload("people.csv", good)})
    again = client.post("/api/v1/imports/people", {"file": _upload("people.csv", good)})
    assert (first.status_code, first.json()["created"]) == (201, 1)
    assert (again.status_code, again.json()["created"], again.json()["unchanged"]) == (201, 0, 1)
    report = client.get(f"/api/v1/imports/{first.json()['batch_id']}")
    assert (report.status_code, report.json()["status"], report.json()["created"]) == (200, "imported", 1)
    listed = client.get("/api/v1/imports").json()
    assert [b["status"] for b in listed] == ["imported", "imported", "rejected"]


def test_only_importing_roles_may_import(police, officer):
    response = api_client(officer).post(
        "/api/v1/imports/people", {"file": _upload("p.csv", csv_bytes("people", [create_person_row()]))}
    )
    assert response.status_code == 403
    assert Person.objects.count() == 0


def test_a_non_administrator_cannot_import_for_another_agency(police, probation, police_admin, make_user):
    analyst = make_user("analyst", police, "analyst")
    response = api_client(analyst).post(
        "/api/v1/imports/people?agency=wessex-probation",
        {"file": _upload("p.csv", csv_bytes("people", [create_person_row()]))},
    )
    assert response.status_code == 403


def test_the_openapi_command_prints_every_resource(capsys, db):
    call_command("openapi")
    schema = json.loads(capsys.readouterr().out)
    assert schema["info"]["title"] == "Pathways API"
    assert {
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/people/{person_id}/offences",
        "/api/v1/offences/{offence_id}",
        "/api/v1/imports/{kind}",
        "/api/v1/imports",
    } <= set(schema["paths"])


def _upload(name: str, content: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")
