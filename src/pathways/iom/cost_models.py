"""The Home Office unit costs of crime the IOM figures price offences with (see `iom.unit_costs`)."""

from __future__ import annotations

from django.db import models

from pathways.accounts.models import User
from pathways.common.models import BaseModel


class UnitCostTable(BaseModel):
    """One version of the unit-cost table: pounds per crime for each cost category. Never changed
    once saved: a change is a new version, so every figure can say which table priced it."""

    version = models.PositiveIntegerField(unique=True)
    costs = models.JSONField(help_text="Pounds per crime, by cost category code.")
    source = models.CharField(max_length=500, help_text="Where the figures come from.")
    note = models.CharField(max_length=500, help_text="What changed, and why.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        app_label = "iom"
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Unit costs of crime, version {self.version}"
