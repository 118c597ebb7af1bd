"""End-to-end journeys through the pages, in headless Chromium, asserting what a person would notice."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pathways.accounts.models import User
from pathways.people.models import Person
from pathways.testing import PASSWORD, create_person_row, csv_bytes, totp_code, totp_device
from tests.browser.conftest import enter_code, sign_in

PNC = "2016/0001234B"


def search(page: Page, *, name: str = "", identifier: str = "") -> None:
    page.get_by_role("link", name="Find a person").first.click()
    expect(page.get_by_role("heading", name="Find a person", level=1)).to_be_visible()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("PNC ID or reference").fill(identifier)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    expect(page.get_by_role("heading", name="Sign in to Pathways")).to_be_visible()


# 1. Signing in and out ---------------------------------------------------------------------------


@pytest.mark.browser
def test_wrong_password_shows_the_error_summary(page: Page, live_server: Any, officer: User) -> None:
    sign_in(page, live_server, "officer", "not-the-password")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_contain_text("Enter a correct username and password")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    # Still signed out: no menu, no "Signed in as".
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_text("Signed in as")).to_have_count(0)


@pytest.mark.browser
def test_sign_in_from_a_protected_page_and_sign_out(page: Page, live_server: Any, officer: User) -> None:
    authenticator = totp_device(officer)
    page.goto(f"{live_server.url}/people/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/people/$"))
    expect(page.get_by_role("heading", name="Sign in to Pathways")).to_be_visible()

    page.get_by_label("Username").fill("officer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Then the code from their authenticator app.
    expect(page).to_have_url(f"{live_server.url}/sign-in/code/")
    expect(page.get_by_role("heading", name="Enter the 6-digit code from your authenticator app")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    enter_code(page, totp_code(authenticator))

    # Back where they were going, signed in.
    expect(page).to_have_url(f"{live_server.url}/people/")
    expect(page.get_by_role("heading", name="Find a person", level=1)).to_be_visible()
    expect(page.locator(".pathways-user")).to_contain_text("Signed in as")
    expect(page.locator(".pathways-user")).to_contain_text("Wessex Police")

    # The home page offers the officer's task.
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Hello, Officer")).to_be_visible()

    sign_out(page)
    page.goto(f"{live_server.url}/people/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/people/$"))


@pytest.mark.browser
def test_a_first_sign_in_sets_up_the_authenticator_app(page: Page, live_server: Any, officer: User) -> None:
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("officer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/sign-in/set-up/")
    expect(page.get_by_role("heading", name="Set up an authenticator app", level=1)).to_be_visible()
    qr = page.get_by_role("img", name="QR code to add Pathways to your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    # Nowhere else until the app is set up.
    page.goto(f"{live_server.url}/people/")
    expect(page).to_have_url(f"{live_server.url}/sign-in/set-up/")

    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    device = officer.totpdevice_set.get()
    assert secret == base64.b32encode(device.bin_key).decode() and not device.confirmed
    page.get_by_label("Enter the 6-digit code from your authenticator app").fill(
        "000000" if totp_code(device) != "000000" else "111111"
    )
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")

    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes a person wait a second after a wrong code; they would
    enter_code(page, totp_code(device))
    expect(page).to_have_url(f"{live_server.url}/people/")
    expect(page.locator(".pathways-user")).to_contain_text("Signed in as")
    device.refresh_from_db()
    assert device.confirmed


# 2. Finding a person -----------------------------------------------------------------------------


@pytest.mark.browser
def test_find_a_person_by_a_spelling_variant_and_by_pnc(
    page: Page, live_server: Any, officer: User, housing_worker: User, known_offender: Person
) -> None:
    sign_in(page, live_server, "officer", PASSWORD)

    search(page, name="Jon Smyth")
    expect(page.locator("#results")).to_have_text("1 person found")
    row = page.locator("table.govuk-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="Jonathan Smith")).to_be_visible()
    expect(row).to_contain_text("12 Apr 1998")
    expect(row).to_contain_text("similar name")

    search(page, identifier=PNC)
    expect(page.locator("#results")).to_have_text("1 person found")
    expect(page.get_by_role("link", name="Jonathan Smith")).to_be_visible()

    # An agency with no record of him sees nobody, whichever way it searches.
    sign_out(page)
    sign_in(page, live_server, "housing-worker", PASSWORD)
    for criteria in ({"name": "Jon Smyth"}, {"identifier": PNC}):
        search(page, **criteria)
        expect(page.locator("#results")).to_have_text("0 people found")
        expect(page.get_by_text("No one you may see matches")).to_be_visible()
        expect(page.get_by_role("link", name="Jonathan Smith")).to_have_count(0)


# 3. Reading the timeline -------------------------------------------------------------------------


@pytest.mark.browser
def test_timeline_shows_the_history_newest_first(
    page: Page, live_server: Any, officer: User, known_offender: Person
) -> None:
    sign_in(page, live_server, "officer", PASSWORD)
    search(page, name="Jon Smyth")
    page.get_by_role("link", name="Jonathan Smith").click()

    expect(page).to_have_url(f"{live_server.url}/people/{known_offender.pk}/")
    expect(page.get_by_role("heading", name="Jonathan Smith", level=1)).to_be_visible()
    expect(page.locator(".moj-identity-bar")).to_contain_text("Born 12 April 1998")
    expect(page.locator(".moj-identity-bar")).to_contain_text(f"PNC {PNC}")
    expect(page.get_by_text("2 offences recorded.")).to_be_visible()

    timeline = page.locator("#timeline .moj-timeline__item")
    expect(timeline.locator(".moj-timeline__title")).to_have_text(
        [
            "Released from custody",
            "Sentenced to custody",
            "Convicted: custodial sentence",
            "Assault with injury",
            "3 Caution – adult",
            "Shoplifting",
        ]
    )
    expect(timeline.locator("time")).to_have_text(
        [
            "1 December 2021",
            "1 June 2021",
            "1 June 2021",
            "10 February 2021",
            "20 May 2019",
            "1 May 2019",
        ]
    )
    dates = timeline.locator("time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates == sorted(dates, reverse=True)
    expect(timeline.first).to_contain_text("After 183 days")
    expect(timeline.nth(4)).to_contain_text("For shoplifting on 1 May 2019")

    # The back link returns to the search.
    page.get_by_role("link", name="Find a person").first.click()
    expect(page.get_by_role("heading", name="Find a person", level=1)).to_be_visible()


# 4. Uploading a partner file ---------------------------------------------------------------------


def upload(page: Page, filename: str, content: bytes) -> None:
    page.get_by_role("link", name="Import partner data").first.click()
    expect(page.get_by_role("heading", name="Import partner data", level=1)).to_be_visible()
    page.get_by_label("People", exact=True).check()
    # The administrator's own agency is chosen for them.
    expect(page.get_by_label("Agency the file comes from").locator("option:checked")).to_have_text("Wessex Police")
    page.get_by_label("Upload a CSV file").set_input_files(
        {"name": filename, "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Check and import").click()


@pytest.mark.browser
def test_a_file_with_errors_is_reported_then_the_corrected_file_imports(
    page: Page, live_server: Any, police_admin: User
) -> None:
    good = create_person_row()
    wrong = [
        good,  # row 2
        create_person_row(person_id="P2", given_name="Amy", surname="Jones", date_of_birth="1998-13-40"),  # row 3
        create_person_row(person_id="P3", given_name="Ben", surname=""),  # row 4
    ]
    sign_in(page, live_server, "police-admin", PASSWORD)
    upload(page, "people-wrong.csv", csv_bytes("people", wrong))

    expect(page).to_have_url(re.compile(r"/imports/[0-9a-f-]{36}/$"))
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("people-wrong.csv was not imported")
    expect(summary).to_contain_text("2 problems found. Nothing from this file has been saved.")
    expect(summary.get_by_role("link")).to_have_text(
        [
            re.compile(r"^Row 3, date_of_birth: "),
            re.compile(r"^Row 4, surname: "),
        ]
    )
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td")).to_have_text(
        ["3", "date_of_birth", "'1998-13-40' is not a date in the form YYYY-MM-DD"]
    )
    expect(errors.nth(1).locator("td")).to_have_text(["4", "surname", "is empty but is required"])
    # The summary's links jump to the rows of the table.
    summary.get_by_role("link").nth(1).click()
    expect(page).to_have_url(re.compile(r"#error-2$"))
    assert Person.objects.count() == 0

    corrected = [
        good,
        create_person_row(person_id="P2", given_name="Amy", surname="Jones", date_of_birth="1998-12-04"),
        create_person_row(person_id="P3", given_name="Ben", surname="Carter"),
    ]
    upload(page, "people-corrected.csv", csv_bytes("people", corrected))

    expect(page.locator(".govuk-panel")).to_contain_text("Import complete")
    expect(page.locator(".govuk-panel")).to_contain_text("3 rows checked in people-corrected.csv")
    expect(page.locator("#created-count")).to_have_text("3")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    assert Person.objects.count() == 3

    # Both attempts are listed on the upload page, the rejected one marked as such.
    page.get_by_role("link", name="Import partner data").first.click()
    recent = page.locator("table.govuk-table tbody tr")
    expect(recent.filter(has_text="people-wrong.csv")).to_contain_text("Rejected")
    expect(recent.filter(has_text="people-corrected.csv")).to_contain_text("Imported")


# 5. Keyboard and labels --------------------------------------------------------------------------


@pytest.mark.browser
def test_first_tab_on_sign_in_focuses_the_skip_link(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/sign-in/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # visually hidden until focused
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main-content$"))


@pytest.mark.browser
def test_every_input_on_the_search_page_has_a_label(page: Page, live_server: Any, officer: User) -> None:
    sign_in(page, live_server, "officer", PASSWORD)
    page.goto(f"{live_server.url}/people/")

    for label in ("Name", "Date of birth", "PNC ID or reference"):
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_count(1)
        expect(field).to_be_editable()

    # And no input on the page is left without one.
    inputs = page.locator("main input:not([type=hidden]):not([type=submit]), main select, main textarea")
    assert inputs.count() == 3
    for i in range(inputs.count()):
        field = inputs.nth(i)
        field_id = field.get_attribute("id")
        label = page.locator(f"label[for='{field_id}']")
        expect(label).to_have_count(1)
        labelled = page.get_by_label(label.inner_text(), exact=True)
        expect(labelled).to_have_attribute("id", field_id)
