from __future__ import annotations

from typing import Any

from django import forms

from pathways.web.forms import GovukFormMixin


class PersonSearchForm(GovukFormMixin, forms.Form):
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=200,
        help_text="Given name and surname, in either order. Different spellings are found too.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        help_text="For example, 2001-03-27",
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"],
        error_messages={"invalid": "Enter a date of birth like 2001-03-27 or 27/03/2001"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}),
    )
    identifier = forms.CharField(
        label="PNC ID or reference",
        required=False,
        max_length=64,
        help_text="A PNC ID like 2019/0123456A, or an agency's own reference",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("name") or data.get("date_of_birth") or data.get("identifier")) and not self.errors:
            raise forms.ValidationError("Enter a name, a date of birth or an identifier to search for")
        return data
