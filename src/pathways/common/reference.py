"""Words shared by several capabilities."""

from __future__ import annotations

from django.db import models


class Pathway(models.TextChoices):
    """The seven resettlement pathways (Reducing Re-offending National Action Plan, 2004)."""

    ACCOMMODATION = "accommodation", "Accommodation"
    EDUCATION_TRAINING_EMPLOYMENT = "ete", "Education, training and employment"
    HEALTH = "health", "Health"
    DRUGS_ALCOHOL = "drugs_alcohol", "Drugs and alcohol"
    FINANCE_BENEFIT_DEBT = "finance", "Finance, benefit and debt"
    CHILDREN_FAMILIES = "children_families", "Children and families"
    ATTITUDES_THINKING_BEHAVIOUR = "attitudes", "Attitudes, thinking and behaviour"
