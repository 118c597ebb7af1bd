from __future__ import annotations

from typing import Any

from django import forms

from pathways.accounts.models import Agency, User
from pathways.sharing.models import BreakGlassAccess, Consent
from pathways.sharing.reference import Category, LawfulBasis, Purpose
from pathways.web.forms import GovukFormMixin

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _date(label: str, *, required: bool = True, help_text: str = "For example, 2026-04-01") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text=help_text,
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-04-01",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


class AgreementForm(GovukFormMixin, forms.Form):
    reference = forms.SlugField(
        label="Reference", max_length=50, help_text="Lower case letters, digits and hyphens, e.g. wessex-iom-isa-2026"
    )
    title = forms.CharField(label="Title", max_length=200)
    parties = forms.ModelMultipleChoiceField(
        label="Parties",
        queryset=Agency.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select the agencies party to the agreement"},
    )
    purposes = forms.MultipleChoiceField(
        label="Purposes",
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one purpose"},
    )
    categories = forms.MultipleChoiceField(
        label="Categories of information",
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one category of information"},
    )
    lawful_basis = forms.ChoiceField(
        label="Lawful basis",
        choices=LawfulBasis.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the lawful basis"},
    )
    lawful_basis_detail = forms.CharField(
        label="Conditions relied on", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    start_date = _date("Start date")
    end_date = _date("End date", required=False, help_text="Leave empty if it runs until ended")
    review_date = _date("Review date")


class SignatoryForm(GovukFormMixin, forms.Form):
    agency = forms.ModelChoiceField(
        label="Agency", queryset=Agency.objects.none(), error_messages={"required": "Select the agency"}
    )
    name = forms.CharField(label="Name", max_length=200)
    job_title = forms.CharField(label="Job title", max_length=200)
    signed_on = _date("Date signed")

    def __init__(self, *args: Any, agreement: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agreement.parties.all()


class PurposeForm(GovukFormMixin, forms.Form):
    purpose = forms.ChoiceField(
        label="What are you working on?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select what you are working on"},
    )

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Purpose.choices)
        self.fields["purpose"].choices = [(p, labels[p]) for p in allowed]


class ConsentForm(GovukFormMixin, forms.Form):
    purpose = forms.ChoiceField(
        label="Consent for",
        choices=Purpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the consent is for"},
    )
    status = forms.ChoiceField(
        label="Consent",
        choices=Consent.Status.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether consent was given, refused or withdrawn"},
    )
    recorded_on = _date("Date")
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How consent was asked for and any limits the person set",
    )


class RestrictionForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why is this record restricted?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, a protected witness or a member of staff. At least 20 characters.",
    )
    allowed_users = forms.ModelMultipleChoiceField(
        label="Who may still see it",
        queryset=User.objects.filter(is_active=True).order_by("username"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one user who may still see the record"},
    )


class BreakGlassForm(GovukFormMixin, forms.Form):
    identifier = forms.CharField(
        label="PNC ID or agency reference",
        max_length=64,
        help_text="The exact identifier of the person you need to see",
    )
    reason = forms.CharField(
        label="Why do you need to see this record now?",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Your data protection lead will review this. At least 20 characters.",
    )
    confirm = forms.BooleanField(
        label="I understand this access is recorded and will be reviewed",
        error_messages={"required": "Confirm that you understand this access will be reviewed"},
    )


class BreakGlassReviewForm(GovukFormMixin, forms.Form):
    review = forms.ChoiceField(
        label="Was the access justified?",
        choices=BreakGlassAccess.Review.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the access was justified"},
    )
    review_note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
