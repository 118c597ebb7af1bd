"""The fairness audit: its figures against an independent computation with scikit-learn, and the
properties any audit must have whatever the data."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, confusion_matrix, precision_score, roc_auc_score

from pathways.risk.fairness import audit, calibration_bins, delong_interval


def synthetic(n: int = 600, seed: int = 3):
    """Scores that are better for one ethnic group than another, so the groups really differ."""
    rng = np.random.default_rng(seed)
    ethnicity = rng.choice(["Asian", "Black", "Mixed", "White"], n, p=[0.2, 0.15, 0.05, 0.6])
    sex = rng.choice(["Female", "Male"], n, p=[0.2, 0.8])
    risk = rng.random(n)
    outcome = (rng.random(n) < risk).astype(int)
    noise = np.where(ethnicity == "Black", 0.35, 0.1)
    score = np.clip(risk + rng.normal(0, noise), 0, 1)
    return score, outcome, {"ethnicity": ethnicity.tolist(), "sex": sex.tolist()}


def independent(score, outcome, threshold):
    """The same figures from scikit-learn alone."""
    predicted = (np.asarray(score) >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(outcome, predicted, labels=[0, 1]).ravel()
    return {
        "n": len(outcome),
        "base_rate": float(np.mean(outcome)),
        "auc": roc_auc_score(outcome, score),
        "fpr": fp / (fp + tn),
        "fnr": fn / (fn + tp),
        "ppv": precision_score(outcome, predicted, zero_division=0),
        "accuracy": accuracy_score(outcome, predicted),
    }


def test_the_audit_matches_scikit_learn_overall_and_for_every_group():
    score, outcome, groups = synthetic()
    result = audit(score.tolist(), outcome.tolist(), groups, threshold=0.5)
    expected = independent(score, outcome, 0.5)
    assert set(result["overall"]) == set(expected)
    for key, value in expected.items():
        assert result["overall"][key] == pytest.approx(value, abs=5e-5), key
    for column, labels in groups.items():
        labels = np.asarray(labels)
        assert set(result["groups"][column]) == set(labels)
        for value, figures in result["groups"][column].items():
            chosen = labels == value
            for key, number in independent(score[chosen], outcome[chosen], 0.5).items():
                assert figures[key] == pytest.approx(number, abs=5e-5), (column, value, key)
    # The planted difference shows: the noisier scores for one group rank people worse.
    assert result["groups"]["ethnicity"]["Black"]["auc"] < result["groups"]["ethnicity"]["White"]["auc"] - 0.1


def test_the_result_is_json_safe_with_intervals_calibration_and_small_group_flags():
    score, outcome, groups = synthetic()
    result = audit(score, outcome, groups, threshold=0.4)
    text = json.dumps(result, allow_nan=False)
    assert json.loads(text) == result
    assert result["threshold"] == 0.4
    assert result["small"]["ethnicity"]["Mixed"] is (result["groups"]["ethnicity"]["Mixed"]["n"] < 30)
    assert result["small"]["ethnicity"]["White"] is False
    assert result["calibration"]["kind"] == "probability"
    assert len(result["calibration"]["overall"]) == 10
    assert sum(b["n"] for b in result["calibration"]["overall"]) == 600
    for bin_ in result["calibration"]["groups"]["sex"]["Female"]:
        assert bin_["mean_predicted"] is not None and 0 <= bin_["observed"] <= 1
    assert set(result["intervals"]["groups"]["ethnicity"]["Asian"]) == {
        "base_rate",
        "auc",
        "fpr",
        "fnr",
        "ppv",
        "accuracy",
    }


def test_a_group_with_one_outcome_has_no_auc_and_says_so_rather_than_crashing():
    score = [0.9, 0.8, 0.2, 0.1, 0.7, 0.3]
    outcome = [1, 1, 1, 0, 1, 0]
    groups = {"sex": ["Male", "Male", "Male", "Female", "Male", "Female"]}
    result = audit(score, outcome, groups, threshold=0.5)
    male = result["groups"]["sex"]["Male"]
    female = result["groups"]["sex"]["Female"]
    assert male["auc"] is None and female["auc"] is None
    # No one in the male group did not reoffend, so there is no false-positive rate to speak of.
    assert male["fpr"] is None and male["fnr"] == 0.25
    # No woman was predicted to reoffend: no positive predictive value, and no false negatives possible.
    assert female["ppv"] is None and female["fnr"] is None
    assert result["intervals"]["groups"]["sex"]["Male"]["auc"] is None
    assert any("sex = Male: no AUC" in note for note in result["notes"])
    assert any("only 4 people" in note for note in result["notes"])


def test_a_vendor_scale_is_calibrated_by_score_value_not_as_a_probability():
    rng = np.random.default_rng(5)
    score = rng.integers(1, 11, 500)
    outcome = (rng.random(500) < score / 11).astype(int)
    result = audit(score, outcome, {}, threshold=6)
    bins = result["calibration"]["overall"]
    assert result["calibration"]["kind"] == "score"
    assert [b["low"] for b in bins] == list(range(1, 11))
    assert all(b["mean_predicted"] is None for b in bins)
    assert bins[-1]["observed"] > bins[0]["observed"]


def test_small_groups_get_fewer_calibration_bins():
    rng = np.random.default_rng(1)
    assert len(calibration_bins(rng.random(25), rng.integers(0, 2, 25), probability=True)) == 2
    assert len(calibration_bins(rng.random(5), rng.integers(0, 2, 5), probability=True)) == 1


def test_the_delong_interval_agrees_with_the_hanley_mcneil_approximation():
    rng = np.random.default_rng(2)
    outcome = rng.integers(0, 2, 2000)
    score = outcome + rng.normal(0, 1.2, 2000)
    low, high = delong_interval(score, outcome)
    auc = roc_auc_score(outcome, score)
    m, n = outcome.sum(), len(outcome) - outcome.sum()
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    hanley = math.sqrt((auc * (1 - auc) + (m - 1) * (q1 - auc**2) + (n - 1) * (q2 - auc**2)) / (m * n))
    assert (high - low) / (2 * 1.96) == pytest.approx(hanley, rel=0.1)
    assert low < auc < high


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="0 or 1"):
        audit([0.1, 0.2], [0, 2], {}, 0.5)
    with pytest.raises(ValueError, match="2 scores but 3 outcomes"):
        audit([0.1, 0.2], [0, 1, 1], {}, 0.5)
    with pytest.raises(ValueError, match="no one"):
        audit([], [], {}, 0.5)


people = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0, 1, allow_nan=False), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(people, st.floats(0, 1))
def test_rates_are_proportions_and_intervals_contain_their_estimate(data, threshold):
    score, outcome, group = data
    result = audit(score, outcome, {"group": group}, threshold)
    json.dumps(result, allow_nan=False)
    sets = [(result["overall"], result["intervals"]["overall"])]
    sets += [
        (result["groups"]["group"][v], result["intervals"]["groups"]["group"][v]) for v in result["groups"]["group"]
    ]
    for figures, intervals in sets:
        for key in ("base_rate", "auc", "fpr", "fnr", "ppv", "accuracy"):
            value = figures[key]
            if value is None:
                assert intervals[key] is None
                continue
            assert 0 <= value <= 1
            if intervals[key] is not None:
                low, high = intervals[key]
                assert 0 <= low <= value <= high <= 1


@settings(max_examples=60, deadline=None)
@given(people, st.floats(0, 1), st.floats(0, 1))
def test_raising_the_threshold_never_raises_the_false_positive_rate(data, first, second):
    score, outcome, _ = data
    low, high = sorted([first, second])
    at_low = audit(score, outcome, {}, low)["overall"]["fpr"]
    at_high = audit(score, outcome, {}, high)["overall"]["fpr"]
    if at_low is not None:
        assert at_high <= at_low


@settings(max_examples=40, deadline=None)
@given(people, st.floats(0, 1), st.randoms(use_true_random=False))
def test_the_order_of_the_rows_changes_nothing(data, threshold, random):
    score, outcome, group = data
    order = list(range(len(score)))
    random.shuffle(order)
    shuffled = audit(
        [score[i] for i in order], [outcome[i] for i in order], {"g": [group[i] for i in order]}, threshold
    )
    original = audit(score, outcome, {"g": group}, threshold)
    # Sums in another order can differ in the 16th digit, which rounding to 4 places can expose.
    assert json.dumps(shuffled, sort_keys=True) == json.dumps(original, sort_keys=True) or _close(shuffled, original)


def _close(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-4
    return a == b
