"""Scanning a problem in headless Chromium, as the officer who owns it: the place's offences by
month, kind, day and hour, the hex map drawn on the page with no map service and no script,
and police.uk's crimes, which have no day or hour."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pathways.accounts.models import Agency
from pathways.offending.models import Offence
from pathways.problems.demo_geography import demo_areas_create, district_centres
from pathways.problems.testing import create_problem
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in


@pytest.mark.browser
def test_an_officer_scans_their_problem(
    page: Page, live_server: Any, police: Agency, officer: Any, known_offender: Any
) -> None:
    demo_areas_create()
    lat, lon = district_centres()["WX1"]
    for n in range(12):
        Offence.objects.create(
            person=known_offender,
            agency=police,
            reference=f"S{n}",
            offence_date=dt.date(2026, 3, 1 + n),
            offence_time=dt.time(15 + n % 3, 0) if n % 4 else None,
            offence_code="46",
            offence_group="theft",
            area="WX1",
            latitude=Decimal(f"{lat + 0.001 * (n % 3):.5f}"),
            longitude=Decimal(f"{lon:.5f}"),
        )
    problem = create_problem(
        owner=officer, partners=[], period_from=dt.date(2026, 1, 1), period_to=dt.date(2026, 4, 30)
    )
    sign_in(page, live_server, "officer", PASSWORD)
    page.goto(f"/problems/{problem.pk}/scanning/")
    expect(page.get_by_role("heading", name="Scanning", exact=True)).to_be_visible()
    expect(page.locator("#scan-total")).to_have_text("12 incidents")
    expect(page.locator("#scan-months")).to_contain_text("Feb 2026")  # an empty month is shown
    expect(page.locator("#scan-untimed")).to_contain_text("9 of 12")
    expect(page.locator("svg.app-hex-map")).to_be_visible()
    expect(page.locator("#scan-cells")).to_contain_text("The busiest hexagons")

    page.get_by_label("police.uk street-level crime").check()
    page.get_by_role("button", name="Scan").click()
    expect(page.locator("#scan-no-times")).to_contain_text("publishes only the month")
    expect(page.locator("#scan-total")).to_have_text("0 incidents")
