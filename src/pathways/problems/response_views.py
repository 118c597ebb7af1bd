"""The response page: this cycle's actions owned by partner agencies (earlier cycles' read-only),
with dates, status, the person and place each is about; adding one, and recording its progress.
Thin: the rules are in `problems.services`."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from pathways.access.decorators import requires
from pathways.access.policies import people_visible_to
from pathways.problems import services
from pathways.problems.board_views import STAFF_ONLY, problem_for, stage_context
from pathways.problems.forms import ActionForm, ActionUpdateForm
from pathways.problems.models import Problem, ResponseAction, Stage
from pathways.problems.policies import can_see_problem_board, can_work_problem
from pathways.web.forms import apply_service_errors


def _rows(problem: Problem, user: Any, actions: list[ResponseAction]) -> list[dict[str, Any]]:
    """Each action with its person shown only to a user who may see them."""
    person_ids = {a.person_id for a in actions if a.person_id}
    visible = set(people_visible_to(user).filter(pk__in=person_ids).values_list("pk", flat=True))
    return [
        {
            "action": a,
            "person": a.person if a.person_id in visible else None,
            "person_hidden": a.person_id is not None and a.person_id not in visible,
            "overdue": services.action_overdue(a),
            "may_update": a.cycle == problem.cycle
            and problem.stage in services.ACTION_UPDATE_STAGES
            and can_work_problem(user, problem),
        }
        for a in actions
    ]


def _links(user: Any, form: ActionForm) -> dict[str, Any]:
    """The person typed (a PNC ID or Pathways id), with their IOM membership or resolution."""
    from pathways.iom.models import Membership
    from pathways.resolutions.models import Resolution

    identifier = form.cleaned_data["person"].strip()
    if not identifier:
        return {}
    person_id = services.person_find(by=user, identifier=identifier)
    links: dict[str, Any] = {"person_id": person_id or identifier}
    if person_id and form.cleaned_data["link_iom"]:
        membership = (
            Membership.objects.filter(person_id=person_id, ended_on__isnull=True).order_by("-adopted_on").first()
        )
        if membership is None:
            raise ValidationError({"link_iom": ["The person is not in the IOM cohort"]})
        links["iom_membership_id"] = membership.pk
    reference = form.cleaned_data["resolution_reference"].strip()
    if person_id and reference:
        resolution = Resolution.objects.filter(person_id=person_id, reference__iexact=reference).first()
        if resolution is None:
            raise ValidationError({"resolution_reference": ["The person has no resolution with that reference"]})
        links["resolution_id"] = resolution.pk
    return links


def _field_errors(exc: ValidationError) -> ValidationError:
    """The service's field names, as the form names them."""
    renamed = {"person": "person", "iom_membership": "link_iom", "resolution": "resolution_reference"}
    return ValidationError({renamed.get(k, k): v for k, v in exc.message_dict.items()})


@requires(can_see_problem_board, STAFF_ONLY)
def response_page(request: HttpRequest, problem_id: uuid.UUID) -> HttpResponse:
    problem = problem_for(request, problem_id)
    may_add = problem.stage in services.ACTION_ADD_STAGES and can_work_problem(request.user, problem)
    if request.method == "POST" and not may_add:
        raise PermissionDenied("Actions are added in the response stage by the staff working the problem")
    form = ActionForm(request.POST or None, problem=problem) if may_add else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            links = _links(request.user, form)
            for key in ("person", "link_iom", "resolution_reference"):
                data.pop(key)
            services.action_add(problem=problem, by=request.user, **data, **links)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_service_errors(form, _field_errors(exc))
        else:
            messages.success(request, "The action is added to the response.")
            return redirect("problems:response", problem.pk)
    actions = list(
        ResponseAction.objects.filter(problem=problem)
        .select_related("owner_agency", "person", "iom_membership__scheme", "resolution")
        .order_by("-cycle", "due_on", "created_at")
    )
    rows = _rows(problem, request.user, actions)
    context = stage_context(problem, request.user)
    context.update(
        {
            "form": form,
            "current": [r for r in rows if r["action"].cycle == problem.cycle],
            "earlier": [r for r in rows if r["action"].cycle != problem.cycle],
            "overdue": sum(1 for r in rows if r["overdue"] and r["action"].cycle == problem.cycle),
            "not_yet": problem.stage in (Stage.SCANNING, Stage.ANALYSIS) and problem.cycle == 1,
        }
    )
    return render(request, "problems/response.html", context)


@requires(can_see_problem_board, STAFF_ONLY)
def action_page(request: HttpRequest, problem_id: uuid.UUID, action_id: uuid.UUID) -> HttpResponse:
    problem = problem_for(request, problem_id)
    action = (
        ResponseAction.objects.select_related("owner_agency", "person", "iom_membership__scheme", "resolution")
        .filter(problem=problem, pk=action_id)
        .first()
    )
    if action is None:
        raise Http404("No such action")
    row = _rows(problem, request.user, [action])[0]
    if request.method == "POST" and not row["may_update"]:
        raise PermissionDenied("This action is not changed now")
    form = None
    if row["may_update"]:
        form = ActionUpdateForm(
            request.POST or None,
            initial={"status": action.status, "finished_on": action.finished_on, "outcome": action.outcome},
        )
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.action_update(action=action, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "The action's progress is saved.")
            return redirect("problems:response", problem.pk)
    context = stage_context(problem, request.user)
    context.update({"row": row, "action": action, "form": form})
    return render(request, "problems/response_action.html", context)


urlpatterns: list[URLPattern] = [
    path("<uuid:problem_id>/response/", response_page, name="response"),
    path("<uuid:problem_id>/response/<uuid:action_id>/", action_page, name="action"),
]
