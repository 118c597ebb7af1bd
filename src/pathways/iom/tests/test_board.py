"""The daily review board: what comes to it, who sees what, the decisions it records and
where they show; appointments and their attendance."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import sharing_view
from pathways.iom import board, cohort
from pathways.iom.models import Appointment, BoardEntry, BoardMeeting, TagEvent, TagPeriod
from pathways.iom.reference import BoardDecision, TagBasis, TagEventKind, TagType
from pathways.iom.testing import create_membership, create_offender
from pathways.offending.models import Offence, OffenceOutcome
from pathways.people.selectors import person_record
from pathways.sharing.reference import Purpose
from pathways.testing import load, signed_in_client

TODAY = timezone.localdate


def _at(days_ago: int, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(TODAY() - dt.timedelta(days=days_ago), dt.time(hour, 0)))


def _kinds(found: board.Board, membership: Any) -> list[str]:
    for member in found.with_news + found.nothing_new:
        if member.membership.pk == membership.pk:
            return [item.kind for item in member.items]
    raise AssertionError(f"{membership} is not on the board")


def _words(found: board.Board) -> str:
    return " ".join(item.words for member in found.with_news for item in member.items)


@pytest.fixture
def member(iom_supervisor: Any, prolific_offender: Any, ppo_scheme: Any) -> Any:
    """Kyle Barnes, in the PPO cohort for a month, his history loaded long before any board."""
    membership = create_membership(
        by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme, on=TODAY() - dt.timedelta(days=30)
    )
    Offence.objects.filter(person=prolific_offender).update(created_at=_at(40))
    OffenceOutcome.objects.filter(offence__person=prolific_offender).update(created_at=_at(40))
    return membership


def _new_offence(police: Any, police_admin: Any, reference: str, days_ago: int = 1) -> Offence:
    load(
        "offences",
        [
            {
                "offence_id": reference,
                "person_id": "K1",
                "offence_date": (TODAY() - dt.timedelta(days=days_ago)).isoformat(),
                "offence_code": "28E",
                "offence_group": "theft",
            }
        ],
        agency=police,
        by=police_admin,
    )
    return Offence.objects.get(reference=reference)


def test_a_new_offence_comes_to_the_next_board_and_not_the_one_after(
    iom_supervisor: Any, police: Any, police_admin: Any, member: Any
) -> None:
    earlier = BoardMeeting.objects.create(
        held_on=TODAY() - dt.timedelta(days=3), host=police, chair=iom_supervisor, covers_from=_at(6), opened_at=_at(3)
    )
    offence = _new_offence(police, police_admin, "K1-BURGLARY", days_ago=5)
    # Loaded the day after that board sat, about an offence from before it: it still comes to the next.
    Offence.objects.filter(pk=offence.pk).update(created_at=_at(2, hour=12))

    yesterday = board.board_open(iom_supervisor, on=TODAY() - dt.timedelta(days=1))
    assert yesterday.covers_from == earlier.opened_at
    assert _kinds(board.board_items(iom_supervisor, yesterday), member) == ["offence"]
    assert "K1-BURGLARY" in _words(board.board_items(iom_supervisor, yesterday))
    assert "K1-BURGLARY" not in _words(board.board_items(iom_supervisor, earlier))

    today = board.board_open(iom_supervisor)
    assert today.covers_from == yesterday.opened_at
    found = board.board_items(iom_supervisor, today)
    assert "K1-BURGLARY" not in _words(found)
    assert [m.membership for m in found.nothing_new] == [member]
    # Yesterday's board, now closed, still shows what it covered.
    assert "K1-BURGLARY" in _words(board.board_items(iom_supervisor, yesterday))


def test_a_tag_alert_and_a_missed_appointment_come_to_the_board(
    iom_supervisor: Any, police: Any, prolific_offender: Any, member: Any
) -> None:
    period = TagPeriod.objects.create(
        person=prolific_offender,
        agency=police,
        supplier="Electronic Monitoring Service",
        tag_reference="EMS-1",
        tag_type=TagType.GPS,
        basis=TagBasis.CONDITION,
        fitted_on=TODAY() - dt.timedelta(days=20),
    )
    TagEvent.objects.create(
        period=period,
        event_reference="E1",
        occurred_at=timezone.now() - dt.timedelta(hours=5),
        kind=TagEventKind.EXCLUSION_ZONE,
        is_alert=True,
        detail="Broadmead shopping centre",
    )
    TagEvent.objects.create(
        period=period,
        event_reference="E2",
        occurred_at=timezone.now() - dt.timedelta(hours=4),
        kind=TagEventKind.COMPLIANT_DAY,
        is_alert=False,
    )
    TagEvent.objects.create(  # before this board's window: an earlier board's business
        period=period,
        event_reference="E0",
        occurred_at=timezone.now() - dt.timedelta(days=5),
        kind=TagEventKind.CURFEW_BREACH,
        is_alert=True,
    )
    missed = board.appointment_record(
        by=iom_supervisor,
        membership=member,
        agency=police,
        due_at=timezone.now() - dt.timedelta(hours=3),
        what="Drug worker key-work session",
    )
    board.appointment_attendance(by=iom_supervisor, appointment=missed, attended=False)
    board.appointment_record(
        by=iom_supervisor,
        membership=member,
        agency=police,
        due_at=timezone.now() + dt.timedelta(days=2),
        what="Probation supervision",
    )

    found = board.board_items(iom_supervisor, board.board_open(iom_supervisor))
    assert sorted(_kinds(found, member)) == ["missed_appointment", "tag_alert"]
    assert "Entered an exclusion zone" in _words(found) and "Broadmead" in _words(found)
    assert "Drug worker key-work session" in _words(found)
    assert "Curfew breached" not in _words(found)


def test_attendance_cannot_be_recorded_before_the_appointment(iom_supervisor: Any, police: Any, member: Any) -> None:
    coming = board.appointment_record(
        by=iom_supervisor,
        membership=member,
        agency=police,
        due_at=timezone.now() + dt.timedelta(days=1),
        what="Housing viewing",
    )
    with pytest.raises(ValidationError, match="time has come"):
        board.appointment_attendance(by=iom_supervisor, appointment=coming, attended=False)
    with pytest.raises(ValidationError) as error:
        board.appointment_record(by=iom_supervisor, membership=member, agency=None, due_at=None, what=" ")
    assert set(error.value.message_dict) == {"what", "agency", "due_at"}
    assert Appointment.objects.count() == 1


def test_a_member_the_user_may_not_see_never_appears(
    iom_supervisor: Any, police: Any, police_admin: Any, housing: Any, housing_worker: Any, ppo_scheme: Any, member: Any
) -> None:
    hidden = create_offender(
        agency=police,
        by=police_admin,
        reference="J2",
        given_name="Jordan",
        surname="Pike",
        offences=[(90, "28E", "theft"), (150, "46", "theft"), (300, "46", "theft")],
    )
    create_membership(by=iom_supervisor, person=hidden, scheme=ppo_scheme)
    AgencyRecord.objects.create(
        agency=housing, person=member.person, basis=AgencyRecord.Basis.SHARED, reason="IOM housing support"
    )
    _new_offence(police, police_admin, "K1-NEW")

    found = board.board_items(housing_worker, board.board_open(housing_worker))
    on_board = [m.membership.person for m in found.with_news + found.nothing_new]
    assert on_board == [member.person]
    # No agreement shares the police's offending history with housing: the new offence stays off their board.
    assert "K1-NEW" not in _words(found)

    page = signed_in_client(housing_worker).get(reverse("iom:board")).content.decode()
    assert "Kyle Barnes" in page and "Pike" not in page

    police_board = board.board_items(iom_supervisor, board.board_open(iom_supervisor))
    assert "K1-NEW" in _words(police_board)
    assert {m.membership.person.surname for m in police_board.with_news + police_board.nothing_new} == {
        "Barnes",
        "Pike",
    }


def test_a_decision_goes_on_the_persons_timeline(
    iom_supervisor: Any, police_admin: Any, prolific_offender: Any, member: Any
) -> None:
    meeting = board.board_open(iom_supervisor)
    board.board_record(
        by=iom_supervisor,
        meeting=meeting,
        membership=member,
        decision=BoardDecision.INCREASE_CONTACT,
        partner_actions="Police: daily curfew checks for a week. Probation: bring supervision forward to Thursday.",
    )
    cohort.tier_change(by=iom_supervisor, membership=member, tier="medium", reason="Stable housing, no offending")

    timeline = person_record(
        person=prolific_offender, view=sharing_view(iom_supervisor, Purpose.OFFENDER_MANAGEMENT)
    ).timeline
    iom = {e.kind: e for e in timeline if e.kind.startswith("iom_")}
    assert set(iom) == {"iom_adopted", "iom_board", "iom_tier"}
    assert iom["iom_board"].title == "Daily review board: more contact"
    assert "daily curfew checks" in iom["iom_board"].description
    assert iom["iom_tier"].title.endswith("from high (red) to medium (amber)")

    page = signed_in_client(iom_supervisor).get(reverse("people:detail", args=[prolific_offender.pk]))
    assert "Daily review board: more contact" in page.content.decode()

    # An administrator does not work IOM: the person's page shows them no IOM entries.
    hidden = person_record(person=prolific_offender, view=sharing_view(police_admin, Purpose.DATA_PROTECTION))
    assert not [e for e in hidden.timeline if e.kind.startswith("iom_")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(decision=st.sampled_from(BoardDecision.values), actions=st.sampled_from(["", "  ", "\n", "Refer to DIP"]))
def test_partner_actions_are_required_unless_the_board_only_notes(
    iom_supervisor: Any, member: Any, decision: str, actions: str
) -> None:
    meeting = board.board_open(iom_supervisor)
    before = BoardEntry.objects.count()
    if decision != BoardDecision.NOTED and not actions.strip():
        with pytest.raises(ValidationError) as error:
            board.board_record(
                by=iom_supervisor, meeting=meeting, membership=member, decision=decision, partner_actions=actions
            )
        assert "partner_actions" in error.value.message_dict
        assert BoardEntry.objects.count() == before
    else:
        entry = board.board_record(
            by=iom_supervisor, meeting=meeting, membership=member, decision=decision, partner_actions=actions
        )
        assert entry.partner_actions == actions.strip() and BoardEntry.objects.count() == before + 1


def test_one_board_a_day_covering_from_the_last(iom_supervisor: Any, police: Any, member: Any) -> None:
    first = board.board_open(iom_supervisor)
    assert first.covers_from == first.opened_at - dt.timedelta(hours=72)
    again = board.board_open(iom_supervisor)
    assert again.pk == first.pk and BoardMeeting.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="iom_board_meeting", action="create").count() == 1

    # The next day's board (pretend today's was held yesterday) covers from when it opened.
    BoardMeeting.objects.filter(pk=first.pk).update(held_on=TODAY() - dt.timedelta(days=1), opened_at=_at(1))
    following = board.board_open(iom_supervisor)
    assert following.pk != first.pk and following.covers_from == _at(1)


def test_decisions_are_refused_for_a_member_who_has_left_and_on_a_closed_board(
    iom_supervisor: Any, police: Any, probation_caseworker: Any, member: Any
) -> None:
    yesterday = board.board_open(iom_supervisor, on=TODAY() - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="has closed"):
        board.board_record(
            by=iom_supervisor, meeting=yesterday, membership=member, decision=BoardDecision.NOTED, partner_actions=""
        )
    today = board.board_open(iom_supervisor)
    with pytest.raises(PermissionDenied):  # probation cannot see Kyle, nor write on the police's board
        board.board_record(
            by=probation_caseworker, meeting=today, membership=member, decision=BoardDecision.NOTED, partner_actions=""
        )
    cohort.deselect(by=iom_supervisor, membership=member, reason="Twelve months with no proven offending")
    with pytest.raises(ValidationError, match="left the"):
        board.board_record(
            by=iom_supervisor, meeting=today, membership=member, decision=BoardDecision.NOTED, partner_actions=""
        )
    with pytest.raises(ValidationError, match="left the"):
        board.appointment_record(
            by=iom_supervisor, membership=member, agency=police, due_at=timezone.now(), what="Exit interview"
        )
    assert not BoardEntry.objects.exists()


def test_plan_actions_due_soon_or_overdue_are_chased(iom_supervisor: Any, police: Any, member: Any) -> None:
    from pathways.iom.models import PlanAction
    from pathways.iom.reference import ActionStatus, Pathway

    def action(text: str, due_in: int, status: str = ActionStatus.OPEN) -> None:
        PlanAction.objects.create(
            membership=member,
            pathway=Pathway.ACCOMMODATION,
            action=text,
            owner_agency=police,
            due_on=TODAY() + dt.timedelta(days=due_in),
            status=status,
            created_by=iom_supervisor,
        )

    action("Housing register application", -3)
    action("Bank account opened", 2)
    action("CV workshop", 9)
    action("ID documents", -5, ActionStatus.DONE)
    found = board.board_items(iom_supervisor, board.board_open(iom_supervisor))
    assert sorted(_kinds(found, member)) == ["action_due", "action_overdue"]
    assert "Housing register application" in _words(found) and "CV workshop" not in _words(found)


def test_the_board_page_opens_on_request_and_records_decisions(
    iom_supervisor: Any, police: Any, police_admin: Any, member: Any
) -> None:
    client = signed_in_client(iom_supervisor)
    closed = client.get(reverse("iom:board"))
    assert closed.status_code == 200 and "Open today's board" in closed.content.decode()
    assert not BoardMeeting.objects.exists(), "looking at the page must not open the board"

    _new_offence(police, police_admin, "K1-PAGE")
    assert client.post(reverse("iom:board"), {"open": "1"}).status_code == 302
    page = client.get(reverse("iom:board")).content.decode()
    assert "K1-PAGE" in page and "Kyle Barnes" in page

    prefix = f"m{str(member.pk)[:8]}"
    refused = client.post(
        reverse("iom:board"), {"membership": member.pk, f"{prefix}-decision": BoardDecision.ENFORCEMENT}
    )
    assert refused.status_code == 400
    assert "Say what each partner will do, and by when" in refused.content.decode()
    assert "There is a problem" in refused.content.decode()

    done = client.post(
        reverse("iom:board"),
        {
            "membership": member.pk,
            f"{prefix}-decision": BoardDecision.ENFORCEMENT,
            f"{prefix}-partner_actions": "Probation to consider recall today",
        },
    )
    assert done.status_code == 302 and done["Location"].endswith(f"#member-{member.pk}")
    assert "Probation to consider recall today" in client.get(reverse("iom:board")).content.decode()

    # The next day, this board is read-only.
    BoardMeeting.objects.update(held_on=TODAY() - dt.timedelta(days=1))
    past = client.get(reverse("iom:board-day", args=[(TODAY() - dt.timedelta(days=1)).isoformat()]))
    assert past.status_code == 200
    text = past.content.decode()
    assert "Probation to consider recall today" in text and "Record the decision" not in text
    assert client.get(reverse("iom:board-day", args=["2020-01-01"])).status_code == 404
    # Today's board is not open yet; yesterday's is listed among the earlier boards.
    today = client.get(reverse("iom:board")).content.decode()
    assert "Open today's board" in today
    assert reverse("iom:board-day", args=[(TODAY() - dt.timedelta(days=1)).isoformat()]) in today


def test_the_appointments_page_books_and_marks_attendance(iom_supervisor: Any, police: Any, member: Any) -> None:
    client = signed_in_client(iom_supervisor)
    url = reverse("iom:appointments", args=[member.pk])
    bad = client.post(url, {"action": "add", "what": "", "agency": police.pk, "due_on": "30/02/2026", "due_time": "9"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Say what the appointment is" in text and "Enter the date like 2026-11-30" in text
    when = timezone.localtime() - dt.timedelta(hours=2)
    ok = client.post(
        url,
        {
            "action": "add",
            "what": "Key-work session",
            "agency": police.pk,
            "due_on": when.date().isoformat(),
            "due_time": when.strftime("%H:%M"),
        },
    )
    assert ok.status_code == 302
    appointment = Appointment.objects.get()
    assert (
        client.post(url, {"action": "attendance", "appointment": appointment.pk, "attended": "no"}).status_code == 302
    )
    appointment.refresh_from_db()
    assert appointment.attended is False
    assert "Missed" in client.get(url).content.decode()


def test_pages_refuse_people_who_do_not_work_iom(police_admin: Any, member: Any) -> None:
    client = signed_in_client(police_admin)
    assert client.get(reverse("iom:board")).status_code == 403
    assert client.get(reverse("iom:appointments", args=[member.pk])).status_code == 403


def test_the_member_page_section_shows_decisions_and_appointments(
    iom_supervisor: Any, police: Any, member: Any, rf: Any
) -> None:
    from django.template import Context, Template

    board.board_record(
        by=iom_supervisor,
        meeting=board.board_open(iom_supervisor),
        membership=member,
        decision=BoardDecision.PARTNER_ACTION,
        partner_actions="Housing to offer a supported tenancy",
    )
    missed = board.appointment_record(
        by=iom_supervisor,
        membership=member,
        agency=police,
        due_at=timezone.now() - dt.timedelta(days=1),
        what="Curfew check",
    )
    board.appointment_attendance(by=iom_supervisor, appointment=missed, attended=False)
    board.appointment_record(
        by=iom_supervisor,
        membership=member,
        agency=police,
        due_at=timezone.now() + dt.timedelta(days=3),
        what="Probation supervision",
    )
    request = rf.get("/")
    request.user = iom_supervisor
    html = Template("{% load iom_board %}{% member_board membership %}").render(
        Context({"request": request, "membership": member})
    )
    assert "Partner action agreed" in html and "supported tenancy" in html
    assert "Probation supervision" in html.split('id="next-appointment"')[1].split("</dd>")[0]
    assert "Curfew check" in html.split('id="missed-appointments"')[1].split("</dd>")[0]
