"""The tagging pages: the figures and the tags being worn, the supplier's file upload, one tag."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods

from pathways.access.decorators import requires
from pathways.iom import tags
from pathways.iom.policies import can_import_tags, can_see_iom_figures, can_work_iom
from pathways.iom.tag_forms import TagFileForm, TagPeriodFilterForm

FIGURES_ONLY = "Only the IOM team and analysts see the tagging figures"
IMPORTERS_ONLY = "Tag suppliers' files are loaded by the police or probation IOM team's supervisors and caseworkers"
TEAM_ONLY = "Only the IOM team see a person's tag"


@requires(can_see_iom_figures, FIGURES_ONLY)
@require_http_methods(["GET"])
def tag_list(request: HttpRequest) -> HttpResponse:
    form = TagPeriodFilterForm(request.GET or None)
    start, end = form.period()
    figures = tags.tagging_figures(request.user, start=start, end=end)  # type: ignore[arg-type]
    current = tags.current_tags(request.user) if can_work_iom(request.user) else []  # type: ignore[arg-type]
    return render(
        request,
        "iom/tag_list.html",
        {
            "form": form,
            "figures": figures,
            "current": current,
            "may_import": can_import_tags(request.user),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@requires(can_import_tags, IMPORTERS_ONLY)
@require_http_methods(["GET", "POST"])
def tag_import(request: HttpRequest) -> HttpResponse:
    form = TagFileForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = tags.import_tag_file(
            form.cleaned_data["kind"],
            request.user.agency,  # type: ignore[union-attr]
            upload.name,
            upload.read(),
            request.user,  # type: ignore[arg-type]
        )
        if report.ok:
            messages.success(
                request,
                f"{report.filename}: {report.rows} row{'s' if report.rows != 1 else ''} checked; "
                f"{report.created} new, {report.updated} changed, {report.unchanged} unchanged.",
            )
            return redirect("iom:tags-import")
    status = 400 if (form.is_bound and form.errors) or (report and not report.ok) else 200
    return render(request, "iom/tag_import.html", {"form": form, "report": report}, status=status)


@requires(can_work_iom, TEAM_ONLY)
@require_http_methods(["GET"])
def tag_detail(request: HttpRequest, period_id: uuid.UUID) -> HttpResponse:
    period = tags.access_tag_period(user=request.user, period_id=period_id)  # type: ignore[arg-type]
    events = list(period.events.all())
    return render(
        request,
        "iom/tag_detail.html",
        {"period": period, "events": events, "alerts": sum(1 for e in events if e.is_alert)},
    )


urlpatterns: list[URLPattern] = [
    path("tags/", tag_list, name="tags"),
    path("tags/import/", tag_import, name="tags-import"),
    path("tags/<uuid:period_id>/", tag_detail, name="tag"),
]
