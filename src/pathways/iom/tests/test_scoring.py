"""The recency–frequency–gravity score, as the panel relies on it: reproducible by hand from
the configuration and the history, never lowered by more offending, weighing older offences
less, ignoring what is unproven or out of the window, and refusing a bad configuration by path."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.iom import scoring
from pathways.iom.scoring import DEFAULT_CONFIG, ScoredOffence
from pathways.iom.testing import create_offender
from pathways.offending.reference import OffenceGroup

AS_OF = dt.date(2026, 6, 30)
WINDOW_DAYS = round(DEFAULT_CONFIG["lookback_months"] * scoring.DAYS_IN_MONTH)
CODES = ["28E", "30C", "46", "8N", "48", "105A"]


@st.composite
def configs(draw: Any) -> dict[str, Any]:
    config = copy.deepcopy(DEFAULT_CONFIG)
    config["lookback_months"] = draw(st.integers(min_value=1, max_value=60))
    config["half_life_months"] = draw(st.floats(min_value=0.5, max_value=60))
    config["recency_points"] = draw(st.integers(min_value=0, max_value=100))
    config["points_per_offence"] = draw(st.integers(min_value=0, max_value=20))
    config["gravity_by_group"] = {g: draw(st.integers(min_value=0, max_value=10)) for g in OffenceGroup.values}
    config["include_victims"] = draw(st.booleans())
    return config


@st.composite
def offences(draw: Any, *, proven: bool | None = None) -> ScoredOffence:
    """An offence committed up to four years before AS_OF, proven (or not) some days later."""
    days_ago = draw(st.integers(min_value=0, max_value=1500))
    committed = AS_OF - dt.timedelta(days=days_ago)
    is_proven = draw(st.booleans()) if proven is None else proven
    proven_on = committed + dt.timedelta(days=draw(st.integers(min_value=0, max_value=200))) if is_proven else None
    return ScoredOffence(
        offence_date=committed,
        offence_code=draw(st.sampled_from(CODES)),
        offence_group=draw(st.sampled_from(OffenceGroup.values)),
        proven_on=proven_on,
        victims=tuple(draw(st.lists(st.integers(min_value=1, max_value=5), max_size=2))),
    )


def by_hand(config: dict[str, Any], history: list[ScoredOffence], as_of: dt.date) -> float:
    """The module's documented formula, written out again independently."""
    window = config["lookback_months"] * 30.4375
    start = as_of - dt.timedelta(days=round(window))
    counted = [
        o for o in history if o.proven_on is not None and o.proven_on <= as_of and start < o.offence_date <= as_of
    ]
    if not counted:
        return 0.0
    latest = min((as_of - o.offence_date).days for o in counted)
    recency = config["recency_points"] * max(0.0, 1 - latest / window)
    frequency = config["points_per_offence"] * len(counted)
    gravity = 0.0
    for o in counted:
        weight = config["gravity_by_code"].get(o.offence_code, config["gravity_by_group"][o.offence_group])
        gravity += weight * 0.5 ** ((as_of - o.offence_date).days / (config["half_life_months"] * 30.4375))
    victims = (
        config["points_per_victim"] * len({v for o in counted for v in o.victims}) if config["include_victims"] else 0
    )
    return recency + frequency + gravity + victims


@given(configs(), st.lists(offences(), max_size=12))
def test_the_score_is_reproducible_from_the_configuration_and_the_history(
    config: dict[str, Any], history: list[ScoredOffence]
) -> None:
    first = scoring.score(config, history, AS_OF)
    again = scoring.score(copy.deepcopy(config), list(reversed(history)), AS_OF)
    assert first.parts() == again.parts()
    assert first.total == pytest.approx(by_hand(config, history, AS_OF), abs=0.02)
    assert first.total == pytest.approx(first.recency + first.frequency + first.gravity + first.victims, abs=0.03)


@given(configs(), st.lists(offences(), max_size=10), offences())
def test_adding_an_offence_never_lowers_the_frequency_or_the_total(
    config: dict[str, Any], history: list[ScoredOffence], extra: ScoredOffence
) -> None:
    before = scoring.score(config, history, AS_OF)
    after = scoring.score(config, [*history, extra], AS_OF)
    assert after.frequency >= before.frequency
    assert after.total >= before.total


@given(
    configs(),
    st.sampled_from(OffenceGroup.values),
    st.integers(min_value=0, max_value=600),
    st.integers(min_value=1, max_value=600),
)
def test_an_older_offence_weighs_less_than_a_newer_one_of_the_same_gravity(
    config: dict[str, Any], group: str, newer_days: int, gap: int
) -> None:
    config["lookback_months"] = 60  # both inside the window
    config["gravity_by_group"][group] = max(1, config["gravity_by_group"][group])
    config["recency_points"] = max(1, config["recency_points"])
    newer = AS_OF - dt.timedelta(days=newer_days)
    older = newer - dt.timedelta(days=gap)
    proven = AS_OF

    def one(day: dt.date) -> scoring.Score:
        return scoring.score(config, [ScoredOffence(day, "ZZZ", group, proven)], AS_OF)

    new_score, old_score = one(newer), one(older)
    assert old_score.offences[0].weight < new_score.offences[0].weight
    # The total is rounded to two places, so a day's difference may not show in it; a month's always does.
    assert old_score.total <= new_score.total
    if gap >= 30:
        assert old_score.total < new_score.total


@given(configs(), st.lists(offences(), max_size=8), offences(proven=False))
def test_an_unproven_offence_adds_nothing(
    config: dict[str, Any], history: list[ScoredOffence], unproven: ScoredOffence
) -> None:
    assert scoring.score(config, [*history, unproven], AS_OF).parts() == scoring.score(config, history, AS_OF).parts()


@given(configs(), st.lists(offences(), max_size=8), offences(proven=True), st.integers(min_value=1, max_value=100))
def test_offences_proven_later_or_outside_the_window_add_nothing(
    config: dict[str, Any], history: list[ScoredOffence], offence: ScoredOffence, days: int
) -> None:
    base = scoring.score(config, history, AS_OF).parts()
    start = scoring.window_start(config, AS_OF)
    too_old = ScoredOffence(start - dt.timedelta(days=days - 1), offence.offence_code, offence.offence_group, start)
    proven_after = ScoredOffence(AS_OF, offence.offence_code, offence.offence_group, AS_OF + dt.timedelta(days=days))
    in_future = ScoredOffence(AS_OF + dt.timedelta(days=days), offence.offence_code, offence.offence_group, AS_OF)
    assert scoring.score(config, [*history, too_old, proven_after, in_future], AS_OF).parts() == base


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda c: c.update(lookback_months=0), "lookback_months: must be more than 0"),
        (lambda c: c.update(half_life_months="twelve"), "half_life_months: must be a number"),
        (lambda c: c.update(recency_points=-1), "recency_points: must be 0 or more"),
        (lambda c: c.update(include_victims="yes"), "include_victims: must be true or false"),
        (lambda c: c.update(proven_outcomes=[]), "proven_outcomes: must be a list of outcome codes"),
        (lambda c: c["gravity_by_group"].pop("theft"), "gravity_by_group.theft: missing"),
        (lambda c: c["gravity_by_group"].update(burglary=3), "gravity_by_group.burglary: not an offence group"),
        (lambda c: c["gravity_by_group"].update(robbery=-2), "gravity_by_group.robbery: must be a number, 0 or more"),
        (lambda c: c["gravity_by_code"].update({"28E": "high"}), "gravity_by_code.28E: must be a number, 0 or more"),
    ],
)
def test_validate_config_names_the_path_of_each_problem(change: Any, path: str) -> None:
    config = copy.deepcopy(DEFAULT_CONFIG)
    change(config)
    assert path in scoring.validate_config(config)


@given(st.sets(st.sampled_from(["lookback_months", "half_life_months", "points_per_offence"]), min_size=1))
def test_every_broken_setting_is_reported_not_just_the_first(broken: set[str]) -> None:
    config = copy.deepcopy(DEFAULT_CONFIG)
    for key in broken:
        config[key] = -5
    problems = scoring.validate_config(config)
    assert {p.split(":")[0] for p in problems} == broken
    assert scoring.validate_config(DEFAULT_CONFIG) == []


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(proven_after=st.integers(min_value=1, max_value=90))
def test_offences_for_scoring_reads_the_database_as_written_by_hand(
    police: Any, police_admin: Any, proven_after: int
) -> None:
    from django.utils import timezone

    from pathways.iom.cohort import person_score
    from pathways.people.models import Person

    reference = f"S{proven_after}-{Person.objects.count()}"
    spec = [(10, "28E", "theft"), (100, "46", "theft"), (400, "8N", "violence"), (900, "46", "theft")]
    person = create_offender(
        agency=police, by=police_admin, reference=reference, offences=spec, proven_after_days=proven_after
    )
    today = timezone.localdate()
    config = DEFAULT_CONFIG
    read = scoring.offences_for_scoring([person.pk], config, today).get(person.pk, [])
    start = scoring.window_start(config, today)
    expected = []
    for n, (days_ago, code, group) in enumerate(spec, start=1):
        committed = today - dt.timedelta(days=days_ago)
        if committed <= start:
            continue  # outside the window: not read at all
        proven = committed + dt.timedelta(days=proven_after)
        expected.append(
            ScoredOffence(committed, code, group, proven if proven <= today else None, (), f"{reference}-O{n}")
        )
    assert sorted(read, key=lambda o: o.offence_date) == sorted(expected, key=lambda o: o.offence_date)
    assert person_score(person).parts() == scoring.score(config, expected, today).parts()
