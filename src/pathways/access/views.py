"""The audit trail, for the data protection lead: who looked at a person, what a user looked
at, break-glass accesses and exports.

Only a data protection lead may open these pages; anyone else gets 403, and the refusal is
audited. A lead answers for the whole partnership, so the pages show every agency's events.
Each page that shows the trail is itself audited (action `read`, object type `audit`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import Purpose, is_data_protection_lead
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.web.forms import GovukFormMixin

PAGE_SIZE = 50
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]


# --- Reads of the trail (the API uses these too) ------------------------------------


def audit_events(
    *,
    person_id: uuid.UUID | None = None,
    username: str = "",
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Events about one person, by one user or of one action, between two dates (inclusive,
    in the service's time zone), latest first."""
    events = AuditEvent.objects.all()
    if person_id is not None:
        events = events.filter(object_type="person", object_id=str(person_id))
    if username:
        events = events.filter(username=username)
    if action:
        events = events.filter(action=action)
    if date_from is not None:
        events = events.filter(at__gte=_start_of(date_from))
    if date_to is not None and date_to < dt.date.max:
        events = events.filter(at__lt=_start_of(date_to + dt.timedelta(days=1)))
    return events.order_by("-id")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_page(events: QuerySet[AuditEvent], number: Any) -> Page:
    return Paginator(events, PAGE_SIZE).get_page(number)


def require_data_protection_lead(user: User, *, page: str, via: str = "web") -> None:
    """Let a data protection lead through; refuse anyone else, and audit the refusal."""
    if not is_data_protection_lead(user):
        audit_record(user=user, action=AuditEvent.Action.REFUSED, object_type="audit", object_id=page, via=via)
        raise PermissionDenied("Only a data protection lead may see the audit trail")


def audit_viewed(user: User, *, page: str, filters: dict[str, Any], page_number: int, via: str = "web") -> None:
    """Looking at the trail is recorded in the trail."""
    detail = {key: str(value) for key, value in filters.items() if value not in (None, "")}
    detail["page"] = str(page_number)
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="audit",
        object_id=page,
        purpose=Purpose.DATA_PROTECTION,
        detail=detail,
        via=via,
    )


# --- Forms ---------------------------------------------------------------------------


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        help_text="For example, 2026-03-27 or 27/03/2026",
        input_formats=DATE_FORMATS,
        error_messages={"invalid": f"Enter the {label.lower()} date as 2026-03-27 or 27/03/2026"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}),
    )


class DateRangeForm(GovukFormMixin, forms.Form):
    date_from = _date_field("From")
    date_to = _date_field("To")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The to date must be the same as or after the from date")
        return data


class PersonEventsForm(DateRangeForm):
    person = forms.UUIDField(
        label="Person's Pathways ID",
        help_text="The ID in the address of their page, like 3f1c2a9e-8a55-4d7f-9c0e-6a1b2c3d4e5f",
        error_messages={
            "required": "Enter the person's Pathways ID",
            "invalid": "Enter a Pathways ID like 3f1c2a9e-8a55-4d7f-9c0e-6a1b2c3d4e5f",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-30", "spellcheck": "false"}),
    )
    field_order = ["person", "date_from", "date_to"]


class UserEventsForm(DateRangeForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        error_messages={"required": "Enter a username"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}),
    )
    field_order = ["username", "date_from", "date_to"]


# --- Pages ---------------------------------------------------------------------------


@dataclass
class EventRow:
    event: AuditEvent
    agency: str
    purpose: str
    detail: str
    person_id: str


def _rows(page: Page) -> list[EventRow]:
    agencies = dict(Agency.objects.values_list("code", "name"))
    return [
        EventRow(
            event=e,
            agency=agencies.get(e.agency_code, e.agency_code),
            purpose=e.purpose.replace("_", " ").capitalize(),
            detail=_detail_text(e.detail),
            person_id=e.object_id if e.object_type == "person" and _is_uuid(e.object_id) else "",
        )
        for e in page
    ]


def _detail_text(detail: dict[str, Any]) -> str:
    parts = []
    for key, value in sorted(detail.items()):
        if value in ("", None, [], {}):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _shown(page: Page) -> dict[str, Any]:
    return {
        "shown": True,
        "page": page,
        "rows": _rows(page),
        "page_numbers": list(page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)),
    }


def _filters(form: forms.Form) -> dict[str, Any]:
    return {name: form.cleaned_data.get(name) for name in form.fields}


def home(request: HttpRequest) -> HttpResponse:
    require_data_protection_lead(request.user, page="home")
    return render(request, "access/home.html")


def person_events(request: HttpRequest, person_id: uuid.UUID | None = None) -> HttpResponse:
    """Who looked at this person: every read, export, refusal, break-glass access and change
    recorded against them. (Searches record what was searched for, not whom they found.)"""
    require_data_protection_lead(request.user, page="people")
    data = request.GET.copy()
    if person_id is not None:
        data["person"] = str(person_id)
    form = PersonEventsForm(data if "person" in data else None)
    context: dict[str, Any] = {"form": form, "person_in_path": person_id is not None}
    if form.is_bound and form.is_valid():
        page = audit_page(
            audit_events(
                person_id=form.cleaned_data["person"],
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
            ),
            request.GET.get("page"),
        )
        audit_viewed(request.user, page="people", filters=_filters(form), page_number=page.number)
        context.update(_shown(page), person=str(form.cleaned_data["person"]))
    return render(request, "access/person_events.html", context)


def user_events(request: HttpRequest, username: str = "") -> HttpResponse:
    """What did this user look at: everything recorded against their username, failed sign-ins
    included."""
    require_data_protection_lead(request.user, page="users")
    data = request.GET.copy()
    if username:
        data["username"] = username
    form = UserEventsForm(data if "username" in data else None)
    context: dict[str, Any] = {"form": form, "username_in_path": bool(username)}
    if form.is_bound and form.is_valid():
        page = audit_page(
            audit_events(
                username=form.cleaned_data["username"],
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
            ),
            request.GET.get("page"),
        )
        audit_viewed(request.user, page="users", filters=_filters(form), page_number=page.number)
        context.update(_shown(page), username=form.cleaned_data["username"])
    return render(request, "access/user_events.html", context)


def _action_events(request: HttpRequest, *, action: str, page_name: str, template: str) -> HttpResponse:
    require_data_protection_lead(request.user, page=page_name)
    form = DateRangeForm(request.GET)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        page = audit_page(
            audit_events(action=action, date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"]),
            request.GET.get("page"),
        )
        audit_viewed(request.user, page=page_name, filters=_filters(form), page_number=page.number)
        context.update(_shown(page))
    return render(request, template, context)


def break_glass_events(request: HttpRequest) -> HttpResponse:
    """Every break-glass access, with the reason given, latest first."""
    return _action_events(
        request, action=AuditEvent.Action.BREAK_GLASS, page_name="break-glass", template="access/break_glass.html"
    )


def export_events(request: HttpRequest) -> HttpResponse:
    """Every export of personal information, latest first."""
    return _action_events(request, action=AuditEvent.Action.EXPORT, page_name="exports", template="access/exports.html")
