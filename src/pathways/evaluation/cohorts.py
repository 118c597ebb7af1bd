"""The table an evaluation matches on, built from Pathways' own records as of a date.

One row a person: `treated` (1 = received the intervention in the period), their index date,
the covariates known at that date, and their one-year proven reoffending after it.

- **Treated.** Everyone who received the intervention between `start` and `end` (inclusive);
  their index date is the intervention's date (the first, if more than one):
  an RJ conference held (`restorative.Meeting`, kind conference, status held: the held date; the
  case's offender parties), a diversion contract (its start), a resolution with a given route
  (the decision date), adoption into a given IOM scheme (the adoption date), a tag fitted (the
  fitting date), or an uploaded list of the user's agency's person references (its
  `index_date` column, or else the person's first proven offence in the period).
- **Comparison pool.** Everyone else with a proven offence (a conviction or caution,
  `offending.reference.PROVING_OUTCOMES`) committed in the period who never received the
  intervention; index date = that offence's date (the first, if more than one).
- **Covariates** (known at the index date): age, sex, ethnicity, the index offence's group and
  disposal (the latest offence on or before the index date, and its outcome — as the Justice
  Data Lab does, the disposal is that offence's outcome even when it was recorded later),
  previous proven offences (proven by the index date, committed before the index offence), years
  since the first proven offence, and the OGRS3 two-year probability when pathways.risk.ogrs3
  is installed.
- **Outcome** (the MoJ definition, analytics/measures.py): an offence committed in the 12
  months after the index date and proven within a further 6 months; frequency = how many. People
  whose 18 months have not yet passed at `as_of` cannot be measured and are left out (counted).
  Time in custody is not taken off the follow-up (the MoJ measure starts it at release).

Only people the user may see (`access.policies.people_visible_to`) are in either group.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.utils import timezone

from pathways.access.policies import people_visible_to
from pathways.accounts.models import Agency, User
from pathways.evaluation.models import Intervention
from pathways.offending.models import Offence, OffenceOutcome
from pathways.offending.reference import PROVING_OUTCOMES
from pathways.people.models import Person, PersonIdentifier
from pathways.people.reference import IdentifierKind

try:  # OGRS3 arrives with the risk app (branch risk-ogrs3); without it the covariate is left out.
    from pathways.risk import ogrs3 as _ogrs3
except ImportError:  # pragma: no cover - depends on what is merged
    _ogrs3 = None

FOLLOW_UP_MONTHS = 12
WAITING_MONTHS = 6
CHUNK = 2000

COVARIATES: dict[str, str] = {
    "age": "Age at the index date",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "index_offence_group": "Index offence group",
    "index_disposal": "Index disposal",
    "previous_proven_offences": "Previous proven offences",
    "years_since_first_proven": "Years since the first proven offence",
}
if _ogrs3 is not None:
    COVARIATES["ogrs3_two_year"] = "OGRS3 two-year probability"
DEFAULT_COVARIATES = list(COVARIATES)

# The index disposal, as analytics.measures.DISPOSALS names it, with custody and "other".
DISPOSALS = {
    "conviction_custody": "custody",
    "conviction_suspended": "court_order",
    "conviction_community": "court_order",
    "conviction_fine": "other_court",
    "conviction_discharge": "other_court",
    "3": "caution",
    "2": "caution",
    "8": "community_resolution",
    "22": "diversion",
}


class CohortError(ValueError):
    """The cohort cannot be built: the message names the file, row and column where it can."""


@dataclass(frozen=True)
class CohortSpec:
    intervention: str
    start: dt.date
    end: dt.date
    scheme: str = ""  # IOM scheme code, for iom_adoption
    tier: str = ""  # resolution route, for resolution_tier
    as_of: dt.date | None = None


@dataclass
class Cohort:
    frame: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    days_in_month = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]
    return dt.date(year, month, min(day.day, days_in_month[month - 1]))


# --- the uploaded list -------------------------------------------------------------------------


def read_people_csv(
    content: bytes | str, *, agency: Agency, user: User, filename: str = "the file"
) -> dict[Any, dt.date | None]:
    """Person pk → index date (None: use their first proven offence in the period) for each row
    of a CSV of `agency`'s person references (`person_id`, optional `index_date`). Every bad row
    is reported at once; nothing is used unless every row is good."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CohortError(f"{filename}: is not a UTF-8 CSV file") from None
    reader = csv.DictReader(io.StringIO(content))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    if "person_id" not in columns:
        raise CohortError(f"{filename}: has no person_id column (it has: {', '.join(columns) or 'nothing'})")
    rows = []
    errors = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        reference = row.get("person_id", "")
        if not reference:
            errors.append(f"{filename}, row {number}, column person_id: is empty")
            continue
        day = None
        if row.get("index_date"):
            try:
                day = dt.date.fromisoformat(row["index_date"])
            except ValueError:
                errors.append(
                    f"{filename}, row {number}, column index_date: {row['index_date']!r} is not a date (YYYY-MM-DD)"
                )
                continue
        rows.append((number, reference, day))
    if not rows and not errors:
        raise CohortError(f"{filename}: has no rows")
    references = {reference for _, reference, _ in rows}
    found: dict[str, Any] = {}
    visible = people_visible_to(user)
    for chunk in _chunks(sorted(references)):
        found.update(
            PersonIdentifier.objects.filter(
                kind=IdentifierKind.AGENCY_REFERENCE, agency=agency, value__in=chunk, person__in=visible
            ).values_list("value", "person_id")
        )
    people: dict[Any, dt.date | None] = {}
    for number, reference, day in rows:
        if reference not in found:
            errors.append(
                f"{filename}, row {number}, column person_id: {reference!r} is not a {agency.name} reference "
                "of anyone you may see"
            )
            continue
        person = found[reference]
        if person in people and people[person] != day:
            errors.append(
                f"{filename}, row {number}, column person_id: {reference!r} is listed twice with different dates"
            )
            continue
        people[person] = day
    if errors:
        shown = errors[:20]
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        raise CohortError("; ".join(shown) + more)
    return people


# --- who received the intervention -------------------------------------------------------------


def _received(spec: CohortSpec, visible: Any) -> Iterable[tuple[Any, dt.date]]:
    """(person pk, date) for every time anyone visible received the intervention, any date."""
    from pathways.iom.models import Membership, TagPeriod
    from pathways.resolutions.models import DiversionContract, Resolution
    from pathways.restorative.models import Meeting
    from pathways.restorative.reference import Intervention as RjIntervention
    from pathways.restorative.reference import MeetingStatus, Role

    kind = spec.intervention
    if kind == Intervention.IOM_ADOPTION:
        if not spec.scheme:
            raise CohortError("Choose the IOM scheme to evaluate")
        return Membership.objects.filter(scheme__code=spec.scheme, person__in=visible).values_list(
            "person_id", "adopted_on"
        )
    if kind == Intervention.TAG:
        return TagPeriod.objects.filter(person__in=visible).values_list("person_id", "fitted_on")
    if kind == Intervention.DIVERSION_CONTRACT:
        return DiversionContract.objects.filter(resolution__person__in=visible).values_list(
            "resolution__person_id", "starts_on"
        )
    if kind == Intervention.RESOLUTION_TIER:
        if not spec.tier:
            raise CohortError("Choose the resolution tier to evaluate")
        rows = Resolution.objects.filter(route=spec.tier, decided_at__isnull=False, person__in=visible).values_list(
            "person_id", "decided_at"
        )
        return [(person, timezone.localdate(when)) for person, when in rows]
    if kind == Intervention.RJ_CONFERENCE:
        rows = Meeting.objects.filter(
            intervention=RjIntervention.CONFERENCE,
            status=MeetingStatus.HELD,
            case__parties__role=Role.OFFENDER,
            case__parties__person__in=visible,
        ).values_list("case__parties__person_id", "held_on", "starts_at")
        return [(person, held or timezone.localdate(starts)) for person, held, starts in rows]
    raise CohortError(f"Unknown intervention {kind!r}")


def _first(pairs: Iterable[tuple[Any, dt.date]], start: dt.date | None = None, end: dt.date | None = None) -> dict:
    first: dict[Any, dt.date] = {}
    for person, day in pairs:
        if day is None or (start and day < start) or (end and day > end):
            continue
        if person not in first or day < first[person]:
            first[person] = day
    return first


def _proven_offences_in(start: dt.date, end: dt.date, as_of: dt.date, visible: Any) -> dict[Any, dt.date]:
    rows = OffenceOutcome.objects.filter(
        outcome__in=PROVING_OUTCOMES,
        outcome_date__lte=as_of,
        offence__offence_date__range=(start, end),
        offence__person__in=visible,
    ).values_list("offence__person_id", "offence__offence_date")
    return _first(rows)


# --- building the table ------------------------------------------------------------------------


def build(spec: CohortSpec, *, user: User, uploaded: dict[Any, dt.date | None] | None = None) -> Cohort:
    """The evaluation table for `spec`, as `user` may see it."""
    as_of = spec.as_of or timezone.localdate()
    if spec.start > spec.end:
        raise CohortError("The period's start is after its end")
    if spec.end > as_of:
        raise CohortError("The period must end on or before today")
    visible = people_visible_to(user)
    proven = _proven_offences_in(spec.start, spec.end, as_of, visible)
    notes: list[str] = []
    if spec.intervention == Intervention.UPLOADED_LIST:
        if not uploaded:
            raise CohortError("Upload a CSV file of the people who received the intervention")
        treated: dict[Any, dt.date] = {}
        no_date = 0
        for person, day in uploaded.items():
            day = day or proven.get(person)
            if day is None:
                no_date += 1
            elif spec.start <= day <= spec.end:
                treated[person] = day
        if no_date:
            notes.append(f"{no_date} listed people had no index date and no proven offence in the period: left out.")
        ever = set(uploaded)
    else:
        received = list(_received(spec, visible))
        treated = _first(received, spec.start, spec.end)
        ever = {person for person, day in received if day is not None and day <= as_of}
    pool = {person: day for person, day in proven.items() if person not in ever}

    index = {**pool, **treated}
    frame = _rows(index, set(treated), as_of)
    counts = {
        "treated_found": len(treated),
        "comparison_pool_found": len(pool),
        "follow_up_incomplete": len(index) - len(frame),
    }
    if counts["follow_up_incomplete"]:
        notes.append(
            f"{counts['follow_up_incomplete']} people's 18 months (12 to reoffend, 6 for it to be proven) "
            f"had not passed by {as_of:%-d %B %Y}: left out."
        )
    return Cohort(frame=frame, counts=counts, notes=notes)


def _chunks(items: list) -> Iterable[list]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


COLUMNS = [
    "person",
    "treated",
    "index_date",
    *COVARIATES,
    "reoffended",
    "reoffences",
]


def _rows(index: dict[Any, dt.date], treated: set, as_of: dt.date) -> pd.DataFrame:
    measurable = {p: d for p, d in index.items() if add_months(d, FOLLOW_UP_MONTHS + WAITING_MONTHS) <= as_of}
    ids = list(measurable)
    people: dict[Any, dict] = {}
    offences: dict[Any, list[dict]] = defaultdict(list)
    outcomes: dict[Any, list[tuple[dt.date, str]]] = defaultdict(list)
    for chunk in _chunks(ids):
        for row in Person.objects.filter(pk__in=chunk).values("pk", "date_of_birth", "sex", "ethnicity"):
            people[row["pk"]] = row
        for row in Offence.objects.filter(person_id__in=chunk).values(
            "pk", "person_id", "offence_date", "offence_group", "offence_code"
        ):
            offences[row["person_id"]].append(row)
        for offence, day, outcome in OffenceOutcome.objects.filter(offence__person_id__in=chunk).values_list(
            "offence_id", "outcome_date", "outcome"
        ):
            outcomes[offence].append((day, outcome))
    rows = []
    for person, day in measurable.items():
        rows.append(_row(person, day, person in treated, people[person], offences[person], outcomes, as_of))
    return pd.DataFrame(rows, columns=COLUMNS)


def _proven_on(outcomes: list[tuple[dt.date, str]]) -> dt.date | None:
    days = [day for day, outcome in outcomes if outcome in PROVING_OUTCOMES]
    return min(days) if days else None


def _row(
    person: Any,
    index_date: dt.date,
    is_treated: bool,
    who: dict,
    offences: list[dict],
    outcomes: dict[Any, list[tuple[dt.date, str]]],
    as_of: dt.date,
) -> dict[str, Any]:
    dob = who["date_of_birth"]
    age = _age(dob, index_date) if dob else None
    history = sorted(offences, key=lambda o: (o["offence_date"], _proven_on(outcomes[o["pk"]]) is None))
    before = [o for o in history if o["offence_date"] <= index_date]
    # The index offence: on the index date, a proven one first; else the latest before it.
    on_the_day = [o for o in before if o["offence_date"] == index_date]
    proven_on_the_day = [o for o in on_the_day if _proven_on(outcomes[o["pk"]])]
    index_offence = (proven_on_the_day or on_the_day or before or [None])[-1]
    disposal = "none"
    if index_offence is not None:
        recorded = sorted(outcomes[index_offence["pk"]])
        proving = [o for _, o in recorded if o in PROVING_OUTCOMES]
        chosen = proving[0] if proving else (recorded[-1][1] if recorded else "")
        disposal = DISPOSALS.get(chosen, "other" if chosen else "none")
    cut = index_offence["offence_date"] if index_offence else index_date
    proven_before = [
        o
        for o in history
        if (proven := _proven_on(outcomes[o["pk"]])) is not None
        and proven <= index_date
        and o["offence_date"] <= index_date
    ]
    previous = sum(1 for o in proven_before if o["offence_date"] < cut)
    first = min((o["offence_date"] for o in proven_before), default=None)
    follow_up_end = add_months(index_date, FOLLOW_UP_MONTHS)
    proven_by = add_months(index_date, FOLLOW_UP_MONTHS + WAITING_MONTHS)
    reoffences = sum(
        1
        for o in history
        if index_date < o["offence_date"] <= follow_up_end
        and any(outcome in PROVING_OUTCOMES and day <= proven_by for day, outcome in outcomes[o["pk"]])
    )
    row = {
        "person": str(person),
        "treated": int(is_treated),
        "index_date": index_date.isoformat(),
        "age": age,
        "sex": who["sex"],
        "ethnicity": who["ethnicity"],
        "index_offence_group": index_offence["offence_group"] if index_offence else "none",
        "index_disposal": disposal,
        "previous_proven_offences": previous,
        "years_since_first_proven": round((index_date - first).days / 365.25, 2) if first else 0.0,
        "reoffended": int(reoffences > 0),
        "reoffences": reoffences,
    }
    if _ogrs3 is not None:
        row["ogrs3_two_year"] = _ogrs3_two_year(who, dob, age, previous, first, index_offence)
    return row


def _age(dob: dt.date, on: dt.date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _ogrs3_two_year(
    who: dict, dob: dt.date | None, age: int | None, previous: int, first: dt.date | None, offence: dict | None
) -> float | None:
    """OGRS3 at the index date; None (the row is left out of matching) where it is not defined:
    sex not recorded as male or female, no date of birth, or under 10."""
    sex = {"M": "male", "F": "female"}.get(who["sex"])
    if sex is None or age is None or dob is None:
        return None
    from pathways.risk.history import ogrs3_group  # the risk app's own mapping, so both agree

    group = ogrs3_group(offence["offence_code"], offence["offence_group"])[0] if offence else "other"
    first_age = _age(dob, first) if first else age
    try:
        inputs = _ogrs3.Ogrs3Inputs(
            sex=sex, age=age, sanctions=previous + 1, age_at_first_sanction=min(first_age, age), offence_group=group
        )
    except ValueError:
        return None
    return round(_ogrs3.score(inputs).two_year, 4)
