"""The service's own records as the four tables the measure reads, through the sharing policy.

An analyst at the Office of the Police and Crime Commissioner holds no record of anyone; what
they may analyse is what the partnership's agreements share with their agency for the purpose
they work under (performance analysis): offences from each agency whose offending history is
shared, outcomes and custody from each agency whose outcomes are shared. The extract is
pseudonymous: the person's internal identifier, date of birth (for the age at the index date),
sex, ethnicity and the outward part of their postcode, never names or addresses. Who appears in
a drill-down list is decided separately, by `people_visible_to`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import F, Max, Q, QuerySet

from pathways.access.models import AuditEvent
from pathways.access.policies import Purpose, sharing_view
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.analytics.engines import COLUMNS
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome
from pathways.people.models import Address, Person
from pathways.sharing.models import Consent
from pathways.sharing.reference import Category

CHUNK = 20_000


@dataclass
class Extract:
    """The tables for the engine, and what the figures they give rest on."""

    frames: dict[str, pd.DataFrame]
    purpose: str
    # Agency names whose offences (and whose outcomes) are in the extract, and those left out.
    offence_sources: list[str] = field(default_factory=list)
    outcome_sources: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    # The latest offence and outcome dates in the extract: how fresh the figures are.
    latest_offence: dt.date | None = None
    latest_outcome: dt.date | None = None
    agreements: list[str] = field(default_factory=list)

    @property
    def as_of(self) -> dt.date | None:
        dates = [d for d in (self.latest_offence, self.latest_outcome) if d]
        return max(dates) if dates else None


def _consented_people(purpose: str) -> set[Any]:
    """People whose latest consent for the purpose is 'given'."""
    latest: dict[Any, str] = {}
    for person_id, status in (
        Consent.objects.filter(purpose=purpose).order_by("recorded_on", "created_at").values_list("person_id", "status")
    ):
        latest[person_id] = status
    return {pid for pid, status in latest.items() if status == Consent.Status.GIVEN}


def shared_filter(
    user: User | None, category: str, purpose: str, *, person_field: str = "person_id"
) -> tuple[Q, list[Any]]:
    """Rows (by recording agency) of a category this user may analyse, and the agencies they come from.
    `person_field` names the person the consent rule looks at (outcomes carry none of their own)."""
    if user is None:
        return Q(), list(Agency.objects.values_list("pk", flat=True))
    view = sharing_view(user, purpose)
    plain = [user.agency_id]
    with_consent = []
    for agency_id, consent_only in view.sources.get(category, {}).items():
        (with_consent if consent_only else plain).append(agency_id)
    condition = Q(agency_id__in=plain)
    if with_consent:
        condition |= Q(agency_id__in=with_consent, **{f"{person_field}__in": _consented_people(purpose)})
    return condition, plain + with_consent


@dataclass
class SharedRecords:
    """The offences, outcomes and custody periods a user may analyse for a purpose, and the
    agencies (ids) whose offending history and whose outcomes they come from. Every analysis of
    the service's records starts here, so that no page can count what another leaves out."""

    offences: QuerySet[Offence]
    outcomes: QuerySet[OffenceOutcome]
    custody: QuerySet[CustodyPeriod]
    offence_agencies: list[Any]
    outcome_agencies: list[Any]


def shared_records(user: User | None, purpose: str = Purpose.PERFORMANCE_ANALYSIS) -> SharedRecords:
    offences_q, offence_agencies = shared_filter(user, Category.OFFENDING_HISTORY, purpose)
    outcomes_q, outcome_agencies = shared_filter(user, Category.OUTCOMES, purpose)
    # Outcomes carry no person of their own: the consent rule looks at the offender's.
    outcome_rows_q, _ = shared_filter(user, Category.OUTCOMES, purpose, person_field="offence__person_id")
    offences = Offence.objects.filter(offences_q)
    return SharedRecords(
        offences=offences,
        outcomes=OffenceOutcome.objects.filter(outcome_rows_q, offence__in=offences.values("pk")),
        custody=CustodyPeriod.objects.filter(outcomes_q, offence__in=offences.values("pk")),
        offence_agencies=offence_agencies,
        outcome_agencies=outcome_agencies,
    )


def _frame(rows: Any, name: str) -> pd.DataFrame:
    columns = list(COLUMNS[name])
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    for column, kind in COLUMNS[name].items():
        if kind == "DATE":
            frame[column] = pd.to_datetime(frame[column]).dt.date
        else:
            frame[column] = frame[column].astype("string").astype(object)
    return frame


def service_extract(user: User | None, *, purpose: str = Purpose.PERFORMANCE_ANALYSIS, via: str = "web") -> Extract:
    """The service's records this user may analyse for the purpose; `user=None` is the operator
    running `pathways reoffending` on the server, who sees the whole database. Audited."""
    shared = shared_records(user, purpose)
    offence_agencies, outcome_agencies = shared.offence_agencies, shared.outcome_agencies
    offences, outcomes = shared.offences, shared.outcomes
    offence_rows = offences.values_list("pk", "person_id", "offence_date", "offence_code", "offence_group")
    outcome_rows = outcomes.values_list("offence_id", "outcome_date", "outcome")
    custody_rows = shared.custody.values_list("person_id", "offence_id", "sentence_date", "release_date")

    frames = {
        "offences": _frame(offence_rows.iterator(chunk_size=CHUNK), "offences"),
        "outcomes": _frame(outcome_rows.iterator(chunk_size=CHUNK), "outcomes"),
        "custody": _frame(custody_rows.iterator(chunk_size=CHUNK), "custody"),
    }
    frames["people"] = _people_frame(set(frames["offences"]["person_id"]))
    frames["schemes"] = _frame([*_restorative_justice_rows(user, purpose), *_iom_rows(user, purpose)], "schemes")

    names = dict(Agency.objects.values_list("pk", "name"))
    extract = Extract(
        frames=frames,
        purpose=purpose,
        offence_sources=sorted(names[a] for a in set(offence_agencies) if a in names),
        outcome_sources=sorted(names[a] for a in set(outcome_agencies) if a in names),
        left_out=sorted(n for a, n in names.items() if a not in set(offence_agencies) | set(outcome_agencies)),
        latest_offence=offences.aggregate(d=Max("offence_date"))["d"],
        latest_outcome=outcomes.aggregate(d=Max("outcome_date"))["d"],
        agreements=sharing_view(user, purpose).agreement_titles if user is not None else [],
    )
    audit_record(
        user=user,
        username="" if user is not None else "operator",
        action=AuditEvent.Action.EXPORT,
        object_type="analytics_extract",
        purpose=purpose,
        detail={
            "people": len(frames["people"]),
            "offences": len(frames["offences"]),
            "outcomes": len(frames["outcomes"]),
            "custody": len(frames["custody"]),
            "schemes": len(frames["schemes"]),
            "pseudonymous": True,
        },
        via=via,
    )
    return extract


RESTORATIVE_JUSTICE = "restorative_justice"


def _restorative_justice_rows(user: User | None, purpose: str) -> list[tuple[Any, str]]:
    """(person, "restorative_justice") for each offender who took part in a restorative meeting
    (one held), from the RJ services whose outcomes this user may analyse, so that the `scheme`
    breakdown compares them with everyone else. A case belongs to its service, hence the alias."""
    from pathways.restorative.models import Party
    from pathways.restorative.reference import MeetingStatus, Role

    condition, _ = shared_filter(user, Category.OUTCOMES, purpose)
    people = (
        Party.objects.annotate(agency_id=F("case__service_id"))
        .filter(condition, role=Role.OFFENDER, person__isnull=False, case__meetings__status=MeetingStatus.HELD)
        .order_by()
        .values_list("person_id", flat=True)
        .distinct()
    )
    return [(person_id, RESTORATIVE_JUSTICE) for person_id in people]


def _iom_rows(user: User | None, purpose: str) -> list[tuple[Any, str]]:
    """(person, "iom_<scheme code>") for each person ever in an IOM scheme's cohort (adopted, open
    or closed), from the memberships whose lead agency shares its outcomes with this user, so the
    `scheme` breakdown compares each cohort with everyone else. A membership belongs to its lead
    agency, hence the alias."""
    from pathways.iom.models import Membership

    condition, _ = shared_filter(user, Category.OUTCOMES, purpose)
    rows = (
        Membership.objects.annotate(agency_id=F("lead_agency_id"))
        .filter(condition)
        .order_by()
        .values_list("person_id", "scheme__code")
        .distinct()
    )
    return [(person_id, f"iom_{code}") for person_id, code in rows]


def _people_frame(person_ids: set[Any]) -> pd.DataFrame:
    postcodes: dict[Any, str] = {}
    people: list[tuple[Any, ...]] = []
    ids = list(person_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for person_id, postcode in (
            Address.objects.filter(person_id__in=chunk, is_current=True)
            .order_by("created_at")
            .values_list("person_id", "postcode")
        ):
            # Only the outward code (e.g. WX1): enough for the area breakdown, not an address.
            postcodes[person_id] = (postcode or "").split(" ")[0]
        people.extend(
            Person.objects.filter(pk__in=chunk).values_list("pk", "date_of_birth", "sex", "ethnicity").iterator()
        )
    return _frame(
        ((pk, dob, sex, ethnicity, postcodes.get(pk) or None) for pk, dob, sex, ethnicity in people), "people"
    )
