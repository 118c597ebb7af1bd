"""Data quality and timeliness of every partner feed behind an analyst's figures.

A *feed* is one agency's files of one kind: people, offences, outcomes or custody periods. For
each feed the analyst may analyse (the agreements' performance-analysis sharing, through
`analytics.sources.shared_records`), this says when it last arrived and whether that is late for
it, how many files and rows were loaded and rejected, how long records take to arrive after the
event they record, how complete each key field is, possible duplicates, and offences still
without an outcome; then what the gaps could do to the headline measure.

Only counts, dates and shares leave these functions: never a name, a reference or a cell of a
partner file (an import report's reasons can quote a cell, so only its row numbers are read).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import Purpose
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.analytics.measures import PRESETS, Figures, Preset
from pathways.analytics.selectors import Analysis, Cohort, add_months, complete_quarters, partnership_analysis
from pathways.analytics.sources import Extract, SharedRecords, shared_records
from pathways.imports.models import ImportBatch, ImportKind
from pathways.offending.models import OffenceVictim
from pathways.offending.reference import OFFENCE_TYPES, Outcome
from pathways.people.models import Address, Person, PersonIdentifier
from pathways.people.reference import IdentifierKind, Sex

# Files and lateness are counted over this many days up to today (and files over all time too).
WINDOW_DAYS = 90
# An offence committed this many days ago or more should have a final outcome by now.
AWAITING_DAYS = 90
# A feed is late when nothing has arrived for more than this many times its usual interval
# (the median gap between its latest files; never taken as less than a day).
LATE_FACTOR = 2
INTERVAL_FILES = 10
# An outcome that leaves the offence still open: charged, and the court's result not yet in.
OPEN_OUTCOMES = (Outcome.CHARGED.value,)
VICTIM_CODES = [t.code for t in OFFENCE_TYPES if t.has_victim]
KIND_ORDER = [ImportKind.PEOPLE, ImportKind.OFFENCES, ImportKind.OUTCOMES, ImportKind.CUSTODY]


@dataclass
class Completeness:
    """How many of a feed's records have a key field filled in."""

    label: str
    filled: int
    total: int

    @property
    def share(self) -> float | None:
        return self.filled / self.total if self.total else None


@dataclass
class Files:
    """A feed's files over a span of time. Rows with problems are the distinct data rows named in
    the reports of rejected files: what the partner had to correct (a file is loaded whole or not
    at all, so none of a rejected file's rows was loaded)."""

    loaded: int = 0
    rows_loaded: int = 0
    rejected: int = 0
    rows_with_problems: int = 0


@dataclass
class Lateness:
    """Whole days from the event a record describes (the offence, the outcome, the sentence) to
    the day it arrived, over the records that arrived in the window."""

    records: int
    median_days: float | None
    p90_days: int | None  # nine in ten of these records arrived within this many days


@dataclass
class Feed:
    agency: str
    kind: str
    kind_label: str
    records: int  # the feed's records in the analyst's figures (people: offenders it sent)
    last_arrival: dt.datetime | None
    days_since_arrival: int | None
    usual_interval_days: float | None
    late: bool | None  # None: too few files to know what is usual
    latest_event: dt.date | None  # the latest offence, outcome or sentence date it holds
    recent: Files
    all_time: Files
    lateness: Lateness | None
    completeness: list[Completeness] = field(default_factory=list)
    duplicates: int | None = None  # records that look like another record (see DUPLICATE_RULES)
    awaiting_outcome: int | None = None  # offences over AWAITING_DAYS old with no final outcome

    @property
    def label(self) -> str:
        return f"{self.agency}: {self.kind_label.lower()}"


DUPLICATE_RULES = {
    ImportKind.OFFENCES: "another offence you may analyse (from any agency) has the same person, offence date and "
    "offence code",
    ImportKind.PEOPLE: "the agency holds the person under two or more of its own references",
}


@dataclass
class MissingDataEffect:
    """The latest complete cohort's headline figure, and how far what is missing could move it.

    - *Unknown details*: people whose sex is not known, whose age is unknown (no date of birth)
      or who have no home postcode; `known_details` is the cohort without them.
    - *Awaiting*: people not counted as reoffending who committed an offence in their follow-up
      for which no final outcome has reached Pathways (none at all, or a charge with no court
      result). If each of those offences had in fact been proven in time, the proportion would be
      `upper_rate`; a missing outcome can only hide a reoffence, so `as_is.rate` is the lower end.
    """

    preset: Preset
    cohort: Cohort
    as_is: Figures
    unknown_details: int
    known_details: Figures
    awaiting: int

    @property
    def upper_rate(self) -> float | None:
        if not self.as_is.cohort:
            return None
        return (self.as_is.reoffenders + self.awaiting) / self.as_is.cohort


@dataclass
class DataQuality:
    feeds: list[Feed]
    effect: MissingDataEffect | None
    extract: Extract
    today: dt.date
    window_days: int = WINDOW_DAYS
    awaiting_days: int = AWAITING_DAYS

    @property
    def period_label(self) -> str:
        label = f"Files and arrivals in the {self.window_days} days to {self.today.day} {self.today:%B %Y}"
        return label + (f"; missing data in the {self.effect.cohort.label} cohort" if self.effect else "")

    def of_kind(self, kind: str) -> list[Feed]:
        return [f for f in self.feeds if f.kind == kind]

    @property
    def late(self) -> list[Feed]:
        return [f for f in self.feeds if f.late]


def data_quality(user: User, *, now: dt.datetime | None = None) -> DataQuality:
    """Every feed the user may analyse for performance analysis, and what its gaps do to the
    headline measure. Audited (a read of the partnership's records, counted, never named)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    analysis = partnership_analysis(user)
    shared = shared_records(user, Purpose.PERFORMANCE_ANALYSIS)
    names = dict(Agency.objects.values_list("pk", "name"))
    offence_agencies, outcome_agencies = set(shared.offence_agencies), set(shared.outcome_agencies)
    feeds: list[Feed] = []
    for agency_id in sorted(offence_agencies | outcome_agencies, key=lambda a: names.get(a, "")):
        for kind in KIND_ORDER:
            if kind == ImportKind.OFFENCES and agency_id not in offence_agencies:
                continue
            if kind in (ImportKind.OUTCOMES, ImportKind.CUSTODY) and agency_id not in outcome_agencies:
                continue
            feed = _feed(shared, agency_id, names[agency_id], kind, now=now, today=today)
            if feed.records or feed.all_time.loaded or feed.all_time.rejected:
                feeds.append(feed)
    result = DataQuality(feeds=feeds, effect=missing_data_effect(analysis), extract=analysis.extract, today=today)
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="data_quality",
        purpose=Purpose.PERFORMANCE_ANALYSIS,
        detail={"feeds": [f.label for f in feeds], "pseudonymous": True},
    )
    return result


def _feed(shared: SharedRecords, agency_id: Any, agency: str, kind: str, *, now: dt.datetime, today: dt.date) -> Feed:
    since = now - dt.timedelta(days=WINDOW_DAYS)
    feed = Feed(
        agency=agency,
        kind=kind,
        kind_label=ImportKind(kind).label,
        records=0,
        last_arrival=None,
        days_since_arrival=None,
        usual_interval_days=None,
        late=None,
        latest_event=None,
        recent=files_summary(agency_id, kind, since=since),
        all_time=files_summary(agency_id, kind),
        lateness=None,
    )
    if kind == ImportKind.PEOPLE:
        records: QuerySet[Any] = _people_feed(feed, shared, agency_id)
    elif kind == ImportKind.OFFENCES:
        records = shared.offences.filter(agency_id=agency_id)
        _offences_feed(feed, shared, records, today=today)
        feed.lateness = lateness(records.filter(created_at__gte=since).values_list("offence_date", "created_at"))
    elif kind == ImportKind.OUTCOMES:
        records = shared.outcomes.filter(agency_id=agency_id)
        found = records.aggregate(n=Count("pk"), latest=Max("outcome_date"), outcome=Count("pk", filter=~Q(outcome="")))
        feed.records, feed.latest_event = found["n"], found["latest"]
        feed.completeness = [
            Completeness("Outcome date", found["n"], found["n"]),  # required by the file format
            Completeness("Outcome", found["outcome"], found["n"]),
        ]
        feed.lateness = lateness(records.filter(created_at__gte=since).values_list("outcome_date", "created_at"))
    else:
        records = shared.custody.filter(agency_id=agency_id)
        found = records.aggregate(n=Count("pk"), latest=Max("sentence_date"))
        feed.records, feed.latest_event = found["n"], found["latest"]
        feed.completeness = [Completeness("Sentence date", found["n"], found["n"])]
        feed.lateness = lateness(records.filter(created_at__gte=since).values_list("sentence_date", "created_at"))
    _arrival(feed, agency_id, records, now=now, today=today)
    return feed


def files_summary(agency_id: Any, kind: str, *, since: dt.datetime | None = None) -> Files:
    batches = ImportBatch.objects.filter(agency_id=agency_id, kind=kind)
    if since is not None:
        batches = batches.filter(created_at__gte=since)
    loaded = Q(status=ImportBatch.Status.IMPORTED)
    totals = batches.aggregate(
        loaded=Count("pk", filter=loaded),
        rows=Sum("rows", filter=loaded),
        rejected=Count("pk", filter=Q(status=ImportBatch.Status.REJECTED)),
    )
    problems = sum(
        rows_with_problems(errors)
        for errors in batches.filter(status=ImportBatch.Status.REJECTED).values_list("errors", flat=True)
    )
    return Files(
        loaded=totals["loaded"],
        rows_loaded=totals["rows"] or 0,
        rejected=totals["rejected"],
        rows_with_problems=problems,
    )


def rows_with_problems(errors: Iterable[Any]) -> int:
    """Distinct data rows named in an import report (the header is row 1: its problems are the file's)."""
    return len({e["row"] for e in errors if isinstance(e, dict) and isinstance(e.get("row"), int) and e["row"] >= 2})


def lateness(pairs: Iterable[tuple[dt.date, dt.datetime]]) -> Lateness:
    """Days from each event date to the local day its record arrived."""
    days = sorted((timezone.localdate(arrived) - event).days for event, arrived in pairs)
    if not days:
        return Lateness(records=0, median_days=None, p90_days=None)
    return Lateness(
        records=len(days),
        median_days=float(statistics.median(days)),
        p90_days=days[math.ceil(0.9 * len(days)) - 1],
    )


def _arrival(feed: Feed, agency_id: Any, records: QuerySet[Any], *, now: dt.datetime, today: dt.date) -> None:
    """When the feed last arrived: its latest file that loaded, or, for a feed with no file at all
    (records loaded before files were tracked), its latest record. Late: nothing for more than
    LATE_FACTOR times the usual gap between its latest files."""
    times = list(
        ImportBatch.objects.filter(agency_id=agency_id, kind=feed.kind, status=ImportBatch.Status.IMPORTED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: INTERVAL_FILES + 1]
    )
    last = times[0] if times else records.aggregate(last=Max("created_at"))["last"]
    if last is None:
        return
    feed.last_arrival = last
    feed.days_since_arrival = (today - timezone.localdate(last)).days
    if len(times) >= 2:
        gaps = [(a - b).total_seconds() / 86400 for a, b in itertools.pairwise(times)]
        feed.usual_interval_days = float(statistics.median(gaps))
        allowed = LATE_FACTOR * max(feed.usual_interval_days, 1.0)
        feed.late = (now - last).total_seconds() / 86400 > allowed


def _offences_feed(feed: Feed, shared: SharedRecords, offences: QuerySet[Any], *, today: dt.date) -> None:
    found = offences.aggregate(
        n=Count("pk"),
        latest=Max("offence_date"),
        code=Count("pk", filter=~Q(offence_code="")),
        group=Count("pk", filter=~Q(offence_group="")),
        area=Count("pk", filter=~Q(area="")),
        coordinates=Count("pk", filter=Q(latitude__isnull=False, longitude__isnull=False)),
    )
    n = found["n"]
    with_victim = offences.filter(offence_code__in=VICTIM_CODES)
    feed.records, feed.latest_event = n, found["latest"]
    feed.completeness = [
        Completeness("Offence code", found["code"], n),
        Completeness("Offence group", found["group"], n),
        Completeness("Area", found["area"], n),
        Completeness("Coordinates", found["coordinates"], n),
        Completeness(
            "Victim (offences that have one)",
            with_victim.filter(Exists(OffenceVictim.objects.filter(offence=OuterRef("pk")))).count(),
            with_victim.count(),
        ),
    ]
    twins = shared.offences.filter(
        person_id=OuterRef("person_id"), offence_date=OuterRef("offence_date"), offence_code=OuterRef("offence_code")
    ).exclude(pk=OuterRef("pk"))
    feed.duplicates = offences.filter(Exists(twins)).count()
    final = shared.outcomes.filter(offence=OuterRef("pk")).exclude(outcome__in=OPEN_OUTCOMES)
    feed.awaiting_outcome = (
        offences.filter(offence_date__lte=today - dt.timedelta(days=AWAITING_DAYS)).exclude(Exists(final)).count()
    )


def _people_feed(feed: Feed, shared: SharedRecords, agency_id: Any) -> QuerySet[Any]:
    """The people in the analyst's figures (offenders in the offences shared) that this agency
    sent. Their details are the person's record, which partners' files complete between them."""
    references = PersonIdentifier.objects.filter(
        kind=IdentifierKind.AGENCY_REFERENCE,
        agency_id=agency_id,
        person_id__in=shared.offences.values("person_id"),
    )
    people = Person.objects.filter(pk__in=references.values("person_id"))
    found = people.aggregate(
        n=Count("pk"),
        dob=Count("pk", filter=Q(date_of_birth__isnull=False)),
        sex=Count("pk", filter=Q(sex__in=[Sex.MALE, Sex.FEMALE])),
        ethnicity=Count("pk", filter=~Q(ethnicity="NS")),
    )
    current_postcode = Address.objects.filter(person=OuterRef("pk"), is_current=True).exclude(postcode="")
    n = found["n"]
    feed.records = n
    feed.completeness = [
        Completeness("Date of birth", found["dob"], n),
        Completeness("Sex known", found["sex"], n),
        Completeness("Ethnicity stated", found["ethnicity"], n),
        Completeness("Postcode", people.filter(Exists(current_postcode)).count(), n),
    ]
    feed.duplicates = references.values("person_id").annotate(n=Count("pk")).filter(n__gte=2).count()
    return references


def missing_data_effect(analysis: Analysis, preset: Preset = PRESETS["moj"]) -> MissingDataEffect | None:
    """How missing details and missing outcomes could move the latest complete cohort's
    proportion reoffending (see `MissingDataEffect`)."""
    as_of = analysis.extract.as_of
    if as_of is None:
        return None
    [cohort] = complete_quarters(as_of, preset, 1)
    rows = analysis.people(preset, cohort.start, cohort.end, {})
    known = [r for r in rows if r["sex"] in (Sex.MALE, Sex.FEMALE) and "unknown" not in (r["age_band"], r["area"])]
    frames = analysis.extract.frames
    outcomes = frames["outcomes"]
    final = set(outcomes.loc[~outcomes["outcome"].isin(OPEN_OUTCOMES), "offence_id"])
    offences = frames["offences"]
    open_offences = offences[~offences["offence_id"].isin(final)]
    open_dates: dict[str, list[dt.date]] = {}
    for person_id, offence_date in zip(open_offences["person_id"], open_offences["offence_date"], strict=True):
        open_dates.setdefault(person_id, []).append(offence_date)
    awaiting = 0
    for row in rows:
        if row["reoffended"]:
            continue
        start, end = row["index_date"], add_months(row["index_date"], preset.follow_up_months)
        if any(start < day <= end for day in open_dates.get(row["person_id"], ())):
            awaiting += 1
    return MissingDataEffect(
        preset=preset,
        cohort=cohort,
        as_is=figures_of(rows),
        unknown_details=len(rows) - len(known),
        known_details=figures_of(known),
        awaiting=awaiting,
    )


def figures_of(rows: list[dict[str, Any]]) -> Figures:
    """The headline figures of some of the people in a cohort (rows of `Analysis.people`)."""
    return Figures(
        cohort=len(rows),
        reoffenders=sum(int(r["reoffended"]) for r in rows),
        reoffences=sum(int(r["reoffences"]) for r in rows),
        total_days_to_first=sum(int(r["days_to_first_reoffence"] or 0) for r in rows),
    )
