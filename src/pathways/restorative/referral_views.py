"""Referring a case, the referrer's list of their agency's referrals, the co-ordinator's queue,
and the case page's referral, contact, consent and closing forms (each POSTs here and returns
to the case page; a form with errors is shown again on a page of its own, with status 400)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from pathways.access.decorators import requires
from pathways.access.policies import request_purpose, sharing_view
from pathways.access.services import access_person
from pathways.offending.models import Offence
from pathways.restorative import referrals
from pathways.restorative.models import Case, Party
from pathways.restorative.policies import can_coordinate, can_facilitate, can_refer
from pathways.restorative.reference import ConsentStatus, ContactResult, Role
from pathways.restorative.referral_forms import (
    AnswerForm,
    CloseForm,
    ConsentForm,
    ContactForm,
    DecisionForm,
    ReferralForm,
)
from pathways.restorative.selectors import access_case, referrals_made_by_agency
from pathways.sharing.reference import Category
from pathways.web.forms import apply_service_errors

REFERRERS = "Only officers, supervisors, caseworkers and restorative justice co-ordinators make referrals"
COORDINATORS = "Only the restorative justice service's co-ordinators do this"
SERVICE_ONLY = "Only the restorative justice service's co-ordinators and facilitators work cases"

# The service's own words for the referral's parties, where the form has no field of that name.
_FIELD_OF = {"parties": "victim_name", "referred_on": None}


def _offences(request: HttpRequest, person: Any) -> list[Offence]:
    view = sharing_view(request.user, request_purpose(request))  # type: ignore[arg-type]
    offences = Offence.objects.filter(person=person).order_by("-offence_date")
    return view.visible(Category.OFFENDING_HISTORY, offences, person)


def _apply(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        renamed = ValidationError(
            {(_FIELD_OF.get(field, field) or "__all__"): messages for field, messages in error.message_dict.items()}
        )
        apply_service_errors(form, renamed)
    else:
        apply_service_errors(form, error)


@requires(can_refer, REFERRERS)
def referral_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    person, offences = None, []
    if request.GET.get("person"):
        person = access_person(user=user, person_id=request.GET["person"], purpose=request_purpose(request))  # type: ignore[arg-type]
        offences = _offences(request, person)
    may_self_refer = can_coordinate(user)
    form = ReferralForm(
        request.POST or None,
        offences=offences,
        has_person=person is not None,
        may_self_refer=may_self_refer,
        initial={"source": referrals.default_source(user)},  # type: ignore[arg-type]
    )
    if may_self_refer and not form.is_bound:
        form.fields["service"].initial = user.agency_id  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            offence = next((o for o in offences if str(o.pk) == data.get("offence")), None)
            parties = []
            if data["victim_name"].strip():
                parties.append(
                    referrals.PartyInput(
                        role=Role.VICTIM,
                        name=data["victim_name"],
                        phone=data["victim_phone"],
                        email=data["victim_email"],
                        needs=data["victim_needs"],
                        young_person=data["victim_young"],
                    )
                )
            if person is not None or data.get("offender_name", "").strip():
                parties.append(
                    referrals.PartyInput(
                        role=Role.OFFENDER,
                        name=data.get("offender_name", ""),
                        person=person,
                        young_person=data["offender_young"],
                    )
                )
            try:
                case = referrals.referral_create(
                    by=user,  # type: ignore[arg-type]
                    referral=referrals.ReferralInput(
                        service=data["service"],
                        source=data["source"],
                        stage=data["stage"],
                        what_happened=data["what_happened"],
                        why_referred=data["why_referred"],
                        offence=offence,
                        area=data["area"],
                        case_types=data["case_types"],
                        parties=parties,
                    ),
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, f"Referral {case.reference} sent to {case.service.name}.")
                return redirect("restorative:referrals")
    return render(request, "restorative/referral_new.html", {"form": form, "person": person}, status=status)


@requires(can_refer, REFERRERS)
def referral_list(request: HttpRequest) -> HttpResponse:
    """What the referrer's agency sent and where each stands: the status only, never the
    service's notes about the people."""
    found = referrals_made_by_agency(request.user).select_related("service", "referred_by")[:300]  # type: ignore[arg-type]
    return render(request, "restorative/referral_list.html", {"referrals": found, "answer_form": AnswerForm()})


@requires(can_refer, REFERRERS)
def referral_answer(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = referrals_made_by_agency(request.user).filter(pk=case_id).first()  # type: ignore[arg-type]
    if case is None:
        raise Http404("No such referral from your agency")
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                referrals.referral_answer(case=case, by=request.user, answer=form.cleaned_data["answer"])  # type: ignore[arg-type]
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"Your answer was sent. {case.reference} is back with the service.")
                return redirect("restorative:referrals")
    return render(
        request,
        "restorative/referral_step.html",
        {
            "form": form,
            "case": case,
            "heading": f"More information for {case.reference}",
            "lead": case.information_requested,
            "button": "Send the answer",
            "back": "restorative:referrals",
        },
        status=status,
    )


@requires(can_coordinate, COORDINATORS)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "restorative/queue.html", {"queue": referrals.coordinator_queue(request.user)})  # type: ignore[arg-type]


def _case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    return access_case(user=request.user, case_id=case_id, purpose=request_purpose(request))  # type: ignore[arg-type]


def _party(case: Case, party_id: uuid.UUID) -> Party:
    party = case.parties.filter(pk=party_id).first()
    if party is None:
        raise Http404("No such party on this case")
    return party


def _step(
    request: HttpRequest,
    case: Case,
    form: Any,
    action: Any,
    *,
    heading: str,
    button: str,
    done: Any,
) -> HttpResponse:
    """Run one case-page form: on success back to the case page, otherwise the form again (400)."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = action(form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, done(result) if callable(done) else done)
                return redirect("restorative:case", case_id=case.pk)
    return render(
        request,
        "restorative/referral_step.html",
        {"form": form, "case": case, "heading": heading, "button": button, "back": "restorative:case"},
        status=status,
    )


@requires(can_coordinate, COORDINATORS)
def referral_decide(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    user = request.user

    def act(data: dict[str, Any]) -> Case:
        if data["decision"] == "accept":
            return referrals.referral_accept(case=case, by=user)  # type: ignore[arg-type]
        if data["decision"] == "decline":
            return referrals.referral_decline(case=case, by=user, reason=data["reason"])  # type: ignore[arg-type]
        return referrals.referral_ask(case=case, by=user, question=data["question"])  # type: ignore[arg-type]

    return _step(
        request,
        case,
        DecisionForm(request.POST or None),
        act,
        heading=f"Decide on referral {case.reference}",
        button="Record the decision",
        done=lambda c: f"{c.reference}: {c.get_status_display().lower()}.",
    )


@requires(can_facilitate, SERVICE_ONLY)
def contact_new(request: HttpRequest, case_id: uuid.UUID, party_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    party = _party(case, party_id)

    def act(data: dict[str, Any]) -> Any:
        return referrals.contact_record(
            case=case,
            party=party,
            by=request.user,  # type: ignore[arg-type]
            method=data["method"],
            result=data["result"],
            made_on=data["made_on"],
            note=data["note"],
        )

    return _step(
        request,
        case,
        ContactForm(request.POST or None),
        act,
        heading=f"Contact with {party.name}",
        button="Record the contact",
        done=lambda a: (
            f"Contact with {party.name} recorded"
            + (": their contact task is done." if a.result == ContactResult.SPOKE else ".")
        ),
    )


@requires(can_facilitate, SERVICE_ONLY)
def consent_new(request: HttpRequest, case_id: uuid.UUID, party_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    party = _party(case, party_id)

    def act(data: dict[str, Any]) -> Any:
        return referrals.consent_record(
            case=case,
            party=party,
            by=request.user,  # type: ignore[arg-type]
            status=data["status"],
            informed=data["informed"],
            note=data["note"],
            recorded_on=data["recorded_on"],
        )

    def done(record: Any) -> str:
        if record.status == ConsentStatus.GIVEN:
            return f"{party.name}'s consent recorded."
        return f"{party.name} {record.get_status_display().lower()}. The case is closed and its tasks cancelled."

    return _step(
        request,
        case,
        ConsentForm(request.POST or None),
        act,
        heading=f"{party.name}'s consent",
        button="Record their consent",
        done=done,
    )


@requires(can_coordinate, COORDINATORS)
def case_close(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)

    def act(data: dict[str, Any]) -> Case:
        return referrals.case_close_by_coordinator(case=case, by=request.user, reason=data["reason"], note=data["note"])  # type: ignore[arg-type]

    return _step(
        request,
        case,
        CloseForm(request.POST or None),
        act,
        heading=f"Close {case.reference}",
        button="Close the case",
        done=lambda c: f"{c.reference} closed. Its open tasks are cancelled.",
    )


urlpatterns: list[URLPattern] = [
    path("referrals/", referral_list, name="referrals"),
    path("referrals/new/", referral_new, name="referral-new"),
    path("referrals/<uuid:case_id>/answer/", referral_answer, name="referral-answer"),
    path("queue/", queue, name="queue"),
    path("cases/<uuid:case_id>/referral/", referral_decide, name="referral-decide"),
    path("cases/<uuid:case_id>/close/", case_close, name="case-close"),
    path("cases/<uuid:case_id>/parties/<uuid:party_id>/contact/", contact_new, name="contact"),
    path("cases/<uuid:case_id>/parties/<uuid:party_id>/consent/", consent_new, name="consent"),
]
