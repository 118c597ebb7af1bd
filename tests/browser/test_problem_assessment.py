"""The assessment page in headless Chromium, as the problem's owner uses it: the figures worked
out against a comparison area, read in words, a table and a chart, then the verdict."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from pathways.problems.models import Stage
from pathways.problems.testing import create_problem
from pathways.problems.tests.test_assessment import AFTER, BEFORE, create_areas, create_offences
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in


@pytest.mark.browser
def test_the_owner_works_out_the_figures_and_gives_the_verdict(
    page: Page, live_server: Any, officer: Any, probation: Any, police: Any, known_offender: Any
) -> None:
    create_areas()
    create_offences(police, known_offender, "WX1", BEFORE, [30, 28, 33, 29, 31, 29])
    create_offences(police, known_offender, "WX1", AFTER, [17, 15, 18, 16, 17, 16])
    create_offences(police, known_offender, "WX9", BEFORE, [52, 47, 50, 49, 54, 48])
    create_offences(police, known_offender, "WX9", AFTER, [58, 52, 57, 53, 55, 55])
    create_offences(police, known_offender, "WX2", BEFORE, [10] * 6)
    create_offences(police, known_offender, "WX2", AFTER, [10] * 6)
    problem = create_problem(
        owner=officer,
        partners=[probation],
        stage=Stage.ASSESSMENT,
        period_from=dt.date(2025, 1, 1),
        period_to=dt.date(2025, 6, 30),
    )
    sign_in(page, live_server, "officer", PASSWORD)
    page.goto(reverse("problems:assessment", args=[problem.pk]))
    expect(page.get_by_role("heading", name="Assessment", exact=True)).to_be_visible()
    expect(page.locator("#no-figures")).to_be_visible()

    # The areas touching the place are ticked already; the comparison area is the owner's choice.
    expect(page.get_by_label("Quay (WX2)").nth(1)).to_be_checked()
    page.get_by_role("group", name="Comparison areas").get_by_label("Downs (WX9)").check()
    page.get_by_label("After period start").fill("2025-07-01")
    page.get_by_label("After period end").fill("2025-12-31")
    with page.expect_navigation():
        page.get_by_role("button", name="Work out the figures").click()

    expect(page.locator("#estimate")).to_contain_text("Crime in the problem area fell by 50% relative to")
    expect(page.locator("#counts")).to_contain_text("180")
    expect(page.locator("#displacement")).to_contain_text("Diffusion of benefit")
    expect(page.locator("img.pathways-chart")).to_be_visible()
    if os.environ.get("PATHWAYS_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["PATHWAYS_SCREENSHOTS"], "assessment.png"), full_page=True)

    page.get_by_label("Not solved: back to analysis").check()
    page.get_by_label("Why the partnership reached this verdict").fill("Crime moved to the bus station.")
    with page.expect_navigation():
        page.get_by_role("button", name="Give the verdict").click()
    expect(page.locator("#stage")).to_contain_text("This problem is in Analysis (cycle 2)")
    expect(page.locator("#history")).to_be_visible()
    expect(page.get_by_text("Cycle 1: Not solved")).to_be_visible()
