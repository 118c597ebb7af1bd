"""OGRS3 on a person's page and a worker's judgement beside it, in headless Chromium: an officer
reads the score with its inputs, judges the likelihood higher and overrides the band with a
reason, sees it beside the score; their sergeant finds it on the overrides report."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pathways.accounts.models import Agency, Role, User
from pathways.people.models import Person
from pathways.risk.models import ScoreJudgement
from pathways.testing import PASSWORD
from tests.browser.conftest import sign_in


@pytest.mark.browser
def test_an_officer_overrides_ogrs3_and_the_supervisor_sees_it(
    page: Page, live_server: Any, officer: User, known_offender: Person, police: Agency, make_user: Any
) -> None:
    make_user("sergeant", police, Role.SUPERVISOR)
    sign_in(page, live_server, "officer", PASSWORD)

    # The score, its band, the inputs used and why, the source and the warning.
    page.goto(f"{live_server.url}/people/{known_offender.pk}/")
    panel = page.locator("#ogrs3")
    expect(panel.get_by_role("heading", name="OGRS3")).to_be_visible()
    expect(panel).to_contain_text("A score never decides alone")
    expect(panel.locator("#ogrs3-band")).to_have_text("Low")
    expect(panel.locator("#ogrs3-inputs")).to_contain_text("Age at first sanction")
    expect(panel.locator("#ogrs3-inputs")).to_contain_text("Violence")
    expect(panel.locator("#ogrs3-source")).to_contain_text("Howard, Francis, Soothill and Humphreys")
    panel.locator("summary", has_text="Why these inputs").click()
    expect(panel.locator("#ogrs3-why")).to_contain_text("released from custody")

    # Their own judgement: higher, overriding the band to high, with a reason.
    panel.locator("summary", has_text="Record your own judgement").click()
    panel.get_by_label("Likelihood is higher than the score says").check()
    panel.get_by_label("I override the score's band").check()
    panel.get_by_label("The band you judge right (if you override)").select_option("high")
    panel.get_by_label("Why").fill("Made threats to kill his former partner last week; not yet charged.")
    with page.expect_navigation():
        panel.get_by_role("button", name="Record your judgement").click()
    judgement = ScoreJudgement.objects.get(person=known_offender)
    assert (judgement.judgement, judgement.overridden, judgement.judged_band) == ("higher", True, "high")
    beside = page.locator("#ogrs3-judgements")
    expect(beside).to_contain_text("Likelihood is higher than the score says")
    expect(beside).to_contain_text("band overridden from low to high")
    expect(beside).to_contain_text("Made threats to kill his former partner")

    # The sergeant reads it on the overrides report, reason and all.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "sergeant", PASSWORD)
    page.goto(f"{live_server.url}/risk/overrides/")
    expect(page.locator("#overrides-counts")).to_contain_text("OGRS3")
    expect(page.locator("#overrides-counts")).to_contain_text("100%")
    expect(page.locator("#overrides-moves")).to_contain_text("Low to high: 1")
    expect(page.locator("#overrides-reasons")).to_contain_text("Made threats to kill his former partner")
    expect(page.locator("#overrides-reasons")).to_contain_text(known_offender.full_name)


@pytest.mark.browser
def test_an_officer_judges_the_partnerships_own_model_beside_ogrs3(
    page: Page, live_server: Any, officer: User, police: Agency, police_admin: User
) -> None:
    from pathways.risk import model_services
    from pathways.risk.model_testing import create_history, history_period
    from pathways.testing import person_by_reference

    create_history(agency=police, by=police_admin, people=60)
    start, end = history_period()
    model = model_services.local_model_train(
        by=police_admin,
        period_start=start,
        period_end=end,
        features=["age_at_index", "previous_offences", "index_offence_group"],
        name="Proven reoffending in a year",
    )
    model_services.local_model_activate(by=police_admin, model=model)
    person = person_by_reference(police, "H3")
    sign_in(page, live_server, "officer", PASSWORD)

    page.goto(f"{live_server.url}/people/{person.pk}/")
    panel = page.locator("#local-model")
    expect(panel).to_contain_text("A score never decides alone")
    expect(panel.locator("#local-model-probability")).to_contain_text("%")
    expect(panel.locator("#local-model-features")).to_contain_text("Number of previous proven offences")
    panel.locator("summary", has_text="Record your own judgement").click()
    panel.get_by_label("Likelihood is lower than the score says").check()
    panel.get_by_label("Why").fill("Settled in work and housing since the index offence.")
    with page.expect_navigation():
        panel.get_by_role("button", name="Record your judgement").click()
    judgement = ScoreJudgement.objects.get(person=person)
    assert (judgement.score_kind, judgement.score_version) == ("local_model", "local model v1")
    expect(page.locator("#local-model-judgements")).to_contain_text("Settled in work and housing")
