"""Pages for a cohort member's needs across the seven pathways, their plan, and each action.

Every page reads the membership through `selectors.access_membership`, which audits the read
and answers 404 for a person the user may not see."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone

from pathways.access.decorators import requires
from pathways.access.policies import request_purpose
from pathways.iom import plan
from pathways.iom.models import Membership, PlanAction
from pathways.iom.plan_forms import ActionForm, FinishForm, NeedsForm, ProgressForm
from pathways.iom.policies import can_work_iom
from pathways.iom.reference import ActionStatus, Pathway
from pathways.iom.selectors import access_membership
from pathways.web.forms import apply_service_errors

IOM_ONLY = "Only partners working integrated offender management see cohort members' needs and plans"


def _membership(request: HttpRequest, membership_id: uuid.UUID | str) -> Membership:
    return access_membership(user=request.user, membership_id=membership_id, purpose=request_purpose(request))  # type: ignore[arg-type]


def _status(*forms: Any) -> int:
    return 400 if any(f is not None and f.is_bound and f.errors for f in forms) else 200


def member_url(membership: Membership) -> str:
    """The member's page; the person's page until the member page is there to link to."""
    try:
        return reverse("iom:member", kwargs={"membership_id": membership.pk})
    except NoReverseMatch:
        return reverse("people:detail", kwargs={"person_id": membership.person_id})


def _context(membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"membership": membership, "member_url": member_url(membership), "today": timezone.localdate(), **extra}


@requires(can_work_iom, IOM_ONLY)
def needs(request: HttpRequest, membership_id: uuid.UUID) -> HttpResponse:
    membership = _membership(request, membership_id)
    form = NeedsForm(request.POST or None) if membership.is_open else None
    if request.method == "POST":
        if form is None:
            messages.error(request, f"{membership.person} has left the cohort: their needs can no longer be assessed.")
            return redirect("iom:needs", membership_id=membership.pk)
        if form.is_valid():
            try:
                plan.needs_assess(
                    by=request.user,  # type: ignore[arg-type]
                    membership=membership,
                    needs=form.needs(),
                    on=form.cleaned_data["assessed_on"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, "Needs assessment saved.")
                return redirect("iom:needs", membership_id=membership.pk)
    history = list(plan.assessments(membership))
    rows = []
    for assessment in history:
        by_pathway = plan.needs_by_pathway(assessment)
        rows.append({"assessment": assessment, "needs": [(p, by_pathway.get(p.value)) for p in Pathway]})
    return render(
        request,
        "iom/needs.html",
        _context(membership, form=form, latest=rows[0] if rows else None, earlier=rows[1:]),
        status=_status(form),
    )


@requires(can_work_iom, IOM_ONLY)
def plan_page(request: HttpRequest, membership_id: uuid.UUID) -> HttpResponse:
    membership = _membership(request, membership_id)
    initial = {"pathway": request.GET.get("pathway", "")} if request.GET.get("pathway") in Pathway.values else {}
    form = ActionForm(request.POST or None, initial=initial) if membership.is_open else None
    if request.method == "POST":
        if form is None:
            messages.error(request, f"{membership.person} has left the cohort: their plan can no longer change.")
            return redirect("iom:plan", membership_id=membership.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                added = plan.action_add(
                    by=request.user,  # type: ignore[arg-type]
                    membership=membership,
                    pathway=data["pathway"],
                    action=data["action"],
                    owner_agency=data["owner_agency"],
                    owner_name=data["owner_name"],
                    due_on=data["due_on"],
                    referred_to=data["referred_to"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"Action added to {added.get_pathway_display()}.")
                return redirect("iom:plan", membership_id=membership.pk)
    today = timezone.localdate()
    actions = list(plan.plan_actions(membership))
    for a in actions:
        a.overdue = plan.is_overdue(a, today)  # type: ignore[attr-defined]
    groups = [
        {"summary": row, "actions": [a for a in actions if a.pathway == row.pathway]}
        for row in plan.plan_summary(membership, today=today)
    ]
    return render(
        request,
        "iom/plan.html",
        _context(membership, form=form, groups=groups, overdue=sum(g["summary"].overdue for g in groups)),
        status=_status(form),
    )


@requires(can_work_iom, IOM_ONLY)
def action_page(request: HttpRequest, action_id: uuid.UUID) -> HttpResponse:
    membership_id = PlanAction.objects.filter(pk=action_id).values_list("membership_id", flat=True).first()
    if membership_id is None:
        raise Http404("No such plan action")
    membership = _membership(request, membership_id)
    action = membership.actions.select_related("owner_agency", "created_by").get(pk=action_id)
    can_change = membership.is_open and action.status == ActionStatus.OPEN
    which = request.POST.get("form") if request.method == "POST" else None
    progress = ProgressForm(request.POST if which == "progress" else None, prefix="progress")
    finish = FinishForm(request.POST if which == "finish" else None, prefix="finish")
    if request.method == "POST":
        if not can_change:
            messages.error(request, "This action can no longer be changed.")
            return redirect("iom:action", action_id=action.pk)
        try:
            if which == "progress" and progress.is_valid():
                plan.action_update(
                    by=request.user,  # type: ignore[arg-type]
                    action=action,
                    note=progress.cleaned_data["note"],
                    on=progress.cleaned_data["on"],
                )
                messages.success(request, "Progress recorded.")
                return redirect("iom:action", action_id=action.pk)
            if which == "finish" and finish.is_valid():
                done = plan.action_finish(
                    by=request.user,  # type: ignore[arg-type]
                    action=action,
                    status=finish.cleaned_data["status"],
                    outcome=finish.cleaned_data["outcome"],
                )
                messages.success(request, f"Action finished: {done.get_status_display().lower()}.")
                return redirect("iom:plan", membership_id=membership.pk)
        except ValidationError as error:
            apply_service_errors(progress if which == "progress" else finish, error)
    return render(
        request,
        "iom/plan_action.html",
        _context(
            membership,
            action=action,
            overdue=plan.is_overdue(action),
            updates=action.updates.select_related("by"),
            can_change=can_change,
            progress=progress,
            finish=finish,
            form=progress if progress.errors else finish if finish.errors else None,
        ),
        status=_status(progress, finish),
    )


urlpatterns: list[URLPattern] = [
    path("members/<uuid:membership_id>/needs/", needs, name="needs"),
    path("members/<uuid:membership_id>/plan/", plan_page, name="plan"),
    path("actions/<uuid:action_id>/", action_page, name="action"),
]
