"""Reads for information sharing."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from pathways.accounts.models import User
from pathways.people.models import Person
from pathways.sharing.models import Agreement, BreakGlassAccess, Consent, Restriction


def agreements_for(user: User) -> QuerySet[Agreement]:
    """The agreements that bind the user's agency; a data protection lead sees every agreement."""
    from pathways.access.policies import is_data_protection_lead

    agreements = Agreement.objects.prefetch_related("parties", "signatories__agency")
    if is_data_protection_lead(user):
        return agreements.all()
    return agreements.filter(parties=user.agency_id).distinct()


def agreements_in_force() -> QuerySet[Agreement]:
    today = timezone.localdate()
    return Agreement.objects.filter(start_date__lte=today).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))


def consent_history(*, person: Person) -> list[Consent]:
    return list(Consent.objects.filter(person=person).select_related("recorded_by", "agency"))


def active_restriction(*, person: Person) -> Restriction | None:
    return Restriction.objects.filter(person=person, lifted_at__isnull=True).prefetch_related("allowed_users").first()


def break_glass_queue(*, reviewer: User) -> QuerySet[BreakGlassAccess]:
    """Break-glass accesses by users of the reviewer's agency still waiting for review."""
    return (
        BreakGlassAccess.objects.filter(user__agency_id=reviewer.agency_id, reviewed_at__isnull=True)
        .select_related("user", "person")
        .order_by("created_at")
    )
