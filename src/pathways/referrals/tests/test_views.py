"""The directory and referral pages as each side sees them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.referrals import referring
from pathways.referrals.models import Referral, Service
from pathways.referrals.tests import test_referring as base
from pathways.referrals.tests.test_referring import make_service, refer
from pathways.testing import signed_in_client

# The people and services of the referral tests.
linking, linking_worker, housing_officer = base.linking, base.linking_worker, base.housing_officer
linking_service, tenancy_service = base.linking_service, base.tenancy_service

NOTE = "Spoke to him on the doorstep of the hostel; he is drinking again"


@pytest.fixture
def closed_referral(officer, known_offender, linking_worker, linking_service) -> Referral:
    referral = refer(officer, known_offender, linking_service)
    referring.referral_accept(referral=referral, by=linking_worker)
    referring.referral_contact(referral=referral, by=linking_worker, on=timezone.localdate(), method="visit", note=NOTE)
    referring.referral_close(
        referral=referral, by=linking_worker, outcome="ongoing", reason="Now with the drug service"
    )
    return referral


def test_the_directory_searches_by_need_pathway_area_and_age(analyst, police, linking_service):
    make_service(managed_by=police, receiving=None, name="Budmouth Foodbank", pathways=["finance"], area_codes=["WX5"])
    client = signed_in_client(analyst)
    page = client.get(reverse("referrals:directory"), {"need": "foodbank", "area": "WX5", "age": "40"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Budmouth Foodbank" in html and "1 service" in html and "Finance, benefit and debt" in html
    assert "Linking People Service" not in html
    wrong = client.get(reverse("referrals:directory"), {"age": "old"})
    assert "Enter their age as a number" in wrong.content.decode()


def test_a_service_page_counts_this_years_referrals_and_offers_what_the_user_may_do(
    officer, closed_referral, linking_service, linking_worker, housing_worker
):
    url = reverse("referrals:service", args=[linking_service.pk])
    as_officer = signed_in_client(officer).get(url).content.decode()
    assert "1 made through Pathways, 1 accepted" in as_officer
    assert "Refer someone" in as_officer and "Change this entry" not in as_officer
    assert closed_referral.person.surname not in as_officer  # counts, never people
    as_keeper = signed_in_client(linking_worker).get(url).content.decode()
    assert "Change this entry" in as_keeper
    # Another partner's worker may not change it.
    edit = reverse("referrals:service-edit", args=[linking_service.pk])
    assert signed_in_client(housing_worker).get(edit).status_code == 403


def test_a_partner_adds_an_entry_and_sees_its_errors_beside_the_fields(housing_worker, housing):
    client = signed_in_client(housing_worker)
    bad = client.post(reverse("referrals:service-new"), {"name": "Tenancy help", "contact_route": "email"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Enter who runs the service" in html and "Choose at least one pathway" in html
    assert "Enter the phone number, email address or web address" in html
    good = client.post(
        reverse("referrals:service-new"),
        {
            "name": "Tenancy help",
            "provider": "Wessex Homes",
            "pathways": ["accommodation"],
            "area_codes": "WX1, WX2",
            "contact_route": "pathways",
            "receiving_agency": housing.pk,
            "is_active": "on",
        },
    )
    service = Service.objects.get(name="Tenancy help")
    assert good.status_code == 302 and good["Location"] == reverse("referrals:service", args=[service.pk])
    assert service.managed_by == housing and service.area_codes == ["WX1", "WX2"]


def test_an_officer_refers_a_person_they_can_see(officer, known_offender, linking_service, tenancy_service):
    client = signed_in_client(officer)
    url = reverse("referrals:refer", args=[known_offender.pk])
    form = client.get(url, {"q": "tenancy"}).content.decode()
    assert "Wessex Homes tenancy sustainment" in form and f'value="{linking_service.pk}"' not in form
    missing = client.post(url, {"service": linking_service.pk, "pathways": ["health"], "reason": "Low mood"})
    assert missing.status_code == 400 and "Say whether the person agreed to the referral" in missing.content.decode()
    sent = client.post(
        url,
        {
            "service": linking_service.pk,
            "pathways": ["health", "accommodation"],
            "reason": "Low mood and about to lose his room",
            "consent": "given",
            "consent_on": timezone.localdate().isoformat(),
        },
    )
    referral = Referral.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert referral.pathways == ["accommodation", "health"] and referral.service == linking_service


def test_an_agency_with_no_reason_to_see_the_person_cannot_refer_them(housing_worker, known_offender):
    assert signed_in_client(housing_worker).get(reverse("referrals:refer", args=[known_offender.pk])).status_code == 404


def test_the_receiving_side_sees_the_waiting_count_and_the_referrer_its_referrals(
    officer, known_offender, linking_worker, linking_service
):
    referral = refer(officer, known_offender, linking_service)
    received = signed_in_client(linking_worker).get(reverse("referrals:list")).content.decode()
    assert "1 referral waits for triage" in received and referral.reference in received
    assert "Wessex Police" in received
    made = signed_in_client(officer).get(reverse("referrals:list"), {"tab": "made"}).content.decode()
    assert referral.reference in made and "Jonathan Smith" in made and "Sent" in made
    filtered = signed_in_client(officer).get(reverse("referrals:list"), {"tab": "made", "status": "closed"})
    assert referral.reference not in filtered.content.decode()
    # Who was shown which people is kept in the audit trail.
    shown = AuditEvent.objects.filter(object_type="referrals", username=officer.username).order_by("id")
    assert [e.detail["people"] for e in shown] == [[str(known_offender.pk)], []]


def test_the_receiving_worker_triages_records_contact_and_closes_on_the_page(
    officer, known_offender, linking_worker, linking_service
):
    referral = refer(officer, known_offender, linking_service)
    client = signed_in_client(linking_worker)
    url = reverse("referrals:detail", args=[referral.pk])
    page = client.get(url).content.decode()
    assert "Sofa surfing since his tenancy ended" in page and "The person agreed to the referral" in page
    no_reason = client.post(url, {"action": "triage", "decision": "decline", "reason": ""})
    assert no_reason.status_code == 400 and "Say why the referral is declined" in no_reason.content.decode()
    assert client.post(url, {"action": "triage", "decision": "accept"}).status_code == 302
    today = timezone.localdate().isoformat()
    client.post(url, {"action": "contact", "contact-on": today, "contact-method": "visit", "contact-note": NOTE})
    client.post(url, {"action": "close", "close-outcome": "supported", "close-reason": "Housed"})
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("closed", "supported")
    assert NOTE in client.get(url).content.decode()
    # A move the status no longer allows is refused in words.
    again = client.post(url, {"action": "triage", "decision": "accept"}, follow=True)
    assert "is closed: that cannot be done now" in again.content.decode()
    referral.refresh_from_db()
    assert referral.status == "closed"


def test_the_referrer_follows_the_progress_and_outcome_but_never_sees_contact_notes(officer, closed_referral):
    page = signed_in_client(officer).get(reverse("referrals:detail", args=[closed_referral.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Supported: support continues elsewhere" in html and "Now with the drug service" in html
    assert "Accepted" in html and "In contact" in html and "Closed" in html
    assert NOTE not in html and "drinking again" not in html
    # The linking service's workers are shown by agency and role, not by name.
    assert "A caseworker at Linking People Service (Age UK Wessex)" in html
    assert "Linking-Worker" not in html
    # Opening it is a read of the person, audited.
    assert AuditEvent.objects.filter(
        action="read", object_type="person", object_id=str(closed_referral.person_id), username="officer"
    ).exists()


def test_a_third_agency_finds_no_referral(closed_referral, probation_caseworker, housing_worker):
    url = reverse("referrals:detail", args=[closed_referral.pk])
    for user in (probation_caseworker, housing_worker):
        client = signed_in_client(user)
        for response in (client.get(url), client.post(url, {"action": "triage", "decision": "accept"})):
            assert response.status_code == 404
            assert closed_referral.person.surname not in response.content.decode()
    assert AuditEvent.objects.filter(action="refused", object_type="referral", username="housing-worker").exists()


def test_the_referrer_withdraws_with_a_reason(officer, known_offender, linking_service):
    referral = refer(officer, known_offender, linking_service)
    client = signed_in_client(officer)
    url = reverse("referrals:detail", args=[referral.pk])
    assert client.post(url, {"action": "withdraw", "withdraw-reason": ""}).status_code == 400
    client.post(url, {"action": "withdraw", "withdraw-reason": "He has been arrested and remanded"})
    referral.refresh_from_db()
    assert referral.status == "withdrawn"


def test_after_a_redirect_the_referrer_follows_the_new_referral(
    officer, known_offender, linking_worker, linking_service, tenancy_service
):
    referral = refer(officer, known_offender, linking_service)
    client = signed_in_client(linking_worker)
    url = reverse("referrals:detail", args=[referral.pk])
    client.post(
        url, {"action": "triage", "decision": "redirect", "to_service": tenancy_service.pk, "reason": "Housing only"}
    )
    made = Referral.objects.get(redirected_from=referral)
    html = signed_in_client(officer).get(url).content.decode()
    assert reverse("referrals:detail", args=[made.pk]) in html
    assert "Redirected to Wessex Homes tenancy sustainment: Housing only" in html
    assert signed_in_client(officer).get(reverse("referrals:detail", args=[made.pk])).status_code == 200
