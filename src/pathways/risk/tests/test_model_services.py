"""Training versions of the partnership's model and auditing scores: checked first, audited,
nothing half-saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from pathways.access.models import AuditEvent
from pathways.risk import model_services as services
from pathways.risk.model_testing import create_history, history_period
from pathways.risk.models import FairnessAudit, LocalModel

CSV = (
    "score,reoffended,sex,ethnicity\n"
    + "".join(
        f"{(i % 10) / 10},{int(i % 10 >= 6)},{'F' if i % 3 else 'M'},{'W' if i % 2 else 'B'}\n" for i in range(80)
    )
).encode()


@pytest.fixture
def history(police, police_admin):
    return create_history(agency=police, by=police_admin, people=70)


def train(by, **overrides):
    start, end = history_period()
    kwargs = {
        "by": by,
        "period_start": start,
        "period_end": end,
        "features": ["age_at_index", "previous_offences", "index_offence_group"],
        "justifications": {},
        "name": "Proven reoffending in a year",
    }
    kwargs.update(overrides)
    return services.local_model_train(**kwargs)


def test_a_new_version_comes_with_its_model_card_and_is_audited(history, police_admin):
    model = train(police_admin)
    assert model.version == 1 and not model.active and model.rows == 70
    assert model.performance["auc"] is not None and model.performance["calibration"]
    assert set(model.fairness["groups"]) == {"sex", "ethnicity", "age_band"}
    assert "never to decide" in model.card["intended_use"] and model.card["limits"]
    assert services.model_estimator(model) is not None
    event = AuditEvent.objects.get(object_type="local_model", action="create")
    assert event.detail["version"] == 1 and event.detail["rows"] == 70
    assert train(police_admin).version == 2


def test_making_a_version_active_replaces_the_one_before(history, police_admin):
    first, second = train(police_admin), train(police_admin)
    services.local_model_activate(by=police_admin, model=first)
    services.local_model_activate(by=police_admin, model=second)
    assert list(LocalModel.objects.filter(active=True)) == [second]
    assert AuditEvent.objects.filter(object_type="local_model", action="update").count() == 2


def test_a_refused_feature_needs_a_justification_and_nothing_is_saved_without_one(history, police_admin):
    with pytest.raises(ValidationError) as refused:
        train(police_admin, features=["age_at_index", "area"], justifications={"area": "because"})
    assert "justification_area" in refused.value.message_dict
    assert not LocalModel.objects.exists()
    model = train(
        police_admin,
        features=["age_at_index", "area"],
        justifications={"area": "The board asked to see how much the area adds, to show why we do not use it."},
    )
    assert model.justifications["area"].startswith("The board") and model.card["features"][1]["justification"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"features": []}, "features"),
        ({"features": ["shoe_size"]}, "features"),
        ({"period_start": dt.date(2030, 1, 1), "period_end": dt.date(2029, 1, 1)}, "period_end"),
        ({"period_end": dt.date(2099, 1, 1)}, "period_end"),
        ({"period_start": dt.date(2001, 1, 1), "period_end": dt.date(2001, 2, 1)}, "period_start"),
    ],
)
def test_training_is_refused_with_the_reason_beside_the_field(history, police_admin, overrides, field):
    with pytest.raises(ValidationError) as error:
        train(police_admin, **overrides)
    assert field in error.value.message_dict
    assert not LocalModel.objects.exists()
    assert not AuditEvent.objects.filter(object_type="local_model").exists()


def audit(by, **overrides):
    kwargs = {
        "by": by,
        "title": "Vendor score",
        "filename": "vendor.csv",
        "content": CSV,
        "score_column": "score",
        "outcome_column": "reoffended",
        "group_columns": ["sex", "ethnicity"],
        "threshold": 0.5,
    }
    kwargs.update(overrides)
    return services.fairness_audit_run(**kwargs)


def test_an_audit_of_a_file_keeps_the_figures_for_the_agency_that_ran_it(analyst):
    saved = audit(analyst)
    assert saved.agency == analyst.agency and saved.score_kind == "vendor"
    assert saved.result["overall"]["n"] == 80 and saved.result["overall"]["auc"] == 1.0
    assert set(saved.result["groups"]["sex"]) == {"F", "M"}
    event = AuditEvent.objects.get(object_type="fairness_audit")
    assert event.detail["rows"] == 80 and event.object_id == str(saved.pk)


def test_every_problem_in_the_file_is_named_by_row_and_column_and_nothing_is_saved(analyst):
    bad = b"score,reoffended,sex,ethnicity\n0.2,1,F,W\nhigh,1,M,B\n0.4,2,M,B\n"
    with pytest.raises(ValidationError) as error:
        audit(analyst, content=bad)
    problems = error.value.message_dict["file"]
    assert any("row 3" in p and "score" in p for p in problems)
    assert any("row 4" in p and "reoffended" in p for p in problems)
    with pytest.raises(ValidationError) as missing:
        audit(analyst, group_columns=["sex", "religion"])
    assert any("religion" in p for p in missing.value.message_dict["file"])
    assert not FairnessAudit.objects.exists()
    assert not AuditEvent.objects.filter(object_type="fairness_audit").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"outcome_column": "score"}, "outcome_column"),
        ({"group_columns": []}, "group_columns"),
        ({"group_columns": ["sex", "score"]}, "group_columns"),
        ({"threshold": float("nan")}, "threshold"),
        ({"filename": "vendor.xlsx"}, "file"),
    ],
)
def test_an_audit_is_refused_with_the_reason_beside_the_field(analyst, overrides, field):
    with pytest.raises(ValidationError) as error:
        audit(analyst, **overrides)
    assert field in error.value.message_dict
    assert not FairnessAudit.objects.exists()


def test_the_active_model_can_be_audited_on_the_history(history, police_admin):
    model = train(police_admin)
    start, end = history_period()
    saved = services.fairness_audit_of_model(
        by=police_admin, model=model, period_start=start, period_end=end, threshold=0.4
    )
    assert saved.score_kind == "local_model" and saved.result["overall"]["n"] == 70
    assert set(saved.result["groups"]) == {"sex", "ethnicity", "age_band"}


def test_ogrs3_can_be_audited_on_the_history_and_learnt_from(history, police_admin):
    start, end = history_period()
    saved = services.fairness_audit_of_ogrs3(by=police_admin, period_start=start, period_end=end, threshold=0.5)
    assert saved.score_kind == "ogrs3" and saved.result["overall"]["n"] == 70
    assert any("two-year" in note for note in saved.result["notes"])
    assert "ogrs3_2y" in train(police_admin, features=["ogrs3_2y", "age_at_index"]).features
    with pytest.raises(ValidationError) as error:
        services.fairness_audit_of_ogrs3(by=police_admin, period_start=start, period_end=end, threshold=2)
    assert "threshold" in error.value.message_dict
