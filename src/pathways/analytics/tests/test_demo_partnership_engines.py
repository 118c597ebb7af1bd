"""The same measure on DuckDB and on Spark gives identical figures on the whole demo partnership,
read from the service's database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from pathways.analytics.engines import DuckDBEngine, SparkEngine
from pathways.analytics.measures import BREAKDOWNS, PRESETS
from pathways.analytics.sources import service_extract
from pathways.demo.services import demo_build

# Without the mark pytest-django would not switch to the test database for the module fixture.
pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 30)
WINDOWS = [
    (dt.date(2022, 1, 1), dt.date(2022, 12, 31)),
    (dt.date(2024, 7, 1), dt.date(2024, 12, 31)),
]


@pytest.fixture(scope="module")
def demo_extract(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        demo_build(people=4000, seed=5, today=TODAY)
        yield service_extract(None, via="test")
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.parametrize("preset", ["moj", "community_resolution"])
def test_duckdb_and_spark_agree_on_every_figure_and_every_person(demo_extract, spark_session, preset):
    duck, spark = DuckDBEngine(), SparkEngine(session=spark_session)
    duck.load_frames(demo_extract.frames)
    spark.load_frames(demo_extract.frames)
    for start, end in WINDOWS:
        a = duck.reoffending(PRESETS[preset], start=start, end=end, by=BREAKDOWNS).as_dict()
        b = spark.reoffending(PRESETS[preset], start=start, end=end, by=BREAKDOWNS).as_dict()
        assert a["cohort"] > 30, "the demo should give a real cohort in every window"
        a["definition"].pop("engine"), b["definition"].pop("engine")
        assert a == b
        people = ["person_id", "index_date", "index_disposal", "reoffences", "days_to_first_reoffence"]
        assert [{k: r[k] for k in people} for r in duck.people_in()] == [
            {k: r[k] for k in people} for r in spark.people_in()
        ]
    duck.close()
    spark.close()


def test_the_demo_gives_the_reoffending_shape_partnerships_know(demo_extract):
    """Custody leavers reoffend most and cautioned people least, as in the national figures."""
    engine = DuckDBEngine()
    engine.load_frames(demo_extract.frames)
    result = engine.reoffending(
        PRESETS["moj"], start=dt.date(2022, 1, 1), end=dt.date(2023, 12, 31), by=["index_disposal"]
    )
    rates = {group: figures.rate for group, figures in result.breakdowns["index_disposal"]}
    assert rates["custody"] > rates["court_order"] > rates["caution"]
    assert 0.15 < (result.overall.rate or 0) < 0.6


def test_a_drill_down_gives_the_figures_of_the_group_clicked(demo_extract, spark_session):
    start, end = WINDOWS[0]
    for engine in (DuckDBEngine(), SparkEngine(session=spark_session)):
        engine.load_frames(demo_extract.frames)
        tiers = dict(
            engine.reoffending(PRESETS["moj"], start=start, end=end, by=["index_disposal"]).breakdowns["index_disposal"]
        )
        custody = engine.reoffending(
            PRESETS["moj"], start=start, end=end, by=["sex"], within={"index_disposal": "custody"}
        )
        assert custody.overall == tiers["custody"]
        assert sum(f.cohort for _, f in custody.breakdowns["sex"]) == tiers["custody"].cohort
        assert {p["index_disposal"] for p in engine.people_in({"index_disposal": "custody"})} == {"custody"}
        engine.close()
