"""The recommendation engine's sanity, over every kind of case hypothesis can think of."""

from __future__ import annotations

import copy
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.offending.reference import OFFENCE_TYPES, OffenceGroup
from pathways.resolutions.engine import Case, decision_refused, recommend, review_reasons
from pathways.resolutions.reference import Admission, CaseFlag, Route, VictimWants, route_rank
from pathways.resolutions.rules import DEFAULT_RULES, validate_rules

RULES = DEFAULT_RULES
AGGRAVATING = [f["code"] for f in RULES["factors"]["aggravating"]]
MITIGATING = [f["code"] for f in RULES["factors"]["mitigating"]]

cases = st.builds(
    Case,
    offence_code=st.sampled_from([t.code for t in OFFENCE_TYPES] + ["999Z"]),
    offence_group=st.sampled_from(OffenceGroup.values),
    age=st.one_of(st.none(), st.integers(10, 90)),
    admission=st.sampled_from(Admission.values),
    victim_wants=st.sampled_from(VictimWants.values),
    aggravating=st.lists(st.sampled_from(AGGRAVATING), max_size=3, unique=True).map(tuple),
    mitigating=st.lists(st.sampled_from(MITIGATING), max_size=3, unique=True).map(tuple),
    flags=st.lists(st.sampled_from(CaseFlag.values), max_size=3, unique=True).map(tuple),
    previous_offences=st.integers(0, 12),
    previous_resolutions=st.integers(0, 4),
    previous_resolutions_failed=st.integers(0, 2),
    recent_resolution=st.booleans(),
    on_bail=st.booleans(),
    under_supervision=st.booleans(),
    lives_locally=st.booleans(),
    priority_offender=st.booleans(),
)


def with_gravity(case: Case, matrix: str, score: int) -> tuple[dict, Case]:
    """The same case, its offence scored `score` on `matrix` (a private code, so nothing else moves)."""
    rules = copy.deepcopy(RULES)
    for name in ("adult", "child"):
        rules["gravity"][name]["codes"]["TEST"] = min(score, rules["gravity"][name]["scale"][1])
    return rules, replace(case, offence_code="TEST")


@given(case=cases, a=st.integers(1, 5), b=st.integers(1, 5))
@settings(max_examples=400)
def test_raising_gravity_never_recommends_a_lighter_route(case, a, b):
    low, high = sorted((a, b))
    rules_low, case_low = with_gravity(case, "adult", low)
    rules_high, case_high = with_gravity(case, "adult", high)
    lighter = recommend(rules_low, case_low)
    graver = recommend(rules_high, case_high)
    assert route_rank(graver.route) >= route_rank(lighter.route), (lighter.reasons, graver.reasons)


@given(case=cases, factor=st.sampled_from(AGGRAVATING))
def test_an_aggravating_factor_never_makes_the_route_lighter(case, factor):
    before = recommend(RULES, case)
    after = recommend(RULES, replace(case, aggravating=tuple({*case.aggravating, factor}), mitigating=()))
    without = recommend(RULES, replace(case, mitigating=()))
    assert route_rank(after.route) >= route_rank(without.route)
    assert before.reasons  # sanity: the case was recommended something


@given(case=cases)
def test_an_ineligible_case_is_never_recommended_a_street_resolution(case):
    recommendation = recommend(RULES, case)
    if Route.STREET_CR in recommendation.excluded:
        assert recommendation.route != Route.STREET_CR
    # and the rules this partnership set exclude these outright
    if {"domestic_abuse", "hate_crime", "sexual"} & set(case.flags) or case.admission != Admission.ADMITS:
        assert recommendation.route != Route.STREET_CR


@given(case=cases)
def test_every_recommendation_has_reasons_and_ends_on_an_open_route(case):
    recommendation = recommend(RULES, case)
    assert len(recommendation.reasons) >= 1
    assert recommendation.route not in recommendation.excluded
    assert recommendation.reasons[-1] == f"Recommended: {Route(recommendation.route).label}"


@given(case=cases, decided=st.sampled_from(Route.values))
def test_a_decision_other_than_the_recommendation_always_goes_to_review(case, decided):
    recommendation = recommend(RULES, case)
    reasons = review_reasons(RULES, recommendation, decided)
    if decided != recommendation.route:
        assert any("differs from the recommendation" in r for r in reasons)
    if decision_refused(recommendation, decided) is None and decided in recommendation.excluded:
        assert any("supervisor's approval" in r for r in reasons)


def test_a_first_shoplifting_by_an_adult_who_admits_it_is_a_street_resolution():
    case = Case(offence_code="46", offence_group="theft", age=30, victim_wants=VictimWants.NO_VICTIM)
    recommendation = recommend(RULES, case)
    assert recommendation.route == Route.STREET_CR
    assert recommendation.reasons[0] == "Shoplifting: gravity 1 on the adult matrix (from offence code 46)"


def test_domestic_abuse_moves_a_street_resolution_up_and_says_why():
    case = Case(offence_code="46", offence_group="theft", age=30, flags=("domestic_abuse",))
    recommendation = recommend(RULES, case)
    assert recommendation.route == Route.LEVEL_2
    assert any(r.startswith("Not Street community resolution: Domestic abuse") for r in recommendation.reasons)
    assert decision_refused(recommendation, Route.STREET_CR) is None  # a supervisor may approve it


def test_history_and_a_victim_who_wants_to_meet_raise_the_route():
    first = Case(offence_code="105A", offence_group="violence", age=25)
    assert recommend(RULES, first).route == Route.LEVEL_1
    assert recommend(RULES, replace(first, previous_offences=2)).route == Route.DIVERSION
    assert recommend(RULES, replace(first, previous_offences=2, on_bail=True)).route == Route.CAUTION
    assert recommend(RULES, replace(first, previous_offences=7)).route == Route.LEVEL_3
    meeting = Case(offence_code="46", offence_group="theft", age=30, victim_wants=VictimWants.MEETING)
    assert recommend(RULES, meeting).route == Route.LEVEL_1


def test_a_child_is_scored_on_the_child_matrix():
    case = Case(offence_code="46", offence_group="theft", age=15)
    recommendation = recommend(RULES, case)
    assert recommendation.matrix == "child"
    assert recommendation.route == Route.STREET_CR  # child gravity 2: community resolution


def test_a_denial_rules_out_every_resolution_and_no_supervisor_can_approve_one():
    case = Case(offence_code="46", offence_group="theft", age=30, admission=Admission.DENIES)
    recommendation = recommend(RULES, case)
    assert recommendation.route == Route.CHARGE
    assert decision_refused(recommendation, Route.STREET_CR)


def test_the_default_rules_are_valid_and_mistakes_are_named_where_they_are():
    assert validate_rules(DEFAULT_RULES) == []
    broken = copy.deepcopy(DEFAULT_RULES)
    broken["gravity"]["adult"]["routes"]["4"] = "street_cr"
    broken["eligibility"][0]["excludes"] = ["stret_cr"]
    broken["eligibility"][1]["when"] = ["tuesday"]
    broken["diversion"]["months"] = 0
    errors = validate_rules(broken)
    assert "gravity.adult.routes.4: a higher score must never point to a lighter route" in errors
    assert "eligibility[0].excludes: 'stret_cr' is not a route" in errors
    assert "eligibility[1].when: 'tuesday' is not a fact the rules know" in errors
    assert "diversion.months: must be a whole number of months from 1 to 24" in errors
