"""An IOM journey in headless Chromium, as the panel's sergeant works it: the ranked candidates
with their scores explained, adoption, the needs assessment across the seven pathways, a plan
action owned by probation, the morning's review board and the person's exit from the cohort."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pathways.accounts.models import Agency, User
from pathways.iom.models import Membership, NeedsAssessment, Scheme
from pathways.iom.reference import BoardDecision, MembershipStatus, NeedLevel, Pathway, Tier
from pathways.people.models import Person
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in


def _open(page: Page, summary: str) -> None:
    """Unfold the <details> whose summary reads `summary`."""
    page.locator("summary", has_text=summary).first.click()


@pytest.mark.browser
def test_selection_adoption_needs_plan_board_and_exit(
    page: Page,
    live_server: Any,
    iom_supervisor: User,
    ppo_scheme: Scheme,
    prolific_offender: Person,
    probation: Agency,
) -> None:
    today = timezone.localdate()
    sign_in(page, live_server, "iom-sergeant", PASSWORD)

    # Selection: Kyle Barnes is ranked with each part of his score shown and explained.
    page.goto(f"{live_server.url}/iom/candidates/?scheme=ppo")
    candidate = page.locator(f"#candidate-{prolific_offender.pk}")
    expect(candidate).to_contain_text("Kyle Barnes")
    expect(candidate).to_contain_text("6 proven offences counted")
    for part in ("Recency", "Frequency", "Gravity"):
        expect(candidate.locator("dt", has_text=part)).to_be_visible()
    candidate.locator("summary", has_text="How the score of").click()
    expect(candidate.locator(".govuk-details__text").first).to_contain_text("Burglary – residential: gravity 6")

    # Adoption: the panel gives a tier and its reason; a reason is required.
    candidate.locator("summary", has_text="Adopt or decline Kyle Barnes").click()
    candidate.get_by_label("High").check()
    with page.expect_navigation():
        candidate.get_by_role("button", name="Adopt", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say why the panel adopts them")
    assert not Membership.objects.filter(person=prolific_offender).exists()
    page.get_by_label("High").check()
    page.get_by_label("Why the panel adopts them").fill("Six burglaries and thefts in two years; drug use drives them")
    with page.expect_navigation():
        page.get_by_role("button", name="Adopt", exact=True).click()
    membership = Membership.objects.get(person=prolific_offender, scheme=ppo_scheme)
    assert membership.status == MembershipStatus.ADOPTED and membership.tier == Tier.HIGH
    assert page.url.endswith(f"/iom/members/{membership.pk}/")
    expect(page.locator("main")).to_contain_text("Kyle Barnes adopted into the Prolific and other Priority Offenders")
    expect(page.locator("#needs-and-plan")).to_contain_text("Their needs have not been assessed yet.")

    # Needs: a level on every pathway; the high need on drugs and alcohol needs a note.
    page.locator("#needs-and-plan").get_by_role("link", name="Needs assessments").click()
    levels = {p: NeedLevel.LOW for p in Pathway.values}
    levels[Pathway.DRUGS_ALCOHOL] = NeedLevel.HIGH
    levels[Pathway.ACCOMMODATION] = NeedLevel.MEDIUM
    for pathway, level in levels.items():
        page.locator(f"input[name='{pathway}_level'][value='{level}']").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save the assessment").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Drugs and alcohol")
    assert not NeedsAssessment.objects.filter(membership=membership).exists()
    page.locator("textarea[name='drugs_alcohol_notes']").fill("Daily crack use; offends to fund it")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the assessment").click()
    expect(page.locator("#latest-needs")).to_contain_text("Daily crack use")
    assert NeedsAssessment.objects.filter(membership=membership).count() == 1

    # The plan: a referral to drug treatment owned by probation, due tomorrow.
    page.get_by_role("link", name="See the plan").click()
    page.get_by_label("Pathway").select_option(Pathway.DRUGS_ALCOHOL)
    page.get_by_label("What is to be done").fill("Assessment with the drug treatment service")
    page.get_by_label("Owner agency").select_option(label=probation.name)
    page.get_by_label("Owner's name").fill("Priya Shah")
    page.get_by_label("Due date").fill((today + dt.timedelta(days=1)).isoformat())
    page.get_by_label("Referred to (if a referral)").fill("Wessex Recovery Service")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the action").click()
    expect(page.locator("main")).to_contain_text("Assessment with the drug treatment service")
    expect(page.locator("main")).to_contain_text("Referral to Wessex Recovery Service")

    # The morning's board: Kyle's offences loaded in the last days and the action falling due.
    page.goto(f"{live_server.url}/iom/board/")
    with page.expect_navigation():
        page.locator("#open-board").click()
    section = page.locator(f"#member-{membership.pk}")
    expect(section).to_contain_text("Kyle Barnes")
    expect(section.locator(".board-item--offence").first).to_be_visible()
    expect(section).to_contain_text("Assessment with the drug treatment service")
    prefix = f"m{str(membership.pk)[:8]}"
    decision = section.locator("form")
    if not section.locator("details").first.get_attribute("open") is not None:
        _open(page, "Record the board's decision")
    decision.locator(f"input[name='{prefix}-decision'][value='{BoardDecision.PARTNER_ACTION}']").check()
    decision.locator(f"textarea[name='{prefix}-partner_actions']").fill(
        "Probation to bring the treatment assessment forward to Thursday"
    )
    with page.expect_navigation():
        decision.get_by_role("button", name=re.compile("Record the decision")).click()
    section = page.locator(f"#member-{membership.pk}")
    expect(section.locator(".board-entries")).to_contain_text("Partner action agreed")
    expect(section.locator(".board-entries")).to_contain_text("treatment assessment forward to Thursday")

    # The decision is on his timeline, where every partner who may see him reads it.
    page.goto(f"{live_server.url}/people/{prolific_offender.pk}/")
    expect(page.locator("main")).to_contain_text("treatment assessment forward to Thursday")

    # Exit: the panel removes him with a reason; the member page says he has left.
    page.goto(f"{live_server.url}/iom/members/{membership.pk}/")
    _open(page, "Remove from the cohort")
    page.get_by_label("Why they leave the cohort").fill("Sentenced to 30 months' custody")
    with page.expect_navigation():
        page.get_by_role("button", name="Remove from the cohort").click()
    membership.refresh_from_db()
    assert membership.status != MembershipStatus.ADOPTED
    assert membership.events.filter(reason__contains="30 months").exists()
    expect(page.locator("main")).to_contain_text("30 months")
