"""Forms for the board's decisions and for appointments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from pathways.accounts.models import Agency
from pathways.iom.policies import IOM_PARTNER_KINDS
from pathways.iom.reference import BoardDecision
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin


class BoardEntryForm(GovukFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=BoardDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the board's decision"},
    )
    partner_actions = forms.CharField(
        label="Partner actions agreed",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who will do what, and by when. Not needed when the board only notes what is new.",
    )

    def __init__(self, *args: Any, membership_id: Any = None, **kwargs: Any) -> None:
        # One form per member on the board: the prefix keeps their fields' ids apart.
        if membership_id is not None:
            kwargs.setdefault("prefix", f"m{str(membership_id)[:8]}")
        super().__init__(*args, **kwargs)


class AppointmentForm(GovukFormMixin, forms.Form):
    what = forms.CharField(
        label="What the appointment is",
        max_length=200,
        help_text="For example, drug worker key-work session, probation supervision, housing viewing.",
        error_messages={"required": "Say what the appointment is"},
    )
    agency = forms.ModelChoiceField(
        label="With",
        queryset=Agency.objects.none(),
        error_messages={"required": "Choose the agency the appointment is with"},
    )
    due_on = forms.DateField(
        label="Date",
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-11-30",
        error_messages={"invalid": "Enter the date like 2026-11-30", "required": "Enter the date"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )
    due_time = forms.TimeField(
        label="Time",
        input_formats=["%H:%M"],
        help_text="24-hour clock, for example 14:30",
        error_messages={"invalid": "Enter the time like 14:30", "required": "Enter the time"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(kind__in=IOM_PARTNER_KINDS).order_by("name")

    def due_at(self) -> dt.datetime | None:
        day, time = self.cleaned_data.get("due_on"), self.cleaned_data.get("due_time")
        if day is None or time is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day, time))


class AttendanceForm(GovukFormMixin, forms.Form):
    attended = forms.ChoiceField(
        choices=[("yes", "Attended"), ("no", "Missed")], error_messages={"required": "Say if they attended"}
    )
