"""Training the partnership's own model: it finds a planted signal, finds nothing in noise, and
refuses stand-ins for protected characteristics and place unless justified."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.risk.training import RefusedFeature, TrainingError, refused_reason, train


def history(n: int = 500, seed: int = 0, signal: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    previous = rng.poisson(3, n)
    age = rng.integers(18, 60, n)
    offence = rng.choice(["violence", "theft", "drugs"], n)
    logit = -0.8 + 0.6 * previous - 0.05 * (age - 30) + np.where(offence == "theft", 0.8, 0.0)
    chance = 1 / (1 + np.exp(-logit)) if signal else np.full(n, 0.4)
    return pd.DataFrame(
        {
            "previous_sanctions": previous,
            "age": age,
            "offence_group": offence,
            "sex": rng.choice(["Female", "Male"], n),
            "home_postcode": rng.choice(["DH1", "DH7", "SR8"], n),
            "reoffended": (rng.random(n) < chance).astype(int),
        }
    )


FEATURES = ["previous_sanctions", "age", "offence_group"]


def test_a_planted_signal_is_found_and_the_predictions_are_calibrated():
    result = train(history(), "reoffended", FEATURES, groups=["sex"])
    performance = result.performance
    assert performance["auc"] > 0.75
    assert performance["auc_interval"][0] > 0.65
    assert performance["brier"] < performance["brier_baseline"]
    assert len(performance["folds"]) == 5 and all(a > 0.6 for a in performance["folds"])
    assert performance["n"] == 500
    # Calibrated: in each tenth of predictions, what happened is near what was predicted.
    gaps = [abs(b["mean_predicted"] - b["observed"]) for b in performance["calibration"]]
    assert len(gaps) == 10 and np.mean(gaps) < 0.08
    assert result.categorical == ["offence_group"] and result.numeric == ["previous_sanctions", "age"]
    # The audit uses the out-of-fold predictions, at the base rate by default; sex is never a feature.
    assert result.fairness is not None and set(result.fairness["groups"]["sex"]) == {"Female", "Male"}
    assert result.threshold == pytest.approx(performance["base_rate"], abs=1e-4)
    assert result.fairness["overall"]["auc"] == performance["auc"]
    assert "sex" not in result.features


def test_pure_noise_gives_an_auc_near_a_half():
    result = train(history(seed=4, signal=False), "reoffended", FEATURES)
    assert 0.4 < result.performance["auc"] < 0.6
    assert result.fairness is None


def test_the_final_model_can_be_saved_and_scores_new_people():
    frame = history(n=200)
    result = train(frame, "reoffended", FEATURES, seed=1)
    restored = pickle.loads(pickle.dumps(result.estimator))  # noqa: S301 - bytes we just made
    new = pd.DataFrame({"previous_sanctions": [0, 9], "age": [50, 19], "offence_group": ["drugs", "unheard of"]})
    low, high = restored.predict_proba(new)[:, 1]
    assert 0 < low < high < 1


def test_training_is_reproducible_with_the_same_seed():
    frame = history(n=200)
    first = train(frame, "reoffended", FEATURES, seed=7)
    second = train(frame, "reoffended", FEATURES, seed=7)
    assert first.performance == second.performance


@pytest.mark.parametrize("feature", ["sex", "home_postcode"])
def test_a_refused_feature_is_refused_unless_justified(feature):
    frame = history(n=200)
    with pytest.raises(RefusedFeature, match=f"the feature '{feature}' is refused by default") as caught:
        train(frame, "reoffended", [*FEATURES, feature])
    assert caught.value.feature == feature
    assert "--justify" in str(caught.value)
    reason = "Testing whether the vendor's tool leans on it"
    result = train(frame, "reoffended", [*FEATURES, feature], justifications={feature: reason})
    assert result.justifications == {feature: reason}
    with pytest.raises(RefusedFeature):
        train(frame, "reoffended", [*FEATURES, feature], justifications={feature: "   "})


@pytest.mark.parametrize(
    "name",
    ["sex", "Gender", "ethnicity", "EthnicAppearance", "religion", "disability", "nationality", "home_postcode",
     "PostCode", "post_code", "postal_district", "lsoa11", "MSOA", "ward_name", "address_line_1", "town",
     "neighbourhood", "beat_code", "last_location", "lat", "lon", "imd_decile", "mosaic_group", "country_of_birth"],
)  # fmt: skip
def test_names_that_stand_in_for_protected_characteristics_or_place_are_refused(name):
    assert refused_reason(name) is not None


@pytest.mark.parametrize(
    "name", ["age", "previous_sanctions", "offence_group", "sex_offences", "relationship_to_victim", "long_sentence",
             "latest_offence_date", "years_since_first", "ogrs3"],
)  # fmt: skip
def test_ordinary_offending_history_is_not_refused(name):
    assert refused_reason(name) is None


@given(st.sampled_from(["sex", "ethnicity", "postcode", "lsoa", "ward"]), st.sampled_from(["", "home_", "person "]))
def test_refusal_survives_prefixes_and_case(word, prefix):
    assert refused_reason(f"{prefix}{word}".upper()) is not None


def test_too_little_data_is_a_clear_error():
    frame = history()
    with pytest.raises(TrainingError, match="only 40 rows: a model needs at least 50"):
        train(frame.head(40), "reoffended", FEATURES)
    same = frame.assign(reoffended=0)
    with pytest.raises(TrainingError, match="everyone has the same outcome"):
        train(same, "reoffended", FEATURES)
    rare = frame.assign(reoffended=[1, 1, 1] + [0] * (len(frame) - 3))
    with pytest.raises(TrainingError, match="only 3 people have the rarer outcome"):
        train(rare, "reoffended", FEATURES)
    with pytest.raises(TrainingError, match="no such column: shoe_size"):
        train(frame, "reoffended", [*FEATURES, "shoe_size"])
    with pytest.raises(TrainingError, match="cannot also be a feature"):
        train(frame, "reoffended", ["reoffended"])
