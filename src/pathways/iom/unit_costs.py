"""The unit costs of crime that price the cohort's proven offending: a versioned table.

Version 1 holds the Home Office's published figures (Heeks, Reed, Tafsiri and Prince, *The
economic and social costs of crime*, second edition, Home Office Research Report 99, July 2018):
the full economic and social cost of one crime, in 2015/16 prices — costs in anticipation (e.g.
security), as a consequence (property stolen or damaged, physical and emotional harm to the
victim, lost output, health services) and in response (police and criminal justice). Three of
those figures are marked "to be checked against the report" until someone has.

An offence is priced by its Home Office offence code's cost category (`OFFENCE_CATEGORIES`).
Offences the report gives no unit cost for — shoplifting, drugs, weapons, fraud against
businesses, public order, motoring, breaches — are *not costed*: they are counted and listed as
such, never given an invented figure. A category left out of a table version is not costed either.

A supervisor of the IOM panel or an administrator may save a new version (uprated prices, a
local figure, a correction); old versions are kept, and every figure says which version priced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.iom.cost_models import UnitCostTable
from pathways.iom.policies import can_keep_score_config

SOURCE = (
    "Heeks, Reed, Tafsiri and Prince, The economic and social costs of crime, second edition, "
    "Home Office Research Report 99 (July 2018): cost per crime, 2015/16 prices"
)
PRICES = "2015/16 prices"


@dataclass(frozen=True)
class CostCategory:
    code: str
    label: str
    published: int  # pounds per crime in Research Report 99
    checked: bool  # False: "to be checked against the report"


CATEGORIES: list[CostCategory] = [
    CostCategory("homicide", "Homicide", 3_217_740, True),
    CostCategory("rape", "Rape", 39_360, True),
    CostCategory("other_sexual", "Other sexual offences", 6_520, True),
    CostCategory("violence_with_injury", "Violence with injury", 14_050, True),
    CostCategory("violence_without_injury", "Violence without injury", 5_930, False),
    CostCategory("robbery", "Robbery", 11_320, True),
    CostCategory("domestic_burglary", "Domestic burglary", 5_930, False),
    CostCategory("theft_of_vehicle", "Theft of a vehicle", 10_290, True),
    CostCategory("theft_from_vehicle", "Theft from a vehicle", 870, True),
    CostCategory("theft_from_person", "Theft from the person", 1_380, False),
    CostCategory("arson", "Arson", 8_420, True),
    CostCategory("criminal_damage", "Criminal damage other than arson", 1_350, True),
    CostCategory("cyber_crime", "Cyber crime", 550, True),
]
CATEGORIES_BY_CODE = {c.code: c for c in CATEGORIES}
DEFAULT_COSTS: dict[str, int] = {c.code: c.published for c in CATEGORIES}

# Home Office offence codes (`offending.reference.OFFENCE_TYPES`) → cost category. A code not
# here has no published unit cost. Cyber crime has no offence code of its own in the list.
OFFENCE_CATEGORIES: dict[str, str] = {
    "1": "homicide",
    "5D": "violence_with_injury",
    "8N": "violence_with_injury",
    "105A": "violence_without_injury",
    "104": "violence_without_injury",
    "8L": "violence_without_injury",
    "8Q": "violence_without_injury",
    "8R": "violence_without_injury",
    "19C": "rape",
    "17A": "other_sexual",
    "34B": "robbery",
    "28E": "domestic_burglary",
    "48": "theft_of_vehicle",
    "45": "theft_from_vehicle",
    "39": "theft_from_person",
    "56B": "arson",
    "58A": "criminal_damage",
    "58C": "criminal_damage",
}


def table_current() -> UnitCostTable:
    """The newest table; the published figures are saved as version 1 the first time."""
    found = UnitCostTable.objects.order_by("-version").first()
    if found is None:
        found, _ = UnitCostTable.objects.get_or_create(
            version=1,
            defaults={"costs": DEFAULT_COSTS, "source": SOURCE, "note": "The Home Office's published figures"},
        )
    return found


def category_of(offence_code: str) -> str | None:
    return OFFENCE_CATEGORIES.get(offence_code)


def cost_of(table: UnitCostTable, offence_code: str) -> Decimal | None:
    """Pounds for one offence under this table, or None if it is not costed."""
    category = OFFENCE_CATEGORIES.get(offence_code)
    if category is None or category not in table.costs:
        return None
    return Decimal(str(table.costs[category]))


def validate_costs(costs: Any) -> list[str]:
    """What is wrong with a table, each problem naming the category."""
    if not isinstance(costs, dict):
        return ["costs: give the pounds per crime for each category"]
    problems = []
    for code, value in costs.items():
        if code not in CATEGORIES_BY_CODE:
            problems.append(f"{code}: not a cost category (known: {', '.join(CATEGORIES_BY_CODE)})")
            continue
        label = CATEGORIES_BY_CODE[code].label
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            problems.append(f"{code}: the cost of {label.lower()} must be a number of pounds")
            continue
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            problems.append(f"{code}: the cost of {label.lower()} must be a number of pounds")
            continue
        if not amount.is_finite():
            problems.append(f"{code}: the cost of {label.lower()} must be a number of pounds")
        elif amount < 0:
            problems.append(f"{code}: the cost of {label.lower()} cannot be negative")
    if not costs:
        problems.append("costs: give at least one category a cost")
    return problems


def _as_number(value: Any) -> int | float:
    amount = Decimal(str(value))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


@transaction.atomic
def table_save(*, by: User, costs: Any, source: str, note: str) -> UnitCostTable:
    """A new version of the table: validated, never overwriting an old one, audited."""
    if not can_keep_score_config(by):
        raise PermissionDenied("Only the IOM panel's supervisors and administrators keep the unit costs of crime")
    errors: dict[str, list[str] | str] = {}
    problems = validate_costs(costs)
    if problems:
        errors["costs"] = problems
    if not source.strip():
        errors["source"] = "Say where the figures come from"
    if not note.strip():
        errors["note"] = "Say what changed, and why"
    if errors:
        raise ValidationError(errors)
    table_current()
    version = (UnitCostTable.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
    saved = UnitCostTable.objects.create(
        version=version,
        costs={code: _as_number(value) for code, value in costs.items()},
        source=source.strip(),
        note=note.strip(),
        created_by=by,
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="iom_unit_costs",
        object_id=str(saved.pk),
        detail={"version": version},
    )
    return saved


def rows(table: UnitCostTable) -> list[dict[str, Any]]:
    """The table as a page shows it: each category, its cost in this version, the published
    figure, whether it is still to be checked, and the offence codes it prices."""
    from pathways.offending.reference import offence_description

    return [
        {
            "code": c.code,
            "label": c.label,
            "cost": Decimal(str(table.costs[c.code])) if c.code in table.costs else None,
            "published": c.published,
            "checked": c.checked,
            "offences": [
                f"{code} {offence_description(code)}" for code, cat in OFFENCE_CATEGORIES.items() if cat == c.code
            ],
        }
        for c in CATEGORIES
    ]


def not_costed_offence_types() -> list[str]:
    """The offence types in the service's list that no category prices."""
    from pathways.offending.reference import OFFENCE_TYPES

    return [f"{t.code} {t.description}" for t in OFFENCE_TYPES if t.code not in OFFENCE_CATEGORIES]
