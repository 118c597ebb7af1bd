"""The performance framework, its drill-downs and the panel report, as analysts use them."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from pathways.access.models import AuditEvent
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def police_analyst(police, make_user):
    return make_user("police-analyst", police, "analyst")


QUARTER = "preset=moj&start=2023-01-01&end=2023-03-31"


def test_the_framework_shows_the_latest_complete_cohort_and_links_every_figure(reoffending_cohort, analyst):
    page = signed_in_client(analyst).get("/performance/").content.decode()
    assert "Latest complete cohort: Jan–Mar 2023" in page
    assert "58.3%" in page  # 7 of 12
    assert "/performance/cohort/?preset=moj&amp;start=2023-01-01&amp;end=2023-03-31" in page
    assert "Wessex Police" in page, "the page says whose data the figures rest on"
    assert "Archer" not in page


def test_a_drill_down_breaks_a_figure_down_and_filters_it(reoffending_cohort, analyst):
    client = signed_in_client(analyst)
    page = client.get(f"/performance/cohort/?{QUARTER}&by=sex").content.decode()
    assert "Jan–Mar 2023 cohort by sex" in page
    assert "100.0%" in page  # all three women reoffended
    assert "44.4%" in page  # 4 of 9 men
    filtered = client.get(f"/performance/cohort/?{QUARTER}&by=age_band&in=sex:F").content.decode()
    assert "Sex: Female" in filtered
    assert (
        filtered.count('class="govuk-summary-list__value pathways-numeric">3<') == 3
    )  # 3 people, 3 reoffenders, 3 reoffences


@pytest.mark.parametrize(
    "query, message",
    [
        ("preset=moj&start=2023-03-31&end=2023-01-01&by=sex", "must end on or after"),
        ("preset=nonsense&start=2023-01-01&end=2023-03-31", "preset"),
        (f"{QUARTER}&by=shoe_size", "by"),
        (f"{QUARTER}&in=sex", "is not a breakdown and group"),
        ("preset=moj&start=2023-02-30&end=2023-03-31", "start"),
    ],
)
def test_a_drill_down_that_makes_no_sense_says_why(reoffending_cohort, analyst, query, message):
    response = signed_in_client(analyst).get(f"/performance/cohort/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_people_behind_a_figure_are_named_only_for_an_agency_that_holds_them(
    reoffending_cohort, analyst, police_analyst
):
    url = f"/performance/cohort/people/?{QUARTER}&in=sex:F"
    opcc_page = signed_in_client(analyst).get(url).content.decode()
    assert "3 people are counted in these figures but not named here" in opcc_page
    assert "Archer" not in opcc_page
    police_page = signed_in_client(police_analyst).get(url).content.decode()
    assert all(name in police_page for name in ["Archer", "Baker", "Carter"])
    assert "Dyer" not in police_page, "only the group clicked"
    event = AuditEvent.objects.filter(object_type="cohort_people", username="police-analyst").get()
    assert len(event.detail["shown"]) == 3 and event.detail["within"] == {"sex": "F"}


def test_the_panel_report_hides_small_numbers_and_compares_with_earlier_cohorts(reoffending_cohort, analyst):
    page = signed_in_client(analyst).get("/performance/panel-report/").content.decode()
    assert "1 January 2023 to 31 March 2023" in page
    assert "[c]" in page, "three women is under the publication threshold of five"
    assert "58.3%" in page
    assert "no comparison" in page, "nobody was in the cohort a quarter or a year earlier"


def test_the_panel_report_downloads_as_a_pdf_with_the_same_figures(reoffending_cohort, analyst):
    response = signed_in_client(analyst).get("/performance/panel-report.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert "reducing-reoffending-panel-report-2023-01.pdf" in response["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages).replace("\n", " ")
    assert "Reducing reoffending: quarterly report to the Police and Crime Panel" in text
    assert "OFFICIAL" in text
    assert "58.3%" in text and "[c]" in text
    assert "Archer" not in text
    assert AuditEvent.objects.filter(object_type="panel_report", action="export", detail__form="pdf").exists()


def test_a_quarter_still_in_follow_up_cannot_be_reported(reoffending_cohort, analyst):
    response = signed_in_client(analyst).get("/performance/panel-report/?quarter=2024-01-01")
    assert response.status_code == 400
    assert "have not ended yet" in response.content.decode()
    assert signed_in_client(analyst).get("/performance/panel-report/?quarter=soon").status_code == 400


def test_the_api_gives_the_figures_the_command_gives(reoffending_cohort, analyst):
    from pathways.accounts.services import api_token_create

    _, key = api_token_create(user=analyst, name="dashboard")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    answer = client.get(
        "/api/v1/reoffending", {"cohort_start": "2023-01-01", "cohort_end": "2023-03-31", "by": ["sex"]}
    ).json()
    assert (answer["cohort"], answer["reoffenders"], answer["reoffences"]) == (12, 7, 7)
    assert [(g["group"], g["cohort"], g["reoffenders"]) for g in answer["breakdowns"]["sex"]] == [
        ("F", 3, 3),
        ("M", 9, 4),
    ]
    published = client.get(
        "/api/v1/reoffending", {"cohort_start": "2023-01-01", "cohort_end": "2023-03-31", "by": "sex", "suppress": 5}
    ).json()
    assert published["breakdowns"]["sex"][0] == {
        **{k: None for k in published["breakdowns"]["sex"][0] if k not in ("group", "suppressed")},
        "group": "F",
        "suppressed": True,
    }
    bad = client.get("/api/v1/reoffending", {"cohort_start": "2023-03-31", "cohort_end": "2023-01-01"})
    assert bad.status_code == 422 and "cohort_end" in bad.json()["detail"]
