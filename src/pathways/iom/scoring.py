"""The recency–frequency–gravity (RFG) score: how much harm a person's proven offending causes now.

The score is built only from the configuration (a `ScoreConfig` version) and the person's
history, so anyone can reproduce it by hand. Over the offences *committed* in the look-back
window before the day of scoring and *proven* (by an outcome in `proven_outcomes`) by that day:

- **recency** = `recency_points` × (1 − days since the latest offence ÷ days in the window);
- **frequency** = `points_per_offence` × the number of offences;
- **gravity** = Σ the offence's gravity × ½^(its age in days ÷ the half-life in days), where its
  gravity is `gravity_by_code[code]` if set, else `gravity_by_group[group]`;
- **victims** (only if `include_victims`) = `points_per_victim` × distinct victims harmed.

The total is their sum, rounded to two places. Months are 30.4375 days. So a newer offence of
the same gravity always weighs more than an older one, and adding an offence never lowers the
frequency part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pathways.offending.reference import PROVING_OUTCOMES, OffenceGroup, offence_description

DAYS_IN_MONTH = 30.4375

DEFAULT_CONFIG: dict[str, Any] = {
    "lookback_months": 24,
    "proven_outcomes": sorted(PROVING_OUTCOMES),
    "recency_points": 30,
    "points_per_offence": 5,
    "half_life_months": 12,
    "gravity_by_group": {
        OffenceGroup.VIOLENCE: 6,
        OffenceGroup.SEXUAL: 8,
        OffenceGroup.ROBBERY: 8,
        OffenceGroup.THEFT: 3,
        OffenceGroup.CRIMINAL_DAMAGE: 3,
        OffenceGroup.DRUGS: 3,
        OffenceGroup.WEAPONS: 6,
        OffenceGroup.PUBLIC_ORDER: 2,
        OffenceGroup.MISCELLANEOUS: 2,
        OffenceGroup.FRAUD: 3,
        OffenceGroup.SUMMARY_NON_MOTORING: 1,
        OffenceGroup.SUMMARY_MOTORING: 1,
    },
    # Residential burglary harms more than the theft group's weight says.
    "gravity_by_code": {"28E": 6, "30C": 4},
    "include_victims": False,
    "points_per_victim": 2,
}


@dataclass(frozen=True)
class ScoredOffence:
    """What the score needs of one offence."""

    offence_date: dt.date
    offence_code: str
    offence_group: str
    proven_on: dt.date | None  # the earliest proving outcome; None if never proven
    victims: tuple[Any, ...] = ()
    reference: str = ""


@dataclass
class OffenceWeight:
    offence: ScoredOffence
    gravity: float
    decay: float

    @property
    def weight(self) -> float:
        return self.gravity * self.decay


@dataclass
class Score:
    total: float
    recency: float
    frequency: float
    gravity: float
    victims: float
    offences: list[OffenceWeight] = field(default_factory=list)
    days_since_latest: int | None = None
    victims_harmed: int = 0
    as_of: dt.date | None = None

    def parts(self) -> dict[str, float]:
        return {
            "total": self.total,
            "recency": self.recency,
            "frequency": self.frequency,
            "gravity": self.gravity,
            "victims": self.victims,
        }

    def explanation(self, config: dict[str, Any]) -> list[str]:
        """The parts in words, for the panel: each sentence says how a number was reached."""
        if not self.offences:
            return [f"No proven offence committed in the {config['lookback_months']} months before {self.as_of}."]
        lines = [
            f"Recency {self.recency:.2f}: latest offence {self.days_since_latest} days ago, of a "
            f"{config['lookback_months']}-month window ({config['recency_points']} points at most).",
            f"Frequency {self.frequency:.2f}: {len(self.offences)} proven offences × {config['points_per_offence']} points.",
            f"Gravity {self.gravity:.2f}: each offence's gravity halved every {config['half_life_months']} months:",
        ]
        for w in sorted(self.offences, key=lambda w: w.offence.offence_date, reverse=True):
            lines.append(
                f"  {w.offence.offence_date:%-d %b %Y} {offence_description(w.offence.offence_code)}: "
                f"gravity {w.gravity:g} × {w.decay:.2f} = {w.weight:.2f}"
            )
        if config.get("include_victims"):
            lines.append(
                f"Victims {self.victims:.2f}: {self.victims_harmed} people harmed × {config['points_per_victim']} points."
            )
        return lines


class ConfigError(ValueError):
    """A configuration the score cannot use; `problems` names each by its path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def validate_config(config: Any) -> list[str]:
    """Every problem with a configuration, by path (e.g. `gravity_by_group.theft: must be 0 or more`)."""
    if not isinstance(config, dict):
        return ["the configuration must be an object"]
    problems: list[str] = []

    def number(key: str, *, positive: bool) -> None:
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{key}: must be a number")
        elif positive and value <= 0:
            problems.append(f"{key}: must be more than 0")
        elif value < 0:
            problems.append(f"{key}: must be 0 or more")

    number("lookback_months", positive=True)
    number("half_life_months", positive=True)
    number("recency_points", positive=False)
    number("points_per_offence", positive=False)
    number("points_per_victim", positive=False)
    if not isinstance(config.get("include_victims"), bool):
        problems.append("include_victims: must be true or false")
    outcomes = config.get("proven_outcomes")
    if not isinstance(outcomes, list) or not outcomes or not all(isinstance(o, str) for o in outcomes):
        problems.append("proven_outcomes: must be a list of outcome codes")
    groups = config.get("gravity_by_group")
    if not isinstance(groups, dict):
        problems.append("gravity_by_group: must be an object of offence group to gravity")
    else:
        for group in OffenceGroup.values:
            if group not in groups:
                problems.append(f"gravity_by_group.{group}: missing")
        for group, value in groups.items():
            if group not in OffenceGroup.values:
                problems.append(f"gravity_by_group.{group}: not an offence group")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(f"gravity_by_group.{group}: must be a number, 0 or more")
    codes = config.get("gravity_by_code", {})
    if not isinstance(codes, dict):
        problems.append("gravity_by_code: must be an object of offence code to gravity")
    else:
        for code, value in codes.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(f"gravity_by_code.{code}: must be a number, 0 or more")
    return problems


def check_config(config: Any) -> dict[str, Any]:
    problems = validate_config(config)
    if problems:
        raise ConfigError(problems)
    return config


def window_start(config: dict[str, Any], as_of: dt.date) -> dt.date:
    return as_of - dt.timedelta(days=round(config["lookback_months"] * DAYS_IN_MONTH))


def gravity_of(config: dict[str, Any], code: str, group: str) -> float:
    by_code = config.get("gravity_by_code") or {}
    if code in by_code:
        return float(by_code[code])
    return float(config["gravity_by_group"].get(group, 0))


def decay(config: dict[str, Any], age_days: int) -> float:
    """How much of an offence's gravity is left after `age_days`: strictly less as it ages."""
    return 0.5 ** (age_days / (config["half_life_months"] * DAYS_IN_MONTH))


def counts(config: dict[str, Any], offence: ScoredOffence, as_of: dt.date) -> bool:
    """Whether the offence is in the score on `as_of`: committed in the window, proven by then."""
    return (
        offence.proven_on is not None
        and offence.proven_on <= as_of
        and window_start(config, as_of) < offence.offence_date <= as_of
    )


def score(config: dict[str, Any], offences: Iterable[ScoredOffence], as_of: dt.date) -> Score:
    """The person's RFG score on `as_of` from their offences (see the module's definition)."""
    window_days = config["lookback_months"] * DAYS_IN_MONTH
    counted = [o for o in offences if counts(config, o, as_of)]
    weights = [
        OffenceWeight(
            o, gravity_of(config, o.offence_code, o.offence_group), decay(config, (as_of - o.offence_date).days)
        )
        for o in counted
    ]
    if not counted:
        return Score(0.0, 0.0, 0.0, 0.0, 0.0, [], None, 0, as_of)
    days_since = min((as_of - o.offence_date).days for o in counted)
    recency = config["recency_points"] * max(0.0, 1 - days_since / window_days)
    frequency = float(config["points_per_offence"] * len(counted))
    gravity = sum(w.weight for w in weights)
    harmed = {v for o in counted for v in o.victims}
    victims = float(config["points_per_victim"] * len(harmed)) if config.get("include_victims") else 0.0
    total = recency + frequency + gravity + victims
    return Score(
        total=round(total, 2),
        recency=round(recency, 2),
        frequency=round(frequency, 2),
        gravity=round(gravity, 2),
        victims=round(victims, 2),
        offences=weights,
        days_since_latest=days_since,
        victims_harmed=len(harmed),
        as_of=as_of,
    )


def offences_for_scoring(people: Any, config: dict[str, Any], as_of: dt.date) -> dict[Any, list[ScoredOffence]]:
    """Each person's offences committed in the window, with the date each was first proven
    (by an outcome in the configuration's `proven_outcomes`), read in a few queries. `people`
    is a list of person ids or a queryset of people (read as a subquery)."""
    from django.db.models import Min, Q

    from pathways.offending.models import Offence, OffenceVictim

    start = window_start(config, as_of)
    proving = Q(outcomes__outcome__in=config["proven_outcomes"], outcomes__outcome_date__lte=as_of)
    columns = ("pk", "person_id", "offence_date", "offence_code", "offence_group")
    rows = (
        Offence.objects.filter(
            person_id__in=people if hasattr(people, "query") else list(people),
            offence_date__gt=start,
            offence_date__lte=as_of,
        )
        .order_by()
        .values(*columns, "reference")
        .annotate(proven_on=Min("outcomes__outcome_date", filter=proving))
        .values_list(*columns, "proven_on", "reference")
    )
    found: dict[Any, list[tuple]] = {}
    offence_ids = []
    for row in rows:
        found.setdefault(row[1], []).append(row)
        offence_ids.append(row[0])
    victims: dict[Any, list[Any]] = {}
    if config.get("include_victims"):
        for offence_id, victim_id in OffenceVictim.objects.filter(offence_id__in=offence_ids).values_list(
            "offence_id", "person_id"
        ):
            victims.setdefault(offence_id, []).append(victim_id)
    return {
        person: [
            ScoredOffence(date, code, group, proven, tuple(victims.get(pk, ())), reference)
            for pk, _, date, code, group, proven, reference in person_rows
        ]
        for person, person_rows in found.items()
    }
