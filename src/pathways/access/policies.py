"""Who may see which person: the one rule, in one place.

For now an agency has a reason to see a person when it holds a record of them or the
person has been shared with it (an `AgencyRecord`). Information-sharing agreements
will refine this rule here, and every page, search, list, export and API call that uses
`people_visible_to` follows automatically.
"""

from __future__ import annotations

from django.db.models import QuerySet

from pathways.accounts.models import Role, User
from pathways.people.models import Person


class Purpose:
    CASEWORK = "casework"
    OFFENDER_MANAGEMENT = "offender_management"
    COMMUNITY_RESOLUTION = "community_resolution"
    RESTORATIVE_JUSTICE = "restorative_justice"
    PERFORMANCE_ANALYSIS = "performance_analysis"
    DATA_PROTECTION = "data_protection"

    LABELS = {
        CASEWORK: "Case work",
        OFFENDER_MANAGEMENT: "Integrated offender management",
        COMMUNITY_RESOLUTION: "Community resolution",
        RESTORATIVE_JUSTICE: "Restorative justice",
        PERFORMANCE_ANALYSIS: "Performance analysis",
        DATA_PROTECTION: "Data protection",
    }


def default_purpose(user: User) -> str:
    if user.has_role(Role.ANALYST):
        return Purpose.PERFORMANCE_ANALYSIS
    if user.has_role(Role.RJ_COORDINATOR, Role.FACILITATOR):
        return Purpose.RESTORATIVE_JUSTICE
    if user.has_role(Role.ADMINISTRATOR):
        return Purpose.DATA_PROTECTION
    return Purpose.CASEWORK


def people_visible_to(user: User) -> QuerySet[Person]:
    """Every person this user's agency has a reason to see. Every list of people starts here."""
    if not user.is_authenticated or not user.is_active or user.agency_id is None:
        return Person.objects.none()
    return Person.objects.filter(agency_records__agency_id=user.agency_id)


def can_import(user: User) -> bool:
    """Loading partner files changes shared records: administrators, supervisors and analysts."""
    return user.is_authenticated and user.has_role(Role.ADMINISTRATOR, Role.SUPERVISOR, Role.ANALYST)


def can_search_people(user: User) -> bool:
    return user.is_authenticated and user.agency_id is not None


def is_data_protection_lead(user: User) -> bool:
    """Administrators act as their agency's data protection lead: audit pages, break-glass
    review, retention and subject access."""
    return user.is_authenticated and user.is_active and user.has_role(Role.ADMINISTRATOR)
