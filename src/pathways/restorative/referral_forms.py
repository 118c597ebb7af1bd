"""Forms for referring a case, the co-ordinator's decision, the referrer's answer, contact
attempts, consent, and closing a case. The services in `referrals` make the rules; these
forms only read what the user typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from pathways.accounts.models import Agency, AgencyKind
from pathways.offending.models import Offence
from pathways.restorative.reference import (
    CaseType,
    ClosureReason,
    ConsentStatus,
    ContactMethod,
    ContactResult,
    Source,
    Stage,
)
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        initial=timezone.localdate,
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-11-30",
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-11-30",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


def _text(label: str, *, required: bool = False, rows: int = 3, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class ReferralForm(GovukFormMixin, forms.Form):
    service = forms.ModelChoiceField(
        label="Restorative justice service",
        queryset=Agency.objects.none(),
        empty_label="Choose the service",
        error_messages={"required": "Choose the restorative justice service"},
    )
    source = forms.ChoiceField(label="Who is referring?", choices=Source.choices)
    stage = forms.ChoiceField(
        label="Stage of the case",
        choices=Stage.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the stage of the case"},
    )
    what_happened = _text(
        "What happened?",
        required=True,
        help_text="The harm, briefly. The service's co-ordinators read this first.",
        error_messages={"required": "Say briefly what happened"},
    )
    why_referred = _text("Why are you referring?", help_text="For example, the victim asked about meeting them.")
    offence = forms.ChoiceField(label="The offence", required=False)
    area = forms.CharField(label="Area", required=False, max_length=50, help_text="For example, a postcode district.")
    case_types = forms.MultipleChoiceField(
        label="Is this a case of…",
        required=False,
        choices=CaseType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Complex and sensitive cases go only to facilitators trained for them.",
    )
    offender_name = forms.CharField(
        label="The offender's name", required=False, max_length=200, help_text="If they have no record here."
    )
    offender_young = forms.BooleanField(label="The offender is under 18", required=False)
    victim_name = forms.CharField(label="The victim's name", required=False, max_length=200)
    victim_phone = forms.CharField(label="The victim's phone number", required=False, max_length=40)
    victim_email = forms.EmailField(
        label="The victim's email address",
        required=False,
        error_messages={"invalid": "Enter the victim's email address like name@example.com"},
    )
    victim_needs = _text("The victim's needs", help_text="Communication, language or access needs.")
    victim_young = forms.BooleanField(label="The victim is under 18", required=False)

    def __init__(
        self, *args: Any, offences: list[Offence], has_person: bool, may_self_refer: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Agency.objects.filter(kind=AgencyKind.RJ_SERVICE).order_by("name")
        if not may_self_refer:
            self.fields["source"].choices = [c for c in Source.choices if c[0] != Source.SELF]
        self.fields["offence"].choices = [("", "Not linked to a recorded offence")] + [
            (str(o.pk), f"{o.description}, {o.offence_date:%-d %B %Y} ({o.reference})") for o in offences
        ]
        if has_person:
            del self.fields["offender_name"]
        else:
            del self.fields["offence"]


class DecisionForm(GovukFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[
            ("accept", "Accept the referral"),
            ("ask", "Ask the referrer for more information"),
            ("decline", "Decline the referral"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose accept, ask for more information, or decline"},
    )
    question = _text("What more do you need to know?", help_text="If you are asking for more information.")
    reason = _text("Why are you declining it?", help_text="The referrer will see this.")


class AnswerForm(GovukFormMixin, forms.Form):
    answer = _text(
        "Your answer", required=True, rows=4, error_messages={"required": "Enter the information the service asked for"}
    )


class ContactForm(GovukFormMixin, forms.Form):
    made_on = _date("Date")
    method = forms.ChoiceField(label="How", choices=ContactMethod.choices)
    result = forms.ChoiceField(label="What happened", choices=ContactResult.choices)
    note = _text("Note", rows=2)


class ConsentForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="Their consent",
        choices=ConsentStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether they consented, declined or withdrew"},
    )
    recorded_on = _date("Date")
    informed = forms.BooleanField(label="They were told what taking part involves", required=False)
    note = _text(
        "Note",
        help_text="If they declined or withdrew: how they told you, and how you told them the case will close.",
    )


class CloseForm(GovukFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label="Why is the case closing?",
        choices=[("", "Choose a reason"), *ClosureReason.choices],
        error_messages={"required": "Choose why the case is closing"},
    )
    note = _text(
        "Note",
        required=True,
        help_text="Why, and how the parties were told.",
        error_messages={"required": "Say briefly why the case closed and how the parties were told"},
    )
