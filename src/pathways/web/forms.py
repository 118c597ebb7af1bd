"""GOV.UK Design System markup for Django forms: classes, hints and error links."""

from __future__ import annotations

import re
from typing import Any

from django import forms

_WIDGET_CLASSES = {
    forms.TextInput: "govuk-input",
    forms.PasswordInput: "govuk-input",
    forms.DateInput: "govuk-input govuk-input--width-10",
    forms.EmailInput: "govuk-input",
    forms.Select: "govuk-select",
    forms.ClearableFileInput: "govuk-file-upload",
    forms.FileInput: "govuk-file-upload",
    forms.Textarea: "govuk-textarea",
}


class GovukFormMixin:
    """Give each widget its GOV.UK class, and point it at its hint and error for screen readers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            css = _WIDGET_CLASSES.get(type(field.widget))
            if css:
                field.widget.attrs["class"] = (field.widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                widget.attrs["aria-describedby"] = f"id_{name}-error"
                widget.attrs["class"] = widget.attrs.get("class", "") + " govuk-input--error"


def apply_service_errors(form: forms.Form, error: forms.ValidationError) -> None:
    """Put a service's validation errors on the form, beside the field each is about."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class CodeForm(GovukFormMixin, forms.Form):
    """The 6-digit code from an authenticator app (the second step of signing in)."""

    code = forms.CharField(
        label="Enter the 6-digit code from your authenticator app",
        help_text="The code changes every 30 seconds.",
        max_length=20,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "aria-describedby": "id_code-hint",
                "class": "govuk-input--width-5 govuk-input--extra-letter-spacing",
            }
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError("The code must be 6 digits, like 123456")
        return code
