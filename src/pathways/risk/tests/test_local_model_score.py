"""The active version of the partnership's own model on a person's page: its probability from
the person's features today (worked out as for the training table), hidden where the viewer does
not see all the offending, and a worker's judgement beside it."""

from __future__ import annotations

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.risk import dataset
from pathways.risk import model_services as services
from pathways.risk.judgements import judgement_record, overrides_report
from pathways.risk.model_testing import create_history, history_period
from pathways.risk.models import ScoreJudgement, ScoreKind
from pathways.testing import person_by_reference, signed_in_client

FEATURES = [
    "age_at_index",
    "previous_offences",
    "years_since_first_offence",
    "custody_before",
    "index_offence_group",
    "index_disposal",
]


@pytest.fixture
def model(police, police_admin):
    create_history(agency=police, by=police_admin, people=60)
    start, end = history_period()
    trained = services.local_model_train(
        by=police_admin, period_start=start, period_end=end, features=FEATURES, name="Proven reoffending in a year"
    )
    return services.local_model_activate(by=police_admin, model=trained)


def expected_probability(model, person) -> float:
    row = dataset.person_features(person, timezone.localdate()).row
    estimator = services.model_estimator(model)
    return float(estimator.predict_proba(services._model_input(pd.DataFrame([row]), model.features))[0, 1])


def test_a_persons_features_today_are_the_training_tables_for_the_same_index_event(model, police):
    start, end = history_period()
    table = dataset.history_table(None, period_start=start, period_end=end).frame
    # With no reoffence, the index event in the table is still the person's latest one today.
    for row in table[table[dataset.OUTCOME] == 0].head(5).to_dict("records"):
        person = dataset.Person.objects.get(pk=row["person_id"])
        today = dataset.person_features(person, timezone.localdate()).row
        for name in [*FEATURES, "index_date", "sex", "ethnicity", "area", "age_band"]:
            assert today[name] == row[name], name


def test_the_probability_is_the_active_models_for_the_persons_features(model, police):
    person = person_by_reference(police, "H3")
    score = services.person_model_score(person, timezone.localdate())
    assert score is not None and score.model == model
    assert score.probability == pytest.approx(expected_probability(model, person))
    assert [name for name, _, _ in score.features] == FEATURES


def test_the_person_page_shows_the_model_beside_ogrs3_with_its_features_and_warning(model, police, officer):
    person = person_by_reference(police, "H3")
    page = signed_in_client(officer).get(reverse("people:detail", args=[person.pk])).content.decode()
    assert 'id="ogrs3"' in page and 'id="local-model"' in page
    assert f"{expected_probability(model, person) * 100:.0f}%" in page
    assert "Proven reoffending in a year, version 1" in page
    assert "Number of previous proven offences" in page
    assert page.count("A score never decides alone") == 2
    # An officer does not read model cards, so the name is not a link for them.
    assert reverse("risk:model", args=[1]) not in page
    assert 'id="local_model_judgement"' in page


def test_a_supervisor_can_open_the_model_card_from_the_panel(model, police, make_user):
    person = person_by_reference(police, "H3")
    supervisor = make_user("card-sergeant", police, Role.SUPERVISOR)
    page = signed_in_client(supervisor).get(reverse("people:detail", args=[person.pk])).content.decode()
    assert reverse("risk:model", args=[1]) in page


def test_no_active_model_shows_no_panel_and_nothing_to_judge(police, police_admin, officer, known_offender):
    client = signed_in_client(officer)
    page = client.get(reverse("people:detail", args=[known_offender.pk])).content.decode()
    assert 'id="local-model"' not in page
    response = client.post(
        reverse("risk:local-model-judgement", args=[known_offender.pk]),
        {"judgement": "agree", "reason": "Knows him well from supervision."},
    )
    assert response.status_code == 404
    assert not ScoreJudgement.objects.exists()


def test_offending_not_shared_with_the_viewer_hides_the_models_score(model, police, probation, make_user):
    from pathways.access.services import agency_record_ensure

    person = person_by_reference(police, "H3")
    agency_record_ensure(person=person, agency=probation)
    client = signed_in_client(make_user("probation-officer", probation, Role.CASEWORKER))
    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert "The partnership's model score cannot be shown" in page
    assert "Number of previous proven offences" not in page
    response = client.post(
        reverse("risk:local-model-judgement", args=[person.pk]),
        {"judgement": "agree", "reason": "Knows him well from supervision."},
    )
    assert response.status_code == 403
    assert not ScoreJudgement.objects.exists()


def test_someone_the_model_cannot_score_gets_the_reason(model, officer, known_offender, police, police_admin):
    from pathways.testing import create_person_row, load

    # Someone else entirely: a record like the known offender's would be linked to them.
    row = create_person_row(
        person_id="N1", sex="U", given_name="Ottoline", surname="Quarshie", date_of_birth="1961-10-27", pnc_id=""
    )
    load("people", [row], agency=police, by=police_admin)
    person = person_by_reference(police, "N1")
    page = signed_in_client(officer).get(reverse("people:detail", args=[person.pk])).content.decode()
    assert "cannot score this person" in page and "No proven offence" in page


def test_the_service_records_a_judgement_of_the_local_model(model, police, officer):
    person = person_by_reference(police, "H3")
    saved = judgement_record(
        by=officer,
        person=person,
        score_kind=ScoreKind.LOCAL_MODEL,
        score_version=services.model_score_words(model),
        score_value=0.31,
        score_band="",
        shown_on="person page",
        judgement="higher",
        overridden=True,
        judged_band="high",
        reason="Fresh threats to a neighbour this week.",
    )
    assert saved.score_kind == "local_model" and saved.score_version == "local model v1"
    assert saved.judged_band == "high"


def test_an_officer_records_a_judgement_of_the_local_model_from_the_person_page(model, police, officer, make_user):
    person = person_by_reference(police, "H3")
    client = signed_in_client(officer)
    form = client.get(reverse("risk:local-model-judgement", args=[person.pk])).content.decode()
    assert "Your judgement of the Proven reoffending in a year (version 1) score" in form
    response = client.post(
        reverse("risk:local-model-judgement", args=[person.pk]),
        {"judgement": "lower", "reason": "Settled in work and housing since the index offence."},
    )
    assert response.status_code == 302 and response["Location"].endswith("#local-model")
    saved = ScoreJudgement.objects.get()
    # The score is worked out on the server, never taken from the form.
    assert saved.score_kind == ScoreKind.LOCAL_MODEL and saved.score_version == "local model v1"
    assert saved.score_value == round(expected_probability(model, person), 4)
    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert "Settled in work and housing" in page
    supervisor = make_user("overrides-sergeant", police, Role.SUPERVISOR)
    report = overrides_report(user=supervisor)
    assert [(r.score_kind, r.lower) for r in report.rows] == [("local_model", 1)]
    listing = signed_in_client(supervisor).get(reverse("risk:overrides")).content.decode()
    assert "The partnership&#x27;s own model (local model v1)" in listing
