"""Hand-worked cases that pin every edge of the proven reoffending definition, run on DuckDB
and on Spark alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.analytics.engines import DuckDBEngine, Engine, SparkEngine
from pathways.analytics.measures import PRESETS, wilson_interval

D = dt.date
START, END = D(2023, 1, 1), D(2023, 3, 31)
BORN = D(1990, 6, 15)


@pytest.fixture(params=["duckdb", "spark"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "duckdb":
        yield DuckDBEngine()
    else:
        yield SparkEngine(session=request.getfixturevalue("spark_session"))


class History:
    """A small partner dataset written the way the files are: people, offences, outcomes, custody."""

    def __init__(self) -> None:
        self.people: list[dict[str, Any]] = []
        self.offences: list[dict[str, Any]] = []
        self.outcomes: list[dict[str, Any]] = []
        self.custody: list[dict[str, Any]] = []

    def person(self, pid: str, *, born: dt.date = BORN, sex: str = "M", postcode: str = "WX1 2AB") -> str:
        self.people.append(
            {"person_id": pid, "date_of_birth": born, "sex": sex, "ethnicity": "W1", "postcode": postcode}
        )
        return pid

    def offence(self, pid: str, oid: str, on: dt.date, *outcomes: tuple[str, dt.date], group: str = "theft") -> str:
        self.offences.append(
            {"offence_id": oid, "person_id": pid, "offence_date": on, "offence_code": "46", "offence_group": group}
        )
        for outcome, when in outcomes:
            self.outcomes.append({"offence_id": oid, "outcome_date": when, "outcome": outcome})
        return oid

    def released(self, pid: str, oid: str, sentenced: dt.date, released: dt.date | None) -> None:
        self.custody.append({"person_id": pid, "offence_id": oid, "sentence_date": sentenced, "release_date": released})

    def frames(self) -> dict[str, pd.DataFrame]:
        columns = {
            "people": ["person_id", "date_of_birth", "sex", "ethnicity", "postcode"],
            "offences": ["offence_id", "person_id", "offence_date", "offence_code", "offence_group"],
            "outcomes": ["offence_id", "outcome_date", "outcome"],
            "custody": ["person_id", "offence_id", "sentence_date", "release_date"],
        }
        return {name: pd.DataFrame(getattr(self, name), columns=cols) for name, cols in columns.items()}


def run(engine: Engine, history: History, *, preset: str = "moj", by: list[str] | None = None):  # type: ignore[no-untyped-def]
    engine.load_frames(history.frames())
    result = engine.reoffending(PRESETS[preset], start=START, end=END, by=by or [])
    people = {row["person_id"]: row for row in engine.people_in()}
    return result, people


def index_on(h: History, pid: str, on: dt.date, outcome: str = "conviction_community") -> None:
    h.offence(pid, f"{pid}-index", on - dt.timedelta(days=30), ("1", on - dt.timedelta(days=20)), (outcome, on))


def test_offence_on_the_index_date_does_not_count_but_the_last_day_of_follow_up_does(engine: Engine) -> None:
    h = History()
    index_on(h, h.person("same-day"), D(2023, 2, 1))
    h.offence("same-day", "s1", D(2023, 2, 1), ("conviction_fine", D(2023, 3, 1)))
    index_on(h, h.person("last-day"), D(2023, 2, 1))
    h.offence("last-day", "l1", D(2024, 2, 1), ("conviction_fine", D(2024, 3, 1)))
    index_on(h, h.person("day-after"), D(2023, 2, 1))
    h.offence("day-after", "a1", D(2024, 2, 2), ("conviction_fine", D(2024, 3, 1)))
    result, people = run(engine, h)
    assert {p: r["reoffences"] for p, r in people.items()} == {"same-day": 0, "last-day": 1, "day-after": 0}
    assert (result.overall.cohort, result.overall.reoffenders) == (3, 1)


def test_proof_must_come_by_the_end_of_the_waiting_period(engine: Engine) -> None:
    h = History()
    index_on(h, h.person("in-time"), D(2023, 1, 31))
    h.offence("in-time", "t1", D(2023, 6, 1), ("conviction_community", D(2024, 7, 31)))  # index + 18 months exactly
    index_on(h, h.person("too-late"), D(2023, 1, 31))
    h.offence("too-late", "t2", D(2023, 6, 1), ("conviction_community", D(2024, 8, 1)))  # one day after
    index_on(h, h.person("never-proven"), D(2023, 1, 31))
    h.offence("never-proven", "t3", D(2023, 6, 1), ("1", D(2023, 6, 2)), ("acquittal", D(2023, 9, 1)))
    _, people = run(engine, h)
    assert {p: r["reoffended"] for p, r in people.items()} == {"in-time": 1, "too-late": 0, "never-proven": 0}


def test_release_from_custody_is_an_index_event_on_the_release_date(engine: Engine) -> None:
    h = History()
    pid = h.person("released")
    h.offence(pid, "c1", D(2022, 1, 5), ("conviction_custody", D(2022, 3, 1)))
    h.released(pid, "c1", D(2022, 3, 1), D(2023, 3, 31))  # released on the last day of the window
    h.offence(pid, "c2", D(2023, 3, 31), ("conviction_fine", D(2023, 5, 1)))  # same day as release: not a reoffence
    h.offence(pid, "c3", D(2023, 4, 1), ("3", D(2023, 4, 10)))  # next day, cautioned: a reoffence
    still_inside = h.person("still-inside")
    h.offence(still_inside, "c4", D(2022, 6, 1), ("conviction_custody", D(2022, 9, 1)))
    h.released(still_inside, "c4", D(2022, 9, 1), None)
    _, people = run(engine, h)
    assert set(people) == {"released"}
    row = people["released"]
    assert (row["index_date"], row["index_disposal"], row["reoffences"], row["days_to_first_reoffence"]) == (
        D(2023, 3, 31),
        "custody",
        1,
        1,
    )


def test_the_first_index_event_in_the_window_is_the_one_used(engine: Engine) -> None:
    h = History()
    pid = h.person("several")
    h.offence(pid, "e1", D(2022, 12, 1), ("3", D(2022, 12, 20)))  # before the window
    h.offence(pid, "e2", D(2023, 1, 5), ("3", D(2023, 1, 10)))  # first in the window: caution
    h.offence(pid, "e3", D(2023, 1, 20), ("conviction_community", D(2023, 3, 1)))  # later in the window
    h.offence(pid, "e4", D(2023, 2, 1), ("conviction_fine", D(2023, 2, 15)))
    same_day = h.person("same-day-two")
    h.offence(same_day, "f1", D(2023, 1, 2), ("3", D(2023, 2, 1)))
    h.offence(same_day, "f2", D(2023, 1, 3), ("conviction_community", D(2023, 2, 1)))
    _, people = run(engine, h)
    several = people["several"]
    assert (several["index_date"], several["index_disposal"], several["previous_offences"]) == (
        D(2023, 1, 10),
        "caution",
        "1-2",
    )
    # Offences e3 and e4 were committed after the index date and proven in time: both are reoffences.
    assert several["reoffences"] == 2
    # Two index events on one day: the court order outranks the caution.
    assert people["same-day-two"]["index_disposal"] == "court_order"


def test_people_without_an_index_event_are_not_in_the_cohort(engine: Engine) -> None:
    h = History()
    h.person("never-sanctioned")
    h.offence("never-sanctioned", "n1", D(2023, 1, 5), ("16", D(2023, 2, 1)))
    h.person("community-resolution")
    h.offence("community-resolution", "n2", D(2023, 1, 5), ("8", D(2023, 1, 6)))
    h.person("after-the-window")
    h.offence("after-the-window", "n3", D(2023, 3, 1), ("3", D(2023, 4, 1)))
    h.person("no-offences")
    result, people = run(engine, h)
    assert people == {} and result.overall.cohort == 0 and result.overall.rate is None
    # Under the community resolution preset, the resolution starts a cohort.
    engine.load_frames(h.frames())
    cr = engine.reoffending(PRESETS["community_resolution"], start=START, end=END)
    assert cr.overall.cohort == 1


def test_breakdowns_by_age_at_the_index_date_and_previous_offences(engine: Engine) -> None:
    h = History()
    young = h.person("young", born=D(2005, 2, 2))  # 17 on 1 Feb 2023, 18 the next day
    index_on(h, young, D(2023, 2, 1))
    adult = h.person("adult", born=D(2005, 2, 1))  # 18 on 1 Feb 2023: birthday on the index date
    for i in range(3):
        h.offence(adult, f"p{i}", D(2021, 1, 1 + i), ("conviction_fine", D(2021, 6, 1)))
    index_on(h, adult, D(2023, 2, 1))
    h.offence(adult, "r1", D(2023, 5, 1), ("conviction_community", D(2023, 8, 1)))
    h.offence(adult, "r2", D(2023, 6, 1), ("2", D(2023, 6, 2)))
    result, people = run(engine, h, by=["age_band", "previous_offences", "index_disposal", "area", "sex"])
    assert (people["young"]["age_band"], people["adult"]["age_band"]) == ("15-17", "18-20")
    assert people["adult"]["previous_offences"] == "3-6"
    by_age = {g: f for g, f in result.breakdowns["age_band"]}
    assert (by_age["18-20"].reoffenders, by_age["18-20"].reoffences, by_age["15-17"].reoffenders) == (1, 2, 0)
    assert [g for g, _ in result.breakdowns["previous_offences"]] == ["0", "3-6"]
    assert [g for g, _ in result.breakdowns["area"]] == ["WX1"]
    json = result.as_dict()
    assert json["per_reoffender"] == 2.0 and json["per_offender"] == 1.0 and json["rate"] == 0.5


def test_small_numbers_are_suppressed_when_asked(engine: Engine) -> None:
    h = History()
    for i in range(3):
        index_on(h, h.person(f"s{i}"), D(2023, 2, 1))
    result, _ = run(engine, h, by=["sex"])
    assert result.as_dict()["cohort"] == 3
    published = result.as_dict(suppress=5)
    assert published["suppressed"] is True and published["cohort"] is None
    assert published["breakdowns"]["sex"][0]["cohort"] is None


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 500), k=st.integers(0, 500))
def test_the_wilson_interval_contains_the_rate_and_stays_within_zero_and_one(n: int, k: int) -> None:
    k = min(k, n)
    interval = wilson_interval(k, n)
    if n == 0:
        assert interval is None
        return
    low, high = interval
    assert 0 <= low <= k / n <= high <= 1
