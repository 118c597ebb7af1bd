"""Forms for panels (case-conference and Neighbourhood Justice), Level 3 referrals and the figures page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from pathways.accounts.models import Agency, AgencyKind
from pathways.resolutions.models import Panel, Resolution
from pathways.resolutions.reference import ActionKind
from pathways.restorative.models import Case
from pathways.web.forms import GovukFormMixin

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
YES_NO = [("yes", "Yes"), ("no", "No")]
# Actions in a Neighbourhood Justice Panel's own words, beside the community's options: enough
# for one hearing's agreement (more are added to the agreement on the case afterwards).
FREE_ACTIONS = 3
# Besides the community's options, what a panel may agree without further detail.
OTHER_KINDS = [
    ("", "None"),
    (ActionKind.APOLOGY_LETTER, ActionKind.APOLOGY_LETTER.label),
    (ActionKind.VERBAL_APOLOGY, ActionKind.VERBAL_APOLOGY.label),
    (ActionKind.REPARATION_VICTIM, ActionKind.REPARATION_VICTIM.label),
    (ActionKind.WORDS_OF_ADVICE, ActionKind.WORDS_OF_ADVICE.label),
]


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-04-01",
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-04-01",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


class PanelForm(GovukFormMixin, forms.Form):
    name = forms.CharField(label="Panel name", max_length=200, error_messages={"required": "Enter the panel's name"})
    area = forms.CharField(label="Area it covers", max_length=100, required=False)
    restorative_options = forms.CharField(
        label="Restorative options the community has identified",
        help_text="One a line, for example: litter picking, cleaning criminal damage, clearing wasteland.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def clean_restorative_options(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["restorative_options"].splitlines() if line.strip()]


class OptionsForm(GovukFormMixin, forms.Form):
    restorative_options = PanelForm.base_fields["restorative_options"]
    clean_restorative_options = PanelForm.clean_restorative_options


class MemberForm(GovukFormMixin, forms.Form):
    name = forms.CharField(label="Name", max_length=200, error_messages={"required": "Enter the member's name"})
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.order_by("name"),
        required=False,
        empty_label="Not from an agency",
    )
    community_member = forms.BooleanField(label="A member of the community", required=False)
    role = forms.CharField(label="Role on the panel", max_length=100, required=False)
    trained_on = _date("Date they completed panel training", required=False)

    def __init__(self, *args: Any, panel: Panel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if panel.kind == Panel.Kind.NEIGHBOURHOOD_JUSTICE:
            # Trained community volunteers hear the cases (seed 002): the service checks a
            # community member has a training date; partners' representatives need none here.
            self.fields["agency"].empty_label = "Not from an agency (a community volunteer)"
            self.fields["community_member"].label = "A trained community volunteer"
            self.fields["trained_on"].help_text = "Needed for a community volunteer. For example, 2026-04-01"
        else:
            del self.fields["trained_on"]


class SittingForm(GovukFormMixin, forms.Form):
    sits_on = _date("Date of the sitting")
    venue = forms.CharField(label="Venue", max_length=200, error_messages={"required": "Enter where the panel sits"})


class ListCaseForm(GovukFormMixin, forms.Form):
    resolution = forms.ModelChoiceField(
        label="Level 2 resolution waiting for a panel",
        queryset=Resolution.objects.none(),
        error_messages={"required": "Choose a resolution to list", "invalid_choice": "Choose a resolution to list"},
    )

    def __init__(self, *args: Any, waiting: list[Resolution], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["resolution"]
        field.queryset = Resolution.objects.filter(pk__in=[r.pk for r in waiting]).select_related("person")  # type: ignore[attr-defined]
        field.label_from_instance = lambda r: f"{r.reference}: {r.person.full_name}"  # type: ignore[attr-defined]


class ListRjCaseForm(GovukFormMixin, forms.Form):
    rj_case = forms.ModelChoiceField(
        label="Case waiting for a panel",
        queryset=Case.objects.none(),
        error_messages={"required": "Choose a case to list", "invalid_choice": "Choose a case to list"},
    )

    def __init__(self, *args: Any, waiting: list[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["rj_case"]
        field.queryset = Case.objects.filter(pk__in=[c.pk for c in waiting])  # type: ignore[attr-defined]
        offenders = {c.pk: ", ".join(p.name for p in c.parties.all() if p.role == "offender") for c in waiting}
        field.label_from_instance = lambda c: f"{c.reference}: {offenders.get(c.pk) or 'offender not named'}"  # type: ignore[attr-defined]


class HearingForm(GovukFormMixin, forms.Form):
    offender_attended = forms.TypedChoiceField(
        label="Did the offender attend?",
        help_text="The offender is always present: without them the case is adjourned, not heard.",
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the offender attended"},
    )
    victim_attended = forms.TypedChoiceField(
        label="Did the victim attend?",
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the victim attended"},
    )
    witnesses_attended = forms.IntegerField(
        label="Witnesses who attended",
        min_value=0,
        max_value=50,
        initial=0,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
        error_messages={"invalid": "Enter the number of witnesses, like 0 or 2"},
    )
    options = forms.MultipleChoiceField(
        label="Restorative options agreed",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_kind = forms.ChoiceField(label="Another action agreed", choices=OTHER_KINDS, required=False)
    other_description = forms.CharField(label="Describe the other action", max_length=500, required=False)
    owner = forms.CharField(label="Who sees the actions done", max_length=200, required=False)
    due_on = _date("Date the actions are due", required=False)
    notes = forms.CharField(label="Notes of the hearing", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, panel: Panel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["options"].choices = [(o, o) for o in panel.restorative_options]  # type: ignore[attr-defined]
        self.neighbourhood = panel.kind == Panel.Kind.NEIGHBOURHOOD_JUSTICE
        if self.neighbourhood:
            # At a Neighbourhood Justice Panel the agreement may be in the panel's own words,
            # each action with its own owner and date (the RJ outcome agreement).
            del self.fields["other_kind"], self.fields["other_description"]
            self.fields["victim_attended"].help_text = "The victim takes part only if they choose to."
            self.fields["owner"].label = "Who sees the restorative options done"
            self.fields["due_on"].label = "Date the restorative options are due"
            for n in range(1, FREE_ACTIONS + 1):
                self.fields[f"action_{n}"] = forms.CharField(
                    label=f"Other action agreed ({n})", max_length=500, required=False
                )
                self.fields[f"action_{n}_owner"] = forms.CharField(
                    label=f"Who sees action {n} done", max_length=200, required=False
                )
                self.fields[f"action_{n}_due_on"] = _date(f"Date action {n} is due", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("options") or []
        if data.get("other_kind") and not (data.get("other_description") or "").strip():
            self.add_error("other_description", "Describe the other action")
        if data.get("offender_attended") and (chosen or data.get("other_kind")):
            if not (data.get("owner") or "").strip():
                self.add_error("owner", "Say who sees the actions done")
            if not data.get("due_on") and "due_on" not in self.errors:
                self.add_error("due_on", "Enter the date the actions are due")
        if self.neighbourhood:
            for n in range(1, FREE_ACTIONS + 1):
                if not (data.get(f"action_{n}") or "").strip():
                    continue
                if not (data.get(f"action_{n}_owner") or "").strip():
                    self.add_error(f"action_{n}_owner", f"Say who sees action {n} done")
                if not data.get(f"action_{n}_due_on") and f"action_{n}_due_on" not in self.errors:
                    self.add_error(f"action_{n}_due_on", f"Enter the date action {n} is due")
        return data


class ReferForm(GovukFormMixin, forms.Form):
    service = forms.ModelChoiceField(
        label="Restorative justice service",
        help_text="The service's co-ordinators arrange the specialist conference.",
        queryset=Agency.objects.filter(kind=AgencyKind.RJ_SERVICE).order_by("name"),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the restorative justice service",
            "invalid_choice": "Choose the restorative justice service",
        },
    )


class PeriodForm(GovukFormMixin, forms.Form):
    start = _date("Decided from")
    end = _date("Decided to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", "The end of the period must be on or after its start")
            elif (end - start) > dt.timedelta(days=366 * 10):
                self.add_error("start", "Choose a period of ten years or less")
        return data
