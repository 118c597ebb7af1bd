import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.restorative import cases, meetings
from pathways.restorative.models import Meeting, Task
from pathways.restorative.reference import (
    ActionStatus,
    CaseStatus,
    ClosureReason,
    Intervention,
    MeetingStatus,
    ParticipantRole,
    TaskKind,
    TaskStatus,
)
from pathways.restorative.testing import create_case
from pathways.testing import signed_in_client

MONDAY = 0


def next_weekday(weekday: int) -> dt.date:
    today = timezone.localdate() + dt.timedelta(days=1)
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def case(officer, rj_service, coordinator, known_offender):
    made = create_case(by=officer, service=rj_service, offender=known_offender)
    return cases.case_move(made, CaseStatus.PREPARATION)


@pytest.fixture
def venue(coordinator, police):
    return meetings.venue_save(
        by=coordinator,
        data=meetings.VenueInput(
            lent_by=police, name="Eastside Community Centre", address="1 High St", available_days=[MONDAY]
        ),
    )


def prepare_everyone(case, by, ready=True):
    for party in case.parties.all():
        meetings.preparation_record(
            case=case, by=by, party=party, held_on=timezone.localdate(), ready=ready, notes="" if ready else "Not yet"
        )


def conference(venue, day=None, start=10, end=12, **extra):
    day = day or next_weekday(MONDAY)
    return meetings.MeetingInput(
        intervention=Intervention.CONFERENCE, starts_at=at(day, start), ends_at=at(day, end), venue=venue, **extra
    )


def held_conference(case, coordinator, venue):
    prepare_everyone(case, coordinator)
    meeting = meetings.meeting_arrange(case=case, by=coordinator, data=conference(venue))
    # Held on the day it was arranged for: written straight, as the day is in the future.
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(hours=2))
    meeting.refresh_from_db()
    return meetings.meeting_hold(
        meeting=meeting, by=coordinator, held_on=timezone.localdate(), attended=list(meeting.participants.all())
    )


# --- Venues ---------------------------------------------------------------------------


def test_a_venue_needs_a_day_it_can_be_used(coordinator, police):
    with pytest.raises(ValidationError) as error:
        meetings.venue_save(
            by=coordinator, data=meetings.VenueInput(lent_by=police, name="Hall", address="1 St", available_days=[])
        )
    assert "at least one day" in str(error.value)


def test_only_coordinators_keep_venues(facilitator_user, police):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        meetings.venue_save(
            by=facilitator_user, data=meetings.VenueInput(lent_by=police, name="H", address="A", available_days=[0])
        )


# --- Preparation and arranging ---------------------------------------------------------


def test_a_meeting_waits_until_every_party_is_prepared_and_ready(case, coordinator, venue):
    with pytest.raises(ValidationError) as error:
        meetings.meeting_arrange(case=case, by=coordinator, data=conference(venue))
    assert "preparation meeting" in str(error.value)
    prepare_everyone(case, coordinator, ready=False)
    with pytest.raises(ValidationError):
        meetings.meeting_arrange(case=case, by=coordinator, data=conference(venue))
    prepare_everyone(case, coordinator)
    meeting = meetings.meeting_arrange(case=case, by=coordinator, data=conference(venue))
    case.refresh_from_db()
    assert case.intervention == Intervention.CONFERENCE
    assert {p.role for p in meeting.participants.all()} == {ParticipantRole.VICTIM, ParticipantRole.OFFENDER}


def test_preparation_is_only_recorded_once_the_case_is_being_prepared(officer, rj_service, coordinator):
    early = create_case(by=officer, service=rj_service)
    with pytest.raises(ValidationError):
        meetings.preparation_record(
            case=early, by=coordinator, party=early.parties.first(), held_on=timezone.localdate(), ready=True
        )


def test_a_panel_is_arranged_elsewhere(case, coordinator):
    prepare_everyone(case, coordinator)
    with pytest.raises(ValidationError) as error:
        meetings.meeting_arrange(
            case=case,
            by=coordinator,
            data=meetings.MeetingInput(intervention=Intervention.PANEL, starts_at=at(next_weekday(0), 10)),
        )
    assert "panel pages" in str(error.value)


def test_a_conference_is_only_booked_on_the_days_the_venue_is_lent(case, coordinator, venue):
    prepare_everyone(case, coordinator)
    with pytest.raises(ValidationError) as error:
        meetings.meeting_arrange(case=case, by=coordinator, data=conference(venue, day=next_weekday(2)))
    assert "not available on a Wednesday" in str(error.value)


def test_a_venue_is_not_booked_twice_at_once(case, coordinator, venue, officer, rj_service, known_offender):
    prepare_everyone(case, coordinator)
    meetings.meeting_arrange(case=case, by=coordinator, data=conference(venue, start=10, end=12))
    other = cases.case_move(create_case(by=officer, service=rj_service, offender=known_offender), "preparation")
    prepare_everyone(other, coordinator)
    with pytest.raises(ValidationError) as error:
        meetings.meeting_arrange(case=other, by=coordinator, data=conference(venue, start=11, end=13))
    assert "already booked" in str(error.value)
    # Back to back is fine.
    assert meetings.meeting_arrange(case=other, by=coordinator, data=conference(venue, start=12, end=13))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.tuples(st.integers(8, 19), st.integers(1, 4)),
    second=st.tuples(st.integers(8, 19), st.integers(1, 4)),
)
def test_a_clash_is_exactly_an_overlap_of_times(case, venue, first, second):
    """Property: a second booking of a venue is refused exactly when its times overlap the first."""
    (start_a, hours_a), (start_b, hours_b) = first, second
    day = next_weekday(MONDAY)
    a = (at(day, start_a), at(day, start_a) + dt.timedelta(hours=hours_a))
    b = (at(day, start_b), at(day, start_b) + dt.timedelta(hours=hours_b))
    booked = Meeting.objects.create(case=case, intervention="conference", starts_at=a[0], ends_at=a[1], venue=venue)
    try:
        problems = meetings._venue_problems(venue, b[0], b[1], case)
    finally:
        booked.delete()
    assert bool(problems) == (b[0] < a[1] and a[0] < b[1])


def test_access_needs_at_a_venue_without_step_free_access_need_a_confirmation(case, coordinator, venue):
    prepare_everyone(case, coordinator)
    case.parties.filter(role="victim").update(needs="Uses a wheelchair")
    with pytest.raises(ValidationError) as error:
        meetings.meeting_arrange(case=case, by=coordinator, data=conference(venue))
    assert "access_needs_met" in error.value.message_dict
    meeting = meetings.meeting_arrange(case=case, by=coordinator, data=conference(venue, access_needs_met=True))
    assert AuditEvent.objects.filter(object_id=str(meeting.pk), detail__access_needs_confirmed=True).exists()


def test_a_shuttle_needs_no_venue(case, coordinator):
    prepare_everyone(case, coordinator)
    meeting = meetings.meeting_arrange(
        case=case,
        by=coordinator,
        data=meetings.MeetingInput(intervention=Intervention.SHUTTLE, starts_at=at(next_weekday(3), 9)),
    )
    assert meeting.venue is None


def test_a_conference_without_the_victim_is_postponed_not_held(case, coordinator, venue):
    prepare_everyone(case, coordinator)
    meeting = meetings.meeting_arrange(case=case, by=coordinator, data=conference(venue))
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(hours=2))
    meeting.refresh_from_db()
    offender_only = list(meeting.participants.filter(role="offender"))
    with pytest.raises(ValidationError) as error:
        meetings.meeting_hold(meeting=meeting, by=coordinator, held_on=timezone.localdate(), attended=offender_only)
    assert "postponed" in str(error.value)
    meetings.meeting_call_off(meeting=meeting, by=coordinator, status=MeetingStatus.POSTPONED, reason="Victim unwell")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.POSTPONED


# --- The agreement and follow-up ------------------------------------------------------


def test_no_agreement_before_the_meeting_is_held(case, coordinator):
    with pytest.raises(ValidationError) as error:
        meetings.agreement_make(
            case=case,
            by=coordinator,
            actions=[cases.AgreedAction("Apology letter", "Offender", timezone.localdate())],
        )
    assert "held" in str(error.value)


def test_finishing_every_action_moves_the_case_to_follow_up_with_its_tasks(case, coordinator, venue):
    held_conference(case, coordinator, venue)
    due = timezone.localdate() + dt.timedelta(days=7)
    agreement = meetings.agreement_make(
        case=case,
        by=coordinator,
        actions=[cases.AgreedAction("Apology letter", "Offender", due), cases.AgreedAction("Repair fence", "Him", due)],
    )
    first, second = agreement.actions.all()
    meetings.agreement_action_finish(action=first, by=coordinator, done=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.AGREEMENT
    with pytest.raises(ValidationError):
        meetings.agreement_action_finish(action=second, by=coordinator, done=False)  # no reason given
    meetings.agreement_action_finish(action=second, by=coordinator, done=False, note="Fence replaced by landlord")
    case.refresh_from_db()
    agreement.refresh_from_db()
    assert case.status == CaseStatus.FOLLOW_UP
    assert agreement.completed_on == timezone.localdate()
    assert second.__class__.objects.get(pk=second.pk).status == ActionStatus.NOT_DONE
    follow_ups = Task.objects.filter(case=case, kind=TaskKind.FOLLOW_UP)
    assert {t.party_id for t in follow_ups} == set(case.parties.values_list("pk", flat=True))
    assert all(t.due_on == timezone.localdate() + dt.timedelta(weeks=4) for t in follow_ups)
    assert Task.objects.filter(case=case, kind=TaskKind.SURVEY, status=TaskStatus.OPEN).count() == 1


def test_a_letter_needs_no_agreement_and_the_case_completes_after_follow_up(case, coordinator):
    prepare_everyone(case, coordinator)
    meeting = meetings.meeting_arrange(
        case=case,
        by=coordinator,
        data=meetings.MeetingInput(intervention=Intervention.LETTER, starts_at=timezone.now() - dt.timedelta(days=1)),
    )
    meetings.meeting_hold(meeting=meeting, by=coordinator, held_on=timezone.localdate(), attended=[])
    meetings.no_agreement_needed(case=case, by=coordinator, reason="Letter read; nothing more wanted")
    case.refresh_from_db()
    assert case.status == CaseStatus.FOLLOW_UP
    with pytest.raises(ValidationError):
        meetings.case_complete(case=case, by=coordinator)
    for task in Task.objects.filter(case=case, kind=TaskKind.FOLLOW_UP):
        meetings.follow_up_record(task=task, by=coordinator, method="phone", note="Doing well")
    meetings.case_complete(case=case, by=coordinator)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closure_reason == ClosureReason.COMPLETED
    assert not Task.objects.filter(case=case, status=TaskStatus.OPEN).exists()


# --- Pages ----------------------------------------------------------------------------


def test_venue_pages(coordinator, police, venue):
    client = signed_in_client(coordinator)
    assert "Eastside Community Centre" in client.get("/restorative/venues/").content.decode()
    assert client.get("/restorative/venues/new/").status_code == 200
    assert client.post("/restorative/venues/new/", {"name": ""}).status_code == 400
    response = client.post(
        f"/restorative/venues/{venue.pk}/",
        {
            "name": "Eastside Centre",
            "lent_by": police.pk,
            "address": "1 High St",
            "available_days": ["0", "2"],
            "step_free": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302
    venue.refresh_from_db()
    assert venue.available_days == [0, 2] and venue.step_free


def test_preparation_and_meeting_pages(case, coordinator, venue):
    client = signed_in_client(coordinator)
    url = f"/restorative/cases/{case.pk}/preparation/"
    assert client.get(url).status_code == 200
    for party in case.parties.all():
        response = client.post(url, {"party": party.pk, "held_on": timezone.localdate().isoformat(), "ready": "yes"})
        assert response.status_code == 302
    new = f"/restorative/cases/{case.pk}/meetings/new/"
    assert client.get(new).status_code == 200
    panel = client.post(new, {"intervention": "panel", "date": next_weekday(0).isoformat(), "starts": "10:00"})
    assert panel.status_code == 400 and "panel pages" in panel.content.decode()
    victim = case.parties.get(role="victim")
    response = client.post(
        new,
        {
            "intervention": "conference",
            "venue": venue.pk,
            "date": next_weekday(0).isoformat(),
            "starts": "10:00",
            "ends": "12:00",
            "supporter_1": "Sam Shah",
            "supporter_1_supports": victim.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()
    meeting = case.meetings.get()
    assert meeting.participants.filter(role="supporter", supporting=victim).exists()
    page = client.get(f"/restorative/cases/{case.pk}/meetings/{meeting.pk}/")
    assert "Sam Shah" in page.content.decode()
    response = client.post(
        f"/restorative/cases/{case.pk}/meetings/{meeting.pk}/", {"do": "call_off", "status": "cancelled", "reason": "x"}
    )
    assert response.status_code == 302
    assert "Cancelled" in client.get(f"/restorative/cases/{case.pk}/").content.decode()


def test_agreement_and_follow_up_pages(case, coordinator, venue):
    meeting = held_conference(case, coordinator, venue)
    client = signed_in_client(coordinator)
    url = f"/restorative/cases/{case.pk}/agreement/"
    assert client.get(url).status_code == 200
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    assert client.post(url, {"do": "agree", "action_1": "Apology"}).status_code == 400
    response = client.post(url, {"do": "agree", "action_1": "Apology", "action_1_owner": "Him", "action_1_due": due})
    assert response.status_code == 302
    action = case.agreement.actions.get()
    action_url = f"/restorative/cases/{case.pk}/agreement/{action.pk}/"
    assert client.get(action_url).status_code == 200
    assert client.post(action_url, {"done": "yes"}).status_code == 302
    follow = f"/restorative/cases/{case.pk}/follow-up/"
    assert client.post(follow, {"do": "complete"}).status_code == 400
    for task in Task.objects.filter(case=case, kind=TaskKind.FOLLOW_UP):
        response = client.post(follow, {"do": "contact", "task": task.pk, "method": "phone", "note": "Well"})
        assert response.status_code == 302
    assert client.post(follow, {"do": "complete"}).status_code == 302
    case.refresh_from_db()
    assert case.closure_reason == ClosureReason.COMPLETED
    assert meeting.status == MeetingStatus.HELD
