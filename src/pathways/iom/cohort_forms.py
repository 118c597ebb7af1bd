"""Forms for the panel's decisions, the cohort's members, schemes and the score's configuration.
They check the shape of what was typed; the rules are in `iom.cohort`."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms

from pathways.accounts.models import Agency, User
from pathways.iom import cohort
from pathways.iom.models import Scheme
from pathways.iom.policies import IOM_PARTNER_KINDS
from pathways.iom.reference import Tier
from pathways.offending.reference import OffenceGroup
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin


def partner_agencies() -> Any:
    return Agency.objects.filter(kind__in=IOM_PARTNER_KINDS).order_by("name")


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} ({obj.agency.name})" if obj.agency_id else name


def _agency_field(label: str, help_text: str = "") -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=Agency.objects.none(),
        help_text=help_text,
        empty_label="Choose an agency",
        error_messages={"required": f"Choose the {label.lower()}"},
    )


def _worker_field() -> WorkerChoiceField:
    return WorkerChoiceField(
        label="Lead worker (optional)",
        queryset=User.objects.none(),
        required=False,
        empty_label="No named lead worker yet",
        help_text="They must work for the lead agency.",
    )


def _reason(label: str, required_message: str) -> forms.CharField:
    return forms.CharField(
        label=label, widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": required_message}
    )


def _tier_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Risk tier",
        choices=Tier.choices,
        widget=forms.RadioSelect,
        help_text="High: the specialist IOM team. Medium: neighbourhood officers. Low: the lead partner agency.",
        error_messages={"required": "Choose the risk tier"},
    )


class _LeadMixin:
    def _set_lead_querysets(self) -> None:
        self.fields["lead_agency"].queryset = partner_agencies()  # type: ignore[attr-defined]
        self.fields["lead_worker"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, agency__kind__in=IOM_PARTNER_KINDS)
            .select_related("agency")
            .order_by("agency__name", "last_name", "first_name", "username")
        )


class AdoptForm(_LeadMixin, GovukFormMixin, forms.Form):
    tier = _tier_field()
    lead_agency = _agency_field("Lead agency", "The agency that owns their plan day to day.")
    lead_worker = _worker_field()
    reason = _reason("Why the panel adopts them", "Say why the panel adopts them")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_lead_querysets()

    def to_input(self) -> cohort.Adoption:
        data = self.cleaned_data
        return cohort.Adoption(
            tier=data["tier"], lead_agency=data["lead_agency"], lead_worker=data["lead_worker"], reason=data["reason"]
        )


class DeclineForm(GovukFormMixin, forms.Form):
    reason = _reason("Why the panel declines them", "Say why the panel declines them")


class ReviewForm(GovukFormMixin, forms.Form):
    note = _reason("What the review found", "Say what the review found")


class TierForm(GovukFormMixin, forms.Form):
    tier = _tier_field()
    reason = _reason("Why the tier changes", "Say why the tier changes")


class LeadForm(_LeadMixin, GovukFormMixin, forms.Form):
    lead_agency = _agency_field("Lead agency")
    lead_worker = _worker_field()
    reason = _reason("Why the lead changes", "Say why the lead changes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_lead_querysets()


class ExitForm(GovukFormMixin, forms.Form):
    reason = _reason("Why they leave the cohort", "Say why they leave the cohort")
    on = forms.DateField(
        label="Date they leave",
        required=False,
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-11-30. Leave blank for today.",
        error_messages={"invalid": "Enter the date they leave as a date like 2026-11-30"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


class SupporterForm(GovukFormMixin, forms.Form):
    agency = _agency_field("Agency")
    name = forms.CharField(label="Name", max_length=200, error_messages={"required": "Enter the worker's name"})
    role = forms.CharField(label="Role (optional)", max_length=200, required=False, help_text="e.g. drug worker")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = partner_agencies()


class ScoreConfigForm(GovukFormMixin, forms.Form):
    config = forms.CharField(
        label="Configuration (JSON)",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "govuk-!-font-family-monospace"}),
        error_messages={"required": "Enter the configuration"},
    )
    note = forms.CharField(
        label="What changed, and why",
        max_length=500,
        error_messages={"required": "Say what changed, and why"},
    )

    def clean_config(self) -> Any:
        text = self.cleaned_data["config"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"The configuration is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from exc


class SchemeForm(GovukFormMixin, forms.Form):
    code = forms.SlugField(
        label="Short code",
        max_length=32,
        help_text="Lower-case letters, numbers and hyphens, e.g. ppo or hccu. Used in addresses.",
        error_messages={
            "required": "Enter a short code",
            "invalid": "The short code may use only lower-case letters, numbers, hyphens and underscores",
        },
    )
    name = forms.CharField(label="Name", max_length=200, error_messages={"required": "Enter the scheme's name"})
    description = forms.CharField(
        label="Description (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    entry_criteria = _reason("Who the scheme is for", "Say who the scheme is for")
    lead_agency = _agency_field("Lead agency")
    minimum_score = forms.DecimalField(
        label="Minimum score (optional)",
        required=False,
        min_value=Decimal(0),
        max_digits=8,
        decimal_places=2,
        help_text="Candidates must score at least this.",
        error_messages={"invalid": "Enter the minimum score as a number, like 20"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "decimal"}),
    )
    minimum_age = forms.IntegerField(
        label="Minimum age (optional)",
        required=False,
        min_value=0,
        max_value=120,
        error_messages={"invalid": "Enter the minimum age as a whole number of years"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
    )
    maximum_age = forms.IntegerField(
        label="Maximum age (optional)",
        required=False,
        min_value=0,
        max_value=120,
        error_messages={"invalid": "Enter the maximum age as a whole number of years"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
    )
    offence_groups = forms.MultipleChoiceField(
        label="Offence groups (optional)",
        choices=OffenceGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Candidates must have at least one proven offence in one of these. None ticked: any offence.",
    )
    active = forms.BooleanField(label="Open to new members", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_agency"].queryset = partner_agencies()

    @staticmethod
    def initial_for(scheme: Scheme) -> dict[str, Any]:
        return {
            "code": scheme.code,
            "name": scheme.name,
            "description": scheme.description,
            "entry_criteria": scheme.entry_criteria,
            "lead_agency": scheme.lead_agency_id,
            "minimum_score": scheme.minimum_score,
            "minimum_age": scheme.minimum_age,
            "maximum_age": scheme.maximum_age,
            "offence_groups": scheme.offence_groups,
            "active": scheme.active,
        }

    def to_input(self) -> cohort.SchemeInput:
        data = self.cleaned_data
        return cohort.SchemeInput(
            code=data["code"],
            name=data["name"],
            description=data["description"],
            entry_criteria=data["entry_criteria"],
            lead_agency=data["lead_agency"],
            minimum_score=data["minimum_score"],
            minimum_age=data["minimum_age"],
            maximum_age=data["maximum_age"],
            offence_groups=tuple(data["offence_groups"]),
            active=data["active"],
        )
