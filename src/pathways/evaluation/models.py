"""Impact evaluations a partnership ran, kept with their settings and results."""

from __future__ import annotations

from django.db import models

from pathways.accounts.models import Agency, User
from pathways.common.models import BaseModel


class Intervention(models.TextChoices):
    RJ_CONFERENCE = "rj_conference", "A restorative justice conference"
    DIVERSION_CONTRACT = "diversion_contract", "A diversion contract"
    RESOLUTION_TIER = "resolution_tier", "An out-of-court resolution tier"
    IOM_ADOPTION = "iom_adoption", "Adoption into an IOM scheme"
    TAG = "tag", "An electronic tag"
    UPLOADED_LIST = "uploaded_list", "A list of people uploaded by the user"


class Evaluation(BaseModel):
    """One run: who received the intervention, how the comparison group was matched, and what
    happened to both groups' proven reoffending."""

    title = models.CharField(max_length=200)
    intervention = models.CharField(max_length=24, choices=Intervention.choices)
    parameters = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]
