"""Neighbourhood Justice Panels: the same panel feature as the case-conference panels, run by a
restorative justice service whose trained community volunteers hear its low-level cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.accounts.models import Agency, AgencyKind, Role
from pathways.resolutions import panels, services
from pathways.resolutions.models import Panel, PanelCase
from pathways.resolutions.reference import ActionKind
from pathways.resolutions.testing import create_resolution, due
from pathways.restorative.cases import case_move
from pathways.restorative.models import Agreement, Assessment, Meeting
from pathways.restorative.reference import CaseStatus, CaseType, Intervention, MeetingStatus
from pathways.restorative.testing import create_case
from pathways.testing import signed_in_client

OPTIONS = ["Litter picking", "Clearing wasteland"]


def waiting_case(officer, service, offender=None, status=CaseStatus.ALLOCATION, **extra):  # type: ignore[no-untyped-def]
    """A referral the service has accepted and assessed, now at `status` (set straight: the
    steps before are other parts of the service)."""
    case = create_case(by=officer, service=service, offender=offender, **extra)
    return case_move(case, status)


@pytest.fixture
def njp(coordinator):  # type: ignore[no-untyped-def]
    return panels.panel_create(
        by=coordinator,
        name="Casterbridge Neighbourhood Justice Panel",
        area="Casterbridge",
        restorative_options=OPTIONS,
        members=[
            panels.MemberInput(name="Pat Resident", community_member=True, trained_on=dt.date(2025, 9, 1)),
            panels.MemberInput(
                name="Chris Housing", agency=None, community_member=True, trained_on=dt.date(2025, 9, 1)
            ),
        ],
    )


@pytest.fixture
def yesterday_sitting(njp, coordinator):  # type: ignore[no-untyped-def]
    return panels.sitting_create(
        panel=njp, by=coordinator, sits_on=timezone.localdate() - dt.timedelta(days=1), venue="Library"
    )


def reparation(description: str = "Litter picking", owner: str = "Panel co-ordinator", days: int = 30):  # type: ignore[no-untyped-def]
    return services.ActionInput(
        kind=ActionKind.REPARATION_COMMUNITY, description=description, owner=owner, due_on=due(days)
    )


def in_words(description: str, owner: str = "The offender", days: int = 14):  # type: ignore[no-untyped-def]
    return services.ActionInput(kind=panels.AGREED_ACTION, description=description, owner=owner, due_on=due(days))


# --- Members -----------------------------------------------------------------------------


def test_a_panel_set_up_by_an_rj_service_is_a_neighbourhood_justice_panel(njp, sergeant, rj_service):
    assert njp.kind == Panel.Kind.NEIGHBOURHOOD_JUSTICE and njp.agency == rj_service
    conference = panels.panel_create(
        by=sergeant,
        name="Police panel",
        restorative_options=[],
        members=[panels.MemberInput(name="Pat Resident", community_member=True)],  # no training asked for
    )
    assert conference.kind == Panel.Kind.CASE_CONFERENCE
    event = AuditEvent.objects.get(object_type="resolution_panel", object_id=str(njp.pk))
    assert event.detail["kind"] == Panel.Kind.NEIGHBOURHOOD_JUSTICE
    assert {m["trained_on"] for m in event.detail["members"]} == {"2025-09-01"}


def test_every_community_volunteer_on_a_neighbourhood_justice_panel_is_trained(njp, coordinator, police):
    with pytest.raises(ValidationError) as refused:
        panels.panel_member_add(
            panel=njp, by=coordinator, member=panels.MemberInput(name="Untrained Neighbour", community_member=True)
        )
    assert "panel training" in refused.value.message_dict["trained_on"][0]
    with pytest.raises(ValidationError, match="Untrained Neighbour: Enter the date they completed panel training"):
        panels.panel_create(
            by=coordinator,
            name="Another panel",
            restorative_options=[],
            members=[panels.MemberInput(name="Untrained Neighbour", community_member=True)],
        )
    with pytest.raises(ValidationError, match="future"):
        panels.panel_member_add(
            panel=njp,
            by=coordinator,
            member=panels.MemberInput(name="Keen", community_member=True, trained_on=due(3)),
        )
    # A partner's representative sits without panel training.
    officer_member = panels.panel_member_add(
        panel=njp, by=coordinator, member=panels.MemberInput(name="PC Beat", agency=police, role="Police")
    )
    assert officer_member.trained_on is None
    assert njp.members.count() == 3
    assert not Panel.objects.filter(name="Another panel").exists()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a busy test machine, not a slow rule
@given(
    community=st.booleans(),
    from_agency=st.booleans(),
    trained_days_ago=st.one_of(st.none(), st.integers(min_value=-30, max_value=3650)),
    kind=st.sampled_from(Panel.Kind.values),
)
def test_who_may_sit_on_which_panel(community, from_agency, trained_days_ago, kind):  # type: ignore[no-untyped-def]
    """Property: a member is from an agency or the community (not both); a Neighbourhood Justice
    Panel's community volunteers are trained; no training date is in the future."""
    agency = Agency(code="p", name="Partner", kind=AgencyKind.PROBATION) if from_agency else None
    trained_on = None if trained_days_ago is None else timezone.localdate() - dt.timedelta(days=trained_days_ago)
    member = panels.MemberInput(name="A member", agency=agency, community_member=community, trained_on=trained_on)
    errors = panels._check_member(member, kind)
    allowed = (
        from_agency != community
        and (trained_on is None or trained_on <= timezone.localdate())
        and not (kind == Panel.Kind.NEIGHBOURHOOD_JUSTICE and community and trained_on is None)
    )
    assert (errors == {}) == allowed


# --- Listing -----------------------------------------------------------------------------


def test_a_panel_lists_only_its_own_services_low_level_cases_waiting_for_it(
    njp, yesterday_sitting, coordinator, officer, known_offender, make_user
):
    service = njp.agency
    allocation = waiting_case(officer, service, known_offender)
    preparation = waiting_case(officer, service, known_offender, status=CaseStatus.PREPARATION)
    new_referral = create_case(by=officer, service=service, offender=known_offender)
    complex_case = waiting_case(officer, service, known_offender, case_types=(CaseType.DOMESTIC_ABUSE,))
    assessed_complex = waiting_case(officer, service, known_offender)
    Assessment.objects.create(
        case=assessed_complex,
        assessed_on=timezone.localdate(),
        assessed_by=coordinator,
        ratings={},
        case_types=[CaseType.HATE_CRIME],
        decision="suitable",
    )
    conference = waiting_case(officer, service, known_offender)
    conference.intervention = Intervention.CONFERENCE
    conference.save()
    other = Agency.objects.create(code="other-rj", name="Other RJ", kind=AgencyKind.RJ_SERVICE)
    elsewhere = waiting_case(officer, other, known_offender)

    waiting = panels.rj_waiting_for_panel(user=coordinator)
    assert {c.reference for c in waiting} == {allocation.reference, preparation.reference}

    listed = panels.case_list(sitting=yesterday_sitting, rj_case=allocation, by=coordinator)
    assert listed.rj_case == allocation and listed.resolution is None
    allocation.refresh_from_db()
    assert allocation.intervention == Intervention.PANEL  # still waiting, now for a panel
    assert allocation in panels.rj_waiting_for_panel(user=coordinator)
    with pytest.raises(ValidationError, match="already listed"):
        panels.case_list(sitting=yesterday_sitting, rj_case=allocation, by=coordinator)
    with pytest.raises(ValidationError, match=r"complex case \(domestic abuse\).*low-level cases only"):
        panels.case_list(sitting=yesterday_sitting, rj_case=complex_case, by=coordinator)
    with pytest.raises(ValidationError, match=r"complex case \(hate crime\)"):
        panels.case_list(sitting=yesterday_sitting, rj_case=assessed_complex, by=coordinator)
    with pytest.raises(ValidationError, match="not waiting for a panel"):
        panels.case_list(sitting=yesterday_sitting, rj_case=new_referral, by=coordinator)
    with pytest.raises(ValidationError, match="face-to-face conference, not a panel"):
        panels.case_list(sitting=yesterday_sitting, rj_case=conference, by=coordinator)
    with pytest.raises(PermissionDenied):
        panels.case_list(sitting=yesterday_sitting, rj_case=elsewhere, by=coordinator)
    facilitator = make_user("panel-facilitator", service, Role.FACILITATOR)
    with pytest.raises(PermissionDenied):
        panels.case_list(sitting=yesterday_sitting, rj_case=preparation, by=facilitator)
    assert PanelCase.objects.count() == 1
    assert AuditEvent.objects.get(object_type="resolution_panel_case", object_id=str(listed.pk)).detail["rj_case"] == (
        allocation.reference
    )


def test_a_neighbourhood_justice_panel_hears_no_resolutions_and_a_case_conference_panel_no_rj_cases(
    njp, yesterday_sitting, coordinator, sergeant, officer, known_offender, shoplifter
):
    case = waiting_case(officer, njp.agency, known_offender)
    resolution = create_resolution(officer=officer, person=shoplifter)
    with pytest.raises(ValidationError, match="its service's cases"):
        panels.case_list(sitting=yesterday_sitting, resolution=resolution, by=coordinator)
    conference = panels.panel_create(by=sergeant, name="Police panel", restorative_options=[])
    sitting = panels.sitting_create(panel=conference, by=sergeant, sits_on=due(), venue="Hall")
    with pytest.raises(ValidationError, match="Level 2 resolutions"):
        panels.case_list(sitting=sitting, rj_case=case, by=sergeant)


# --- Hearing -----------------------------------------------------------------------------


def test_a_hearing_makes_the_agreement_and_counts_as_the_panel_held(
    njp, yesterday_sitting, coordinator, officer, known_offender
):
    case = waiting_case(officer, njp.agency, known_offender, status=CaseStatus.PREPARATION)
    listed = panels.case_list(sitting=yesterday_sitting, rj_case=case, by=coordinator)
    with pytest.raises(ValidationError, match="not one of this panel's"):
        panels.case_hear(
            panel_case=listed,
            by=coordinator,
            offender_attended=True,
            victim_attended=False,
            actions=[reparation("Golf")],
        )
    heard = panels.case_hear(
        panel_case=listed,
        by=coordinator,
        offender_attended=True,
        victim_attended=True,
        notes="Apologised to the victim in person",
        actions=[reparation("litter picking"), in_words("Write to the victim's family")],
    )
    assert heard.heard
    case.refresh_from_db()
    assert case.status == CaseStatus.AGREEMENT and case.intervention == Intervention.PANEL
    agreement = Agreement.objects.get(case=case)
    assert agreement.made_on == yesterday_sitting.sits_on
    assert agreement.summary == "Apologised to the victim in person"
    assert sorted(agreement.actions.values_list("description", "owner")) == [
        ("Write to the victim's family", "The offender"),
        ("litter picking", "Panel co-ordinator"),
    ]
    meeting = Meeting.objects.get(case=case)
    assert (meeting.intervention, meeting.status, meeting.held_on, meeting.venue) == (
        Intervention.PANEL,
        MeetingStatus.HELD,
        yesterday_sitting.sits_on,
        None,
    )
    assert meeting.notes == "Neighbourhood Justice Panel: Casterbridge Neighbourhood Justice Panel"
    assert sorted(meeting.participants.values_list("role", "attended")) == [("offender", True), ("victim", True)]
    with pytest.raises(ValidationError, match="already been heard"):
        panels.case_hear(
            panel_case=listed, by=coordinator, offender_attended=True, victim_attended=False, actions=[reparation()]
        )
    assert AuditEvent.objects.filter(object_type="rj_meeting", object_id=str(meeting.pk)).exists()


def test_without_the_offender_the_rj_case_is_adjourned_and_nothing_is_agreed(
    njp, yesterday_sitting, coordinator, officer, known_offender
):
    case = waiting_case(officer, njp.agency, known_offender)
    listed = panels.case_list(sitting=yesterday_sitting, rj_case=case, by=coordinator)
    adjourned = panels.case_hear(
        panel_case=listed, by=coordinator, offender_attended=False, victim_attended=True, notes="Unwell"
    )
    assert not adjourned.heard and adjourned.notes == "Adjourned: the offender did not attend. Unwell"
    case.refresh_from_db()
    assert case.status == CaseStatus.ALLOCATION
    assert not Agreement.objects.exists() and not Meeting.objects.exists()
    assert case in panels.rj_waiting_for_panel(user=coordinator)  # for the next sitting


def test_a_hearing_is_recorded_on_or_after_the_sitting_and_an_action_is_not_due_before_it(
    njp, yesterday_sitting, coordinator, officer, known_offender
):
    case = waiting_case(officer, njp.agency, known_offender)
    later = panels.sitting_create(panel=njp, by=coordinator, sits_on=due(7), venue="Library")
    early = panels.case_list(sitting=later, rj_case=case, by=coordinator)
    with pytest.raises(ValidationError, match="record the hearing on or after that day"):
        panels.case_hear(
            panel_case=early, by=coordinator, offender_attended=True, victim_attended=False, actions=[reparation()]
        )
    listed = panels.case_list(sitting=yesterday_sitting, rj_case=case, by=coordinator)
    with pytest.raises(ValidationError, match="due date is before the agreement"):
        panels.case_hear(
            panel_case=listed,
            by=coordinator,
            offender_attended=True,
            victim_attended=False,
            actions=[in_words("Apology", days=-5)],
        )
    listed.refresh_from_db()
    case.refresh_from_db()
    assert not listed.heard and listed.offender_attended is None
    assert case.status == CaseStatus.ALLOCATION and not Meeting.objects.exists()


# --- Pages -------------------------------------------------------------------------------


def test_a_coordinator_runs_a_panel_through_the_pages(coordinator, officer, known_offender, rj_service):
    low = waiting_case(officer, rj_service, known_offender)
    complex_case = waiting_case(officer, rj_service, known_offender, case_types=(CaseType.SEXUAL_VIOLENCE,))
    client = signed_in_client(coordinator)
    page = client.get(reverse("resolutions:panels")).content.decode()
    assert "Neighbourhood Justice Panels" in page and "1 case waiting for a panel" in page
    made = client.post(reverse("resolutions:panels"), {"name": "Town NJP", "restorative_options": "Litter picking"})
    assert made.status_code == 302
    panel_url = made["Location"]
    detail = client.get(panel_url).content.decode()
    assert "Neighbourhood Justice Panel" in detail and "Date they completed panel training" in detail
    untrained = client.post(
        panel_url, {"form": "member", "member-name": "Pat Resident", "member-community_member": "on"}
    )
    assert untrained.status_code == 400
    assert "only trained volunteers sit on the panel" in untrained.content.decode()
    trained = client.post(
        panel_url,
        {
            "form": "member",
            "member-name": "Pat Resident",
            "member-community_member": "on",
            "member-trained_on": "2025-09-01",
        },
    )
    assert trained.status_code == 302 and "1 September 2025" in client.get(panel_url).content.decode()
    sat = client.post(
        panel_url,
        {"form": "sitting", "sitting-sits_on": str(timezone.localdate()), "sitting-venue": "Library"},
    )
    sitting_url = sat["Location"]
    sitting_page = client.get(sitting_url).content.decode()
    assert low.reference in sitting_page and complex_case.reference not in sitting_page
    assert "Jonathan Smith" in sitting_page
    assert client.post(sitting_url, {"form": "list", "rj_case": complex_case.pk}).status_code == 400
    assert client.post(sitting_url, {"form": "list", "rj_case": low.pk}).status_code == 302
    listed = PanelCase.objects.get(rj_case=low)
    form = client.get(sitting_url, {"case": listed.pk}).content.decode()
    assert "Other action agreed (1)" in form and "Litter picking" in form
    missing_owner = client.post(
        sitting_url,
        {"form": "hear", "case": listed.pk, "offender_attended": "yes", "victim_attended": "no",
         "witnesses_attended": "0", "action_1": "Apologise in writing"},
    )  # fmt: skip
    assert missing_owner.status_code == 400 and "Say who sees action 1 done" in missing_owner.content.decode()
    heard = client.post(
        sitting_url,
        {
            "form": "hear",
            "case": listed.pk,
            "offender_attended": "yes",
            "victim_attended": "no",
            "witnesses_attended": "0",
            "options": ["Litter picking"],
            "owner": "Panel co-ordinator",
            "due_on": str(due(30)),
            "action_1": "Apologise in writing",
            "action_1_owner": "The offender",
            "action_1_due_on": str(due(7)),
            "notes": "Both agreed",
        },
    )
    assert heard.status_code == 302
    low.refresh_from_db()
    assert low.status == CaseStatus.AGREEMENT
    assert low.agreement.actions.count() == 2
    assert AuditEvent.objects.filter(
        object_type="person",
        object_id=str(known_offender.pk),
        action=AuditEvent.Action.READ,
        username=coordinator.username,
    ).exists()


def test_another_service_finds_no_panel_and_a_facilitator_runs_none(njp, yesterday_sitting, make_user, rj_service):
    other = Agency.objects.create(code="other-rj", name="Other RJ", kind=AgencyKind.RJ_SERVICE)
    outsider = signed_in_client(make_user("other-coordinator", other, Role.RJ_COORDINATOR))
    assert outsider.get(reverse("resolutions:panel", kwargs={"panel_id": njp.pk})).status_code == 404
    assert outsider.get(reverse("resolutions:sitting", kwargs={"sitting_id": yesterday_sitting.pk})).status_code == 404
    facilitator = signed_in_client(make_user("volunteer", rj_service, Role.FACILITATOR))
    assert facilitator.get(reverse("resolutions:panels")).status_code == 403
