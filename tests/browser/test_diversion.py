"""A diversion contract from creation to breach and the prosecution decision, in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from pathways.accounts.models import User
from pathways.offending.models import OffenceOutcome
from pathways.people.models import Person
from pathways.resolutions import services
from pathways.resolutions.reference import Route
from pathways.resolutions.testing import create_resolution
from pathways.testing import PASSWORD
from tests.browser.conftest import TIMEOUT_MS, sign_in


@pytest.mark.browser
def test_a_diversion_contract_from_creation_to_breach_and_prosecution(
    page: Page, browser: Browser, live_server: Any, officer: User, sergeant: User, shoplifter: Person
) -> None:
    resolution = create_resolution(officer=officer, person=shoplifter)
    services.resolution_decide(
        resolution=resolution, by=officer, route=Route.DIVERSION, override_reason="Third time at this store this month"
    )
    services.resolution_review(resolution=resolution, by=sergeant, approve=True)

    # The officer makes the contract, with two conditions.
    sign_in(page, live_server, "officer", PASSWORD)
    page.goto(f"{live_server.url}/resolutions/{resolution.pk}/contract/new/")
    expect(page.get_by_role("heading", name="Make the diversion contract")).to_be_visible()
    expect(page.get_by_label("Length in months")).to_have_value("4")
    page.get_by_role("button", name="Make the contract").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose at least one condition")

    page.get_by_role("checkbox", name="Unpaid community work (hours)").check()
    page.get_by_label("Detail for Unpaid community work (hours)").fill("40 hours")
    page.get_by_role("checkbox", name="Attend drug or alcohol treatment").check()
    expect(page.get_by_label("Who sees it done for Attend drug or alcohol treatment")).to_have_value("Officer")
    page.get_by_label("Who sees it done for Attend drug or alcohol treatment").fill("Turning Point")
    page.get_by_role("button", name="Make the contract").click()

    expect(page.get_by_role("heading", name="Diversion contract", level=1)).to_be_visible()
    expect(page.locator("#contract-status")).to_have_text("Active")
    work = page.locator("section", has=page.get_by_role("heading", name="Unpaid community work (hours): 40 hours"))
    expect(work).to_contain_text("Education, training and employment")
    expect(page.locator("section", has_text="Attend drug or alcohol treatment")).to_contain_text("Turning Point")

    # The contract prints for signature, then the signature is recorded.
    page.get_by_role("link", name="Print the contract for signature").click()
    expect(page.get_by_role("heading", name="Diversion contract", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Kelly Ward")
    expect(page.locator("main")).to_contain_text("Unpaid community work (hours): 40 hours")
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    page.get_by_role("link", name="Back to the contract").click()
    page.get_by_role("button", name="Record the signature").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Signature recorded")
    expect(page.locator("#contract-signed")).not_to_have_text("Not yet signed")

    # Community work is not done: the contract is breached.
    work = page.locator("section", has=page.get_by_role("heading", name="Unpaid community work (hours): 40 hours"))
    work.locator("summary").click()
    work.get_by_label("Not complied with").check()
    work.get_by_label("Note").fill("Missed three sessions without reason")
    work.get_by_role("button", name="Record compliance").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("the contract is in breach")
    expect(page.locator("#contract-status")).to_contain_text("Breached")
    expect(page.locator("#breach")).to_contain_text("Missed three sessions without reason")
    expect(page.get_by_role("heading", name="Decide the breach")).to_have_count(0)  # a supervisor decides

    # The sergeant decides to prosecute.
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(TIMEOUT_MS)
    supervisor = context.new_page()
    try:
        sign_in(supervisor, live_server, "sergeant", PASSWORD)
        supervisor.goto(f"{live_server.url}/resolutions/{resolution.pk}/contract/")
        expect(supervisor.get_by_role("heading", name="Decide the breach")).to_be_visible()
        supervisor.get_by_role("button", name="Record the decision").click()
        expect(supervisor.locator(".govuk-error-summary")).to_contain_text("Choose prosecute")
        supervisor.get_by_label("Prosecute").check()
        supervisor.get_by_label("Reason for the decision").fill("Did not engage with unpaid work at all")
        supervisor.get_by_role("button", name="Record the decision").click()
        expect(supervisor.locator(".govuk-notification-banner")).to_contain_text("Decision recorded: prosecute")
        expect(supervisor.locator("#contract-status")).to_have_text("Ended: prosecution")
        expect(supervisor.locator("#breach-decision")).to_contain_text("Prosecute")
        expect(supervisor.locator("#breach")).to_contain_text("Home Office outcome 1")
    finally:
        context.close()
    assert OffenceOutcome.objects.filter(offence=resolution.offence, outcome="1").exists()
