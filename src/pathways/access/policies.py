"""Who may see which person, and which of their information: the one rule, in one place.

*Which people.* A user sees a person when their agency has a reason to — it holds a record
of them, or the person was shared with it (an `AgencyRecord`) — or the user holds a current
break-glass access to them. A restricted record (a protected witness, a member of staff) is
seen only by the users named on the restriction, whatever else is true.

*Which information.* Each kind of information (a `Category`) about a person was recorded by
some agency. A user sees it when their own agency recorded it, or when an information-sharing
agreement in force today binds both agencies and covers that category for the purpose the
user is working under. Where the agreement's lawful basis is consent, the person's latest
consent for that purpose must be "given". Victims' contact details also need a role that
works with victims. Break-glass access shows everything, flagged.

Pages, search, lists, exports, the API and analytics extracts all ask here; a field the user
may not see is dropped before it reaches a template or a response.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from pathways.accounts.models import Role, User
from pathways.people.models import Person
from pathways.sharing.reference import Category
from pathways.sharing.reference import Purpose as Purpose

# The purposes each role works under; the first is the default.
ROLE_PURPOSES: dict[str, list[str]] = {
    Role.OFFICER: [Purpose.CASEWORK, Purpose.COMMUNITY_RESOLUTION, Purpose.OFFENDER_MANAGEMENT],
    Role.SUPERVISOR: [Purpose.CASEWORK, Purpose.OFFENDER_MANAGEMENT, Purpose.COMMUNITY_RESOLUTION],
    Role.CASEWORKER: [Purpose.CASEWORK, Purpose.OFFENDER_MANAGEMENT],
    Role.RJ_COORDINATOR: [Purpose.RESTORATIVE_JUSTICE],
    Role.FACILITATOR: [Purpose.RESTORATIVE_JUSTICE],
    Role.ANALYST: [Purpose.PERFORMANCE_ANALYSIS],
    Role.ADMINISTRATOR: [Purpose.DATA_PROTECTION],
}
# Roles whose work brings them into contact with victims.
VICTIM_CONTACT_ROLES = {Role.OFFICER, Role.SUPERVISOR, Role.RJ_COORDINATOR, Role.FACILITATOR}
PURPOSE_SESSION_KEY = "pathways_purpose"


def purposes_for(user: User) -> list[str]:
    found: list[str] = []
    for role in user.roles:
        for purpose in ROLE_PURPOSES.get(role, []):
            if purpose not in found:
                found.append(purpose)
    return found or [Purpose.CASEWORK]


def default_purpose(user: User) -> str:
    return purposes_for(user)[0]


def request_purpose(request: HttpRequest) -> str:
    """The purpose the user said they are working under (kept in their session), or their default."""
    chosen = request.session.get(PURPOSE_SESSION_KEY) if hasattr(request, "session") else None
    return chosen if chosen in purposes_for(request.user) else default_purpose(request.user)


def _extra_people(user: User) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """(people this user may see beyond their agency's, restricted people they may not see)."""
    from pathways.sharing.models import BreakGlassAccess, Restriction

    now = timezone.now()
    granted = list(
        BreakGlassAccess.objects.filter(user=user, expires_at__gt=now).values_list("person_id", flat=True)
    ) + list(Restriction.objects.filter(lifted_at__isnull=True, allowed_users=user).values_list("person_id", flat=True))
    hidden = list(
        Restriction.objects.filter(lifted_at__isnull=True)
        .exclude(allowed_users=user)
        .values_list("person_id", flat=True)
    )
    return granted, hidden


def people_visible_to(user: User) -> QuerySet[Person]:
    """Every person this user may see. Every list of people starts here."""
    if not user.is_authenticated or not user.is_active or user.agency_id is None:
        return Person.objects.none()
    granted, hidden = _extra_people(user)
    if granted:
        from pathways.access.models import AgencyRecord

        held = AgencyRecord.objects.filter(agency_id=user.agency_id).values("person_id")
        people = Person.objects.filter(Q(pk__in=held) | Q(pk__in=granted))
    else:
        # The common case keeps the plain join the person search is tuned for.
        people = Person.objects.filter(agency_records__agency_id=user.agency_id)
    if hidden:
        people = people.exclude(pk__in=hidden)
    # Someone merged into another person is found as that person (`linkage.merging`).
    return people.filter(merged_into__isnull=True)


@dataclass
class SharingView:
    """What one user, working under one purpose, may see of each category, and from whom."""

    user: User
    purpose: str
    today: dt.date
    # category -> agency id -> True if that agency's information is shared only with consent
    sources: dict[str, dict[Any, bool]] = field(default_factory=dict)
    agreement_titles: list[str] = field(default_factory=list)

    def can_see(self, category: str, source_agency_id: Any, person: Person | None = None) -> bool:
        if person is not None and self.has_break_glass(person):
            return True
        if category == Category.VICTIM_DETAILS and not self.user.has_role(*VICTIM_CONTACT_ROLES):
            return False
        if source_agency_id is None or source_agency_id == self.user.agency_id:
            return True
        consent_only = self.sources.get(category, {}).get(source_agency_id)
        if consent_only is None:
            return False
        if consent_only:
            return person is not None and self.consent_given(person)
        return True

    def consent_given(self, person: Person) -> bool:
        from pathways.sharing.models import Consent

        latest = (
            Consent.objects.filter(person=person, purpose=self.purpose).order_by("-recorded_on", "-created_at").first()
        )
        return latest is not None and latest.status == Consent.Status.GIVEN

    def has_break_glass(self, person: Person) -> bool:
        cache = self.__dict__.setdefault("_break_glass", {})
        if person.pk not in cache:
            from pathways.sharing.models import BreakGlassAccess

            cache[person.pk] = BreakGlassAccess.objects.filter(
                user=self.user, person=person, expires_at__gt=timezone.now()
            ).exists()
        return cache[person.pk]

    def visible(
        self, category: str, records: Iterable[Any], person: Person | None = None, *, agency_attr: str = "agency_id"
    ) -> list[Any]:
        return [r for r in records if self.can_see(category, getattr(r, agency_attr), person)]


def sharing_view(user: User, purpose: str, *, today: dt.date | None = None) -> SharingView:
    """Work out, once per request, which agencies' information of each category this user may see."""
    from pathways.sharing.models import Agreement

    today = today or timezone.localdate()
    view = SharingView(user=user, purpose=purpose, today=today)
    if user.agency_id is None:
        return view
    agreements = (
        Agreement.objects.filter(parties=user.agency_id, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .prefetch_related("parties")
    )
    for agreement in agreements:
        if purpose not in agreement.purposes:
            continue
        view.agreement_titles.append(agreement.title)
        for category in agreement.categories:
            by_agency = view.sources.setdefault(category, {})
            for party in agreement.parties.all():
                # An agreement not needing consent outranks one that does.
                by_agency[party.pk] = by_agency.get(party.pk, True) and agreement.needs_consent
    return view


def can_import(user: User) -> bool:
    """Loading partner files changes shared records: administrators, supervisors and analysts."""
    return user.is_authenticated and user.has_role(Role.ADMINISTRATOR, Role.SUPERVISOR, Role.ANALYST)


def can_search_people(user: User) -> bool:
    return user.is_authenticated and user.agency_id is not None


def can_record_consent(user: User) -> bool:
    return user.is_authenticated and user.has_role(
        Role.OFFICER, Role.SUPERVISOR, Role.CASEWORKER, Role.RJ_COORDINATOR, Role.ADMINISTRATOR
    )


def can_analyse_performance(user: User) -> bool:
    """The performance framework, data quality, strategic assessment and panel report are
    analysts' work; what the figures rest on is still only what the agreements share."""
    return user.is_authenticated and user.is_active and user.agency_id is not None and user.has_role(Role.ANALYST)


def is_data_protection_lead(user: User) -> bool:
    """Administrators act as their agency's data protection lead: audit pages, break-glass
    review, agreements, restrictions, retention and subject access."""
    return user.is_authenticated and user.is_active and user.has_role(Role.ADMINISTRATOR)
