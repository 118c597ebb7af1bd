"""The analysis page: the problem analysis triangle for this cycle (earlier cycles read-only),
repeat victims and repeat locations, the people involved and the notes. Thin: the rules are in
`problems.services` and `problems.analysis`."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from pathways.access.decorators import requires
from pathways.problems import analysis, services, stages
from pathways.problems.board_views import STAFF_ONLY, problem_for, stage_context
from pathways.problems.forms import AnalysisForm, InvolveForm, NoteForm
from pathways.problems.models import Stage
from pathways.problems.places import SOURCES, STREET_CRIME
from pathways.problems.policies import can_see_problem_board, can_work_problem
from pathways.web.forms import apply_service_errors


def _render(request: HttpRequest, problem, form: AnalysisForm | None, involve: InvolveForm) -> HttpResponse:  # type: ignore[no-untyped-def]
    found = analysis.problem_incidents(problem)
    published = analysis.problem_incidents(problem, STREET_CRIME)
    context = stage_context(problem, request.user)
    current = stages.current_analysis(problem)
    context.update(
        {
            "analysis": current,
            "form": form,
            "earlier": problem.analyses.exclude(cycle=problem.cycle).order_by("-cycle"),
            "repeat_victims": analysis.repeat_victims(problem, request.user, found=found),  # type: ignore[arg-type]
            "repeat_locations": analysis.repeat_locations(problem, found=found + published),
            "incident_count": len(found),
            "sources": SOURCES,
            "involved": analysis.people_involved(problem, request.user),  # type: ignore[arg-type]
            "involve_form": involve,
            "notes": problem.notes.select_related("by", "agency"),
            "note_form": NoteForm(),
        }
    )
    return render(request, "problems/analysis.html", context)


@requires(can_see_problem_board, STAFF_ONLY)
def analysis_page(request: HttpRequest, problem_id: uuid.UUID) -> HttpResponse:
    problem = problem_for(request, problem_id)
    writable = problem.stage == Stage.ANALYSIS and can_work_problem(request.user, problem)
    form = None
    if writable:
        current = stages.current_analysis(problem)
        initial = {f: getattr(current, f) for f in services.TRIANGLE_FIELDS} if current else {}
        form = AnalysisForm(request.POST or None, initial=initial)
    elif request.method == "POST":
        raise PermissionDenied("The analysis is written in the analysis stage by the staff working the problem")
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.analysis_save(problem=problem, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "The analysis is saved.")
            return redirect("problems:analysis", problem.pk)
    return _render(request, problem, form, InvolveForm())


@requires(can_see_problem_board, STAFF_ONLY)
@require_POST
def person_add(request: HttpRequest, problem_id: uuid.UUID) -> HttpResponse:
    problem = problem_for(request, problem_id)
    if not can_work_problem(request.user, problem):
        raise PermissionDenied("Only the staff of the owner and partner agencies add people to a problem")
    involve = InvolveForm(request.POST)
    if involve.is_valid():
        person_id = services.person_find(by=request.user, identifier=involve.cleaned_data["identifier"])  # type: ignore[arg-type]
        try:
            services.person_involve(
                problem=problem,
                by=request.user,  # type: ignore[arg-type]
                # An id no one visible has is still tried, so the refusal is audited.
                person_id=person_id or involve.cleaned_data["identifier"],
                role=involve.cleaned_data["role"],
                note=involve.cleaned_data["note"],
            )
        except ValidationError as exc:
            # The form's field is the identifier the user typed.
            errors = exc.message_dict
            errors["identifier"] = errors.pop("person", [])
            apply_service_errors(involve, ValidationError({k: v for k, v in errors.items() if v}))
        else:
            messages.success(request, "The person is recorded as involved.")
            return redirect("problems:analysis", problem.pk)
    form = None
    if problem.stage == Stage.ANALYSIS:
        current = stages.current_analysis(problem)
        form = AnalysisForm(initial={f: getattr(current, f) for f in services.TRIANGLE_FIELDS} if current else {})
    return _render(request, problem, form, involve)


urlpatterns: list[URLPattern] = [
    path("<uuid:problem_id>/analysis/", analysis_page, name="analysis"),
    path("<uuid:problem_id>/analysis/people/", person_add, name="person-add"),
]
