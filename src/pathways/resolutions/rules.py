"""The partnership's rules for resolving offences out of court, as data with a version.

A rule set is one JSON document in sections (see `DEFAULT_RULES`): the adult and child
gravity matrices with the route each final score points to, aggravating and mitigating
factors, how the person's history counts, eligibility rules that take routes off the table,
promotions that set a floor on the route, when a supervisor must review, the Community Remedy
menu and the diversion contract's length and conditions. Supervisors and administrators
edit it on a page; every save is a new version, and every recommendation keeps the version
it was made under.

The defaults follow the shape of the NPCC/ACPO gravity matrices (adult scores 1–4, child
1–5, factors moving a score one level) and Checkpoint's eligibility; the mapping from a
final adult score to a route is the partnership's choice, not a national rule.
"""

from __future__ import annotations

from typing import Any

from pathways.common.reference import Pathway
from pathways.offending.reference import OFFENCE_TYPES, OffenceGroup
from pathways.resolutions.reference import ROUTE_ORDER, CaseFlag, Route, route_rank

# Facts about a case that eligibility, promotion and review rules may name.
FACTS: dict[str, str] = {
    **{flag.value: flag.label for flag in CaseFlag},
    "child": "The person is a child",
    "adult": "The person is an adult",
    "admits": "Admits the offence",
    "does_not_deny": "Neither admits nor denies the offence",
    "denies": "Denies the offence",
    "on_bail": "On bail for another matter",
    "under_supervision": "Under statutory supervision (probation or youth offending service)",
    "not_local": "Does not live in the partnership's area",
    "victim_wants_prosecution": "The victim wants a prosecution",
    "victim_wants_meeting": "The victim wants to meet the person who harmed them",
    "victim_wants_no_action": "The victim wants no action taken",
    "previous_offences": "Has previous proven offences",
    "priority_offender": "A prolific or priority offender",
    "previous_resolution_failed": "A previous resolution was not completed",
    "recent_resolution": "Resolved out of court recently",
    "no_history": "No previous proven offences or resolutions",
}

_ADULT_GROUP_GRAVITY = {
    OffenceGroup.VIOLENCE: 3,
    OffenceGroup.SEXUAL: 4,
    OffenceGroup.ROBBERY: 4,
    OffenceGroup.THEFT: 2,
    OffenceGroup.CRIMINAL_DAMAGE: 2,
    OffenceGroup.DRUGS: 2,
    OffenceGroup.WEAPONS: 3,
    OffenceGroup.PUBLIC_ORDER: 2,
    OffenceGroup.MISCELLANEOUS: 2,
    OffenceGroup.FRAUD: 2,
    OffenceGroup.SUMMARY_NON_MOTORING: 1,
    OffenceGroup.SUMMARY_MOTORING: 2,
}
_NOT_STREET = [Route.STREET_CR.value, Route.LEVEL_1.value]
_NEEDS_ADMISSION = [Route.STREET_CR, Route.LEVEL_1, Route.LEVEL_2, Route.LEVEL_3, Route.CAUTION]

DEFAULT_RULES: dict[str, Any] = {
    "child_under": 18,
    "gravity": {
        "adult": {
            "scale": [1, 4],
            "default": 2,
            "groups": {g.value: s for g, s in _ADULT_GROUP_GRAVITY.items()},
            "codes": {t.code: t.gravity for t in OFFENCE_TYPES},
            "routes": {"1": "street_cr", "2": "level_1", "3": "diversion", "4": "charge"},
        },
        # NPCC child gravity matrix: 1 no further action, 2 community resolution or outcome 22,
        # 3 youth caution, 4 youth conditional caution, 5 normally charge.
        "child": {
            "scale": [1, 5],
            "default": 3,
            "groups": {g.value: min(s + 1, 5) for g, s in _ADULT_GROUP_GRAVITY.items()},
            "codes": {t.code: min(t.gravity + 1, 5) for t in OFFENCE_TYPES},
            "routes": {"1": "nfa", "2": "street_cr", "3": "caution", "4": "caution", "5": "charge"},
        },
    },
    "factors": {
        "aggravating": [
            {"code": "vulnerable_victim", "label": "Victim deliberately targeted or vulnerable"},
            {"code": "premeditated", "label": "Planned or premeditated"},
            {
                "code": "hostility",
                "label": "Hostility to the victim's race, religion, disability, sexuality or gender identity",
            },
            {"code": "weapon_used", "label": "Weapon used or threatened"},
            {"code": "serious_harm", "label": "Injury, or serious loss or damage"},
            {"code": "leading_role", "label": "Leading role in a group"},
            {"code": "public_servant", "label": "Against a public servant or emergency worker"},
            {"code": "intoxicated", "label": "Under the influence of drink or drugs"},
        ],
        "mitigating": [
            {"code": "remorse", "label": "Genuine remorse, shown without prompting"},
            {"code": "minor_part", "label": "Minor part played"},
            {"code": "provocation", "label": "Provoked"},
            {"code": "spur_of_moment", "label": "On the spur of the moment"},
            {"code": "low_value", "label": "Very low value, or the loss made good"},
            {"code": "vulnerable_suspect", "label": "The person's age, health or vulnerability"},
            {"code": "misunderstanding", "label": "Arose from a misunderstanding"},
        ],
    },
    "history": {
        "step_up_previous_offences": 2,
        "priority_offender_previous_offences": 6,
        "step_up_when_resolution_failed": True,
        "recent_resolution_months": 12,
    },
    "eligibility": [
        {
            "when": ["domestic_abuse"],
            "excludes": _NOT_STREET,
            "supervisor_may_approve": True,
            "reason": "Domestic abuse is not resolved by a street or Level 1 community resolution unless a supervisor approves",
        },
        {
            "when": ["hate_crime"],
            "excludes": _NOT_STREET,
            "supervisor_may_approve": True,
            "reason": "Hate crime is not resolved by a street or Level 1 community resolution unless a supervisor approves",
        },
        {
            "when": ["sexual"],
            "excludes": [*_NOT_STREET, "level_2"],
            "supervisor_may_approve": True,
            "reason": "Sexual offences are not resolved by a community resolution unless a supervisor approves",
        },
        {
            "when": ["denies"],
            "excludes": [r.value for r in _NEEDS_ADMISSION] + ["diversion"],
            "supervisor_may_approve": False,
            "reason": "A community resolution, caution or diversion contract needs the person not to deny the offence",
        },
        {
            "when": ["does_not_deny"],
            "excludes": [r.value for r in _NEEDS_ADMISSION],
            "supervisor_may_approve": False,
            "reason": "A community resolution or caution needs an admission of responsibility",
        },
        {
            "when": ["victim_wants_prosecution"],
            "excludes": ["street_cr"],
            "supervisor_may_approve": True,
            "reason": "The victim wants a prosecution, so a street resolution is not offered without a supervisor",
        },
        {
            "when": ["child"],
            "excludes": ["diversion"],
            "supervisor_may_approve": False,
            "reason": "Diversion contracts are for adults; children are diverted with the youth offending service",
        },
        {
            "when": ["on_bail"],
            "excludes": ["diversion"],
            "supervisor_may_approve": False,
            "reason": "Not eligible for a diversion contract while on bail",
        },
        {
            "when": ["under_supervision"],
            "excludes": ["diversion"],
            "supervisor_may_approve": False,
            "reason": "Not eligible for a diversion contract while under statutory supervision",
        },
        {
            "when": ["not_local"],
            "excludes": ["diversion"],
            "supervisor_may_approve": False,
            "reason": "Diversion contracts are for people who live in the partnership's area",
        },
        {
            "when": [],
            "gravity_at_least": 4,
            "excludes": ["diversion"],
            "supervisor_may_approve": False,
            "reason": "The offence is too serious for a diversion contract",
        },
    ],
    "promotions": [
        {
            "when": ["victim_wants_meeting"],
            "at_least": "level_1",
            "reason": "The victim wants to meet the person who harmed them: a restorative meeting is part of a Level 1 resolution",
        },
        {
            "when": ["recent_resolution"],
            "at_least": "level_2",
            "reason": "Resolved out of court within the last year: a case conference looks at what went wrong",
        },
        {
            "when": ["priority_offender"],
            "at_least": "level_3",
            "reason": "A prolific or priority offender: specialist conferencing with the county co-ordinator",
        },
    ],
    "review": [
        {
            "when": ["recent_resolution"],
            "routes": ["street_cr", "level_1"],
            "reason": "A second community resolution within a year needs a supervisor's agreement",
        },
        {
            "when": ["under_supervision"],
            "routes": ["street_cr", "level_1", "level_2", "level_3", "caution", "nfa"],
            "reason": "The person is under statutory supervision: a supervisor checks the offender manager has been told",
        },
        {
            "when": ["child"],
            "routes": ["caution"],
            "reason": "A youth caution is decided with the youth offending service",
        },
        {
            "when": [],
            "routes": ["level_3"],
            "reason": "Level 3 referrals to the county co-ordinator are agreed by a supervisor",
        },
    ],
    "community_remedy": [
        {"code": "mediation", "label": "Mediation"},
        {"code": "acceptable_behaviour_agreement", "label": "Acceptable behaviour agreement"},
        {"code": "victim_awareness", "label": "Victim awareness course"},
        {"code": "parks_reparation", "label": "Reparation in parks with the council's environmental services"},
        {"code": "restorative_meeting", "label": "Restorative meeting with the victim"},
        {"code": "pay_for_damage", "label": "Paying for or repairing the damage"},
        {"code": "substance_awareness", "label": "Drug or alcohol awareness session"},
        {"code": "structured_activity", "label": "Structured activity with a youth or community group"},
    ],
    "diversion": {
        "months": 4,
        "conditions": [
            {"code": "no_further_offending", "label": "No further offending", "pathway": "attitudes"},
            {"code": "drug_alcohol_treatment", "label": "Attend drug or alcohol treatment", "pathway": "drugs_alcohol"},
            {"code": "victim_awareness", "label": "Complete a victim awareness course", "pathway": "attitudes"},
            {
                "code": "restorative_meeting",
                "label": "Take part in a restorative meeting if the victim wants one",
                "pathway": "attitudes",
            },
            {"code": "community_work", "label": "Unpaid community work (hours)", "pathway": "ete"},
            {"code": "gps_tag", "label": "Wear a GPS tag (voluntary)", "pathway": "attitudes"},
            {"code": "mental_health", "label": "Attend a mental health assessment", "pathway": "health"},
            {"code": "housing_advice", "label": "See the housing options team", "pathway": "accommodation"},
            {"code": "employment_support", "label": "Work with an employment adviser", "pathway": "ete"},
            {"code": "debt_advice", "label": "Attend debt advice", "pathway": "finance"},
            {"code": "family_support", "label": "Work with family support", "pathway": "children_families"},
        ],
    },
}

SECTIONS = list(DEFAULT_RULES)
SECTION_LABELS = {
    "child_under": "Age below which the child matrix applies",
    "gravity": "Gravity matrices (adult and child)",
    "factors": "Aggravating and mitigating factors",
    "history": "How the person's history counts",
    "eligibility": "Eligibility rules",
    "promotions": "Promotions (a floor on the route)",
    "review": "When a supervisor reviews",
    "community_remedy": "Community Remedy menu",
    "diversion": "Diversion contracts",
}


class RulesInvalid(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def validate_rules(rules: Any) -> list[str]:
    """Every problem with a rule set, each naming where it is (e.g. `eligibility[2].excludes`)."""
    errors: list[str] = []
    if not isinstance(rules, dict):
        return ["the rule set must be a JSON object"]
    missing = [s for s in SECTIONS if s not in rules]
    errors += [f"{s}: missing" for s in missing]
    errors += [f"{s}: not a section of the rules" for s in rules if s not in SECTIONS]
    if missing:
        return errors
    if not _is_int(rules["child_under"]) or not 10 <= rules["child_under"] <= 25:
        errors.append("child_under: must be a whole number of years between 10 and 25")
    errors += _validate_gravity(rules["gravity"])
    errors += _validate_factors(rules["factors"])
    errors += _validate_history(rules["history"])
    errors += _validate_rule_list(rules["eligibility"], "eligibility", ("when", "excludes", "reason"))
    errors += _validate_rule_list(rules["promotions"], "promotions", ("when", "at_least", "reason"))
    errors += _validate_rule_list(rules["review"], "review", ("when", "routes", "reason"))
    errors += _validate_menu(rules["community_remedy"], "community_remedy", ("code", "label"))
    diversion = rules["diversion"]
    if not isinstance(diversion, dict):
        errors.append("diversion: must be an object with months and conditions")
    else:
        if not _is_int(diversion.get("months")) or not 1 <= diversion["months"] <= 24:
            errors.append("diversion.months: must be a whole number of months from 1 to 24")
        errors += _validate_menu(diversion.get("conditions"), "diversion.conditions", ("code", "label", "pathway"))
        for i, c in enumerate(diversion.get("conditions") or []):
            if isinstance(c, dict) and c.get("pathway") not in Pathway.values:
                errors.append(
                    f"diversion.conditions[{i}].pathway: {c.get('pathway')!r} is not one of the seven pathways"
                )
    return errors


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_gravity(gravity: Any) -> list[str]:
    errors: list[str] = []
    if not isinstance(gravity, dict) or set(gravity) != {"adult", "child"}:
        return ["gravity: must have exactly an 'adult' and a 'child' matrix"]
    for name, matrix in gravity.items():
        where = f"gravity.{name}"
        if not isinstance(matrix, dict):
            errors.append(f"{where}: must be an object")
            continue
        scale = matrix.get("scale")
        if not (isinstance(scale, list) and len(scale) == 2 and all(_is_int(s) for s in scale) and scale[0] < scale[1]):
            errors.append(f"{where}.scale: must be [lowest, highest], e.g. [1, 4]")
            continue
        low, high = scale

        def score_ok(value: Any, low: int = low, high: int = high) -> bool:
            return _is_int(value) and low <= value <= high

        if not score_ok(matrix.get("default")):
            errors.append(f"{where}.default: must be a score from {low} to {high}")
        for key in ("groups", "codes"):
            table = matrix.get(key)
            if not isinstance(table, dict):
                errors.append(f"{where}.{key}: must be an object of scores")
                continue
            for k, v in table.items():
                if key == "groups" and k not in OffenceGroup.values:
                    errors.append(f"{where}.groups.{k}: not an offence group")
                if not score_ok(v):
                    errors.append(f"{where}.{key}.{k}: {v!r} is not a score from {low} to {high}")
        routes = matrix.get("routes")
        expected = {str(s) for s in range(low, high + 1)}
        if not isinstance(routes, dict) or set(routes) != expected:
            errors.append(f"{where}.routes: must give a route for every score from {low} to {high}")
            continue
        previous = -1
        for s in range(low, high + 1):
            route = routes[str(s)]
            if route not in ROUTE_ORDER:
                errors.append(f"{where}.routes.{s}: {route!r} is not a route")
                continue
            if route_rank(route) < previous:
                errors.append(f"{where}.routes.{s}: a higher score must never point to a lighter route")
            previous = route_rank(route)
    return errors


def _validate_factors(factors: Any) -> list[str]:
    if not isinstance(factors, dict) or set(factors) != {"aggravating", "mitigating"}:
        return ["factors: must have 'aggravating' and 'mitigating' lists"]
    errors = _validate_menu(factors["aggravating"], "factors.aggravating", ("code", "label"))
    errors += _validate_menu(factors["mitigating"], "factors.mitigating", ("code", "label"))
    codes = [f.get("code") for part in factors.values() if isinstance(part, list) for f in part if isinstance(f, dict)]
    if len(codes) != len(set(codes)):
        errors.append("factors: a factor code is used twice")
    return errors


def _validate_history(history: Any) -> list[str]:
    keys = {
        "step_up_previous_offences": "a number of previous proven offences",
        "priority_offender_previous_offences": "a number of previous proven offences",
        "recent_resolution_months": "a number of months",
    }
    if not isinstance(history, dict):
        return ["history: must be an object"]
    errors = [
        f"history.{k}: must be {what} (1 or more)"
        for k, what in keys.items()
        if not (_is_int(history.get(k)) and history[k] >= 1)
    ]
    if not isinstance(history.get("step_up_when_resolution_failed"), bool):
        errors.append("history.step_up_when_resolution_failed: must be true or false")
    errors += [
        f"history.{k}: not a setting" for k in history if k not in keys and k != "step_up_when_resolution_failed"
    ]
    return errors


def _validate_rule_list(rules: Any, where: str, required: tuple[str, ...]) -> list[str]:
    if not isinstance(rules, list):
        return [f"{where}: must be a list"]
    errors: list[str] = []
    for i, rule in enumerate(rules):
        at = f"{where}[{i}]"
        if not isinstance(rule, dict):
            errors.append(f"{at}: must be an object")
            continue
        errors += [f"{at}.{k}: missing" for k in required if k not in rule]
        when = rule.get("when", [])
        if not isinstance(when, list):
            errors.append(f"{at}.when: must be a list of facts")
        else:
            errors += [f"{at}.when: {f!r} is not a fact the rules know" for f in when if f not in FACTS]
        for key in ("excludes", "routes"):
            if key in rule:
                value = rule[key]
                if not isinstance(value, list) or not value:
                    errors.append(f"{at}.{key}: must be a list of routes")
                    continue
                errors += [f"{at}.{key}: {r!r} is not a route" for r in value if r not in ROUTE_ORDER]
                if key == "excludes" and Route.CHARGE.value in value:
                    errors.append(f"{at}.excludes: charge cannot be excluded: it is where every case can go")
        if "at_least" in rule and rule["at_least"] not in ROUTE_ORDER:
            errors.append(f"{at}.at_least: {rule['at_least']!r} is not a route")
        if "gravity_at_least" in rule and not _is_int(rule["gravity_at_least"]):
            errors.append(f"{at}.gravity_at_least: must be a score")
        if "supervisor_may_approve" in rule and not isinstance(rule["supervisor_may_approve"], bool):
            errors.append(f"{at}.supervisor_may_approve: must be true or false")
        if "reason" in rule and not (isinstance(rule["reason"], str) and rule["reason"].strip()):
            errors.append(f"{at}.reason: must say why, in words")
    return errors


def _validate_menu(items: Any, where: str, required: tuple[str, ...]) -> list[str]:
    if not isinstance(items, list) or not items:
        return [f"{where}: must be a list with at least one entry"]
    errors: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(f"{where}[{i}]: must be an object")
            continue
        errors += [
            f"{where}[{i}].{k}: missing" for k in required if not (isinstance(item.get(k), str) and item[k].strip())
        ]
    codes = [item.get("code") for item in items if isinstance(item, dict)]
    if len(codes) != len(set(codes)):
        errors.append(f"{where}: a code is used twice")
    return errors
