"""A record of every partner file offered to Pathways, accepted or not."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pathways.accounts.models import Agency
from pathways.common.models import BaseModel


class ImportKind(models.TextChoices):
    PEOPLE = "people", "People"
    OFFENCES = "offences", "Offences"
    OUTCOMES = "outcomes", "Outcomes"
    CUSTODY = "custody", "Custody periods"
    TAGS = "tags", "Tag periods (electronic monitoring)"
    TAG_EVENTS = "tag_events", "Tag events and alerts"
    STREET_CRIME = "street_crime", "Street-level crime (police.uk)"


class ImportBatch(BaseModel):
    class Status(models.TextChoices):
        IMPORTED = "imported", "Imported"
        REJECTED = "rejected", "Rejected"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="import_batches")
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    via = models.CharField(max_length=16, default="web")
    status = models.CharField(max_length=16, choices=Status.choices)
    rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
