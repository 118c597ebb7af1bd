"""One person across agencies: the records each agency sent, the model that links them, the
review queue for uncertain pairs, and merges that can be undone.

A *source record* is one agency's record of a person as the agency last sent it. Linkage
compares source records; a `Person` is the partnership's view of everyone whose source
records were linked. Merging moves one person's source records (and everything else that
points at them) to another, and writes down every row it moved so that an unmerge can put
each one back where it came from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from pathways.accounts.models import Agency
from pathways.common.models import BaseModel
from pathways.people.models import Person


class LinkageModel(BaseModel):
    """A version of the Splink model: its trained parameters and the thresholds that act on them."""

    version = models.PositiveIntegerField(unique=True)
    # The Splink settings dictionary with its trained m and u probabilities, as
    # `linker.misc.save_model_to_json` writes it: enough to score pairs with no retraining.
    splink_settings = models.JSONField()
    # At or above: a record joins the existing person. At or above review_threshold (and below
    # link_threshold): a new person is made and the pair waits in the review queue.
    link_threshold = models.FloatField(default=0.95)
    review_threshold = models.FloatField(default=0.50)
    is_active = models.BooleanField(default=False)
    trained_on_records = models.PositiveIntegerField(default=0)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.TextField(blank=True)
    # How training went: lambda, each comparison's m and u per level, EM iterations, data summary.
    training_summary = models.JSONField(default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_linkage_model")
        ]

    def __str__(self) -> str:
        return f"Linkage model v{self.version}"


class SourceRecord(BaseModel):
    """One agency's record of a person, as the agency last sent it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="source_records")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=64, help_text="The agency's own reference for the person.")
    given_name = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, default="U")
    address_1 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    pnc_id = models.CharField(max_length=64, blank=True)
    other_id = models.CharField(max_length=64, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "reference"], name="source_record_once")]

    def __str__(self) -> str:
        return f"{self.agency.code}:{self.reference}"


class LinkDecision(BaseModel):
    """What happened to a source record when it arrived: joined a person, made a new one, or
    made a new one and queued a pair for review. Kept with the probability and the comparison
    that drove it, so every automatic decision can be explained and checked later."""

    class Method(models.TextChoices):
        IDENTIFIER = "identifier", "Same agency reference or PNC ID"
        MODEL = "model", "Linkage model"

    class Outcome(models.TextChoices):
        JOINED = "joined", "Joined an existing person"
        NEW_PERSON = "new_person", "New person"
        QUEUED = "queued", "New person; pair queued for review"

    record = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="decisions")
    method = models.CharField(max_length=16, choices=Method.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # The best existing record the model found (none when nothing came near).
    candidate = models.ForeignKey(SourceRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    match_probability = models.FloatField(null=True, blank=True)
    match_weight = models.FloatField(null=True, blank=True)
    # One entry per comparison: see `pathways.linkage.engine.explain`.
    comparison = models.JSONField(default=list, blank=True)
    model = models.ForeignKey(LinkageModel, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    import_batch = models.ForeignKey(
        "imports.ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=16, default="web")

    class Meta:
        indexes = [models.Index(fields=["outcome", "created_at"], name="link_decision_outcome_idx")]


class Merge(BaseModel):
    """`merged` was folded into `kept`. Every row moved is listed in `MergeMove`; rows that
    would have duplicated one the kept person already had are kept whole in `MergeSnapshot`."""

    class Cause(models.TextChoices):
        AUTOMATIC = "automatic", "Linked on import"
        REVIEW = "review", "Linked by a reviewer"

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_absorbed")
    cause = models.CharField(max_length=16, choices=Cause.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField(blank=True)
    match_probability = models.FloatField(null=True, blank=True)
    # The kept person's own details before the merge filled any blanks from the merged one.
    kept_before = models.JSONField(default=dict, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undo_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]


class MergeMove(models.Model):
    """One row whose person column was changed from `merged` to `kept` by a merge."""

    id = models.BigAutoField(primary_key=True)
    merge = models.ForeignKey(Merge, on_delete=models.CASCADE, related_name="moves")
    model = models.CharField(max_length=100, help_text="app_label.ModelName")
    object_id = models.CharField(max_length=64)
    field = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.model} {self.object_id}.{self.field}"


class MergeSnapshot(models.Model):
    """A row of the merged person's that duplicated one the kept person had (the same name, the
    same agency's record), removed by the merge and put back by an unmerge."""

    id = models.BigAutoField(primary_key=True)
    merge = models.ForeignKey(Merge, on_delete=models.CASCADE, related_name="snapshots")
    model = models.CharField(max_length=100)
    data = models.JSONField()

    def __str__(self) -> str:
        return f"{self.model} snapshot"


class ReviewPair(BaseModel):
    """Two source records the model was unsure about: the one that arrived, and the best
    existing record of another person."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for review"
        LINKED = "linked", "Linked: the same person"
        NOT_SAME = "not_same", "Not the same person"
        WITHDRAWN = "withdrawn", "No longer needed"

    record = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="review_pairs")
    candidate = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="review_pairs_as_candidate")
    match_probability = models.FloatField()
    match_weight = models.FloatField(null=True, blank=True)
    comparison = models.JSONField(default=list, blank=True)
    model = models.ForeignKey(LinkageModel, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    merge = models.ForeignKey(Merge, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "candidate"], name="review_pair_once")]


class ReviewDecision(BaseModel):
    """Every decision on a pair, skips included: who, when, what and why."""

    class Decision(models.TextChoices):
        LINK = "link", "Link: the same person"
        NOT_SAME = "not_same", "Not the same person"
        SKIP = "skip", "Skip"

    pair = models.ForeignKey(ReviewPair, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
