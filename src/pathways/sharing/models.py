"""Information-sharing agreements, consent, restrictions and break-glass access, as data.

The rules partners sign are stored here and enforced by `pathways.access.policies`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from pathways.accounts.models import Agency
from pathways.common.models import BaseModel
from pathways.people.models import Person
from pathways.sharing.reference import LawfulBasis, Purpose


class Agreement(BaseModel):
    reference = models.SlugField(max_length=50, unique=True, help_text="e.g. 'wessex-iom-isa-2026'")
    title = models.CharField(max_length=200)
    parties = models.ManyToManyField(Agency, related_name="agreements")
    purposes = models.JSONField(default=list, help_text="Purpose codes this agreement allows sharing for.")
    categories = models.JSONField(default=list, help_text="Category codes of information it covers.")
    lawful_basis = models.CharField(max_length=16, choices=LawfulBasis.choices)
    lawful_basis_detail = models.TextField(
        blank=True, help_text="Conditions relied on, e.g. Art. 10 and DPA 2018 Sch. 1 para 10."
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    review_date = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    history = HistoricalRecords(m2m_fields=[parties])

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def in_force(self, on: dt.date) -> bool:
        return self.start_date <= on and (self.end_date is None or on <= self.end_date)

    @property
    def needs_consent(self) -> bool:
        return self.lawful_basis == LawfulBasis.CONSENT

    @property
    def purpose_labels(self) -> list[str]:
        labels = dict(Purpose.choices)
        return [labels.get(p, p) for p in self.purposes]

    @property
    def category_labels(self) -> list[str]:
        from pathways.sharing.reference import Category

        labels = dict(Category.choices)
        return [labels.get(c, c) for c in self.categories]


class Signatory(BaseModel):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatories")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200)
    signed_on = models.DateField()


class Consent(BaseModel):
    """A person's consent for a purpose, where the lawful basis is consent. The latest record wins."""

    class Status(models.TextChoices):
        GIVEN = "given", "Given"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    recorded_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-recorded_on", "-created_at"]


class Restriction(BaseModel):
    """A record only named users may see: a protected witness, a member of staff."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="restrictions")
    reason = models.TextField()
    allowed_users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="restricted_records_allowed")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(m2m_fields=[allowed_users])


class BreakGlassAccess(BaseModel):
    """Emergency access to a record outside the user's scope: reasoned, time-limited, reviewed."""

    class Review(models.TextChoices):
        JUSTIFIED = "justified", "Justified"
        NOT_JUSTIFIED = "not_justified", "Not justified"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_accesses")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="break_glass_accesses")
    reason = models.TextField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review = models.CharField(max_length=16, choices=Review.choices, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
