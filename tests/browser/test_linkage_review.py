"""The review queue in headless Chromium, as a police sergeant works it: the home page says
a pair waits, the queue lists it, the pair shows where the two records agree and differ and
why the model is unsure, and linking it makes one person who holds both agencies' records."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pathways.accounts.models import Agency, Role
from pathways.linkage.models import ReviewDecision, ReviewPair, SourceRecord
from pathways.linkage.testing import create_pair
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in


@pytest.mark.browser
def test_a_sergeant_reviews_a_pair_and_links_it(
    page: Page, live_server: Any, police: Agency, probation: Agency, police_admin: Any, make_user: Any
) -> None:
    pytest.importorskip("pathways.linkage.merging", reason="linking needs merge_people (branch linkage-merge)")
    make_user("linkage-sergeant", police, Role.SUPERVISOR)
    pair = create_pair(police=police, probation=probation, by=police_admin)
    kept = pair.candidate.person
    sign_in(page, live_server, "linkage-sergeant", PASSWORD)

    # The home page says what waits, and leads to the queue.
    task = page.get_by_role("link", name="1 pair of records waits for review")
    expect(task).to_be_visible()
    task.click()
    expect(page.get_by_role("heading", name="Pairs of records to review")).to_be_visible()
    row = page.locator(f"#pair-{pair.pk}")
    expect(row).to_contain_text("Jon Smith")
    expect(row).to_contain_text("Jonathan Smith")
    expect(row).to_contain_text("82%")
    row.get_by_role("link", name="Jon Smith").click()

    # Side by side: each detail marked agrees, differs or missing, in words, not colour alone.
    table = page.locator("#side-by-side")
    surname = table.locator("tr", has=page.locator("th", has_text="Surname"))
    expect(surname.locator(".govuk-tag")).to_have_text("Agrees")
    given = table.locator("tr", has=page.locator("th", has_text="Given name"))
    expect(given).to_contain_text("Jon")
    expect(given.locator(".govuk-tag")).to_have_text("Differs")
    pnc = table.locator("tr", has=page.locator("th", has_text="PNC ID"))
    expect(pnc.locator(".govuk-tag")).to_have_text("Missing")
    # The probability, explained comparison by comparison.
    expect(page.locator("#probability")).to_contain_text("82%")
    evidence = page.locator("#evidence")
    expect(evidence).to_contain_text("Day and month swapped")
    expect(evidence.locator("tr", has_text="Postcode")).to_contain_text("Against")
    expect(evidence.locator("tr", has_text="Surname")).to_contain_text("For")
    expect(evidence).to_contain_text("linkage model version 1")

    # Link: the same person. No other pair waits, so the queue opens again.
    page.get_by_label("Link: the same person").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and open the next pair").click()
    expect(page.get_by_text("Linked: the two records are now one person.")).to_be_visible()
    expect(page.locator("#queue-empty")).to_be_visible()
    pair.refresh_from_db()
    assert pair.status == ReviewPair.Status.LINKED
    assert ReviewDecision.objects.get(pair=pair).decision == "link"
    assert set(SourceRecord.objects.values_list("person_id", flat=True)) == {kept.pk}

    # The kept person's page: known to both agencies now (what probation holds beyond that is
    # theirs to share under an agreement, not the reviewer's to see).
    page.goto(f"{live_server.url}/people/{kept.pk}/?purpose=casework")
    known_to = page.locator(".govuk-summary-list__row", has=page.locator("dt", has_text="Known to"))
    expect(known_to).to_contain_text("Wessex Police")
    expect(known_to).to_contain_text("Wessex Probation")
