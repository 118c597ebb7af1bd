"""Forms for the needs assessment, plan actions, progress and finishing an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from pathways.iom import plan
from pathways.iom.reference import ActionStatus, NeedLevel, Pathway
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin


def _date(label: str, *, required: bool = True, help_text: str = "For example, 2026-11-30") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text=help_text,
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-11-30",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


class Radios(forms.RadioSelect):
    """Radios whose error-summary link goes to the first radio (Django links them to nothing)."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return id_ if index is None else super().id_for_label(id_, index)


class NeedsForm(GovukFormMixin, forms.Form):
    """All seven pathways at once: a need level and notes for each."""

    assessed_on = _date("Date of the assessment")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"assessed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        for p in Pathway:
            self.fields[plan.level_field(p.value)] = forms.ChoiceField(
                label=f"Need on {p.label}",
                choices=NeedLevel.choices,
                widget=Radios,
                error_messages={"required": f"Choose the need level for {p.label}"},
            )
            notes = forms.CharField(
                label=f"Notes on {p.label}",
                required=False,
                help_text="Required for a high need: what the need is and what is known.",
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            # Added after GovukFormMixin styled the fixed fields, so styled here.
            notes.widget.attrs["class"] = "govuk-textarea"
            self.fields[plan.notes_field(p.value)] = notes

    def clean(self) -> dict[str, Any]:
        # The service checks this too; checked here as well so that every problem on the page
        # shows at once, not the notes only after the missing levels are put right.
        data = super().clean() or {}
        for p in Pathway:
            if (
                data.get(plan.level_field(p.value)) == NeedLevel.HIGH
                and not (data.get(plan.notes_field(p.value)) or "").strip()
            ):
                self.add_error(plan.notes_field(p.value), f"Say why the need on {p.label} is high")
        return data

    def pathways(self) -> list[dict[str, Any]]:
        """Each pathway with its two fields, for the template to lay out one after another."""
        return [
            {"label": p.label, "level": self[plan.level_field(p.value)], "notes": self[plan.notes_field(p.value)]}
            for p in Pathway
        ]

    def needs(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {
            p.value: (data.get(plan.level_field(p.value)) or "", data.get(plan.notes_field(p.value)) or "")
            for p in Pathway
        }


class ActionForm(GovukFormMixin, forms.Form):
    pathway = forms.ChoiceField(
        label="Pathway",
        choices=[("", "Choose a pathway"), *Pathway.choices],
        error_messages={"required": "Choose the pathway the action is on"},
    )
    action = forms.CharField(
        label="What is to be done",
        max_length=plan.ACTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what is to be done"},
    )
    owner_agency = forms.ModelChoiceField(
        label="Owner agency",
        queryset=plan.partner_agencies().none(),
        empty_label="Choose the agency",
        help_text="The partner agency responsible for the action.",
        error_messages={"required": "Choose the agency that owns the action"},
    )
    owner_name = forms.CharField(
        label="Owner's name", max_length=plan.NAME_MAX, required=False, help_text="The worker who will do it."
    )
    due_on = _date("Due date")
    referred_to = forms.CharField(
        label="Referred to (if a referral)",
        max_length=plan.NAME_MAX,
        required=False,
        help_text="The service the person is referred to, for example a drug treatment service.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_agency"].queryset = plan.partner_agencies()  # type: ignore[attr-defined]


class ProgressForm(GovukFormMixin, forms.Form):
    note = forms.CharField(
        label="Progress",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what progress there has been"},
    )
    on = _date("Date")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class FinishForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="How did the action end?",
        choices=[(s.value, s.label) for s in plan.FINISHED],
        widget=Radios,
        error_messages={"required": "Choose how the action ended"},
    )
    outcome = forms.CharField(
        label="Outcome",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required if it was not achieved: say what happened.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == ActionStatus.NOT_DONE and not (data.get("outcome") or "").strip():
            self.add_error("outcome", "Say what happened, as the action was not achieved")
        return data
