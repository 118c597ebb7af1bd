"""Agencies of the partnership and the people who work in them."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models

from pathways.common.models import BaseModel


class AgencyKind(models.TextChoices):
    POLICE = "police", "Police force"
    PROBATION = "probation", "Probation service"
    YOUTH_OFFENDING = "yos", "Youth offending service"
    COUNCIL = "council", "Council"
    HEALTH = "health", "Health"
    HOUSING = "housing", "Housing"
    RJ_SERVICE = "rj", "Restorative justice service"
    VOLUNTARY = "voluntary", "Voluntary organisation"
    OPCC = "opcc", "Office of the Police and Crime Commissioner"


class Agency(BaseModel):
    code = models.SlugField(
        max_length=32,
        unique=True,
        help_text="Short code used in files and the API, e.g. 'wessex-police'.",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=AgencyKind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OFFICER = "officer", "Officer"
    SUPERVISOR = "supervisor", "Supervisor"
    CASEWORKER = "caseworker", "Caseworker"
    RJ_COORDINATOR = "rj_coordinator", "RJ co-ordinator"
    FACILITATOR = "facilitator", "Facilitator"
    ANALYST = "analyst", "Analyst"
    ADMINISTRATOR = "administrator", "Administrator"


class User(AbstractUser):
    """A member of staff or a volunteer. Every user belongs to exactly one agency."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, related_name="users")
    roles = models.JSONField(default=list, blank=True, help_text="Role codes held, e.g. ['officer'].")
    job_title = models.CharField(max_length=200, blank=True)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [labels.get(r, r) for r in self.roles]


class ApiToken(BaseModel):
    """A bearer token for the API. Only a hash is kept: a lost token is revoked, not recovered."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "pw_" + secrets.token_urlsafe(32)
