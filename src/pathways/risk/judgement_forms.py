"""The form beside a score: the worker's own judgement, any override of the band, and why."""

from __future__ import annotations

from django import forms

from pathways.risk.models import Judgement
from pathways.web.forms import GovukFormMixin

BAND_CHOICES = [
    ("", "Choose a band"),
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("very high", "Very high"),
]


class JudgementForm(GovukFormMixin, forms.Form):
    judgement = forms.ChoiceField(
        label="Your own judgement",
        choices=Judgement.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether you agree, or think the likelihood higher or lower"},
    )
    overridden = forms.BooleanField(label="I override the score's band", required=False)
    judged_band = forms.ChoiceField(
        label="The band you judge right (if you override)",
        choices=BAND_CHOICES,
        required=False,
    )
    reason = forms.CharField(
        label="Why",
        help_text="What you know that the score does not. Required, whether or not you agree.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give your reason"},
    )
