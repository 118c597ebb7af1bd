"""Synthetic partner records: reproducible, with the mistakes and the near-misses real files have."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.linkage import synthetic


@pytest.fixture(scope="module")
def partner() -> pd.DataFrame:
    return synthetic.partner_records(people=3000, seed=7)


def test_the_same_seed_gives_the_same_records() -> None:
    first = synthetic.partner_records(people=200, seed=1)
    assert first.equals(synthetic.partner_records(people=200, seed=1))
    assert not first.equals(synthetic.partner_records(people=200, seed=2))


def test_records_stop_once_there_are_enough() -> None:
    records = synthetic.partner_records(records=500, seed=1)
    assert 500 <= len(records) < 520


def test_people_file_columns_and_each_agencys_own_reference(partner: pd.DataFrame) -> None:
    assert list(partner.columns) == [*synthetic.PEOPLE_COLUMNS, "agency", "true_person"]
    assert set(partner["agency"]) == set(synthetic.AGENCIES)
    assert not partner["person_id"].duplicated().any()
    assert partner.groupby("true_person").size().max() > 1


def test_only_police_and_probation_hold_pnc_ids(partner: pd.DataFrame) -> None:
    with_pnc = partner[partner["pnc_id"] != ""]
    assert set(with_pnc["agency"]) == {"police", "probation"}


def test_police_hold_duplicate_records_of_one_person(partner: pd.DataFrame) -> None:
    police = partner[partner["agency"] == "police"]
    assert police["true_person"].duplicated().any()


def test_errors_are_made(partner: pd.DataFrame) -> None:
    by_person = partner.groupby("true_person")
    assert (by_person["date_of_birth"].nunique() > 1).any()
    assert (partner["date_of_birth"] == "").any()
    assert (partner["postcode"] == "").any()
    assert (by_person["given_name"].nunique() > 1).any()
    assert partner["surname"].str.contains("-").any()


def test_siblings_and_twins_share_surname_and_address_but_are_different_people(partner: pd.DataFrame) -> None:
    first = partner.drop_duplicates("true_person")
    same_home = first.groupby(["surname", "address_1", "postcode"])["true_person"].nunique()
    assert (same_home > 1).any()
    twins = first.groupby(["surname", "date_of_birth"])["true_person"].nunique()
    assert (twins > 1).any()


def test_write_people_csv_gives_the_people_file_format(partner: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "people.csv"
    rows = synthetic.write_people_csv(partner, path, agency="housing")
    written = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(written.columns) == list(synthetic.PEOPLE_COLUMNS)
    assert len(written) == rows == (partner["agency"] == "housing").sum()
    assert all(dt.date.fromisoformat(d) for d in written["date_of_birth"] if d)


@given(st.lists(st.integers(0, 5), min_size=1, max_size=30), st.lists(st.integers(0, 5), min_size=1, max_size=30))
@settings(max_examples=100, deadline=None)
def test_scores_count_pairs_of_records(truth: list[int], guess: list[int]) -> None:
    n = min(len(truth), len(guess))
    partner = pd.DataFrame(
        {
            "agency": ["police"] * n,
            "person_id": [f"R{i}" for i in range(n)],
            "true_person": [f"P{t}" for t in truth[:n]],
        }
    )
    ids = [f"police:R{i}" for i in range(n)]
    clusters = pd.DataFrame({"unique_id": ids, "cluster_id": [f"C{g}" for g in guess[:n]]})
    perfect = synthetic.score(partner, clusters=pd.DataFrame({"unique_id": ids, "cluster_id": partner["true_person"]}))
    result = synthetic.score(partner, clusters=clusters)

    assert perfect.f1 == 1.0 or perfect.true_pairs == 0
    assert 0 <= result.precision <= 1 and 0 <= result.recall <= 1
    assert result.correct_pairs <= min(result.true_pairs, result.predicted_pairs)
