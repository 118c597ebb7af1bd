"""Undoing a wrong merge in headless Chromium, as a police supervisor would: the merged person's
old link leads to the person they were merged into, both agencies' records are there, the
supervisor undoes the merge with a reason, and each record is back on its own person's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pathways.access.models import AgencyRecord
from pathways.accounts.models import Agency, Role, User
from pathways.linkage.merging import merge_people
from pathways.linkage.models import Merge, SourceRecord
from pathways.linkage.testing import create_record
from pathways.sharing.models import Agreement
from pathways.sharing.reference import LawfulBasis
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in


@pytest.fixture
def wrong_merge(police: Agency, probation: Agency) -> Merge:
    """Jonathan Smith (police) and Jon Smith (probation), linked on import: they are not one man."""
    agreement = Agreement.objects.create(
        reference="police-probation-identity",
        title="Police and probation",
        purposes=["casework"],
        categories=["identity"],
        lawful_basis=LawfulBasis.LAW_ENFORCEMENT,
        start_date=dt.date(2025, 1, 1),
        review_date=dt.date(2030, 1, 1),
    )
    agreement.parties.set([police, probation])
    kept = create_record(agency=police, reference="WP-1001", given_name="Jonathan", surname="Smith", postcode="WX1 2AB")
    merged = create_record(
        agency=probation,
        reference="NPS-77",
        given_name="Jon",
        surname="Smith",
        date_of_birth=dt.date(1989, 11, 3),
        postcode="WX9 4QT",
    )
    # The police were also given the probation record, so the sergeant followed a link to it before.
    AgencyRecord.objects.create(person=merged, agency=police, basis="shared", reason="Shared for the IOM panel")
    return merge_people(kept=kept, merged=merged, by=None, cause=Merge.Cause.AUTOMATIC, match_probability=0.962)


@pytest.mark.browser
def test_a_supervisor_undoes_a_wrong_merge(
    page: Page, live_server: Any, police: Agency, make_user: Any, wrong_merge: Merge
) -> None:
    sergeant: User = make_user("link-sergeant", police, Role.SUPERVISOR)
    sign_in(page, live_server, sergeant.username, PASSWORD)

    # The old link to Jon Smith leads to Jonathan Smith, and says why.
    page.goto(f"{live_server.url}/people/{wrong_merge.merged_id}/")
    expect(page.locator("#merged-from")).to_contain_text("Jon Smith's record was merged into this person on")
    expect(page.locator("h1")).to_have_text("Jonathan Smith")
    records = page.locator("#source-records")
    expect(records).to_contain_text("Wessex Police")
    expect(records).to_contain_text("WP-1001")
    expect(records).to_contain_text("Wessex Probation")
    expect(records).to_contain_text("NPS-77")
    expect(records).to_contain_text("3 November 1989")
    merge_entry = page.locator(f"#merge-{wrong_merge.pk}")
    expect(merge_entry).to_contain_text("linked on import with a match probability of 0.962")

    # Undo: what goes back is shown; a reason is required.
    with page.expect_navigation():
        merge_entry.get_by_role("link", name="Undo this merge").click()
    expect(page.locator("#goes-back")).to_contain_text("Wessex Probation NPS-77: Jon Smith, born 3 November 1989")
    expect(page.locator("#stays")).to_contain_text("Wessex Police WP-1001: Jonathan Smith")
    with page.expect_navigation():
        page.get_by_role("button", name="Undo this merge").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say why this merge is being undone")
    page.get_by_label("Why is this merge being undone?").fill("Different dates of birth: the PNC shows two men")
    with page.expect_navigation():
        page.get_by_role("button", name="Undo this merge").click()

    # Back on Jonathan Smith's page: only the police record, and the merge shown as undone.
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The merge was undone: Jonathan Smith and Jon Smith are two people again."
    )
    expect(page.locator("h1")).to_have_text("Jonathan Smith")
    records = page.locator("#source-records")
    expect(records).to_contain_text("WP-1001")
    expect(records).not_to_contain_text("NPS-77")
    expect(page.locator(f"#merge-{wrong_merge.pk}")).to_contain_text("Undone")
    expect(page.locator(f"#merge-{wrong_merge.pk}")).to_contain_text("Different dates of birth")

    # Jon Smith is his own person again, with his own probation record.
    page.goto(f"{live_server.url}/people/{wrong_merge.merged_id}/")
    expect(page.locator("h1")).to_have_text("Jon Smith")
    expect(page.locator("#merged-from")).to_have_count(0)
    records = page.locator("#source-records")
    expect(records).to_contain_text("NPS-77")
    expect(records).to_contain_text("Wessex Probation")
    expect(records).not_to_contain_text("WP-1001")
    assert set(SourceRecord.objects.values_list("person_id", "reference")) == {
        (wrong_merge.kept_id, "WP-1001"),
        (wrong_merge.merged_id, "NPS-77"),
    }
