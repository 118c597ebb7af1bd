"""Figures for the performance pages: the partnership's records, as the analyst may see them,
loaded once into DuckDB and asked for successive cohorts, breakdowns and drill-downs.

The extract is rebuilt whenever the records or the agreements behind it change (see
`_signature`); between changes, pages reuse it, so moving around the framework costs a query of
DuckDB, not a read of the whole database.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import Purpose, people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.analytics.engines import DuckDBEngine
from pathways.analytics.measures import BREAKDOWNS, PRESETS, Figures, Preset, Result
from pathways.analytics.sources import Extract, service_extract
from pathways.common.dates import add_months as add_months  # re-exported for the analytics modules
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome
from pathways.people.models import Person
from pathways.people.reference import Ethnicity, Sex
from pathways.sharing.models import Agreement, Consent

BREAKDOWN_LABELS = {
    "age_band": "Age at the index date",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "index_disposal": "Index disposal",
    "previous_offences": "Previous proven offences",
    "offence_group": "Index offence group",
    "area": "Area (postcode district)",
    "scheme": "Scheme",
}
DISPOSAL_LABELS = {
    "custody": "Released from custody",
    "court_order": "Community order or suspended sentence",
    "other_court": "Fine or discharge",
    "caution": "Caution",
    "community_resolution": "Community resolution",
    "diversion": "Diversion",
}
# The tiers of response whose reoffending the framework follows, in the partnership's words.
TIERS = ["custody", "court_order", "other_court", "caution"]
CACHE_SIZE = 4


def group_label(breakdown: str, group: str) -> str:
    if breakdown == "index_disposal":
        return DISPOSAL_LABELS.get(group, group)
    if breakdown == "sex":
        return dict(Sex.choices).get(group, group)
    if breakdown == "ethnicity":
        return f"{dict(Ethnicity.choices).get(group, group)} ({group})"
    if breakdown == "offence_group":
        return group.replace("_", " ").capitalize()
    return group


class Analysis:
    """One user's (one agency's) view of the partnership's records, in DuckDB."""

    def __init__(self, extract: Extract) -> None:
        self.extract = extract
        self.built_at = timezone.now()
        self._engine = DuckDBEngine()
        self._engine.load_frames(extract.frames)
        self._lock = threading.Lock()

    def run(
        self,
        preset: Preset,
        start: dt.date,
        end: dt.date,
        *,
        by: list[str] | None = None,
        within: dict[str, str] | None = None,
    ) -> Result:
        with self._lock:
            return self._engine.reoffending(preset, start=start, end=end, by=by, within=within)

    def people(self, preset: Preset, start: dt.date, end: dt.date, within: dict[str, str]) -> list[dict[str, Any]]:
        with self._lock:
            self._engine.reoffending(preset, start=start, end=end)
            return self._engine.people_in(within)

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Other questions of the same tables (data quality, the strategic assessment)."""
        with self._lock:
            return self._engine.sql(sql)


_cache: OrderedDict[tuple[Any, ...], Analysis] = OrderedDict()
_cache_lock = threading.Lock()


def _signature(user: User, purpose: str) -> tuple[Any, ...]:
    """Changes whenever anything the extract rests on changes."""
    parts: list[Any] = [user.agency_id, purpose, timezone.localdate()]
    from pathways.iom.models import Membership, Scheme
    from pathways.restorative.models import Meeting, Party

    # Meetings and parties decide who is in the restorative justice scheme; memberships (and
    # their schemes' codes) who is in each IOM cohort.
    for model in (
        Offence,
        OffenceOutcome,
        CustodyPeriod,
        Person,
        Consent,
        Agreement,
        Meeting,
        Party,
        Membership,
        Scheme,
    ):
        parts.append(tuple(model.objects.aggregate(n=Count("pk"), changed=Max("updated_at")).values()))
    return tuple(parts)


def partnership_analysis(user: User, purpose: str = Purpose.PERFORMANCE_ANALYSIS) -> Analysis:
    key = _signature(user, purpose)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    analysis = Analysis(service_extract(user, purpose=purpose))
    with _cache_lock:
        _cache[key] = analysis
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return analysis


@dataclass(frozen=True)
class Cohort:
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return f"{self.start:%b}–{self.end:%b %Y}"

    def proof_closes(self, preset: Preset) -> dt.date:
        """The last date an outcome can prove a reoffence for someone in this cohort."""
        return add_months(self.end, preset.follow_up_months + preset.waiting_months)


def quarter_of(day: dt.date) -> Cohort:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    return Cohort(start, add_months(start, 3) - dt.timedelta(days=1))


def complete_quarters(as_of: dt.date, preset: Preset, count: int = 8, *, until: Cohort | None = None) -> list[Cohort]:
    """The latest `count` quarterly cohorts (up to `until`, if given) whose follow-up and waiting
    period have ended by `as_of`, oldest first: figures that will not change as more outcomes arrive."""
    cohort = until or quarter_of(as_of)
    found: list[Cohort] = []
    while len(found) < count:
        if cohort.proof_closes(preset) <= as_of:
            found.append(cohort)
        cohort = quarter_of(cohort.start - dt.timedelta(days=1))
    return list(reversed(found))


@dataclass
class Series:
    """One line of the framework: the partnership, a tier or an intervention, over the cohorts."""

    label: str
    preset: str
    within: dict[str, str]
    figures: list[Figures]


@dataclass
class Framework:
    preset: Preset
    cohorts: list[Cohort]
    series: list[Series] = field(default_factory=list)
    extract: Extract | None = None
    as_of: dt.date | None = None

    @property
    def latest(self) -> Figures | None:
        return self.series[0].figures[-1] if self.series and self.series[0].figures else None


def performance_framework(
    user: User, *, preset_name: str = "moj", quarters: int = 8, until: Cohort | None = None
) -> Framework:
    """Proven reoffending for successive quarterly cohorts: the partnership, each tier of
    response, and the community resolution and diversion cohort."""
    analysis = partnership_analysis(user)
    preset = PRESETS[preset_name]
    as_of = analysis.extract.as_of or timezone.localdate()
    cohorts = complete_quarters(as_of, preset, quarters, until=until)
    framework = Framework(preset=preset, cohorts=cohorts, extract=analysis.extract, as_of=as_of)
    partnership = Series("All people in the cohort", preset.name, {}, [])
    tiers = {tier: Series(DISPOSAL_LABELS[tier], preset.name, {"index_disposal": tier}, []) for tier in TIERS}
    for cohort in cohorts:
        result = analysis.run(preset, cohort.start, cohort.end, by=["index_disposal"])
        partnership.figures.append(result.overall)
        groups = dict(result.breakdowns["index_disposal"])
        for tier, series in tiers.items():
            series.figures.append(groups.get(tier, Figures(0, 0, 0, 0)))
    framework.series = [partnership, *[s for s in tiers.values() if any(f.cohort for f in s.figures)]]
    if preset.name == "moj":
        resolutions = PRESETS["community_resolution"]
        series = Series("Community resolutions and diversion", resolutions.name, {}, [])
        for cohort in cohorts:
            series.figures.append(analysis.run(resolutions, cohort.start, cohort.end).overall)
        if any(f.cohort for f in series.figures):
            framework.series.append(series)
    return framework


@dataclass
class DrillDown:
    preset: Preset
    cohort: Cohort
    within: dict[str, str]
    by: str
    result: Result
    extract: Extract


def drill_down(user: User, *, preset: Preset, cohort: Cohort, within: dict[str, str], by: str) -> DrillDown:
    analysis = partnership_analysis(user)
    result = analysis.run(preset, cohort.start, cohort.end, by=[by], within=within)
    return DrillDown(preset, cohort, within, by, result, analysis.extract)


@dataclass
class CohortPeople:
    shown: list[dict[str, Any]]
    hidden: int


def people_behind(user: User, *, preset: Preset, cohort: Cohort, within: dict[str, str]) -> CohortPeople:
    """The people behind a figure: those this user may see, named; the rest only counted. Audited,
    because the list says something about each person named in it."""
    rows = partnership_analysis(user).people(preset, cohort.start, cohort.end, within)
    ids = [row["person_id"] for row in rows]
    visible = {
        str(p.pk): p
        for p in people_visible_to(user).filter(pk__in=ids).only("id", "given_name", "surname", "date_of_birth")
    }
    shown = [{**row, "person": visible[row["person_id"]]} for row in rows if row["person_id"] in visible]
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="cohort_people",
        object_id=f"{preset.name}:{cohort.start}:{cohort.end}",
        purpose=Purpose.PERFORMANCE_ANALYSIS,
        detail={"within": within, "shown": [row["person_id"] for row in shown], "hidden": len(rows) - len(shown)},
    )
    return CohortPeople(shown=shown, hidden=len(rows) - len(shown))


def breakdown_choices() -> list[tuple[str, str]]:
    return [(name, BREAKDOWN_LABELS[name]) for name in BREAKDOWNS]
