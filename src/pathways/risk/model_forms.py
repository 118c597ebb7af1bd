"""Forms for the model cards and fairness audit pages: train a version, audit a file, audit a
version on another period."""

from __future__ import annotations

from typing import Any

from django import forms

from pathways.imports.forms import MAX_UPLOAD_BYTES
from pathways.risk import dataset
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin


def _date(label: str, hint: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=hint,
        input_formats=DATE_FORMATS,
        error_messages={
            "required": f"Enter the {label.lower()}",
            "invalid": f"Enter the {label.lower()} as a date, like 2024-01-31",
        },
        widget=forms.DateInput(attrs={"autocomplete": "off"}),
    )


class TrainForm(GovukFormMixin, forms.Form):
    name = forms.CharField(
        label="Name of the model",
        max_length=200,
        initial="Proven reoffending within a year",
        error_messages={"required": "Enter a name for the model"},
    )
    period_start = _date("First day of the period", "Index events on or after this day, like 2022-01-01")
    period_end = _date(
        "Last day of the period",
        "Index events on or before this day; it must be at least 18 months ago so every follow-up has ended",
    )
    features = forms.MultipleChoiceField(
        label="What the model may learn from",
        help_text="Sex, ethnicity and area stand in for protected characteristics or for where someone lives: "
        "they are refused unless you say why the model needs them.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one feature"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = dataset.features_offered()
        self.fields["features"].choices = [*offered.items(), *dataset.REFUSED_FEATURES.items()]
        self.fields["features"].initial = list(offered)
        for feature, label in dataset.REFUSED_FEATURES.items():
            self.fields[f"justification_{feature}"] = forms.CharField(
                label=f"Why the model needs {label.split(' (')[0].split(':')[0].lower()}",
                help_text="Only if you chose it above. The reason goes on the model card.",
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", "The period must end on or after the day it starts")
        return cleaned

    def justifications(self) -> dict[str, str]:
        return {f: self.cleaned_data.get(f"justification_{f}", "") for f in dataset.REFUSED_FEATURES}


class AuditFileForm(GovukFormMixin, forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="What is audited, for example: Vendor X risk score, 2023 referrals",
        error_messages={"required": "Enter a title for the audit"},
    )
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="UTF-8 CSV with a header row: one row a person, with the score, what happened and their groups",
        error_messages={"required": "Select a CSV file to upload", "empty": "The selected file is empty"},
    )
    score_column = forms.CharField(
        label="Score column",
        max_length=100,
        help_text="Higher means more likely to reoffend",
        error_messages={"required": "Enter the name of the column that holds the score"},
    )
    outcome_column = forms.CharField(
        label="Outcome column",
        max_length=100,
        help_text="1 if the person reoffended, 0 if not",
        error_messages={"required": "Enter the name of the column that holds the outcome"},
    )
    group_columns = forms.CharField(
        label="Group columns",
        max_length=500,
        help_text="The protected characteristics to compare, separated by commas, for example: sex, ethnicity",
        error_messages={"required": "Enter at least one column of groups, such as sex or ethnicity"},
    )
    threshold = forms.FloatField(
        label="Threshold",
        help_text="A score at or above this counts as predicted to reoffend, for example 0.5",
        error_messages={
            "required": "Enter the threshold",
            "invalid": "Enter the threshold as a number, like 0.5",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "decimal"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file must be smaller than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        return upload

    def groups(self) -> list[str]:
        return [g.strip() for g in self.cleaned_data["group_columns"].split(",") if g.strip()]


class ModelAuditForm(GovukFormMixin, forms.Form):
    """Audit a version on the people of a period, ideally one it was not trained on."""

    period_start = _date("First day of the period", "Index events on or after this day")
    period_end = _date("Last day of the period", "At least 18 months ago")
    threshold = forms.FloatField(
        label="Threshold",
        help_text="A probability at or above this counts as predicted to reoffend, for example 0.4",
        error_messages={"required": "Enter the threshold", "invalid": "Enter the threshold as a number, like 0.4"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "decimal"}),
    )


class Ogrs3AuditForm(ModelAuditForm):
    """The same, for OGRS3, on the page that also audits files: its own label for the threshold."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["threshold"].label = "OGRS3 threshold"
        self.fields[
            "threshold"
        ].help_text = "A two-year probability at or above this counts as predicted to reoffend, for example 0.5"
