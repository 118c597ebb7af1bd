"""Pages for the facilitator register, a facilitator's own cases, the assessment of a case and
its allocation. Thin: the rules are in `facilitators`, `assessment` and `allocation`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from pathways.access.decorators import requires
from pathways.access.policies import request_purpose
from pathways.restorative import allocation, assessment, facilitators
from pathways.restorative.facilitator_forms import (
    AllocateForm,
    AssessmentForm,
    ConflictForm,
    FacilitatorForm,
    SupervisionForm,
    TrainingForm,
)
from pathways.restorative.models import Allocation, Case, Facilitator
from pathways.restorative.policies import can_coordinate, can_facilitate
from pathways.restorative.reference import CaseStatus
from pathways.restorative.selectors import access_case
from pathways.web.forms import apply_service_errors

COORDINATORS_ONLY = "Only the restorative justice service's co-ordinators keep the facilitator register"
SERVICE_ONLY = "Only the restorative justice service's co-ordinators and facilitators work cases"


def _case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    return access_case(user=request.user, case_id=case_id, purpose=request_purpose(request))  # type: ignore[arg-type]


@requires(can_coordinate, COORDINATORS_ONLY)
def register(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = []
    for facilitator in facilitators.facilitators_of(request.user).prefetch_related("trainings"):  # type: ignore[arg-type]
        held = facilitators.in_date_courses(facilitator.trainings.all(), today)
        rows.append(
            {
                "facilitator": facilitator,
                "courses": sorted(held),
                "open_cases": facilitators.open_allocations(facilitator),
                "available": facilitators.is_available(facilitator, today),
                "warnings": facilitators.reminders_for(facilitator, today),
            }
        )
    return render(
        request,
        "restorative/register.html",
        {
            "rows": rows,
            "reminders": facilitators.expiry_reminders(request.user.agency, today),  # type: ignore[union-attr]
            "today": today,
        },
    )


def _save_facilitator(request: HttpRequest, facilitator: Facilitator | None) -> HttpResponse:
    service_id = request.user.agency_id if facilitator is None else facilitator.service_id  # type: ignore[union-attr]
    initial = FacilitatorForm.initial_for(facilitator) if facilitator else {"capacity": 2, "available": True}
    form = FacilitatorForm(request.POST or None, service_id=service_id, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = facilitators.facilitator_save(by=request.user, data=form.to_input(), facilitator=facilitator)  # type: ignore[arg-type]
            messages.success(request, f"{saved.full_name} saved")
            return redirect("restorative:facilitator", facilitator_id=saved.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "restorative/facilitator_form.html",
        {
            "form": form,
            "facilitator": facilitator,
            "heading": f"Change {facilitator.full_name}" if facilitator else "Add a facilitator",
            "button": "Save",
        },
        status=400 if form.errors else 200,
    )


@requires(can_coordinate, COORDINATORS_ONLY)
def facilitator_new(request: HttpRequest) -> HttpResponse:
    return _save_facilitator(request, None)


@requires(can_coordinate, COORDINATORS_ONLY)
def facilitator_edit(request: HttpRequest, facilitator_id: uuid.UUID) -> HttpResponse:
    return _save_facilitator(request, facilitators.find_facilitator(request.user, facilitator_id))  # type: ignore[arg-type]


@requires(can_coordinate, COORDINATORS_ONLY)
def facilitator_detail(request: HttpRequest, facilitator_id: uuid.UUID) -> HttpResponse:
    facilitator = facilitators.find_facilitator(request.user, facilitator_id)  # type: ignore[arg-type]
    today = timezone.localdate()
    allocations = (
        facilitator.allocations.filter(ended_on__isnull=True)
        .exclude(case__status__in=[CaseStatus.CLOSED, CaseStatus.DECLINED])
        .select_related("case")
    )
    co_allocations = (
        facilitator.co_allocations.filter(ended_on__isnull=True)
        .exclude(case__status__in=[CaseStatus.CLOSED, CaseStatus.DECLINED])
        .select_related("case")
    )
    return render(
        request,
        "restorative/facilitator_detail.html",
        {
            "facilitator": facilitator,
            "warnings": facilitators.reminders_for(facilitator, today),
            "in_date": facilitators.in_date_courses(facilitator.trainings.all(), today),
            "trainings": facilitator.trainings.all(),
            "sessions": facilitator.supervision_sessions.select_related("supervisor"),
            "conflicts": facilitator.conflicts.select_related("person"),
            "cases": [a.case for a in [*allocations, *co_allocations]],
            "available": facilitators.is_available(facilitator, today),
            "today": today,
        },
    )


def _small_form(
    request: HttpRequest,
    facilitator_id: uuid.UUID,
    make_form: Callable[[Any], forms.Form],
    act: Callable[[Facilitator, dict[str, Any]], Any],
    heading: str,
    button: str,
    done: str,
) -> HttpResponse:
    facilitator = facilitators.find_facilitator(request.user, facilitator_id)  # type: ignore[arg-type]
    form = make_form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            act(facilitator, form.cleaned_data)
            messages.success(request, done)
            return redirect("restorative:facilitator", facilitator_id=facilitator.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "restorative/facilitator_form.html",
        {"form": form, "facilitator": facilitator, "heading": heading, "button": button},
        status=400 if form.errors else 200,
    )


@requires(can_coordinate, COORDINATORS_ONLY)
def facilitator_training(request: HttpRequest, facilitator_id: uuid.UUID) -> HttpResponse:
    return _small_form(
        request,
        facilitator_id,
        TrainingForm,
        lambda f, d: facilitators.training_add(by=request.user, facilitator=f, **d),  # type: ignore[arg-type]
        "Add training",
        "Add the training",
        "Training added",
    )


@requires(can_coordinate, COORDINATORS_ONLY)
def facilitator_supervision(request: HttpRequest, facilitator_id: uuid.UUID) -> HttpResponse:
    return _small_form(
        request,
        facilitator_id,
        SupervisionForm,
        lambda f, d: facilitators.supervision_add(by=request.user, facilitator=f, **d),  # type: ignore[arg-type]
        "Record a supervision session",
        "Record the session",
        "Supervision session recorded",
    )


@requires(can_coordinate, COORDINATORS_ONLY)
def facilitator_conflict(request: HttpRequest, facilitator_id: uuid.UUID) -> HttpResponse:
    return _small_form(
        request,
        facilitator_id,
        lambda data: ConflictForm(data, user=request.user),
        lambda f, d: facilitators.conflict_declare(by=request.user, facilitator=f, **d),  # type: ignore[arg-type]
        "Declare a conflict of interest",
        "Declare the conflict",
        "Conflict of interest declared",
    )


@requires(can_facilitate, SERVICE_ONLY)
def my_cases(request: HttpRequest) -> HttpResponse:
    """The cases allocated to the signed-in facilitator (a co-ordinator who also facilitates
    sees theirs too: the whole service's are on the co-ordinator's own lists)."""
    user = request.user
    current = Allocation.objects.filter(
        Q(facilitator__user=user) | Q(co_facilitator__user=user), ended_on__isnull=True
    ).values("case_id")
    cases = Case.objects.filter(service_id=user.agency_id, pk__in=current).exclude(  # type: ignore[union-attr]
        status__in=[CaseStatus.CLOSED, CaseStatus.DECLINED]
    )
    return render(request, "restorative/my_cases.html", {"cases": cases.order_by("status_changed_on")})


@requires(can_facilitate, SERVICE_ONLY)
def assessment_page(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    form = AssessmentForm(request.POST or None, initial={"case_types": case.case_types})
    waiting = case.status == CaseStatus.ASSESSMENT
    if request.method == "POST" and form.is_valid():
        try:
            assessment.assessment_record(
                case=case,
                by=request.user,  # type: ignore[arg-type]
                ratings=form.ratings(),
                notes=form.notes(),
                case_types=form.cleaned_data["case_types"],
                decision=form.cleaned_data["decision"],
                conditions=form.cleaned_data["conditions"],
                reasons=form.cleaned_data["reasons"],
            )
            messages.success(request, "Assessment recorded")
            return redirect("restorative:case", case_id=case.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "restorative/assessment.html",
        {"case": case, "form": form, "waiting": waiting, "latest": assessment.latest_assessment(case)},
        status=400 if form.errors else 200,
    )


@requires(can_facilitate, SERVICE_ONLY)
def allocate_page(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    if not can_coordinate(request.user):
        raise PermissionDenied("Only the service's co-ordinators allocate facilitators")
    today = timezone.localdate()
    form = AllocateForm(request.POST or None, service_id=case.service_id)
    if request.method == "POST" and form.is_valid():
        try:
            chosen = allocation.allocate(
                case=case,
                by=request.user,  # type: ignore[arg-type]
                facilitator=form.cleaned_data["facilitator"],
                co_facilitator=form.cleaned_data["co_facilitator"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"Allocated to {chosen.facilitator.full_name}")
            return redirect("restorative:case", case_id=case.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    ranking = allocation.rank_facilitators(case, today)
    return render(
        request,
        "restorative/allocate.html",
        {
            "case": case,
            "form": form,
            "offered": [c for c in ranking if c.offered],
            "not_offered": [c for c in ranking if not c.offered],
            "pairs": allocation.rank_pairs(case, today),
            "current": allocation.current_allocation(case),
            "can_allocate": case.status in (CaseStatus.ALLOCATION, CaseStatus.PREPARATION),
        },
        status=400 if form.errors else 200,
    )


urlpatterns: list[URLPattern] = [
    path("facilitators/", register, name="facilitators"),
    path("facilitators/new/", facilitator_new, name="facilitator-new"),
    path("facilitators/<uuid:facilitator_id>/", facilitator_detail, name="facilitator"),
    path("facilitators/<uuid:facilitator_id>/edit/", facilitator_edit, name="facilitator-edit"),
    path("facilitators/<uuid:facilitator_id>/training/", facilitator_training, name="facilitator-training"),
    path("facilitators/<uuid:facilitator_id>/supervision/", facilitator_supervision, name="facilitator-supervision"),
    path("facilitators/<uuid:facilitator_id>/conflict/", facilitator_conflict, name="facilitator-conflict"),
    path("my-cases/", my_cases, name="my-cases"),
    path("cases/<uuid:case_id>/assessment/", assessment_page, name="assessment"),
    path("cases/<uuid:case_id>/allocate/", allocate_page, name="allocate"),
]
