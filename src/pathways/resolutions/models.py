"""Out-of-court resolutions, their actions and victims, diversion contracts and case-conference panels."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pathways.accounts.models import Agency, User
from pathways.common.models import BaseModel
from pathways.common.reference import Pathway
from pathways.offending.models import Offence, OffenceOutcome
from pathways.people.models import Person
from pathways.resolutions.reference import (
    ActionKind,
    ActionStatus,
    Admission,
    ReviewStatus,
    Route,
    Status,
    VictimWants,
)


class RuleSet(BaseModel):
    """One version of the partnership's rules (see `resolutions.rules`). Never changed once
    saved: a change is a new version, so every decision can show the rules it was made under."""

    version = models.PositiveIntegerField(unique=True)
    rules = models.JSONField()
    note = models.CharField(max_length=500, help_text="What changed, and why.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Rule set version {self.version}"


class Resolution(BaseModel):
    """One offence resolved out of court (or not): the facts the officer gave, the
    recommendation and its reasons, the decision, and what was agreed."""

    reference = models.CharField(max_length=20, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="resolutions")
    offence = models.ForeignKey(Offence, on_delete=models.PROTECT, related_name="resolutions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="resolutions")
    # What the officer said about the case
    admission = models.CharField(max_length=16, choices=Admission.choices)
    aggravating = models.JSONField(default=list, blank=True)
    mitigating = models.JSONField(default=list, blank=True)
    flags = models.JSONField(default=list, blank=True)
    on_bail = models.BooleanField(default=False)
    under_supervision = models.BooleanField(default=False)
    lives_locally = models.BooleanField(default=True)
    circumstances = models.TextField(blank=True, help_text="What happened, briefly.")
    # What the engine saw and said
    age_at_offence = models.PositiveSmallIntegerField(null=True, blank=True)
    history = models.JSONField(default=dict, help_text="The person's history as the engine saw it.")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="resolutions")
    recommendation = models.JSONField(default=dict)
    recommended_route = models.CharField(max_length=16, choices=Route.choices)
    # What the officer decided
    route = models.CharField(max_length=16, choices=Route.choices, blank=True)
    override_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    review_status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.NOT_NEEDED)
    review_reasons = models.JSONField(default=list, blank=True)
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    outcome = models.ForeignKey(OffenceOutcome, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    referred_to = models.CharField(max_length=200, blank=True, help_text="Level 3: the specialist co-ordinator.")
    completed_on = models.DateField(null=True, blank=True)
    history_log = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agency", "status"], name="resolution_agency_status_idx")]

    def __str__(self) -> str:
        return self.reference


class ResolutionVictim(BaseModel):
    """A victim of the offence and what they want, in their own words."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="victims")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=200, help_text="As the victim wishes to be named, or the business.")
    wants = models.CharField(max_length=16, choices=VictimWants.choices)
    wishes = models.TextField(blank=True, help_text="The victim's wishes, in their own words.")
    told_outcome_on = models.DateField(null=True, blank=True)
    told_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    satisfaction = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 very dissatisfied … 5 very satisfied"
    )
    satisfaction_comment = models.TextField(blank=True)
    history = HistoricalRecords()


class ResolutionAction(BaseModel):
    """Something agreed: an apology, reparation, compensation, a Community Remedy, a contract condition."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=24, choices=ActionKind.choices)
    code = models.CharField(max_length=50, blank=True, help_text="The remedy or condition code from the rule set.")
    description = models.CharField(max_length=500)
    pathway = models.CharField(max_length=24, choices=Pathway.choices, blank=True)
    owner = models.CharField(max_length=200, help_text="Who sees it done.")
    due_on = models.DateField()
    amount = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=8, choices=ActionStatus.choices, default=ActionStatus.AGREED)
    finished_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "created_at"]


class ComplianceCheck(BaseModel):
    """A diversion contract condition checked on a date: complied with or not."""

    action = models.ForeignKey(ResolutionAction, on_delete=models.CASCADE, related_name="checks")
    checked_on = models.DateField()
    complied = models.BooleanField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["checked_on", "created_at"]


class DiversionContract(BaseModel):
    """A Checkpoint-style contract: prosecution is deferred while the person keeps its conditions."""

    class ContractStatus(models.TextChoices):
        ACTIVE = "active", "Active"
        BREACHED = "breached", "Breached: awaiting a prosecution decision"
        COMPLETED = "completed", "Completed"
        PROSECUTED = "prosecuted", "Ended: prosecution"
        ENDED = "ended", "Ended"

    class BreachDecision(models.TextChoices):
        PROSECUTE = "prosecute", "Prosecute"
        CONTINUE = "continue", "Continue the contract"
        NO_FURTHER_ACTION = "nfa", "No further action"

    resolution = models.OneToOneField(Resolution, on_delete=models.CASCADE, related_name="contract")
    starts_on = models.DateField()
    ends_on = models.DateField()
    signed_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    breach_raised_on = models.DateField(null=True, blank=True)
    breach_reason = models.TextField(blank=True)
    breach_offence = models.ForeignKey(Offence, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    breach_decision = models.CharField(max_length=12, choices=BreachDecision.choices, blank=True)
    breach_decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    breach_decided_on = models.DateField(null=True, blank=True)
    breach_decision_reason = models.TextField(blank=True)
    history = HistoricalRecords()


class Panel(BaseModel):
    """A panel of partners and members of the community: a Level 2 case-conference panel of an
    agency that resolves offences, or a Neighbourhood Justice Panel of a restorative justice
    service, where trained community volunteers hear low-level cases. One feature for both."""

    class Kind(models.TextChoices):
        CASE_CONFERENCE = "case_conference", "Case-conference panel"
        NEIGHBOURHOOD_JUSTICE = "neighbourhood_justice", "Neighbourhood Justice Panel"

    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.CASE_CONFERENCE)
    name = models.CharField(max_length=200)
    area = models.CharField(max_length=100, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", help_text="Who runs it.")
    restorative_options = models.JSONField(
        default=list, blank=True, help_text="Reparation the community has identified, e.g. litter picking."
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.name


class PanelMember(BaseModel):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=200)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    community_member = models.BooleanField(default=False)
    role = models.CharField(max_length=100, blank=True)
    trained_on = models.DateField(null=True, blank=True, help_text="When they completed panel training.")


class PanelSitting(BaseModel):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="sittings")
    sits_on = models.DateField()
    venue = models.CharField(max_length=200)

    class Meta:
        ordering = ["sits_on"]


class PanelCase(BaseModel):
    """A case listed for a sitting, and who came: a Level 2 resolution at a case-conference
    panel, or a restorative justice case at a Neighbourhood Justice Panel."""

    sitting = models.ForeignKey(PanelSitting, on_delete=models.CASCADE, related_name="cases")
    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, null=True, blank=True, related_name="panel_listings"
    )
    rj_case = models.ForeignKey(
        "restorative.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="panel_listings"
    )
    offender_attended = models.BooleanField(null=True, blank=True)
    victim_attended = models.BooleanField(null=True, blank=True)
    witnesses_attended = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(blank=True)
    heard = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sitting", "resolution"], name="panel_case_once"),
            models.UniqueConstraint(fields=["sitting", "rj_case"], name="panel_rj_case_once"),
            models.CheckConstraint(
                condition=models.Q(resolution__isnull=False, rj_case__isnull=True)
                | models.Q(resolution__isnull=True, rj_case__isnull=False),
                name="panel_case_one_kind",
            ),
        ]
