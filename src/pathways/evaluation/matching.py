"""Propensity score matching: did the people who received an intervention reoffend less than
similar people who did not?

Pure: a pandas table in, an `EvaluationResult` out, no database. The Pathways cohorts
(evaluation/cohorts.py) and a partner's own CSV file (`pathways evaluate --data`) both come here.

The method, in the order it runs (docs/evaluation.md says it in plain words):

1. **Propensity score.** A logistic regression of "treated" on the covariates. Numeric covariates
   are standardised first (so the solver converges, the fit is the same); a categorical covariate
   is one-hot encoded, one column per category (a light L2 penalty, C=100, keeps the fit
   finite when a category is all-treated or all-untreated).
2. **Matching.** Each treated person, in a random order fixed by `seed`, is matched to the
   comparison person whose *logit* of the score is nearest, if it is within the caliper:
   `caliper` × the standard deviation of the logit over everyone (Austin 2011 recommends 0.2).
   By default without replacement (each comparison person is used once; greedy). With
   `ratio` k, k rounds are made, each treated person taking one more match per round. With
   replacement, a comparison person may be the nearest match for many treated people and is
   then counted once per use. Treated people with no one within the caliper are *unmatched*:
   they are left out of the matched estimate and counted in the result.
3. **Balance.** Standardised mean differences (SMD) for every covariate, and for every category
   of a categorical covariate, before and after matching. The denominator is the pooled
   standard deviation before matching, `sqrt((var_treated + var_comparison) / 2)`, for both, so a
   change in the SMD is a change in the means and not in the yardstick. |SMD| > 0.1 is the usual
   sign of imbalance.
4. **Outcomes.** The effect on the treated (ATT). For each matched treated person the difference
   between their outcome and the mean of their matched comparison people; the estimate is the
   mean of those paired differences, its 95% interval and p-value from the t distribution on
   n − 1 degrees of freedom (a paired t-test; for a 0/1 outcome with 1:1 matching this is the
   paired difference of proportions). With replacement, a comparison person used twice makes two
   differences that are not independent: the interval is then a little too narrow (said in the
   warnings). The naive difference — every treated person against every comparison person,
   unmatched — is given for contrast: for the rate a two-proportion (unpooled, Wald) interval
   and z-test, for the frequency Welch's t-test.
5. **Small groups.** Fewer than 60 matched treated people (the Justice Data Lab's minimum) gives a
   warning that the result is not reliable; fewer than 10 is refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.linear_model import LogisticRegression

JUSTICE_DATA_LAB_MINIMUM = 60
REFUSE_BELOW = 10
IMBALANCE = 0.1
_EPSILON = 1e-6


class EvaluationError(ValueError):
    """The table cannot be evaluated: the message says why, in the user's words."""


@dataclass(frozen=True)
class Estimate:
    """One outcome compared between two groups."""

    measure: str  # "rate" or "frequency"
    treated: float
    comparison: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    n_treated: int
    n_comparison: int
    test: str

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05


@dataclass(frozen=True)
class BalanceRow:
    covariate: str
    category: str | None  # the category of a categorical covariate; None for a numeric one
    treated_before: float
    comparison_before: float
    smd_before: float
    treated_after: float
    comparison_after: float
    smd_after: float

    @property
    def label(self) -> str:
        return f"{self.covariate}: {self.category}" if self.category is not None else self.covariate


@dataclass
class EvaluationResult:
    n_rows: int
    n_excluded: int  # rows left out for a missing treated flag, outcome or covariate
    n_treated: int
    n_comparison_pool: int
    n_matched_treated: int
    n_unmatched_treated: int
    n_matched_comparison: int  # distinct comparison people used
    covariates: list[str]
    method: dict[str, Any]
    balance: list[BalanceRow]
    rate: Estimate
    frequency: Estimate | None
    naive_rate: Estimate
    naive_frequency: Estimate | None
    warnings: list[str] = field(default_factory=list)

    @property
    def reliable(self) -> bool:
        return self.n_matched_treated >= JUSTICE_DATA_LAB_MINIMUM

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only: numbers, strings, lists, dicts and None (never NaN)."""

        def estimate(e: Estimate | None) -> dict[str, Any] | None:
            return None if e is None else {**asdict(e), "significant": e.significant}

        data = {
            "n_rows": self.n_rows,
            "n_excluded": self.n_excluded,
            "n_treated": self.n_treated,
            "n_comparison_pool": self.n_comparison_pool,
            "n_matched_treated": self.n_matched_treated,
            "n_unmatched_treated": self.n_unmatched_treated,
            "n_matched_comparison": self.n_matched_comparison,
            "covariates": list(self.covariates),
            "method": dict(self.method),
            "balance": [
                {**asdict(row), "label": row.label, "imbalanced_after": abs(row.smd_after) > IMBALANCE}
                for row in self.balance
            ],
            "outcomes": {"rate": estimate(self.rate), "frequency": estimate(self.frequency)},
            "naive": {"rate": estimate(self.naive_rate), "frequency": estimate(self.naive_frequency)},
            "reliable": self.reliable,
            "warnings": list(self.warnings),
        }
        return _json_safe(data)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --- statistics on two groups ------------------------------------------------------------------


def paired_difference(treated: np.ndarray, comparison: np.ndarray, *, measure: str, n_comparison: int) -> Estimate:
    """The mean of paired differences `treated[i] - comparison[i]` with a t interval."""
    treated = np.asarray(treated, dtype=float)
    comparison = np.asarray(comparison, dtype=float)
    d = treated - comparison
    n = len(d)
    mean = float(d.mean())
    low, high, p = _t_interval(mean, float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0, n - 1)
    return Estimate(
        measure=measure,
        treated=float(treated.mean()),
        comparison=float(comparison.mean()),
        difference=mean,
        ci_low=low,
        ci_high=high,
        p_value=p,
        n_treated=n,
        n_comparison=n_comparison,
        test="paired t-test on matched differences",
    )


def two_proportions(treated: np.ndarray, comparison: np.ndarray) -> Estimate:
    """Unmatched difference of two proportions: Wald interval, z-test."""
    a, b = np.asarray(treated, dtype=float), np.asarray(comparison, dtype=float)
    pa, pb = float(a.mean()), float(b.mean())
    se = math.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))
    difference = pa - pb
    if se == 0:
        low = high = difference
        p = 1.0 if difference == 0 else 0.0
    else:
        z = stats.norm.ppf(0.975)
        low, high = difference - z * se, difference + z * se
        p = float(2 * stats.norm.sf(abs(difference) / se))
    return Estimate("rate", pa, pb, difference, low, high, p, len(a), len(b), "two-proportion z-test (unmatched)")


def welch(treated: np.ndarray, comparison: np.ndarray) -> Estimate:
    """Unmatched difference of two means: Welch's t interval and test."""
    a, b = np.asarray(treated, dtype=float), np.asarray(comparison, dtype=float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    difference = float(a.mean() - b.mean())
    df = 1.0 if se == 0 else (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    low, high, p = _t_interval(difference, se, df)
    return Estimate(
        "frequency",
        float(a.mean()),
        float(b.mean()),
        difference,
        low,
        high,
        p,
        len(a),
        len(b),
        "Welch's t-test (unmatched)",
    )


def _t_interval(mean: float, se: float, df: float) -> tuple[float, float, float]:
    if se == 0 or not math.isfinite(se) or df <= 0:
        return mean, mean, (1.0 if mean == 0 else 0.0)
    t = stats.t.ppf(0.975, df)
    p = float(2 * stats.t.sf(abs(mean) / se, df))
    return mean - t * se, mean + t * se, p


def smd(treated: np.ndarray, comparison: np.ndarray, *, weights: np.ndarray | None = None, sd: float) -> float:
    """(treated mean − comparison mean) / sd; 0 when the covariate does not vary at all."""
    if sd == 0 or not math.isfinite(sd):
        return 0.0
    comparison_mean = np.average(comparison, weights=weights) if len(comparison) else float("nan")
    return float((np.mean(treated) - comparison_mean) / sd)


def pooled_sd(treated: np.ndarray, comparison: np.ndarray) -> float:
    return math.sqrt((np.var(treated, ddof=1) + np.var(comparison, ddof=1)) / 2)


# --- matching ----------------------------------------------------------------------------------


def match(
    treated_logit: np.ndarray,
    comparison_logit: np.ndarray,
    *,
    width: float,
    ratio: int = 1,
    replace: bool = False,
    seed: int = 0,
) -> list[list[int]]:
    """For each treated person, the indexes of their matched comparison people (maybe none).

    Greedy nearest neighbour on the logit within `width`, treated people taken in a random order
    fixed by `seed`. Without replacement, a union-find over the sorted comparison logits skips
    the people already used, so each search is near constant time."""
    order = np.argsort(comparison_logit, kind="stable")
    sorted_logit = comparison_logit[order]
    m = len(sorted_logit)
    matches: list[list[int]] = [[] for _ in range(len(treated_logit))]
    # next_right[i]: the first unused position ≥ i (m = none); next_left[i + 1]: the last ≤ i (0 = none).
    next_right = list(range(m + 1))
    next_left = list(range(m + 1))

    def find(parent: list[int], i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    rng = np.random.default_rng(seed)
    sequence = rng.permutation(len(treated_logit))
    if replace:
        # Everyone is always available: each treated person takes their `ratio` nearest.
        for t in sequence:
            x = treated_logit[t]
            pos = int(np.searchsorted(sorted_logit, x))
            window = range(max(0, pos - ratio), min(m, pos + ratio))
            nearest = sorted(window, key=lambda i: (abs(sorted_logit[i] - x), i))[:ratio]
            matches[t] = [int(order[i]) for i in nearest if abs(sorted_logit[i] - x) <= width]
        return matches
    for _ in range(ratio):
        for t in sequence:
            x = treated_logit[t]
            pos = int(np.searchsorted(sorted_logit, x))
            right = find(next_right, pos)
            left = find(next_left, pos) - 1
            candidates = [i for i in (left, right) if 0 <= i < m]
            if not candidates:
                continue
            best = min(candidates, key=lambda i: (abs(sorted_logit[i] - x), i))
            if abs(sorted_logit[best] - x) > width:
                continue
            matches[t].append(int(order[best]))
            next_right[best] = best + 1
            next_left[best + 1] = best
    return matches


# --- the evaluation ----------------------------------------------------------------------------


def evaluate(
    frame: pd.DataFrame,
    *,
    treated: str,
    covariates: Sequence[str],
    outcome: str,
    frequency: str | None = None,
    caliper: float = 0.2,
    ratio: int = 1,
    replace: bool = False,
    seed: int = 0,
) -> EvaluationResult:
    """Match the treated rows of `frame` to untreated rows and compare their outcomes.

    `treated` and `outcome` are 0/1 columns (1 = received the intervention; 1 = reoffended);
    `frequency` (optional) counts reoffences per person. A covariate column of text, category or
    boolean type is categorical; any other is numeric."""
    covariates = list(covariates)
    # A column named twice (the outcome also chosen as a covariate) is read once.
    columns = list(dict.fromkeys([treated, outcome, *covariates] + ([frequency] if frequency else [])))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EvaluationError(f"The table has no column {', '.join(repr(c) for c in missing)}")
    if not covariates:
        raise EvaluationError("Choose at least one covariate to match on")
    if caliper <= 0:
        raise EvaluationError("The caliper must be greater than 0")
    if ratio < 1:
        raise EvaluationError("The ratio must be 1 or more")

    data = frame[columns].dropna()
    n_excluded = len(frame) - len(data)
    for column in [treated, outcome]:
        values = set(data[column].astype(float).unique())
        if not values <= {0.0, 1.0}:
            raise EvaluationError(f"Column {column!r} must hold only 0 and 1")
    if frequency and (data[frequency].astype(float) < 0).any():
        raise EvaluationError(f"Column {frequency!r} must not be negative")

    is_treated = data[treated].astype(float).to_numpy() == 1
    n_treated = int(is_treated.sum())
    n_pool = int((~is_treated).sum())
    if n_treated < REFUSE_BELOW:
        raise EvaluationError(
            f"Only {n_treated} treated people have complete records: at least {REFUSE_BELOW} are needed "
            "to evaluate at all (and 60 for a reliable result)"
        )
    if n_pool < REFUSE_BELOW:
        raise EvaluationError(
            f"Only {n_pool} people are available for the comparison group: at least {REFUSE_BELOW} are needed"
        )

    design, indicators = _design(data, covariates)
    model = LogisticRegression(C=100.0, max_iter=2000)
    model.fit(design, is_treated.astype(int))
    score = np.clip(model.predict_proba(design)[:, 1], _EPSILON, 1 - _EPSILON)
    logit = np.log(score / (1 - score))
    sd_logit = float(np.std(logit, ddof=1))
    width = caliper * sd_logit

    treated_idx = np.flatnonzero(is_treated)
    pool_idx = np.flatnonzero(~is_treated)
    matches = match(logit[treated_idx], logit[pool_idx], width=width, ratio=ratio, replace=replace, seed=seed)
    matched = [i for i, m in enumerate(matches) if m]
    n_matched = len(matched)
    if n_matched < REFUSE_BELOW:
        raise EvaluationError(
            f"Only {n_matched} of the {n_treated} treated people could be matched to a similar person: "
            f"at least {REFUSE_BELOW} are needed. Try fewer covariates or a wider caliper."
        )

    # Each matched treated person weighs 1; their k comparison people weigh 1/k each.
    matched_treated_rows = treated_idx[matched]
    comparison_weight = np.zeros(len(data))
    for i in matched:
        for j in matches[i]:
            comparison_weight[pool_idx[j]] += 1 / len(matches[i])
    used = comparison_weight > 0

    y = data[outcome].astype(float).to_numpy()
    rate = paired_difference(
        y[matched_treated_rows],
        np.array([y[pool_idx[matches[i]]].mean() for i in matched]),
        measure="rate",
        n_comparison=int(used.sum()),
    )
    naive_rate = two_proportions(y[treated_idx], y[pool_idx])
    freq = naive_freq = None
    if frequency:
        f = data[frequency].astype(float).to_numpy()
        freq = paired_difference(
            f[matched_treated_rows],
            np.array([f[pool_idx[matches[i]]].mean() for i in matched]),
            measure="frequency",
            n_comparison=int(used.sum()),
        )
        naive_freq = welch(f[treated_idx], f[pool_idx])

    balance = [
        _balance_row("propensity score (logit)", None, logit, is_treated, matched_treated_rows, comparison_weight)
    ]
    for covariate, category, values in indicators:
        balance.append(_balance_row(covariate, category, values, is_treated, matched_treated_rows, comparison_weight))

    warnings = _warnings(
        n_treated=n_treated, n_matched=n_matched, balance=balance, replace=replace, n_excluded=n_excluded
    )
    return EvaluationResult(
        n_rows=len(frame),
        n_excluded=n_excluded,
        n_treated=n_treated,
        n_comparison_pool=n_pool,
        n_matched_treated=n_matched,
        n_unmatched_treated=n_treated - n_matched,
        n_matched_comparison=int(used.sum()),
        covariates=covariates,
        method={
            "propensity_model": "logistic regression (L2, C=100) on standardised numeric and one-hot categorical covariates",
            "matching": "greedy nearest neighbour on the logit of the propensity score",
            "caliper": caliper,
            "caliper_width": width,
            "ratio": ratio,
            "replacement": replace,
            "seed": seed,
            "smd_denominator": "pooled standard deviation before matching",
            "interval": "95%",
        },
        balance=balance,
        rate=rate,
        frequency=freq,
        naive_rate=naive_rate,
        naive_frequency=naive_freq,
        warnings=warnings,
    )


def _design(data: pd.DataFrame, covariates: list[str]) -> tuple[np.ndarray, list[tuple[str, str | None, np.ndarray]]]:
    """The model's design matrix, and each covariate (or category) as a numeric column for balance."""
    parts: list[np.ndarray] = []
    indicators: list[tuple[str, str | None, np.ndarray]] = []
    for column in covariates:
        series = data[column]
        if _categorical(series):
            text = series.astype(str)
            for category in sorted(pd.unique(text)):
                values = (text == category).to_numpy(dtype=float)
                parts.append(values)
                indicators.append((column, category, values))
        else:
            values = series.astype(float).to_numpy()
            sd = values.std()
            parts.append((values - values.mean()) / sd if sd > 0 else values * 0)
            indicators.append((column, None, values))
    return np.column_stack(parts), indicators


def _categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _balance_row(
    covariate: str,
    category: str | None,
    values: np.ndarray,
    is_treated: np.ndarray,
    matched_treated_rows: np.ndarray,
    comparison_weight: np.ndarray,
) -> BalanceRow:
    t, c = values[is_treated], values[~is_treated]
    sd = pooled_sd(t, c)
    after_t = values[matched_treated_rows]
    used = comparison_weight > 0
    after_c_mean = float(np.average(values[used], weights=comparison_weight[used]))
    return BalanceRow(
        covariate=covariate,
        category=category,
        treated_before=float(t.mean()),
        comparison_before=float(c.mean()),
        smd_before=smd(t, c, sd=sd),
        treated_after=float(after_t.mean()),
        comparison_after=after_c_mean,
        smd_after=smd(after_t, values[used], weights=comparison_weight[used], sd=sd),
    )


def _warnings(
    *, n_treated: int, n_matched: int, balance: list[BalanceRow], replace: bool, n_excluded: int
) -> list[str]:
    warnings = []
    if n_matched < JUSTICE_DATA_LAB_MINIMUM:
        warnings.append(
            f"Not reliable: only {n_matched} treated people were matched. The Justice Data Lab needs at "
            f"least {JUSTICE_DATA_LAB_MINIMUM}; with fewer, the interval is wide and the result can "
            "change a lot with a few people. Do not draw conclusions from it."
        )
    unmatched = n_treated - n_matched
    if unmatched:
        share = unmatched / n_treated
        warnings.append(
            f"{unmatched} of the {n_treated} treated people ({share:.0%}) had no similar person in the "
            "comparison pool and are left out: the result describes the ones who could be matched."
        )
    imbalanced = [row.label for row in balance if abs(row.smd_after) > IMBALANCE]
    if imbalanced:
        warnings.append(
            "Still imbalanced after matching (|SMD| > 0.1): " + ", ".join(imbalanced) + ". Treat the result with care."
        )
    if replace:
        warnings.append(
            "Matched with replacement: a comparison person used more than once makes the interval a little too narrow."
        )
    if n_excluded:
        warnings.append(f"{n_excluded} rows were left out because a value needed for matching was missing.")
    return warnings
