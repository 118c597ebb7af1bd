"""Pages for diversion contracts: making one, its conditions and their compliance, breach and
the supervisor's decision, completion, and the contract printed for signature. Thin: the rules
are in `resolutions.contracts`."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from pathways.access.decorators import requires
from pathways.access.policies import request_purpose
from pathways.resolutions import contracts
from pathways.resolutions.contract_forms import BreachForm, CheckForm, ContractForm, DecisionForm, SignForm
from pathways.resolutions.models import DiversionContract, Resolution, ResolutionAction
from pathways.resolutions.policies import can_record_resolutions, can_review_resolutions
from pathways.resolutions.reference import ActionKind
from pathways.resolutions.selectors import access_resolution
from pathways.web.forms import apply_service_errors

ContractStatus = DiversionContract.ContractStatus


def _resolution_for(request: HttpRequest, resolution_id: uuid.UUID) -> Resolution:
    return access_resolution(user=request.user, resolution_id=resolution_id, purpose=request_purpose(request))


def _contract_of(resolution: Resolution) -> DiversionContract:
    contract = DiversionContract.objects.filter(resolution=resolution).first()
    if contract is None:
        raise Http404("This resolution has no contract")
    return contract


def _conditions(resolution: Resolution) -> list[ResolutionAction]:
    return list(resolution.actions.filter(kind=ActionKind.CONDITION).prefetch_related("checks__recorded_by"))


@requires(can_record_resolutions, "Your role does not resolve offences")
def contract_new(request: HttpRequest, resolution_id: uuid.UUID) -> HttpResponse:
    resolution = _resolution_for(request, resolution_id)
    if DiversionContract.objects.filter(resolution=resolution).exists():
        return redirect("resolutions:contract", resolution_id=resolution.pk)
    form = ContractForm(
        request.POST or None,
        menu=contracts.conditions_menu(resolution),
        owner=request.user.display_name,
        initial={"starts_on": timezone.localdate(), "months": contracts.default_months(resolution)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            contracts.contract_create(
                resolution=resolution,
                by=request.user,
                starts_on=form.cleaned_data["starts_on"],
                months=form.cleaned_data["months"],
                conditions=form.conditions(),
            )
            messages.success(request, "Contract made. Print it for the person to sign.")
            return redirect("resolutions:contract", resolution_id=resolution.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(request, "resolutions/contract_new.html", {"resolution": resolution, "form": form})


@requires(can_record_resolutions, "Your role does not resolve offences")
def contract_detail(request: HttpRequest, resolution_id: uuid.UUID) -> HttpResponse:
    resolution = _resolution_for(request, resolution_id)
    contract = _contract_of(resolution)
    conditions = _conditions(resolution)
    forms_: dict[str, Any] = {
        "sign": SignForm(initial={"signed_on": timezone.localdate()}),
        "breach": BreachForm(),
        "decide": DecisionForm(),
        "complete": forms.Form(),  # no fields: carries the refusal, if any
    }
    checks = {c.pk: CheckForm(prefix=f"c-{c.pk.hex[:8]}") for c in conditions}
    if request.method == "POST":
        which = request.POST.get("form", "")
        try:
            done = _act(request, which, contract, conditions, forms_, checks)
            if done:
                messages.success(request, done)
                return redirect("resolutions:contract", resolution_id=resolution.pk)
        except ValidationError as error:
            target = forms_.get(which) or checks.get(_action_id(request))
            if target is None:
                raise Http404("No such form") from error
            apply_service_errors(target, error)
    return render(
        request,
        "resolutions/contract_detail.html",
        {
            "resolution": resolution,
            "contract": contract,
            "rows": [(c, checks[c.pk]) for c in conditions],
            "forms": forms_,
            "errors": [f for f in [*forms_.values(), *checks.values()] if f.errors],
            "form": next((f for f in [*forms_.values(), *checks.values()] if f.errors), None),
            "can_decide": can_review_resolutions(request.user),
            "active": contract.status == ContractStatus.ACTIVE,
            "breached": contract.status == ContractStatus.BREACHED,
        },
    )


def _action_id(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("action_id", ""))
    except ValueError:
        return None


def _act(
    request: HttpRequest,
    which: str,
    contract: DiversionContract,
    conditions: list[ResolutionAction],
    forms_: dict[str, Any],
    checks: dict[uuid.UUID, CheckForm],
) -> str | None:
    """Carry out the form posted; the success message, or None if the form has errors."""
    user = request.user
    if which == "complete":
        forms_["complete"] = forms.Form(request.POST)
        forms_["complete"].is_valid()  # no fields: bound, so a refusal can be added to it
        contracts.contract_complete(contract=contract, by=user)
        return "Contract completed"
    if which == "check":
        action = next((c for c in conditions if c.pk == _action_id(request)), None)
        if action is None:
            raise Http404("No such condition")
        form = checks[action.pk] = CheckForm(request.POST, prefix=f"c-{action.pk.hex[:8]}")
        if not form.is_valid():
            return None
        result = form.cleaned_data["result"]
        contracts.compliance_record(
            action=action,
            by=user,
            checked_on=form.cleaned_data["checked_on"],
            complied=result != "not_complied",
            completed=result == "completed",
            note=form.cleaned_data["note"],
        )
        if result == "not_complied":
            return "Not complied with: the contract is in breach, for a supervisor's decision"
        return "Compliance recorded"
    form_class = {"sign": SignForm, "breach": BreachForm, "decide": DecisionForm}.get(which)
    if form_class is None:
        raise Http404("No such form")
    form = forms_[which] = form_class(request.POST)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    if which == "sign":
        contracts.contract_sign(contract=contract, by=user, signed_on=data["signed_on"])
        return "Signature recorded"
    if which == "breach":
        contracts.breach_raise(contract=contract, by=user, reason=data["reason"])
        return "Breach raised, for a supervisor's decision"
    try:
        contracts.breach_decide(contract=contract, by=user, decision=data["decision"], reason=data["decision_reason"])
    except ValidationError as error:
        # The service calls the reason "reason"; the form, "decision_reason".
        if hasattr(error, "error_dict") and "reason" in error.error_dict:
            error.error_dict["decision_reason"] = error.error_dict.pop("reason")
        raise
    return f"Decision recorded: {DiversionContract.BreachDecision(data['decision']).label.lower()}"


@requires(can_record_resolutions, "Your role does not resolve offences")
def contract_print(request: HttpRequest, resolution_id: uuid.UUID) -> HttpResponse:
    resolution = _resolution_for(request, resolution_id)
    contract = _contract_of(resolution)
    return render(
        request,
        "resolutions/contract_print.html",
        {
            "resolution": resolution,
            "contract": contract,
            "conditions": _conditions(resolution),
        },
    )


urlpatterns: list[URLPattern] = [
    path("<uuid:resolution_id>/contract/new/", contract_new, name="contract-new"),
    path("<uuid:resolution_id>/contract/", contract_detail, name="contract"),
    path("<uuid:resolution_id>/contract/print/", contract_print, name="contract-print"),
]
