"""The model cards and fairness audit pages: who gets in, what they see, and errors shown beside
the field or by row and column."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pathways.accounts.models import Role
from pathways.risk import model_services as services
from pathways.risk.model_testing import create_history, history_period
from pathways.risk.models import FairnessAudit, LocalModel
from pathways.testing import signed_in_client

CSV = (
    "score,reoffended,sex,ethnicity\n"
    + "".join(
        f"{(i % 10) / 10},{int(i % 7 >= 4)},{'F' if i % 5 == 0 else 'M'},{'W' if i % 2 else 'B'}\n" for i in range(90)
    )
).encode()


def upload(client, content=CSV, **overrides):
    data = {
        "title": "Vendor score 2024",
        "file": SimpleUploadedFile("vendor.csv", content, content_type="text/csv"),
        "score_column": "score",
        "outcome_column": "reoffended",
        "group_columns": "sex, ethnicity",
        "threshold": "0.5",
    }
    data.update(overrides)
    return client.post(reverse("risk:audits"), data)


@pytest.mark.parametrize("name", ["risk:models", "risk:audits"])
def test_analysts_and_supervisors_get_in_and_officers_do_not(name, analyst, officer, police, make_user):
    assert signed_in_client(analyst).get(reverse(name)).status_code == 200
    supervisor = make_user("sergeant", police, Role.SUPERVISOR)
    assert signed_in_client(supervisor).get(reverse(name)).status_code == 200
    assert signed_in_client(officer).get(reverse(name)).status_code == 403


def test_an_analyst_audits_a_file_and_reads_the_report(analyst):
    client = signed_in_client(analyst)
    response = upload(client)
    saved = FairnessAudit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("risk:audit", args=[saved.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'id="audit-sex"' in page and 'id="audit-ethnicity"' in page
    assert "Small group" in page and 'id="small-group-warning"' in page  # 18 women
    assert "False positive rate" in page and "What each figure means" in page
    assert "Vendor score 2024" in client.get(reverse("risk:audits")).content.decode()


def test_a_bad_file_is_reported_by_row_and_column_and_nothing_is_saved(analyst):
    response = upload(signed_in_client(analyst), content=b"score,reoffended,sex,ethnicity\nhigh,1,F,W\n0.3,5,M,B\n")
    page = response.content.decode()
    assert response.status_code == 400
    assert "row 2" in page and "row 3" in page and 'id="file-problems"' in page
    assert not FairnessAudit.objects.exists()


def test_a_missing_field_is_shown_beside_it(analyst):
    response = upload(signed_in_client(analyst), outcome_column="score")
    assert response.status_code == 400
    assert "The outcome must be a different column from the score" in response.content.decode()
    assert not FairnessAudit.objects.exists()


def test_another_agencys_audit_is_not_found(analyst, police, make_user):
    saved = services.fairness_audit_run(
        by=analyst,
        title="OPCC only",
        filename="v.csv",
        content=CSV,
        score_column="score",
        outcome_column="reoffended",
        group_columns=["sex"],
        threshold=0.5,
    )
    police_analyst = make_user("police-analyst", police, Role.ANALYST)
    assert signed_in_client(police_analyst).get(reverse("risk:audit", args=[saved.pk])).status_code == 404
    assert "OPCC only" not in signed_in_client(police_analyst).get(reverse("risk:audits")).content.decode()


def test_an_analyst_trains_a_version_reads_its_card_and_makes_it_active(police, police_admin, make_user):
    create_history(agency=police, by=police_admin, people=60)
    police_analyst = make_user("police-analyst", police, Role.ANALYST)
    client = signed_in_client(police_analyst)
    start, end = history_period()
    response = client.post(
        reverse("risk:models"),
        {
            "name": "Reoffending in a year",
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "features": ["age_at_index", "previous_offences", "index_disposal"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    card = client.get(response["Location"]).content.decode()
    for section in ("intended-use", "data", "features", "performance", "calibration", "fairness", "limits"):
        assert f'id="{section}"' in card, section
    assert "To inform, never to decide" in card and 'id="audit-age_band"' in card
    client.post(reverse("risk:model-activate", args=[1]))
    assert LocalModel.objects.get().active
    assert "Active" in client.get(reverse("risk:models")).content.decode()


def test_a_refused_feature_without_a_reason_is_shown_beside_its_justification(police, police_admin, make_user):
    create_history(agency=police, by=police_admin, people=60)
    client = signed_in_client(make_user("police-analyst", police, Role.ANALYST))
    start, end = history_period()
    response = client.post(
        reverse("risk:models"),
        {
            "name": "With area",
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "features": ["age_at_index", "area"],
        },
    )
    assert response.status_code == 400
    assert 'id="id_justification_area-error"' in response.content.decode()
    assert not LocalModel.objects.exists()


def test_a_supervisor_reads_the_cards_but_may_not_train_or_activate(police, make_user):
    supervisor = make_user("sergeant", police, Role.SUPERVISOR)
    client = signed_in_client(supervisor)
    page = client.get(reverse("risk:models")).content.decode()
    assert "Train a new version" not in page
    assert client.post(reverse("risk:models"), {"name": "x"}).status_code == 403
    assert client.post(reverse("risk:model-activate", args=[1])).status_code == 403


def test_the_home_page_offers_analysts_the_risk_pages(analyst):
    assert reverse("risk:models") in signed_in_client(analyst).get(reverse("web:home")).content.decode()


def test_an_analyst_audits_ogrs3_from_the_audits_page(police, police_admin, make_user):
    create_history(agency=police, by=police_admin, people=40)
    client = signed_in_client(make_user("police-analyst", police, Role.ANALYST))
    assert 'id="ogrs3"' in client.get(reverse("risk:audits")).content.decode()
    start, end = history_period()
    data = {"ogrs3-period_start": start.isoformat(), "ogrs3-period_end": end.isoformat(), "ogrs3-threshold": "x"}
    response = client.post(reverse("risk:audit-ogrs3"), data)
    assert response.status_code == 400 and "Enter the threshold as a number" in response.content.decode()
    response = client.post(reverse("risk:audit-ogrs3"), {**data, "ogrs3-threshold": "0.5"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "OGRS3" in page and 'id="audit-age_band"' in page
