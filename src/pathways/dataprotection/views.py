"""Pages for the data protection lead: retention rules, legal holds, the retention preview,
subject access. Every route says which policy it checks; everyone else gets 403."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pathways.access.decorators import requires
from pathways.access.policies import is_data_protection_lead
from pathways.access.services import PersonNotFound
from pathways.dataprotection.forms import LegalHoldForm, LiftHoldForm, PersonQueryForm, RetentionRuleForm
from pathways.dataprotection.models import LegalHold, RetentionCategory, RetentionRule
from pathways.dataprotection.selectors import (
    RetentionRefused,
    active_holds,
    model_title,
    person_lookup,
    recently_lifted_holds,
    retention_plan,
    retention_rules,
    subject_access_bundle,
)
from pathways.dataprotection.services import (
    HoldAlreadyLifted,
    data_protection_person,
    legal_hold_lift,
    legal_hold_place,
    retention_rule_save,
    subject_access_export,
)


def requires_lead(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return requires(is_data_protection_lead, "Only a data protection lead may use this page")(view)


@requires_lead
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dataprotection/index.html",
        {"rules": retention_rules(), "active_holds": active_holds().count()},
    )


@requires_lead
def rules(request: HttpRequest) -> HttpResponse:
    return render(request, "dataprotection/rules.html", {"rules": retention_rules()})


@requires_lead
def rule_edit(request: HttpRequest, category: str) -> HttpResponse:
    if category not in RetentionCategory.values:
        raise Http404("No such category")
    entry = next(e for e in retention_rules() if e.category == category)
    rule = entry.rule
    initial = (
        {"period_years": rule.period_years, "period_days": rule.period_days, "action": rule.action, "basis": rule.basis}
        if rule
        else {"period_years": 6, "period_days": 0, "action": RetentionRule.Action.REVIEW}
    )
    form = RetentionRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = retention_rule_save(category=category, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"{entry.label}: {saved.get_action_display().lower()} after {saved.period} (version {saved.version})",
            )
            return redirect("dataprotection:rules")
    return render(request, "dataprotection/rule_edit.html", {"form": form, "entry": entry})


@requires_lead
def preview(request: HttpRequest) -> HttpResponse:
    """What `pathways retention run` would do now. Changes nothing."""
    try:
        plan = retention_plan()
    except RetentionRefused as refused:
        return render(request, "dataprotection/preview.html", {"problems": refused.problems, "plan": None})
    if request.GET.get("format") == "json":
        response = JsonResponse(plan.as_dict(), encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
        response["Content-Disposition"] = f'attachment; filename="retention-report-{plan.as_of}.json"'
        return response
    return render(request, "dataprotection/preview.html", {"plan": plan, "problems": [], "shown_ids": 50})


@requires_lead
def holds(request: HttpRequest) -> HttpResponse:
    form = LegalHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = data_protection_person(user=request.user, query=form.cleaned_data["person"])
        except PersonNotFound as exc:
            form.add_error("person", str(exc))
        else:
            try:
                legal_hold_place(person=person, reason=form.cleaned_data["reason"], by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, f"Legal hold placed on {person.full_name}: nothing about them will be deleted"
                )
                return redirect("dataprotection:holds")
    return render(
        request,
        "dataprotection/holds.html",
        {"form": form, "holds": active_holds(), "lifted": recently_lifted_holds()},
    )


@requires_lead
def hold_lift(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    hold = get_object_or_404(LegalHold.objects.select_related("person", "placed_by"), pk=hold_id)
    form = LiftHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            legal_hold_lift(hold=hold, reason=form.cleaned_data["reason"], by=request.user)
        except HoldAlreadyLifted as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Legal hold on {hold.person.full_name} lifted")
            return redirect("dataprotection:holds")
    return render(request, "dataprotection/hold_lift.html", {"form": form, "hold": hold})


@requires_lead
def subject_access(request: HttpRequest) -> HttpResponse:
    form = PersonQueryForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            person = data_protection_person(user=request.user, query=form.cleaned_data["person"])
        except PersonNotFound as exc:
            form.add_error("person", str(exc))
        else:
            bundle = subject_access_bundle(person=person, generated_by=request.user.username)
            context.update(
                person=person,
                sections=[(model_title(label), len(rows)) for label, rows in bundle["records"].items()],
                history_rows=sum(len(rows) for rows in bundle["history"].values()),
                audit_events=len(bundle["audit"]),
            )
    return render(request, "dataprotection/subject_access.html", context)


@requires_lead
@require_POST
def subject_access_download(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    fmt = request.POST.get("format", "json")
    if fmt not in ("json", "html"):
        raise Http404("No such format")
    person = person_lookup(query=str(person_id))
    if person is None:
        raise Http404("No such person")
    export = subject_access_export(person=person, by=request.user, formats=[fmt], via="web")
    if fmt == "json":
        response = HttpResponse(export.json(), content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(export.html(), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename_stem}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
