"""Reads about people: finding them and gathering their record. Always within the user's scope."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Upper

from pathways.access.models import AuditEvent
from pathways.access.policies import SharingView, people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome, OffenceVictim
from pathways.offending.reference import Outcome, offence_description
from pathways.people.models import Address, Person, PersonIdentifier, PersonName
from pathways.people.names import fold, given_name_key, name_similarity, surname_key
from pathways.people.reference import PNC_PATTERN, normalise_pnc
from pathways.sharing.reference import Category

# Enough candidates to rank well, few enough that a common surname stays quick.
_CANDIDATES = 400


@dataclass
class SearchResult:
    person: Person
    score: float
    matched_name: str
    reasons: list[str] = field(default_factory=list)


def _swapped(day_month: dt.date) -> dt.date | None:
    try:
        return day_month.replace(day=day_month.month, month=day_month.day)
    except ValueError:
        return None


def person_search(
    *,
    user: User,
    name: str = "",
    date_of_birth: dt.date | None = None,
    identifier: str = "",
    purpose: str = "",
    via: str = "web",
    limit: int = 50,
) -> list[SearchResult]:
    """People the user may see who match, best first. Names match however they were spelt
    (Smith/Smyth, Bill/William, names in either order, aliases); a date of birth also matches
    with day and month swapped. The search itself is audited."""
    audit_record(
        user=user,
        action=AuditEvent.Action.SEARCH,
        object_type="person",
        purpose=purpose,
        via=via,
        detail={
            "name": name,
            "date_of_birth": date_of_birth.isoformat() if date_of_birth else "",
            "identifier": identifier,
        },
    )
    scope = people_visible_to(user)
    query = Q()
    has_criteria = False
    if identifier.strip():
        value = identifier.strip()
        values = {value, normalise_pnc(value)} if PNC_PATTERN.match(normalise_pnc(value)) else {value}
        query &= Q(pk__in=PersonIdentifier.objects.filter(value__in=values).values("person_id"))
        has_criteria = True
    tokens = [t for t in name.replace(",", " ").split() if fold(t)]
    if tokens:
        query &= Q(pk__in=_name_candidates(tokens).values("person_id"))
        has_criteria = True
    if date_of_birth is not None:
        dates = {date_of_birth} | ({_swapped(date_of_birth)} - {None})
        query &= Q(date_of_birth__in=dates)
        has_criteria = True
    if not has_criteria:
        return []
    if len(tokens) > 1 and not identifier.strip() and date_of_birth is None:
        candidates = _by_name_alone(scope, tokens, limit)
    else:
        candidates = _candidates(scope.filter(query), _CANDIDATES)
    names = _names_of(candidates)
    results = [_rank(p, names[p.pk], tokens, date_of_birth) for p in candidates]
    results.sort(key=lambda r: (-r.score, r.person.surname, r.person.given_name))
    return results[:limit]


def _candidates(people: QuerySet[Person], count: int) -> list[Person]:
    return list(people.order_by("surname", "given_name", "id")[:count])


def _names_of(people: list[Person]) -> dict[uuid.UUID, list[tuple[str, str, bool]]]:
    """Every name of each person, main name first: one query, as plain values (ranking a few
    hundred candidates by way of `prefetch_related` spent more time building objects than searching)."""
    names: dict[uuid.UUID, list[tuple[str, str, bool]]] = {p.pk: [] for p in people}
    rows = (
        PersonName.objects.filter(person_id__in=list(names))
        .order_by("is_alias")
        .values_list("person_id", "given_name", "surname", "is_alias")
    )
    for person_id, given_name, surname, is_alias in rows:
        names[person_id].append((given_name, surname, is_alias))
    return names


def _by_name_alone(scope: QuerySet[Person], tokens: list[str], limit: int) -> list[Person]:
    """Candidates for a given name and surname with nothing else to go on, closest first, in two
    steps so that a common surname stays quick (at a million people "Smith" is 30,000 names):

    1. the names that match on both keys (Smith/Smyth, Bill/William, in either order): all of
       them, up to `_CANDIDATES`, so that no exact match is crowded out by merely similar names;
    2. only if that leaves the page short, similar names: the same surname key and initial,
       nearest in spelling to the given name typed (its alphabetical neighbours, by an index on
       surname key and upper-cased given name), `limit` either side.

    Ranking (`_rank`) then orders them; with a date of birth or an identifier as well, the
    single query in `person_search` is narrow enough already."""
    given, surname = tokens[0], tokens[-1]
    exact = PersonName.objects.filter(
        Q(surname_key=surname_key(surname), given_key=given_name_key(given))
        | Q(surname_key=surname_key(given), given_key=given_name_key(surname))
    )
    candidates = _candidates(scope.filter(pk__in=exact.values("person_id")), _CANDIDATES)
    if len(candidates) >= limit:
        return candidates
    typed, initial = given.upper(), given[0].upper()
    after = chr(ord(initial) + 1)  # every upper-cased name that starts with `initial` sorts in [initial, after)
    names = PersonName.objects.annotate(upper_given=Upper("given_name")).filter(surname_key=surname_key(surname))
    following = names.filter(upper_given__gte=typed, upper_given__lt=after).order_by("upper_given", "id")
    preceding = names.filter(upper_given__gte=initial, upper_given__lt=typed).order_by("-upper_given", "-id")
    # Fetched first, as two small index range scans: as subqueries joined by OR, PostgreSQL
    # would read every person to test them.
    similar = {
        *following.values_list("person_id", flat=True)[:limit],
        *preceding.values_list("person_id", flat=True)[:limit],
    } - {p.pk for p in candidates}
    return candidates + _candidates(scope.filter(pk__in=similar), _CANDIDATES - len(candidates))


def _name_candidates(tokens: list[str]):  # type: ignore[no-untyped-def]
    if len(tokens) == 1:
        key = surname_key(tokens[0])
        return PersonName.objects.filter(Q(surname_key=key) | Q(given_key=given_name_key(tokens[0]), surname_key=key))
    given, surname = tokens[0], tokens[-1]
    straight = Q(surname_key=surname_key(surname)) & (
        Q(given_key=given_name_key(given)) | Q(given_name__istartswith=given[0])
    )
    swapped = Q(surname_key=surname_key(given), given_key=given_name_key(surname))
    return PersonName.objects.filter(straight | swapped)


def _rank(
    person: Person, names: list[tuple[str, str, bool]], tokens: list[str], date_of_birth: dt.date | None
) -> SearchResult:
    reasons: list[str] = []
    best, matched = 0.0, person.full_name
    if tokens:
        wanted = " ".join(tokens)
        for given_name, surname, is_alias in names:
            for candidate in (f"{given_name} {surname}", f"{surname} {given_name}"):
                s = name_similarity(wanted, candidate)
                if s > best:
                    best, matched = s, f"{given_name} {surname}" + (" (alias)" if is_alias else "")
        reasons.append("exact name" if best > 0.999 else "similar name")
    else:
        best = 1.0
    if date_of_birth is not None:
        if person.date_of_birth == date_of_birth:
            reasons.append("same date of birth")
        else:
            best -= 0.05
            reasons.append("date of birth with day and month swapped")
    return SearchResult(person=person, score=round(best, 4), matched_name=matched, reasons=reasons)


@dataclass
class TimelineEntry:
    date: dt.date
    kind: str  # offence, outcome, custody, release, resolution, resolution_end, iom_adopted, iom_exit, iom_tier, iom_board
    title: str
    description: str
    agency: str
    offence_id: str


@dataclass
class PersonRecord:
    person: Person
    identifiers: list[PersonIdentifier]
    aliases: list[PersonName]
    addresses: list[Address]
    markers: list
    offences: list[Offence]
    timeline: list[TimelineEntry]
    agencies: list[str]
    withheld: list[str] = field(default_factory=list)
    break_glass: bool = False
    is_victim: bool = False
    resolutions: list = field(default_factory=list)  # this agency's, which the user can open


def person_record(*, person: Person, view: SharingView) -> PersonRecord:
    """Everything on a person's page that this user may see under their purpose. The caller
    has already been through `access_person`; what the sharing rules withhold is dropped here,
    and named (by category and agency) so that the page can say what is not shown and why."""
    withheld: dict[tuple[str, str], None] = {}
    labels = dict(Category.choices)

    def keep(category: str, records: list, agency_of=lambda r: r.agency):  # type: ignore[no-untyped-def]
        kept = []
        for record in records:
            agency = agency_of(record)
            if view.can_see(category, agency.pk if agency else None, person):
                kept.append(record)
            else:
                withheld[(labels[category], agency.name)] = None
        return kept

    offences = keep(
        Category.OFFENDING_HISTORY,
        list(
            Offence.objects.filter(person=person)
            .select_related("agency")
            .prefetch_related(
                Prefetch("outcomes", queryset=OffenceOutcome.objects.select_related("agency").order_by("outcome_date"))
            )
            .order_by("-offence_date")
        ),
    )
    custody = keep(
        Category.OUTCOMES, list(CustodyPeriod.objects.filter(person=person).select_related("agency", "offence"))
    )
    outcome_labels = dict(Outcome.choices)
    timeline: list[TimelineEntry] = []
    for offence in offences:
        timeline.append(
            TimelineEntry(
                offence.offence_date,
                "offence",
                offence_description(offence.offence_code),
                f"{offence.get_offence_group_display()}" + (f", {offence.area}" if offence.area else ""),
                offence.agency.name,
                offence.reference,
            )
        )
        for outcome in keep(Category.OUTCOMES, list(offence.outcomes.all())):
            timeline.append(
                TimelineEntry(
                    outcome.outcome_date,
                    "outcome",
                    outcome_labels.get(outcome.outcome, outcome.outcome),
                    f"For {offence_description(offence.offence_code).lower()} on {offence.offence_date:%-d %B %Y}",
                    outcome.agency.name,
                    offence.reference,
                )
            )
    for period in custody:
        offence_text = offence_description(period.offence.offence_code).lower()
        timeline.append(
            TimelineEntry(
                period.sentence_date,
                "custody",
                "Sentenced to custody",
                f"For {offence_text} ({period.offence.reference})",
                period.agency.name,
                period.offence.reference,
            )
        )
        if period.release_date:
            timeline.append(
                TimelineEntry(
                    period.release_date,
                    "release",
                    "Released from custody",
                    f"After {(period.release_date - period.sentence_date).days} days",
                    period.agency.name,
                    period.offence.reference,
                )
            )
    resolutions = _resolutions_on_timeline(person, view, keep, timeline)
    _iom_on_timeline(person, view, timeline)
    # On the same day: what happened first sorts last (the timeline is newest first).
    order = {
        "release": 0,
        "custody": 1,
        "resolution_end": 1,
        "resolution": 2,
        "outcome": 2,
        "offence": 3,
        "iom_exit": -1,
        "iom_board": 0,
        "iom_tier": 0,
        "iom_adopted": 4,
    }
    timeline.sort(key=lambda e: (e.date, -order[e.kind]), reverse=True)
    is_victim = OffenceVictim.objects.filter(person=person).exists()
    # A victim's address is victim detail: it is shared only where an agreement and role allow.
    address_category = Category.VICTIM_DETAILS if is_victim else Category.IDENTITY
    return PersonRecord(
        person=person,
        identifiers=keep(
            Category.IDENTITY,
            list(person.identifiers.select_related("agency").order_by("kind", "value")),
        ),
        aliases=keep(
            Category.IDENTITY,
            list(person.names.filter(is_alias=True).select_related("agency").order_by("surname", "given_name")),
        ),
        addresses=keep(
            address_category,
            list(person.addresses.select_related("agency").order_by("-is_current", "-created_at")),
        ),
        markers=keep(
            Category.RISK_MARKERS,
            list(person.markers.select_related("agency").order_by("end_date", "-start_date")),
        ),
        offences=offences,
        timeline=timeline,
        agencies=sorted(r.agency.name for r in person.agency_records.select_related("agency")),
        withheld=[f"{category} from {agency}" for category, agency in withheld],
        break_glass=view.has_break_glass(person),
        is_victim=is_victim,
        resolutions=[r for r in resolutions if r.agency_id == view.user.agency_id],
    )


def _resolutions_on_timeline(person: Person, view: SharingView, keep, timeline: list[TimelineEntry]) -> list:  # type: ignore[no-untyped-def]
    """Out-of-court resolutions, shown where outcomes from the recording agency may be seen."""
    from pathways.resolutions.models import Resolution

    resolutions = keep(
        Category.OUTCOMES,
        list(Resolution.objects.filter(person=person).select_related("agency", "offence").order_by("-created_at")),
    )
    for r in resolutions:
        offence_text = f"For {offence_description(r.offence.offence_code).lower()} ({r.offence.reference})"
        if r.decided_at and r.route:
            wording = r.get_route_display()
            if r.route != r.recommended_route:
                wording += f" (recommended: {r.get_recommended_route_display().lower()})"
            timeline.append(
                TimelineEntry(r.decided_at.date(), "resolution", wording, offence_text, r.agency.name, r.reference)
            )
        if r.completed_on:
            timeline.append(
                TimelineEntry(
                    r.completed_on,
                    "resolution_end",
                    f"{r.get_route_display()}: {r.get_status_display().lower()}",
                    offence_text,
                    r.agency.name,
                    r.reference,
                )
            )
    return resolutions


def _iom_on_timeline(person: Person, view: SharingView, timeline: list[TimelineEntry]) -> None:
    """Integrated offender management: joining and leaving a scheme's cohort, tier changes and
    the daily review board's decisions, for users who work IOM (the caller has already checked
    that they may see the person)."""
    from pathways.iom.models import BoardEntry, MembershipEvent
    from pathways.iom.policies import can_work_iom
    from pathways.iom.reference import EventKind, Tier

    if not can_work_iom(view.user):
        return
    tiers = dict(Tier.choices)
    kinds = {EventKind.ADOPTED: "iom_adopted", EventKind.DESELECTED: "iom_exit", EventKind.TIER_CHANGED: "iom_tier"}
    events = (
        MembershipEvent.objects.filter(membership__person=person, kind__in=list(kinds))
        .select_related("membership__scheme", "by__agency")
        .order_by("on", "created_at")
    )
    for event in events:
        scheme = event.membership.scheme.name
        if event.kind == EventKind.ADOPTED:
            title = f"Adopted into the {scheme} cohort"
        elif event.kind == EventKind.DESELECTED:
            title = f"Left the {scheme} cohort"
        else:
            before = tiers.get(event.detail.get("from", ""), "?")
            after = tiers.get(event.detail.get("to", ""), "?")
            title = f"{scheme} risk tier changed from {before.lower()} to {after.lower()}"
        timeline.append(TimelineEntry(event.on, kinds[event.kind], title, event.reason, _agency_name(event.by), ""))
    entries = BoardEntry.objects.filter(membership__person=person).select_related("meeting__host", "membership__scheme")
    for entry in entries:
        timeline.append(
            TimelineEntry(
                entry.meeting.held_on,
                "iom_board",
                f"Daily review board: {entry.get_decision_display().lower()}",
                entry.partner_actions or f"{entry.membership.scheme.name} cohort",
                entry.meeting.host.name,
                "",
            )
        )


def _agency_name(user: User) -> str:
    return user.agency.name if user.agency_id else ""
