"""The base every Pathways record shares."""

from __future__ import annotations

import uuid

from django.db import models


class BaseModel(models.Model):
    """A UUID key (safe to show in URLs, unguessable) and when the record was made and last changed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
