"""Forms for the directory and referrals. They only read what the user typed; the rules are in
`directory` and `referring`, whose errors come back beside the field each is about."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone

from pathways.accounts.models import Agency
from pathways.common.reference import Pathway
from pathways.referrals.models import Consent, ContactRecord, ContactRoute, Outcome, Service
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        initial=timezone.localdate,
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-11-30",
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-11-30",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


def _text(label: str, *, required: bool = False, rows: int = 3, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=4000, widget=forms.Textarea(attrs={"rows": rows}), **kwargs
    )


def area_choices() -> list[tuple[str, str]]:
    """The partnership's areas where they are loaded, else the area codes the directory uses."""
    from pathways.problems.models import Area

    areas = [(a.code, str(a)) for a in Area.objects.order_by("code")]
    if not areas:
        codes: set[str] = set()
        for listed in Service.objects.values_list("area_codes", flat=True):
            codes.update(listed or [])
        areas = [(c, c) for c in codes]
    # WX2 before WX10: natural order of the codes.
    return sorted(areas, key=lambda a: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", a[0])])


class SearchForm(GovukFormMixin, forms.Form):
    need = forms.CharField(
        label="What the person needs help with",
        help_text="Words such as foodbank, debt or tenancy",
        required=False,
        max_length=200,
    )
    pathway = forms.ChoiceField(label="Pathway", required=False)
    area = forms.ChoiceField(label="Where they live", required=False)
    age = forms.IntegerField(
        label="Their age",
        required=False,
        min_value=0,
        max_value=120,
        error_messages={"invalid": "Enter their age as a number, like 34"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pathway"].choices = [("", "Any pathway"), *Pathway.choices]  # type: ignore[attr-defined]
        self.fields["area"].choices = [("", "Anywhere"), *area_choices()]  # type: ignore[attr-defined]


class ServiceForm(GovukFormMixin, forms.Form):
    name = forms.CharField(label="Name of the service", max_length=200, required=False)
    provider = forms.CharField(label="Who runs it", max_length=200, required=False)
    description = _text("What the service does", rows=4)
    pathways = forms.MultipleChoiceField(
        label="Pathways it meets needs on",
        choices=Pathway.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    area_codes = forms.CharField(
        label="Areas it takes people from",
        help_text="Area codes separated by commas, like WX1, WX2. Leave blank for the whole partnership.",
        required=False,
        max_length=500,
    )
    eligibility = _text("Who it is for")
    min_age = forms.IntegerField(label="Youngest age it takes", required=False, min_value=0, max_value=120)
    max_age = forms.IntegerField(label="Oldest age it takes", required=False, min_value=0, max_value=120)
    monthly_capacity = forms.IntegerField(
        label="New people it can take each month", help_text="Leave blank if not known", required=False
    )
    contact_route = forms.ChoiceField(
        label="How people are referred", choices=ContactRoute.choices, widget=forms.RadioSelect, required=False
    )
    contact_details = forms.CharField(
        label="Phone number, email address or web address",
        help_text="Needed for a referral by phone, email or the provider's own form",
        required=False,
        max_length=300,
    )
    receiving_agency = forms.ModelChoiceField(
        label="Agency that receives referrals made through Pathways",
        queryset=Agency.objects.order_by("name"),
        required=False,
        empty_label="None",
    )
    managed_by = forms.ModelChoiceField(
        label="Partner that keeps this entry up to date", queryset=Agency.objects.order_by("name"), required=False
    )
    is_active = forms.BooleanField(label="Takes referrals now", required=False, initial=True)

    def __init__(self, *args: Any, may_choose_manager: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_choose_manager:
            del self.fields["managed_by"]

    @staticmethod
    def initial_of(service: Service) -> dict[str, Any]:
        return {
            "name": service.name,
            "provider": service.provider,
            "description": service.description,
            "pathways": list(service.pathways),
            "area_codes": ", ".join(service.area_codes or []),
            "eligibility": service.eligibility,
            "min_age": service.min_age,
            "max_age": service.max_age,
            "monthly_capacity": service.monthly_capacity,
            "contact_route": service.contact_route,
            "contact_details": service.contact_details,
            "receiving_agency": service.receiving_agency,
            "managed_by": service.managed_by,
            "is_active": service.is_active,
        }

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["area_codes"] = [c for c in re.split(r"[\s,;]+", data.get("area_codes") or "") if c]
        return data


class ReferForm(GovukFormMixin, forms.Form):
    service = forms.ModelChoiceField(
        label="Service",
        queryset=Service.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the service to refer them to"},
    )
    pathways = forms.MultipleChoiceField(
        label="What they need help with",
        choices=Pathway.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one need the referral is for"},
    )
    reason = _text(
        "Reason for the referral",
        rows=5,
        help_text="What the person needs help with, in your words. The receiving service reads this.",
    )
    consent = forms.ChoiceField(
        label="Did the person agree to the referral?",
        choices=Consent.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the person agreed to the referral"},
    )
    consent_on = _date("Date they agreed")
    consent_note = _text(
        "Why the referral is made without their agreement",
        help_text="Needed only when the referral is made without consent, to protect the person",
    )

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["service"].label_from_instance = lambda s: f"{s.name} ({s.provider})"  # type: ignore[attr-defined]


class TriageForm(GovukFormMixin, forms.Form):
    ACCEPT, DECLINE, REDIRECT = "accept", "decline", "redirect"
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[
            (ACCEPT, "Accept: we will contact the person"),
            (DECLINE, "Decline"),
            (REDIRECT, "Redirect to another service"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose accept, decline or redirect"},
    )
    to_service = forms.ModelChoiceField(
        label="Service to redirect to",
        help_text="Only services that take referrals through Pathways",
        queryset=Service.objects.none(),
        required=False,
        empty_label="Choose a service",
    )
    reason = _text("Reason", help_text="Needed to decline or redirect. The referrer reads it.")

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_service"].queryset = services  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == self.REDIRECT and not data.get("to_service"):
            self.add_error("to_service", "Choose the service to redirect to")
        return data


class ContactForm(GovukFormMixin, forms.Form):
    on = _date("Date of the contact")
    method = forms.ChoiceField(
        label="How",
        choices=ContactRecord.Method.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you were in touch"},
    )
    note = _text(
        "What happened",
        help_text="Kept by your agency only: the referrer never sees contact notes.",
        error_messages={"required": "Write what happened"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="contact", **kwargs)


class CloseForm(GovukFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome"},
    )
    reason = _text("What the referrer should know", help_text="Optional. The referrer reads it with the outcome.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="close", **kwargs)


class WithdrawForm(GovukFormMixin, forms.Form):
    reason = _text("Why you are withdrawing the referral", error_messages={"required": "Say why"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="withdraw", **kwargs)
