"""One record per person across the partnership: identifiers, names, addresses, markers.

A person is whoever the partnership holds information about: someone who offended,
someone harmed, or both. Which agencies may see them is decided in `pathways.access`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from pathways.accounts.models import Agency
from pathways.common.models import BaseModel
from pathways.people.reference import Ethnicity, IdentifierKind, MarkerKind, Sex


class Person(BaseModel):
    given_name = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.NOT_KNOWN)
    ethnicity = models.CharField(max_length=2, choices=Ethnicity.choices, default=Ethnicity.NOT_STATED)
    # Set when this person was found to be someone already held and merged into them
    # (`pathways.linkage.merging`); the row stays so old links and the audit trail still lead somewhere.
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["date_of_birth"], name="person_dob_idx")]

    def __str__(self) -> str:
        return f"{self.given_name} {self.surname}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.surname}"


class PersonName(BaseModel):
    """Every name a person is known by, the main one included, with keys for finding it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="names")
    given_name = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    is_alias = models.BooleanField(default=False)
    surname_key = models.CharField(max_length=16, db_index=True)
    given_key = models.CharField(max_length=16)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["surname_key", "given_key"], name="name_keys_idx")]
        constraints = [models.UniqueConstraint(fields=["person", "given_name", "surname"], name="person_name_once")]


class PersonIdentifier(BaseModel):
    """A PNC ID (national, no agency), or one agency's own reference for the person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=IdentifierKind.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    value = models.CharField(max_length=64)
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["value"], name="identifier_value_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "agency", "value"],
                condition=Q(agency__isnull=False),
                name="identifier_unique_per_agency",
            ),
            models.UniqueConstraint(
                fields=["kind", "value"],
                condition=Q(agency__isnull=True),
                name="identifier_unique_national",
            ),
        ]

    def __str__(self) -> str:
        return self.value


class Address(BaseModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="addresses")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    address_1 = models.CharField(max_length=200)
    address_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    area = models.CharField(max_length=50, blank=True, db_index=True)
    is_current = models.BooleanField(default=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return ", ".join(p for p in [self.address_1, self.address_2, self.town, self.postcode] if p)


class WarningMarker(BaseModel):
    """A warning that keeps staff and the person safe: violence, weapons, self-harm, …"""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="markers")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=MarkerKind.choices)
    note = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords()
