"""Retention rules and legal holds, as data.

A retention rule says how long one category of information is kept after it stops being
current, and whether what has passed that point is deleted or only listed for review. A legal
hold keeps everything about one person, whatever the rules say, until it is lifted.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from pathways.common.models import BaseModel
from pathways.people.models import Person


class RetentionCategory(models.TextChoices):
    OFFENDING_HISTORY = "offending_history", "Offending history"
    RISK_MARKERS = "risk_markers", "Ended warning markers"
    IDENTITY = "identity", "People with nothing else held"


# What each category covers, in the words the rules page and the docs use.
CATEGORY_DESCRIPTIONS = {
    RetentionCategory.OFFENDING_HISTORY: (
        "Offences whose latest date — the offence, its last outcome, or a custody sentence or release — "
        "is older than the period, with their outcomes, victim links and custody periods. An offence "
        "with a custody period that has no release date is kept."
    ),
    RetentionCategory.RISK_MARKERS: "Warning markers that ended longer ago than the period.",
    RetentionCategory.IDENTITY: (
        "People about whom nothing is held but their identity — names, identifiers, addresses, the "
        "agencies that know them — none of it changed within the period."
    ),
}

# The shortest period a rule may have, in days. Offending history and identity are kept at
# least a year: a shorter period is far more likely a mistake than a policy.
MINIMUM_PERIOD_DAYS = {
    RetentionCategory.OFFENDING_HISTORY: 365,
    RetentionCategory.RISK_MARKERS: 30,
    RetentionCategory.IDENTITY: 365,
}
MAXIMUM_PERIOD_YEARS = 150


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def describe_period(years: int, days: int) -> str:
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if days or not years:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    return " and ".join(parts)


class RetentionRule(BaseModel):
    """How long one category is kept. One rule per category; each change is a new version."""

    class Action(models.TextChoices):
        DELETE = "delete", "Delete"
        REVIEW = "review", "List for review (nothing is deleted)"

    category = models.CharField(max_length=32, choices=RetentionCategory.choices, unique=True)
    period_years = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(MAXIMUM_PERIOD_YEARS)])
    period_days = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(366 * 10)])
    action = models.CharField(max_length=16, choices=Action.choices, default=Action.REVIEW)
    basis = models.CharField(
        max_length=300,
        help_text="Why this period: the policy or law it follows, e.g. 'MoPI review after 6 years'.",
    )
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.get_action_display().lower()} after {self.period}"

    @property
    def period(self) -> str:
        return describe_period(self.period_years, self.period_days)

    @property
    def period_in_days(self) -> int:
        """Roughly, for comparing with the minimum: a year counts as 365 days."""
        return self.period_years * 365 + self.period_days

    def cutoff(self, as_of: dt.date) -> dt.date:
        """Information whose date is before this day has passed the period."""
        return years_before(as_of, self.period_years) - dt.timedelta(days=self.period_days)

    def clean(self) -> None:
        minimum = MINIMUM_PERIOD_DAYS.get(self.category)
        if minimum is not None and self.period_in_days < minimum:
            label = RetentionCategory(self.category).label.lower()
            shortest = "1 year" if minimum == 365 else f"{minimum} days"
            raise ValidationError({"period_years": f"Keep {label} for at least {shortest}"})


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(lifted_at__isnull=True)


class LegalHold(BaseModel):
    """Everything about this person is kept, whatever the retention rules say, until lifted."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="legal_holds")
    reason = models.TextField(help_text="The claim, complaint, inquiry or request it is kept for.")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        indexes = [
            models.Index(fields=["person"], condition=Q(lifted_at__isnull=True), name="legal_hold_active_idx"),
        ]

    def __str__(self) -> str:
        return f"Legal hold on {self.person_id} placed {self.placed_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
