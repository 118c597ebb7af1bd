"""A problem in headless Chromium, as a neighbourhood constable works it with probation through
all four SARA stages: defined on the form, scanned (counts and the hex map), moved to analysis,
its triangle written, moved to response, an action done, moved to assessment, the figures worked
out against a comparison area and the verdict given, closing it. The board shows its stage at
each step, and a stage cannot be moved on before it is complete."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pathways.accounts.models import Agency
from pathways.problems.models import Problem, Stage
from pathways.problems.testing import STATEMENT
from pathways.problems.tests.test_assessment import AFTER, BEFORE, create_areas, create_offences
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in


@pytest.mark.browser
def test_a_constable_takes_a_problem_through_scanning_analysis_response_and_assessment(
    page: Page, live_server: Any, officer: Any, probation: Agency, police: Agency, known_offender: Any
) -> None:
    # Market Place (WX1) had about 30 crimes a month in the first half of 2025 and half that after;
    # the Downs (WX9), far away, went on as before.
    create_areas()
    create_offences(police, known_offender, "WX1", BEFORE, [30, 28, 33, 29, 31, 29])
    create_offences(police, known_offender, "WX1", AFTER, [17, 15, 18, 16, 17, 16])
    create_offences(police, known_offender, "WX9", BEFORE, [52, 47, 50, 49, 54, 48])
    create_offences(police, known_offender, "WX9", AFTER, [58, 52, 57, 53, 55, 55])
    sign_in(page, live_server, officer.username, PASSWORD)
    page.goto(f"{live_server.url}/problems/")
    page.get_by_role("link", name="Define a new problem").click()

    page.get_by_label("A place").check()
    page.get_by_label("Title").fill("Youths at the Market Place shops")
    page.get_by_label("What is happening").fill(STATEMENT)
    page.get_by_label("Market (WX1)").check()  # the partnership's areas, with their boundaries
    page.get_by_label("Streets").fill("Market Place")
    page.get_by_label("Start of the period").fill("2025-01-01")
    page.get_by_label("End of the period").fill("2025-06-30")
    page.get_by_label(probation.name).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Open the problem").click()
    problem = Problem.objects.get()
    expect(page.locator("#problem-stage")).to_have_text("Scanning")
    expect(page.locator("#missing-list")).to_contain_text("Write what scanning showed")

    # Scanning: the crimes in the place, month by month, and where they cluster.
    page.locator("#stage-nav").get_by_role("link", name="Scanning").click()
    expect(page.locator("#scan-total")).to_have_text("180 incidents")
    expect(page.locator("svg.app-hex-map")).to_be_visible()
    page.locator("#stage-nav").get_by_role("link", name="The problem").click()

    # Moving on before scanning is written is refused, with the reason.
    page.get_by_role("button", name="Move to analysis").click()
    expect(page.locator("#refused")).to_contain_text("Write what scanning showed")
    page.get_by_role("link", name="Change the definition").click()
    page.get_by_label("What scanning showed").fill("Shoplifting at the shops doubled, 3 to 5 pm on school days.")
    page.get_by_role("button", name="Save the definition").click()
    expect(page.locator("#ready")).to_be_visible()
    page.get_by_role("button", name="Move to analysis").click()
    expect(page.locator("#problem-stage")).to_have_text("Analysis")

    # The triangle.
    page.locator("#stage-nav").get_by_role("link", name="Analysis").click()
    page.get_by_label("Victims (or targets)").fill("Shop staff and older shoppers")
    page.get_by_label("Offenders").fill("About ten pupils from two schools")
    page.get_by_label("Places").fill("Three shops with no door staff")
    page.get_by_label("Why it is happening").fill("The shops are the only warm place before the 5 pm bus.")
    page.get_by_role("button", name="Save the analysis").click()
    expect(page.locator("#triangle-1 svg")).to_be_visible()
    page.locator("#stage-nav").get_by_role("link", name="The problem").click()
    page.get_by_role("button", name="Move to response").click()
    expect(page.locator("#problem-stage")).to_have_text("Response")

    # An action owned by probation, done.
    page.locator("#stage-nav").get_by_role("link", name="Response").click()
    page.get_by_label("What will be done").fill("Youth club opens 3–6 pm")
    page.get_by_label("Agency that owns it").select_option(label=probation.name)
    page.get_by_label("Start date").fill("2026-11-01")
    page.get_by_label("Due date").fill("2026-11-20")
    page.get_by_label("Status").select_option(label="Done")
    page.get_by_role("button", name="Add the action").click()
    expect(page.locator("#actions")).to_contain_text("Youth club opens")
    page.locator("#stage-nav").get_by_role("link", name="The problem").click()
    page.get_by_role("button", name="Move to assessment").click()
    expect(page.locator("#problem-stage")).to_have_text("Assessment")

    page.goto(f"{live_server.url}/problems/")
    row = page.locator(f"#problem-{problem.reference}")
    expect(row).to_contain_text("Assessment")

    # Assessment: the six months after against the six before, beside the Downs; then the verdict.
    row.get_by_role("link").first.click()
    page.locator("#stage-nav").get_by_role("link", name="Assessment").click()
    page.get_by_role("group", name="Comparison areas").get_by_label("Downs (WX9)").check()
    page.get_by_label("Before period start").fill("2025-01-01")
    page.get_by_label("Before period end").fill("2025-06-30")
    page.get_by_label("After period start").fill("2025-07-01")
    page.get_by_label("After period end").fill("2025-12-31")
    with page.expect_navigation():
        page.get_by_role("button", name="Work out the figures").click()
    expect(page.locator("#estimate")).to_contain_text("Crime in the problem area fell by")
    page.get_by_label("Solved: the problem is gone or small enough to leave").check()
    page.get_by_label("Why the partnership reached this verdict").fill("Half the crime, and the shops say so too.")
    with page.expect_navigation():
        page.get_by_role("button", name="Give the verdict").click()

    page.goto(f"{live_server.url}/problems/")
    expect(page.locator(f"#problem-{problem.reference}")).to_contain_text("Closed")
    problem.refresh_from_db()
    assert problem.stage == Stage.CLOSED
    assert [c.to_stage for c in problem.stage_changes.all()] == [
        Stage.ANALYSIS,
        Stage.RESPONSE,
        Stage.ASSESSMENT,
        Stage.CLOSED,
    ]
    estimate = problem.assessments.get().figures["estimate"]
    assert estimate["low_percent"] <= -50 <= estimate["high_percent"]  # the planted halving, within its interval
