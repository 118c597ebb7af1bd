"""The service directory: finding a service for a person's need, and keeping entries up to date.

Search is by words (every word must appear in the name, provider, description or eligibility),
by pathway, by area (a service with no areas takes people from the whole partnership) and by
the person's age. Pathways and areas are lists held as JSON; they are matched here in Python
over the active services (a few hundred rows), which works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, Role, User
from pathways.referrals.models import PATHWAY_CODES, ContactRoute, Service
from pathways.referrals.policies import can_manage_service

# The fields a directory entry is saved with; anything else passed to `service_save` is refused.
SERVICE_FIELDS = (
    "name",
    "provider",
    "description",
    "pathways",
    "area_codes",
    "eligibility",
    "min_age",
    "max_age",
    "monthly_capacity",
    "contact_route",
    "contact_details",
    "is_linking_service",
    "receiving_agency",
    "managed_by",
    "is_active",
)
# Routes where the person or worker gets in touch themselves: they need a number, address or link.
ROUTES_NEEDING_DETAILS = {ContactRoute.PHONE, ContactRoute.EMAIL, ContactRoute.FORM}


def services_search(*, need: str = "", pathway: str = "", area: str = "", age: int | None = None) -> QuerySet[Service]:
    """Active services matching every condition given, the linking service first, then by name."""
    services = Service.objects.filter(is_active=True)
    for word in need.split():
        services = services.filter(
            Q(name__icontains=word)
            | Q(provider__icontains=word)
            | Q(description__icontains=word)
            | Q(eligibility__icontains=word)
        )
    if age is not None:
        services = services.filter(Q(min_age__isnull=True) | Q(min_age__lte=age)).filter(
            Q(max_age__isnull=True) | Q(max_age__gte=age)
        )
    if pathway or area:
        wanted = [
            pk
            for pk, pathways, areas in services.values_list("pk", "pathways", "area_codes")
            if (not pathway or pathway in (pathways or [])) and (not area or not areas or area in areas)
        ]
        services = Service.objects.filter(pk__in=wanted)
    return services.select_related("receiving_agency").order_by("-is_linking_service", "name")


def _known_area_codes() -> set[str] | None:
    """The partnership's area codes, or None where no areas are loaded (then any code is taken)."""
    from pathways.problems.models import Area

    codes = set(Area.objects.values_list("code", flat=True))
    return codes or None


def _validate(by: User, values: dict[str, Any], service: Service | None) -> None:
    errors: dict[str, str] = {}
    if not str(values.get("name") or "").strip():
        errors["name"] = "Enter the service's name"
    if not str(values.get("provider") or "").strip():
        errors["provider"] = "Enter who runs the service"
    pathways = list(values.get("pathways") or [])
    unknown = [p for p in pathways if p not in PATHWAY_CODES]
    if not pathways:
        errors["pathways"] = "Choose at least one pathway the service meets needs on"
    elif unknown:
        errors["pathways"] = f"Not pathways: {', '.join(unknown)}"
    known_areas = _known_area_codes()
    if known_areas is not None:
        strange = [a for a in values.get("area_codes") or [] if a not in known_areas]
        if strange:
            errors["area_codes"] = f"Not areas of the partnership: {', '.join(strange)}"
    min_age, max_age = values.get("min_age"), values.get("max_age")
    if min_age is not None and min_age < 0:
        errors["min_age"] = "The youngest age must be 0 or more"
    if min_age is not None and max_age is not None and min_age > max_age:
        errors["max_age"] = "The oldest age must not be below the youngest"
    capacity = values.get("monthly_capacity")
    if capacity is not None and capacity < 0:
        errors["monthly_capacity"] = "The monthly capacity must be 0 or more"
    route = values.get("contact_route")
    if route not in ContactRoute.values:
        errors["contact_route"] = "Choose how people are referred to the service"
    elif route == ContactRoute.PATHWAYS and values.get("receiving_agency") is None:
        errors["receiving_agency"] = "Choose the agency whose workers receive referrals made through Pathways"
    elif route in ROUTES_NEEDING_DETAILS and not str(values.get("contact_details") or "").strip():
        errors["contact_details"] = "Enter the phone number, email address or web address to refer to"
    if values.get("is_linking_service") and route != ContactRoute.PATHWAYS:
        errors["contact_route"] = "The linking service receives its referrals through Pathways"
    managed_by = values.get("managed_by")
    if managed_by is None:
        errors["managed_by"] = "Choose the partner that keeps this entry up to date"
    elif not by.has_role(Role.ADMINISTRATOR) and managed_by.pk != by.agency_id:
        # Partners keep their own entries; only administrators keep another partner's.
        errors["managed_by"] = "You may keep only your own agency's entries"
    if errors:
        raise ValidationError(errors)


def service_save(*, by: User, service: Service | None = None, **fields: Any) -> Service:
    """Add an entry (service None) or change one. Fields not given keep their current value
    (a new entry is managed by the user's agency unless said otherwise). Audited; the model
    keeps every version (simple_history)."""
    if not can_manage_service(by, service):
        raise PermissionDenied("Only the partner that keeps this entry, or an administrator, may change it")
    strange = set(fields) - set(SERVICE_FIELDS)
    if strange:
        raise TypeError(f"Not fields of a service: {', '.join(sorted(strange))}")
    values: dict[str, Any] = {}
    for name in SERVICE_FIELDS:
        if name in fields:
            values[name] = fields[name]
        elif service is not None:
            values[name] = getattr(service, name)
    if service is None:
        values.setdefault("managed_by", by.agency)
        values.setdefault("is_active", True)
        values.setdefault("is_linking_service", False)
    for text in ("name", "provider", "description", "eligibility", "contact_details"):
        if text in values:
            values[text] = str(values[text] or "").strip()
    values["pathways"] = [p for p in PATHWAY_CODES if p in set(values.get("pathways") or [])]
    values["area_codes"] = sorted({str(a).strip().upper() for a in values.get("area_codes") or [] if str(a).strip()})
    if values.get("contact_route") != ContactRoute.PATHWAYS:
        # Only a service reached through Pathways has an agency receiving its referrals here.
        values["receiving_agency"] = None
    _validate(by, values, service)
    with transaction.atomic():
        if service is None:
            service = Service.objects.create(**values)
            action = AuditEvent.Action.CREATE
        else:
            service = Service.objects.select_for_update().get(pk=service.pk)
            for name, value in values.items():
                setattr(service, name, value)
            service.save()
            action = AuditEvent.Action.UPDATE
        audit_record(
            user=by,
            action=action,
            object_type="service",
            object_id=str(service.pk),
            detail={"name": service.name, "managed_by": service.managed_by.code},
        )
    return service


def receiving_agencies() -> QuerySet[Agency]:
    """The agencies a service reached through Pathways can name as receiving its referrals."""
    return Agency.objects.order_by("name")
