"""The board of problems, a new problem, and one problem's page: its definition, where it is in
SARA, what is missing before it can move on, its history, notes and partners. Thin: the rules
are in `problems.services` and `problems.stages`."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.views.decorators.http import require_POST

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import Agency
from pathways.problems import services, stages
from pathways.problems.forms import AdvanceForm, NoteForm, PartnerForm, ProblemEditForm, ProblemForm
from pathways.problems.models import STAGE_ORDER, Problem, Stage
from pathways.problems.policies import (
    can_move_stage,
    can_open_problem,
    can_see_problem_board,
    can_work_problem,
    problem_visible,
)
from pathways.web.forms import apply_service_errors

STAFF_ONLY = "Only partners' staff see the problems"
WORKERS_ONLY = "Only officers, supervisors, caseworkers and analysts open problems"
SARA = [Stage.SCANNING, Stage.ANALYSIS, Stage.RESPONSE, Stage.ASSESSMENT]
# The page of each stage; scanning and assessment are drawn by their own modules.
STAGE_PAGES = {
    Stage.SCANNING: "problems:scanning",
    Stage.ANALYSIS: "problems:analysis",
    Stage.RESPONSE: "problems:response",
    Stage.ASSESSMENT: "problems:assessment",
}
STAGE_TAGS = {
    Stage.SCANNING: "govuk-tag--light-blue",
    Stage.ANALYSIS: "govuk-tag--purple",
    Stage.RESPONSE: "govuk-tag--orange",
    Stage.ASSESSMENT: "govuk-tag--yellow",
    Stage.CLOSED: "govuk-tag--green",
}


def problem_for(request: HttpRequest, problem_id: uuid.UUID) -> Problem:
    """The problem, if the user may open it; otherwise not found (the refusal audited), so that
    an agency not working a problem learns nothing more than the board shows."""
    problem = Problem.objects.select_related("owner", "owner_agency").filter(pk=problem_id).first()
    if problem is None or not problem_visible(request.user, problem):
        audit_record(
            user=request.user,  # type: ignore[arg-type]
            action=AuditEvent.Action.REFUSED,
            object_type="problem",
            object_id=str(problem_id),
        )
        raise Http404("No such problem")
    return problem


def stage_links(problem: Problem) -> list[dict[str, Any]]:
    """Each SARA stage with its page (where that page exists) and whether it is done, current
    or not started in this cycle."""
    at = STAGE_ORDER.index(problem.stage)
    links = []
    for stage in SARA:
        index = STAGE_ORDER.index(stage)
        try:
            url = reverse(STAGE_PAGES[stage], args=[problem.pk])
        except NoReverseMatch:
            url = ""
        status = "complete" if index < at else "current" if index == at else "not-started"
        links.append({"stage": stage, "label": Stage(stage).label, "url": url, "status": status})
    return links


def stage_context(problem: Problem, user: Any) -> dict[str, Any]:
    """What every stage page shows at its top: the stage navigation and the stage tag."""
    return {
        "problem": problem,
        "stages": stage_links(problem),
        "stage_tag": STAGE_TAGS[problem.stage],
        "may_work": can_work_problem(user, problem),
        "may_move": can_move_stage(user, problem),
    }


@requires(can_see_problem_board, STAFF_ONLY)
def board(request: HttpRequest) -> HttpResponse:
    stage = request.GET.get("stage", "")
    agency = request.GET.get("agency", "")
    mine = request.GET.get("mine") == "1"
    found = services.problem_board(request.user, stage=stage, agency_code=agency, mine=mine)  # type: ignore[arg-type]
    return render(
        request,
        "problems/board.html",
        {
            "board": found,
            "stage_counts": [(s, Stage(s).label, found.counts.get(s, 0), STAGE_TAGS[s]) for s in STAGE_ORDER],
            "stage": stage if stage in Stage.values else "",
            "agency": agency,
            "mine": mine,
            "agencies": Agency.objects.order_by("name"),
            "rows": [(row, STAGE_TAGS[row.problem.stage]) for row in found.rows],
            "may_open": can_open_problem(request.user),
        },
    )


def _definition_values(form: ProblemForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("partners", None)
    return data


@requires(can_open_problem, WORKERS_ONLY)
def new(request: HttpRequest) -> HttpResponse:
    form = ProblemForm(request.POST or None, owner_agency=request.user.agency)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            problem = services.problem_open(
                by=request.user,  # type: ignore[arg-type]
                partners=form.cleaned_data["partners"],
                **_definition_values(form),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Problem {problem.reference} opened. Scan it, then move it to analysis.")
            return redirect("problems:detail", problem.pk)
    return render(request, "problems/problem_form.html", {"form": form, "problem": None})


@requires(can_see_problem_board, STAFF_ONLY)
def detail(request: HttpRequest, problem_id: uuid.UUID, refused: list[str] | None = None) -> HttpResponse:
    problem = problem_for(request, problem_id)
    following = stages.next_stage(problem.stage)
    context = stage_context(problem, request.user)
    context.update(
        {
            "missing": stages.missing_for_next_stage(problem) if problem.stage != Stage.CLOSED else [],
            "next_stage": following,
            "next_label": Stage(following).label if following else "",
            # Assessment is left by the verdict, on the assessment page.
            "can_advance": following is not None and problem.stage != Stage.ASSESSMENT,
            "refused": refused or [],
            "changes": problem.stage_changes.select_related("by").order_by("created_at"),
            "notes": problem.notes.select_related("by", "agency"),
            "partners": problem.partners.select_related("agency").order_by("agency__name"),
            "note_form": NoteForm(),
            "partner_form": PartnerForm(problem=problem) if problem.stage != Stage.CLOSED else None,
        }
    )
    return render(request, "problems/problem_detail.html", context, status=409 if refused else 200)


@requires(can_see_problem_board, STAFF_ONLY)
@require_POST
def advance(request: HttpRequest, problem_id: uuid.UUID) -> HttpResponse:
    problem = problem_for(request, problem_id)
    if not can_move_stage(request.user, problem):
        raise PermissionDenied("Only the problem's owner or a supervisor of the owner's agency moves it on")
    form = AdvanceForm(request.POST)
    if not form.is_valid():
        return detail(request, problem_id, refused=["Choose the stage to move the problem to"])
    try:
        stages.advance(
            problem=problem,
            by=request.user,  # type: ignore[arg-type]
            to_stage=form.cleaned_data["to_stage"],
            note=form.cleaned_data["note"],
        )
    except stages.StageRefused as exc:
        return detail(request, problem_id, refused=exc.reasons)
    problem.refresh_from_db()
    messages.success(request, f"{problem.reference} moved to {problem.get_stage_display()}.")
    return redirect("problems:detail", problem.pk)


@requires(can_see_problem_board, STAFF_ONLY)
def edit(request: HttpRequest, problem_id: uuid.UUID) -> HttpResponse:
    problem = problem_for(request, problem_id)
    if not can_work_problem(request.user, problem):
        raise PermissionDenied("Only the staff of the owner and partner agencies change a problem")
    if problem.stage != Stage.SCANNING:
        messages.warning(request, "The definition is fixed once scanning is finished: add a note instead.")
        return redirect("problems:detail", problem.pk)
    manages_partners = can_move_stage(request.user, problem)
    form = ProblemEditForm(
        request.POST or None, owner_agency=problem.owner_agency, initial=ProblemForm.initial_for(problem)
    )
    if not manages_partners:
        del form.fields["partners"]
    if request.method == "POST" and form.is_valid():
        try:
            # The definition and its partners are saved together or not at all.
            with transaction.atomic():
                services.problem_update(problem=problem, by=request.user, **_definition_values(form))  # type: ignore[arg-type]
                if manages_partners:
                    services.partners_set(problem=problem, by=request.user, agencies=form.cleaned_data["partners"])  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "The problem's definition is saved.")
            return redirect("problems:detail", problem.pk)
    return render(request, "problems/problem_form.html", {"form": form, "problem": problem})


@requires(can_see_problem_board, STAFF_ONLY)
@require_POST
def partners(request: HttpRequest, problem_id: uuid.UUID) -> HttpResponse:
    """Add a partner agency, or (with `remove`) take one off."""
    problem = problem_for(request, problem_id)
    if not can_move_stage(request.user, problem):
        raise PermissionDenied("Only the owner, or a supervisor of the owner's agency, changes the partners")
    leaving = request.POST.get("remove")
    if leaving:
        agency = Agency.objects.filter(pk=leaving if _is_uuid(leaving) else None).first()
        if agency is not None:
            services.partner_remove(problem=problem, by=request.user, agency=agency)  # type: ignore[arg-type]
            messages.success(request, f"{agency.name} no longer works the problem.")
        return redirect("problems:detail", problem.pk)
    form = PartnerForm(request.POST, problem=problem)
    if form.is_valid():
        try:
            services.partner_add(problem=problem, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{form.cleaned_data['agency'].name} now works the problem.")
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("problems:detail", problem.pk)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# Where a note form may send the user back to: the pages that show notes.
NOTE_RETURNS = {"detail": "problems:detail", "analysis": "problems:analysis"}


@requires(can_see_problem_board, STAFF_ONLY)
@require_POST
def note_add(request: HttpRequest, problem_id: uuid.UUID) -> HttpResponse:
    problem = problem_for(request, problem_id)
    if not can_work_problem(request.user, problem):
        raise PermissionDenied("Only the staff of the owner and partner agencies add notes")
    back = NOTE_RETURNS.get(request.POST.get("back", ""), "problems:detail")
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(problem=problem, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, "Added to the problem's notes.")
    return redirect(back, problem.pk)


urlpatterns: list[URLPattern] = [
    path("", board, name="board"),
    path("new/", new, name="new"),
    path("<uuid:problem_id>/", detail, name="detail"),
    path("<uuid:problem_id>/edit/", edit, name="edit"),
    path("<uuid:problem_id>/advance/", advance, name="advance"),
    path("<uuid:problem_id>/notes/", note_add, name="note-add"),
    path("<uuid:problem_id>/partners/", partners, name="partners"),
]
