"""Sign-in, sign-out and failed sign-ins go into the audit trail.

Django announces these only as signals; this is the one place Pathways listens to them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(user=user, action=AuditEvent.Action.SIGN_IN)


@receiver(user_logged_out)
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(user=user, action=AuditEvent.Action.SIGN_OUT)


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    audit_record(
        user=None,
        username=str(credentials.get("username", ""))[:150],
        action=AuditEvent.Action.SIGN_IN_FAILED,
    )
