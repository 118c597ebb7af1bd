"""`pathways risk audit` and `pathways risk train` end to end on a CSV file."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from sklearn.metrics import accuracy_score, confusion_matrix, precision_score, roc_auc_score

KEYS = {"n", "base_rate", "auc", "fpr", "fnr", "ppv", "accuracy"}


@pytest.fixture
def scores_csv(tmp_path):
    rng = np.random.default_rng(11)
    n = 400
    previous = rng.poisson(3, n)
    chance = 1 / (1 + np.exp(-(-1 + 0.5 * previous)))
    frame = pd.DataFrame(
        {
            "vendor_score": np.clip(np.round(chance * 10), 1, 10).astype(int),
            "reoffended": (rng.random(n) < chance).astype(int),
            "sex": rng.choice(["Female", "Male"], n),
            "ethnicity": rng.choice(["Asian", "Black", "White"], n),
            "previous_sanctions": previous,
            "offence_group": rng.choice(["violence", "theft"], n),
        }
    )
    path = tmp_path / "scores.csv"
    frame.to_csv(path, index=False)
    return path, frame


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command("risk", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_audit_command_matches_scikit_learn(scores_csv):
    path, frame = scores_csv
    result = run(
        "audit", "--data", str(path), "--score", "vendor_score", "--outcome", "reoffended",
        "--group", "sex", "--group", "ethnicity", "--threshold", "6", "--format", "json",
    )  # fmt: skip
    assert set(result["overall"]) == KEYS
    assert {"overall", "groups", "threshold", "intervals", "calibration"} <= set(result)
    subsets = [("overall", None, frame)] + [
        (column, value, part) for column in ("sex", "ethnicity") for value, part in frame.groupby(column)
    ]
    for column, value, part in subsets:
        figures = result["overall"] if value is None else result["groups"][column][value]
        assert set(figures) == KEYS
        y, score = part["reoffended"], part["vendor_score"]
        predicted = (score >= 6).astype(int)
        tn, fp, fn, tp = confusion_matrix(y, predicted, labels=[0, 1]).ravel()
        assert figures["n"] == len(part)
        assert figures["base_rate"] == pytest.approx(y.mean(), abs=5e-5)
        assert figures["auc"] == pytest.approx(roc_auc_score(y, score), abs=5e-5)
        assert figures["fpr"] == pytest.approx(fp / (fp + tn), abs=5e-5)
        assert figures["fnr"] == pytest.approx(fn / (fn + tp), abs=5e-5)
        assert figures["ppv"] == pytest.approx(precision_score(y, predicted), abs=5e-5)
        assert figures["accuracy"] == pytest.approx(accuracy_score(y, predicted), abs=5e-5)


def test_the_audit_command_prints_a_readable_table(scores_csv):
    path, _ = scores_csv
    out = io.StringIO()
    call_command("risk", "audit", "--data", str(path), "--score", "vendor_score", "--outcome", "reoffended",
                 "--group", "sex", "--threshold", "6", "--format", "text", stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "fpr" in text and "overall" in text and "Female" in text


def test_the_train_command_prints_out_of_fold_performance_and_the_audit(scores_csv):
    path, _ = scores_csv
    result = run(
        "train", "--data", str(path), "--outcome", "reoffended", "--features", "previous_sanctions,offence_group",
        "--group", "sex", "--format", "json",
    )  # fmt: skip
    assert {"auc", "brier", "calibration", "folds", "n", "base_rate", "fairness"} <= set(result)
    assert result["auc"] > 0.65 and len(result["folds"]) == 5 and result["n"] == 400
    assert set(result["fairness"]["overall"]) == KEYS
    assert set(result["fairness"]["groups"]["sex"]) == {"Female", "Male"}


def test_a_refused_feature_needs_a_justification_on_the_command_line(scores_csv):
    path, _ = scores_csv
    args = ["train", "--data", str(path), "--outcome", "reoffended", "--features", "previous_sanctions,ethnicity"]
    with pytest.raises(CommandError, match="'ethnicity' is refused by default") as caught:
        call_command("risk", *args, stdout=io.StringIO())
    assert caught.value.returncode == 2
    result = run(*args, "--justify", 'ethnicity="checking the vendor tool"', "--format", "json")
    assert result["justifications"] == {"ethnicity": "checking the vendor tool"}
    assert "fairness" not in result


def test_bad_files_name_the_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("vendor_score,reoffended,sex\n5,1,Male\nhigh,0,Female\n4,yes,Male\n")
    with pytest.raises(CommandError) as caught:
        call_command("risk", "audit", "--data", str(path), "--score", "vendor_score", "--outcome", "reoffended",
                     "--group", "ethnicity", "--threshold", "5")  # fmt: skip
    message = str(caught.value)
    assert caught.value.returncode == 2
    assert (
        f"{path}: row 1, column ethnicity: no such column; the columns present are vendor_score, reoffended, sex"
        in (message)
    )
    assert f"{path}: row 3, column vendor_score: 'high' is not a number" in message
    assert f"{path}: row 4, column reoffended: 'yes' is not 0 or 1" in message


def test_the_pathways_command_exits_2_with_a_message_and_no_traceback(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("score,reoffended,age\n" + "0.5,1,30\n0.2,0,40\n" * 10)
    done = subprocess.run(  # noqa: S603 - our own command, with arguments we wrote
        [sys.executable, "-m", "pathways.cli", "risk", "train", "--data", str(path), "--outcome", "reoffended",
         "--features", "age", "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "only 20 rows: a model needs at least 50" in done.stderr
    assert str(path) in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
