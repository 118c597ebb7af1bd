"""Offending history: offences, their outcomes, and custody periods."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pathways.accounts.models import Agency
from pathways.common.models import BaseModel
from pathways.offending.reference import OffenceGroup, Outcome, offence_description
from pathways.people.models import Person


class Offence(BaseModel):
    """An offence a person is recorded as committing, as one agency recorded it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="offences")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=64, help_text="The agency's own offence or crime reference.")
    offence_date = models.DateField()
    # When in the day, where the agency knows it: scanning a problem counts crime by hour.
    offence_time = models.TimeField(null=True, blank=True)
    offence_code = models.CharField(max_length=8)
    offence_group = models.CharField(max_length=32, choices=OffenceGroup.choices)
    area = models.CharField(max_length=50, blank=True)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    victims = models.ManyToManyField(Person, through="OffenceVictim", related_name="offences_against")
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "reference"], name="offence_reference_once")]
        indexes = [models.Index(fields=["person", "offence_date"], name="offence_person_date_idx")]

    @property
    def description(self) -> str:
        return offence_description(self.offence_code)


class OffenceVictim(BaseModel):
    offence = models.ForeignKey(Offence, on_delete=models.CASCADE)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="victim_of")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offence", "person"], name="victim_once")]


class OffenceOutcome(BaseModel):
    """A Home Office crime outcome or a court result for an offence, with its date."""

    offence = models.ForeignKey(Offence, on_delete=models.CASCADE, related_name="outcomes")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    outcome_date = models.DateField()
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offence", "outcome", "outcome_date"], name="outcome_once")]
        indexes = [models.Index(fields=["outcome_date"], name="outcome_date_idx")]


class CustodyPeriod(BaseModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="custody_periods")
    offence = models.ForeignKey(Offence, on_delete=models.CASCADE, related_name="custody_periods")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    sentence_date = models.DateField()
    release_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "offence", "sentence_date"], name="custody_once")]
