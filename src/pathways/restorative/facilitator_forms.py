"""Forms for the facilitator register, the assessment and allocation pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BoundField

from pathways.access.policies import people_visible_to
from pathways.accounts.models import Role, User
from pathways.restorative.facilitators import FacilitatorInput, parse_areas
from pathways.restorative.models import Facilitator
from pathways.restorative.reference import (
    ASSESSMENT_FACTORS,
    AssessmentDecision,
    CaseType,
    Course,
    FacilitatorKind,
    Rating,
    VettingLevel,
)
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin


def _date(label: str, *, required: bool = True, hint: str = "For example, 2026-04-01") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text=hint,
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-04-01",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


class FacilitatorForm(GovukFormMixin, forms.Form):
    given_name = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Enter their first name"}
    )
    surname = forms.CharField(label="Last name", max_length=100, error_messages={"required": "Enter their last name"})
    kind = forms.ChoiceField(label="Staff or volunteer", choices=FacilitatorKind.choices, widget=forms.RadioSelect)
    user = forms.ModelChoiceField(
        label="Their sign-in (optional)",
        queryset=User.objects.none(),
        required=False,
        help_text="With a sign-in, they see the cases allocated to them.",
    )
    areas = forms.CharField(
        label="Areas they cover", required=False, help_text="Postcode districts, separated by commas, e.g. WX3, WX4"
    )
    capacity = forms.IntegerField(label="Open cases they can hold at once", min_value=0, max_value=50, initial=2)
    available = forms.BooleanField(label="Available for new cases", required=False, initial=True)
    unavailable_until = _date("Unavailable until", required=False, hint="Leave blank unless they are away")
    vetting_level = forms.ChoiceField(
        label="Vetting level", choices=[("", "Not vetted"), *VettingLevel.choices], required=False
    )
    vetted_on = _date("Date of vetting", required=False)
    vetting_expires_on = _date("Vetting expiry date", required=False)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, service_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = User.objects.filter(agency_id=service_id, is_active=True).order_by("last_name", "username")
        # Roles are a JSON list (no portable containment lookup): the service is small, filter here.
        self.fields["user"].queryset = users.filter(pk__in=[u.pk for u in users if u.has_role(Role.FACILITATOR)])
        self.fields["user"].label_from_instance = lambda u: f"{u.display_name} ({u.username})"

    def to_input(self) -> FacilitatorInput:
        data = self.cleaned_data
        return FacilitatorInput(
            given_name=data["given_name"],
            surname=data["surname"],
            kind=data["kind"],
            capacity=data["capacity"],
            areas=parse_areas(data["areas"]),
            user=data["user"],
            available=data["available"],
            unavailable_until=data["unavailable_until"],
            vetting_level=data["vetting_level"],
            vetted_on=data["vetted_on"],
            vetting_expires_on=data["vetting_expires_on"],
            notes=data["notes"],
        )

    @staticmethod
    def initial_for(facilitator: Facilitator) -> dict[str, Any]:
        return {
            "given_name": facilitator.given_name,
            "surname": facilitator.surname,
            "kind": facilitator.kind,
            "user": facilitator.user_id,
            "areas": ", ".join(facilitator.areas or []),
            "capacity": facilitator.capacity,
            "available": facilitator.available,
            "unavailable_until": facilitator.unavailable_until,
            "vetting_level": facilitator.vetting_level,
            "vetted_on": facilitator.vetted_on,
            "vetting_expires_on": facilitator.vetting_expires_on,
            "notes": facilitator.notes,
        }


class TrainingForm(GovukFormMixin, forms.Form):
    course = forms.ChoiceField(label="Course", choices=Course.choices)
    level = forms.CharField(
        label="Level (optional)", required=False, max_length=50, help_text="e.g. Level 3 certificate"
    )
    completed_on = _date("Date completed")
    expires_on = _date("Refresher due", required=False, hint="Leave blank if it never needs refreshing")


class SupervisionForm(GovukFormMixin, forms.Form):
    held_on = _date("Date of the session")
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 4}))


class ConflictForm(GovukFormMixin, forms.Form):
    person = forms.ModelChoiceField(label="A person on record", queryset=None, required=False)
    name = forms.CharField(
        label="Or a name", required=False, max_length=200, help_text="Someone with no record, or a place"
    )
    description = forms.CharField(
        label="The conflict of interest",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Describe the conflict of interest"},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people_visible_to(user).order_by("surname", "given_name")
        self.fields["person"].label_from_instance = lambda p: p.full_name


class AssessmentForm(GovukFormMixin, forms.Form):
    non_field_errors_anchor = "decision"

    case_types = forms.MultipleChoiceField(
        label="Complex case types",
        choices=CaseType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only a facilitator trained for each type ticked may take the case.",
    )
    decision = forms.ChoiceField(
        label="Decision",
        choices=AssessmentDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the case is suitable"},
    )
    conditions = forms.CharField(
        label="Conditions", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="One per line"
    )
    reasons = forms.CharField(
        label="Reasons (if not suitable)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in ASSESSMENT_FACTORS.items():
            self.fields[f"rating_{key}"] = forms.ChoiceField(
                label=label,
                choices=Rating.choices,
                widget=forms.RadioSelect,
                error_messages={"required": f"Rate '{label}' low, medium or high"},
            )
            self.fields[f"note_{key}"] = forms.CharField(
                label="Note",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Required if rated high",
            )
        # The rating fields first, then the decision: the order the page reads in.
        self.order_fields([n for k in ASSESSMENT_FACTORS for n in (f"rating_{k}", f"note_{k}")])

    def factors(self) -> list[tuple[BoundField, BoundField]]:
        return [(self[f"rating_{k}"], self[f"note_{k}"]) for k in ASSESSMENT_FACTORS]

    def ratings(self) -> dict[str, str]:
        return {k: self.cleaned_data[f"rating_{k}"] for k in ASSESSMENT_FACTORS}

    def notes(self) -> dict[str, str]:
        return {k: self.cleaned_data[f"note_{k}"] for k in ASSESSMENT_FACTORS}


class AllocateForm(GovukFormMixin, forms.Form):
    facilitator = forms.ModelChoiceField(
        label="Facilitator", queryset=None, error_messages={"required": "Choose a facilitator"}
    )
    co_facilitator = forms.ModelChoiceField(label="Co-facilitator (optional)", queryset=None, required=False)
    reason = forms.CharField(
        label="Why this choice (if not the first ranked)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, service_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Anyone active may be chosen here: the service refuses, with the reason, anyone not offered.
        for name in ("facilitator", "co_facilitator"):
            self.fields[name].queryset = Facilitator.objects.filter(service_id=service_id, active=True)
            self.fields[name].label_from_instance = lambda f: f.full_name
