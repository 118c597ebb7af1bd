"""A referral to a service in headless Chromium, from both sides: a police officer finds a
person and refers them (with their consent) to a Wessex Homes service that takes referrals
through Pathways; the housing caseworker sees it waiting, accepts it, records a contact and
closes it with an outcome; the officer comes back and follows its progress and outcome — but
never reads the caseworker's contact note."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pathways.accounts.models import Agency, Role, User
from pathways.people.models import Person
from pathways.referrals.models import Referral, Service
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in
from tests.browser.test_journeys import search, sign_out

NOTE = "Home visit: rent arrears of 900 pounds, agreed a repayment plan with the income team"


@pytest.mark.browser
def test_an_officer_refers_a_person_and_follows_the_referral_to_its_outcome(
    page: Page, live_server: Any, officer: User, known_offender: Person, housing: Agency, make_user: Any
) -> None:
    make_user("homes-caseworker", housing, Role.CASEWORKER)
    Service.objects.create(
        name="Wessex Homes tenancy sustainment",
        provider="Wessex Homes",
        pathways=["accommodation", "finance"],
        contact_route="pathways",
        receiving_agency=housing,
        managed_by=housing,
    )
    Service.objects.create(
        name="Budmouth Foodbank", provider="Trussell", pathways=["finance"], contact_route="form", managed_by=housing
    )

    # A cold Chromium on a busy machine can take most of the 10-second budget over its first page.
    page.goto(f"{live_server.url}/sign-in/", timeout=60_000)

    # The officer finds him, and refers him with his consent.
    sign_in(page, live_server, "officer", PASSWORD)
    search(page, name="Jon Smyth")
    page.get_by_role("link", name="Jonathan Smith").click()
    expect(page.get_by_role("heading", name="Jonathan Smith", level=1)).to_be_visible()
    page.get_by_role("link", name="Refer to a service").click()
    expect(page.get_by_role("heading", name="Refer to a service")).to_be_visible()
    page.get_by_label("Find a service that takes referrals through Pathways").fill("tenancy")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#found")).to_contain_text("1 service match")
    expect(page.get_by_text("Budmouth Foodbank")).to_have_count(0)  # not reached through Pathways
    page.get_by_label("Wessex Homes tenancy sustainment (Wessex Homes)").check()
    page.get_by_label("Accommodation", exact=True).check()
    page.get_by_label("Reason for the referral").fill(
        "Eviction notice served last week; rent arrears since he lost his job"
    )
    page.get_by_label("The person agreed to the referral").check()
    page.get_by_role("button", name="Send the referral").click()
    referral = Referral.objects.get()
    expect(
        page.get_by_text(f"Referral {referral.reference} is sent to Wessex Homes tenancy sustainment.")
    ).to_be_visible()
    expect(page.locator("#referral-status")).to_have_text("Sent")
    sign_out(page)

    # The housing caseworker sees it waiting, accepts it, records a contact and closes it.
    sign_in(page, live_server, "homes-caseworker", PASSWORD)
    page.get_by_role("link", name="1 referral waits for triage").click()  # the home page's first task
    row = page.locator(f"#referral-{referral.pk}")
    expect(row).to_contain_text("Jonathan Smith")
    expect(row).to_contain_text("Wessex Police")
    row.get_by_role("link", name=referral.reference).click()
    expect(page.locator("#referral-reason")).to_contain_text("Eviction notice served last week")
    expect(page.locator("#referral-consent")).to_contain_text("The person agreed to the referral")
    page.get_by_label("Accept: we will contact the person").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator("#referral-status")).to_have_text("Accepted")
    page.get_by_label("Home visit").check()
    page.get_by_label("What happened").fill(NOTE)
    page.get_by_role("button", name="Record the contact").click()
    expect(page.locator("#referral-status")).to_have_text("In contact")
    expect(page.locator("#contacts")).to_contain_text(NOTE)
    page.get_by_label("Supported: the need was met").check()
    page.get_by_label("What the referrer should know").fill("Tenancy saved: arrears on a repayment plan")
    page.get_by_role("button", name="Close the referral").click()
    expect(page.locator("#referral-status")).to_have_text("Closed")
    sign_out(page)

    # The officer follows it: the progress and the outcome, never the contact note.
    sign_in(page, live_server, "officer", PASSWORD)
    page.goto(f"{live_server.url}/services/referrals/?tab=made")
    row = page.locator(f"#referral-{referral.pk}")
    expect(row.locator(".govuk-tag")).to_have_text("Closed")
    expect(row).to_contain_text("Supported: the need was met")
    row.get_by_role("link", name=referral.reference).click()
    expect(page.locator("#outcome")).to_contain_text("Supported: the need was met")
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(4)
    expect(timeline.locator(".govuk-tag")).to_have_text(["Sent", "Accepted", "In contact", "Closed"])
    expect(page.locator("#timeline")).to_contain_text("A caseworker at Wessex Homes")
    expect(page.locator("#timeline")).to_contain_text("Tenancy saved: arrears on a repayment plan")
    expect(page.get_by_text("rent arrears of 900 pounds")).to_have_count(0)
    expect(page.locator("#contacts")).to_have_count(0)
