"""Forms for venues, preparation, meetings, the agreement, follow-up and surveys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from pathways.accounts.models import Agency
from pathways.restorative.meetings import WEEKDAYS
from pathways.restorative.models import Party, Venue
from pathways.restorative.reference import ContactMethod, Intervention, SurveyMethod
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin

YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_UNSURE = [("yes", "Yes"), ("no", "No"), ("", "Prefer not to say")]
SUPPORTER_ROWS = 3
PROFESSIONAL_ROWS = 2
ACTION_ROWS = 5


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-11-30",
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-11-30",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


def _time(label: str, *, required: bool = True) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=required,
        input_formats=["%H:%M"],
        help_text="24-hour clock, for example 14:30",
        error_messages={"invalid": f"Enter the {label.lower()} like 14:30", "required": f"Enter the {label.lower()}"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )


def yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class VenueForm(GovukFormMixin, forms.Form):
    name = forms.CharField(label="Name", max_length=200, error_messages={"required": "Enter the venue's name"})
    lent_by = forms.ModelChoiceField(
        label="Lent by",
        queryset=Agency.objects.none(),
        help_text="The partner agency whose room it is.",
        error_messages={"required": "Choose the agency that lends the venue"},
    )
    address = forms.CharField(label="Address", max_length=300, error_messages={"required": "Enter the address"})
    area = forms.CharField(label="Area", max_length=50, required=False, help_text="A postcode district, e.g. BS5.")
    step_free = forms.BooleanField(label="Step-free access throughout", required=False)
    hearing_loop = forms.BooleanField(label="Hearing loop", required=False)
    separate_waiting_rooms = forms.BooleanField(label="Separate waiting rooms for each party", required=False)
    accessibility_notes = forms.CharField(
        label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Parking, keys, contact."
    )
    available_days = forms.TypedMultipleChoiceField(
        label="Days it can be used",
        choices=list(enumerate(WEEKDAYS)),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label="In use", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lent_by"].queryset = Agency.objects.order_by("name")  # type: ignore[attr-defined]


class PreparationForm(GovukFormMixin, forms.Form):
    party = forms.ModelChoiceField(
        label="Who with", queryset=Party.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    held_on = _date("Date of the preparation meeting")
    ready = forms.ChoiceField(
        label="Are they ready to go ahead?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether they are ready"},
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, parties: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties  # type: ignore[attr-defined]
        self.fields["party"].error_messages["required"] = "Choose the party"


class MeetingForm(GovukFormMixin, forms.Form):
    # A free value, checked by the service: a panel is refused there with a message saying
    # where panels are arranged, rather than as "not one of the choices".
    intervention = forms.CharField(
        label="Kind of restorative intervention",
        widget=forms.RadioSelect(choices=[c for c in Intervention.choices if c[0] != Intervention.PANEL]),
        error_messages={"required": "Choose the kind of intervention"},
        help_text="Neighbourhood Justice Panels are arranged from the panel pages.",
    )
    venue = forms.ModelChoiceField(
        label="Venue (conference)", queryset=Venue.objects.none(), required=False, empty_label="Choose a venue"
    )
    date = _date("Date")
    starts = _time("Start time")
    ends = _time("End time (conference)", required=False)
    access_needs_met = forms.BooleanField(
        label="I have checked that the parties' access needs are met at this venue", required=False
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, venues: Any, parties: list[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues  # type: ignore[attr-defined]
        choices = [("", "Choose whom they support")] + [(str(p.pk), str(p)) for p in parties]
        for n in range(1, SUPPORTER_ROWS + 1):
            self.fields[f"supporter_{n}"] = forms.CharField(
                label=f"Supporter {n}: name", required=False, max_length=200
            )
            self.fields[f"supporter_{n}_supports"] = forms.ChoiceField(
                label=f"Supporter {n}: supports", required=False, choices=choices
            )
        for n in range(1, PROFESSIONAL_ROWS + 1):
            self.fields[f"professional_{n}"] = forms.CharField(
                label=f"Professional {n}: name and organisation", required=False, max_length=200
            )

    def moment(self, time: dt.time | None) -> dt.datetime | None:
        if time is None:
            return None
        return timezone.make_aware(dt.datetime.combine(self.cleaned_data["date"], time))

    def supporters(self) -> list[tuple[str, str]]:
        rows = []
        for n in range(1, SUPPORTER_ROWS + 1):
            name = self.cleaned_data.get(f"supporter_{n}", "").strip()
            supports = self.cleaned_data.get(f"supporter_{n}_supports", "")
            if name or supports:
                if not (name and supports):
                    self.add_error(f"supporter_{n}", "Enter the supporter's name and whom they support")
                rows.append((name, supports))
        return rows


class CallOffForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="Postpone or cancel?",
        choices=[("postponed", "Postpone (to be arranged again)"), ("cancelled", "Cancel")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose to postpone or cancel"},
    )
    reason = forms.CharField(
        label="Why", widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": "Say why"}
    )


class HoldForm(GovukFormMixin, forms.Form):
    held_on = _date("Date held")
    attended = forms.MultipleChoiceField(label="Who attended", required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label="How it went", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, participants: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [
            (str(p.pk), f"{p.name} ({p.get_role_display().lower()})") for p in participants
        ]


class AgreementForm(GovukFormMixin, forms.Form):
    summary = forms.CharField(label="What the parties agreed", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{n}"] = forms.CharField(label=f"Action {n}", required=False, max_length=500)
            self.fields[f"action_{n}_owner"] = forms.CharField(
                label=f"Action {n}: who does it or sees it done", required=False, max_length=200
            )
            self.fields[f"action_{n}_due"] = _date(f"Action {n}: due by", required=False)

    def rows(self) -> list[tuple[int, str, str, dt.date | None]]:
        found = []
        for n in range(1, ACTION_ROWS + 1):
            what = self.cleaned_data.get(f"action_{n}", "")
            owner = self.cleaned_data.get(f"action_{n}_owner", "")
            due = self.cleaned_data.get(f"action_{n}_due")
            if what or owner or due:
                if not (what and owner and due):
                    self.add_error(f"action_{n}", f"Action {n}: enter what, who and by when")
                found.append((n, what, owner, due))
        return found


class NoAgreementForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why no agreement is needed",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why no agreement was needed"},
    )


class ActionFinishForm(GovukFormMixin, forms.Form):
    done = forms.ChoiceField(
        label="Was it done?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether it was done"},
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(GovukFormMixin, forms.Form):
    method = forms.ChoiceField(label="How", choices=ContactMethod.choices)
    note = forms.CharField(
        label="How they are now",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say briefly how they are"},
    )


class SurveyForm(GovukFormMixin, forms.Form):
    """The questions a party answers. Its words speak to them, not to staff."""

    satisfaction = forms.TypedChoiceField(
        label="Overall, how satisfied are you with the restorative justice service?",
        choices=[
            (5, "5 – Very satisfied"),
            (4, "4 – Satisfied"),
            (3, "3 – Neither satisfied nor dissatisfied"),
            (2, "2 – Dissatisfied"),
            (1, "1 – Very dissatisfied"),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how satisfied you are"},
    )
    felt_safe = forms.ChoiceField(
        label="Did you feel safe taking part?", choices=YES_NO_UNSURE, widget=forms.RadioSelect, required=False
    )
    felt_heard = forms.ChoiceField(
        label="Did you feel listened to?", choices=YES_NO_UNSURE, widget=forms.RadioSelect, required=False
    )
    would_recommend = forms.ChoiceField(
        label="Would you recommend restorative justice to someone in your position?",
        choices=YES_NO_UNSURE,
        widget=forms.RadioSelect,
        required=False,
    )
    comments = forms.CharField(
        label="Anything else you would like to tell us? (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class SurveyEntryForm(SurveyForm):
    method = forms.ChoiceField(
        label="How they answered",
        choices=[c for c in SurveyMethod.choices if c[0] != SurveyMethod.LINK],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose paper or phone"},
    )
    completed_on = _date("Date answered")
