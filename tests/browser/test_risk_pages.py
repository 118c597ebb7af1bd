"""The risk pages in headless Chromium, as an OPCC analyst uses them: auditing a vendor's score
supplied in a file, and training the partnership's own model and reading its model card."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pathways.accounts.models import Agency, User
from pathways.risk.model_testing import create_history, history_period
from pathways.risk.models import FairnessAudit, LocalModel
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in


def vendor_file(folder: Path) -> Path:
    """120 people with a 1–10 vendor score that foresees reoffending, and their sex and age band."""
    rng = random.Random(3)
    lines = ["vendor_score,reoffended_1y,sex,age_group"]
    for i in range(120):
        score = rng.randint(1, 10)
        lines.append(
            f"{score},{int(rng.random() < score / 12)},{'F' if i % 6 == 0 else 'M'},{'18-24' if i % 2 else '25+'}"
        )
    path = folder / "vendor.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.browser
def test_an_analyst_audits_a_vendors_score_by_group(
    page: Page, live_server: Any, analyst: User, tmp_path: Path
) -> None:
    sign_in(page, live_server, "analyst", PASSWORD)
    page.get_by_role("link", name="Risk models and fairness audits").click()
    page.get_by_role("link", name="Fairness audits").first.click()
    expect(page.locator("h1")).to_have_text("Fairness audits")

    # A wrong column name is named, and nothing is saved.
    page.get_by_label("Title").fill("Vendor X score, 2024 referrals")
    page.get_by_label("Upload a CSV file").set_input_files(str(vendor_file(tmp_path)))
    page.get_by_label("Score column").fill("vendor_score")
    page.get_by_label("Outcome column").fill("reoffended")
    page.get_by_label("Group columns").fill("sex, age_group")
    page.get_by_label("Threshold", exact=True).fill("6")
    with page.expect_navigation():
        page.get_by_role("button", name="Run the audit").click()
    expect(page.locator("#file-problems")).to_contain_text("reoffended")
    assert not FairnessAudit.objects.exists()

    page.get_by_label("Upload a CSV file").set_input_files(str(tmp_path / "vendor.csv"))
    page.get_by_label("Outcome column").fill("reoffended_1y")
    with page.expect_navigation():
        page.get_by_role("button", name="Run the audit").click()
    expect(page.locator("h1")).to_have_text("Vendor X score, 2024 referrals")
    expect(page.locator("#audit-overall")).to_contain_text("120")
    expect(page.locator("#audit-sex")).to_contain_text("F")
    expect(page.locator("#audit-sex")).to_contain_text("Small group")  # 20 women
    expect(page.locator("#audit-age_group")).to_contain_text("18-24")
    expect(page.locator("#small-group-warning")).to_be_visible()
    expect(page.locator("#metric-explanations")).to_contain_text("False positive rate")
    assert FairnessAudit.objects.get().result["overall"]["n"] == 120

    page.get_by_role("link", name="Fairness audits").click()
    expect(page.locator("#audits")).to_contain_text("Vendor X score, 2024 referrals")


@pytest.mark.browser
def test_an_analyst_trains_the_partnerships_model_and_reads_its_card(
    page: Page,
    live_server: Any,
    analyst: User,
    police: Agency,
    police_admin: User,
    performance_agreement: Any,
) -> None:
    create_history(agency=police, by=police_admin, people=64)
    start, end = history_period()
    sign_in(page, live_server, "analyst", PASSWORD)
    page.goto(f"{live_server.url}/risk/models/")
    expect(page.locator("#no-models")).to_be_visible()

    page.get_by_label("Name of the model").fill("Proven reoffending within a year")
    page.get_by_label("First day of the period").fill(start.isoformat())
    page.get_by_label("Last day of the period").fill(end.isoformat())
    # Area is refused unless justified.
    page.get_by_label("Area: the postcode district where the person lives").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Train the model").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("say why the model needs it")
    assert not LocalModel.objects.exists()

    page.get_by_label("Area: the postcode district where the person lives").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Train the model").click()
    expect(page.locator("h1")).to_have_text("Proven reoffending within a year")
    expect(page.locator("#rows")).to_have_text("64")
    expect(page.locator("#intended-use + .govuk-inset-text")).to_contain_text("To inform, never to decide")
    expect(page.locator("#feature-table")).to_contain_text("Number of previous proven offences")
    expect(page.locator("#calibration")).to_be_visible()
    expect(page.locator("#audit-sex")).to_be_visible()
    expect(page.locator("#audit-age_band")).to_be_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="Make version 1 the active model").click()
    expect(page.locator("#active-tag")).to_be_visible()
    assert LocalModel.objects.get().active

    # The same history audits OGRS3, by sex, ethnicity and age band.
    page.goto(f"{live_server.url}/risk/audits/")
    ogrs3 = page.locator("form", has=page.get_by_role("button", name="Audit OGRS3"))
    ogrs3.get_by_label("First day of the period").fill(start.isoformat())
    ogrs3.get_by_label("Last day of the period").fill(end.isoformat())
    ogrs3.get_by_label("OGRS3 threshold").fill("0.5")
    with page.expect_navigation():
        page.get_by_role("button", name="Audit OGRS3").click()
    expect(page.locator("h1")).to_contain_text("OGRS3")
    expect(page.locator("#audit-ethnicity")).to_be_visible()
    expect(page.locator("#audit-notes")).to_contain_text("two-year probability")
