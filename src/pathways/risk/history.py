"""OGRS3's inputs from a person's record in Pathways.

What counts, and why (see also docs/risk.md, "OGRS3"):

- **A sanction** is an offence proven by an outcome in ``offending.reference.PROVING_OUTCOMES``
  (a conviction, or a youth or adult caution), as in the MoJ proven reoffending measure. Each proven
  offence counts once, dated by its earliest proving outcome on or before ``as_of``. OGRS3 itself
  counts sanctioning *occasions*; several offences dealt with on one day therefore count more here
  than in OASys. We count offences because that is what partners' files hold reliably.
- **The current sanction** is the latest sanction on or before ``as_of``. If several offences were
  proven on that day, the gravest (by the adult gravity matrix in ``OFFENCE_TYPES``) decides the
  offence group, then the most recently committed.
- **The start of follow-up** is the current sanction's date, or the release date of a custody
  period that ended after it (on or before ``as_of``): OGRS3 starts counting at sentence for a
  community sentence and at release for custody. We do not tell the two apart any further.
- **Age** is the whole years on those days, from the date of birth.

Who cannot be scored gets a reason instead of a number: no proven offence, no date of birth, sex
recorded as neither male nor female (OGRS3 was published for those two only), or an age outside
OGRS3's range.

Every query is for the whole batch of people at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from pathways.offending.models import CustodyPeriod, OffenceOutcome
from pathways.offending.reference import OFFENCE_TYPES_BY_CODE, PROVING_OUTCOMES, OffenceGroup, offence_description
from pathways.people.models import Person
from pathways.people.reference import Sex
from pathways.risk.ogrs3 import Ogrs3Group, Ogrs3Inputs

G = Ogrs3Group

# How each offence code Pathways knows maps to an OGRS3 group, and why where it is not obvious.
# Codes not listed fall back on their MoJ offence group (GROUP_FALLBACK below).
#
# | code | Pathways description                                   | OGRS3 group                   |
# | ---- | ------------------------------------------------------ | ----------------------------- |
# | 1    | Murder                                                 | violence                      |
# | 5D   | Assault with intent to cause serious harm              | violence                      |
# | 8N   | Assault with injury                                    | violence                      |
# | 105A | Assault without injury                                 | violence                      |
# | 104  | Assault without injury on a constable                  | violence                      |
# | 8L   | Harassment                                             | violence                      |
# | 8Q   | Stalking                                               | violence                      |
# | 8R   | Malicious communications                               | violence                      |
# | 19C  | Rape of a female aged 16 and over                      | sexual_not_child              |
# | 17A  | Sexual assault on a female aged 13 and over            | sexual_not_child (1)          |
# | 34B  | Robbery of personal property                           | robbery                       |
# | 28E  | Burglary – residential                                 | burglary_domestic             |
# | 30C  | Burglary – business and community                      | burglary_other                |
# | 46   | Shoplifting                                            | theft                         |
# | 39   | Theft from the person                                  | theft                         |
# | 44   | Bicycle theft                                          | theft                         |
# | 45   | Theft from a vehicle                                   | theft_from_vehicles           |
# | 48   | Theft or unauthorised taking of a motor vehicle        | taking_driving_away           |
# | 49   | Other theft                                            | theft                         |
# | 54   | Handling stolen goods (Home Office code, not yet listed) | handling                    |
# | 58A  | Criminal damage to a dwelling                          | criminal_damage               |
# | 58C  | Criminal damage to a vehicle                           | criminal_damage               |
# | 56B  | Arson not endangering life                             | criminal_damage               |
# | 92A  | Trafficking in controlled drugs                        | drug_possession_supply (2)    |
# | 92D  | Possession of cannabis                                 | drug_possession_supply        |
# | 92E  | Possession of controlled drugs (excluding cannabis)    | drug_possession_supply        |
# | 10D  | Possession of article with blade or point              | other (3)                     |
# | 8M   | Possession of other weapons                            | other (3)                     |
# | 9A   | Public fear, alarm or distress                         | public_order                  |
# | 66   | Other offences against the state or public order       | public_order                  |
# | 53H  | Fraud by false representation                          | fraud                         |
# | 802  | Dangerous driving                                      | other_motoring                |
# | 149  | Drunk and disorderly                                   | public_order (4)              |
# | 195  | Breach of a court order                                | other                         |
# | 805  | Driving while disqualified                             | other_motoring                |
#
# (1) "aged 13 and over" includes 13- to 15-year-olds, but the code does not say which; OGRS3's
#     child group is for offences defined by the victim being a child, so we do not assume it.
# (2) Trafficking in the Home Office classification is mostly supply; production, cultivation,
#     import and export are recognised by their description (DESCRIPTION_RULES) when present.
# (3) OGRS3 has no weapons group; its "other" group held weapons possession.
# (4) A disorderly-behaviour offence, nearest to OGRS3's public order group.
CODE_GROUPS: dict[str, Ogrs3Group] = {
    "1": G.VIOLENCE,
    "5D": G.VIOLENCE,
    "8N": G.VIOLENCE,
    "105A": G.VIOLENCE,
    "104": G.VIOLENCE,
    "8L": G.VIOLENCE,
    "8Q": G.VIOLENCE,
    "8R": G.VIOLENCE,
    "19C": G.SEXUAL_NOT_CHILD,
    "17A": G.SEXUAL_NOT_CHILD,
    "34B": G.ROBBERY,
    "28E": G.BURGLARY_DOMESTIC,
    "30C": G.BURGLARY_OTHER,
    "46": G.THEFT,
    "39": G.THEFT,
    "44": G.THEFT,
    "45": G.THEFT_FROM_VEHICLES,
    "48": G.TAKING_DRIVING_AWAY,
    "49": G.THEFT,
    "54": G.HANDLING,
    "58A": G.CRIMINAL_DAMAGE,
    "58C": G.CRIMINAL_DAMAGE,
    "56B": G.CRIMINAL_DAMAGE,
    "92A": G.DRUG_POSSESSION_SUPPLY,
    "92D": G.DRUG_POSSESSION_SUPPLY,
    "92E": G.DRUG_POSSESSION_SUPPLY,
    "10D": G.OTHER,
    "8M": G.OTHER,
    "9A": G.PUBLIC_ORDER,
    "66": G.PUBLIC_ORDER,
    "53H": G.FRAUD,
    "802": G.OTHER_MOTORING,
    "149": G.PUBLIC_ORDER,
    "195": G.OTHER,
    "805": G.OTHER_MOTORING,
}

# For codes not in CODE_GROUPS but whose description Pathways knows (the offence list grows):
# the first rule whose words all appear in the lower-cased description wins.
DESCRIPTION_RULES: tuple[tuple[tuple[str, ...], Ogrs3Group], ...] = (
    (("child",), G.SEXUAL_CHILD),  # only applied to sexual offences, see ogrs3_group
    (("under 13",), G.SEXUAL_CHILD),
    (("under 16",), G.SEXUAL_CHILD),
    (("burglary", "residential"), G.BURGLARY_DOMESTIC),
    (("burglary", "dwelling"), G.BURGLARY_DOMESTIC),
    (("burglary",), G.BURGLARY_OTHER),
    (("theft from a vehicle",), G.THEFT_FROM_VEHICLES),
    (("theft from a motor vehicle",), G.THEFT_FROM_VEHICLES),
    (("taking", "vehicle"), G.TAKING_DRIVING_AWAY),
    (("drink", "driv"), G.DRINK_DRIVING),
    (("alcohol", "driv"), G.DRINK_DRIVING),
    (("production",), G.DRUG_IMPORT_EXPORT_PRODUCTION),
    (("cultivat",), G.DRUG_IMPORT_EXPORT_PRODUCTION),
    (("import",), G.DRUG_IMPORT_EXPORT_PRODUCTION),
    (("export",), G.DRUG_IMPORT_EXPORT_PRODUCTION),
    (("handling",), G.HANDLING),
    (("soliciting",), G.SOLICITING),
    (("prostitution",), G.SOLICITING),
    (("bail",), G.ABSCONDING),
    (("abscond",), G.ABSCONDING),
)
_SEXUAL_ONLY = {G.SEXUAL_CHILD}

GROUP_FALLBACK: dict[str, Ogrs3Group] = {
    OffenceGroup.VIOLENCE: G.VIOLENCE,
    OffenceGroup.SEXUAL: G.SEXUAL_NOT_CHILD,
    OffenceGroup.ROBBERY: G.ROBBERY,
    OffenceGroup.THEFT: G.THEFT,
    OffenceGroup.CRIMINAL_DAMAGE: G.CRIMINAL_DAMAGE,
    OffenceGroup.DRUGS: G.DRUG_POSSESSION_SUPPLY,
    OffenceGroup.WEAPONS: G.OTHER,
    OffenceGroup.PUBLIC_ORDER: G.PUBLIC_ORDER,
    OffenceGroup.MISCELLANEOUS: G.OTHER,
    OffenceGroup.FRAUD: G.FRAUD,
    OffenceGroup.SUMMARY_NON_MOTORING: G.OTHER,
    OffenceGroup.SUMMARY_MOTORING: G.OTHER_MOTORING,
}

_CHUNK = 2000


def ogrs3_group(offence_code: str, offence_group: str) -> tuple[Ogrs3Group, str]:
    """The OGRS3 group for one offence, and how it was decided (for "why these inputs")."""
    if offence_code in CODE_GROUPS:
        return CODE_GROUPS[offence_code], f"offence code {offence_code}"
    known = OFFENCE_TYPES_BY_CODE.get(offence_code)
    if known is not None:
        description = known.description.lower()
        for words, group in DESCRIPTION_RULES:
            if group in _SEXUAL_ONLY and offence_group != OffenceGroup.SEXUAL:
                continue
            if all(word in description for word in words):
                return group, f"its description ({known.description})"
    return GROUP_FALLBACK.get(offence_group, G.OTHER), "its offence group"


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


@dataclass(frozen=True)
class Sanction:
    offence_id: uuid.UUID
    reference: str
    offence_code: str
    offence_group: str
    offence_date: dt.date
    sanction_date: dt.date
    outcome: str

    @property
    def description(self) -> str:
        return offence_description(self.offence_code)

    @property
    def gravity(self) -> int:
        known = OFFENCE_TYPES_BY_CODE.get(self.offence_code)
        return known.gravity if known else 0


@dataclass
class Ogrs3History:
    """A person's OGRS3 inputs, or why they cannot be scored, with the record behind them."""

    person_id: Any
    inputs: Ogrs3Inputs | None = None
    reason: str = ""
    sanctions: list[Sanction] = field(default_factory=list)
    current: Sanction | None = None
    group_reason: str = ""
    follow_up_starts: dt.date | None = None
    follow_up_reason: str = ""

    @property
    def first(self) -> Sanction | None:
        return self.sanctions[0] if self.sanctions else None

    def why(self) -> list[str]:
        """The inputs in words, for the person page's "why these inputs"."""
        if self.inputs is None or self.current is None or self.first is None:
            return [self.reason]
        i = self.inputs
        return [
            f"{i.sanctions} sanction{'s' if i.sanctions != 1 else ''} (offences proven by a conviction or "
            f"caution on or before the date scored), counting the current one.",
            f"Current sanction: {self.current.description.lower()} ({self.current.reference}), proven "
            f"{self.current.sanction_date:%-d %B %Y}; OGRS3 group “{i.offence_group.label}”, from {self.group_reason}.",
            f"First sanction: {self.first.sanction_date:%-d %B %Y}, at age {i.age_at_first_sanction}.",
            f"Follow-up starts {self.follow_up_starts:%-d %B %Y} ({self.follow_up_reason}), at age {i.age}.",
        ]


def _in_chunks(person_ids: Any) -> Iterable[Any]:
    if isinstance(person_ids, QuerySet):
        yield person_ids.values("pk") if person_ids.model is Person else person_ids
        return
    ids = list(person_ids)
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def ogrs3_history(person_ids: Iterable[Any] | QuerySet, as_of: dt.date) -> dict[Any, Ogrs3History]:
    """Each person's OGRS3 inputs as known on ``as_of``, or why they cannot be scored. Takes a list
    of ids or a queryset of people; three queries per 2,000 people."""
    people: dict[Any, tuple[dt.date | None, str]] = {}
    proven: dict[Any, dict[Any, Sanction]] = {}
    releases: dict[Any, list[dt.date]] = {}
    for chunk in _in_chunks(person_ids):
        for pk, dob, sex in Person.objects.filter(pk__in=chunk).values_list("pk", "date_of_birth", "sex"):
            people[pk] = (dob, sex)
        outcomes = (
            OffenceOutcome.objects.filter(
                offence__person_id__in=chunk, outcome__in=PROVING_OUTCOMES, outcome_date__lte=as_of
            )
            .order_by("outcome_date")
            .values_list(
                "offence__person_id",
                "offence_id",
                "offence__reference",
                "offence__offence_code",
                "offence__offence_group",
                "offence__offence_date",
                "outcome_date",
                "outcome",
            )
        )
        for person_id, offence_id, reference, code, group, committed, on, outcome in outcomes:
            # Ordered by date, so the first outcome seen for an offence is the one that proved it.
            proven.setdefault(person_id, {}).setdefault(
                offence_id, Sanction(offence_id, reference, code, group, committed, on, outcome)
            )
        for person_id, released in CustodyPeriod.objects.filter(
            person_id__in=chunk, release_date__isnull=False, release_date__lte=as_of
        ).values_list("person_id", "release_date"):
            releases.setdefault(person_id, []).append(released)
    return {
        pk: _history(pk, dob, sex, list(proven.get(pk, {}).values()), releases.get(pk, []))
        for pk, (dob, sex) in people.items()
    }


def _history(
    person_id: Any, dob: dt.date | None, sex: str, sanctions: list[Sanction], releases: list[dt.date]
) -> Ogrs3History:
    sanctions.sort(key=lambda s: (s.sanction_date, s.offence_date))
    history = Ogrs3History(person_id=person_id, sanctions=sanctions)
    if not sanctions:
        history.reason = "No proven offence (conviction or caution) is recorded, so there is no sanction to score."
        return history
    latest_day = sanctions[-1].sanction_date
    same_day = [s for s in sanctions if s.sanction_date == latest_day]
    history.current = max(same_day, key=lambda s: (s.gravity, s.offence_date, s.reference))
    group, history.group_reason = ogrs3_group(history.current.offence_code, history.current.offence_group)
    later = [day for day in releases if day > latest_day]
    if later:
        history.follow_up_starts, history.follow_up_reason = max(later), "released from custody"
    else:
        history.follow_up_starts, history.follow_up_reason = latest_day, "the date of the current sanction"
    if dob is None:
        history.reason = "No date of birth is recorded, so age cannot be worked out."
        return history
    if sex not in (Sex.MALE, Sex.FEMALE):
        history.reason = "Sex is not recorded as male or female; OGRS3 was published for those two only."
        return history
    try:
        history.inputs = Ogrs3Inputs(
            sex="male" if sex == Sex.MALE else "female",
            age=age_on(dob, history.follow_up_starts),
            sanctions=len(sanctions),
            age_at_first_sanction=age_on(dob, sanctions[0].sanction_date),
            offence_group=group,
        )
    except ValueError as error:
        field_name, _, detail = str(error).partition(": ")
        history.reason = f"OGRS3 cannot score this record ({field_name.replace('_', ' ')}: {detail})."
    return history


def ogrs3_inputs(person_ids: Iterable[Any] | QuerySet, as_of: dt.date) -> dict[Any, Ogrs3Inputs | None]:
    """Each person's OGRS3 inputs on ``as_of``, or None where they cannot be scored (use
    ``ogrs3_history`` for the reason)."""
    return {pk: history.inputs for pk, history in ogrs3_history(person_ids, as_of).items()}


def person_ogrs3(person_id: Any, as_of: dt.date) -> tuple[Ogrs3History, Any]:
    """One person's OGRS3 history and score (None where they cannot be scored), for their page."""
    from pathways.risk.ogrs3 import score

    history = ogrs3_history([person_id], as_of).get(person_id) or Ogrs3History(
        person_id=person_id, reason="No such person."
    )
    return history, score(history.inputs) if history.inputs is not None else None
