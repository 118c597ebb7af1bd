import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.risk.ogrs3 import (
    OFFENCE,
    Ogrs3Group,
    Ogrs3Inputs,
    age_sex_term,
    band,
    probability,
    score,
)


def inputs(**overrides) -> Ogrs3Inputs:
    values = {
        "sex": "male",
        "age": 20,
        "sanctions": 1,
        "age_at_first_sanction": 20,
        "offence_group": Ogrs3Group.VIOLENCE,
    }
    values.update(overrides)
    return Ogrs3Inputs(**values)


def test_published_vector_man_aged_20_violence_first_sanction():
    result = score(inputs())
    assert round(result.one_year, 4) == 0.1216
    assert round(result.two_year, 4) == 0.2213
    assert result.band == "low"
    assert round(probability(inputs(), 1), 4) == 0.1216
    assert round(probability(inputs(), 2), 4) == 0.2213


def _hand(intercept, age_sex, status, sanctions, age, first, offence):
    y = intercept + age_sex + status + 1.251124464 * math.log(sanctions / (10 + age - first)) + offence
    return 1 / (1 + math.exp(-y))


def test_hand_worked_woman_aged_32_theft_with_previous_sanctions():
    case = inputs(sex="female", age=32, sanctions=12, age_at_first_sanction=15, offence_group=Ogrs3Group.THEFT)
    # ln(12 / 27) = -0.81093; copas = -1.01458
    # y2 = 2.121706 - 1.129128 + 0.463063 - 1.014580 + 0.661244 = 1.102305 -> 0.7507, just "high"
    expected_two = _hand(2.121705678, -1.129127959, 0.463062792, 12, 32, 15, 0.661244321)
    assert probability(case, 2) == pytest.approx(expected_two)
    assert round(probability(case, 2), 4) == 0.7507
    assert round(probability(case, 1), 4) == 0.5946
    assert score(case).band == "high"


def test_hand_worked_man_aged_55_drink_driving_first_sanction_is_low():
    case = inputs(age=55, age_at_first_sanction=55, offence_group=Ogrs3Group.DRINK_DRIVING)
    # y2 = 2.121706 - 2.025261 + 0.126142 - 2.880820 - 0.121439 = -2.779673
    assert round(probability(case, 2), 4) == 0.0584
    assert score(case).band == "low"


def test_hand_worked_boy_aged_16_burglary_many_sanctions_is_very_high():
    case = inputs(age=16, sanctions=20, age_at_first_sanction=11, offence_group=Ogrs3Group.BURGLARY_DOMESTIC)
    expected = _hand(2.121705678, -0.061594199, 0.463062792, 20, 16, 11, -0.12394352)
    assert probability(case, 2) == pytest.approx(expected)
    assert score(case).band == "very high"


def test_female_10_to_15_terms_are_negative_as_in_the_rsr_calculator():
    assert age_sex_term("female", 10) == -0.785038489
    assert age_sex_term("female", 13) == -0.613852078
    assert age_sex_term("female", 15) == -0.669521331


def test_age_bands_have_their_published_edges():
    assert age_sex_term("male", 17) == -0.061594199
    assert age_sex_term("male", 18) == -0.625103618
    assert age_sex_term("male", 49) == -1.499690953
    assert age_sex_term("male", 50) == -2.025261458
    assert age_sex_term("male", 120) == -2.025261458


def test_drink_driving_and_other_motoring_follow_hmpps():
    assert OFFENCE[Ogrs3Group.DRINK_DRIVING] == -0.121439408
    assert OFFENCE[Ogrs3Group.OTHER_MOTORING] == 0.262228428
    assert OFFENCE[Ogrs3Group.SEXUAL_NOT_CHILD] == 0.003276327
    assert len(OFFENCE) == len(Ogrs3Group) == 20


@pytest.mark.parametrize(
    ("two_year", "expected"),
    [
        (0.0, "low"),
        (0.4999, "low"),
        (0.50, "medium"),
        (0.7499, "medium"),
        (0.75, "high"),
        (0.8999, "high"),
        (0.90, "very high"),
        (0.999, "very high"),
    ],
)
def test_hmpps_bands(two_year, expected):
    assert band(two_year) == expected


def test_terms_explain_every_coefficient_and_add_up():
    result = score(inputs(sanctions=3, age=25, age_at_first_sanction=18, offence_group=Ogrs3Group.ROBBERY))
    names = [term.name for term in result.terms]
    assert names == ["intercept", "age_sex", "sanction_status", "copas", "offence"]
    y2 = sum(term.two_year for term in result.terms)
    assert result.two_year == pytest.approx(1 / (1 + math.exp(-y2)))
    assert "Robbery" in result.terms[-1].explanation


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sex": "unknown"}, "sex"),
        ({"age": 9}, "age"),
        ({"age": 121}, "age"),
        ({"age": 20.5}, "age"),
        ({"sanctions": 0}, "sanctions"),
        ({"age_at_first_sanction": 21}, "age_at_first_sanction"),
        ({"age_at_first_sanction": 8}, "age_at_first_sanction"),
        ({"offence_group": "arson"}, "offence_group"),
    ],
)
def test_invalid_input_raises_naming_the_field(overrides, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        inputs(**overrides)


def test_years_must_be_one_or_two():
    with pytest.raises(ValueError, match=r"^years:"):
        probability(inputs(), 3)


def test_numpy_integers_are_accepted_as_plain_whole_numbers():
    import numpy as np

    case = inputs(age=np.int64(30), sanctions=np.int32(3), age_at_first_sanction=np.int64(18))
    assert type(case.age) is int and type(case.sanctions) is int
    assert probability(case, 2) == probability(inputs(age=30, sanctions=3, age_at_first_sanction=18), 2)


def test_offence_group_given_as_text_is_accepted():
    assert inputs(offence_group="theft").offence_group is Ogrs3Group.THEFT


valid_inputs = st.builds(
    lambda sex, age, gap, sanctions, group: Ogrs3Inputs(
        sex=sex, age=age, sanctions=sanctions, age_at_first_sanction=max(10, age - gap), offence_group=group
    ),
    st.sampled_from(["male", "female"]),
    st.integers(10, 120),
    st.integers(0, 110),
    st.integers(1, 300),
    st.sampled_from(list(Ogrs3Group)),
)


@given(valid_inputs)
def test_two_year_is_never_below_one_year(case):
    assert probability(case, 2) >= probability(case, 1)


@given(valid_inputs)
def test_probability_is_strictly_between_zero_and_one(case):
    result = score(case)
    assert 0 < result.one_year < 1
    assert 0 < result.two_year < 1
    assert result.band in ("low", "medium", "high", "very high")


@given(valid_inputs, st.integers(1, 50))
def test_more_previous_sanctions_never_lower_the_probability(case, extra):
    more = Ogrs3Inputs(
        sex=case.sex,
        age=case.age,
        sanctions=case.sanctions + extra,
        age_at_first_sanction=case.age_at_first_sanction,
        offence_group=case.offence_group,
    )
    for years in (1, 2):
        assert probability(more, years) >= probability(case, years)
