"""Which agencies have a reason to see a person, and the audit trail of every access."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from pathways.accounts.models import Agency
from pathways.common.models import BaseModel
from pathways.people.models import Person


class AgencyRecord(BaseModel):
    """An agency's reason to see a person: it holds a record of them, or they were shared with it."""

    class Basis(models.TextChoices):
        HOLDS_RECORD = "holds_record", "Holds a record"
        SHARED = "shared", "Shared with the agency"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="agency_records")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="person_records")
    basis = models.CharField(max_length=16, choices=Basis.choices)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "person"], name="agency_record_once")]


class AuditEvent(models.Model):
    """One thing someone did or saw. Append-only: the database itself refuses to change or
    delete a row (see the migration's triggers), and so does the model."""

    class Action(models.TextChoices):
        READ = "read", "Read"
        SEARCH = "search", "Search"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        IMPORT = "import", "Import"
        EXPORT = "export", "Export"
        SIGN_IN = "sign_in", "Sign in"
        SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
        SIGN_OUT = "sign_out", "Sign out"
        REFUSED = "refused", "Refused"
        BREAK_GLASS = "break_glass", "Break-glass access"

    id = models.BigAutoField(primary_key=True)
    # Set by the audit chain before the event is hashed (see access.chain), not on save.
    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, db_index=True)
    agency_code = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    purpose = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    via = models.CharField(max_length=16, default="web", help_text="web, api or command")
    # The tamper-evident chain (access.chain): the hash of the event before this one, and
    # SHA-256 over that and this event's fields. No two events may follow the same one.
    previous_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or 'anonymous'} {self.action} {self.object_type} {self.object_id}".strip()

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("Audit events cannot be deleted.")
