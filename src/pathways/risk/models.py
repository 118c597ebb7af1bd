"""What a partnership keeps about the scores it uses: its own reoffending models with their model
cards, the fairness audits it ran, and every worker's judgement beside a score they were shown."""

from __future__ import annotations

from django.db import models

from pathways.accounts.models import Agency, User
from pathways.common.models import BaseModel
from pathways.people.models import Person


class ScoreKind(models.TextChoices):
    OGRS3 = "ogrs3", "OGRS3"
    LOCAL_MODEL = "local_model", "The partnership's own model"
    IOM_SCORE = "iom_score", "IOM recency–frequency–gravity score"
    VENDOR = "vendor", "A score supplied in a file"


class Judgement(models.TextChoices):
    AGREE = "agree", "Agrees with the score"
    HIGHER = "higher", "Likelihood is higher than the score says"
    LOWER = "lower", "Likelihood is lower than the score says"


class LocalModel(BaseModel):
    """A reoffending model trained on the partnership's own history, with its model card. Each
    training makes a new version; the fitted estimator is kept so that its scores can be
    reproduced and audited."""

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    outcome = models.CharField(max_length=200, help_text="What it predicts, in words.")
    features = models.JSONField(default=list)
    # Features refused by default (stand-ins for protected characteristics or where someone
    # lives) that were used anyway, each with the justification given.
    justifications = models.JSONField(default=dict, blank=True)
    data_from = models.DateField(null=True, blank=True)
    data_to = models.DateField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    base_rate = models.FloatField(null=True, blank=True)
    performance = models.JSONField(default=dict, blank=True)
    fairness = models.JSONField(default=dict, blank=True)
    card = models.JSONField(default=dict, blank=True, help_text="The model card's sections, as text.")
    estimator = models.BinaryField(null=True, blank=True)
    trained_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-version"]


class FairnessAudit(BaseModel):
    """One fairness audit of a score against an observed outcome, kept with its result."""

    title = models.CharField(max_length=200)
    score_kind = models.CharField(max_length=16, choices=ScoreKind.choices)
    filename = models.CharField(max_length=255, blank=True)
    score_column = models.CharField(max_length=100, blank=True)
    outcome_column = models.CharField(max_length=100, blank=True)
    group_columns = models.JSONField(default=list, blank=True)
    threshold = models.FloatField()
    result = models.JSONField(default=dict)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]


class ScoreJudgement(BaseModel):
    """A worker's own judgement beside a score they were shown, and any override, with a reason."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="score_judgements")
    score_kind = models.CharField(max_length=16, choices=ScoreKind.choices)
    score_version = models.CharField(max_length=64, blank=True)
    score_value = models.FloatField(null=True, blank=True)
    score_band = models.CharField(max_length=32, blank=True)
    shown_on = models.CharField(max_length=64, help_text="Where the score was shown: person page, IOM selection…")
    judgement = models.CharField(max_length=8, choices=Judgement.choices)
    overridden = models.BooleanField(default=False)
    judged_band = models.CharField(max_length=32, blank=True)
    reason = models.TextField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]
