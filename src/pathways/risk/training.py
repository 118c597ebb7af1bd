"""Training a reoffending model on the partnership's own history, validated as it will be used.

The model is a scikit-learn pipeline: blank numbers filled with the median and scaled, categories
one-hot encoded (a category not seen in training counts as none of them), then a logistic
regression — a model whose weights a panel can read — recalibrated with Platt's sigmoid
(`CalibratedClassifierCV(method="sigmoid")`, three inner folds). Isotonic calibration is not used:
it over-fits the few hundred rows a partnership typically has.

Performance is measured on out-of-fold predictions from stratified k-fold cross-validation (five
folds by default): each person is scored by a model that never saw them, and the calibration is
fitted inside each training fold, so the figures are not flattered by the calibration step.

Features that stand in for a protected characteristic or for where someone lives are refused by
default (see REFUSED): Durham's HART model was criticised for using postcodes and Experian Mosaic
codes, which carry deprivation and ethnicity into a score about a person. Such a feature is used
only with a written justification, which is kept for the model card.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from pathways.risk.fairness import _r, audit, calibration_bins, delong_interval

MIN_ROWS = 50
MODEL_DESCRIPTION = (
    "Logistic regression (scikit-learn) on scaled numbers and one-hot categories, recalibrated "
    "with Platt's sigmoid inside each cross-validation fold"
)

# Name patterns, matched against each word (with any trailing digits) of a column name (split at punctuation, spaces and
# camelCase), for features refused unless justified. Conservative on purpose: a false alarm costs
# one sentence of justification; a missed proxy costs a biased score.
REFUSED: dict[str, str] = {
    r"sex|sexes|gender|genders": "sex or gender (a protected characteristic)",
    r"sexual(ity)?|orientation": "sexual orientation (a protected characteristic)",
    r"trans|transgender": "gender reassignment (a protected characteristic)",
    r"ethnic\w*|race|races|racial|colou?r|skin": "ethnicity or race (a protected characteristic)",
    r"religio\w*|belief|beliefs|faith": "religion or belief (a protected characteristic)",
    r"disab\w*|impairment": "disability (a protected characteristic)",
    r"pregnan\w*|maternity|marital|married|marriage": "pregnancy, maternity or marriage (protected)",
    r"nationality|nationalities|citizenship|immigration|asylum|birthplace": "nationality (a proxy for race)",
    r"postcodes?|postal|zip|address\w*|street": "where someone lives (postcode or address)",
    r"area|areas|ward|wards|lsoa|msoa|oa|district|borough|county|region|parish": "where someone lives (area)",
    r"town|city|village|neighbou?rhood|estate|beat|sector": "where someone lives (area)",
    r"location|geo\w*|lat|latitude|lon|lng|longitude|easting|northing|coordinates?": "where someone lives (location)",
    r"imd|deprivation|mosaic|acorn": "where someone lives (area deprivation or classification, as in HART)",
}
# Multi-word names checked against the whole name with words joined by "_".
REFUSED_PHRASES: dict[str, str] = {
    "post_code": "where someone lives (postcode or address)",
    "country_of_birth": "nationality (a proxy for race)",
    "first_language": "nationality or ethnicity (a proxy)",
}
# "sex offence" and its kin describe offending history, not a person's sex.
NOT_REFUSED_AFTER = {"sex": {"offence", "offences", "offending", "offender", "offenders", "offense", "offenses"}}


class TrainingError(ValueError):
    """The data cannot train a model (too few rows, one outcome, missing columns…)."""


class RefusedFeature(ValueError):
    """A feature that stands in for a protected characteristic or for where someone lives, used
    without a justification."""

    def __init__(self, feature: str, reason: str) -> None:
        self.feature = feature
        self.reason = reason
        super().__init__(
            f"the feature '{feature}' is refused by default: it looks like {reason}. Leave it out, or give a "
            f'reason it is needed (--justify {feature}="…" on the command line); the reason goes on the model card'
        )


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word]


def refused_reason(feature: str) -> str | None:
    """Why a feature is refused by default, or None when it is not."""
    words = _words(feature)
    for position, word in enumerate(words):
        following = words[position + 1] if position + 1 < len(words) else ""
        if following in NOT_REFUSED_AFTER.get(word, set()):
            continue
        for pattern, reason in REFUSED.items():
            # Trailing digits are a census year or a version: lsoa11, ward2021.
            if re.fullmatch(rf"(?:{pattern})\d*", word):
                return reason
    joined = "_".join(words)
    for phrase, reason in REFUSED_PHRASES.items():
        if re.search(rf"(^|_){phrase}(_|$)", joined):
            return reason
    return None


def check_features(features: Sequence[str], justifications: Mapping[str, str]) -> dict[str, str]:
    """Raise RefusedFeature for the first refused feature without a justification; return the
    justifications that were needed (for the model card)."""
    used: dict[str, str] = {}
    for feature in features:
        reason = refused_reason(feature)
        if reason is None:
            continue
        given = (justifications.get(feature) or "").strip()
        if not given:
            raise RefusedFeature(feature, reason)
        used[feature] = given
    return used


@dataclass
class TrainingResult:
    """A trained model and how it performed on people it had not seen."""

    estimator: Any
    performance: dict[str, Any]
    predictions: np.ndarray
    features: list[str]
    numeric: list[str]
    categorical: list[str]
    justifications: dict[str, str]
    threshold: float
    fairness: dict[str, Any] | None = None
    model: str = MODEL_DESCRIPTION
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = {
            **self.performance,
            "threshold": _r(self.threshold),
            "features": self.features,
            "numeric": self.numeric,
            "categorical": self.categorical,
            "justifications": self.justifications,
            "model": self.model,
            "notes": self.notes,
        }
        if self.fairness is not None:
            out["fairness"] = self.fairness
        return out


def _split_kinds(frame: pd.DataFrame, features: Sequence[str]) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Numbers stay numbers (even when read as text); anything else is a category."""
    data = pd.DataFrame(index=frame.index)
    numeric, categorical = [], []
    for feature in features:
        column = frame[feature]
        if pd.api.types.is_bool_dtype(column):
            data[feature] = column.astype(float)
            numeric.append(feature)
            continue
        converted = pd.to_numeric(column, errors="coerce")
        blank = column.isna() | column.astype(str).str.strip().isin(["", "Not recorded"])
        if converted[~blank].notna().all() and (~blank).any():
            data[feature] = converted.where(~blank)
            numeric.append(feature)
        else:
            data[feature] = column.astype(str)
            categorical.append(feature)
    return data, numeric, categorical


def build_pipeline(numeric: Sequence[str], categorical: Sequence[str], *, seed: int, inner_folds: int) -> Any:
    """The model: preprocessing and logistic regression, wrapped in sigmoid calibration."""
    steps = []
    if numeric:
        steps.append(
            (
                "numbers",
                Pipeline([("fill", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                list(numeric),
            )
        )
    if categorical:
        steps.append(("categories", OneHotEncoder(handle_unknown="ignore"), list(categorical)))
    base = Pipeline(
        [("prepare", ColumnTransformer(steps)), ("model", LogisticRegression(max_iter=2000, random_state=seed))]
    )
    return CalibratedClassifierCV(
        base, method="sigmoid", cv=StratifiedKFold(inner_folds, shuffle=True, random_state=seed)
    )


def train(
    frame: pd.DataFrame,
    outcome: str,
    features: Sequence[str],
    *,
    groups: Sequence[str] = (),
    justifications: Mapping[str, str] = {},
    folds: int = 5,
    seed: int = 0,
    threshold: float | None = None,
) -> TrainingResult:
    """Cross-validate, calibrate and fit a reoffending model; audit its out-of-fold scores.

    Args:
        frame: one row per person.
        outcome: the 0/1 column (1 = reoffended).
        features: the columns the model may use. Group columns are used only for the audit and
            are never features unless listed here (and then the refused-feature rule applies).
        groups: columns to audit the out-of-fold predictions by (sex, ethnicity…).
        justifications: a reason for each refused-by-default feature that is used anyway.
        folds: cross-validation folds (stratified by outcome).
        seed: makes the folds and the model reproducible.
        threshold: the score at or above which the audit counts someone as "predicted to
            reoffend"; by default the base rate, i.e. flagging people more likely than average
            (0.5 would flag almost no one when fewer than half reoffend).

    Raises:
        RefusedFeature: a refused-by-default feature without a justification.
        TrainingError: missing columns, fewer than 50 rows, one outcome class, too few of the
            rarer outcome for the folds.
    """
    features = list(dict.fromkeys(features))
    if not features:
        raise TrainingError("name at least one feature for the model to use")
    if outcome in features:
        raise TrainingError(f"the outcome '{outcome}' cannot also be a feature")
    missing = [name for name in [outcome, *features, *groups] if name not in frame.columns]
    if missing:
        raise TrainingError(
            f"no such column: {', '.join(missing)}; the columns present are {', '.join(map(str, frame.columns))}"
        )
    needed = check_features(features, justifications)
    if folds < 2:
        raise TrainingError("cross-validation needs at least 2 folds")
    n = len(frame)
    if n < MIN_ROWS:
        raise TrainingError(f"only {n} rows: a model needs at least {MIN_ROWS} people to train and validate")
    y = pd.to_numeric(frame[outcome], errors="coerce")
    if not y.isin([0, 1]).all():
        raise TrainingError(f"the outcome '{outcome}' must be 0 or 1 in every row (1 = reoffended)")
    y_values = y.to_numpy(dtype=int)
    rarer = int(min(y_values.sum(), n - y_values.sum()))
    if rarer == 0:
        raise TrainingError(
            f"everyone has the same outcome ({'reoffended' if y_values[0] else 'did not reoffend'}): "
            "there is nothing for a model to learn"
        )
    if rarer < max(folds, 3) + 1:
        raise TrainingError(
            f"only {rarer} people have the rarer outcome; {folds}-fold cross-validation needs at least {max(folds, 3) + 1}"
        )
    x, numeric, categorical = _split_kinds(frame, features)

    outer = StratifiedKFold(folds, shuffle=True, random_state=seed)
    predictions = np.zeros(n)
    fold_aucs: list[float | None] = []
    for train_rows, test_rows in outer.split(x, y_values):
        train_rarer = int(min(y_values[train_rows].sum(), len(train_rows) - y_values[train_rows].sum()))
        model = build_pipeline(numeric, categorical, seed=seed, inner_folds=min(3, train_rarer))
        model.fit(x.iloc[train_rows], y_values[train_rows])
        predictions[test_rows] = model.predict_proba(x.iloc[test_rows])[:, 1]
        held = y_values[test_rows]
        fold_aucs.append(_r(roc_auc_score(held, predictions[test_rows])) if 0 < held.sum() < len(held) else None)

    final = build_pipeline(numeric, categorical, seed=seed, inner_folds=min(3, rarer))
    final.fit(x, y_values)

    base_rate = float(y_values.mean())
    auc = float(roc_auc_score(y_values, predictions))
    interval = delong_interval(predictions, y_values)
    performance = {
        "auc": _r(auc),
        "auc_interval": [_r(min(interval[0], auc)), _r(max(interval[1], auc))] if interval else None,
        "brier": _r(brier_score_loss(y_values, predictions)),
        # The Brier score of always predicting the base rate: a useful model does better.
        "brier_baseline": _r(base_rate * (1 - base_rate)),
        "calibration": calibration_bins(predictions, y_values, probability=True),
        "folds": fold_aucs,
        "base_rate": _r(base_rate),
        "n": n,
    }
    cut = base_rate if threshold is None else threshold
    fairness = None
    if groups:
        fairness = audit(predictions, y_values, {g: frame[g].astype(str).tolist() for g in groups}, cut)
    notes = []
    if auc < 0.6:
        notes.append("The AUC is under 0.6: the model ranks people little better than chance.")
    return TrainingResult(
        estimator=final,
        performance=performance,
        predictions=predictions,
        features=features,
        numeric=numeric,
        categorical=categorical,
        justifications=needed,
        threshold=cut,
        fairness=fairness,
        notes=notes,
    )
