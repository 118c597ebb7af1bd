"""The strategic assessment: where crime happens, who offends, who is harmed, and how much of
the offending is reoffending, for a period.

Everything rests on the offences the agreements share with the analyst's agency for performance
analysis (`analytics.sources.shared_records`): their area and offence group, their offenders'
age, sex and ethnicity, and the people recorded as harmed. Victims are only counted, never named;
no name leaves this module.

The share of offences committed by people with previous proven offences answers the question the
Solihull panel asked — what typical percentage of crime, and which crime types, are attributable
to reoffending. An offence counts as committed by a previous offender when the same person had
an earlier offence proven (a conviction, or an adult or youth caution, as in the Ministry of
Justice measure) on a date before the new offence.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import Purpose
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.analytics.measures import AGE_BANDS, PRESETS
from pathways.analytics.selectors import add_months, partnership_analysis
from pathways.analytics.sources import Extract, shared_records
from pathways.offending.models import OffenceVictim
from pathways.offending.reference import OffenceGroup
from pathways.people.reference import Ethnicity, Sex

# Offenders are banded as the reoffending measure bands them; victims can be any age.
OFFENDER_AGE_BANDS = [f"{lo}-{hi}" for lo, hi in AGE_BANDS] + ["50+", "unknown"]
VICTIM_BANDS = [(0, 9), (10, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64)]
VICTIM_AGE_BANDS = [f"{lo}-{hi}" for lo, hi in VICTIM_BANDS] + ["65+", "unknown"]
PROOF_OUTCOMES = PRESETS["moj"].proof_outcomes
TOP_AREAS = 10
NOT_RECORDED = "Not recorded"


@dataclass
class Tally:
    key: str
    label: str
    count: int


@dataclass
class ProfileRow:
    """One group of a profile: offences (for victims, times harmed) and distinct people, each
    person counted in the group they were in at their first offence of the period."""

    key: str
    label: str
    offences: int
    people: int


@dataclass
class PreviousShare:
    key: str
    label: str
    offences: int
    by_previous_offenders: int

    @property
    def share(self) -> float | None:
        return self.by_previous_offenders / self.offences if self.offences else None


@dataclass
class AreaRow:
    area: str
    total: int
    by_group: list[int]  # in the order of `StrategicAssessment.by_group`


@dataclass
class RepeatVictims:
    """People harmed by two or more offences in the period, and the offences against them."""

    victims: int
    repeat_victims: int
    offences_with_victim: int
    offences_against_repeat_victims: int
    most_times_harmed: int

    @property
    def victim_share(self) -> float | None:
        return self.repeat_victims / self.victims if self.victims else None

    @property
    def offence_share(self) -> float | None:
        return self.offences_against_repeat_victims / self.offences_with_victim if self.offences_with_victim else None


@dataclass
class StrategicAssessment:
    start: dt.date
    end: dt.date
    as_of: dt.date | None
    offences: int
    offenders: int
    by_group: list[Tally]  # commonest first: also the columns of the cross-tab
    by_area: list[Tally]
    by_month: list[Tally]
    cross_tab: list[AreaRow]
    offender_age: list[ProfileRow]
    offender_sex: list[ProfileRow]
    offender_ethnicity: list[ProfileRow]
    victim_age: list[ProfileRow]
    victim_sex: list[ProfileRow]
    repeat: RepeatVictims
    previous: PreviousShare
    previous_by_group: list[PreviousShare]
    extract: Extract

    @property
    def top_areas(self) -> list[Tally]:
        return self.by_area[:TOP_AREAS]

    @property
    def period_label(self) -> str:
        return f"{self.start.day} {self.start:%B %Y} to {self.end.day} {self.end:%B %Y}"


def default_period(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve complete calendar months before the data's as-of date."""
    end = as_of.replace(day=1) - dt.timedelta(days=1)
    return add_months(end.replace(day=1), -11), end


def strategic_assessment(user: User, start: dt.date | None = None, end: dt.date | None = None) -> StrategicAssessment:
    """The assessment of a period (by default the last twelve complete months of the data).
    Audited: it reads offenders' and victims' details, counted and never named."""
    analysis = partnership_analysis(user)
    as_of = analysis.extract.as_of
    if start is None or end is None:
        start, end = default_period(as_of or timezone.localdate())
    shared = shared_records(user, Purpose.PERFORMANCE_ANALYSIS)
    period = shared.offences.filter(offence_date__gte=start, offence_date__lte=end)
    offences = list(
        period.values(
            "pk",
            "person_id",
            "offence_date",
            "offence_group",
            "area",
            dob=F("person__date_of_birth"),
            sex=F("person__sex"),
            ethnicity=F("person__ethnicity"),
        )
    )
    victims = list(
        OffenceVictim.objects.filter(offence__in=period.values("pk")).values(
            "offence_id",
            "person_id",
            offence_date=F("offence__offence_date"),
            dob=F("person__date_of_birth"),
            sex=F("person__sex"),
        )
    )
    for row in offences:
        row["group"] = row["offence_group"] or ""
        row["area"] = row["area"].strip() or NOT_RECORDED
    groups = Counter(row["group"] for row in offences)
    areas = Counter(row["area"] for row in offences)
    cells = Counter((row["area"], row["group"]) for row in offences)
    months = Counter(row["offence_date"].replace(day=1) for row in offences)
    group_order = [g for g, _ in sorted(groups.items(), key=lambda item: (-item[1], item[0]))]
    area_order = [a for a, _ in sorted(areas.items(), key=lambda item: (-item[1], item[0]))]
    overall, by_group = previous_offending(analysis.query, start, end)
    result = StrategicAssessment(
        start=start,
        end=end,
        as_of=as_of,
        offences=len(offences),
        offenders=len({row["person_id"] for row in offences}),
        by_group=[Tally(g, group_name(g), groups[g]) for g in group_order],
        by_area=[Tally(a, a, areas[a]) for a in area_order],
        by_month=[Tally(m.isoformat(), f"{m:%b %Y}", months[m]) for m in month_starts(start, end)],
        cross_tab=[AreaRow(a, areas[a], [cells[(a, g)] for g in group_order]) for a in area_order],
        offender_age=profile(
            (
                (
                    r["person_id"],
                    r["offence_date"],
                    age_band(r["dob"], r["offence_date"], AGE_BANDS, "50+", youngest=10),
                )
                for r in offences
            ),
            OFFENDER_AGE_BANDS,
        ),
        offender_sex=profile(((r["person_id"], r["offence_date"], r["sex"]) for r in offences), list(Sex.values)),
        offender_ethnicity=profile(
            ((r["person_id"], r["offence_date"], r["ethnicity"]) for r in offences), list(Ethnicity.values)
        ),
        victim_age=profile(
            (
                (r["person_id"], r["offence_date"], age_band(r["dob"], r["offence_date"], VICTIM_BANDS, "65+"))
                for r in victims
            ),
            VICTIM_AGE_BANDS,
        ),
        victim_sex=profile(((r["person_id"], r["offence_date"], r["sex"]) for r in victims), list(Sex.values)),
        repeat=repeat_victims((r["offence_id"], r["person_id"]) for r in victims),
        previous=overall,
        previous_by_group=by_group,
        extract=analysis.extract,
    )
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="strategic_assessment",
        object_id=f"{start}:{end}",
        purpose=Purpose.PERFORMANCE_ANALYSIS,
        detail={"offences": result.offences, "victims": result.repeat.victims, "pseudonymous": True},
    )
    return result


def group_name(group: str) -> str:
    return OffenceGroup(group).label if group in OffenceGroup.values else (group or "Not recorded")


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    found, month = [], start.replace(day=1)
    while month <= end:
        found.append(month)
        month = add_months(month, 1)
    return found


def age_band(born: dt.date | None, on: dt.date, bands: list[tuple[int, int]], top: str, *, youngest: int = 0) -> str:
    """Whole years of age on a day, banded; 'unknown' without a date of birth (or, for offenders,
    an age below that of criminal responsibility, which can only be a recording error)."""
    if born is None:
        return "unknown"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if age < youngest:
        return "unknown"
    for lo, hi in bands:
        if lo <= age <= hi:
            return f"{lo}-{hi}"
    return top if age > bands[-1][1] else "unknown"


def profile(records: Iterable[tuple[Any, dt.date, str]], order: list[str]) -> list[ProfileRow]:
    """(person, date, group) rows as a profile: rows per group, and people in the group they were
    in at their first row of the period. Groups in `order` first, then any others."""
    rows = sorted(records, key=lambda r: (r[1], str(r[0])))
    offences = Counter(group for _, _, group in rows)
    first: dict[Any, str] = {}
    for person, _, group in rows:
        first.setdefault(person, group)
    people = Counter(first.values())
    keys = [k for k in order if offences[k]] + sorted(k for k in offences if k not in order)
    return [ProfileRow(k, profile_label(k), offences[k], people[k]) for k in keys]


def profile_label(key: str) -> str:
    if key in Sex.values:
        return str(Sex(key).label)
    if key in Ethnicity.values:
        return str(Ethnicity(key).label)
    return "Unknown" if key == "unknown" else key


def repeat_victims(pairs: Iterable[tuple[Any, Any]]) -> RepeatVictims:
    """(offence, victim) pairs of the period: who was harmed two or more times, and by which offences."""
    harmed: dict[Any, set[Any]] = {}
    for offence, person in pairs:
        harmed.setdefault(person, set()).add(offence)
    repeat = {person for person, offences in harmed.items() if len(offences) >= 2}
    with_victim = {o for offences in harmed.values() for o in offences}
    against_repeat = {o for person in repeat for o in harmed[person]}
    return RepeatVictims(
        victims=len(harmed),
        repeat_victims=len(repeat),
        offences_with_victim=len(with_victim),
        offences_against_repeat_victims=len(against_repeat),
        most_times_harmed=max((len(o) for o in harmed.values()), default=0),
    )


def previous_offending_sql(start: dt.date, end: dt.date) -> str:
    """Offences committed in the period by offence group, and how many of them by someone with an
    earlier offence proven (conviction or caution) before the day of the new one. Reads the
    measure's `offences` and `outcomes` tables, so it runs on either engine."""
    proof = ", ".join(f"'{code}'" for code in PROOF_OUTCOMES)
    return f"""
WITH proven AS (
    SELECT o.offence_id, o.person_id, o.offence_date, min(x.outcome_date) AS proven_date
    FROM offences o JOIN outcomes x ON x.offence_id = o.offence_id
    WHERE x.outcome IN ({proof})
    GROUP BY o.offence_id, o.person_id, o.offence_date
),
period AS (
    SELECT n.offence_id, COALESCE(n.offence_group, '') AS offence_group,
           CASE WHEN EXISTS (
               SELECT 1 FROM proven p
               WHERE p.person_id = n.person_id AND p.offence_date < n.offence_date AND p.proven_date < n.offence_date
           ) THEN 1 ELSE 0 END AS previous
    FROM offences n
    WHERE n.offence_date BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'
)
SELECT offence_group, count(*) AS offences, sum(previous) AS by_previous
FROM period GROUP BY offence_group
"""


def previous_offending(
    sql: Callable[[str], list[dict[str, Any]]], start: dt.date, end: dt.date
) -> tuple[PreviousShare, list[PreviousShare]]:
    """The share of the period's offences committed by previous offenders, overall and by offence
    group (commonest first), run by `sql` over the measure's tables (`Analysis.query`, or an
    engine's `sql`)."""
    rows = sql(previous_offending_sql(start, end))
    by_group = sorted(
        (
            PreviousShare(r["offence_group"], group_name(r["offence_group"]), int(r["offences"]), int(r["by_previous"]))
            for r in rows
        ),
        key=lambda s: (-s.offences, s.key),
    )
    overall = PreviousShare(
        "all",
        "All offences",
        sum(s.offences for s in by_group),
        sum(s.by_previous_offenders for s in by_group),
    )
    return overall, by_group
