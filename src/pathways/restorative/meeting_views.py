"""Pages for venues, preparing the parties, arranging and holding the meeting, the outcome
agreement, follow-up, and the satisfaction survey (the party's own page needs no sign-in)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from pathways.access.decorators import requires
from pathways.access.middleware import public
from pathways.access.policies import request_purpose
from pathways.restorative import cases, meetings, surveys
from pathways.restorative.meeting_forms import (
    ActionFinishForm,
    AgreementForm,
    CallOffForm,
    FollowUpForm,
    HoldForm,
    MeetingForm,
    NoAgreementForm,
    PreparationForm,
    SurveyEntryForm,
    SurveyForm,
    VenueForm,
    yes_no,
)
from pathways.restorative.models import AgreementAction, Case, Meeting, Party, Venue
from pathways.restorative.policies import can_coordinate, can_facilitate
from pathways.restorative.reference import CaseStatus, MeetingStatus, TaskKind, TaskStatus
from pathways.restorative.selectors import access_case
from pathways.web.forms import apply_service_errors

SERVICE_ONLY = "Only the restorative justice service's co-ordinators and facilitators work cases"
COORDINATORS_ONLY = "Only the restorative justice service's co-ordinators keep the list of venues"


def _case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    return access_case(user=request.user, case_id=case_id, purpose=request_purpose(request))  # type: ignore[arg-type]


def _status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200


def _to_case(case: Case) -> HttpResponse:
    return redirect("restorative:case", case_id=case.pk)


# --- Venues ---------------------------------------------------------------------------


def _own_venues(request: HttpRequest) -> Any:
    return Venue.objects.filter(service_id=request.user.agency_id).select_related("lent_by")  # type: ignore[union-attr]


@requires(can_coordinate, COORDINATORS_ONLY)
def venue_list(request: HttpRequest) -> HttpResponse:
    return render(request, "restorative/venue_list.html", {"venues": _own_venues(request)})


def _venue_input(data: dict[str, Any]) -> meetings.VenueInput:
    return meetings.VenueInput(**{k: data[k] for k in meetings.VenueInput.__dataclass_fields__})


@requires(can_coordinate, COORDINATORS_ONLY)
def venue_edit(request: HttpRequest, venue_id: uuid.UUID | None = None) -> HttpResponse:
    venue = get_object_or_404(_own_venues(request), pk=venue_id) if venue_id else None
    initial = {}
    if venue is not None:
        initial = {f: getattr(venue, f) for f in meetings.VenueInput.__dataclass_fields__}
    form = VenueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = meetings.venue_save(by=request.user, venue=venue, data=_venue_input(form.cleaned_data))  # type: ignore[arg-type]
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("restorative:venues")
    upcoming = []
    if venue is not None:
        upcoming = list(
            venue.meetings.filter(status=MeetingStatus.ARRANGED, starts_at__gte=timezone.now()).select_related("case")
        )
    return render(
        request,
        "restorative/venue_edit.html",
        {"form": form, "venue": venue, "upcoming": upcoming},
        status=_status(form),
    )


# --- Preparation ----------------------------------------------------------------------


@requires(can_facilitate, SERVICE_ONLY)
def preparation(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    form = PreparationForm(request.POST or None, parties=case.parties.all())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meetings.preparation_record(
                case=case,
                by=request.user,  # type: ignore[arg-type]
                party=data["party"],
                held_on=data["held_on"],
                ready=data["ready"] == "yes",
                notes=data["notes"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Preparation meeting recorded.")
            return _to_case(case)
    return render(
        request,
        "restorative/prepare.html",
        {
            "form": form,
            "case": case,
            "preparations": case.preparations.select_related("party", "held_by"),
            "not_ready": meetings.parties_not_ready(case),
        },
        status=_status(form),
    )


# --- The meeting ----------------------------------------------------------------------


@requires(can_facilitate, SERVICE_ONLY)
def meeting_new(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    parties = list(case.parties.all())
    venues = Venue.objects.filter(service=case.service, active=True)
    form = MeetingForm(request.POST or None, venues=venues, parties=parties)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_id = {str(p.pk): p for p in parties}
        supporters = [meetings.Supporter(name=n, supporting=by_id[s]) for n, s in form.supporters() if n and s]
        if not form.errors:
            try:
                meeting = meetings.meeting_arrange(
                    case=case,
                    by=request.user,  # type: ignore[arg-type]
                    data=meetings.MeetingInput(
                        intervention=data["intervention"],
                        starts_at=form.moment(data["starts"]),  # type: ignore[arg-type]
                        ends_at=form.moment(data["ends"]),
                        venue=data["venue"],
                        access_needs_met=data["access_needs_met"],
                        supporters=supporters,
                        professionals=[data[f"professional_{n}"] for n in (1, 2)],
                        notes=data["notes"],
                    ),
                )
            except ValidationError as error:
                if "starts_at" in getattr(error, "error_dict", {}):
                    error.error_dict["date"] = error.error_dict.pop("starts_at")
                if "ends_at" in getattr(error, "error_dict", {}):
                    error.error_dict["ends"] = error.error_dict.pop("ends_at")
                apply_service_errors(form, error)
            else:
                messages.success(request, "Meeting arranged.")
                return redirect("restorative:meeting", case_id=case.pk, meeting_id=meeting.pk)
    return render(
        request,
        "restorative/meeting_new.html",
        {
            "form": form,
            "case": case,
            "not_ready": meetings.parties_not_ready(case),
            "needs": [p for p in parties if p.needs.strip()],
            "venues": venues,
        },
        status=_status(form),
    )


@requires(can_facilitate, SERVICE_ONLY)
def meeting_detail(request: HttpRequest, case_id: uuid.UUID, meeting_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    meeting = get_object_or_404(Meeting.objects.select_related("venue"), case=case, pk=meeting_id)
    participants = list(meeting.participants.select_related("supporting"))
    doing = request.POST.get("do") if request.method == "POST" else None
    # Most meetings are recorded on the day they were arranged for: offer that date.
    hold = HoldForm(
        request.POST if doing == "hold" else None,
        participants=participants,
        initial={"held_on": timezone.localtime(meeting.starts_at).date()},
    )
    call_off = CallOffForm(request.POST if doing == "call_off" else None)
    bound = hold if doing == "hold" else call_off if doing == "call_off" else None
    if bound is not None and bound.is_valid():
        data = bound.cleaned_data
        try:
            if bound is hold:
                chosen = set(data["attended"])
                meetings.meeting_hold(
                    meeting=meeting,
                    by=request.user,  # type: ignore[arg-type]
                    held_on=data["held_on"],
                    attended=[p for p in participants if str(p.pk) in chosen],
                    notes=data["notes"],
                )
                messages.success(request, "Meeting recorded as held.")
            else:
                meetings.meeting_call_off(
                    meeting=meeting,
                    by=request.user,  # type: ignore[arg-type]
                    status=data["status"],
                    reason=data["reason"],
                )
                messages.success(request, f"Meeting {data['status']}.")
        except ValidationError as error:
            apply_service_errors(bound, error)
        else:
            return _to_case(case)
    elif request.method == "POST" and bound is None:
        return HttpResponse("Choose what to record", status=400)
    return render(
        request,
        "restorative/meeting_detail.html",
        {
            "case": case,
            "meeting": meeting,
            "participants": participants,
            "hold": hold,
            "call_off": call_off,
            "form": bound,
        },
        status=_status(bound) if bound is not None else 200,
    )


# --- The agreement and follow-up ------------------------------------------------------


@requires(can_facilitate, SERVICE_ONLY)
def agreement(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    doing = request.POST.get("do") if request.method == "POST" else None
    form = AgreementForm(request.POST if doing == "agree" else None)
    none_needed = NoAgreementForm(request.POST if doing == "none" else None)
    bound = form if doing == "agree" else none_needed if doing == "none" else None
    if bound is not None and bound.is_valid():
        try:
            if bound is form:
                rows = form.rows()
                if not form.errors:
                    meetings.agreement_make(
                        case=case,
                        by=request.user,  # type: ignore[arg-type]
                        summary=form.cleaned_data["summary"],
                        actions=[cases.AgreedAction(description=w, owner=o, due_on=d) for _, w, o, d in rows if d],
                    )
                    messages.success(request, "Agreement recorded.")
            else:
                meetings.no_agreement_needed(
                    case=case,
                    by=request.user,  # type: ignore[arg-type]
                    reason=none_needed.cleaned_data["reason"],
                )
                messages.success(request, "No agreement needed: the case is in follow-up.")
        except ValidationError as error:
            if "actions" in getattr(error, "error_dict", {}):
                error.error_dict["action_1"] = error.error_dict.pop("actions")
            apply_service_errors(bound, error)
        if not bound.errors:
            return _to_case(case)
    elif request.method == "POST" and bound is None:
        return HttpResponse("Choose what to record", status=400)
    return render(
        request,
        "restorative/agreement_edit.html",
        {
            "case": case,
            "form": bound,
            "agree": form,
            "none_needed": none_needed,
            "held": meetings.held_meeting(case),
            "existing": getattr(case, "agreement", None),
        },
        status=_status(bound) if bound is not None else 200,
    )


@requires(can_facilitate, SERVICE_ONLY)
def agreement_action(request: HttpRequest, case_id: uuid.UUID, rj_action_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    action = get_object_or_404(
        AgreementAction.objects.select_related("agreement"), agreement__case=case, pk=rj_action_id
    )
    form = ActionFinishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meetings.agreement_action_finish(
                action=action,
                by=request.user,  # type: ignore[arg-type]
                done=form.cleaned_data["done"] == "yes",
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            case.refresh_from_db()
            if case.status == CaseStatus.FOLLOW_UP:
                messages.success(request, "Every action is finished: the case is in follow-up.")
            else:
                messages.success(request, "Action recorded.")
            return _to_case(case)
    return render(
        request,
        "restorative/agreement_action.html",
        {"case": case, "action": action, "form": form},
        status=_status(form),
    )


@requires(can_facilitate, SERVICE_ONLY)
def follow_up(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    tasks = list(case.tasks.filter(kind=TaskKind.FOLLOW_UP, status=TaskStatus.OPEN).select_related("party"))
    doing = request.POST.get("do") if request.method == "POST" else None
    form = FollowUpForm(request.POST if doing == "contact" else None)
    error_for: Any = None
    problem = ""
    if doing == "contact":
        task = next((t for t in tasks if str(t.pk) == request.POST.get("task")), None)
        if task is None:
            raise Http404("No such follow-up")
        error_for = task.pk
        if form.is_valid():
            try:
                meetings.follow_up_record(
                    task=task,
                    by=request.user,  # type: ignore[arg-type]
                    method=form.cleaned_data["method"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, "Follow-up recorded.")
                return redirect("restorative:follow-up", case_id=case.pk)
    elif doing == "complete":
        try:
            meetings.case_complete(case=case, by=request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            problem = " ".join(error.messages)
        else:
            messages.success(request, "The case is closed as completed.")
            return _to_case(case)
    elif request.method == "POST":
        return HttpResponse("Choose what to record", status=400)
    return render(
        request,
        "restorative/meeting_follow_up.html",
        {
            "case": case,
            "tasks": tasks,
            "form": form,
            "blank": FollowUpForm(),
            "error_for": error_for,
            "problem": problem,
        },
        status=400 if form.errors or problem else 200,
    )


# --- Surveys --------------------------------------------------------------------------


def _answers(data: dict[str, Any]) -> surveys.Answers:
    return surveys.Answers(
        satisfaction=data["satisfaction"],
        felt_safe=yes_no(data["felt_safe"]),
        felt_heard=yes_no(data["felt_heard"]),
        would_recommend=yes_no(data["would_recommend"]),
        comments=data["comments"],
    )


@requires(can_facilitate, SERVICE_ONLY)
def survey_enter(request: HttpRequest, case_id: uuid.UUID, party_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    party = get_object_or_404(Party, case=case, pk=party_id)
    doing = request.POST.get("do") if request.method == "POST" else None
    form = SurveyEntryForm(request.POST if doing == "enter" else None)
    link, link_error = None, None
    if doing == "link":
        try:
            _, token = surveys.survey_link_create(case, party, request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            link_error = " ".join(error.messages)
        else:
            # Shown this once: only the token's hash is kept.
            link = request.build_absolute_uri(reverse("restorative:survey", kwargs={"token": token}))
    elif doing == "enter" and form.is_valid():
        try:
            surveys.survey_enter(
                case=case,
                party=party,
                by=request.user,  # type: ignore[arg-type]
                method=form.cleaned_data["method"],
                answers=_answers(form.cleaned_data),
                on=form.cleaned_data["completed_on"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Survey entered.")
            return _to_case(case)
    elif request.method == "POST" and doing not in ("link", "enter"):
        return HttpResponse("Choose what to record", status=400)
    status = 400 if (form.is_bound and form.errors) or link_error else 200
    return render(
        request,
        "restorative/survey_enter.html",
        {
            "case": case,
            "party": party,
            "form": form,
            "link": link,
            "link_error": link_error,
            "surveys": party.surveys.all(),
            "held": meetings.held_meeting(case),
        },
        status=status,
    )


def _link_not_valid(request: HttpRequest) -> HttpResponse:
    return render(request, "restorative/survey_not_valid.html", status=404)


@public
@require_http_methods(["GET", "POST"])
def survey_public(request: HttpRequest, token: str) -> HttpResponse:
    """The party's own survey. Shows no name and nothing of the case. No sign-in: whoever holds
    the link may answer once, and a guessed link is not a risk worth a rate limit, since the
    token has 256 bits of entropy (see `surveys.TOKEN_BYTES`)."""
    try:
        surveys.survey_for_token(token)
    except surveys.SurveyLinkNotValid:
        return _link_not_valid(request)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.survey_complete_by_link(token, _answers(form.cleaned_data))
        except surveys.SurveyLinkNotValid:
            return _link_not_valid(request)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return render(request, "restorative/survey_thanks.html")
    return render(request, "restorative/survey_public.html", {"form": form}, status=_status(form))


urlpatterns: list[URLPattern] = [
    path("venues/", venue_list, name="venues"),
    path("venues/new/", venue_edit, name="venue-new"),
    path("venues/<uuid:venue_id>/", venue_edit, name="venue"),
    path("cases/<uuid:case_id>/preparation/", preparation, name="preparation"),
    path("cases/<uuid:case_id>/meetings/new/", meeting_new, name="meeting-new"),
    path("cases/<uuid:case_id>/meetings/<uuid:meeting_id>/", meeting_detail, name="meeting"),
    path("cases/<uuid:case_id>/agreement/", agreement, name="agreement"),
    path("cases/<uuid:case_id>/agreement/<uuid:rj_action_id>/", agreement_action, name="agreement-action"),
    path("cases/<uuid:case_id>/follow-up/", follow_up, name="follow-up"),
    path("cases/<uuid:case_id>/surveys/<uuid:party_id>/", survey_enter, name="survey-enter"),
    path("survey/<str:token>/", survey_public, name="survey"),
]
