"""Recording a resolution: recommendation, decision, review, actions, the outcome on the offence."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.offending.models import OffenceOutcome
from pathways.resolutions import services
from pathways.resolutions.models import Resolution
from pathways.resolutions.reference import ActionKind, ReviewStatus, Route, Status, VictimWants
from pathways.resolutions.testing import create_resolution, due


def test_a_street_resolution_with_an_apology_completes_and_records_outcome_8(officer, shoplifter):
    resolution = create_resolution(officer=officer, person=shoplifter)
    assert resolution.recommended_route == Route.STREET_CR
    assert resolution.rule_set.version == 1
    apology = services.ActionInput(
        kind=ActionKind.APOLOGY_LETTER, description="Letter to the store manager", owner="PC Officer", due_on=due()
    )
    services.resolution_decide(resolution=resolution, by=officer, route=Route.STREET_CR, actions=[apology])
    resolution.refresh_from_db()
    assert resolution.status == Status.AGREED
    assert resolution.review_status == ReviewStatus.NOT_NEEDED
    outcome = OffenceOutcome.objects.get(offence=resolution.offence)
    assert (outcome.outcome, outcome.agency) == ("8", resolution.agency)
    services.action_finish(action=resolution.actions.get(), by=officer, done=True, on=timezone.localdate())
    resolution.refresh_from_db()
    assert resolution.status == Status.COMPLETED
    assert resolution.completed_on == timezone.localdate()
    assert AuditEvent.objects.filter(object_type="resolution", object_id=str(resolution.pk)).count() == 2


def test_deciding_differently_needs_a_reason_and_goes_to_a_supervisor(officer, sergeant, shoplifter):
    resolution = create_resolution(officer=officer, person=shoplifter)
    with pytest.raises(ValidationError) as refused:
        services.resolution_decide(resolution=resolution, by=officer, route=Route.LEVEL_1)
    assert "override_reason" in refused.value.message_dict
    assert Resolution.objects.get(pk=resolution.pk).status == Status.DRAFT  # nothing written
    services.resolution_decide(
        resolution=resolution, by=officer, route=Route.LEVEL_1, override_reason="The store manager asked to meet her"
    )
    resolution.refresh_from_db()
    assert resolution.status == Status.AWAITING_REVIEW
    assert not OffenceOutcome.objects.filter(offence=resolution.offence).exists()
    with pytest.raises(PermissionDenied):
        services.resolution_review(resolution=resolution, by=officer, approve=True)
    services.resolution_review(resolution=resolution, by=sergeant, approve=True)
    resolution.refresh_from_db()
    assert resolution.review_status == ReviewStatus.APPROVED
    assert OffenceOutcome.objects.get(offence=resolution.offence).outcome == "8"


def test_a_returned_decision_goes_back_to_the_officer_with_nothing_recorded(officer, sergeant, shoplifter):
    resolution = create_resolution(officer=officer, person=shoplifter, flags=["domestic_abuse"])
    assert resolution.recommended_route == Route.LEVEL_2
    services.resolution_decide(
        resolution=resolution, by=officer, route=Route.STREET_CR, override_reason="Victim is content with an apology"
    )
    resolution.refresh_from_db()
    assert any("supervisor's approval" in r for r in resolution.review_reasons)
    services.resolution_review(resolution=resolution, by=sergeant, approve=False, note="Domestic abuse: use Level 2")
    resolution.refresh_from_db()
    assert (resolution.status, resolution.route) == (Status.DRAFT, "")
    assert not OffenceOutcome.objects.filter(offence=resolution.offence).exists()


def test_a_route_no_supervisor_may_approve_is_refused(officer, shoplifter):
    resolution = create_resolution(officer=officer, person=shoplifter, admission="denies")
    assert resolution.recommended_route == Route.CHARGE
    with pytest.raises(ValidationError, match="needs the person not to deny"):
        services.resolution_decide(
            resolution=resolution, by=officer, route=Route.STREET_CR, override_reason="She said sorry in the end"
        )


def test_a_diversion_approved_by_a_supervisor_records_outcome_22(officer, sergeant, shoplifter):
    resolution = create_resolution(officer=officer, person=shoplifter)
    services.resolution_decide(
        resolution=resolution, by=officer, route=Route.DIVERSION, override_reason="Third time at this store this month"
    )
    services.resolution_review(resolution=resolution, by=sergeant, approve=True)
    resolution.refresh_from_db()
    assert resolution.status == Status.AGREED
    assert OffenceOutcome.objects.get(offence=resolution.offence).outcome == "22"


def test_previous_resolutions_count_in_the_history(officer, shoplifter, police, police_admin):
    first = create_resolution(officer=officer, person=shoplifter)
    services.resolution_decide(
        resolution=first,
        by=officer,
        route=Route.STREET_CR,
        actions=[services.ActionInput(kind=ActionKind.APOLOGY_LETTER, description="Letter", owner="PC", due_on=due())],
    )
    services.action_finish(
        action=first.actions.get(), by=officer, done=False, on=timezone.localdate(), note="She never wrote it"
    )
    from pathways.testing import load

    load(
        "offences",
        [
            {
                "offence_id": "SH2",
                "person_id": "K1",
                "offence_date": str(timezone.localdate()),
                "offence_code": "46",
                "offence_group": "theft",
            }
        ],
        agency=police,
        by=police_admin,
    )
    second = create_resolution(officer=officer, person=shoplifter, offence=shoplifter.offences.get(reference="SH2"))
    assert second.history["previous_resolutions"] == 1
    assert second.history["previous_resolutions_failed"] == 1
    assert second.history["recent_resolution"] is True
    assert second.recommended_route == Route.LEVEL_2
    assert any("not completed" in r for r in second.recommendation["reasons"])


def test_an_agency_that_cannot_see_the_person_cannot_start_a_resolution(housing_worker, shoplifter, make_user, housing):
    from pathways.accounts.models import Role

    outsider = make_user("housing-officer", housing, Role.OFFICER)
    with pytest.raises(PermissionDenied):
        create_resolution(officer=outsider, person=shoplifter)
    assert not Resolution.objects.exists()


def test_the_victims_heaviest_wish_counts(officer, shoplifter):
    resolution = create_resolution(officer=officer, person=shoplifter, wants=VictimWants.PROSECUTION)
    assert resolution.recommended_route == Route.LEVEL_1
    assert any("victim wants a prosecution" in r for r in resolution.recommendation["reasons"])
