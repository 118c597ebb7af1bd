"""The data protection lead's pages: rules, legal holds, the retention preview, subject access.
Everyone else is refused."""

from __future__ import annotations

import json

import pytest

from pathways.access.models import AuditEvent
from pathways.dataprotection.models import LegalHold, RetentionRule
from pathways.dataprotection.tests.helpers import create_rule, table_counts
from pathways.testing import signed_in_client

PAGES = [
    "/data-protection/",
    "/data-protection/retention/",
    "/data-protection/retention/preview/",
    "/data-protection/retention/identity/",
    "/data-protection/legal-holds/",
    "/data-protection/subject-access/",
]


@pytest.mark.parametrize("path", PAGES)
def test_only_the_data_protection_lead_may_open_the_pages(path, police_admin, officer, probation_caseworker):
    assert signed_in_client(police_admin).get(path).status_code == 200
    assert signed_in_client(officer).get(path).status_code == 403
    assert signed_in_client(probation_caseworker).get(path).status_code == 403


def test_others_may_not_export_place_holds_or_change_rules(known_offender, officer):
    client = signed_in_client(officer)
    assert (
        client.post(f"/data-protection/subject-access/{known_offender.pk}/download/", {"format": "json"}).status_code
        == 403
    )
    assert (
        client.post("/data-protection/legal-holds/", {"person": str(known_offender.pk), "reason": "x"}).status_code
        == 403
    )
    assert (
        client.post(
            "/data-protection/retention/identity/",
            {"period_years": 1, "period_days": 0, "action": "delete", "basis": "x"},
        ).status_code
        == 403
    )
    assert not LegalHold.objects.exists()
    assert not RetentionRule.objects.exists()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_lead_sets_a_rule_and_each_change_is_a_new_version(police_admin):
    client = signed_in_client(police_admin)
    data = {"period_years": 6, "period_days": 0, "action": "review", "basis": "MoPI: review after 6 years"}
    response = client.post("/data-protection/retention/offending_history/", data)
    assert response.status_code == 302
    rule = RetentionRule.objects.get(category="offending_history")
    assert (rule.period_years, rule.action, rule.version, rule.updated_by) == (6, "review", 1, police_admin)
    client.post("/data-protection/retention/offending_history/", {**data, "period_years": 7})
    rule.refresh_from_db()
    assert (rule.period_years, rule.version) == (7, 2)
    page = client.get("/data-protection/retention/").content.decode()
    assert "MoPI: review after 6 years" in page
    assert AuditEvent.objects.filter(object_type="retention_rule", object_id="offending_history").count() == 2


def test_a_rule_too_short_is_refused_with_a_message_by_the_field(police_admin):
    client = signed_in_client(police_admin)
    response = client.post(
        "/data-protection/retention/offending_history/",
        {"period_years": 0, "period_days": 100, "action": "delete", "basis": "Too keen"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "Keep offending history for at least 1 year" in page
    assert 'href="#id_period_years"' in page
    assert not RetentionRule.objects.exists()


def test_an_unknown_category_is_not_found(police_admin):
    assert signed_in_client(police_admin).get("/data-protection/retention/everything/").status_code == 404


def test_the_preview_shows_what_a_run_would_do_and_changes_nothing(known_offender, police_admin):
    create_rule("offending_history", by=police_admin, years=1)
    client = signed_in_client(police_admin)
    client.get("/data-protection/retention/preview/")  # the session and sign-in settle first
    before = table_counts()
    page = client.get("/data-protection/retention/preview/").content.decode()
    assert table_counts() == before
    assert "Would delete" in page
    offence_ids = {str(o.pk) for o in known_offender.offences.all()}
    assert all(pk in page for pk in offence_ids)
    report = json.loads(client.get("/data-protection/retention/preview/", {"format": "json"}).content)
    assert set(report["rules"][0]["ids"]) == offence_ids


def test_the_preview_explains_a_refusal(police_admin):
    create_rule("offending_history", by=police_admin, years=2)
    RetentionRule.objects.update(period_years=0, period_days=10)
    page = signed_in_client(police_admin).get("/data-protection/retention/preview/").content.decode()
    assert "Retention would be refused" in page
    assert "shorter than the 1 year allowed" in page


def test_the_lead_places_and_lifts_a_legal_hold_by_pnc(known_offender, police_admin):
    client = signed_in_client(police_admin)
    response = client.post("/data-protection/legal-holds/", {"person": "2016/0001234b", "reason": "Claim WX/17"})
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.person, hold.placed_by, hold.is_active) == (known_offender, police_admin, True)
    assert "Claim WX/17" in client.get("/data-protection/legal-holds/").content.decode()

    response = client.post(f"/data-protection/legal-holds/{hold.pk}/lift/", {"reason": "Settled"})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert (hold.is_active, hold.lifted_by, hold.lift_reason) == (False, police_admin, "Settled")
    events = AuditEvent.objects.filter(object_type="person", object_id=str(known_offender.pk))
    assert events.filter(action="create", detail__legal_hold__placed=True).exists()
    assert events.filter(action="update", detail__legal_hold__lifted=True).exists()


def test_a_hold_needs_a_person_who_exists_and_a_reason(police_admin):
    client = signed_in_client(police_admin)
    page = client.post("/data-protection/legal-holds/", {"person": "2099/0000001Z", "reason": ""}).content.decode()
    assert "Enter why their records must be kept" in page
    page = client.post("/data-protection/legal-holds/", {"person": "2099/0000001Z", "reason": "x"}).content.decode()
    assert "No person has that Pathways id or PNC ID" in page
    assert not LegalHold.objects.exists()


def test_the_lead_finds_a_person_and_downloads_their_subject_access_export(known_offender, police_admin):
    client = signed_in_client(police_admin)
    page = client.post("/data-protection/subject-access/", {"person": str(known_offender.pk)}).content.decode()
    assert known_offender.full_name in page
    assert "Download data (JSON)" in page
    read = AuditEvent.objects.filter(action="read", object_id=str(known_offender.pk)).get()
    assert read.purpose == "data_protection"

    response = client.post(f"/data-protection/subject-access/{known_offender.pk}/download/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="subject-access-{known_offender.pk}.json"'
    bundle = json.loads(response.content)
    assert len(bundle["records"]["offending.Offence"]) == 2

    response = client.post(f"/data-protection/subject-access/{known_offender.pk}/download/", {"format": "html"})
    assert response["Content-Type"].startswith("text/html")
    assert known_offender.full_name in response.content.decode()

    exports = AuditEvent.objects.filter(action="export", object_type="person", object_id=str(known_offender.pk))
    assert [e.detail["subject_access"]["formats"] for e in exports.order_by("id")] == [["json"], ["html"]]


def test_a_download_must_be_posted(known_offender, police_admin):
    response = signed_in_client(police_admin).get(f"/data-protection/subject-access/{known_offender.pk}/download/")
    assert response.status_code == 405
    assert not AuditEvent.objects.filter(action="export").exists()
