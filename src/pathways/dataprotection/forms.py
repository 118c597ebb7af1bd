from __future__ import annotations

from django import forms

from pathways.dataprotection.models import MAXIMUM_PERIOD_YEARS, RetentionRule
from pathways.web.forms import GovukFormMixin

_NUMBER = {"class": "govuk-input--width-4", "inputmode": "numeric", "spellcheck": "false"}


class RetentionRuleForm(GovukFormMixin, forms.Form):
    period_years = forms.IntegerField(
        label="Years",
        min_value=0,
        max_value=MAXIMUM_PERIOD_YEARS,
        initial=0,
        error_messages={
            "required": "Enter the number of years, or 0",
            "invalid": "Years must be a whole number, like 6",
            "min_value": "Years must be 0 or more",
            "max_value": f"Years must be {MAXIMUM_PERIOD_YEARS} or fewer",
        },
        widget=forms.TextInput(attrs=_NUMBER),
    )
    period_days = forms.IntegerField(
        label="Days",
        min_value=0,
        max_value=3660,
        initial=0,
        error_messages={
            "required": "Enter the number of days, or 0",
            "invalid": "Days must be a whole number, like 30",
            "min_value": "Days must be 0 or more",
            "max_value": "Days must be 3660 or fewer; use years for longer periods",
        },
        widget=forms.TextInput(attrs=_NUMBER),
    )
    action = forms.ChoiceField(
        label="What happens when the period has passed",
        choices=RetentionRule.Action.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what happens when the period has passed"},
    )
    basis = forms.CharField(
        label="Why this period",
        help_text="The policy or law it follows, for example 'MoPI: review after 6 years'",
        max_length=300,
        error_messages={"required": "Enter why this period applies", "max_length": "Keep it under 300 characters"},
    )


class PersonQueryForm(GovukFormMixin, forms.Form):
    person = forms.CharField(
        label="Pathways id or PNC ID",
        help_text="The id in the address of the person's page, or a PNC ID like 2019/0123456A",
        max_length=64,
        error_messages={"required": "Enter the person's Pathways id or PNC ID"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-30", "spellcheck": "false", "autocomplete": "off"}),
    )


class LegalHoldForm(PersonQueryForm):
    reason = forms.CharField(
        label="Why their records must be kept",
        help_text="The claim, complaint, inquiry or request, with its reference",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why their records must be kept"},
    )


class LiftHoldForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why the hold can be lifted",
        help_text="For example, the claim was settled or the inquiry closed",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the hold can be lifted"},
    )
