"""Training the partnership's own reoffending model, choosing the active version, and auditing
any score for fairness. Every change is checked first and audited; nothing is half-saved.

A model is there *to inform, never to decide*: its card says so, and says what it was built
from, how well it predicts, how fairly, and what it cannot do.
"""

from __future__ import annotations

import datetime as dt
import math
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.risk import dataset
from pathways.risk.models import FairnessAudit, LocalModel, ScoreKind

# Below this many people, five folds leave too few reoffenders in each to say anything.
MIN_ROWS = 50
MIN_EACH_OUTCOME = 10
MIN_JUSTIFICATION = 20
INTENDED_USE = (
    "To inform, never to decide. The model's probability is one piece of evidence a worker reads beside what they "
    "know of the person; the worker records their own judgement, and any override, with a reason. It must not be "
    "used alone to select, refuse or rank anyone."
)
LIMITS = [
    "It learns from proven offending only: offences that were not detected, or not proven, are invisible to it, and "
    "policing patterns (where and whom the police look at) shape what it learns.",
    "It is trained on the partnership's own people in one period; it may not hold for another area, another period "
    "or a group it saw few of (see the small-group warnings in the fairness section).",
    "A probability is a rate for people like this person, not a prediction about this person.",
    "Performance is measured by cross-validation on the same history; it is not a test on later people.",
]


def _model_input(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """The columns the estimator reads, of the kinds it was trained on (categories as text)."""
    data = frame[list(features)].copy()
    for name in features:
        if name in dataset.CATEGORICAL:
            data[name] = data[name].astype(str)
    return data


def _check_training(
    *, period_start: Any, period_end: Any, features: Sequence[str], justifications: Mapping[str, str], name: str
) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    offered = {**dataset.features_offered(), **dataset.REFUSED_FEATURES}
    if not name.strip():
        errors.setdefault("name", []).append("Enter a name for the model")
    latest = dataset.latest_complete_end(timezone.localdate())
    if not isinstance(period_start, dt.date) or not isinstance(period_end, dt.date):
        errors.setdefault("period_start", []).append("Enter the first and last days of the period")
    elif period_start > period_end:
        errors.setdefault("period_end", []).append("The period must end on or after the day it starts")
    elif period_end > latest:
        errors.setdefault("period_end", []).append(
            f"The period must end by {latest:%-d %B %Y}, so that every index event's 12-month follow-up and "
            "6-month wait for proof have ended"
        )
    if not features:
        errors.setdefault("features", []).append("Choose at least one feature")
    unknown = [f for f in features if f not in offered]
    if unknown:
        errors.setdefault("features", []).append(f"There is no feature called {', '.join(unknown)}")
    kept: dict[str, str] = {}
    for feature in features:
        if feature not in dataset.REFUSED_FEATURES:
            continue
        reason = (justifications.get(feature) or "").strip()
        if len(reason) < MIN_JUSTIFICATION:
            errors.setdefault(f"justification_{feature}", []).append(
                f"{dataset.REFUSED_FEATURES[feature]} stands in for a protected characteristic or where someone "
                f"lives: say why the model needs it (at least {MIN_JUSTIFICATION} characters), or leave it out"
            )
        kept[feature] = reason
    if errors:
        raise ValidationError(errors)
    return kept


def _card(
    *,
    table: dataset.HistoryTable,
    features: Sequence[str],
    justifications: Mapping[str, str],
    metrics: Mapping[str, Any],
) -> dict[str, Any]:
    labels = {**dataset.features_offered(), **dataset.REFUSED_FEATURES}
    return {
        "data": {
            "source": "The partnership's own records, as shared for performance analysis by: "
            + (", ".join(table.sources) or "no agency"),
            "period": f"Index events from {table.period_start:%-d %B %Y} to {table.period_end:%-d %B %Y}",
            "rows": table.rows,
            "base_rate": table.base_rate,
            "left_out": table.left_out,
            "unit": "One row a person: their first proven offence (conviction or caution, or release from custody) "
            "in the period.",
        },
        "outcome": dataset.OUTCOME_WORDS,
        "features": [
            {"name": f, "label": labels.get(f, f), "justification": justifications.get(f, "")} for f in features
        ],
        "performance": {
            "method": f"{metrics.get('folds', 5)}-fold cross-validation; figures are from the out-of-fold "
            "predictions, so no one is scored by a model that saw them",
            "auc": metrics.get("auc"),
            "brier": metrics.get("brier"),
            "model": metrics.get("model"),
        },
        "limits": LIMITS,
        "intended_use": INTENDED_USE,
        "groups": dict(dataset.GROUPS),
    }


def local_model_train(
    *,
    by: User,
    period_start: dt.date,
    period_end: dt.date,
    features: Sequence[str],
    justifications: Mapping[str, str] | None = None,
    name: str,
) -> LocalModel:
    """Train a new version on the history `by` may analyse, with its model card. Not active until
    someone makes it so."""
    from pathways.risk import training

    features = list(dict.fromkeys(features))
    kept = _check_training(
        period_start=period_start,
        period_end=period_end,
        features=features,
        justifications=justifications or {},
        name=name,
    )
    table = dataset.history_table(by, period_start=period_start, period_end=period_end)
    reoffended = int(table.frame[dataset.OUTCOME].sum()) if table.rows else 0
    if table.rows < MIN_ROWS or min(reoffended, table.rows - reoffended) < MIN_EACH_OUTCOME:
        raise ValidationError(
            {
                "period_start": [
                    f"The period has {table.rows} people with an index event, {reoffended} of whom reoffended: a "
                    f"model needs at least {MIN_ROWS} people, and {MIN_EACH_OUTCOME} who reoffended and "
                    f"{MIN_EACH_OUTCOME} who did not. Choose a longer period"
                ]
            }
        )
    try:
        result = training.train(
            table.frame,
            dataset.OUTCOME,
            features,
            groups=list(dataset.GROUPS),
            justifications=kept,
            folds=5,
            seed=0,
        )
    except training.RefusedFeature as refused:
        raise ValidationError({"features": [str(refused)]}) from refused
    except training.TrainingError as error:
        raise ValidationError({"period_start": [str(error).capitalize()]}) from error
    metrics = {**result.performance, "threshold": result.threshold, "model": result.model, "notes": result.notes}
    with transaction.atomic():
        version = (LocalModel.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
        model = LocalModel.objects.create(
            version=version,
            name=name.strip(),
            outcome=dataset.OUTCOME_WORDS,
            features=features,
            justifications=kept,
            data_from=period_start,
            data_to=period_end,
            rows=table.rows,
            base_rate=table.base_rate,
            performance=_jsonable(metrics),
            fairness=_jsonable(result.fairness or {}),
            card=_jsonable(_card(table=table, features=features, justifications=kept, metrics=metrics)),
            estimator=pickle.dumps(result.estimator),
            trained_by=by,
            active=False,
        )
        audit_record(
            user=by,
            action=AuditEvent.Action.CREATE,
            object_type="local_model",
            object_id=str(model.pk),
            detail={
                "version": version,
                "features": features,
                "justified": sorted(kept),
                "rows": table.rows,
                "period": [period_start.isoformat(), period_end.isoformat()],
                "auc": metrics.get("auc"),
            },
        )
    return model


def local_model_activate(*, by: User, model: LocalModel) -> LocalModel:
    """Make this version the one workers are shown; the one before stops being active."""
    with transaction.atomic():
        previous = list(LocalModel.objects.select_for_update().filter(active=True).exclude(pk=model.pk))
        LocalModel.objects.filter(pk__in=[m.pk for m in previous]).update(active=False)
        model.active = True
        model.save(update_fields=["active", "updated_at"])
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            object_type="local_model",
            object_id=str(model.pk),
            detail={"version": model.version, "active": True, "replaces": [m.version for m in previous]},
        )
    return model


def model_estimator(model: LocalModel) -> Any:
    # The estimator was pickled by this service from a model it trained itself; never from a file.
    return pickle.loads(model.estimator) if model.estimator else None  # noqa: S301


def _check_audit(
    *, title: str, filename: str, score_column: str, outcome_column: str, group_columns: Sequence[str], threshold: Any
) -> None:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors.setdefault("title", []).append("Enter a title for the audit")
    if not score_column.strip():
        errors.setdefault("score_column", []).append("Enter the name of the column that holds the score")
    if not outcome_column.strip():
        errors.setdefault("outcome_column", []).append("Enter the name of the column that holds the outcome")
    elif outcome_column == score_column:
        errors.setdefault("outcome_column", []).append("The outcome must be a different column from the score")
    if not group_columns:
        errors.setdefault("group_columns", []).append("Enter at least one column of groups, such as sex or ethnicity")
    clash = [g for g in group_columns if g in (score_column, outcome_column)]
    if clash:
        errors.setdefault("group_columns", []).append(f"{', '.join(clash)} is the score or the outcome, not a group")
    if len(set(group_columns)) != len(group_columns):
        errors.setdefault("group_columns", []).append("Each group column may be named only once")
    if not isinstance(threshold, int | float) or not math.isfinite(threshold):
        errors.setdefault("threshold", []).append("Enter the threshold as a number, like 0.5")
    if not filename.lower().endswith(".csv"):
        errors.setdefault("file", []).append(f"{filename or 'The file'} must be a CSV file")
    if errors:
        raise ValidationError(errors)


def fairness_audit_run(
    *,
    by: User,
    title: str,
    filename: str,
    content: bytes,
    score_column: str,
    outcome_column: str,
    group_columns: Sequence[str],
    threshold: float,
) -> FairnessAudit:
    """Audit a score supplied in a CSV file against the observed outcome in it. Every problem in
    the file is reported by row and column, and nothing is saved unless the whole file is sound.
    Only the figures are kept, never the file's rows."""
    from pathways.risk.fairness import audit
    from pathways.risk.tabular import TableError, read_table

    group_columns = [g.strip() for g in group_columns if g.strip()]
    score_column, outcome_column = score_column.strip(), outcome_column.strip()
    _check_audit(
        title=title,
        filename=filename,
        score_column=score_column,
        outcome_column=outcome_column,
        group_columns=group_columns,
        threshold=threshold,
    )
    try:
        frame = read_table(
            content,
            filename,
            required=[score_column, outcome_column, *group_columns],
            numeric=[score_column],
            binary=[outcome_column],
        )
        result = audit(
            frame[score_column].tolist(),
            frame[outcome_column].tolist(),
            {g: frame[g].astype(str).tolist() for g in group_columns},
            float(threshold),
        )
    except TableError as error:
        raise ValidationError({"file": error.problems}) from error
    except ValueError as error:
        raise ValidationError({"file": [f"{filename}: {error}"]}) from error
    return _save_audit(
        by=by,
        title=title,
        kind=ScoreKind.VENDOR,
        filename=filename,
        score_column=score_column,
        outcome_column=outcome_column,
        group_columns=group_columns,
        threshold=float(threshold),
        result=result,
    )


def _save_audit(
    *,
    by: User,
    title: str,
    kind: str,
    filename: str,
    score_column: str,
    outcome_column: str,
    group_columns: Sequence[str],
    threshold: float,
    result: dict[str, Any],
) -> FairnessAudit:
    with transaction.atomic():
        saved = FairnessAudit.objects.create(
            title=title.strip(),
            score_kind=kind,
            filename=filename,
            score_column=score_column,
            outcome_column=outcome_column,
            group_columns=list(group_columns),
            threshold=threshold,
            result=_jsonable(result),
            by=by,
            agency=by.agency,
        )
        audit_record(
            user=by,
            action=AuditEvent.Action.CREATE,
            object_type="fairness_audit",
            object_id=str(saved.pk),
            detail={
                "title": saved.title,
                "score": kind,
                "filename": filename,
                "rows": (result.get("overall") or {}).get("n"),
                "groups": list(group_columns),
                "threshold": threshold,
            },
        )
    return saved


def _history_for_audit(*, by: User, period_start: Any, period_end: Any, threshold: Any) -> dataset.HistoryTable:
    errors: dict[str, list[str]] = {}
    if not isinstance(period_start, dt.date) or not isinstance(period_end, dt.date):
        errors["period_start"] = ["Enter the first and last days of the period"]
    elif period_start > period_end:
        errors["period_end"] = ["The period must end on or after the day it starts"]
    elif period_end > dataset.latest_complete_end(timezone.localdate()):
        errors["period_end"] = [
            f"The period must end by {dataset.latest_complete_end(timezone.localdate()):%-d %B %Y}, so that "
            "every follow-up has ended"
        ]
    if not isinstance(threshold, int | float) or not 0 < threshold < 1:
        errors["threshold"] = ["The threshold is a probability: enter a number between 0 and 1, like 0.5"]
    if errors:
        raise ValidationError(errors)
    table = dataset.history_table(by, period_start=period_start, period_end=period_end)
    if table.rows == 0:
        raise ValidationError({"period_start": ["No one had an index event in that period"]})
    return table


def _period_words(start: dt.date, end: dt.date) -> str:
    return f"{start:%-d %b %Y} to {end:%-d %b %Y}"


def fairness_audit_of_model(
    *, by: User, model: LocalModel, period_start: dt.date, period_end: dt.date, threshold: float
) -> FairnessAudit:
    """Audit a version of the partnership's model against what happened to the people with an
    index event in a period (ideally one it was not trained on), by sex, ethnicity and age band."""
    from pathways.risk.fairness import audit

    table = _history_for_audit(by=by, period_start=period_start, period_end=period_end, threshold=threshold)
    scores = model_estimator(model).predict_proba(_model_input(table.frame, model.features))[:, 1]
    result = audit(
        scores.tolist(),
        table.frame[dataset.OUTCOME].tolist(),
        {g: table.frame[g].astype(str).tolist() for g in dataset.GROUPS},
        threshold,
    )
    return _save_audit(
        by=by,
        title=f"{model.name} (version {model.version}), {_period_words(period_start, period_end)}",
        kind=ScoreKind.LOCAL_MODEL,
        filename="",
        score_column=f"local model version {model.version}",
        outcome_column=dataset.OUTCOME,
        group_columns=list(dataset.GROUPS),
        threshold=threshold,
        result=result,
    )


def fairness_audit_of_ogrs3(*, by: User, period_start: dt.date, period_end: dt.date, threshold: float) -> FairnessAudit:
    """Audit OGRS3's two-year probability against what happened in the year after each index
    event in a period. OGRS3 predicts two years and this outcome is one, so it over-predicts by
    design: its ranking (AUC) and the differences between groups are what to read."""
    from pathways.risk.fairness import audit

    if not dataset.ogrs3_available():
        raise ValidationError({"period_start": ["OGRS3 is not available yet"]})
    table = _history_for_audit(by=by, period_start=period_start, period_end=period_end, threshold=threshold)
    scored = table.frame[table.frame["ogrs3_2y"].notna()]
    if scored.empty:
        raise ValidationError({"period_start": ["No one in that period could be scored by OGRS3"]})
    result = audit(
        scored["ogrs3_2y"].astype(float).tolist(),
        scored[dataset.OUTCOME].tolist(),
        {g: scored[g].astype(str).tolist() for g in dataset.GROUPS},
        threshold,
    )
    unscored = table.rows - len(scored)
    result.setdefault("notes", [])
    result["notes"].append(
        "OGRS3 gives a two-year probability; the outcome here is proven reoffending within one year, so its "
        "probabilities are higher than what happened by design. Compare the groups with each other."
    )
    if unscored:
        result["notes"].append(
            f"{unscored} people could not be scored by OGRS3 (sex not recorded as male or female, or younger than 10) "
            "and are left out."
        )
    return _save_audit(
        by=by,
        title=f"OGRS3, {_period_words(period_start, period_end)}",
        kind=ScoreKind.OGRS3,
        filename="",
        score_column="OGRS3 two-year probability",
        outcome_column=dataset.OUTCOME,
        group_columns=list(dataset.GROUPS),
        threshold=threshold,
        result=result,
    )


def _jsonable(value: Any) -> Any:
    """Plain JSON: NumPy numbers become floats and ints, NaN becomes null."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def active_model() -> LocalModel | None:
    """The version workers are shown, if an analyst has made one active."""
    return LocalModel.objects.filter(active=True).first()


def model_score_words(model: LocalModel) -> str:
    """How a judgement names the score it was made beside, so the overrides report can tell versions apart."""
    return f"local model v{model.version}"


@dataclass
class PersonModelScore:
    """The active model's probability for one person today, with the features it read, or why
    it cannot be worked out."""

    model: LocalModel
    features: list[tuple[str, str, Any]]  # (name, label, value) in the model's order
    index_date: dt.date | None = None
    probability: float | None = None
    reason: str = ""

    @property
    def percent(self) -> str:
        return f"{self.probability * 100:.0f}" if self.probability is not None else ""


def person_model_score(person: Any, today: dt.date, model: LocalModel | None = None) -> PersonModelScore | None:
    """The active model's probability of a proven reoffence within a year for `person`, from their
    features as known on `today` (None when no version is active). The caller has checked that
    the viewer may see everything the features rest on."""
    model = model or active_model()
    if model is None:
        return None
    labels = {**dataset.features_offered(), **dataset.REFUSED_FEATURES}
    known = dataset.person_features(person, today)
    if known.row is None:
        return PersonModelScore(model=model, features=[], reason=known.reason)
    row = known.row
    features = [(name, labels.get(name, name), row.get(name)) for name in model.features]
    score = PersonModelScore(model=model, features=features, index_date=row["index_date"])
    missing = [label for _, label, value in features if value is None]
    if missing:
        score.reason = f"It cannot be worked out for this person: {', '.join(missing).lower()} is not known."
        return score
    estimator = model_estimator(model)
    if estimator is None:
        score.reason = "The active version has no fitted model kept with it."
        return score
    score.probability = float(estimator.predict_proba(_model_input(pd.DataFrame([row]), model.features))[0, 1])
    return score
