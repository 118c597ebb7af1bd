"""An analyst's journey through the performance pages, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pathways.accounts.models import User
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def police_analyst(police, make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user("police-analyst", police, "analyst")


def test_from_the_home_page_to_the_people_behind_a_figure(
    page: Page, live_server: Any, reoffending_cohort: None, police_analyst: User
) -> None:
    sign_in(page, live_server, "police-analyst", PASSWORD)
    page.get_by_role("link", name="Performance framework").first.click()
    expect(page.get_by_role("heading", name="Latest complete cohort: Jan–Mar 2023")).to_be_visible()
    expect(page.get_by_role("img", name="Line chart of the proportion reoffending")).to_be_visible()
    table = page.locator("#successive-cohorts")
    table.get_by_role("link", name="58.3%").first.click()
    expect(page.get_by_role("heading", name="Jan–Mar 2023 cohort by age at the index date")).to_be_visible()
    page.get_by_role("link", name="Sex", exact=True).click()
    expect(page.get_by_role("heading", name="Jan–Mar 2023 cohort by sex")).to_be_visible()
    women = page.locator("#breakdown tbody tr", has_text="Female")
    expect(women).to_contain_text("100.0%")
    women.get_by_role("link", name="3 people: list them").click()
    expect(page.get_by_role("heading", name="People in the Jan–Mar 2023 cohort")).to_be_visible()
    people = page.locator("#cohort-people")
    for name in ["Archer", "Baker", "Carter"]:
        expect(people).to_contain_text(name)
    people.get_by_role("link", name="Jonathan Archer").click()
    expect(page.get_by_role("heading", name="Jonathan Archer")).to_be_visible()


def test_every_performance_page_is_reachable_and_the_panel_report_downloads(
    page: Page, live_server: Any, reoffending_cohort: None, analyst: User
) -> None:
    sign_in(page, live_server, "analyst", PASSWORD)
    for link, heading in [
        ("Data quality and timeliness", "Data quality and timeliness"),
        ("Strategic assessment", "Strategic assessment"),
        ("Panel report", "Panel report"),
    ]:
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name=link).first.click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("#headline")).to_contain_text("58.3%")
    expect(page.get_by_text("[c] marks a figure hidden")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the report (PDF)").click()
    assert download.value.suggested_filename == "reducing-reoffending-panel-report-2023-01.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
