"""Who may see a person, and the audit trail nobody can alter."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, OperationalError, ProgrammingError, connection, transaction
from django.test import Client

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import PersonNotFound, access_person
from pathways.testing import PASSWORD, signed_in_client, totp_code, totp_device

DB_REFUSALS = (IntegrityError, InternalError, OperationalError, ProgrammingError)


def signed_in(user) -> Client:
    return signed_in_client(user)


def test_an_agency_sees_only_the_people_it_holds_a_record_of(known_offender, officer, housing_worker):
    assert list(people_visible_to(officer)) == [known_offender]
    assert list(people_visible_to(housing_worker)) == []


def test_reading_a_person_page_leaves_an_audit_event(known_offender, officer):
    response = signed_in(officer).get(f"/people/{known_offender.pk}/")
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="read").get()
    assert (event.username, event.agency_code, event.object_type, event.object_id, event.via) == (
        "officer",
        "wessex-police",
        "person",
        str(known_offender.pk),
        "web",
    )
    assert event.purpose == "casework"


def test_a_person_outside_the_agency_is_not_found_and_the_refusal_is_audited(known_offender, housing_worker):
    response = signed_in(housing_worker).get(f"/people/{known_offender.pk}/")
    assert response.status_code == 404
    assert known_offender.surname not in response.content.decode()
    assert AuditEvent.objects.filter(
        action="refused", object_id=str(known_offender.pk), username="housing-worker"
    ).exists()
    with pytest.raises(PersonNotFound):
        access_person(user=housing_worker, person_id=known_offender.pk, purpose="casework")


def test_signed_out_visitors_are_sent_to_sign_in_for_every_page(known_offender):
    client = Client()
    for path in ["/", "/people/", f"/people/{known_offender.pk}/", "/imports/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/sign-in/"), path
    assert client.get("/sign-in/").status_code == 200
    assert not AuditEvent.objects.filter(action="read").exists()


def test_sign_in_and_failed_sign_in_are_audited(officer):
    client = Client()
    client.post("/sign-in/", {"username": "officer", "password": "wrong"})
    client.post("/sign-in/", {"username": "officer", "password": PASSWORD})
    client.post("/sign-in/code/", {"code": totp_code(totp_device(officer))})
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "username"))
    assert actions == [("sign_in_failed", "officer"), ("sign_in", "officer")]


def test_the_application_cannot_change_or_delete_an_audit_event(known_offender, officer):
    signed_in(officer).get(f"/people/{known_offender.pk}/")
    event = AuditEvent.objects.get(action="read")
    event.purpose = "something else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_change_or_delete_an_audit_event_even_by_raw_sql(known_offender, officer):
    signed_in(officer).get(f"/people/{known_offender.pk}/")
    event = AuditEvent.objects.get(action="read")
    for statement in [
        "UPDATE access_auditevent SET username = 'someone-else'",
        "DELETE FROM access_auditevent",
    ]:
        with pytest.raises(DB_REFUSALS), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    with pytest.raises(DB_REFUSALS):
        AuditEvent.objects.filter(pk=event.pk).update(username="someone-else")
    with pytest.raises(DB_REFUSALS):
        AuditEvent.objects.filter(pk=event.pk)._raw_delete(connection.alias)
    event.refresh_from_db()
    assert event.username == "officer"


def test_searches_are_audited_with_what_was_searched_for(known_offender, officer):
    signed_in(officer).get("/people/", {"name": "Jon Smyth"})
    event = AuditEvent.objects.get(action="search")
    assert event.detail["name"] == "Jon Smyth"


@pytest.mark.django_db(transaction=True)
def test_the_audit_protection_is_back_on_after_a_test_database_flush(officer):
    from django.core.management import call_command

    from pathways.access.services import audit_record

    audit_record(user=officer, action="read", object_type="person", object_id="x")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    audit_record(user=None, action="sign_in_failed", username="someone")
    with pytest.raises(DB_REFUSALS), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM access_auditevent")


def test_flush_refuses_on_a_real_database(settings, monkeypatch):
    from django.core.management import CommandError, call_command
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "NAME", "/srv/pathways/pathways.sqlite3")
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="audit trail"):
        call_command("flush", interactive=False, verbosity=0)


def test_a_nul_character_in_a_request_is_refused_at_the_door(known_offender, officer):
    from pathways.testing import signed_in_client

    client = signed_in_client(officer)
    assert client.get("/people/", {"name": "Jon\x00"}).status_code == 400
    assert not AuditEvent.objects.filter(action="search").exists()
