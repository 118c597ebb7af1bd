"""An impact evaluation from the page, in headless Chromium: a police sergeant uploads the list
of people who went through a local scheme, chooses what to match on, and reads the report —
its groups, balance, outcomes and the warning that a small group is not reliable."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pathways.accounts.models import Agency, User
from pathways.evaluation.models import Evaluation
from pathways.testing import PASSWORD, create_person_row, load
from tests.browser.conftest import sign_in


def _partnership(police: Agency, by: User, today: dt.date) -> list[tuple[str, dt.date]]:
    """Eighty people with a proven offence about two years ago, some reoffending since; the
    first twenty went through the scheme. Returns the scheme's list: (reference, index date)."""
    rng = random.Random(8)
    people, offences, outcomes, scheme = [], [], [], []
    for n in range(80):
        reference = f"E{n:03d}"
        people.append(
            create_person_row(
                person_id=reference,
                given_name=rng.choice(["Alex", "Jordan", "Sam", "Casey", "Robin", "Jamie", "Kim", "Lee"]),
                surname=f"Evans-{chr(65 + n // 26)}{chr(97 + n % 26)}",
                date_of_birth=f"{rng.randint(1975, 2004)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                sex=rng.choice(["M", "F"]),
            )
        )
        index = today - dt.timedelta(days=rng.randint(620, 800))
        history = [index - dt.timedelta(days=rng.randint(100, 900)) for _ in range(rng.randint(0, 3))]
        if rng.random() < (0.3 if n < 20 else 0.45):
            history.append(index + dt.timedelta(days=rng.randint(20, 300)))
        for k, committed in enumerate([index, *history]):
            offence_id = f"{reference}-{k}"
            offences.append(
                {
                    "offence_id": offence_id,
                    "person_id": reference,
                    "offence_date": committed.isoformat(),
                    "offence_code": rng.choice(["46", "8N", "28E"]),
                    "offence_group": "theft",
                }
            )
            outcomes.append(
                {
                    "offence_id": offence_id,
                    "outcome_date": (committed + dt.timedelta(days=30)).isoformat(),
                    "outcome": "conviction_community",
                }
            )
        if n < 20:
            scheme.append((reference, index))
    load("people", people, agency=police, by=by)
    load("offences", offences, agency=police, by=by)
    load("outcomes", outcomes, agency=police, by=by)
    return scheme


@pytest.mark.browser
def test_a_sergeant_evaluates_a_list_of_people_and_reads_the_report(
    page: Page, live_server: Any, tmp_path: Path, police: Agency, police_admin: User, iom_supervisor: User
) -> None:
    today = timezone.localdate()
    scheme = _partnership(police, police_admin, today)
    listing = tmp_path / "scheme.csv"
    listing.write_text("person_id,index_date\n" + "".join(f"{ref},{on.isoformat()}\n" for ref, on in scheme))

    sign_in(page, live_server, "iom-sergeant", PASSWORD)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="What works: impact evaluation").click()
    expect(page.locator("#no-evaluations")).to_be_visible()

    # A list without a file is refused, with the problem said and nothing saved.
    page.get_by_label("Title").fill("Second Chances mentoring 2024")
    page.get_by_label("Intervention").select_option("uploaded_list")
    page.get_by_label("Period from").fill((today - dt.timedelta(days=820)).isoformat())
    page.get_by_label("Period to").fill((today - dt.timedelta(days=600)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Run the evaluation").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert not Evaluation.objects.exists()

    page.get_by_label("Intervention").select_option("uploaded_list")
    for box in page.locator("input[name='covariates']").all():
        box.uncheck()
    for covariate in ("age", "previous_proven_offences", "years_since_first_proven"):
        page.locator(f"#id_covariates_{covariate}").check()
    page.get_by_label("List of people (for a list you upload)").set_input_files(str(listing))
    with page.expect_navigation():
        page.get_by_role("button", name="Run the evaluation").click()

    evaluation = Evaluation.objects.get()
    assert page.url.endswith(f"/evaluation/{evaluation.pk}/")
    expect(page.locator("main")).to_contain_text("Second Chances mentoring 2024")
    matched = int(page.locator("#matched").inner_text())
    assert 10 <= matched <= 20
    # Twenty people are far fewer than the Justice Data Lab's sixty: the report says so.
    expect(page.locator("#warnings")).to_contain_text("60")
    expect(page.locator("#outcomes")).to_contain_text("95% confidence interval")
    expect(page.locator("main")).to_contain_text("Only what was measured can be balanced")

    # The list of evaluations now holds it.
    page.goto(f"{live_server.url}/evaluation/")
    expect(page.locator("#evaluations")).to_contain_text("Second Chances mentoring 2024")
