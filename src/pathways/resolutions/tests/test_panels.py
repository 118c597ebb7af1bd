"""Case-conference panels (Level 2) and Level 3 referrals to an RJ service: the services and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.accounts.models import Role
from pathways.resolutions import panels, services
from pathways.resolutions.models import PanelCase, Resolution
from pathways.resolutions.reference import ActionKind, ActionStatus, Route, Status
from pathways.resolutions.testing import create_resolution, due
from pathways.restorative.models import Case
from pathways.restorative.reference import CaseStatus, Source, Stage
from pathways.restorative.selectors import cases_visible_to
from pathways.testing import signed_in_client

OPTIONS = ["Litter picking", "Cleaning criminal damage", "Clearing wasteland", "Community work"]


def level2(officer, person) -> Resolution:  # type: ignore[no-untyped-def]
    resolution = create_resolution(officer=officer, person=person, flags=["domestic_abuse"])
    services.resolution_decide(resolution=resolution, by=officer, route=Route.LEVEL_2)
    resolution.refresh_from_db()
    assert resolution.status == Status.REFERRED
    return resolution


def level3(officer, sergeant, person) -> Resolution:  # type: ignore[no-untyped-def]
    resolution = create_resolution(officer=officer, person=person)
    services.resolution_decide(
        resolution=resolution, by=officer, route=Route.LEVEL_3, override_reason="The victim asked for a conference"
    )
    services.resolution_review(resolution=resolution, by=sergeant, approve=True)
    resolution.refresh_from_db()
    assert resolution.status == Status.REFERRED
    return resolution


@pytest.fixture
def panel(sergeant, probation):  # type: ignore[no-untyped-def]
    return panels.panel_create(
        by=sergeant,
        name="Casterbridge community panel",
        area="Casterbridge",
        restorative_options=[*OPTIONS, " litter  picking ", ""],
        members=[
            panels.MemberInput(name="Sam Probation", agency=probation, role="Chair"),
            panels.MemberInput(name="Pat Resident", community_member=True),
        ],
    )


@pytest.fixture
def sitting(panel, sergeant):  # type: ignore[no-untyped-def]
    return panels.sitting_create(panel=panel, by=sergeant, sits_on=due(7), venue="Town hall")


def reparation(description: str = "Litter picking", owner: str = "Panel co-ordinator"):  # type: ignore[no-untyped-def]
    return services.ActionInput(
        kind=ActionKind.REPARATION_COMMUNITY, description=description, owner=owner, due_on=due()
    )


# --- Services --------------------------------------------------------------------------


def test_a_panel_has_partners_the_community_and_its_options_once_each(panel, police):
    assert panel.agency == police
    assert panel.restorative_options == OPTIONS  # tidied, and the duplicate dropped
    assert {(m.name, m.community_member) for m in panel.members.all()} == {
        ("Sam Probation", False),
        ("Pat Resident", True),
    }
    event = AuditEvent.objects.get(object_type="resolution_panel", object_id=str(panel.pk))
    assert event.action == AuditEvent.Action.CREATE
    assert len(event.detail["members"]) == 2


def test_only_officers_and_supervisors_run_panels_and_members_say_where_they_are_from(
    panel, sergeant, probation_caseworker, make_user, police
):
    with pytest.raises(PermissionDenied):
        panels.panel_create(by=probation_caseworker, name="Other", restorative_options=[])
    with pytest.raises(ValidationError) as refused:
        panels.panel_member_add(panel=panel, by=sergeant, member=panels.MemberInput(name="Nobody in particular"))
    assert "agency" in refused.value.message_dict
    with pytest.raises(ValidationError):
        panels.panel_create(by=sergeant, name="casterbridge community panel", restorative_options=[])
    analyst = make_user("police-analyst", police, Role.ANALYST)
    with pytest.raises(PermissionDenied):
        panels.sitting_create(panel=panel, by=analyst, sits_on=due(), venue="Library")


def test_only_level_2_resolutions_of_the_agency_are_listed_and_only_once(
    sitting, sergeant, officer, shoplifter, known_offender, make_user, probation
):
    street = create_resolution(officer=officer, person=known_offender)
    with pytest.raises(ValidationError, match="Only Level 2"):
        panels.case_list(sitting=sitting, resolution=street, by=officer)
    resolution = level2(officer, shoplifter)
    listed = panels.case_list(sitting=sitting, resolution=resolution, by=officer)
    assert AuditEvent.objects.filter(object_type="resolution_panel_case", object_id=str(listed.pk)).exists()
    with pytest.raises(ValidationError, match="already listed"):
        panels.case_list(sitting=sitting, resolution=resolution, by=sergeant)
    outsider = make_user("probation-officer", probation, Role.OFFICER)
    with pytest.raises(PermissionDenied):
        panels.case_list(sitting=sitting, resolution=resolution, by=outsider)
    assert PanelCase.objects.count() == 1


def test_without_the_offender_the_case_is_adjourned_not_heard(sitting, officer, shoplifter):
    resolution = level2(officer, shoplifter)
    listed = panels.case_list(sitting=sitting, resolution=resolution, by=officer)
    with pytest.raises(ValidationError, match="offender present"):
        panels.case_hear(
            panel_case=listed, by=officer, offender_attended=False, victim_attended=True, actions=[reparation()]
        )
    adjourned = panels.case_hear(
        panel_case=listed, by=officer, offender_attended=False, victim_attended=True, notes="Unwell"
    )
    assert not adjourned.heard
    assert adjourned.notes == "Adjourned: the offender did not attend. Unwell"
    resolution.refresh_from_db()
    assert resolution.status == Status.REFERRED
    assert not resolution.actions.exists()
    assert AuditEvent.objects.filter(
        object_type="resolution_panel_case", object_id=str(listed.pk), action=AuditEvent.Action.UPDATE
    ).exists()


def test_a_hearing_agrees_the_communitys_reparation_and_done_actions_complete_the_resolution(
    sitting, officer, shoplifter
):
    resolution = level2(officer, shoplifter)
    listed = panels.case_list(sitting=sitting, resolution=resolution, by=officer)
    with pytest.raises(ValidationError, match="not one of this panel's"):
        panels.case_hear(
            panel_case=listed, by=officer, offender_attended=True, victim_attended=False, actions=[reparation("Golf")]
        )
    with pytest.raises(ValidationError, match="what the panel agreed"):
        panels.case_hear(panel_case=listed, by=officer, offender_attended=True, victim_attended=False)
    apology = services.ActionInput(
        kind=ActionKind.APOLOGY_LETTER, description="Letter to the store", owner="PC Officer", due_on=due()
    )
    heard = panels.case_hear(
        panel_case=listed,
        by=officer,
        offender_attended=True,
        victim_attended=False,
        witnesses_attended=1,
        notes="Agreed two hours of litter picking",
        actions=[reparation("litter picking"), apology],
    )
    assert heard.heard and heard.witnesses_attended == 1
    resolution.refresh_from_db()
    assert resolution.status == Status.AGREED
    kinds = sorted(resolution.actions.values_list("kind", "description"))
    assert kinds == [
        (ActionKind.APOLOGY_LETTER, "Letter to the store"),
        (ActionKind.REPARATION_COMMUNITY, "litter picking"),
    ]
    with pytest.raises(ValidationError, match="already been heard"):
        panels.case_hear(panel_case=listed, by=officer, offender_attended=True, victim_attended=False)
    for action in resolution.actions.all():
        services.action_finish(action=action, by=officer, done=True, on=timezone.localdate())
    resolution.refresh_from_db()
    assert resolution.status == Status.COMPLETED
    assert set(resolution.actions.values_list("status", flat=True)) == {ActionStatus.DONE}


def test_a_decided_level_3_resolution_is_referred_to_the_rj_service_as_a_real_referral(
    officer, sergeant, shoplifter, known_offender, rj_service, coordinator
):
    resolution = level3(officer, sergeant, shoplifter)
    case = panels.level3_refer(resolution=resolution, by=officer, service=rj_service)
    resolution.refresh_from_db()
    assert resolution.referred_to == f"Wessex Restorative Justice Service ({case.reference})"
    assert (case.source, case.stage, case.status) == (Source.POLICE, Stage.PRE_CHARGE, CaseStatus.REFERRED)
    assert case.resolution == resolution and case.offence == resolution.offence
    assert sorted(case.parties.values_list("role", "name")) == [
        ("offender", "Kelly Ward"),
        ("victim", "Quickmart Stores"),
    ]
    # The co-ordinator finds it in their queue, and may now see the offender's record.
    assert cases_visible_to(coordinator).filter(pk=case.pk).exists()
    assert people_visible_to(coordinator).filter(pk=shoplifter.pk).exists()
    event = AuditEvent.objects.filter(object_type="resolution", object_id=str(resolution.pk)).latest("pk")
    assert event.detail == {"referred_to": resolution.referred_to, "rj_case": case.reference, "before": ""}
    with pytest.raises(ValidationError, match="already referred to Wessex"):
        panels.level3_refer(resolution=resolution, by=sergeant, service=rj_service)
    assert Case.objects.filter(resolution=resolution).count() == 1
    other = level2(officer, known_offender)
    with pytest.raises(ValidationError, match="Level 3"):
        panels.level3_refer(resolution=other, by=officer, service=rj_service)


def test_a_level_3_referral_goes_only_to_an_rj_service_and_only_from_the_deciding_agency(
    officer, sergeant, shoplifter, probation, rj_service, coordinator
):
    resolution = level3(officer, sergeant, shoplifter)
    with pytest.raises(ValidationError, match="not a restorative justice service"):
        panels.level3_refer(resolution=resolution, by=officer, service=probation)
    with pytest.raises(PermissionDenied):
        panels.level3_refer(resolution=resolution, by=coordinator, service=rj_service)
    assert not Case.objects.exists()
    resolution.refresh_from_db()
    assert resolution.referred_to == ""


def test_a_level_3_awaiting_review_is_not_yet_referred(officer, shoplifter, rj_service):
    resolution = create_resolution(officer=officer, person=shoplifter)
    services.resolution_decide(
        resolution=resolution, by=officer, route=Route.LEVEL_3, override_reason="The victim asked for a conference"
    )
    with pytest.raises(ValidationError):
        panels.level3_refer(resolution=resolution, by=officer, service=rj_service)
    assert not Case.objects.exists()


# --- Pages -----------------------------------------------------------------------------


def test_setting_up_a_panel_its_members_and_a_sitting_through_the_pages(sergeant, probation):
    client = signed_in_client(sergeant)
    assert client.get(reverse("resolutions:panels")).status_code == 200
    refused = client.post(reverse("resolutions:panels"), {"name": "", "restorative_options": "Litter picking"})
    assert refused.status_code == 400
    assert "Enter the panel&#x27;s name" in refused.content.decode()
    response = client.post(
        reverse("resolutions:panels"),
        {"name": "Town panel", "area": "North", "restorative_options": "Litter picking\nClearing wasteland\n"},
    )
    assert response.status_code == 302
    panel_url = response["Location"]
    page = client.get(panel_url)
    assert page.status_code == 200 and "Clearing wasteland" in page.content.decode()
    added = client.post(
        panel_url,
        {"form": "member", "member-name": "Sam Probation", "member-agency": probation.pk, "member-role": "Chair"},
    )
    assert added.status_code == 302
    assert "Sam Probation" in client.get(panel_url).content.decode()
    bad = client.post(panel_url, {"form": "sitting", "sitting-sits_on": "31/02/2026", "sitting-venue": "Hall"})
    assert bad.status_code == 400
    made = client.post(panel_url, {"form": "sitting", "sitting-sits_on": str(due(3)), "sitting-venue": "Hall"})
    assert made.status_code == 302 and "/panels/sittings/" in made["Location"]


def test_listing_and_hearing_a_case_through_the_sitting_page(sitting, officer, shoplifter):
    resolution = level2(officer, shoplifter)
    client = signed_in_client(officer)
    url = reverse("resolutions:sitting", kwargs={"sitting_id": sitting.pk})
    page = client.get(url).content.decode()
    assert "Kelly Ward" in page  # offered for listing
    assert client.post(url, {"form": "list", "resolution": resolution.pk}).status_code == 302
    listed = sitting.cases.get()
    form = client.get(url, {"case": listed.pk}).content.decode()
    assert "Litter picking" in form
    absent = client.post(
        url,
        {
            "form": "hear",
            "case": listed.pk,
            "offender_attended": "yes",
            "victim_attended": "no",
            "witnesses_attended": "0",
            "options": ["Litter picking"],
        },
    )
    assert absent.status_code == 400  # no owner or due date
    done = client.post(
        url,
        {
            "form": "hear",
            "case": listed.pk,
            "offender_attended": "yes",
            "victim_attended": "yes",
            "witnesses_attended": "2",
            "options": ["Litter picking", "Community work"],
            "owner": "Panel co-ordinator",
            "due_on": str(due(30)),
        },
    )
    assert done.status_code == 302
    resolution.refresh_from_db()
    assert resolution.status == Status.AGREED
    assert resolution.actions.count() == 2
    assert AuditEvent.objects.filter(
        object_type="person", object_id=str(shoplifter.pk), action=AuditEvent.Action.READ
    ).exists()


def test_another_agency_finds_no_panel_and_a_caseworker_is_refused(panel, sitting, make_user, probation, sergeant):
    outsider = signed_in_client(make_user("probation-officer", probation, Role.OFFICER))
    assert outsider.get(reverse("resolutions:panel", kwargs={"panel_id": panel.pk})).status_code == 404
    assert outsider.get(reverse("resolutions:sitting", kwargs={"sitting_id": sitting.pk})).status_code == 404
    caseworker = signed_in_client(make_user("probation-caseworker", probation, Role.CASEWORKER))
    assert caseworker.get(reverse("resolutions:panels")).status_code == 403


def test_the_referral_page_is_only_for_level_3(officer, sergeant, shoplifter, known_offender, rj_service):
    resolution = level3(officer, sergeant, shoplifter)
    client = signed_in_client(officer)
    url = reverse("resolutions:level3-refer", kwargs={"resolution_id": resolution.pk})
    page = client.get(url)
    assert page.status_code == 200 and "Wessex Restorative Justice Service" in page.content.decode()
    assert client.post(url, {"service": ""}).status_code == 400
    assert client.post(url, {"service": rj_service.pk}).status_code == 302
    resolution.refresh_from_db()
    case = Case.objects.get(resolution=resolution)
    assert resolution.referred_to == f"Wessex Restorative Justice Service ({case.reference})"
    detail = client.get(reverse("resolutions:detail", kwargs={"resolution_id": resolution.pk})).content.decode()
    assert f"Referred to Wessex Restorative Justice Service ({case.reference})" in detail
    again = client.get(url).content.decode()
    assert "A resolution is referred once" in again and 'name="service"' not in again
    assert client.post(url, {"service": rj_service.pk}).status_code == 200  # nothing to submit: shown, not refused
    assert Case.objects.filter(resolution=resolution).count() == 1
    other = level2(officer, known_offender)
    assert client.get(reverse("resolutions:level3-refer", kwargs={"resolution_id": other.pk})).status_code == 404


def test_a_sitting_date_in_the_past_is_allowed_for_recording_after_the_event(panel, sergeant):
    sitting = panels.sitting_create(
        panel=panel, by=sergeant, sits_on=timezone.localdate() - dt.timedelta(days=3), venue="Library"
    )
    with pytest.raises(ValidationError):
        panels.sitting_create(panel=panel, by=sergeant, sits_on=sitting.sits_on, venue="library")
