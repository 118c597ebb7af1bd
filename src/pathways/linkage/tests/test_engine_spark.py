"""The same model scores the same pairs on Spark (local mode) as on DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pathways.linkage import engine, synthetic


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = engine.spark_session()
    # A few dozen records need no more than two partitions; eight make every stage slower.
    session.conf.set("spark.sql.shuffle.partitions", "2")
    yield session


def test_spark_and_duckdb_find_the_same_pairs(spark: Any) -> None:
    partner = synthetic.partner_records(people=25, seed=5)
    records = synthetic.records_for_engine(partner)
    settings = engine.default_splink_settings()

    on_duckdb = engine.predict_pairs(records, splink_settings=settings, threshold=0.2)
    on_spark = engine.predict_pairs(records, splink_settings=settings, threshold=0.2, engine="spark")

    assert len(on_duckdb) > 5
    duck = {(r.left_id, r.right_id): r for r in on_duckdb.itertuples()}
    sparked = {(r.left_id, r.right_id): r for r in on_spark.itertuples()}
    assert set(duck) == set(sparked)
    for pair, row in duck.items():
        assert sparked[pair].match_probability == pytest.approx(row.match_probability, abs=1e-6)
        assert [c["level"] for c in sparked[pair].comparison] == [c["level"] for c in row.comparison]

    clusters = engine.cluster(records, on_spark, threshold=engine.DEFAULT_LINK_THRESHOLD, engine="spark")
    assert clusters.equals(engine.cluster(records, on_duckdb, threshold=engine.DEFAULT_LINK_THRESHOLD))
