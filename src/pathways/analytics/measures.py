"""Proven reoffending, defined once.

The measure is one SQL definition with a handful of dialect helpers (date arithmetic, postcode
areas), so that DuckDB and Apache Spark run the very same steps. Engines supply four tables —
`people`, `offences`, `outcomes`, `custody`, and optionally `schemes` — in the partner file
formats of docs/data-formats.md, and get back plain records, never HTML.

The Ministry of Justice definition is the default preset:

- **Cohort.** People whose first index event falls inside the cohort window (inclusive): release
  from custody (index date = release date), a court conviction with a non-custodial sentence, or
  an adult or youth caution (index date = outcome date).
- **Proven reoffence.** An offence committed strictly after the index date and on or before the
  index date plus the follow-up (12 months), proven by a conviction or caution dated on or before
  the index date plus the follow-up and the waiting period (6 months).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CONVICTIONS = [
    "conviction_custody",
    "conviction_suspended",
    "conviction_community",
    "conviction_fine",
    "conviction_discharge",
]

# How an index outcome is described in the `index_disposal` breakdown, and which comes first
# when a person has two index events on the same day.
DISPOSALS = {
    "conviction_suspended": ("court_order", 2),
    "conviction_community": ("court_order", 2),
    "conviction_fine": ("other_court", 3),
    "conviction_discharge": ("other_court", 3),
    "3": ("caution", 4),
    "2": ("caution", 4),
    "8": ("community_resolution", 5),
    "22": ("diversion", 6),
}

AGE_BANDS = [(10, 14), (15, 17), (18, 20), (21, 24), (25, 29), (30, 34), (35, 39), (40, 44), (45, 49)]
PREVIOUS_BANDS = [(0, 0), (1, 2), (3, 6), (7, 10)]
BREAKDOWNS = ["age_band", "sex", "ethnicity", "index_disposal", "previous_offences", "offence_group", "area", "scheme"]
# The order groups are shown in, where a natural order exists.
GROUP_ORDER = {
    "age_band": [f"{lo}-{hi}" for lo, hi in AGE_BANDS] + ["50+", "unknown"],
    "previous_offences": ["0", "1-2", "3-6", "7-10", "11+"],
    "index_disposal": ["custody", "court_order", "other_court", "caution", "community_resolution", "diversion"],
}


@dataclass(frozen=True)
class Preset:
    """A cohort definition a partnership can configure without code (see `load_presets`)."""

    name: str
    description: str
    index_outcomes: tuple[str, ...]
    custody_release: bool
    proof_outcomes: tuple[str, ...]
    follow_up_months: int = 12
    waiting_months: int = 6

    def __post_init__(self) -> None:
        if self.follow_up_months < 1 or self.waiting_months < 0:
            raise ValueError(
                f"preset {self.name}: the follow-up must be at least a month and the waiting period not negative"
            )
        unknown = set(self.index_outcomes) - set(DISPOSALS)
        if unknown:
            raise ValueError(f"preset {self.name}: {', '.join(sorted(unknown))} cannot start a cohort")


PRESETS: dict[str, Preset] = {
    "moj": Preset(
        name="moj",
        description="Ministry of Justice proven reoffending: custody releases, non-custodial court sentences and cautions; "
        "12-month follow-up, 6-month waiting period; proven by conviction or caution",
        index_outcomes=(
            "conviction_suspended",
            "conviction_community",
            "conviction_fine",
            "conviction_discharge",
            "2",
            "3",
        ),
        custody_release=True,
        proof_outcomes=(*CONVICTIONS, "2", "3"),
    ),
    "community_resolution": Preset(
        name="community_resolution",
        description="Community resolutions and diversion (outcomes 8 and 22) as index events; community resolutions also "
        "count as proof",
        index_outcomes=("8", "22"),
        custody_release=False,
        proof_outcomes=(*CONVICTIONS, "2", "3", "8", "22"),
    ),
}


def load_presets(path: Path | None) -> dict[str, Preset]:
    """The built-in presets, plus any a partnership defines in a JSON file: a list of objects with
    the fields of `Preset` (e.g. a shorter follow-up for a local scheme)."""
    presets = dict(PRESETS)
    if path is None:
        return presets
    for entry in json.loads(path.read_text()):
        entry["index_outcomes"] = tuple(entry["index_outcomes"])
        entry["proof_outcomes"] = tuple(entry["proof_outcomes"])
        preset = Preset(**entry)
        presets[preset.name] = preset
    return presets


class Dialect:
    """The few places where DuckDB and Spark SQL differ."""

    name = "base"

    def add_months(self, expr: str, months: int) -> str:
        raise NotImplementedError

    def days_between(self, start: str, end: str) -> str:
        raise NotImplementedError

    def postcode_area(self, expr: str) -> str:
        raise NotImplementedError


class DuckDBDialect(Dialect):
    name = "duckdb"

    def add_months(self, expr: str, months: int) -> str:
        return f"CAST(({expr}) + INTERVAL ({int(months)}) MONTH AS DATE)"

    def days_between(self, start: str, end: str) -> str:
        return f"date_diff('day', {start}, {end})"

    def postcode_area(self, expr: str) -> str:
        return f"NULLIF(split_part(upper(trim({expr})), ' ', 1), '')"


class SparkDialect(Dialect):
    name = "spark"

    def add_months(self, expr: str, months: int) -> str:
        return f"add_months({expr}, {int(months)})"

    def days_between(self, start: str, end: str) -> str:
        return f"datediff({end}, {start})"

    def postcode_area(self, expr: str) -> str:
        return f"NULLIF(split(upper(trim({expr})), ' ')[0], '')"


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "") + "'" for v in values)


def _band(expr: str, bands: list[tuple[int, int]], top: str) -> str:
    cases = " ".join(
        f"WHEN {expr} BETWEEN {lo} AND {hi} THEN '{lo}-{hi}'" if lo != hi else f"WHEN {expr} = {lo} THEN '{lo}'"
        for lo, hi in bands
    )
    return (
        f"CASE WHEN {expr} IS NULL THEN 'unknown' {cases} WHEN {expr} > {bands[-1][1]} THEN '{top}' ELSE 'unknown' END"
    )


def person_level_sql(preset: Preset, *, start: dt.date, end: dt.date, dialect: Dialect, has_schemes: bool) -> str:
    """One row per person in the cohort: their index event, the breakdown values and their proven
    reoffences. Every figure is aggregated from this."""
    d = dialect
    disposal_case = " ".join(f"WHEN '{code}' THEN '{label}'" for code, (label, _) in DISPOSALS.items())
    rank_case = " ".join(f"WHEN '{code}' THEN {rank}" for code, (_, rank) in DISPOSALS.items())
    custody = (
        f"""SELECT c.person_id, c.release_date AS index_date, 'custody' AS index_disposal, 1 AS disposal_rank,
                  c.offence_id AS index_offence_id
           FROM custody c WHERE c.release_date BETWEEN DATE '{start}' AND DATE '{end}'
           UNION ALL"""
        if preset.custody_release
        else ""
    )
    age = (
        "(year(k.index_date) - year(p.date_of_birth) - CASE WHEN month(k.index_date) * 100 + day(k.index_date) "
        "< month(p.date_of_birth) * 100 + day(p.date_of_birth) THEN 1 ELSE 0 END)"
    )
    scheme = (
        "COALESCE((SELECT min(s.scheme) FROM schemes s WHERE s.person_id = k.person_id), 'none')"
        if has_schemes
        else "'none'"
    )
    return f"""
WITH candidates AS (
    {custody}
    SELECT o.person_id, x.outcome_date AS index_date,
           CASE x.outcome {disposal_case} END AS index_disposal,
           CASE x.outcome {rank_case} END AS disposal_rank,
           o.offence_id AS index_offence_id
    FROM outcomes x JOIN offences o ON o.offence_id = x.offence_id
    WHERE x.outcome IN ({_in_list(preset.index_outcomes)}) AND x.outcome_date BETWEEN DATE '{start}' AND DATE '{end}'
),
ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.person_id ORDER BY c.index_date, c.disposal_rank, c.index_offence_id) AS rn
    FROM candidates c
),
cohort AS (
    SELECT k.person_id, k.index_date, k.index_disposal, k.index_offence_id,
           io.offence_date AS index_offence_date, COALESCE(io.offence_group, 'unknown') AS offence_group,
           COALESCE(p.sex, 'U') AS sex, COALESCE(p.ethnicity, 'NS') AS ethnicity,
           COALESCE({d.postcode_area("p.postcode")}, 'unknown') AS area,
           {_band(age, AGE_BANDS, "50+")} AS age_band,
           {scheme} AS scheme,
           {d.add_months("k.index_date", preset.follow_up_months)} AS follow_up_end,
           {d.add_months("k.index_date", preset.follow_up_months + preset.waiting_months)} AS proof_end
    FROM ranked k
    LEFT JOIN people p ON p.person_id = k.person_id
    LEFT JOIN offences io ON io.offence_id = k.index_offence_id
    WHERE k.rn = 1
),
proven AS (
    -- Only the cohort's offences are ever looked at (previous, reoffending), so only theirs are read.
    SELECT o.offence_id, o.person_id, o.offence_date, min(x.outcome_date) AS proven_date
    FROM offences o JOIN outcomes x ON x.offence_id = o.offence_id
    WHERE x.outcome IN ({_in_list(preset.proof_outcomes)}) AND o.person_id IN (SELECT person_id FROM cohort)
    GROUP BY o.offence_id, o.person_id, o.offence_date
),
previous AS (
    SELECT k.person_id, count(pr.offence_id) AS n
    FROM cohort k LEFT JOIN proven pr
      ON pr.person_id = k.person_id AND pr.offence_date < k.index_offence_date AND pr.proven_date <= k.index_date
    GROUP BY k.person_id
),
reoffending AS (
    SELECT k.person_id, count(pr.offence_id) AS reoffences, min(pr.offence_date) AS first_reoffence
    FROM cohort k JOIN proven pr
      ON pr.person_id = k.person_id AND pr.offence_date > k.index_date AND pr.offence_date <= k.follow_up_end
     AND pr.proven_date <= k.proof_end
    GROUP BY k.person_id
)
SELECT k.person_id, k.index_date, k.index_disposal, k.offence_group, k.sex, k.ethnicity, k.area, k.age_band, k.scheme,
       {_band("pv.n", PREVIOUS_BANDS, "11+")} AS previous_offences,
       COALESCE(r.reoffences, 0) AS reoffences,
       CASE WHEN r.reoffences > 0 THEN 1 ELSE 0 END AS reoffended,
       {d.days_between("k.index_date", "r.first_reoffence")} AS days_to_first_reoffence
FROM cohort k
LEFT JOIN previous pv ON pv.person_id = k.person_id
LEFT JOIN reoffending r ON r.person_id = k.person_id
"""


def aggregate_sql(by: str | None, within: dict[str, str] | None = None) -> str:
    """Totals over the person-level table `cohort_people`, overall or by one breakdown, for
    everyone or only those in the given breakdown groups (a drill-down)."""
    group = f"{by} AS grp," if by else ""
    group_by = f"GROUP BY {by}" if by else ""
    return f"""
SELECT {group} count(*) AS cohort, sum(reoffended) AS reoffenders, sum(reoffences) AS reoffences,
       sum(days_to_first_reoffence) AS total_days_to_first
FROM cohort_people {within_sql(within)} {group_by}
"""


def within_sql(within: dict[str, str] | None) -> str:
    """A WHERE clause keeping the people in the named breakdown groups; names are whitelisted."""
    conditions = [f"{name} = '{str(value).replace(chr(39), '')}'" for name, value in (within or {}).items()]
    if any(name not in BREAKDOWNS for name in within or {}):
        raise ValueError(f"unknown breakdown in {sorted(within or {})}")
    return "WHERE " + " AND ".join(conditions) if conditions else ""


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float] | None:
    """The 95% Wilson score interval for a proportion; None for an empty group."""
    if n == 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At 0% or 100% the interval touches the bound exactly; floating point would leave 1e-17.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


@dataclass
class Figures:
    cohort: int
    reoffenders: int
    reoffences: int
    total_days_to_first: int

    @property
    def rate(self) -> float | None:
        return self.reoffenders / self.cohort if self.cohort else None

    def as_dict(self, *, suppress: int = 0) -> dict[str, Any]:
        interval = wilson_interval(self.reoffenders, self.cohort)
        out: dict[str, Any] = {
            "cohort": self.cohort,
            "reoffenders": self.reoffenders,
            "rate": round(self.rate, 6) if self.rate is not None else None,
            "rate_ci95": [round(interval[0], 6), round(interval[1], 6)] if interval else None,
            "reoffences": self.reoffences,
            "per_reoffender": round(self.reoffences / self.reoffenders, 6) if self.reoffenders else None,
            "per_offender": round(self.reoffences / self.cohort, 6) if self.cohort else None,
            "mean_days_to_first_reoffence": round(self.total_days_to_first / self.reoffenders, 2)
            if self.reoffenders
            else None,
        }
        if suppress and (0 < self.cohort < suppress or 0 < self.reoffenders < suppress):
            # Small numbers could identify someone: publishable tables say so instead of showing them.
            for key in out:
                out[key] = None
            out["suppressed"] = True
        return out


@dataclass
class Result:
    preset: Preset
    start: dt.date
    end: dt.date
    engine: str
    overall: Figures
    breakdowns: dict[str, list[tuple[str, Figures]]] = field(default_factory=dict)

    def as_dict(self, *, suppress: int = 0) -> dict[str, Any]:
        out = self.overall.as_dict(suppress=suppress)
        out["breakdowns"] = {
            name: [{"group": group, **figures.as_dict(suppress=suppress)} for group, figures in groups]
            for name, groups in self.breakdowns.items()
        }
        out["definition"] = {
            "preset": asdict(self.preset),
            "cohort_start": self.start.isoformat(),
            "cohort_end": self.end.isoformat(),
            "engine": self.engine,
            "suppressed_below": suppress or None,
        }
        return out


def order_groups(name: str, rows: list[tuple[str, Figures]]) -> list[tuple[str, Figures]]:
    order = GROUP_ORDER.get(name)
    if order:
        return sorted(rows, key=lambda r: (order.index(r[0]) if r[0] in order else len(order), r[0]))
    return sorted(rows, key=lambda r: str(r[0]))
