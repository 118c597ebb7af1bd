"""The fairness audit of a score against an observed outcome: how well it ranks people (AUC), how
well its numbers match what happened (calibration), and at a chosen threshold the errors it makes
(false-positive and false-negative rates, positive predictive value, accuracy) — overall and for
each group of each protected characteristic, with 95% confidence intervals.

Pure: numbers in, a JSON-safe dict out. The pages and `pathways risk audit` both call `audit`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from pathways.analytics.measures import wilson_interval

Z95 = 1.959963984540054
# Under this many people a group's figures are shown with a warning: intervals are wide and one
# or two people change a rate by several points.
SMALL_GROUP = 30
METRICS = ("n", "base_rate", "auc", "fpr", "fnr", "ppv", "accuracy")
# A score with at most this many distinct values (a 1–10 vendor scale, a band) is calibrated value
# by value; more than this, in equal-count bands.
MAX_SCORE_VALUES = 20


def _r(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if not math.isfinite(value) else round(value, 4)


def _ratio(top: int, bottom: int) -> float | None:
    return top / bottom if bottom else None


def _interval(point: float | None, bounds: tuple[float, float] | None) -> list[float | None] | None:
    if point is None or bounds is None:
        return None
    # Rounding can push a bound past the estimate by 1e-16; the interval must contain it.
    low, high = min(bounds[0], point), max(bounds[1], point)
    return [_r(low), _r(high)]


def delong_interval(score: np.ndarray, outcome: np.ndarray) -> tuple[float, float] | None:
    """The 95% interval for the AUC by DeLong's method (DeLong, DeLong and Clarke-Pearson, 1988),
    computed with midranks as in Sun and Xu (2014), so tied scores count half. None when either
    outcome class has fewer than two people (the variance is undefined). With perfect separation
    the variance is zero and the interval collapses to the point: read it with the group size."""
    positives, negatives = score[outcome == 1], score[outcome == 0]
    m, n = len(positives), len(negatives)
    if m < 2 or n < 2:
        return None
    all_ranks = rankdata(np.concatenate([positives, negatives]))
    v10 = (all_ranks[:m] - rankdata(positives)) / n
    v01 = 1.0 - (all_ranks[m:] - rankdata(negatives)) / m
    auc = float(v10.mean())
    variance = float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    half = Z95 * math.sqrt(max(variance, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def _measures(score: np.ndarray, outcome: np.ndarray, threshold: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """The seven figures for one set of people and their 95% intervals."""
    n = len(outcome)
    predicted = score >= threshold
    actual = outcome == 1
    tp = int(np.sum(predicted & actual))
    fp = int(np.sum(predicted & ~actual))
    fn = int(np.sum(~predicted & actual))
    tn = int(np.sum(~predicted & ~actual))
    positives, negatives = tp + fn, fp + tn
    auc = float(roc_auc_score(outcome, score)) if positives and negatives else None
    figures: dict[str, Any] = {
        "n": n,
        "base_rate": _ratio(positives, n),
        "auc": auc,
        "fpr": _ratio(fp, negatives),
        "fnr": _ratio(fn, positives),
        "ppv": _ratio(tp, tp + fp),
        "accuracy": _ratio(tp + tn, n),
    }
    intervals = {
        "base_rate": _interval(figures["base_rate"], wilson_interval(positives, n)),
        "auc": _interval(auc, delong_interval(score, outcome) if auc is not None else None),
        "fpr": _interval(figures["fpr"], wilson_interval(fp, negatives)),
        "fnr": _interval(figures["fnr"], wilson_interval(fn, positives)),
        "ppv": _interval(figures["ppv"], wilson_interval(tp, tp + fp)),
        "accuracy": _interval(figures["accuracy"], wilson_interval(tp + tn, n)),
    }
    rounded = {key: (value if key == "n" else _r(value)) for key, value in figures.items()}
    return rounded, intervals


def is_probability(score: np.ndarray) -> bool:
    return bool(len(score)) and bool(np.all((score >= 0.0) & (score <= 1.0)))


def _bin_count(n: int) -> int:
    # Deciles need about ten people a bin to say anything; smaller groups get fewer, wider bins.
    return max(1, min(10, n // 10))


def calibration_bins(score: np.ndarray, outcome: np.ndarray, *, probability: bool) -> list[dict[str, Any]]:
    """Predicted against observed, bin by bin.

    For probabilities: equal-count bins by score (deciles, or fewer for small groups), each with the
    mean predicted probability and the observed rate. For any other score (a 1–10 scale, a band):
    each distinct score value, or equal-count bands when there are many values, with the observed
    rate; `mean_predicted` is then null because the score is not a probability to compare with.
    Bins are cut on score values, not positions, so tied scores always share a bin.
    """
    if not len(score):
        return []
    values = np.unique(score)
    if not probability and len(values) <= MAX_SCORE_VALUES:
        edges = np.append(values, values[-1])
        assignment = np.searchsorted(values, score)
    else:
        quantiles = np.quantile(score, np.linspace(0.0, 1.0, _bin_count(len(score)) + 1))
        edges = np.unique(quantiles)
        if len(edges) < 2:
            edges = np.array([edges[0], edges[0]])
        # Interior edges split the bins; a score equal to an edge goes to the bin above it.
        assignment = np.searchsorted(edges[1:-1], score, side="right")
    bins = []
    for index in range(len(edges) - 1):
        chosen = assignment == index
        n = int(chosen.sum())
        if not n:
            continue
        in_bin, observed_in_bin = score[chosen], outcome[chosen]
        reoffended = int(observed_in_bin.sum())
        observed = reoffended / n
        bins.append(
            {
                "low": _r(in_bin.min()),
                "high": _r(in_bin.max()),
                "n": n,
                "mean_score": _r(in_bin.mean()),
                "mean_predicted": _r(in_bin.mean()) if probability else None,
                "observed": _r(observed),
                "observed_interval": _interval(observed, wilson_interval(reoffended, n)),
            }
        )
    return bins


def audit(
    score: Sequence[float],
    outcome: Sequence[int],
    groups: Mapping[str, Sequence[str]],
    threshold: float,
) -> dict[str, Any]:
    """Audit a score against what happened.

    Args:
        score: one score per person; higher means more likely to reoffend.
        outcome: 1 if the person reoffended, 0 if not.
        groups: for each protected characteristic (a column name), each person's group.
        threshold: a score at or above it counts as "predicted to reoffend".

    Returns:
        {"overall": {n, base_rate, auc, fpr, fnr, ppv, accuracy}, "groups": {column: {value: {…}}},
        "threshold", "intervals" (95%: Wilson for rates, DeLong for AUC), "calibration",
        "small" (groups under 30 people) and "notes" (why a figure is missing). A figure that
        cannot be defined for a group (no one reoffended, so no false-negative rate) is null.
    """
    scores = np.asarray(score, dtype=float)
    outcomes = np.asarray(outcome)
    if scores.ndim != 1 or outcomes.shape != scores.shape:
        raise ValueError(f"{len(scores)} scores but {len(outcomes)} outcomes; each person needs both")
    if not len(scores):
        raise ValueError("there is no one to audit")
    if not np.all(np.isfinite(scores)):
        raise ValueError("every score must be a number")
    if not np.all(np.isin(outcomes, (0, 1))):
        raise ValueError("every outcome must be 0 or 1 (1 = reoffended)")
    if not math.isfinite(threshold):
        raise ValueError("the threshold must be a number")
    outcomes = outcomes.astype(int)
    for column, values in groups.items():
        if len(values) != len(scores):
            raise ValueError(f"group column {column} has {len(values)} values for {len(scores)} people")

    probability = is_probability(scores)
    overall, overall_intervals = _measures(scores, outcomes, threshold)
    notes: list[str] = []
    if overall["auc"] is None:
        notes.append(
            "Overall: the AUC needs people who reoffended and people who did not; everyone had the same outcome."
        )
    result: dict[str, Any] = {
        "overall": overall,
        "groups": {},
        "threshold": _r(threshold),
        "intervals": {"overall": overall_intervals, "groups": {}},
        "calibration": {
            "kind": "probability" if probability else "score",
            "overall": calibration_bins(scores, outcomes, probability=probability),
            "groups": {},
        },
        "small": {},
        "notes": notes,
    }
    for column, values in groups.items():
        labels = np.asarray([str(value) for value in values], dtype=object)
        result["groups"][column] = {}
        result["intervals"]["groups"][column] = {}
        result["calibration"]["groups"][column] = {}
        result["small"][column] = {}
        for value in sorted(set(labels)):
            chosen = labels == value
            figures, intervals = _measures(scores[chosen], outcomes[chosen], threshold)
            result["groups"][column][value] = figures
            result["intervals"]["groups"][column][value] = intervals
            result["calibration"]["groups"][column][value] = calibration_bins(
                scores[chosen], outcomes[chosen], probability=probability
            )
            result["small"][column][value] = figures["n"] < SMALL_GROUP
            if figures["auc"] is None:
                notes.append(
                    f"{column} = {value}: no AUC, because everyone in this group "
                    f"{'reoffended' if figures['base_rate'] == 1 else 'did not reoffend'}."
                )
            if figures["n"] < SMALL_GROUP:
                notes.append(f"{column} = {value}: only {figures['n']} people; read its figures with their intervals.")
    return result
