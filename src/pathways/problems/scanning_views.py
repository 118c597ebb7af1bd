"""The scanning page of a problem: its place's incidents by month, kind, weekday and hour, the
busiest locations and the hex map. Thin: the counting is `problems.scanning`, the map
`problems.hexmap`. A problem the user may not see is not found (404), as a person is not; every
scan is audited as a read of the problem."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.analytics import charts
from pathways.offending.reference import OffenceGroup
from pathways.problems.analysis import problem_kinds
from pathways.problems.areas import area_neighbours, outlines_of
from pathways.problems.board_views import STAFF_ONLY, problem_for, stage_context
from pathways.problems.hexmap import hex_map_svg, legend
from pathways.problems.models import Problem
from pathways.problems.places import OFFENCES, SOURCES, STREET_CRIME, Place
from pathways.problems.policies import can_see_problem_board
from pathways.problems.scanning import WEEKDAYS, scan
from pathways.problems.streetcrime import CRIME_TYPES
from pathways.web.forms import GovukFormMixin

KINDS = {OFFENCES: [label for _, label in OffenceGroup.choices], STREET_CRIME: list(CRIME_TYPES)}


class ScanForm(GovukFormMixin, forms.Form):
    source = forms.ChoiceField(
        label="Count",
        choices=list(SOURCES.items()),
        widget=forms.RadioSelect,
        initial=OFFENCES,
        help_text="One source at a time: police.uk publishes the crimes the police also send the partnership.",
    )
    kinds = forms.MultipleChoiceField(
        label="Kinds of crime",
        required=False,
        choices=[(k, k) for k in sorted({*KINDS[OFFENCES], *KINDS[STREET_CRIME]})],
        widget=forms.CheckboxSelectMultiple,
        help_text="Offence groups for the partnership's offences, crime types for police.uk. None chosen counts every kind.",
    )
    # A date picker takes and gives ISO dates (YYYY-MM-DD), whatever the language of the page.
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end of the period must be on or after its start")
            elif (end - start).days > 366 * 10:
                self.add_error("end", "Scan at most ten years at a time")
        source = data.get("source")
        if source and data.get("kinds"):
            data["kinds"] = [k for k in data["kinds"] if k in KINDS[source]]
        return data


@requires(can_see_problem_board, STAFF_ONLY)
def scanning(request: HttpRequest, problem_id: uuid.UUID) -> HttpResponse:
    problem = problem_for(request, problem_id)
    initial = {
        "source": OFFENCES,
        # The problem's own crime types, as offence groups ("Shoplifting" is a theft offence).
        "kinds": problem_kinds(problem, OFFENCES),
        "start": problem.period_from,
        "end": problem.period_to,
    }
    form = ScanForm(request.GET if "source" in request.GET else initial)
    context: dict = {**stage_context(problem, request.user), "form": form, "place": Place.of_problem(problem)}
    if form.is_valid():
        context.update(_scan_context(request, problem, context["place"], form.cleaned_data))
    template = "problems/scanning_results.html" if request.headers.get("HX-Request") else "problems/scanning.html"
    return render(request, template, context)


def _scan_context(request: HttpRequest, problem: Problem, place: Place, data: dict) -> dict:
    start: dt.date = data["start"]
    end: dt.date = data["end"]
    result = scan(place, start, end, source=data["source"], kinds=data["kinds"])
    audit_record(
        user=request.user,  # type: ignore[arg-type]
        action=AuditEvent.Action.READ,
        object_type="problem",
        object_id=str(problem.pk),
        detail={
            "view": "scanning",
            "source": data["source"],
            "kinds": list(data["kinds"]),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "incidents": result.total,
        },
    )
    neighbour_codes = sorted({n for code in place.area_codes for n in area_neighbours(code)} - set(place.area_codes))
    months = [(m.strftime("%b %Y"), n) for m, n in result.by_month]
    context = {
        "scan": result,
        "source_label": SOURCES[data["source"]],
        "months": months,
        "month_chart": charts.bar_chart(
            "Incidents by month", [m for m, _ in months], [n for _, n in months], horizontal=False
        )
        if result.total
        else None,
        "kind_chart": charts.bar_chart(
            "Incidents by kind", [k for k, _ in result.by_kind], [n for _, n in result.by_kind]
        )
        if result.by_kind
        else None,
        "hex_map": hex_map_svg(
            result.cells,
            place.shape(),
            neighbours=outlines_of(neighbour_codes),
            title=f"Where in {place.describe()}: {result.with_coordinates} incidents with a map point",
        ),
        "legend": legend(result.cells),
        "neighbour_codes": neighbour_codes,
        "weekdays": WEEKDAYS,
    }
    if result.by_weekday is not None and result.total:
        context["weekday_chart"] = charts.bar_chart(
            "Offences by day of the week",
            [d for d, _ in result.by_weekday],
            [n for _, n in result.by_weekday],
            horizontal=False,
        )
    if result.by_hour is not None and result.timed:
        context["hour_chart"] = charts.bar_chart(
            "Offences by hour of the day",
            [f"{h:02d}" for h, _ in result.by_hour],
            [n for _, n in result.by_hour],
            horizontal=False,
        )
    return context


urlpatterns: list[URLPattern] = [
    path("<uuid:problem_id>/scanning/", scanning, name="scanning"),
]
