"""Forms for recording, deciding and reviewing resolutions, and for editing the rules.

Choices that come from the rule set (factors, Community Remedy menu) are given to the form
by the view, so that a form always offers what the rules in force say."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.utils import timezone

from pathways.offending.models import Offence
from pathways.offending.reference import OFFENCE_TYPES
from pathways.resolutions.reference import ActionKind, Admission, CaseFlag, Route, VictimWants
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin

NEW_INCIDENT = "new"


def _date(label: str, *, required: bool = True, initial: Any = None) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        initial=initial,
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-11-30",
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-11-30",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


def _today() -> dt.date:
    return timezone.localdate()


def in_two_weeks() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=14)


class ResolutionStartForm(GovukFormMixin, forms.Form):
    offence = forms.ChoiceField(
        label="Which offence?", widget=forms.RadioSelect, error_messages={"required": "Choose the offence"}
    )
    reference = forms.CharField(label="Crime or incident reference (new incident)", required=False, max_length=64)
    offence_date = _date("Date of the incident (new incident)", required=False)
    offence_type = forms.ChoiceField(
        label="Offence (new incident)",
        required=False,
        choices=[("", "Choose the offence")] + [(t.code, f"{t.description} ({t.code})") for t in OFFENCE_TYPES],
    )
    area = forms.CharField(label="Where it happened (new incident)", required=False, max_length=50)
    admission = forms.ChoiceField(
        label="Does the person admit the offence?",
        choices=Admission.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the person admits the offence"},
    )
    victim_name = forms.CharField(
        label="Victim",
        required=False,
        max_length=200,
        help_text="The victim's name, or the business. Leave empty if there is no individual victim.",
    )
    victim_wants = forms.ChoiceField(
        label="What does the victim want?",
        choices=VictimWants.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say what the victim wants"},
    )
    victim_wishes = forms.CharField(
        label="The victim's wishes, in their own words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    aggravating = forms.MultipleChoiceField(
        label="Aggravating factors", required=False, widget=forms.CheckboxSelectMultiple
    )
    mitigating = forms.MultipleChoiceField(
        label="Mitigating factors", required=False, widget=forms.CheckboxSelectMultiple
    )
    flags = forms.MultipleChoiceField(
        label="Is this a case of…",
        required=False,
        choices=[c for c in CaseFlag.choices if c[0] != CaseFlag.SEXUAL],
        widget=forms.CheckboxSelectMultiple,
        help_text="Sexual offences are recognised from the offence.",
    )
    circumstances_facts = forms.MultipleChoiceField(
        label="The person's circumstances",
        required=False,
        choices=[
            ("on_bail", "On bail for another matter"),
            ("under_supervision", "Under probation or youth offending service supervision"),
            ("not_local", "Lives outside the partnership's area"),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    circumstances = forms.CharField(
        label="What happened (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, offences: list[Offence], rules: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offence"].choices = [
            (str(o.pk), f"{o.description}, {o.offence_date:%-d %B %Y} ({o.reference})") for o in offences
        ] + [(NEW_INCIDENT, "A new incident, not yet recorded")]
        if len(offences) == 1:
            self.fields["offence"].initial = str(offences[0].pk)
        self.fields["aggravating"].choices = [(f["code"], f["label"]) for f in rules["factors"]["aggravating"]]
        self.fields["mitigating"].choices = [(f["code"], f["label"]) for f in rules["factors"]["mitigating"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("offence") == NEW_INCIDENT:
            for name, message in (
                ("reference", "Enter the crime or incident reference"),
                ("offence_date", "Enter the date of the incident"),
                ("offence_type", "Choose the offence"),
            ):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, message)
        if data.get("victim_wants") != VictimWants.NO_VICTIM and not (data.get("victim_name") or "").strip():
            self.add_error("victim_name", "Give the victim's name, or choose 'No individual victim'")
        return data


ACTION_CHOICES = [
    (ActionKind.APOLOGY_LETTER, ActionKind.APOLOGY_LETTER.label),
    (ActionKind.VERBAL_APOLOGY, ActionKind.VERBAL_APOLOGY.label),
    (ActionKind.REPARATION_VICTIM, ActionKind.REPARATION_VICTIM.label),
    (ActionKind.REPARATION_COMMUNITY, ActionKind.REPARATION_COMMUNITY.label),
    (ActionKind.COMPENSATION, ActionKind.COMPENSATION.label),
    (ActionKind.WORDS_OF_ADVICE, ActionKind.WORDS_OF_ADVICE.label),
]


class DecisionForm(GovukFormMixin, forms.Form):
    route = forms.ChoiceField(
        label="How will the offence be resolved?",
        choices=Route.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the offence will be resolved"},
    )
    override_reason = forms.CharField(
        label="Why did you decide differently from the recommendation?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only if your decision differs from the recommendation. A supervisor will see it.",
    )
    actions = forms.MultipleChoiceField(
        label="What has the person agreed to do? (community resolutions)",
        required=False,
        choices=ACTION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    remedy = forms.ChoiceField(label="Community Remedy (from the partnership's menu)", required=False)
    action_detail = forms.CharField(
        label="Details of the reparation (optional)",
        required=False,
        max_length=400,
        help_text="For example, 'clean the graffiti from the shop shutter'.",
    )
    compensation = forms.DecimalField(
        label="Compensation (£)",
        required=False,
        min_value=0.01,
        max_digits=8,
        decimal_places=2,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "decimal"}),
    )
    owner = forms.CharField(label="Who will see the actions done?", required=False, max_length=200)
    due_on = _date("Actions due by", required=False)

    def __init__(self, *args: Any, rules: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["remedy"].choices = [("", "None")] + [(r["code"], r["label"]) for r in rules["community_remedy"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = data.get("actions") or []
        if (chosen or data.get("remedy")) and not (data.get("owner") or "").strip():
            self.add_error("owner", "Say who will see the actions done")
        if (chosen or data.get("remedy")) and not data.get("due_on") and "due_on" not in self.errors:
            self.add_error("due_on", "Enter the date the actions are due by")
        if ActionKind.COMPENSATION in chosen and not data.get("compensation"):
            self.add_error("compensation", "Enter the amount of compensation")
        return data


class ActionForm(GovukFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="Action", choices=[*ACTION_CHOICES, (ActionKind.COMMUNITY_REMEDY, "Community Remedy")]
    )
    remedy = forms.ChoiceField(label="Community Remedy (if that is the action)", required=False)
    description = forms.CharField(label="Details", required=False, max_length=400)
    amount = forms.DecimalField(label="Amount (£), for compensation", required=False, min_value=0.01, max_digits=8)
    owner = forms.CharField(label="Who will see it done?", max_length=200)
    due_on = _date("Due by")

    def __init__(self, *args: Any, rules: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["remedy"].choices = [("", "None")] + [(r["code"], r["label"]) for r in rules["community_remedy"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == ActionKind.COMMUNITY_REMEDY and not data.get("remedy"):
            self.add_error("remedy", "Choose the remedy from the menu")
        return data


class ActionFinishForm(GovukFormMixin, forms.Form):
    done = forms.ChoiceField(
        label="Was it done?",
        choices=[("yes", "Done"), ("no", "Not done")],
        widget=forms.RadioSelect,
        initial="yes",
    )
    on = _date("Date", initial=_today)
    note = forms.CharField(label="Note", required=False, max_length=1000)


class VictimToldForm(GovukFormMixin, forms.Form):
    on = _date("Date the victim was told", initial=_today)
    satisfaction = forms.TypedChoiceField(
        label="How satisfied is the victim with the outcome?",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "Did not say"),
            (5, "Very satisfied"),
            (4, "Satisfied"),
            (3, "Neither satisfied nor dissatisfied"),
            (2, "Dissatisfied"),
            (1, "Very dissatisfied"),
        ],
    )
    comment = forms.CharField(label="What the victim said (optional)", required=False, max_length=2000)


class ReviewForm(GovukFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Your review",
        choices=[("approve", "Approve the decision"), ("return", "Return it to the officer")],
        widget=forms.RadioSelect,
        error_messages={"required": "Approve the decision or return it"},
    )
    note = forms.CharField(
        label="Note to the officer",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when you return a decision.",
    )


class RulesSectionForm(GovukFormMixin, forms.Form):
    content = forms.CharField(
        label="Rules (JSON)", widget=forms.Textarea(attrs={"rows": 24, "class": "pathways-code", "spellcheck": "false"})
    )
    note = forms.CharField(label="What changed, and why", max_length=500)

    def clean_content(self) -> Any:
        try:
            return json.loads(self.cleaned_data["content"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"This is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from exc
