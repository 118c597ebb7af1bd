"""The restorative justice service's records: cases and their parties, consent and contact,
assessment, facilitators and venues, meetings, agreements and satisfaction surveys.

A *case* starts as a referral to a restorative justice service (an agency of kind `rj`) and
is worked by that service's co-ordinators and the facilitators allocated to it.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pathways.accounts.models import Agency, User
from pathways.common.models import BaseModel
from pathways.offending.models import Offence
from pathways.people.models import Person
from pathways.restorative.reference import (
    ActionStatus,
    AssessmentDecision,
    CaseStatus,
    ClosureReason,
    ConsentStatus,
    ContactMethod,
    ContactResult,
    Course,
    FacilitatorKind,
    Intervention,
    MeetingStatus,
    ParticipantRole,
    Role,
    Source,
    Stage,
    SurveyMethod,
    TaskKind,
    TaskStatus,
    VettingLevel,
)


class Facilitator(BaseModel):
    """A member of staff or a volunteer who facilitates restorative meetings for a service."""

    service = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="facilitators")
    user = models.OneToOneField(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facilitator",
        help_text="Their sign-in, if they have one: a facilitator sees the cases allocated to them.",
    )
    given_name = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=FacilitatorKind.choices)
    areas = models.JSONField(default=list, blank=True, help_text="Areas (e.g. postcode districts) they cover.")
    capacity = models.PositiveSmallIntegerField(default=2, help_text="Open cases they can hold at once.")
    available = models.BooleanField(default=True)
    unavailable_until = models.DateField(null=True, blank=True)
    vetting_level = models.CharField(max_length=8, choices=VettingLevel.choices, blank=True)
    vetted_on = models.DateField(null=True, blank=True)
    vetting_expires_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["surname", "given_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.surname}"


class Training(BaseModel):
    facilitator = models.ForeignKey(Facilitator, on_delete=models.CASCADE, related_name="trainings")
    course = models.CharField(max_length=20, choices=Course.choices)
    level = models.CharField(max_length=50, blank=True, help_text="e.g. 'Level 3 certificate'.")
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True, help_text="When a refresher is due, if ever.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_on"]


class SupervisionSession(BaseModel):
    facilitator = models.ForeignKey(Facilitator, on_delete=models.CASCADE, related_name="supervision_sessions")
    held_on = models.DateField()
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-held_on"]


class Conflict(BaseModel):
    """A declared conflict of interest: the facilitator knows a person, or works in a place."""

    facilitator = models.ForeignKey(Facilitator, on_delete=models.CASCADE, related_name="conflicts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=200, blank=True, help_text="Who or what, where there is no record.")
    description = models.TextField()
    declared_on = models.DateField()
    history = HistoricalRecords()


class Venue(BaseModel):
    """A room a partner lends for restorative meetings."""

    service = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    lent_by = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="venues_lent")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    area = models.CharField(max_length=50, blank=True)
    step_free = models.BooleanField(default=False)
    hearing_loop = models.BooleanField(default=False)
    separate_waiting_rooms = models.BooleanField(default=False)
    accessibility_notes = models.TextField(blank=True)
    available_days = models.JSONField(default=list, help_text="Weekdays it can be used, 0 = Monday.")
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Case(BaseModel):
    """A referral to a restorative justice service and everything that follows from it."""

    reference = models.CharField(max_length=20, unique=True)
    service = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="rj_cases")
    source = models.CharField(max_length=16, choices=Source.choices)
    stage = models.CharField(max_length=16, choices=Stage.choices)
    referred_on = models.DateField()
    referred_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="rj_referrals")
    referring_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    offence = models.ForeignKey(Offence, on_delete=models.PROTECT, null=True, blank=True, related_name="rj_cases")
    resolution = models.ForeignKey(
        "resolutions.Resolution", on_delete=models.PROTECT, null=True, blank=True, related_name="rj_cases"
    )
    what_happened = models.TextField(help_text="The harm, briefly, in the referrer's words.")
    why_referred = models.TextField(blank=True)
    area = models.CharField(max_length=50, blank=True)
    case_types = models.JSONField(default=list, blank=True, help_text="Complex or sensitive case types.")
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.REFERRED)
    status_changed_on = models.DateField()
    coordinator = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    accepted_on = models.DateField(null=True, blank=True)
    declined_reason = models.TextField(blank=True)
    information_requested = models.TextField(blank=True)
    intervention = models.CharField(max_length=12, choices=Intervention.choices, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=20, choices=ClosureReason.choices, blank=True)
    closure_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-referred_on", "-created_at"]
        indexes = [models.Index(fields=["service", "status"], name="rj_case_service_status_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in (CaseStatus.CLOSED, CaseStatus.DECLINED)


class Party(BaseModel):
    """A victim or an offender in the case, linked to their record where one exists."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=10, choices=Role.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="rj_parties")
    name = models.CharField(max_length=200, help_text="As they wish to be called.")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    young_person = models.BooleanField(default=False)
    needs = models.TextField(blank=True, help_text="Communication, language or access needs.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display().lower()})"


class ConsentRecord(BaseModel):
    """A party's informed consent, or its refusal or withdrawal. The latest record is their consent now."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="consents")
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    recorded_on = models.DateField()
    informed = models.BooleanField(default=False, help_text="They were told what taking part involves.")
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-recorded_on", "-created_at"]


class ContactAttempt(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="contacts")
    made_on = models.DateField()
    method = models.CharField(max_length=12, choices=ContactMethod.choices)
    result = models.CharField(max_length=16, choices=ContactResult.choices)
    note = models.TextField(blank=True)
    made_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-made_on", "-created_at"]


class Task(BaseModel):
    """Something to do on a case, usually contacting a party. Closing a case cancels its open tasks."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks")
    kind = models.CharField(max_length=16, choices=TaskKind.choices)
    description = models.CharField(max_length=300)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    finished_on = models.DateField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=300, blank=True)
    assigned_to = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["due_on", "created_at"]


class Assessment(BaseModel):
    """The risk and suitability assessment. A case may be re-assessed; the latest counts."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField()
    assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ratings = models.JSONField(help_text="Each factor of ASSESSMENT_FACTORS rated low, medium or high.")
    notes = models.JSONField(default=dict, blank=True, help_text="A note per factor.")
    case_types = models.JSONField(default=list, blank=True)
    decision = models.CharField(max_length=14, choices=AssessmentDecision.choices)
    conditions = models.JSONField(default=list, blank=True)
    reasons = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_on", "-created_at"]


class Allocation(BaseModel):
    """A facilitator (and a co-facilitator, where the service works in pairs) given a case, with
    the ranked list the co-ordinator chose from."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="allocations")
    facilitator = models.ForeignKey(Facilitator, on_delete=models.PROTECT, related_name="allocations")
    co_facilitator = models.ForeignKey(
        Facilitator, on_delete=models.PROTECT, null=True, blank=True, related_name="co_allocations"
    )
    allocated_on = models.DateField()
    allocated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ranking = models.JSONField(default=list, help_text="The ranked candidates shown, with their reasons.")
    reason = models.TextField(blank=True, help_text="Why this choice, where it was not the first ranked.")
    ended_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-allocated_on", "-created_at"]


class Preparation(BaseModel):
    """A preparation meeting with one party before any restorative meeting."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="preparations")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="preparations")
    held_on = models.DateField()
    held_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ready = models.BooleanField(help_text="Ready to go ahead.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["held_on", "created_at"]


class Meeting(BaseModel):
    """The restorative intervention itself: a conference, a shuttle exchange or a letter."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="meetings")
    intervention = models.CharField(max_length=12, choices=Intervention.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings")
    status = models.CharField(max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.ARRANGED)
    held_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at"]


class Participant(BaseModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=12, choices=ParticipantRole.choices)
    supporting = models.ForeignKey(
        Party,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="supporters",
        help_text="For a supporter: whom they support.",
    )
    attended = models.BooleanField(null=True, blank=True)


class Agreement(BaseModel):
    """The outcome agreement the parties reached."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="agreement")
    made_on = models.DateField()
    summary = models.TextField(blank=True)
    completed_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()


class AgreementAction(BaseModel):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=500)
    owner = models.CharField(max_length=200, help_text="Who does it or sees it done.")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.AGREED)
    finished_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "created_at"]


class Survey(BaseModel):
    """A short satisfaction survey of one party after the meeting: by link, on paper, or by phone.
    A link carries a single-use token and names no one."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="surveys")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="surveys")
    method = models.CharField(max_length=8, choices=SurveyMethod.choices)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    sent_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 very dissatisfied … 5 very")
    felt_safe = models.BooleanField(null=True, blank=True)
    felt_heard = models.BooleanField(null=True, blank=True)
    would_recommend = models.BooleanField(null=True, blank=True)
    comments = models.TextField(blank=True)
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
