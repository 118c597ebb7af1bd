"""A restorative justice case from referral to closure and the victim's satisfaction survey, in
headless Chromium: the co-ordinator's work, page by page, as they would do it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from pathways.accounts.models import Agency, User
from pathways.people.models import Person
from pathways.restorative import facilitators, meetings
from pathways.restorative.models import Case, Survey
from pathways.restorative.reference import CaseStatus, ClosureReason, Course, FacilitatorKind, VettingLevel
from pathways.restorative.testing import create_case
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in


def _form(page: Page, action: str) -> Any:
    """The form posting to a URL ending in `action`, its <details> opened if it is folded away."""
    form = page.locator(f"form[action$='{action}']")
    details = page.locator("details", has=form)
    if details.count() and not details.first.get_attribute("open") is not None:
        details.first.locator("summary").click()
    return form


def _service_ready(coordinator: User, today: dt.date) -> Any:
    """A trained, vetted facilitator and a step-free venue open every day."""
    facilitator = facilitators.facilitator_save(
        by=coordinator,
        data=facilitators.FacilitatorInput(
            given_name="Grace",
            surname="Adeyemi",
            kind=FacilitatorKind.STAFF,
            areas=["WX1"],
            capacity=3,
            vetting_level=VettingLevel.NPPV2,
            vetted_on=today - dt.timedelta(days=100),
            vetting_expires_on=today + dt.timedelta(days=900),
        ),
    )
    facilitators.training_add(
        by=coordinator, facilitator=facilitator, course=Course.FOUNDATION, completed_on=today - dt.timedelta(days=90)
    )
    meetings.venue_save(
        by=coordinator,
        data=meetings.VenueInput(
            lent_by=Agency.objects.get(code="wessex-police"),
            name="Casterbridge Guildhall",
            address="High West Street",
            step_free=True,
            available_days=list(range(7)),
        ),
    )
    return facilitator


@pytest.mark.browser
def test_a_referral_through_consent_assessment_allocation_conference_agreement_closure_and_survey(
    page: Page, browser: Browser, live_server: Any, officer: User, coordinator: User, known_offender: Person
) -> None:
    today = timezone.localdate()
    grace = _service_ready(coordinator, today)
    case = create_case(by=officer, service=coordinator.agency, offender=known_offender, area="WX1")
    victim = case.parties.get(role="victim")
    offender = case.parties.get(role="offender")
    case_url = f"{live_server.url}/restorative/cases/{case.pk}/"

    sign_in(page, live_server, "rj-coordinator", PASSWORD)
    # The queue shows the new referral; the co-ordinator accepts it.
    page.goto(f"{live_server.url}/restorative/queue/")
    expect(page.locator("main")).to_contain_text(case.reference)
    page.goto(case_url)
    decision = _form(page, f"/cases/{case.pk}/referral/")
    decision.locator("input[name='decision'][value='accept']").check()
    decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#status")).to_have_text("Contacting the parties")

    # Each party is spoken to and gives informed consent: the victim first.
    for party in (victim, offender):
        contact = _form(page, f"/parties/{party.pk}/contact/")
        contact.locator("select[name='method']").select_option("phone")
        contact.locator("select[name='result']").select_option("spoke")
        contact.get_by_role("button", name="Record the contact").click()
        consent = _form(page, f"/parties/{party.pk}/consent/")
        consent.locator("input[name='status'][value='given']").check()
        consent.locator("input[name='informed']").check()
        consent.get_by_role("button", name="Record their consent").click()
    expect(page.locator("#status")).to_have_text("Risk and suitability assessment")
    expect(page.locator(f"#party-{victim.pk} .consent-history")).to_contain_text("Given")

    # The assessment: a high rating without a note is refused, then it is suitable.
    page.goto(f"{case_url}assessment/")
    for factor in ("risk_of_harm", "revictimisation", "power_imbalance", "capacity", "safeguarding", "readiness"):
        page.locator(f"input[name='rating_{factor}'][value='low']").check()
    page.locator("input[name='rating_readiness'][value='high']").check()
    page.locator("input[name='decision'][value='conditions']").check()
    page.locator("textarea[name='conditions']").fill("The offender's mother comes as his supporter")
    page.get_by_role("button", name="Record the assessment").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.locator("textarea[name='note_readiness']").fill("He is anxious; two preparation visits first.")
    page.get_by_role("button", name="Record the assessment").click()
    expect(page.locator("#status")).to_have_text("Waiting for a facilitator")

    # Allocation: the ranked list says why Grace is offered; the co-ordinator chooses her.
    page.goto(f"{case_url}allocate/")
    expect(page.locator("main")).to_contain_text("Grace Adeyemi")
    expect(page.locator("main")).to_contain_text("covers WX1")
    page.locator("select[name='facilitator']").select_option(value=str(grace.pk))
    page.get_by_role("button", name="Allocate").click()
    expect(page.locator("#status")).to_have_text("Preparation")

    # Preparation with each party, then the conference at the Guildhall, earlier today.
    for party in (victim, offender):
        page.goto(f"{case_url}preparation/")
        page.locator(f"input[name='party'][value='{party.pk}']").check()
        page.locator("input[name='held_on']").fill(today.isoformat())
        page.locator("input[name='ready'][value='yes']").check()
        page.get_by_role("button", name="Record the preparation meeting").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Preparation meeting recorded")
    page.goto(f"{case_url}meetings/new/")
    page.locator("input[name='intervention'][value='conference']").check()
    page.locator("select[name='venue']").select_option(label="Casterbridge Guildhall")
    page.locator("input[name='date']").fill(today.isoformat())
    page.locator("input[name='starts']").fill("00:05")
    page.locator("input[name='ends']").fill("00:50")
    page.get_by_role("button", name="Arrange the meeting").click()
    expect(page.get_by_role("button", name="Record as held")).to_be_visible()
    for box in page.locator("input[name='attended']").all():
        box.check()
    page.get_by_role("button", name="Record as held").click()

    # The outcome agreement, done, then follow-up and closure.
    page.goto(f"{case_url}agreement/")
    page.locator("input[name='action_1']").fill("Letter of apology to the victim")
    page.locator("input[name='action_1_owner']").fill(offender.name)
    page.locator("input[name='action_1_due']").fill((today + dt.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Record the agreement").click()
    expect(page.locator("#status")).to_have_text("Agreement in progress")
    action = Case.objects.get(pk=case.pk).agreement.actions.get()
    page.goto(f"{case_url}agreement/{action.pk}/")
    page.locator("input[name='done'][value='yes']").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#status")).to_have_text("Follow-up")

    # The victim's survey link, made by the co-ordinator, answered by the victim (signed out).
    page.goto(case_url)
    page.locator("#surveys").scroll_into_view_if_needed()
    page.locator("main a", has_text=victim.name).filter(has_text="victim").first.click()
    page.get_by_role("button", name="Make a link to send").click()
    link = page.locator("#survey-link code").inner_text()
    token_url = re.search(r"https?://\S+/restorative/survey/\S+", link)
    assert token_url is not None
    page.goto(f"{case_url}follow-up/")
    follow_ups = page.locator("form", has=page.get_by_role("button", name="Record the follow-up"))
    expect(follow_ups).to_have_count(2)  # one for each party
    for remaining in (1, 0):
        follow_ups.first.locator("textarea[name='note']").fill("Doing well; glad they took part.")
        follow_ups.first.get_by_role("button", name="Record the follow-up").click()
        expect(follow_ups).to_have_count(remaining)
    page.get_by_role("button", name="Close the case as completed").click()
    expect(page.locator("#status")).to_have_text("Closed")
    expect(page.locator("main")).to_contain_text("Completed")

    visitor = browser.new_page()
    visitor.goto(token_url.group(0).rstrip("."))
    expect(visitor.locator("main")).not_to_contain_text(victim.name)
    visitor.locator("input[name='satisfaction'][value='5']").check()
    visitor.get_by_role("button", name="Send my answers").click()
    expect(visitor.locator("main")).to_contain_text("Thank")
    visitor.close()

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closure_reason == ClosureReason.COMPLETED
    assert Survey.objects.get(party=victim).satisfaction == 5
    assert not case.tasks.filter(status="open").exists()
