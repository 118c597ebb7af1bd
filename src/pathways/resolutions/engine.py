"""The recommendation engine: which route a case points to under a rule set, and why.

Pure functions over plain data, so that the same rules give the same answer on a page, in
a test and years later when someone asks why. The steps, each adding its reasons:

1. the offence's base score on the adult or child gravity matrix (by offence code, else its
   offence group, else the matrix's default);
2. aggravating factors move it up one level and mitigating factors down one (both together
   cancel out), within the matrix's scale;
3. the person's history moves it up one level (enough previous proven offences, or a
   previous resolution not completed);
4. the final score points to a route (the matrix's `routes`);
5. promotions set a floor (a victim who wants to meet: at least Level 1);
6. eligibility rules take routes off the table, and the case moves *up* to the next route
   still open. Charge is always open.

Every step only ever moves a case up, so a graver case is never recommended a lighter route.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pathways.offending.reference import offence_description
from pathways.resolutions.reference import ROUTE_ORDER, Admission, Route, VictimWants, route_rank

ROUTE_LABELS = dict(Route.choices)


@dataclass(frozen=True)
class Case:
    """What the engine is told about a case; the service fills it from the records and the form."""

    offence_code: str
    offence_group: str
    age: int | None
    admission: str = Admission.ADMITS
    victim_wants: str = VictimWants.RESOLUTION
    aggravating: tuple[str, ...] = ()
    mitigating: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    previous_offences: int = 0
    previous_resolutions: int = 0
    previous_resolutions_failed: int = 0
    recent_resolution: bool = False
    on_bail: bool = False
    under_supervision: bool = False
    lives_locally: bool = True
    priority_offender: bool = False


@dataclass
class Recommendation:
    route: str
    matrix: str
    base_score: int
    score: int
    reasons: list[str]
    facts: list[str]
    # route -> why it is not open, and whether a supervisor may approve it anyway
    excluded: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def route_label(self) -> str:
        return ROUTE_LABELS[self.route]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def case_facts(rules: dict[str, Any], case: Case) -> set[str]:
    """The named facts (see `rules.FACTS`) that hold for this case."""
    child = case.age is not None and case.age < rules["child_under"]
    history = rules["history"]
    facts = set(case.flags)
    facts.add("child" if child else "adult")
    facts.add(case.admission)
    wants = {
        VictimWants.PROSECUTION: "victim_wants_prosecution",
        VictimWants.MEETING: "victim_wants_meeting",
        VictimWants.NO_ACTION: "victim_wants_no_action",
    }.get(case.victim_wants)
    if wants:
        facts.add(wants)
    if case.on_bail:
        facts.add("on_bail")
    if case.under_supervision:
        facts.add("under_supervision")
    if not case.lives_locally:
        facts.add("not_local")
    if case.previous_offences >= history["step_up_previous_offences"]:
        facts.add("previous_offences")
    if case.priority_offender or case.previous_offences >= history["priority_offender_previous_offences"]:
        facts.add("priority_offender")
    if case.previous_resolutions_failed:
        facts.add("previous_resolution_failed")
    if case.recent_resolution:
        facts.add("recent_resolution")
    if case.previous_offences == 0 and case.previous_resolutions == 0:
        facts.add("no_history")
    return facts


def base_gravity(rules: dict[str, Any], matrix_name: str, code: str, group: str) -> tuple[int, str]:
    matrix = rules["gravity"][matrix_name]
    if code in matrix["codes"]:
        return matrix["codes"][code], f"offence code {code}"
    if group in matrix["groups"]:
        return matrix["groups"][group], "its offence group"
    return matrix["default"], "the matrix's default (offence not listed)"


def _applies(rule: dict[str, Any], facts: set[str], score: int) -> bool:
    if not set(rule.get("when", [])) <= facts:
        return False
    return score >= rule.get("gravity_at_least", -1)


def recommend(rules: dict[str, Any], case: Case) -> Recommendation:
    facts = case_facts(rules, case)
    matrix_name = "child" if "child" in facts else "adult"
    matrix = rules["gravity"][matrix_name]
    low, high = matrix["scale"]
    base, source = base_gravity(rules, matrix_name, case.offence_code, case.offence_group)
    reasons = [f"{offence_description(case.offence_code)}: gravity {base} on the {matrix_name} matrix (from {source})"]
    score = base

    labels = {f["code"]: f["label"] for part in rules["factors"].values() for f in part}
    aggravating = [labels.get(c, c) for c in case.aggravating]
    mitigating = [labels.get(c, c) for c in case.mitigating]
    if aggravating and mitigating:
        reasons.append(
            f"Aggravating ({'; '.join(aggravating)}) and mitigating ({'; '.join(mitigating)}) factors cancel out"
        )
    elif aggravating:
        score = min(score + 1, high)
        reasons.append(f"Up one level for aggravating factors: {'; '.join(aggravating)}")
    elif mitigating:
        score = max(score - 1, low)
        reasons.append(f"Down one level for mitigating factors: {'; '.join(mitigating)}")

    history = rules["history"]
    steps = []
    if "previous_offences" in facts:
        steps.append(f"{case.previous_offences} previous proven offence{'s' if case.previous_offences != 1 else ''}")
    if "previous_resolution_failed" in facts and history["step_up_when_resolution_failed"]:
        steps.append("a previous resolution was not completed")
    if steps:
        score = min(score + 1, high)
        reasons.append(f"Up one level for the person's history: {' and '.join(steps)}")
    elif "no_history" in facts:
        reasons.append("No previous proven offences or resolutions")

    route = matrix["routes"][str(score)]
    reasons.append(f"Final score {score} points to: {ROUTE_LABELS[route]}")

    for rule in rules["promotions"]:
        floor = rule["at_least"]
        if route != Route.NO_FURTHER_ACTION and _applies(rule, facts, score) and route_rank(route) < route_rank(floor):
            route = floor
            reasons.append(f"At least {ROUTE_LABELS[floor]}: {rule['reason']}")

    excluded: dict[str, dict[str, Any]] = {}
    for rule in rules["eligibility"]:
        if _applies(rule, facts, score):
            for r in rule["excludes"]:
                entry = excluded.setdefault(r, {"reasons": [], "supervisor_may_approve": True})
                entry["reasons"].append(rule["reason"])
                entry["supervisor_may_approve"] &= bool(rule.get("supervisor_may_approve", False))
    while route in excluded:
        reasons.append(f"Not {ROUTE_LABELS[route]}: {'; '.join(excluded[route]['reasons'])}")
        route = ROUTE_ORDER[route_rank(route) + 1]
    reasons.append(f"Recommended: {ROUTE_LABELS[route]}")
    return Recommendation(
        route=route,
        matrix=matrix_name,
        base_score=base,
        score=score,
        reasons=reasons,
        facts=sorted(facts),
        excluded=excluded,
    )


def review_reasons(rules: dict[str, Any], recommendation: Recommendation, decided: str) -> list[str]:
    """Why a supervisor must look at this decision (none: it stands as the officer made it)."""
    reasons: list[str] = []
    if decided != recommendation.route:
        reasons.append(
            f"The decision ({ROUTE_LABELS[decided]}) differs from the recommendation ({recommendation.route_label})"
        )
    if decided in recommendation.excluded:
        reasons.append("Needs a supervisor's approval: " + "; ".join(recommendation.excluded[decided]["reasons"]))
    facts = set(recommendation.facts)
    for rule in rules["review"]:
        if decided in rule["routes"] and _applies(rule, facts, recommendation.score):
            reasons.append(rule["reason"])
    return reasons


def decision_refused(recommendation: Recommendation, decided: str) -> str | None:
    """Why this route cannot be chosen at all (an exclusion no supervisor may approve), or None."""
    entry = recommendation.excluded.get(decided)
    if entry and not entry["supervisor_may_approve"]:
        return "; ".join(entry["reasons"])
    return None
