"""Diversion contracts: making one, compliance, breach (by a failed condition or a new offence,
however it arrives), the prosecution decision, and completion."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.accounts.models import Role
from pathways.common.dates import add_months
from pathways.offending.models import OffenceOutcome
from pathways.resolutions import contracts, services
from pathways.resolutions.contracts import ConditionInput
from pathways.resolutions.models import DiversionContract, Resolution, ResolutionAction
from pathways.resolutions.reference import ActionKind, ActionStatus, Route, Status
from pathways.resolutions.testing import create_resolution, due
from pathways.testing import load

Contract = DiversionContract.ContractStatus


@pytest.fixture
def diversion(officer, sergeant, shoplifter) -> Resolution:
    """Kelly Ward's shoplifting, diverted (the officer's choice, approved by the sergeant)."""
    resolution = create_resolution(officer=officer, person=shoplifter)
    services.resolution_decide(
        resolution=resolution, by=officer, route=Route.DIVERSION, override_reason="Third time at this store this month"
    )
    services.resolution_review(resolution=resolution, by=sergeant, approve=True)
    resolution.refresh_from_db()
    assert resolution.status == Status.AGREED
    return resolution


def make_contract(resolution, officer, **kwargs) -> DiversionContract:
    kwargs.setdefault(
        "conditions",
        [
            ConditionInput("no_further_offending", owner="PC Officer"),
            ConditionInput("community_work", "40 hours", "Probation unpaid work team", due(60)),
        ],
    )
    kwargs.setdefault("starts_on", timezone.localdate())
    return contracts.contract_create(resolution=resolution, by=officer, **kwargs)


def offence_row(reference: str, on: dt.date) -> dict[str, str]:
    return {
        "offence_id": reference,
        "person_id": "K1",
        "offence_date": str(on),
        "offence_code": "46",
        "offence_group": "theft",
    }


def test_a_contract_runs_four_months_by_default_with_conditions_from_the_rules(diversion, officer):
    today = timezone.localdate()
    contract = make_contract(diversion, officer, starts_on=today)
    assert contract.status == Contract.ACTIVE
    assert contract.ends_on == add_months(today, 4)
    work = diversion.actions.get(code="community_work")
    assert (work.kind, work.pathway, work.status) == (ActionKind.CONDITION, "ete", ActionStatus.AGREED)
    assert work.description == "Unpaid community work (hours): 40 hours"
    assert diversion.actions.get(code="no_further_offending").due_on == contract.ends_on
    assert AuditEvent.objects.filter(object_type="diversion_contract", object_id=str(contract.pk), action="create")
    with pytest.raises(ValidationError, match="already has a contract"):
        make_contract(diversion, officer)


def test_the_months_can_be_set(diversion, officer):
    contract = make_contract(diversion, officer, months=6, starts_on=timezone.localdate())
    assert contract.ends_on == add_months(contract.starts_on, 6)


def test_only_an_agreed_diversion_gets_a_contract(officer, shoplifter):
    resolution = create_resolution(officer=officer, person=shoplifter)
    with pytest.raises(ValidationError, match="agreed diversion"):
        make_contract(resolution, officer)  # still a draft
    services.resolution_decide(resolution=resolution, by=officer, route=Route.STREET_CR)
    with pytest.raises(ValidationError, match="agreed diversion"):
        make_contract(resolution, officer)
    assert not DiversionContract.objects.exists()


@pytest.mark.parametrize(
    ("conditions", "field", "message"),
    [
        ([], "conditions", "at least one condition"),
        ([ConditionInput("juggling", owner="PC")], "conditions", "Not conditions in the rules: juggling"),
        ([ConditionInput("victim_awareness", owner=" ")], "conditions", "Say who sees"),
        ([ConditionInput("victim_awareness", owner="PC", due_on=due(400))], "conditions", "within the contract"),
    ],
)
def test_bad_conditions_are_refused_and_nothing_is_written(diversion, officer, conditions, field, message):
    with pytest.raises(ValidationError) as refused:
        make_contract(diversion, officer, conditions=conditions)
    assert message in refused.value.message_dict[field][0]
    assert not DiversionContract.objects.exists()
    assert not ResolutionAction.objects.exists()


def test_another_agency_cannot_make_the_contract(diversion, make_user, probation):
    outsider = make_user("probation-officer", probation, Role.OFFICER)
    with pytest.raises(PermissionDenied):
        make_contract(diversion, outsider)
    assert not DiversionContract.objects.exists()


def test_a_failed_condition_raises_a_breach(diversion, officer):
    contract = make_contract(diversion, officer)
    contracts.contract_sign(contract=contract, by=officer, signed_on=timezone.localdate())
    work = diversion.actions.get(code="community_work")
    contracts.compliance_record(action=work, by=officer, checked_on=timezone.localdate(), complied=True, note="8 hours")
    work.refresh_from_db()
    assert work.status == ActionStatus.AGREED  # still under way
    with pytest.raises(ValidationError) as refused:
        contracts.compliance_record(action=work, by=officer, checked_on=timezone.localdate(), complied=False)
    assert "note" in refused.value.message_dict
    contracts.compliance_record(
        action=work, by=officer, checked_on=timezone.localdate(), complied=False, note="Missed three sessions"
    )
    work.refresh_from_db()
    contract.refresh_from_db()
    assert work.status == ActionStatus.FAILED
    assert work.checks.count() == 2
    assert contract.status == Contract.BREACHED
    assert "Missed three sessions" in contract.breach_reason
    assert AuditEvent.objects.filter(object_type="compliance_check").count() == 2


def test_a_new_offence_imported_during_the_contract_breaches_it(diversion, officer, police, police_admin):
    contract = make_contract(diversion, officer, starts_on=diversion.offence.offence_date)
    today = timezone.localdate()
    # A short contract, for the test: it ended five days ago.
    DiversionContract.objects.filter(pk=contract.pk).update(ends_on=today - dt.timedelta(days=5))
    load("offences", [offence_row("SH9", today - dt.timedelta(days=4))], agency=police, by=police_admin)
    contract.refresh_from_db()
    assert contract.status == Contract.ACTIVE  # after the contract: no breach
    load("offences", [offence_row("SH2", today - dt.timedelta(days=10))], agency=police, by=police_admin)
    contract.refresh_from_db()
    assert contract.status == Contract.BREACHED
    assert contract.breach_offence.reference == "SH2"
    assert "SH2" in contract.breach_reason
    assert AuditEvent.objects.filter(object_type="diversion_contract", username="system").exists()


def test_prosecuting_a_breach_records_outcome_1(diversion, officer, sergeant):
    contract = make_contract(diversion, officer)
    contracts.breach_raise(contract=contract, by=officer, reason="Arrested for a new theft")
    with pytest.raises(PermissionDenied):
        contracts.breach_decide(contract=contract, by=officer, decision="prosecute", reason="New offence of theft")
    with pytest.raises(ValidationError):
        contracts.breach_decide(contract=contract, by=sergeant, decision="prosecute", reason="")
    contracts.breach_decide(contract=contract, by=sergeant, decision="prosecute", reason="New offence of theft")
    contract.refresh_from_db()
    diversion.refresh_from_db()
    assert contract.status == Contract.PROSECUTED
    assert contract.breach_decided_by == sergeant
    assert diversion.status == Status.FAILED
    outcomes = set(OffenceOutcome.objects.filter(offence=diversion.offence).values_list("outcome", flat=True))
    assert outcomes == {"22", "1"}


def test_continuing_after_a_breach_agrees_the_failed_condition_again(diversion, officer, sergeant):
    contract = make_contract(diversion, officer)
    work = diversion.actions.get(code="community_work")
    contracts.compliance_record(
        action=work, by=officer, checked_on=timezone.localdate(), complied=False, note="Ill in bed"
    )
    contracts.breach_decide(contract=contract, by=sergeant, decision="continue", reason="She was in hospital")
    contract.refresh_from_db()
    work.refresh_from_db()
    assert contract.status == Contract.ACTIVE
    assert work.status == ActionStatus.AGREED


def test_no_further_action_ends_the_contract(diversion, officer, sergeant):
    contract = make_contract(diversion, officer)
    contracts.breach_raise(contract=contract, by=officer, reason="Late to one session")
    contracts.breach_decide(contract=contract, by=sergeant, decision="nfa", reason="Minor lapse, now back on track")
    contract.refresh_from_db()
    assert contract.status == Contract.ENDED


def test_a_kept_contract_completes_at_its_end(diversion, officer):
    contract = make_contract(diversion, officer, starts_on=diversion.offence.offence_date)
    work = diversion.actions.get(code="community_work")
    with pytest.raises(ValidationError, match="runs until"):
        contracts.contract_complete(contract=contract, by=officer)
    # Time passes: the contract's period is over.
    ended = timezone.localdate() - dt.timedelta(days=1)
    DiversionContract.objects.filter(pk=contract.pk).update(ends_on=ended)
    with pytest.raises(ValidationError, match="Record every condition as done"):
        contracts.contract_complete(contract=contract, by=officer)
    contracts.compliance_record(
        action=work, by=officer, checked_on=timezone.localdate(), complied=True, completed=True, note="40 hours done"
    )
    contracts.contract_complete(contract=contract, by=officer)
    contract.refresh_from_db()
    diversion.refresh_from_db()
    assert contract.status == Contract.COMPLETED
    assert (diversion.status, diversion.completed_on) == (Status.COMPLETED, timezone.localdate())
    no_offending = diversion.actions.get(code="no_further_offending")
    assert (no_offending.status, no_offending.finished_on) == (ActionStatus.DONE, ended)
    assert AuditEvent.objects.filter(object_type="diversion_contract", object_id=str(contract.pk)).count() == 2


def test_a_breached_contract_does_not_complete(diversion, officer):
    contract = make_contract(diversion, officer)
    contracts.breach_raise(contract=contract, by=officer, reason="Did not attend")
    with pytest.raises(ValidationError, match="unbreached"):
        contracts.contract_complete(contract=contract, by=officer)


# --- The pages -------------------------------------------------------------------------


def test_the_pages_are_for_the_recording_agency_only(diversion, officer, make_user, probation):
    from django.urls import reverse

    from pathways.testing import signed_in_client

    make_contract(diversion, officer)
    client = signed_in_client(officer)
    for name in ("resolutions:contract", "resolutions:contract-print"):
        response = client.get(reverse(name, kwargs={"resolution_id": diversion.pk}))
        assert response.status_code == 200, name
        assert "Kelly Ward" in response.content.decode()
    assert client.get(reverse("resolutions:contract-new", kwargs={"resolution_id": diversion.pk})).status_code == 302
    assert AuditEvent.objects.filter(action="read", object_type="person", object_id=str(diversion.person_id)).exists()
    outsider = signed_in_client(make_user("probation-officer", probation, Role.OFFICER))
    for name in ("resolutions:contract-new", "resolutions:contract", "resolutions:contract-print"):
        url = reverse(name, kwargs={"resolution_id": diversion.pk})
        assert outsider.get(url).status_code == 404, name
        assert outsider.post(url, {"form": "breach", "reason": "Any reason at all"}).status_code == 404, name
    assert DiversionContract.objects.get().status == Contract.ACTIVE


def test_a_bad_post_shows_the_errors_and_writes_nothing(diversion, officer):
    from django.urls import reverse

    from pathways.testing import signed_in_client

    client = signed_in_client(officer)
    url = reverse("resolutions:contract-new", kwargs={"resolution_id": diversion.pk})
    response = client.post(url, {"starts_on": "not a date", "months": "4", "victim_awareness": "on"})
    assert "Enter the start date as a date" in response.content.decode()
    assert not DiversionContract.objects.exists()
    response = client.post(url, {"starts_on": str(timezone.localdate()), "months": "4", "juggling": "on"})
    assert "Choose at least one condition" in response.content.decode()
    make_contract(diversion, officer)
    contract_url = reverse("resolutions:contract", kwargs={"resolution_id": diversion.pk})
    response = client.post(contract_url, {"form": "complete"})
    assert "The contract runs until" in response.content.decode()
    decide = {"form": "decide", "decision": "prosecute", "decision_reason": "x" * 20}
    assert client.post(contract_url, decide).status_code == 403  # an officer, not a supervisor
    assert DiversionContract.objects.get().status == Contract.ACTIVE
