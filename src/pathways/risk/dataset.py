"""The partnership's own history as a table a reoffending model can learn from.

One row per person: their first *index event* in the period — an offence proven by a conviction
or caution (`offending.reference.PROVING_OUTCOMES`), dated by the outcome, or for a custodial
sentence by the release from custody — with what was known about them on that day, and whether
they went on to reoffend by the Ministry of Justice definition the performance framework uses
(`analytics.measures`): an offence committed after the index date and within 12 months of it,
proven by a conviction or caution within a further 6 months.

Which records count is the sharing policy's decision, exactly as for the performance framework:
`analytics.sources.shared_records` gives the offences, outcomes and custody periods the user may
analyse for performance analysis (an analyst at the OPCC holds no record of anyone, so
`people_visible_to` would leave them an empty table). The table is pseudonymous: the person's
internal identifier, never a name or an address.

Sex, ethnicity and the age band are kept as *group* columns, for the fairness audit of the
model's predictions; they, and the area someone lives in, are offered as features only with a
justification (`REFUSED_FEATURES`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pathways.access.policies import Purpose
from pathways.accounts.models import Agency, User
from pathways.analytics.measures import AGE_BANDS, DISPOSALS
from pathways.analytics.sources import shared_records
from pathways.offending.reference import PROVING_OUTCOMES
from pathways.people.models import Address, Person

FOLLOW_UP_MONTHS = 12
WAITING_MONTHS = 6
CHUNK = 5_000
OUTCOME = "reoffended"
OUTCOME_WORDS = (
    "A proven reoffence: an offence committed within 12 months after the index date and proven by a conviction or "
    "caution within a further 6 months (the Ministry of Justice definition)"
)

# What a model may learn from, in the users' words. Categorical ones are marked.
FEATURES: dict[str, str] = {
    "age_at_index": "Age at the index date",
    "previous_offences": "Number of previous proven offences",
    "age_at_first_offence": "Age at the first proven offence",
    "years_since_first_offence": "Years since the first proven offence",
    "custody_before": "Has been in custody before",
    "index_offence_group": "Offence group of the index offence",
    "index_disposal": "Index disposal (custody, court order, caution…)",
}
# Stand-ins for protected characteristics or for where someone lives: refused unless justified.
REFUSED_FEATURES: dict[str, str] = {
    "sex": "Sex (a protected characteristic)",
    "ethnicity": "Ethnicity (a protected characteristic)",
    "area": "Area: the postcode district where the person lives",
}
CATEGORICAL = {"index_offence_group", "index_disposal", "sex", "ethnicity", "area"}
# The protected characteristics the fairness audit compares the model's predictions across.
GROUPS: dict[str, str] = {"sex": "Sex", "ethnicity": "Ethnicity", "age_band": "Age band"}

# OGRS3 is written alongside this (branch risk-ogrs3): for the lead — the `ogrs3_2y` column and
# the OGRS3 audit appear once `pathways.risk.ogrs3` and `pathways.risk.history` are merged, and
# are simply not offered before.
try:
    from pathways.risk import ogrs3 as _ogrs3  # type: ignore[attr-defined]
    from pathways.risk.history import ogrs3_group as _ogrs3_group  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on which branches are merged
    _ogrs3 = None
    _ogrs3_group = None
OGRS3_SEX = {"M": "male", "F": "female"}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has fewer (31 Aug + 6 → 28 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_complete_end(today: dt.date) -> dt.date:
    """The last index date whose follow-up and waiting period have both ended by today."""
    months, day = FOLLOW_UP_MONTHS + WAITING_MONTHS, dt.timedelta(days=1)
    end = add_months(today, -months)
    # Month ends fold together (29, 30 and 31 August all wait until 28 February), so step both ways.
    while add_months(end + day, months) <= today:
        end += day
    while add_months(end, months) > today:
        end -= day
    return end


def age_on(born: dt.date | None, day: dt.date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            return f"{lo}-{hi}"
    return "50+" if age >= 50 else "under 10"


def ogrs3_available() -> bool:
    return _ogrs3 is not None and _ogrs3_group is not None


def ogrs3_two_year(row: dict[str, Any]) -> float | None:
    """OGRS3's two-year probability from what was known at the index date, or None for someone it
    is not published for (sex not recorded, younger than 10). The sanctions count the index one."""
    if not ogrs3_available():
        return None
    sex = OGRS3_SEX.get(row["sex"])
    if sex is None:
        return None
    try:
        inputs = _ogrs3.Ogrs3Inputs(  # type: ignore[union-attr]
            sex=sex,
            age=int(row["age_at_index"]),
            sanctions=int(row["previous_offences"]) + 1,
            age_at_first_sanction=int(row["age_at_first_offence"]),
            offence_group=_ogrs3_group(row["index_offence_code"], row["index_offence_group"])[0],  # type: ignore[misc]
        )
        return float(_ogrs3.probability(inputs, 2))  # type: ignore[union-attr]
    except ValueError:
        return None


@dataclass
class HistoryTable:
    """The training table, and what it rests on."""

    frame: pd.DataFrame
    period_start: dt.date
    period_end: dt.date
    sources: list[str] = field(default_factory=list)
    # People with an index event left out, and why (no date of birth, so no age).
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def base_rate(self) -> float | None:
        return float(self.frame[OUTCOME].mean()) if len(self.frame) else None


@dataclass
class _Proven:
    offence_id: Any
    person_id: Any
    offence_date: dt.date
    code: str
    group: str
    outcome_date: dt.date
    outcome: str


def _index_disposal(outcome: str) -> str:
    return "custody" if outcome == "conviction_custody" else DISPOSALS.get(outcome, ("other_court", 3))[0]


def _proven_by_person(outcomes: Any) -> dict[Any, list[_Proven]]:
    """Each person's proven offences from a queryset of outcomes; each offence counts once, by
    its earliest proving outcome."""
    proven: dict[Any, _Proven] = {}
    rows = (
        outcomes.filter(outcome__in=PROVING_OUTCOMES)
        .order_by("outcome_date")
        .values_list(
            "offence_id",
            "offence__person_id",
            "offence__offence_date",
            "offence__offence_code",
            "offence__offence_group",
            "outcome_date",
            "outcome",
        )
    )
    for offence_id, person_id, committed, code, group, outcome_date, outcome in rows.iterator(chunk_size=CHUNK):
        if offence_id not in proven:
            proven[offence_id] = _Proven(offence_id, person_id, committed, code, group, outcome_date, outcome)
    by_person: dict[Any, list[_Proven]] = defaultdict(list)
    for p in proven.values():
        by_person[p.person_id].append(p)
    return by_person


def _custody_by_person(custody_periods: Any) -> dict[Any, list[tuple[Any, dt.date, dt.date | None]]]:
    custody: dict[Any, list[tuple[Any, dt.date, dt.date | None]]] = defaultdict(list)
    for person_id, offence_id, sentenced, released in custody_periods.values_list(
        "person_id", "offence_id", "sentence_date", "release_date"
    ).iterator(chunk_size=CHUNK):
        custody[person_id].append((offence_id, sentenced, released))
    return custody


def _index_events(
    offences: list[_Proven], custody: list[tuple[Any, dt.date, dt.date | None]]
) -> list[tuple[dt.date, int, _Proven]]:
    """A person's index events: each proven offence, dated by its outcome, or for a custodial
    sentence by the release (none while still inside), with the measure's same-day order."""
    releases = {o: r for o, _, r in custody if r is not None}
    events = []
    for p in offences:
        if p.outcome == "conviction_custody":
            day, rank = releases.get(p.offence_id), 1
        else:
            day, rank = p.outcome_date, DISPOSALS.get(p.outcome, ("", 9))[1]
        if day is not None:
            events.append((day, rank, p))
    return events


def _feature_row(
    *,
    person_id: Any,
    born: dt.date,
    sex: str,
    ethnicity: str,
    area: str,
    history: list[_Proven],
    custody: list[tuple[Any, dt.date, dt.date | None]],
    day: dt.date,
    index_offence: _Proven,
) -> dict[str, Any]:
    """What was known about a person on their index date: the one place the training table and
    the person page's score both get their features from."""
    before = [p for p in history if p.offence_id != index_offence.offence_id and p.outcome_date < day]
    first = min([p.offence_date for p in before] + [index_offence.offence_date])
    age = age_on(born, day)
    return {
        "person_id": str(person_id),
        "index_date": day,
        "age_at_index": age,
        "previous_offences": len(before),
        "age_at_first_offence": age_on(born, first),
        "years_since_first_offence": round((day - first).days / 365.25, 2),
        "custody_before": int(any(o != index_offence.offence_id and sentenced < day for o, sentenced, _ in custody)),
        "index_offence_group": index_offence.group,
        # Not a feature: OGRS3 places some offences by their code, not their group.
        "index_offence_code": index_offence.code,
        "index_disposal": _index_disposal(index_offence.outcome),
        "sex": sex,
        "ethnicity": ethnicity,
        "area": area,
        "age_band": age_band(age),
    }


def history_table(user: User | None, *, period_start: dt.date, period_end: dt.date) -> HistoryTable:
    """The partnership's history for index events from `period_start` to `period_end`
    (inclusive), through the sharing policy for `user` (None: the operator, everything)."""
    shared = shared_records(user, Purpose.PERFORMANCE_ANALYSIS)
    by_person = _proven_by_person(shared.outcomes)
    custody = _custody_by_person(shared.custody)

    # Each person's first index event in the period; on the same day, the order the measure uses.
    index: dict[Any, tuple[dt.date, int, _Proven]] = {}
    for person_id, offences in by_person.items():
        for day, rank, p in _index_events(offences, custody.get(person_id, [])):
            if not period_start <= day <= period_end:
                continue
            if person_id not in index or (day, rank) < index[person_id][:2]:
                index[person_id] = (day, rank, p)

    people: dict[Any, tuple[dt.date | None, str, str]] = {}
    areas: dict[Any, str] = {}
    ids = list(index)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        people.update(_people(chunk))
        areas.update(_areas(chunk))

    records: list[dict[str, Any]] = []
    no_birth = 0
    for person_id, (day, _, index_offence) in index.items():
        born, sex, ethnicity = people[person_id]
        if born is None:
            no_birth += 1
            continue
        history = by_person[person_id]
        row = _feature_row(
            person_id=person_id,
            born=born,
            sex=sex,
            ethnicity=ethnicity,
            area=areas.get(person_id, "unknown"),
            history=history,
            custody=custody.get(person_id, []),
            day=day,
            index_offence=index_offence,
        )
        follow_up_end, proof_end = add_months(day, FOLLOW_UP_MONTHS), add_months(day, FOLLOW_UP_MONTHS + WAITING_MONTHS)
        reoffended = any(day < p.offence_date <= follow_up_end and p.outcome_date <= proof_end for p in history)
        row[OUTCOME] = int(reoffended)
        records.append(row)
    columns = ["person_id", "index_date", *FEATURES, "index_offence_code", *REFUSED_FEATURES, "age_band", OUTCOME]
    frame = pd.DataFrame.from_records(records, columns=columns)
    if ogrs3_available():
        frame["ogrs3_2y"] = [ogrs3_two_year(r) for r in records]
    names = dict(Agency.objects.values_list("pk", "name"))
    return HistoryTable(
        frame=frame.sort_values(["index_date", "person_id"], ignore_index=True),
        period_start=period_start,
        period_end=period_end,
        sources=sorted({names[a] for a in shared.offence_agencies if a in names}),
        left_out={"no date of birth": no_birth} if no_birth else {},
    )


def _people(ids: list[Any]) -> dict[Any, tuple[dt.date | None, str, str]]:
    return {
        pk: (born, sex, ethnicity)
        for pk, born, sex, ethnicity in Person.objects.filter(pk__in=ids).values_list(
            "pk", "date_of_birth", "sex", "ethnicity"
        )
    }


def _areas(ids: list[Any]) -> dict[Any, str]:
    areas: dict[Any, str] = {}
    for pk, postcode in (
        Address.objects.filter(person_id__in=ids, is_current=True)
        .order_by("created_at")
        .values_list("person_id", "postcode")
    ):
        areas[pk] = (postcode or "").split(" ")[0] or "unknown"
    return areas


@dataclass
class PersonFeatures:
    """One person's features as known today, from their latest index event, or why there are none."""

    row: dict[str, Any] | None
    reason: str = ""


def person_features(person: Person, today: dt.date) -> PersonFeatures:
    """The features a model reads for one person as known on `today`, computed exactly as the
    training table computes them, from the person's latest index event on or before today (the
    start of their current follow-up). The caller has checked that the viewer may see every
    record these rest on; a score about a person uses all of them."""
    from pathways.offending.models import CustodyPeriod, OffenceOutcome

    outcomes = OffenceOutcome.objects.filter(offence__person=person, outcome_date__lte=today)
    history = _proven_by_person(outcomes).get(person.pk, [])
    custody = _custody_by_person(CustodyPeriod.objects.filter(person=person, sentence_date__lte=today)).get(
        person.pk, []
    )
    # A release after today has not happened yet.
    custody = [(o, s, r if r is not None and r <= today else None) for o, s, r in custody]
    events = [e for e in _index_events(history, custody) if e[0] <= today]
    if not events:
        return PersonFeatures(None, "No proven offence (conviction or caution) with its follow-up started is recorded.")
    if person.date_of_birth is None:
        return PersonFeatures(None, "No date of birth is recorded, so age cannot be worked out.")
    # The latest index event; on the same day, the one the measure would count first.
    day, _, index_offence = min(events, key=lambda e: (-e[0].toordinal(), e[1]))
    row = _feature_row(
        person_id=person.pk,
        born=person.date_of_birth,
        sex=person.sex,
        ethnicity=person.ethnicity,
        area=_areas([person.pk]).get(person.pk, "unknown"),
        history=history,
        custody=custody,
        day=day,
        index_offence=index_offence,
    )
    if ogrs3_available():
        row["ogrs3_2y"] = ogrs3_two_year(row)
    return PersonFeatures(row)


def features_offered() -> dict[str, str]:
    """Every feature a user may choose, the OGRS3 probability among them once OGRS3 exists."""
    offered = dict(FEATURES)
    if ogrs3_available():
        offered["ogrs3_2y"] = "OGRS3 two-year probability"
    return offered
