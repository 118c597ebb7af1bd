"""Pages for information sharing. Thin: rules live in services and policies."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from pathways.access.models import AuditEvent
from pathways.access.policies import (
    PURPOSE_SESSION_KEY,
    can_record_consent,
    is_data_protection_lead,
    purposes_for,
    request_purpose,
)
from pathways.access.services import access_person, audit_record
from pathways.sharing import services
from pathways.sharing.forms import (
    AgreementForm,
    BreakGlassForm,
    BreakGlassReviewForm,
    ConsentForm,
    PurposeForm,
    RestrictionForm,
    SignatoryForm,
)
from pathways.sharing.selectors import active_restriction, agreements_for, break_glass_queue, consent_history
from pathways.web.forms import apply_service_errors


def _dpo_only(request: HttpRequest) -> None:
    if not is_data_protection_lead(request.user):
        raise PermissionDenied("Only a data protection lead may do this")


def agreement_list(request: HttpRequest) -> HttpResponse:
    agreements = agreements_for(request.user)
    return render(
        request,
        "sharing/agreement_list.html",
        {"agreements": agreements, "is_dpo": is_data_protection_lead(request.user)},
    )


def agreement_detail(request: HttpRequest, agreement_id: uuid.UUID) -> HttpResponse:
    agreement = get_object_or_404(agreements_for(request.user), pk=agreement_id)
    form = SignatoryForm(request.POST or None, agreement=agreement)
    if request.method == "POST":
        _dpo_only(request)
        if form.is_valid():
            try:
                services.signatory_add(by=request.user, agreement=agreement, **form.cleaned_data)
                messages.success(request, "Signatory added")
                return redirect("sharing:agreement", agreement_id=agreement.pk)
            except ValidationError as error:
                apply_service_errors(form, error)
    audit_record(user=request.user, action=AuditEvent.Action.READ, object_type="agreement", object_id=str(agreement.pk))
    return render(
        request,
        "sharing/agreement_detail.html",
        {"agreement": agreement, "form": form, "is_dpo": is_data_protection_lead(request.user)},
    )


def agreement_edit(request: HttpRequest, agreement_id: uuid.UUID | None = None) -> HttpResponse:
    _dpo_only(request)
    agreement = get_object_or_404(agreements_for(request.user), pk=agreement_id) if agreement_id else None
    initial: dict[str, Any] = {}
    if agreement is not None:
        initial = {f: getattr(agreement, f) for f in AgreementForm.base_fields if f != "parties"}
        initial["parties"] = list(agreement.parties.all())
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        parties = values.pop("parties")
        try:
            saved = services.agreement_save(by=request.user, parties=parties, agreement=agreement, **values)
            messages.success(request, f"Agreement {saved.reference} saved")
            return redirect("sharing:agreement", agreement_id=saved.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(request, "sharing/agreement_form.html", {"form": form, "agreement": agreement})


def purpose_choose(request: HttpRequest) -> HttpResponse:
    allowed = purposes_for(request.user)
    form = PurposeForm(request.POST or None, allowed=allowed, initial={"purpose": request_purpose(request)})
    if request.method == "POST" and form.is_valid():
        request.session[PURPOSE_SESSION_KEY] = form.cleaned_data["purpose"]
        messages.success(request, "You are now working under a new purpose. What you may see follows it.")
        return redirect(request.GET["next"] if _safe_next(request) else "web:home")
    return render(request, "sharing/purpose.html", {"form": form})


def _safe_next(request: HttpRequest) -> bool:
    target = request.GET.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})


def consent(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    if not can_record_consent(request.user):
        raise PermissionDenied("Your role does not record consent")
    person = access_person(user=request.user, person_id=person_id, purpose=request_purpose(request))
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(by=request.user, person=person, **form.cleaned_data)
            messages.success(request, "Consent recorded")
            return redirect("people:detail", person_id=person.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request, "sharing/consent.html", {"form": form, "person": person, "consents": consent_history(person=person)}
    )


def restriction(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    _dpo_only(request)
    person = access_person(user=request.user, person_id=person_id, purpose=request_purpose(request))
    current = active_restriction(person=person)
    form = RestrictionForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "lift" and current is not None:
            services.restriction_lift(by=request.user, restriction=current)
            messages.success(request, "Restriction lifted")
            return redirect("people:detail", person_id=person.pk)
        if form.is_valid():
            try:
                services.restriction_place(by=request.user, person=person, **form.cleaned_data)
                messages.success(request, "Record restricted to the users named")
                if request.user not in form.cleaned_data["allowed_users"]:
                    return redirect("people:search")
                return redirect("people:detail", person_id=person.pk)
            except ValidationError as error:
                apply_service_errors(form, error)
    return render(request, "sharing/restriction.html", {"form": form, "person": person, "current": current})


def break_glass(request: HttpRequest) -> HttpResponse:
    form = BreakGlassForm(request.POST or None)
    not_found = False
    if request.method == "POST" and form.is_valid():
        try:
            access = services.break_glass_open(
                by=request.user,
                identifier=form.cleaned_data["identifier"],
                reason=form.cleaned_data["reason"],
                purpose=request_purpose(request),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if access is not None:
                return redirect("people:detail", person_id=access.person_id)
            not_found = True
    return render(request, "sharing/break_glass.html", {"form": form, "not_found": not_found})


def break_glass_queue_view(request: HttpRequest) -> HttpResponse:
    _dpo_only(request)
    return render(request, "sharing/break_glass_queue.html", {"accesses": break_glass_queue(reviewer=request.user)})


def break_glass_review(request: HttpRequest, access_id: uuid.UUID) -> HttpResponse:
    _dpo_only(request)
    access = get_object_or_404(break_glass_queue(reviewer=request.user), pk=access_id)
    form = BreakGlassReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.break_glass_review(
                by=request.user,
                access=access,
                review=form.cleaned_data["review"],
                note=form.cleaned_data["review_note"],
            )
            messages.success(request, "Review recorded")
            return redirect("sharing:break-glass-queue")
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(request, "sharing/break_glass_review.html", {"form": form, "access": access})
