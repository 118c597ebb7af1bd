"""The matching and the statistics, on synthetic tables: no database."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.evaluation.matching import (
    EvaluationError,
    evaluate,
    match,
    paired_difference,
    two_proportions,
    welch,
)

TRUE_EFFECT = -0.08
COVARIATES = ["age", "previous", "sex", "offence_group"]


def synthetic(n: int = 4000, *, seed: int = 3, effect: float = TRUE_EFFECT, selection: float = 1.5) -> pd.DataFrame:
    """Higher-risk people are more likely to be treated; treatment takes `effect` off each
    treated person's probability of reoffending."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 60, n)
    previous = rng.poisson(4, n)
    sex = rng.choice(["M", "F"], n, p=[0.8, 0.2])
    group = rng.choice(["theft", "violence", "drugs"], n)
    risk = -0.6 + 0.2 * previous - 0.04 * (age - 30) + 0.3 * (sex == "M") + 0.4 * (group == "theft")
    base = np.clip(1 / (1 + np.exp(-risk)), 0.1, 0.9)
    treated = rng.random(n) < 1 / (1 + np.exp(-(-0.8 + selection * risk)))
    reoffended = (rng.random(n) < base + effect * treated).astype(int)
    reoffences = reoffended * (1 + rng.poisson(2 * base))
    return pd.DataFrame(
        {
            "treated": treated.astype(int),
            "age": age,
            "previous": previous,
            "sex": sex,
            "offence_group": group,
            "reoffended": reoffended,
            "reoffences": reoffences,
        }
    )


def test_matching_recovers_a_planted_effect_that_the_naive_comparison_misses():
    result = evaluate(
        synthetic(), treated="treated", covariates=COVARIATES, outcome="reoffended", frequency="reoffences", seed=0
    )
    assert result.rate.ci_low <= TRUE_EFFECT <= result.rate.ci_high
    # Selection bias: the treated were riskier, so unmatched they look no better or worse.
    assert not (result.naive_rate.ci_low <= TRUE_EFFECT <= result.naive_rate.ci_high)
    assert result.naive_rate.difference > 0
    assert result.rate.significant
    assert result.n_matched_treated >= 1000
    assert result.n_unmatched_treated == result.n_treated - result.n_matched_treated
    # Matching removed the imbalance the selection made.
    by_label = {row.label: row for row in result.balance}
    assert abs(by_label["previous"].smd_before) > 0.3
    assert all(abs(row.smd_after) <= 0.1 for row in result.balance)
    assert "sex: M" in by_label and "offence_group: theft" in by_label
    assert result.frequency is not None and result.naive_frequency is not None
    assert result.frequency.difference < 0


def test_the_result_is_json_and_repeatable():
    frame = synthetic(800, seed=5)
    one = evaluate(frame, treated="treated", covariates=COVARIATES, outcome="reoffended", seed=7).to_dict()
    two = evaluate(frame, treated="treated", covariates=COVARIATES, outcome="reoffended", seed=7).to_dict()
    assert json.loads(json.dumps(one, allow_nan=False)) == two
    assert one["outcomes"]["frequency"] is None
    assert one["method"]["replacement"] is False


def test_with_replacement_and_ratio():
    frame = synthetic(1500, seed=2)
    result = evaluate(frame, treated="treated", covariates=COVARIATES, outcome="reoffended", ratio=2, replace=True)
    assert result.method["replacement"] is True and result.method["ratio"] == 2
    assert any("replacement" in w for w in result.warnings)
    without = evaluate(frame, treated="treated", covariates=COVARIATES, outcome="reoffended", ratio=2)
    assert without.n_matched_comparison <= 2 * without.n_matched_treated


def test_a_small_group_is_warned_about():
    frame = synthetic(4000, seed=4)
    treated = frame[frame.treated == 1].head(30)
    small = pd.concat([treated, frame[frame.treated == 0]])
    result = evaluate(small, treated="treated", covariates=COVARIATES, outcome="reoffended")
    assert result.n_matched_treated < 60
    assert not result.reliable
    assert any(w.startswith("Not reliable") and "60" in w for w in result.warnings)


def test_a_tiny_group_is_refused():
    frame = synthetic(1000, seed=4)
    tiny = pd.concat([frame[frame.treated == 1].head(9), frame[frame.treated == 0]])
    with pytest.raises(EvaluationError, match="at least 10"):
        evaluate(tiny, treated="treated", covariates=COVARIATES, outcome="reoffended")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"covariates": ["height"]}, "no column 'height'"),
        ({"covariates": []}, "at least one covariate"),
        ({"caliper": 0}, "caliper"),
        ({"outcome": "age"}, "only 0 and 1"),
    ],
)
def test_bad_input_is_refused_clearly(kwargs, message):
    arguments = {"treated": "treated", "covariates": COVARIATES, "outcome": "reoffended", **kwargs}
    with pytest.raises(EvaluationError, match=message):
        evaluate(synthetic(300), **arguments)


def test_rows_with_missing_values_are_counted_not_silently_used():
    frame = synthetic(1000, seed=6)
    frame.loc[:4, "age"] = np.nan
    result = evaluate(frame, treated="treated", covariates=COVARIATES, outcome="reoffended")
    assert result.n_excluded == 5
    assert any("5 rows were left out" in w for w in result.warnings)


# --- properties --------------------------------------------------------------------------------

SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(
    seed=st.integers(0, 10_000),
    selection=st.floats(0.8, 2.5),
    effect=st.floats(-0.1, 0.1),
    caliper=st.floats(0.05, 1.0),
)
def test_matching_never_worsens_the_balance_of_the_score_itself(seed, selection, effect, caliper):
    frame = synthetic(600, seed=seed, selection=selection, effect=effect)
    result = evaluate(
        frame, treated="treated", covariates=COVARIATES, outcome="reoffended", frequency="reoffences", caliper=caliper
    )
    score = result.balance[0]
    assert score.label == "propensity score (logit)"
    assert abs(score.smd_after) <= abs(score.smd_before)
    for estimate in (result.rate, result.naive_rate):
        assert 0 <= estimate.treated <= 1 and 0 <= estimate.comparison <= 1
    for estimate in (result.rate, result.naive_rate, result.frequency, result.naive_frequency):
        assert estimate.ci_low <= estimate.difference <= estimate.ci_high
        assert 0 <= estimate.p_value <= 1
    assert result.n_matched_treated + result.n_unmatched_treated == result.n_treated


outcomes = st.lists(st.integers(0, 1), min_size=2, max_size=200)


@given(a=outcomes, b=outcomes)
def test_swapping_the_groups_mirrors_the_naive_comparison(a, b):
    forward, backward = two_proportions(np.array(a), np.array(b)), two_proportions(np.array(b), np.array(a))
    assert forward.difference == pytest.approx(-backward.difference)
    assert forward.ci_low == pytest.approx(-backward.ci_high)
    assert forward.p_value == pytest.approx(backward.p_value)
    assert forward.ci_low <= forward.difference <= forward.ci_high


@given(a=st.lists(st.integers(0, 6), min_size=2, max_size=100), b=st.lists(st.integers(0, 6), min_size=2, max_size=100))
def test_swapping_the_groups_mirrors_welch(a, b):
    forward, backward = welch(np.array(a), np.array(b)), welch(np.array(b), np.array(a))
    assert forward.difference == pytest.approx(-backward.difference)
    assert forward.ci_high == pytest.approx(-backward.ci_low)
    assert forward.p_value == pytest.approx(backward.p_value)


@given(pairs=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=2, max_size=200))
def test_swapping_the_pairs_mirrors_the_matched_comparison(pairs):
    t, c = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    forward = paired_difference(t, c, measure="rate", n_comparison=len(c))
    backward = paired_difference(c, t, measure="rate", n_comparison=len(t))
    assert forward.difference == pytest.approx(-backward.difference)
    assert forward.ci_low == pytest.approx(-backward.ci_high)
    assert forward.ci_low <= forward.difference <= forward.ci_high
    assert 0 <= forward.treated <= 1 and 0 <= forward.comparison <= 1


@given(
    treated=st.lists(st.floats(-5, 5), min_size=1, max_size=40),
    comparison=st.lists(st.floats(-5, 5), min_size=1, max_size=60),
    width=st.floats(0, 2),
    seed=st.integers(0, 100),
)
def test_without_replacement_no_one_is_used_twice_and_every_match_is_within_the_caliper(
    treated, comparison, width, seed
):
    t, c = np.array(treated), np.array(comparison)
    matches = match(t, c, width=width, seed=seed)
    used = [j for m in matches for j in m]
    assert len(used) == len(set(used))
    for i, m in enumerate(matches):
        assert len(m) <= 1
        assert all(abs(t[i] - c[j]) <= width for j in m)
    # Nobody left unmatched had an unused comparison person within the caliper.
    free = set(range(len(c))) - set(used)
    for i, m in enumerate(matches):
        if not m:
            assert all(abs(t[i] - c[j]) > width for j in free)
