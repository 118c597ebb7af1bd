"""The quarterly reducing-reoffending report for the Police and Crime Panel and the partnership
board: the latest complete cohort against the quarter before and the same quarter a year
earlier, the trend, who reoffends, and how fresh the data is. It is meant for publication, so
every table hides counts under the publication threshold and says so."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import Purpose
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.analytics.measures import PRESETS, Figures, Preset
from pathways.analytics.selectors import (
    BREAKDOWN_LABELS,
    Cohort,
    Framework,
    complete_quarters,
    group_label,
    partnership_analysis,
    performance_framework,
    quarter_of,
)
from pathways.analytics.sources import Extract

REPORT_BREAKDOWNS = ["index_disposal", "age_band", "sex", "previous_offences", "offence_group"]
Z95 = 1.959963984540054


@dataclass
class Change:
    """The change in the proportion reoffending from an earlier cohort, in percentage points."""

    against: str
    earlier: Figures
    points: float | None
    low: float | None
    high: float | None

    @property
    def clear(self) -> bool:
        """True when the 95% interval of the difference leaves out zero."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)

    @property
    def words(self) -> str:
        if self.points is None:
            return "no comparison: one of the cohorts is empty"
        direction = "lower" if self.points < 0 else "higher"
        size = f"{abs(self.points):.1f} percentage points {direction}" if self.points else "the same"
        verdict = "a real change" if self.clear else "within the margin of error"
        return f"{size} than {self.against} ({verdict})"


def difference(now: Figures, earlier: Figures, against: str) -> Change:
    """Difference of two proportions with a 95% (Wald) interval for the difference."""
    if not now.cohort or not earlier.cohort:
        return Change(against, earlier, None, None, None)
    p1, p2 = now.reoffenders / now.cohort, earlier.reoffenders / earlier.cohort
    se = math.sqrt(p1 * (1 - p1) / now.cohort + p2 * (1 - p2) / earlier.cohort)
    d = p1 - p2
    return Change(against, earlier, d * 100, (d - Z95 * se) * 100, (d + Z95 * se) * 100)


@dataclass
class PublishedRow:
    label: str
    figures: dict[str, Any]


@dataclass
class PanelReport:
    title: str
    cohort: Cohort
    preset: Preset
    threshold: int
    headline: dict[str, Any]
    changes: list[Change]
    framework: Framework
    tables: dict[str, list[PublishedRow]] = field(default_factory=dict)
    extract: Extract | None = None
    generated_on: dt.date = field(default_factory=timezone.localdate)
    suppressed_any: bool = False

    @property
    def period(self) -> str:
        return f"{self.cohort.start:%-d %B %Y} to {self.cohort.end:%-d %B %Y}"

    @property
    def table_titles(self) -> dict[str, str]:
        return {name: BREAKDOWN_LABELS[name] for name in self.tables}


class NoCompleteCohort(ValueError):
    pass


def panel_report(user: User, *, quarter: Cohort | None = None, threshold: int | None = None) -> PanelReport:
    """The report for a quarterly cohort (by default the latest whose follow-up is complete)."""
    threshold = settings.PUBLICATION_THRESHOLD if threshold is None else threshold
    analysis = partnership_analysis(user)
    preset = PRESETS["moj"]
    as_of = analysis.extract.as_of or timezone.localdate()
    complete = complete_quarters(as_of, preset, 1)
    chosen = quarter or (complete[-1] if complete else None)
    if chosen is None or chosen.proof_closes(preset) > as_of:
        raise NoCompleteCohort(
            "That cohort's follow-up and waiting period have not ended yet, so its figures would still change"
        )
    result = analysis.run(preset, chosen.start, chosen.end, by=REPORT_BREAKDOWNS)
    previous = quarter_of(chosen.start - dt.timedelta(days=1))
    year_before = quarter_of(chosen.start.replace(year=chosen.start.year - 1))
    changes = [
        difference(
            result.overall, analysis.run(preset, previous.start, previous.end).overall, f"the {previous.label} cohort"
        ),
        difference(
            result.overall,
            analysis.run(preset, year_before.start, year_before.end).overall,
            f"the {year_before.label} cohort",
        ),
    ]
    report = PanelReport(
        title="Reducing reoffending: quarterly report to the Police and Crime Panel",
        cohort=chosen,
        preset=preset,
        threshold=threshold,
        headline=result.overall.as_dict(suppress=threshold),
        changes=changes,
        framework=performance_framework(user, preset_name=preset.name, quarters=8, until=chosen),
        extract=analysis.extract,
    )
    for name in REPORT_BREAKDOWNS:
        rows = [PublishedRow(group_label(name, g), f.as_dict(suppress=threshold)) for g, f in result.breakdowns[name]]
        report.tables[name] = rows
        report.suppressed_any |= any(r.figures.get("suppressed") for r in rows)
    report.suppressed_any |= bool(report.headline.get("suppressed"))
    return report


def audit_report(user: User, report: PanelReport, *, form: str) -> None:
    audit_record(
        user=user,
        action=AuditEvent.Action.EXPORT,
        object_type="panel_report",
        object_id=f"{report.cohort.start}:{report.cohort.end}",
        purpose=Purpose.PERFORMANCE_ANALYSIS,
        detail={"form": form, "suppressed_below": report.threshold},
    )
