"""Electronic monitoring: the tag suppliers' files, compliance alerts, and whether people
reoffended while they wore a tag.

Dorset's voluntary GPS scheme reported "60 offenders have been fitted with tags … only seven
have reoffended whilst wearing the tag". `tagging_figures` produces that sentence from the
suppliers' files and the partners' offence and outcome files: a person reoffended while tagged
if an offence of theirs that was later *proven* (a conviction or caution, the MoJ proven
reoffending rule) was *committed* on or between the day a tag was fitted and the day it came
off (today, if it is still worn).

The two file kinds, `tags` and `tag_events`, are registered in the imports framework
(`imports.formats.FORMATS`), so they load through `pathways import`, the upload page and the
API like any partner file: every row checked first, every problem reported by file, row and
column, all or nothing, and the same file twice changes nothing. The loaders are here because
they write IOM's tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.analytics.sources import shared_records
from pathways.imports.formats import ParsedRow, RowError
from pathways.imports.services import ImportReport, _agency_people, _Loader, import_file
from pathways.iom.models import TagEvent, TagPeriod
from pathways.iom.policies import can_see_iom_figures, can_work_iom
from pathways.iom.reference import TAG_ALERTS, TagBasis, TagType
from pathways.offending.models import Offence
from pathways.offending.reference import PROVING_OUTCOMES
from pathways.people.models import Person, PersonIdentifier
from pathways.people.reference import IdentifierKind
from pathways.sharing.reference import Purpose

# --- Loading the suppliers' files ------------------------------------------------------


def _held_periods(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], TagPeriod]:
    wanted = set(keys)
    if not wanted:
        return {}
    query = Q()
    for supplier, reference in wanted:
        query |= Q(supplier=supplier, tag_reference=reference)
    return {
        (p.supplier, p.tag_reference): p for p in TagPeriod.objects.select_related("agency", "person").filter(query)
    }


class TagPeriodLoader(_Loader):
    """A row per tag fitted: who wears it, what kind, why, and from when to when."""

    def check(self, rows: list[ParsedRow]) -> list[RowError]:
        errors: list[RowError] = []
        by_reference = _agency_people(self.agency, (r.values["person_id"] for r in rows))
        pncs = {r.values["pnc_id"] for r in rows if r.values["pnc_id"]}
        by_pnc = {
            i.value: i.person
            for i in PersonIdentifier.objects.select_related("person").filter(
                kind=IdentifierKind.PNC, agency__isnull=True, value__in=pncs
            )
        }
        self.held = _held_periods((r.values["supplier"], r.values["tag_reference"]) for r in rows)
        self.people: dict[int, Person] = {}
        for row in rows:
            v = row.values
            # The agency's own reference first, the PNC ID as the fallback (as for offences).
            person = by_reference.get(v["person_id"]) or (by_pnc.get(v["pnc_id"]) if v["pnc_id"] else None)
            if person is None:
                also = f" and no one holds PNC ID {v['pnc_id']}" if v["pnc_id"] else ""
                errors.append(
                    self.error(
                        row,
                        "person_id",
                        f"no person {v['person_id']} has been imported by {self.agency.code}{also}; "
                        "import the people file first",
                    )
                )
            else:
                self.people[row.row] = person
            if v["removed_on"] and v["removed_on"] < v["fitted_on"]:
                errors.append(
                    self.error(row, "removed_on", f"{v['removed_on']} is before the tag was fitted ({v['fitted_on']})")
                )
            held = self.held.get((v["supplier"], v["tag_reference"]))
            if held is not None:
                if held.agency_id != self.agency.pk:
                    errors.append(
                        self.error(
                            row,
                            "tag_reference",
                            f"tag {v['tag_reference']} from {v['supplier']} was loaded by {held.agency.code}; "
                            "only their files may change it",
                        )
                    )
                elif person is not None and held.person_id != person.pk:
                    errors.append(
                        self.error(
                            row,
                            "person_id",
                            f"tag {v['tag_reference']} from {v['supplier']} is already recorded for a different person",
                        )
                    )
                else:
                    errors.extend(self._against_events(row, held))
        return errors

    def _against_events(self, row: ParsedRow, held: TagPeriod) -> list[RowError]:
        """A re-sent period may not leave the events already loaded outside it."""
        v, errors = row.values, []
        times = held.events.order_by("occurred_at").values_list("occurred_at", flat=True)
        first, last = times.first(), times.last()
        if first is not None and timezone.localdate(first) < v["fitted_on"]:
            errors.append(
                self.error(
                    row, "fitted_on", f"{v['fitted_on']} is after the tag's first event ({timezone.localdate(first)})"
                )
            )
        if last is not None and v["removed_on"] and timezone.localdate(last) > v["removed_on"]:
            errors.append(
                self.error(
                    row, "removed_on", f"{v['removed_on']} is before the tag's last event ({timezone.localdate(last)})"
                )
            )
        return errors

    def load(self, rows: list[ParsedRow]) -> None:
        for row in rows:
            v = row.values
            person = self.people[row.row]
            values = {
                "person": person,
                "tag_type": v["tag_type"],
                "basis": v["basis"],
                "fitted_on": v["fitted_on"],
                "removed_on": v["removed_on"],
            }
            period = self.held.get((v["supplier"], v["tag_reference"]))
            if period is None:
                self.save(
                    TagPeriod(agency=self.agency, supplier=v["supplier"], tag_reference=v["tag_reference"], **values)
                )
                self.count(created=True, changed=True)
            else:
                # A re-sent period (most often with its removal date filled in) is an update.
                self.count(created=False, changed=self.update_fields(period, values))
            # The agency now holds a record about the person, as for any partner file.
            AgencyRecord.objects.get_or_create(
                person=person, agency=self.agency, defaults={"basis": AgencyRecord.Basis.HOLDS_RECORD}
            )


class TagEventLoader(_Loader):
    """A row per event the supplier reports against a tag already loaded."""

    def check(self, rows: list[ParsedRow]) -> list[RowError]:
        errors: list[RowError] = []
        self.held = _held_periods((r.values["supplier"], r.values["tag_reference"]) for r in rows)
        for row in rows:
            v = row.values
            period = self.held.get((v["supplier"], v["tag_reference"]))
            if period is None:
                errors.append(
                    self.error(
                        row,
                        "tag_reference",
                        f"no tag {v['tag_reference']} from {v['supplier']} has been loaded; "
                        "load the tag periods file first",
                    )
                )
                continue
            if period.agency_id != self.agency.pk:
                errors.append(
                    self.error(
                        row,
                        "tag_reference",
                        f"tag {v['tag_reference']} from {v['supplier']} was loaded by {period.agency.code}, "
                        f"not {self.agency.code}",
                    )
                )
                continue
            day = timezone.localdate(v["occurred_at"])
            if day < period.fitted_on:
                errors.append(
                    self.error(row, "occurred_at", f"{day} is before the tag was fitted ({period.fitted_on})")
                )
            elif period.removed_on and day > period.removed_on:
                errors.append(
                    self.error(row, "occurred_at", f"{day} is after the tag was removed ({period.removed_on})")
                )
        return errors

    def load(self, rows: list[ParsedRow]) -> None:
        for row in rows:
            v = row.values
            period = self.held[(v["supplier"], v["tag_reference"])]
            values = {
                "occurred_at": v["occurred_at"],
                "kind": v["event_type"],
                "is_alert": v["event_type"] in TAG_ALERTS,
                "detail": v["detail"] or "",
            }
            event = TagEvent.objects.filter(period=period, event_reference=v["event_reference"]).first()
            if event is None:
                self.save(TagEvent(period=period, event_reference=v["event_reference"], **values))
                self.count(created=True, changed=True)
            else:
                self.count(created=False, changed=self.update_fields(event, values))


TAG_LOADERS: dict[str, type[_Loader]] = {"tags": TagPeriodLoader, "tag_events": TagEventLoader}


def import_tag_file(
    kind: str, agency: Agency, filename: str, content: bytes, by: User | None, via: str = "web"
) -> ImportReport:
    """Check a supplier's file and load all of it or none of it (audited as an import)."""
    if kind not in TAG_LOADERS:
        raise ValueError(f"Unknown kind of tag file '{kind}': expected tags or tag_events")
    return import_file(kind=kind, agency=agency, filename=filename, content=content, by=by, via=via)


# --- Reoffended while tagged --------------------------------------------------------------


def reoffended_while_tagged(
    periods: Iterable[tuple[Any, dt.date, dt.date | None]],
    offences: Iterable[tuple[Any, dt.date]],
    today: dt.date,
) -> set[Any]:
    """The people with a proven offence committed on or between a tag's fitting and removal
    (today, while it is still worn). `periods` are (person, fitted_on, removed_on) and
    `offences` (person, offence_date) of proven offences only. Pure, so that it can be tested
    on its own."""
    worn: dict[Any, list[tuple[dt.date, dt.date]]] = {}
    for person, fitted, removed in periods:
        worn.setdefault(person, []).append((fitted, removed or today))
    return {
        person
        for person, committed in offences
        if any(fitted <= committed <= until for fitted, until in worn.get(person, ()))
    }


@dataclass
class Reoffence:
    person: Person
    period: TagPeriod
    offence: Offence


@dataclass
class TaggingFigures:
    start: dt.date | None
    end: dt.date
    since: dt.date | None  # the first fitting counted (for "since …")
    people_tagged: int
    periods: int
    voluntary: int
    condition: int
    by_type: dict[str, int]
    reoffended: int
    alerts: int
    named: bool  # whether `reoffences` lists people (only for those who may see them)
    reoffences: list[Reoffence] = field(default_factory=list)
    scope: str = ""

    @property
    def alerts_per_period(self) -> float | None:
        return round(self.alerts / self.periods, 1) if self.periods else None

    @property
    def reoffended_percent(self) -> float | None:
        return round(100 * self.reoffended / self.people_tagged, 1) if self.people_tagged else None

    def in_words(self) -> str:
        since = f" since {self.since.day} {self.since:%B %Y}" if self.since else ""
        people = f"{self.people_tagged} {'person' if self.people_tagged == 1 else 'people'}"
        return (
            f"{people} fitted with tags{since}; {self.reoffended} reoffended while wearing one "
            "(a proven offence committed while the tag was worn)."
        )


def tag_periods_visible_to(user: User) -> QuerySet[TagPeriod]:
    """Tag periods of people this user may see; none for anyone who does not work IOM."""
    if not can_work_iom(user):
        return TagPeriod.objects.none()
    return TagPeriod.objects.filter(person__in=people_visible_to(user))


def _latest_alert() -> Subquery:
    return Subquery(
        TagEvent.objects.filter(period=OuterRef("pk"), is_alert=True).order_by("-occurred_at").values("pk")[:1]
    )


def current_tags(user: User) -> list[TagPeriod]:
    """Tags being worn now by people the user may see, each with its latest alert."""
    periods = list(
        tag_periods_visible_to(user)
        .filter(removed_on__isnull=True)
        .select_related("person")
        .annotate(alert_count=Count("events", filter=Q(events__is_alert=True)), latest_alert_id=_latest_alert())
        .order_by("person__surname", "person__given_name", "-fitted_on")
    )
    alerts = TagEvent.objects.in_bulk([p.latest_alert_id for p in periods if p.latest_alert_id])
    for period in periods:
        period.latest_alert = alerts.get(period.latest_alert_id)
    return periods


def tagging_figures(user: User, start: dt.date | None = None, end: dt.date | None = None) -> TaggingFigures:
    """How many people were fitted with tags between `start` and `end` (by the day fitted), and
    how many of them reoffended while wearing one. Audited.

    Someone who works IOM counts the tags of the people they may see, and the offences and
    outcomes shared with them for offender management, and sees who reoffended. An analyst
    counts the tags loaded by agencies that share outcomes with them for performance analysis,
    against the offences and outcomes they may analyse, and sees no names."""
    if not can_see_iom_figures(user):
        raise PermissionDenied("Only the IOM team and analysts see the tagging figures")
    today = timezone.localdate()
    end = end or today
    named = can_work_iom(user)
    if named:
        purpose = Purpose.OFFENDER_MANAGEMENT
        shared = shared_records(user, purpose)
        periods = tag_periods_visible_to(user)
        scope = "the people you may see"
    else:
        purpose = Purpose.PERFORMANCE_ANALYSIS
        shared = shared_records(user, purpose)
        periods = TagPeriod.objects.filter(agency_id__in=shared.outcome_agencies)
        scope = "tags loaded by agencies that share outcomes with you"
    periods = periods.filter(fitted_on__lte=end)
    if start is not None:
        periods = periods.filter(fitted_on__gte=start)
    rows = list(periods.select_related("person").annotate(alert_count=Count("events", filter=Q(events__is_alert=True))))
    person_ids = {p.person_id for p in rows}
    proven = shared.outcomes.filter(outcome__in=PROVING_OUTCOMES).values("offence_id")
    offences = list(
        shared.offences.filter(person_id__in=person_ids, pk__in=proven)
        .select_related("person")
        .order_by("offence_date")
    )
    reoffended = reoffended_while_tagged(
        ((p.person_id, p.fitted_on, p.removed_on) for p in rows),
        ((o.person_id, o.offence_date) for o in offences),
        today,
    )
    reoffences: list[Reoffence] = []
    if named:
        for offence in offences:
            for period in rows:
                if period.person_id == offence.person_id and (
                    period.fitted_on <= offence.offence_date <= (period.removed_on or today)
                ):
                    reoffences.append(Reoffence(person=period.person, period=period, offence=offence))
                    break
    by_type = {label: sum(1 for p in rows if p.tag_type == value) for value, label in TagType.choices}
    figures = TaggingFigures(
        start=start,
        end=end,
        since=start or min((p.fitted_on for p in rows), default=None),
        people_tagged=len(person_ids),
        periods=len(rows),
        voluntary=sum(1 for p in rows if p.basis == TagBasis.VOLUNTARY),
        condition=sum(1 for p in rows if p.basis == TagBasis.CONDITION),
        by_type=by_type,
        reoffended=len(reoffended),
        alerts=sum(p.alert_count for p in rows),
        named=named,
        reoffences=reoffences,
        scope=scope,
    )
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="iom_tagging_figures",
        purpose=purpose,
        detail={
            "start": str(start) if start else None,
            "end": str(end),
            "people_tagged": figures.people_tagged,
            "reoffended": figures.reoffended,
            "named": sorted({str(r.person.pk) for r in reoffences}),
        },
    )
    return figures


def access_tag_period(*, user: User, period_id: Any, via: str = "web") -> TagPeriod:
    """One tag period, if the user may see its wearer; the read (or refusal) is audited."""
    from django.http import Http404

    period = tag_periods_visible_to(user).select_related("person", "agency").filter(pk=period_id).first()
    if period is None:
        audit_record(
            user=user,
            action=AuditEvent.Action.REFUSED,
            object_type="iom_tag_period",
            object_id=str(period_id),
            purpose=Purpose.OFFENDER_MANAGEMENT,
            via=via,
        )
        raise Http404("No such tag")
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="person",
        object_id=str(period.person_id),
        purpose=Purpose.OFFENDER_MANAGEMENT,
        detail={"iom_tag_period": str(period.pk)},
        via=via,
    )
    return period


def person_tags(person: Person) -> tuple[list[TagPeriod], list[TagEvent]]:
    """A person's tag periods (newest first) and their last five alerts, for the member page.
    The caller has already fetched the person through an audited read."""
    periods = list(
        TagPeriod.objects.filter(person=person).annotate(alert_count=Count("events", filter=Q(events__is_alert=True)))
    )
    alerts = list(
        TagEvent.objects.filter(period__person=person, is_alert=True)
        .select_related("period")
        .order_by("-occurred_at")[:5]
    )
    return periods, alerts
