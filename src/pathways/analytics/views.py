"""The performance pages: the framework with its drill-downs, data quality and timeliness, the
strategic assessment and the panel report. Analysts only; the figures rest on what the
agreements share with the analyst's agency (see `analytics.sources`)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from pathways.access.decorators import requires
from pathways.access.policies import can_analyse_performance
from pathways.analytics import charts, quality, strategic
from pathways.analytics.forms import CohortQueryForm, PeriodQueryForm
from pathways.analytics.measures import BREAKDOWNS, PRESETS, Preset
from pathways.analytics.report import NoCompleteCohort, PanelReport, audit_report, panel_report
from pathways.analytics.report_pdf import render_pdf
from pathways.analytics.selectors import (
    BREAKDOWN_LABELS,
    Cohort,
    complete_quarters,
    drill_down,
    group_label,
    people_behind,
    performance_framework,
    quarter_of,
)


def analysts_only(view: Any) -> Any:
    return requires(can_analyse_performance, "Only analysts may use the performance pages")(require_GET(view))


def cohort_link(name: str, preset: Preset | str, cohort: Cohort, within: dict[str, str], by: str | None = None) -> str:
    query: list[tuple[str, str]] = [
        ("preset", preset if isinstance(preset, str) else preset.name),
        ("start", cohort.start.isoformat()),
        ("end", cohort.end.isoformat()),
    ]
    if by:
        query.append(("by", by))
    query.extend(("in", f"{k}:{v}") for k, v in within.items())
    return f"{reverse(name)}?{urlencode(query)}"


@analysts_only
def framework(request: HttpRequest) -> HttpResponse:
    preset_name = request.GET.get("preset", "moj")
    if preset_name not in PRESETS:
        return HttpResponseBadRequest(f"Unknown preset '{preset_name[:40]}'; choose one of {', '.join(PRESETS)}")
    result = performance_framework(request.user, preset_name=preset_name)
    labels = [c.label for c in result.cohorts]
    chart = charts.line_chart(
        "Proportion reoffending, by quarterly cohort",
        labels,
        [(s.label, [f.rate for f in s.figures]) for s in result.series],
    )
    rows = [
        {
            "label": s.label,
            "cells": [
                {"figures": f, "link": cohort_link("analytics:cohort", s.preset, c, s.within, "age_band")}
                for c, f in zip(result.cohorts, s.figures, strict=True)
            ],
        }
        for s in result.series
    ]
    latest = result.cohorts[-1] if result.cohorts else None
    return render(
        request,
        "analytics/framework.html",
        {
            "framework": result,
            "chart": chart,
            "rows": rows,
            "latest": latest,
            "latest_link": cohort_link("analytics:cohort", result.preset, latest, {}, "index_disposal")
            if latest
            else "",
            "presets": PRESETS,
            "extract": result.extract,
        },
    )


@analysts_only
def cohort(request: HttpRequest) -> HttpResponse:
    form = CohortQueryForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(f"This drill-down cannot be shown: {form.first_error()}")
    q = form.cleaned_data
    preset, period = PRESETS[q["preset"]], Cohort(q["start"], q["end"])
    by = q["by"] or next(name for name in BREAKDOWNS if name not in q["within"])
    found = drill_down(request.user, preset=preset, cohort=period, within=q["within"], by=by)
    groups = [
        {
            "group": group,
            "label": group_label(by, group),
            "figures": figures,
            "drill": cohort_link(
                "analytics:cohort",
                preset,
                period,
                {**q["within"], by: group},
                next((b for b in BREAKDOWNS if b not in q["within"] and b != by), None),
            ),
            "people": cohort_link("analytics:cohort-people", preset, period, {**q["within"], by: group}),
        }
        for group, figures in found.result.breakdowns[by]
    ]
    chart = (
        charts.bar_chart(
            f"Proportion reoffending by {BREAKDOWN_LABELS[by].lower()}",
            [g["label"] for g in groups],
            [g["figures"].rate for g in groups],
            percent=True,
        )
        if groups
        else ""
    )
    return render(
        request,
        "analytics/cohort.html",
        {
            "drill": found,
            "groups": groups,
            "chart": chart,
            "by_label": BREAKDOWN_LABELS[by],
            "filters": [
                {
                    "label": f"{BREAKDOWN_LABELS[k]}: {group_label(k, v)}",
                    "remove": cohort_link(
                        "analytics:cohort", preset, period, {a: b for a, b in q["within"].items() if a != k}, by
                    ),
                }
                for k, v in q["within"].items()
            ],
            "breakdowns": [
                {
                    "name": name,
                    "label": BREAKDOWN_LABELS[name],
                    "link": cohort_link("analytics:cohort", preset, period, q["within"], name),
                }
                for name in BREAKDOWNS
                if name not in q["within"]
            ],
            "people_link": cohort_link("analytics:cohort-people", preset, period, q["within"]),
            "framework_link": f"{reverse('analytics:framework')}?{urlencode({'preset': preset.name})}",
            "extract": found.extract,
        },
    )


@analysts_only
def cohort_people(request: HttpRequest) -> HttpResponse:
    form = CohortQueryForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(f"This list cannot be shown: {form.first_error()}")
    q = form.cleaned_data
    preset, period = PRESETS[q["preset"]], Cohort(q["start"], q["end"])
    found = people_behind(request.user, preset=preset, cohort=period, within=q["within"])
    return render(
        request,
        "analytics/cohort_people.html",
        {
            "preset": preset,
            "cohort": period,
            "people": found,
            "filters": [f"{BREAKDOWN_LABELS[k]}: {group_label(k, v)}" for k, v in q["within"].items()],
            "back": cohort_link("analytics:cohort", preset, period, q["within"]),
        },
    )


@analysts_only
def data_quality(request: HttpRequest) -> HttpResponse:
    found = quality.data_quality(request.user)
    timed = [f for f in found.feeds if f.lateness and f.lateness.records]
    chart = (
        charts.bar_chart(
            f"Median days from the event to its arrival, records that arrived in the last {found.window_days} days",
            [f.label for f in timed],
            [f.lateness.median_days for f in timed if f.lateness],
        )
        if timed
        else ""
    )
    return render(
        request,
        "analytics/data_quality.html",
        {
            "quality": found,
            "effect": found.effect,
            "chart": chart,
            "timed": timed,
            "people_feeds": found.of_kind("people"),
            "offence_feeds": found.of_kind("offences"),
            "outcome_feeds": found.of_kind("outcomes"),
            "custody_feeds": found.of_kind("custody"),
            "duplicate_rules": quality.DUPLICATE_RULES,
            "extract": found.extract,
        },
    )


@analysts_only
def strategic_assessment(request: HttpRequest) -> HttpResponse:
    form = PeriodQueryForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(f"This assessment cannot be shown: {form.first_error()}")
    found = strategic.strategic_assessment(request.user, form.cleaned_data["start"], form.cleaned_data["end"])
    drawn = {}
    if found.offences:
        drawn = {
            "previous_chart": charts.bar_chart(
                "Share of offences committed by people with previous proven offences, by offence group",
                [s.label for s in found.previous_by_group],
                [s.share for s in found.previous_by_group],
                percent=True,
            ),
            "group_chart": charts.bar_chart(
                "Offences by offence group", [g.label for g in found.by_group], [g.count for g in found.by_group]
            ),
            "area_chart": charts.bar_chart(
                "Offences in the areas with most crime",
                [a.label for a in found.top_areas],
                [a.count for a in found.top_areas],
            ),
            "month_chart": charts.line_chart(
                "Offences by month",
                [m.label for m in found.by_month],
                [("Offences", [m.count for m in found.by_month])],
                percent=False,
            ),
        }
    return render(
        request,
        "analytics/strategic_assessment.html",
        {"assessment": found, "extract": found.extract, **drawn},
    )


def _chosen_report(request: HttpRequest) -> PanelReport | HttpResponse:
    quarter = None
    if request.GET.get("quarter"):
        try:
            quarter = quarter_of(dt.date.fromisoformat(request.GET["quarter"]))
        except ValueError:
            return HttpResponseBadRequest("quarter: give the first day of a quarter as YYYY-MM-DD, like 2025-01-01")
    try:
        return panel_report(request.user, quarter=quarter)
    except NoCompleteCohort as exc:
        return HttpResponseBadRequest(str(exc))


@analysts_only
def panel_report_page(request: HttpRequest) -> HttpResponse:
    report = _chosen_report(request)
    if isinstance(report, HttpResponse):
        return report
    audit_report(request.user, report, form="page")
    chart = charts.line_chart(
        "Proportion reoffending, by quarterly cohort",
        [c.label for c in report.framework.cohorts],
        [(x.label, [f.rate for f in x.figures]) for x in report.framework.series],
    )
    as_of = report.extract.as_of if report.extract else None
    choices = complete_quarters(as_of, report.preset, 8) if as_of else []
    return render(
        request,
        "analytics/panel_report.html",
        {
            "report": report,
            "chart": chart,
            "quarters": list(reversed(choices)),
            "pdf_link": f"{reverse('analytics:panel-report-pdf')}?{urlencode({'quarter': report.cohort.start.isoformat()})}",
            "extract": report.extract,
        },
    )


@analysts_only
def panel_report_pdf(request: HttpRequest) -> HttpResponse:
    report = _chosen_report(request)
    if isinstance(report, HttpResponse):
        return report
    audit_report(request.user, report, form="pdf")
    response = HttpResponse(render_pdf(report, prepared_by=request.user.agency.name), content_type="application/pdf")
    name = f"reducing-reoffending-panel-report-{report.cohort.start:%Y-%m}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
