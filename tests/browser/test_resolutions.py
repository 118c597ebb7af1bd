"""An officer resolves a first shoplifting offence on the street, on a phone, start to finish."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

from pathways.offending.models import OffenceOutcome
from pathways.people.models import Person
from pathways.resolutions.models import Resolution
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in

PHONE = {"width": 375, "height": 740}


@pytest.mark.browser
def test_a_street_resolution_with_an_apology_letter_in_five_submissions_on_a_phone(
    page: Page, live_server: Any, officer: Any, shoplifter: Person
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "officer", PASSWORD)
    submissions: list[str] = []

    def count(request: Request) -> None:
        if request.is_navigation_request() and request.method == "POST":
            submissions.append(request.url)

    page.on("request", count)

    page.goto(f"{live_server.url}/people/?name=Kelly+Ward")
    page.get_by_role("link", name=re.compile("Kelly Ward")).first.click()
    page.get_by_role("link", name="Resolve an offence").click()

    # Screen 1: the facts. The only open offence is already chosen.
    expect(page.get_by_role("heading", name="Resolve an offence")).to_be_visible()
    expect(page.get_by_label(re.compile("Shoplifting"))).to_be_checked()
    page.get_by_label("Admits the offence").check()
    page.get_by_label("Victim", exact=True).fill("Quickmart Stores")
    page.get_by_label("Content for it to be resolved without court").check()
    page.get_by_label("The victim's wishes, in their own words").fill("An apology, and she is not to come back")
    page.get_by_role("button", name="Get a recommendation").click()

    # Screen 2: the recommendation with its reasons; the officer agrees and records the apology.
    recommendation = page.locator("#recommendation")
    expect(recommendation).to_contain_text("Recommended: Street community resolution")
    expect(recommendation).to_contain_text("Shoplifting: gravity 1 on the adult matrix")
    expect(recommendation).to_contain_text("rule set version 1")
    expect(page.get_by_label(re.compile("^Street community resolution"))).to_be_checked()
    page.get_by_label("Letter of apology").check()
    page.get_by_role("button", name="Record the decision").click()

    expect(page.get_by_role("alert")).to_contain_text("Decision recorded: Street community resolution")
    expect(page.locator("#outcome-code")).to_have_text("8")
    expect(page.locator("#status")).to_have_text("Agreed, actions under way")

    # Screen 3: the letter arrives.
    page.get_by_role("link", name=re.compile("Record.*letter of apology")).click()
    page.get_by_label("Done", exact=True).check()
    page.get_by_role("button", name="Record it").click()
    expect(page.get_by_role("alert")).to_contain_text("The resolution is complete")
    expect(page.locator("#status")).to_have_text("Completed")

    # Screen 4: the victim is told.
    page.get_by_role("link", name=re.compile("told the outcome")).click()
    page.get_by_label("How satisfied is the victim with the outcome?").select_option(label="Satisfied")
    page.get_by_role("button", name="Record it").click()
    expect(page.locator("#victims")).to_contain_text("Told the outcome on")
    expect(page.locator("#victims")).to_contain_text("satisfaction 4 of 5")

    assert len(submissions) <= 5, submissions
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # On the person's timeline, and on the offence as Home Office outcome 8.
    page.get_by_role("link", name="Kelly Ward").first.click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Street community resolution")
    expect(timeline).to_contain_text("8 Community resolution")
    resolution = Resolution.objects.get()
    assert resolution.status == "completed"
    assert OffenceOutcome.objects.get(offence=resolution.offence).outcome == "8"
