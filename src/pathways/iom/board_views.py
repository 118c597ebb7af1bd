"""The daily review board, earlier boards, and a member's appointments. Thin: the work is in
`iom.board`; every page needs `can_work_iom`, and each person shown is one the user may see."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from pathways.access.decorators import requires
from pathways.access.policies import request_purpose
from pathways.iom import board
from pathways.iom.board_forms import AppointmentForm, AttendanceForm, BoardEntryForm
from pathways.iom.models import Appointment, BoardMeeting
from pathways.iom.policies import can_work_iom
from pathways.iom.selectors import access_membership, cohort
from pathways.web.forms import apply_service_errors

IOM_ONLY = "Only the IOM partners' officers, supervisors and caseworkers use the board"


def _recent_boards(request: HttpRequest, shown: BoardMeeting | None = None) -> list[BoardMeeting]:
    """The agency's last ten earlier boards (not today's, nor the one on the page)."""
    found = BoardMeeting.objects.filter(host_id=request.user.agency_id, held_on__lt=timezone.localdate())  # type: ignore[union-attr]
    if shown is not None:
        found = found.exclude(pk=shown.pk)
    return list(found.select_related("chair").order_by("-held_on")[:10])


def _board_page(
    request: HttpRequest, meeting: BoardMeeting, *, bound: Any = None, bound_for: Any = None, status: int = 200
) -> HttpResponse:
    found = board.board_items(request.user, meeting)  # type: ignore[arg-type]
    members = found.with_news + found.nothing_new
    forms = {}
    if found.is_open:
        for m in members:
            if m.membership.is_open:
                forms[m.membership.pk] = (
                    bound if bound_for == m.membership.pk else BoardEntryForm(membership_id=m.membership.pk)
                )
    for m in members:
        m.form = forms.get(m.membership.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "iom/board.html",
        {"board": found, "meeting": meeting, "form": bound, "recent": _recent_boards(request, meeting)},
        status=status,
    )


@requires(can_work_iom, IOM_ONLY)
@require_http_methods(["GET", "POST"])
def board_today(request: HttpRequest) -> HttpResponse:
    """Today's board. Opening it records the meeting and fixes what it covers, so it is opened
    by a deliberate POST ("Open today's board"), never by someone merely looking."""
    user = request.user
    meeting = board.board_on(user, timezone.localdate())  # type: ignore[arg-type]
    if request.method == "POST" and "open" in request.POST:
        meeting = board.board_open(user)  # type: ignore[arg-type]
        messages.success(request, f"Today's board is open. It covers everything since {_when(meeting.covers_from)}.")
        return redirect("iom:board")
    if meeting is None:
        if request.method == "POST":
            messages.success(request, "Open today's board before recording decisions.")
            return redirect("iom:board")
        return render(
            request,
            "iom/board_closed.html",
            {"recent": _recent_boards(request), "cohort_size": cohort(user).count()},  # type: ignore[arg-type]
        )
    if request.method == "POST":
        membership_id = request.POST.get("membership", "")
        membership = access_membership(
            user=user,  # type: ignore[arg-type]
            membership_id=membership_id,
            purpose=request_purpose(request),
        )
        form = BoardEntryForm(request.POST, membership_id=membership.pk)
        if form.is_valid():
            try:
                board.board_record(
                    by=user,  # type: ignore[arg-type]
                    meeting=meeting,
                    membership=membership,
                    decision=form.cleaned_data["decision"],
                    partner_actions=form.cleaned_data["partner_actions"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"The board's decision on {membership.person} is recorded.")
                return redirect(reverse("iom:board") + f"#member-{membership.pk}")
        return _board_page(request, meeting, bound=form, bound_for=membership.pk, status=400)
    return _board_page(request, meeting)


def _when(at: dt.datetime) -> str:
    return f"{timezone.localtime(at):%H:%M on %A %-d %B}"


@requires(can_work_iom, IOM_ONLY)
def board_day(request: HttpRequest, day: str) -> HttpResponse:
    """An earlier board, read-only: what was on it and what it decided."""
    try:
        on = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise Http404("No such day") from exc
    if on == timezone.localdate():
        return redirect("iom:board")
    meeting = board.board_on(request.user, on)  # type: ignore[arg-type]
    if meeting is None:
        return render(request, "iom/board_none.html", {"on": on, "recent": _recent_boards(request)}, status=404)
    return _board_page(request, meeting)


@requires(can_work_iom, IOM_ONLY)
@require_http_methods(["GET", "POST"])
def appointments(request: HttpRequest, membership_id: uuid.UUID) -> HttpResponse:
    """A member's appointments: book one, and record whether they kept it."""
    membership = access_membership(
        user=request.user,  # type: ignore[arg-type]
        membership_id=membership_id,
        purpose=request_purpose(request),
    )
    form = AppointmentForm(request.POST if request.POST.get("action") == "add" else None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            if form.is_valid():
                try:
                    board.appointment_record(
                        by=request.user,  # type: ignore[arg-type]
                        membership=membership,
                        agency=form.cleaned_data["agency"],
                        due_at=form.due_at(),
                        what=form.cleaned_data["what"],
                    )
                except ValidationError as error:
                    apply_service_errors(form, _as_form_fields(error))
                else:
                    messages.success(request, "The appointment is booked.")
                    return redirect("iom:appointments", membership_id=membership.pk)
            status = 400
        elif action == "attendance":
            appointment = get_object_or_404(Appointment, pk=request.POST.get("appointment"), membership=membership)
            marked = AttendanceForm(request.POST)
            attended = marked.is_valid() and marked.cleaned_data["attended"] == "yes"
            try:
                if not marked.is_valid():
                    raise ValidationError("Say whether they attended or missed it")
                board.appointment_attendance(by=request.user, appointment=appointment, attended=attended)  # type: ignore[arg-type]
            except ValidationError as error:
                form.add_error(None, error.messages)
                status = 400
            else:
                messages.success(request, f"{appointment.what}: recorded as {'attended' if attended else 'missed'}.")
                return redirect(
                    reverse("iom:appointments", kwargs={"membership_id": membership.pk}) + f"#a-{appointment.pk}"
                )
        else:
            raise Http404("No such action")
    return render(
        request,
        "iom/appointments.html",
        {
            "membership": membership,
            "form": form,
            "appointments": board.appointments_for(membership),
            "member_url": board.member_url(membership),
            "now": timezone.now(),
        },
        status=status,
    )


def _as_form_fields(error: ValidationError) -> ValidationError:
    """The service speaks of `due_at`; the form asks for a date and a time."""
    if hasattr(error, "error_dict") and "due_at" in error.error_dict:
        fields = dict(error.error_dict)
        fields["due_on"] = fields.pop("due_at")
        return ValidationError(fields)
    return error


urlpatterns = [
    path("board/", board_today, name="board"),
    path("board/<str:day>/", board_day, name="board-day"),
    path("members/<uuid:membership_id>/appointments/", appointments, name="appointments"),
]
