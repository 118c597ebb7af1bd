"""Pages for panels (Level 2 case-conference panels and Neighbourhood Justice Panels: one
feature), Level 3 referrals and the resolution figures. Thin: the rules live in `panels`,
`figures` and the policies."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to, request_purpose
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.resolutions import figures, panels, services
from pathways.resolutions.models import Panel, PanelCase, PanelSitting
from pathways.resolutions.panel_forms import (
    FREE_ACTIONS,
    HearingForm,
    ListCaseForm,
    ListRjCaseForm,
    MemberForm,
    OptionsForm,
    PanelForm,
    PeriodForm,
    ReferForm,
    SittingForm,
)
from pathways.resolutions.policies import can_record_resolutions, can_run_panels, can_see_resolution_figures
from pathways.resolutions.reference import ActionKind, Route
from pathways.resolutions.selectors import access_resolution
from pathways.restorative.models import Case
from pathways.restorative.reference import Role as PartyRole
from pathways.restorative.selectors import cases_visible_to
from pathways.web.forms import apply_service_errors


def _audit_named(request: HttpRequest, person_ids: set[Any]) -> None:
    """Record that this page named these people."""
    for person_id in sorted(person_ids, key=str):
        audit_record(
            user=request.user,
            action=AuditEvent.Action.READ,
            object_type="person",
            object_id=str(person_id),
            purpose=request_purpose(request),
            detail={"page": request.path},
        )


@requires(can_run_panels)
def panel_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PanelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            panel = panels.panel_create(by=user, **form.cleaned_data)
            messages.success(request, f"Panel {panel.name} set up. Add its members and sittings.")
            return redirect("resolutions:panel", panel_id=panel.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    listed = Panel.objects.filter(agency_id=user.agency_id).order_by("name")
    kind = panels.kind_for(user.agency)
    neighbourhood = kind == Panel.Kind.NEIGHBOURHOOD_JUSTICE
    waiting = panels.rj_waiting_for_panel(user=user) if neighbourhood else panels.waiting_for_panel(user=user)
    return render(
        request,
        "resolutions/panel_list.html",
        {
            "panels": listed,
            "form": form,
            "waiting": len(waiting),
            "kind_label": Panel.Kind(kind).label,
            "neighbourhood": neighbourhood,
        },
        status=400 if form.errors else 200,
    )


@requires(can_run_panels)
def panel_detail(request: HttpRequest, panel_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    panel = get_object_or_404(Panel, pk=panel_id, agency_id=user.agency_id)
    which = request.POST.get("form") if request.method == "POST" else None
    member_form = MemberForm(request.POST if which == "member" else None, prefix="member", panel=panel)
    sitting_form = SittingForm(request.POST if which == "sitting" else None, prefix="sitting")
    options_form = OptionsForm(
        request.POST if which == "options" else None,
        prefix="options",
        initial={"restorative_options": "\n".join(panel.restorative_options)},
    )
    forms_ = {"member": member_form, "sitting": sitting_form, "options": options_form}
    if which in forms_ and forms_[which].is_valid():
        data = forms_[which].cleaned_data
        try:
            if which == "member":
                panels.panel_member_add(panel=panel, by=user, member=panels.MemberInput(**data))
                messages.success(request, f"{data['name']} added to the panel")
            elif which == "sitting":
                sitting = panels.sitting_create(panel=panel, by=user, **data)
                messages.success(request, "Sitting added. List the cases it will hear.")
                return redirect("resolutions:sitting", sitting_id=sitting.pk)
            else:
                panels.panel_options_set(panel=panel, by=user, **data)
                messages.success(request, "Restorative options saved")
            return redirect("resolutions:panel", panel_id=panel.pk)
        except ValidationError as error:
            apply_service_errors(forms_[which], error)
    errors = any(f.errors for f in forms_.values())
    return render(
        request,
        "resolutions/panel_detail.html",
        {
            "panel": panel,
            "neighbourhood": panel.kind == Panel.Kind.NEIGHBOURHOOD_JUSTICE,
            "members": panel.members.select_related("agency").order_by("name"),
            "sittings": panel.sittings.order_by("-sits_on"),
            "member_form": member_form,
            "sitting_form": sitting_form,
            "options_form": options_form,
            "form": member_form if member_form.errors else sitting_form if sitting_form.errors else options_form,
        },
        status=400 if errors else 200,
    )


def _hearing_actions(data: dict[str, Any]) -> list[services.ActionInput]:
    if not data["offender_attended"]:
        return []
    owner, due_on = (data.get("owner") or "").strip(), data.get("due_on")
    actions = [
        services.ActionInput(kind=ActionKind.REPARATION_COMMUNITY, description=o, owner=owner, due_on=due_on)  # type: ignore[arg-type]
        for o in data["options"]
    ]
    for n in range(1, FREE_ACTIONS + 1):
        described = (data.get(f"action_{n}") or "").strip()
        if described:
            actions.append(
                services.ActionInput(
                    kind=panels.AGREED_ACTION,
                    description=described,
                    owner=(data.get(f"action_{n}_owner") or "").strip(),
                    due_on=data[f"action_{n}_due_on"],
                )
            )
    if data.get("other_kind"):
        actions.append(
            services.ActionInput(
                kind=data["other_kind"],
                description=data["other_description"].strip(),
                owner=owner,
                due_on=due_on or timezone.localdate(),
            )
        )
    return actions


def _audit_rj_named(request: HttpRequest, cases: list[Case]) -> None:
    """Record that this page named the people on these RJ cases (or the case, where no one on
    it has a record), as opening the case would."""
    people: set[Any] = set()
    for case in cases:
        found = {p.person_id for p in case.parties.all() if p.person_id is not None}
        people |= found
        if not found:
            audit_record(
                user=request.user,
                action=AuditEvent.Action.READ,
                object_type="rj_case",
                object_id=str(case.pk),
                purpose=request_purpose(request),
                detail={"page": request.path, "rj_case": case.reference},
            )
    _audit_named(request, people)


def _offender(case: Case) -> str:
    return ", ".join(p.name for p in case.parties.all() if p.role == PartyRole.OFFENDER) or "Offender not named"


@requires(can_run_panels)
def sitting_detail(request: HttpRequest, sitting_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    sitting = get_object_or_404(
        PanelSitting.objects.select_related("panel"), pk=sitting_id, panel__agency_id=user.agency_id
    )
    panel = sitting.panel
    neighbourhood = panel.kind == Panel.Kind.NEIGHBOURHOOD_JUSTICE
    cases = list(
        sitting.cases.select_related("resolution__person", "rj_case")
        .prefetch_related("rj_case__parties")
        .order_by("created_at")
    )
    rows: list[dict[str, Any]]
    waiting: list[Any]
    if neighbourhood:
        scope = set(cases_visible_to(user).filter(pk__in=[c.rj_case_id for c in cases]).values_list("pk", flat=True))
        rows = [
            {
                "case": c,
                "visible": c.rj_case_id in scope,
                "reference": c.rj_case.reference,
                "name": _offender(c.rj_case),
            }
            for c in cases
            if c.rj_case_id is not None
        ]
        listed_ids = {c.rj_case_id for c in cases}
        waiting = [c for c in panels.rj_waiting_for_panel(user=user) if c.pk not in listed_ids]
        list_form: ListCaseForm | ListRjCaseForm = ListRjCaseForm(
            request.POST if request.POST.get("form") == "list" else None, waiting=waiting
        )
    else:
        visible = set(people_visible_to(user).values_list("pk", flat=True))
        rows = [
            {
                "case": c,
                "visible": c.resolution.person_id in visible,
                "reference": c.resolution.reference,
                "name": c.resolution.person.full_name,
            }
            for c in cases
            if c.resolution_id is not None
        ]
        listed_ids = {c.resolution_id for c in cases}
        waiting = [r for r in panels.waiting_for_panel(user=user) if r.pk not in listed_ids]
        list_form = ListCaseForm(request.POST if request.POST.get("form") == "list" else None, waiting=waiting)
    which = request.POST.get("form") if request.method == "POST" else None
    hearing_row: dict[str, Any] | None = None
    case_id = request.POST.get("case") if which == "hear" else request.GET.get("case")
    if case_id:
        hearing_row = next((r for r in rows if str(r["case"].pk) == case_id and not r["case"].heard), None)
        if hearing_row is None or not hearing_row["visible"]:
            raise Http404("No such case at this sitting")
    hearing_case: PanelCase | None = hearing_row["case"] if hearing_row else None
    hearing_form = HearingForm(request.POST if which == "hear" else None, panel=panel) if hearing_case else None
    if which == "list" and list_form.is_valid():
        try:
            panels.case_list(sitting=sitting, by=user, **list_form.cleaned_data)
            messages.success(request, "Case listed")
            return redirect("resolutions:sitting", sitting_id=sitting.pk)
        except ValidationError as error:
            apply_service_errors(list_form, error)
    if which == "hear" and hearing_form is not None and hearing_case is not None and hearing_form.is_valid():
        data = hearing_form.cleaned_data
        try:
            heard = panels.case_hear(
                panel_case=hearing_case,
                by=user,
                offender_attended=data["offender_attended"],
                victim_attended=data["victim_attended"],
                witnesses_attended=data["witnesses_attended"],
                notes=data["notes"],
                actions=_hearing_actions(data),
            )
            if heard.heard and neighbourhood:
                messages.success(request, "Hearing recorded: the agreement is on the case")
            elif heard.heard:
                messages.success(request, "Hearing recorded and the agreed actions added to the resolution")
            else:
                messages.success(request, "Case adjourned: the offender did not attend, so nothing was agreed")
            return redirect("resolutions:sitting", sitting_id=sitting.pk)
        except ValidationError as error:
            apply_service_errors(hearing_form, error)
    if neighbourhood:
        _audit_rj_named(request, [c.rj_case for c in cases if c.rj_case_id in scope] + waiting)
    else:
        _audit_named(
            request,
            {c.resolution.person_id for c in cases if c.resolution.person_id in visible}
            | {r.person_id for r in waiting},
        )
    failed = list_form.errors or (hearing_form is not None and hearing_form.errors)
    return render(
        request,
        "resolutions/panel_sitting.html",
        {
            "sitting": sitting,
            "panel": panel,
            "neighbourhood": neighbourhood,
            "cases": rows,
            "list_form": list_form,
            "waiting": waiting,
            "hearing_case": hearing_case,
            "hearing_row": hearing_row,
            "hearing_form": hearing_form,
            "form": hearing_form if hearing_form is not None and hearing_form.errors else list_form,
        },
        status=400 if failed else 200,
    )


@requires(can_record_resolutions)
def level3_refer(request: HttpRequest, resolution_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    resolution = access_resolution(user=user, resolution_id=resolution_id, purpose=request_purpose(request))
    person = resolution.person
    if resolution.route != Route.LEVEL_3:
        raise Http404("Only Level 3 resolutions are referred to a restorative justice service")
    referral = Case.objects.filter(resolution=resolution).select_related("service").first()
    form = ReferForm(request.POST or None) if referral is None else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            case = panels.level3_refer(resolution=resolution, by=user, service=form.cleaned_data["service"])
            messages.success(request, f"{resolution.reference} referred to {case.service.name} as {case.reference}")
            return redirect("resolutions:level3-refer", resolution_id=resolution.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "resolutions/panel_refer.html",
        {
            "resolution": resolution,
            "person": person,
            "form": form,
            "referral": referral,
            "no_services": form is not None and not form.fields["service"].queryset.exists(),  # type: ignore[attr-defined]
        },
        status=400 if form is not None and form.errors else 200,
    )


@requires(can_see_resolution_figures)
def figures_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    start, end = figures.default_period(timezone.localdate())
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    result = None
    if not request.GET or form.is_valid():
        if request.GET:
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        result = figures.resolution_figures(user=user, start=start, end=end)
    return render(
        request,
        "resolutions/panel_figures.html",
        {"form": form, "figures": result, "start": start, "end": end},
        status=400 if form.errors else 200,
    )


urlpatterns: list[URLPattern] = [
    path("panels/", panel_list, name="panels"),
    path("panels/<uuid:panel_id>/", panel_detail, name="panel"),
    path("panels/sittings/<uuid:sitting_id>/", sitting_detail, name="sitting"),
    path("<uuid:resolution_id>/refer/", level3_refer, name="level3-refer"),
    path("figures/", figures_page, name="figures"),
]
