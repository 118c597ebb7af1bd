"""Problem solving with SARA: a problem (a place, a group or a theme) worked through Scanning,
Analysis, Response and Assessment, stage by stage and never skipping one; and the public
street-level crime the police publish, which scanning and assessment count beside the
partnership's own offences.

A problem that the partnership finds not solved goes back to analysis: a new *cycle* starts,
and the analysis, responses and assessment of every earlier cycle are kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from pathways.accounts.models import Agency
from pathways.common.models import BaseModel
from pathways.people.models import Person


class Stage(models.TextChoices):
    SCANNING = "scanning", "Scanning"
    ANALYSIS = "analysis", "Analysis"
    RESPONSE = "response", "Response"
    ASSESSMENT = "assessment", "Assessment"
    CLOSED = "closed", "Closed"


STAGE_ORDER: list[str] = [Stage.SCANNING, Stage.ANALYSIS, Stage.RESPONSE, Stage.ASSESSMENT, Stage.CLOSED]


class ProblemKind(models.TextChoices):
    PLACE = "place", "A place"
    GROUP = "group", "A group of people"
    THEME = "theme", "A theme"


class AreaKind(models.TextChoices):
    POSTCODE_DISTRICT = "postcode_district", "Postcode district"
    LSOA = "lsoa", "Lower layer super output area"
    WARD = "ward", "Ward"
    NEIGHBOURHOOD = "neighbourhood", "Policing neighbourhood"


class Area(BaseModel):
    """A named area with its own boundary (a GeoJSON Polygon or MultiPolygon in longitude and
    latitude, as ONS boundary files give it). Offences carry the code of their area; police.uk
    rows carry their LSOA code. Neighbours are areas whose boundaries touch: displacement is
    looked for there."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=AreaKind.choices)
    boundary = models.JSONField(null=True, blank=True, help_text="GeoJSON geometry, longitude/latitude (WGS84).")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.name != self.code else self.code


class Problem(BaseModel):
    """A specific, recurring problem the partners work together, with its place, time and owner.

    The place is any of: areas (by code), a set of streets (matched against where each crime
    was recorded), or a boundary drawn on the map (a GeoJSON Polygon). A group or theme
    problem may have a place too; scanning then counts within it."""

    reference = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=ProblemKind.choices)
    # The specific statement of what is happening, in seed 004's words: "what are the youths
    # doing at the shops that we need to stop happening?"
    statement = models.TextField()
    group_description = models.TextField(blank=True)
    theme = models.CharField(max_length=200, blank=True)
    area_codes = models.JSONField(default=list, blank=True)
    streets = models.JSONField(default=list, blank=True)
    boundary = models.JSONField(null=True, blank=True, help_text="GeoJSON Polygon drawn on the map.")
    # The time the problem is looked at in: scanning counts from here; assessment's "before".
    period_from = models.DateField()
    period_to = models.DateField()
    # Crime types (police.uk names) and offence groups the problem is about; empty means all.
    crime_types = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="problems_owned")
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="problems_owned")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.SCANNING)
    stage_since = models.DateTimeField()
    cycle = models.PositiveSmallIntegerField(default=1)
    scanning_summary = models.TextField(blank=True, help_text="What scanning showed, in the owner's words.")
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_on", "reference"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"


class ProblemPartner(BaseModel):
    """An agency working the problem with the owner; partners see the problem and own actions."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="partners")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["problem", "agency"], name="problems_partner_once")]


class StageChange(BaseModel):
    """Each move of a problem from one stage to the next (or back to analysis for a new cycle)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=12, choices=Stage.choices)
    to_stage = models.CharField(max_length=12, choices=Stage.choices)
    cycle = models.PositiveSmallIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]


class Analysis(BaseModel):
    """The problem analysis triangle for one cycle: victims, offenders and places, and the
    guardians, handlers and managers who can act on each; with the hypothesis it leads to."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="analyses")
    cycle = models.PositiveSmallIntegerField()
    victims = models.TextField(blank=True)
    offenders = models.TextField(blank=True)
    places = models.TextField(blank=True)
    guardians = models.TextField(blank=True, help_text="Who looks after the victims (or targets).")
    handlers = models.TextField(blank=True, help_text="Who has influence over the offenders.")
    managers = models.TextField(blank=True, help_text="Who owns or runs the places.")
    summary = models.TextField(blank=True, help_text="Why it is happening: the hypothesis the response tests.")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["problem", "cycle"], name="problems_analysis_per_cycle")]


class ProblemNote(BaseModel):
    """A note or a piece of evidence (a survey, a site visit, a partner's figures), at a stage."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        EVIDENCE = "evidence", "Evidence"

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="notes")
    cycle = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=12, choices=Stage.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.NOTE)
    text = models.TextField()
    source = models.CharField(max_length=300, blank=True, help_text="Where the evidence came from.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]


class InvolvedPerson(BaseModel):
    """A person involved in the problem: shown only to users who may see that person."""

    class Role(models.TextChoices):
        OFFENDER = "offender", "Offender or suspect"
        VICTIM = "victim", "Victim"
        WITNESS = "witness", "Witness or reporter"
        OTHER = "other", "Other"

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="problems")
    role = models.CharField(max_length=12, choices=Role.choices)
    note = models.TextField(blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["problem", "person", "role"], name="problems_person_role_once")]


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not achieved"
    CANCELLED = "cancelled", "No longer needed"


FINISHED_ACTION_STATUSES = {ActionStatus.DONE, ActionStatus.NOT_DONE, ActionStatus.CANCELLED}


class ResponseAction(BaseModel):
    """One thing a partner agency does about the problem, with dates and status; linked where
    it applies to a person (an IOM member, a resolution) and to a place."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="actions")
    cycle = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=500)
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner_name = models.CharField(max_length=200, blank=True)
    starts_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    finished_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    iom_membership = models.ForeignKey(
        "iom.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.ForeignKey(
        "resolutions.Resolution", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    place = models.CharField(max_length=300, blank=True, help_text="A street, an area code or a site.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "created_at"]


class Verdict(models.TextChoices):
    SOLVED = "solved", "Solved: the problem is gone or small enough to leave"
    REDUCED = "reduced", "Reduced: keep the response going, close the problem"
    NOT_SOLVED = "not_solved", "Not solved: back to analysis"


class Assessment(BaseModel):
    """The assessment of one cycle: the figures for the problem place and a comparison area over
    matching before and after periods (a difference-in-differences estimate with its interval),
    displacement to neighbouring areas, and the partnership's verdict."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="assessments")
    cycle = models.PositiveSmallIntegerField()
    comparison_area_codes = models.JSONField(default=list)
    buffer_area_codes = models.JSONField(default=list, blank=True)
    before_from = models.DateField()
    before_to = models.DateField()
    after_from = models.DateField()
    after_to = models.DateField()
    # What `problems.assessment.assess` returned, kept as it was when the verdict was given.
    figures = models.JSONField(default=dict)
    verdict = models.CharField(max_length=12, choices=Verdict.choices, blank=True)
    verdict_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["problem", "cycle"], name="problems_assessment_per_cycle")]


class StreetCrime(BaseModel):
    """One row of a police.uk street-level crime file (`Crime ID, Month, Reported by, Falls within,
    Longitude, Latitude, Location, LSOA code, LSOA name, Crime type, Last outcome category,
    Context`). Anti-social behaviour rows have no Crime ID; they are kept by `row_key`, a hash of
    the whole row, so loading the same file twice changes nothing."""

    row_key = models.CharField(max_length=64, unique=True)
    crime_id = models.CharField(max_length=64, blank=True, db_index=True)
    month = models.DateField(help_text="The first day of the month the crime was reported in.")
    reported_by = models.CharField(max_length=200)
    falls_within = models.CharField(max_length=200)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    lsoa_code = models.CharField(max_length=12, blank=True, db_index=True)
    lsoa_name = models.CharField(max_length=200, blank=True)
    crime_type = models.CharField(max_length=100)
    last_outcome = models.CharField(max_length=200, blank=True)
    context = models.TextField(blank=True)
    batch = models.ForeignKey("imports.ImportBatch", on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["month", "crime_type"], name="problems_streetcrime_month")]
