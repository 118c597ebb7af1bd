"""Forms for keeping the linkage model: retrain, and set a version's thresholds."""

from __future__ import annotations

from django import forms

from pathways.web.forms import GovukFormMixin


class RetrainForm(GovukFormMixin, forms.Form):
    description = forms.CharField(
        label="What is this version for? (optional)",
        help_text="For example: after loading the youth offending service's history.",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ThresholdsForm(GovukFormMixin, forms.Form):
    # Text, not number fields: the service checks the values and says what is wrong with them.
    link_threshold = forms.CharField(
        label="Link threshold",
        help_text="At or above this match probability a record joins the person it matches, with no one asked.",
        error_messages={"required": "Enter the link threshold"},
    )
    review_threshold = forms.CharField(
        label="Review threshold",
        help_text="From this probability up to the link threshold, a new person is made and the pair waits for "
        "review. Below it, the record makes a new person.",
        error_messages={"required": "Enter the review threshold"},
    )
