"""The daily review board ("one day, one conference") and the appointments it chases.

Each morning the host agency's IOM team opens the day's board. It shows, for every cohort
member the user may see, what is new since the last board: offences and outcomes loaded
(counted by when they reached the service, so a late import still comes to the board),
custody starts and releases, tag alerts, missed appointments and plan actions falling due.
The board records a decision for each member it discusses and the partner actions agreed.
A Monday board covers the weekend: with no board before it, a board looks back 72 hours.

Every change is refused unless the policy allows it, validated, and audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to, sharing_view
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.iom.models import Appointment, BoardEntry, BoardMeeting, Membership, PlanAction, TagEvent
from pathways.iom.policies import can_work_iom
from pathways.iom.reference import ActionStatus, BoardDecision, MembershipStatus, Tier
from pathways.iom.selectors import cohort, memberships_visible_to
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome
from pathways.offending.reference import Outcome, offence_description
from pathways.sharing.reference import Category, Purpose

# With no earlier board, a board looks back this far: a Monday's first board sees the weekend.
FIRST_BOARD_LOOKS_BACK = dt.timedelta(hours=72)
# Plan actions due within this many days of the board are on it, as well as overdue ones.
ACTIONS_DUE_WITHIN = dt.timedelta(days=2)
# A tag fitted as a licence, bail or court condition is part of the sentence or order, so its
# alerts are shared as outcomes and sentences are.
TAG_CATEGORY = Category.OUTCOMES
TIER_ORDER = {Tier.HIGH: 0, Tier.MEDIUM: 1, Tier.LOW: 2}


def _audit(by: User, action: str, object_type: str, object_id: Any, **detail: Any) -> None:
    audit_record(user=by, action=action, object_type=object_type, object_id=str(object_id), detail=detail)


def member_url(membership: Membership) -> str:
    """The member page; the person's page until the cohort pages are installed."""
    try:
        return reverse("iom:member", kwargs={"membership_id": membership.pk})
    except NoReverseMatch:
        return reverse("people:detail", kwargs={"person_id": membership.person_id})


def _require_member(by: User, membership: Membership) -> Membership:
    """The membership, locked, if `by` works IOM, may see the person and the person is still in
    the cohort: nothing is recorded against a de-selected membership."""
    if not can_work_iom(by):
        raise PermissionDenied("Only the IOM partners' officers, supervisors and caseworkers do this")
    if not people_visible_to(by).filter(pk=membership.person_id).exists():
        raise PermissionDenied("You may not see this person")
    membership = Membership.objects.select_for_update().select_related("person", "scheme").get(pk=membership.pk)
    if membership.status != MembershipStatus.ADOPTED:
        raise ValidationError({"__all__": f"{membership.person} has left the {membership.scheme} cohort"})
    return membership


# The meeting --------------------------------------------------------------------------------


def board_open(by: User, on: dt.date | None = None) -> BoardMeeting:
    """The day's board for the user's agency, opened now if it is not open yet. It covers
    everything since the previous board of the same host was opened."""
    if not can_work_iom(by):
        raise PermissionDenied("Only the IOM partners' officers, supervisors and caseworkers hold the board")
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ValidationError({"held_on": "A board cannot be opened for a day still to come"})
    found = BoardMeeting.objects.filter(host_id=by.agency_id, held_on=on).first()
    if found is not None:
        return found
    # A board opened for an earlier day (when the service records one held on paper) is
    # taken to have sat at nine that morning.
    opened_at = timezone.now() if on == today else timezone.make_aware(dt.datetime.combine(on, dt.time(9, 0)))
    previous = (
        BoardMeeting.objects.filter(host_id=by.agency_id, held_on__lt=on).order_by("-held_on", "-opened_at").first()
    )
    covers_from = previous.opened_at if previous is not None else opened_at - FIRST_BOARD_LOOKS_BACK
    try:
        with transaction.atomic():
            meeting = BoardMeeting.objects.create(
                held_on=on, host_id=by.agency_id, chair=by, covers_from=covers_from, opened_at=opened_at
            )
    except IntegrityError:
        # Two partners opened the same board at once: theirs is the board.
        return BoardMeeting.objects.get(host_id=by.agency_id, held_on=on)
    _audit(
        by,
        AuditEvent.Action.CREATE,
        "iom_board_meeting",
        meeting.pk,
        held_on=on.isoformat(),
        covers_from=covers_from.isoformat(),
    )
    return meeting


def board_on(by: User, on: dt.date) -> BoardMeeting | None:
    """The user's agency's board held on a day, if there was one."""
    if not can_work_iom(by):
        return None
    return BoardMeeting.objects.filter(host_id=by.agency_id, held_on=on).select_related("chair", "host").first()


def _covers_until(meeting: BoardMeeting) -> dt.datetime | None:
    """Where this board's window ends: where the next board's begins (none yet: it is still open)."""
    following = (
        BoardMeeting.objects.filter(host_id=meeting.host_id, held_on__gt=meeting.held_on).order_by("held_on").first()
    )
    return following.covers_from if following is not None else None


# What is on the board ----------------------------------------------------------------------


@dataclass
class BoardItem:
    on: dt.date
    kind: str  # offence, outcome, custody, release, tag_alert, missed_appointment, action_due
    words: str
    link: str
    agency: str = ""

    @property
    def label(self) -> str:
        return ITEM_LABELS.get(self.kind, self.kind)


ITEM_LABELS = {
    "offence": "New offence",
    "outcome": "New outcome",
    "custody": "Into custody",
    "release": "Released",
    "tag_alert": "Tag alert",
    "missed_appointment": "Missed appointment",
    "unrecorded_appointment": "Attendance not recorded",
    "action_due": "Plan action due",
    "action_overdue": "Plan action overdue",
}


@dataclass
class MemberOnBoard:
    membership: Membership
    items: list[BoardItem] = field(default_factory=list)
    entries: list[BoardEntry] = field(default_factory=list)
    link: str = ""


@dataclass
class Board:
    meeting: BoardMeeting
    covers_until: dt.datetime | None
    with_news: list[MemberOnBoard]
    nothing_new: list[MemberOnBoard]

    @property
    def is_open(self) -> bool:
        """Decisions are recorded only on today's board; earlier boards are the record."""
        return self.meeting.held_on == timezone.localdate()


def _members(user: User, meeting: BoardMeeting) -> list[Membership]:
    if meeting.held_on == timezone.localdate():
        return list(cohort(user))
    # An earlier board: everyone who was in the cohort that day, including those since exited.
    return list(
        memberships_visible_to(user)
        .filter(adopted_on__lte=meeting.held_on)
        .filter(Q(status=MembershipStatus.ADOPTED) | Q(ended_on__gte=meeting.held_on))
        .select_related("person", "scheme", "lead_agency", "lead_worker")
    )


def _in(field_name: str, start: dt.datetime, until: dt.datetime | None) -> Q:
    q = Q(**{f"{field_name}__gte": start})
    return q & Q(**{f"{field_name}__lt": until}) if until is not None else q


def _dated_or_late(date_field: str, start: dt.datetime, until: dt.datetime | None) -> Q:
    """A dated event belongs to the board whose window holds its date; one that reached the
    service after its date's board had sat comes to the board sitting when it arrived."""
    local_start = timezone.localtime(start).date()
    on_the_day = Q(**{f"{date_field}__gte": local_start})
    if until is not None:
        on_the_day &= Q(**{f"{date_field}__lt": timezone.localtime(until).date()})
    late = Q(**{f"{date_field}__lt": local_start}) & _in("created_at", start, until)
    return on_the_day | late


def board_items(user: User, meeting: BoardMeeting) -> Board:
    """Each cohort member the user may see, with what is new for them since the last board
    (only what the sharing rules let the user see), newest first; members with nothing new
    come after. The read of the cohort is audited as one read of each person on it."""
    if not can_work_iom(user):
        raise PermissionDenied("Only the IOM partners' officers, supervisors and caseworkers see the board")
    start, until = meeting.covers_from, _covers_until(meeting)
    members = _members(user, meeting)
    by_person: dict[Any, list[Membership]] = {}
    for m in members:
        by_person.setdefault(m.person_id, []).append(m)
    on_board = {m.pk: MemberOnBoard(membership=m, link=member_url(m)) for m in members}
    view = sharing_view(user, Purpose.OFFENDER_MANAGEMENT, today=meeting.held_on)
    people = list(by_person)
    persons = {m.person_id: m.person for m in members}

    def add(person_id: Any, item: BoardItem) -> None:
        for m in by_person.get(person_id, []):
            on_board[m.pk].items.append(item)

    def person_link(person_id: Any) -> str:
        return reverse("people:detail", kwargs={"person_id": person_id}) + "#timeline"

    offences = Offence.objects.filter(person_id__in=people).filter(_in("created_at", start, until))
    for o in offences.select_related("agency"):
        if view.can_see(Category.OFFENDING_HISTORY, o.agency_id, persons[o.person_id]):
            add(
                o.person_id,
                BoardItem(
                    o.offence_date,
                    "offence",
                    f"{offence_description(o.offence_code)} on {o.offence_date:%-d %B %Y}"
                    + (f", {o.area}" if o.area else "")
                    + f" ({o.reference})",
                    person_link(o.person_id),
                    o.agency.name,
                ),
            )
    outcome_labels = dict(Outcome.choices)
    outcomes = OffenceOutcome.objects.filter(offence__person_id__in=people).filter(_in("created_at", start, until))
    for r in outcomes.select_related("agency", "offence"):
        person_id = r.offence.person_id
        if view.can_see(Category.OUTCOMES, r.agency_id, persons[person_id]):
            add(
                person_id,
                BoardItem(
                    r.outcome_date,
                    "outcome",
                    f"{outcome_labels.get(r.outcome, r.outcome)} for "
                    f"{offence_description(r.offence.offence_code).lower()} ({r.offence.reference})",
                    person_link(person_id),
                    r.agency.name,
                ),
            )
    custody = CustodyPeriod.objects.filter(person_id__in=people).select_related("agency", "offence")
    for c in custody.filter(_dated_or_late("sentence_date", start, until)):
        if view.can_see(Category.OUTCOMES, c.agency_id, persons[c.person_id]):
            add(
                c.person_id,
                BoardItem(
                    c.sentence_date,
                    "custody",
                    f"Sentenced to custody for {offence_description(c.offence.offence_code).lower()}",
                    person_link(c.person_id),
                    c.agency.name,
                ),
            )
    for c in custody.filter(release_date__isnull=False).filter(_dated_or_late("release_date", start, until)):
        if view.can_see(Category.OUTCOMES, c.agency_id, persons[c.person_id]):
            add(
                c.person_id,
                BoardItem(
                    c.release_date,
                    "release",
                    f"Released from custody after {(c.release_date - c.sentence_date).days} days",
                    person_link(c.person_id),
                    c.agency.name,
                ),
            )
    alerts = TagEvent.objects.filter(period__person_id__in=people, is_alert=True).filter(
        _in("occurred_at", start, until)
    )
    for e in alerts.select_related("period", "period__agency"):
        person_id = e.period.person_id
        if view.can_see(TAG_CATEGORY, e.period.agency_id, persons[person_id]):
            at = timezone.localtime(e.occurred_at)
            add(
                person_id,
                BoardItem(
                    at.date(),
                    "tag_alert",
                    f"{e.get_kind_display()} at {at:%H:%M}" + (f": {e.detail}" if e.detail else ""),
                    next(member_url(m) for m in by_person[person_id]),
                    e.period.agency.name,
                ),
            )
    now = timezone.now() if until is None else until
    member_ids = list(on_board)
    missed = Appointment.objects.filter(membership_id__in=member_ids).filter(
        (Q(attended=False) & (_in("due_at", start, until) | _in("updated_at", start, until)))
        | (Q(attended__isnull=True, due_at__lt=now) & _in("due_at", start, until))
    )
    for a in missed.select_related("agency"):
        due = timezone.localtime(a.due_at)
        kind = "missed_appointment" if a.attended is False else "unrecorded_appointment"
        on_board[a.membership_id].items.append(
            BoardItem(
                due.date(),
                kind,
                f"{a.what} with {a.agency.name} at {due:%H:%M} on {due:%-d %B}",
                reverse("iom:appointments", kwargs={"membership_id": a.membership_id}),
                a.agency.name,
            )
        )
    # The board chases plan actions every day they are due or overdue, not only when new.
    due_by = meeting.held_on + ACTIONS_DUE_WITHIN
    actions = PlanAction.objects.filter(membership_id__in=member_ids, due_on__lte=due_by).filter(
        Q(status=ActionStatus.OPEN) | Q(finished_on__gt=meeting.held_on)
    )
    if until is not None:
        actions = actions.filter(created_at__lt=until)
    for p in actions.select_related("owner_agency"):
        overdue = p.due_on < meeting.held_on
        owner = p.owner_name or p.owner_agency.name
        on_board[p.membership_id].items.append(
            BoardItem(
                p.due_on,
                "action_overdue" if overdue else "action_due",
                f"{p.get_pathway_display()}: {p.action} ({owner}, due {p.due_on:%-d %B})",
                on_board[p.membership_id].link,
                p.owner_agency.name,
            )
        )
    entries = BoardEntry.objects.filter(meeting=meeting, membership_id__in=member_ids).select_related("by")
    for entry in entries:
        on_board[entry.membership_id].entries.append(entry)
    for member in on_board.values():
        member.items.sort(key=lambda i: (i.on, i.kind), reverse=True)

    def rank(member: MemberOnBoard) -> tuple[Any, ...]:
        m = member.membership
        return (TIER_ORDER.get(m.tier, 9), m.person.surname, m.person.given_name, m.scheme.name)

    ordered = sorted(on_board.values(), key=rank)
    for person_id in people:
        audit_record(
            user=user,
            action=AuditEvent.Action.READ,
            object_type="person",
            object_id=str(person_id),
            purpose=Purpose.OFFENDER_MANAGEMENT,
            detail={"iom_board": str(meeting.pk)},
        )
    return Board(
        meeting=meeting,
        covers_until=until,
        with_news=[m for m in ordered if m.items],
        nothing_new=[m for m in ordered if not m.items],
    )


# Decisions -----------------------------------------------------------------------------------


@transaction.atomic
def board_record(
    *, by: User, meeting: BoardMeeting, membership: Membership, decision: str, partner_actions: str
) -> BoardEntry:
    """The board's decision about one member and the partner actions agreed. Only today's
    board of the user's own agency takes decisions; an earlier board is the record."""
    membership = _require_member(by, membership)
    if meeting.host_id != by.agency_id:
        raise PermissionDenied("Decisions are recorded on your own agency's board")
    if meeting.held_on != timezone.localdate():
        raise ValidationError({"__all__": f"The board of {meeting.held_on:%-d %B %Y} has closed"})
    errors: dict[str, str] = {}
    partner_actions = (partner_actions or "").strip()
    if decision not in BoardDecision.values:
        errors["decision"] = "Choose the board's decision"
    elif decision != BoardDecision.NOTED and not partner_actions:
        errors["partner_actions"] = "Say what each partner will do, and by when"
    if len(partner_actions) > 5000:
        errors["partner_actions"] = "Keep the partner actions under 5,000 characters"
    if errors:
        raise ValidationError(errors)
    entry = BoardEntry.objects.create(
        meeting=meeting, membership=membership, decision=decision, partner_actions=partner_actions, by=by
    )
    _audit(
        by,
        AuditEvent.Action.CREATE,
        "iom_board_entry",
        entry.pk,
        meeting=str(meeting.pk),
        membership=str(membership.pk),
        decision=decision,
    )
    return entry


def recent_entries(membership: Membership, count: int = 5) -> list[BoardEntry]:
    return list(
        BoardEntry.objects.filter(membership=membership)
        .select_related("meeting", "meeting__host", "by")
        .order_by("-meeting__held_on", "-created_at")[:count]
    )


# Appointments --------------------------------------------------------------------------------


@transaction.atomic
def appointment_record(
    *, by: User, membership: Membership, agency: Agency | None, due_at: dt.datetime | None, what: str
) -> Appointment:
    """An appointment the person is to keep with a partner."""
    membership = _require_member(by, membership)
    errors: dict[str, str] = {}
    what = (what or "").strip()
    if not what:
        errors["what"] = "Say what the appointment is, for example 'Drug worker key-work session'"
    elif len(what) > 200:
        errors["what"] = "Describe the appointment in 200 characters or fewer"
    if agency is None:
        errors["agency"] = "Choose the agency the appointment is with"
    if due_at is None:
        errors["due_at"] = "Enter when the appointment is"
    elif timezone.localtime(due_at).date() < membership.adopted_on:
        errors["due_at"] = (
            f"The appointment cannot be before they joined the cohort on {membership.adopted_on:%-d %B %Y}"
        )
    if errors:
        raise ValidationError(errors)
    appointment = Appointment.objects.create(
        membership=membership, agency=agency, due_at=due_at, what=what, recorded_by=by
    )
    _audit(
        by,
        AuditEvent.Action.CREATE,
        "iom_appointment",
        appointment.pk,
        membership=str(membership.pk),
        due_at=due_at.isoformat(),  # type: ignore[union-attr]
    )
    return appointment


@transaction.atomic
def appointment_attendance(*, by: User, appointment: Appointment, attended: bool) -> Appointment:
    """Whether they kept the appointment; a correction is kept in the audit trail."""
    _require_member(by, appointment.membership)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.due_at > timezone.now():
        raise ValidationError({"__all__": "Attendance is recorded once the appointment's time has come"})
    before = appointment.attended
    appointment.attended = bool(attended)
    # `recorded_by` stays whoever booked it; who recorded attendance is in the audit trail.
    appointment.save(update_fields=["attended", "updated_at"])
    _audit(by, AuditEvent.Action.UPDATE, "iom_appointment", appointment.pk, attended_from=before, attended_to=attended)
    return appointment


def appointments_for(membership: Membership) -> dict[str, list[Appointment]]:
    """The member's appointments: coming up (soonest first), missed, and the rest of the past."""
    now = timezone.now()
    every = list(Appointment.objects.filter(membership=membership).select_related("agency", "recorded_by"))
    return {
        "upcoming": sorted((a for a in every if a.due_at >= now), key=lambda a: a.due_at),
        "to_record": [a for a in every if a.due_at < now and a.attended is None],
        "missed": [a for a in every if a.attended is False],
        "past": [a for a in every if a.due_at < now],
    }
