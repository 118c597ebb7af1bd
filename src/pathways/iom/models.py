"""Integrated offender management: schemes and their cohorts, the score that selects people,
ownership and tiering, needs and plans across the seven pathways, the daily review board and
tags. Every change is kept in history; reads of a person's IOM record are audited."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from pathways.accounts.models import Agency, User
from pathways.common.models import BaseModel
from pathways.iom.reference import (
    ActionStatus,
    BoardDecision,
    CandidateDecisionKind,
    EventKind,
    MembershipStatus,
    NeedLevel,
    Pathway,
    TagBasis,
    TagEventKind,
    TagType,
    Tier,
)
from pathways.people.models import Person


class ScoreConfig(BaseModel):
    """One version of the recency–frequency–gravity score's configuration (see `iom.scoring`).
    Never changed once saved: a change is a new version, so every adoption shows what chose it."""

    version = models.PositiveIntegerField(unique=True)
    config = models.JSONField()
    note = models.CharField(max_length=500, help_text="What changed, and why.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Score configuration version {self.version}"


class Scheme(BaseModel):
    """A cohort the partnership manages together: PPO, HCCU, DRR, domestic abuse perpetrators…"""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    entry_criteria = models.TextField(help_text="Who the scheme is for, in the panel's words.")
    # The parts of the entry criteria the service can check when it lists candidates.
    minimum_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    offence_groups = models.JSONField(
        default=list, blank=True, help_text="Offence groups at least one proven offence must be in; empty for any."
    )
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="iom_schemes")
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CandidateDecision(BaseModel):
    """The IOM panel's decision on a candidate: adopted into the scheme, or declined (with why)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="iom_decisions")
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=16, choices=CandidateDecisionKind.choices)
    reason = models.TextField()
    decided_on = models.DateField()
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=8, decimal_places=2)
    score_parts = models.JSONField(default=dict)
    config = models.ForeignKey(ScoreConfig, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-decided_on", "-created_at"]


class Membership(BaseModel):
    """A person's time in a scheme's cohort, from adoption to de-selection."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="iom_memberships")
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.ADOPTED)
    adopted_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    lead_worker = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    tier = models.CharField(max_length=8, choices=Tier.choices)
    score_at_adoption = models.DecimalField(max_digits=8, decimal_places=2)
    score_parts = models.JSONField(default=dict)
    config = models.ForeignKey(ScoreConfig, on_delete=models.PROTECT, related_name="+")
    last_reviewed_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-adopted_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "scheme"],
                condition=Q(status=MembershipStatus.ADOPTED),
                name="iom_one_open_membership_per_scheme",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.scheme}"

    @property
    def is_open(self) -> bool:
        return self.status == MembershipStatus.ADOPTED


class MembershipEvent(BaseModel):
    """The membership history: adopted, reviewed, tier or lead changed, de-selected."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    on = models.DateField()
    reason = models.TextField(blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["on", "created_at"]


class SupportingWorker(BaseModel):
    """A worker from a partner agency who supports the lead worker with this person."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="supporting_workers")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True, help_text="e.g. drug worker, housing officer")
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["since", "name"]


class NeedsAssessment(BaseModel):
    """An assessment of the person's needs on each of the seven pathways."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-assessed_on", "-created_at"]


class PathwayNeed(BaseModel):
    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="needs")
    pathway = models.CharField(max_length=24, choices=Pathway.choices)
    level = models.CharField(max_length=8, choices=NeedLevel.choices)
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "pathway"], name="iom_need_once_per_pathway")]


class PlanAction(BaseModel):
    """One action of the person's plan, on one pathway, owned by an agency, with a due date.
    A referral to a service is an action whose `referred_to` names the service."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="actions")
    pathway = models.CharField(max_length=24, choices=Pathway.choices)
    action = models.CharField(max_length=500)
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner_name = models.CharField(max_length=200, blank=True)
    due_on = models.DateField()
    referred_to = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    outcome = models.TextField(blank=True)
    finished_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "created_at"]


class ActionUpdate(BaseModel):
    """Progress on a plan action, in the worker's words."""

    action = models.ForeignKey(PlanAction, on_delete=models.CASCADE, related_name="updates")
    on = models.DateField()
    note = models.TextField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["on", "created_at"]


class Appointment(BaseModel):
    """An appointment the person was due to keep with a partner; a missed one goes to the board."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="appointments")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    what = models.CharField(max_length=200)
    attended = models.BooleanField(null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-due_at"]


class BoardMeeting(BaseModel):
    """One sitting of the daily review board ("one day, one conference")."""

    held_on = models.DateField()
    host = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Everything new since this moment is on the board; set when the meeting is opened.
    covers_from = models.DateTimeField()
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["-held_on", "-opened_at"]
        constraints = [models.UniqueConstraint(fields=["host", "held_on"], name="iom_one_board_a_day")]


class BoardEntry(BaseModel):
    """The board's decision about one cohort member, and the partner actions taken."""

    meeting = models.ForeignKey(BoardMeeting, on_delete=models.CASCADE, related_name="entries")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="board_entries")
    decision = models.CharField(max_length=24, choices=BoardDecision.choices)
    partner_actions = models.TextField(blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]


class TagPeriod(BaseModel):
    """A tag fitted to a person, as the supplier's file reports it."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="tag_periods")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", help_text="Whose file it came in.")
    supplier = models.CharField(max_length=64)
    tag_reference = models.CharField(max_length=64)
    tag_type = models.CharField(max_length=16, choices=TagType.choices)
    basis = models.CharField(max_length=16, choices=TagBasis.choices)
    fitted_on = models.DateField()
    removed_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-fitted_on"]
        constraints = [models.UniqueConstraint(fields=["supplier", "tag_reference"], name="iom_tag_once")]


class TagEvent(BaseModel):
    """A compliance event or alert from the tag supplier."""

    period = models.ForeignKey(TagPeriod, on_delete=models.CASCADE, related_name="events")
    event_reference = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=24, choices=TagEventKind.choices)
    is_alert = models.BooleanField()
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [models.UniqueConstraint(fields=["period", "event_reference"], name="iom_tag_event_once")]
        indexes = [models.Index(fields=["occurred_at"], name="iom_tag_event_at_idx")]


from pathways.iom.cost_models import UnitCostTable  # noqa: E402,F401  (a model of this app)
