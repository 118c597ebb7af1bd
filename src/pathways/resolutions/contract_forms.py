"""Forms for the diversion contract pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils import timezone

from pathways.common.reference import Pathway
from pathways.resolutions.contracts import ConditionInput
from pathways.resolutions.models import DiversionContract
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-04-01" if required else "",
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-04-01",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


def _reason(label: str, required_message: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": required_message},
    )


@dataclass
class ConditionRow:
    code: str
    label: str
    pathway: str
    pathway_label: str
    chosen: BoundField
    detail: BoundField
    owner: BoundField
    due_on: BoundField


class ContractForm(GovukFormMixin, forms.Form):
    """The contract's dates and, for each condition the rules offer, whether it is in it."""

    non_field_errors_anchor = "conditions"

    starts_on = _date("Start date")
    months = forms.IntegerField(
        label="Length in months",
        min_value=1,
        max_value=24,
        error_messages={"required": "Enter the contract's length in months"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, menu: list[dict[str, str]], owner: str, **kwargs: Any) -> None:
        self.menu = menu
        super().__init__(*args, **kwargs)
        for c in menu:
            code = c["code"]
            self.fields[f"{code}"] = forms.BooleanField(label=c["label"], required=False)
            self.fields[f"{code}_detail"] = forms.CharField(
                label="Detail", required=False, max_length=200, help_text="For example, 40 hours"
            )
            self.fields[f"{code}_owner"] = forms.CharField(
                label="Who sees it done", required=False, max_length=200, initial=owner
            )
            self.fields[f"{code}_due"] = _date("Due by", required=False)
            self.fields[f"{code}_due"].help_text = "Leave blank for the end of the contract"
        # Added after GovukFormMixin dressed the form's own fields: dress these too.
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            if isinstance(field.widget, forms.TextInput) and "govuk-input" not in css.split():
                field.widget.attrs["class"] = f"govuk-input {css}".strip()
            elif isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "govuk-checkboxes__input"

    def condition_rows(self) -> list[ConditionRow]:
        return [
            ConditionRow(
                code=c["code"],
                label=c["label"],
                pathway=c["pathway"],
                pathway_label=Pathway(c["pathway"]).label,
                chosen=self[c["code"]],
                detail=self[f"{c['code']}_detail"],
                owner=self[f"{c['code']}_owner"],
                due_on=self[f"{c['code']}_due"],
            )
            for c in self.menu
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not any(cleaned.get(c["code"]) for c in self.menu):
            self.add_error(None, "Choose at least one condition")
        return cleaned

    def conditions(self) -> list[ConditionInput]:
        data = self.cleaned_data
        return [
            ConditionInput(
                code=c["code"],
                detail=data.get(f"{c['code']}_detail", ""),
                owner=data.get(f"{c['code']}_owner", ""),
                due_on=data.get(f"{c['code']}_due"),
            )
            for c in self.menu
            if data.get(c["code"])
        ]


class SignForm(GovukFormMixin, forms.Form):
    signed_on = _date("Date signed")


class CheckForm(GovukFormMixin, forms.Form):
    """A compliance check of one condition."""

    RESULTS = [
        ("complied", "Complied, still under way"),
        ("completed", "Complied, and the condition is done"),
        ("not_complied", "Not complied with"),
    ]
    result = forms.ChoiceField(
        label="Result",
        choices=RESULTS,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the condition was complied with"},
    )
    checked_on = _date("Date checked")
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"checked_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class BreachForm(GovukFormMixin, forms.Form):
    reason = _reason("How was the contract breached?", "Say how the contract was breached")


class DecisionForm(GovukFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=DiversionContract.BreachDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose prosecute, continue the contract or no further action"},
    )
    decision_reason = _reason("Reason for the decision", "Give the reason for the decision")
