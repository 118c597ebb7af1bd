"""Writes for agencies, users and API tokens."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathways.accounts.models import Agency, ApiToken, Role, User


@transaction.atomic
def agency_create(*, code: str, name: str, kind: str) -> Agency:
    agency = Agency(code=code, name=name, kind=kind)
    agency.full_clean()
    agency.save()
    return agency


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    agency: Agency,
    roles: Iterable[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    job_title: str = "",
) -> User:
    roles = list(roles)
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": f"Unknown role(s): {', '.join(sorted(unknown))}"})
    user = User(
        username=username,
        agency=agency,
        roles=roles,
        first_name=first_name,
        last_name=last_name,
        email=email,
        job_title=job_title,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token and return it with its key; the key is shown once and never stored."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash_key(key), prefix=key[3:11])
    return token, key


def api_token_user(*, key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__agency")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def authenticator_pending(*, user: User) -> TOTPDevice:
    """The user's authenticator still to be confirmed: the same key until it is, so that
    reloading the set-up page does not undo a scan."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def authenticator_confirm(*, user: User, device: TOTPDevice) -> TOTPDevice:
    """Confirm a device whose code the user has just entered correctly; the set-up is audited."""
    from pathways.access.models import AuditEvent
    from pathways.access.services import audit_record

    device.refresh_from_db()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(user=user, action=AuditEvent.Action.CREATE, object_type="authenticator", object_id=device.pk)
    return device
