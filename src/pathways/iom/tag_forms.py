"""Forms for the tagging pages: the supplier's file upload and the period the figures cover."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from pathways.imports.forms import MAX_UPLOAD_BYTES
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin


class TagFileForm(GovukFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What the supplier's file holds",
        choices=[
            ("tags", "Tag periods: who wears which tag, and when it was fitted and removed"),
            ("tag_events", "Tag events: alerts and compliance events for tags already loaded"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the supplier's file holds"},
    )
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="UTF-8 CSV with a header row, in the tag supplier formats of the data formats guide",
        error_messages={"required": "Select a CSV file to upload", "empty": "The selected file is empty"},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("The selected file must be a CSV")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 50 MB")
        return upload


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-04-01",
        error_messages={"invalid": f"{label} must be a real date, like 2026-04-01"},
    )


class TagPeriodFilterForm(GovukFormMixin, forms.Form):
    """Which fittings the figures count: tags fitted from one day to another."""

    start = _date("Fitted on or after")
    end = _date("Fitted on or before")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        today = timezone.localdate()
        if end and end > today:
            self.add_error("end", "Fitted on or before must be today or in the past")
        if start and start > today:
            self.add_error("start", "Fitted on or after must be today or in the past")
        if start and end and start > end:
            self.add_error("end", "Fitted on or before must be the same as or after fitted on or after")
        return data

    def period(self) -> tuple[dt.date | None, dt.date | None]:
        if not self.is_bound or not self.is_valid():
            return None, None
        return self.cleaned_data.get("start"), self.cleaned_data.get("end")
