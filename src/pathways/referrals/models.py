"""The service directory and referrals to support services.

A *service* is anything a person can be referred to for help on one of the seven pathways —
a housing advice line, a drug and alcohol service, a debt charity — with who provides it, where,
for whom, how many it can take and how to reach it. Partners keep their own entries.

A *referral* sends a person (with their consent recorded) to a service, or to the linking
service (seed 004's vulnerability portal into the Linking People Service), whose workers triage
the person and connect them to the right services. The receiving agency triages (accept,
decline with a reason, redirect to another service), records contact and the outcome. Every
change of status is a `ReferralEvent`: what happened, who did it, when.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from pathways.accounts.models import Agency
from pathways.common.models import BaseModel
from pathways.common.reference import Pathway
from pathways.people.models import Person


class ContactRoute(models.TextChoices):
    PATHWAYS = "pathways", "Referral through Pathways"
    PHONE = "phone", "Telephone"
    EMAIL = "email", "Email"
    FORM = "form", "The provider's own referral form"
    SELF_REFERRAL = "self", "Self-referral (the person gets in touch)"
    DROP_IN = "drop_in", "Drop-in"


class Service(BaseModel):
    """An entry in the directory. `receiving_agency` is the Pathways agency whose workers triage
    referrals made through Pathways; a service reached some other way has none, and a referral
    to it goes through the linking service or is recorded as made outside Pathways."""

    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=200, help_text="Who runs the service.")
    description = models.TextField(blank=True)
    pathways = models.JSONField(default=list, help_text="Pathway codes the service meets needs on.")
    # Area codes the service takes people from; empty means the whole partnership area.
    area_codes = models.JSONField(default=list, blank=True)
    eligibility = models.TextField(blank=True, help_text="Who the service is for, in the provider's words.")
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # How many new people the service can take a month; blank when not known.
    monthly_capacity = models.PositiveIntegerField(null=True, blank=True)
    contact_route = models.CharField(max_length=12, choices=ContactRoute.choices)
    contact_details = models.CharField(max_length=300, blank=True)
    is_linking_service = models.BooleanField(default=False)
    receiving_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="services_received"
    )
    # The partner that keeps this entry up to date.
    managed_by = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="services_managed")
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReferralStatus(models.TextChoices):
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REDIRECTED = "redirected", "Redirected"
    IN_CONTACT = "in_contact", "In contact"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_REFERRAL_STATUSES = {ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_CONTACT}


class Consent(models.TextChoices):
    GIVEN = "given", "The person agreed to the referral"
    NOT_NEEDED = "not_needed", "Made without consent to protect the person (vital interests)"


class Outcome(models.TextChoices):
    SUPPORTED = "supported", "Supported: the need was met"
    ONGOING = "ongoing", "Supported: support continues elsewhere"
    DID_NOT_ENGAGE = "did_not_engage", "Did not engage"
    NOT_REACHED = "not_reached", "Could not be contacted"
    NEED_CHANGED = "need_changed", "Need changed or resolved another way"


class Referral(BaseModel):
    """One person sent to one service by one worker. A redirect closes this referral and opens
    a new one to the other service (`redirected_from`), so each service's take-up counts once."""

    reference = models.CharField(max_length=20, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    pathways = models.JSONField(default=list, help_text="The needs the referral is for.")
    reason = models.TextField(help_text="What the person needs help with, in the referrer's words.")
    consent = models.CharField(max_length=12, choices=Consent.choices)
    consent_recorded_on = models.DateField()
    consent_note = models.TextField(blank=True)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referring_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals_made")
    receiving_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals_received")
    status = models.CharField(max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    status_since = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    redirected_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="redirects"
    )
    # Where the person lived when referred (an area code): the gaps page counts take-up by area.
    area_code = models.CharField(max_length=20, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]


class ReferralEvent(BaseModel):
    """A transition of a referral: from one status to another, by whom, at which agency, when.
    `reason` is what the referrer may read (why it was declined or redirected, the outcome);
    the receiving agency's own notes are kept in `ContactRecord`, which the referrer never sees."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ReferralStatus.choices)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]


class ContactRecord(BaseModel):
    """The receiving agency's record of contact with the person: seen by that agency only."""

    class Method(models.TextChoices):
        PHONE = "phone", "Telephone"
        VISIT = "visit", "Home visit"
        OFFICE = "office", "At the office"
        LETTER = "letter", "Letter or email"
        ATTEMPT = "attempt", "Tried, no answer"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="contacts")
    on = models.DateField()
    method = models.CharField(max_length=8, choices=Method.choices)
    note = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-on", "-created_at"]


PATHWAY_CODES: list[str] = [code for code, _ in Pathway.choices]
