"""Referrals as the workers on each side meet them: a police officer refers someone with their
consent, the linking service triages (accept, decline, redirect), records contact and the
outcome; the officer's agency may withdraw. Every move the status does not allow is refused."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import people_visible_to
from pathways.accounts.models import Agency, Role, User
from pathways.accounts.services import agency_create
from pathways.people.models import Person
from pathways.referrals import referring
from pathways.referrals.models import Referral, ReferralEvent, ReferralStatus, Service
from pathways.referrals.referring import ReferralRefused

S = ReferralStatus


@pytest.fixture
def linking(db: Any) -> Agency:
    return agency_create(code="wessex-linking", name="Linking People Service (Age UK Wessex)", kind="voluntary")


@pytest.fixture
def linking_worker(linking: Agency, make_user: Any) -> User:
    return make_user("linking-worker", linking, Role.CASEWORKER)


@pytest.fixture
def housing_officer(housing: Agency, make_user: Any) -> User:
    return make_user("housing-triage", housing, Role.CASEWORKER)


def make_service(*, managed_by: Agency, receiving: Agency | None, name: str, **fields: Any) -> Service:
    values: dict[str, Any] = {
        "name": name,
        "provider": managed_by.name,
        "pathways": ["accommodation", "health"],
        "contact_route": "pathways" if receiving else "phone",
        "contact_details": "" if receiving else "01305 000000",
        "receiving_agency": receiving,
        "managed_by": managed_by,
    }
    values.update(fields)
    return Service.objects.create(**values)


@pytest.fixture
def linking_service(linking: Agency) -> Service:
    return make_service(managed_by=linking, receiving=linking, name="Linking People Service", is_linking_service=True)


@pytest.fixture
def tenancy_service(housing: Agency) -> Service:
    return make_service(managed_by=housing, receiving=housing, name="Wessex Homes tenancy sustainment")


def refer(officer: User, person: Person, service: Service, **overrides: Any) -> Referral:
    values: dict[str, Any] = {
        "by": officer,
        "person": person,
        "service": service,
        "pathways": ["accommodation"],
        "reason": "Sofa surfing since his tenancy ended; asked for help with housing",
        "consent": "given",
    }
    values.update(overrides)
    return referring.referral_make(**values)


def test_a_referral_is_sent_with_a_reference_and_the_linking_service_may_open_the_person(
    officer, known_offender, linking, linking_worker, linking_service
):
    assert not people_visible_to(linking_worker).filter(pk=known_offender.pk).exists()
    referral = refer(officer, known_offender, linking_service)

    assert re.fullmatch(rf"RF-{timezone.localdate().year}-00001", referral.reference)
    assert referral.status == S.SENT
    assert referral.receiving_agency == linking and referral.referring_agency == officer.agency
    assert referral.area_code == "WX1"  # Jonathan Smith lives in WX1 2AB
    assert referral.consent_recorded_on == timezone.localdate()
    record = AgencyRecord.objects.get(person=known_offender, agency=linking)
    assert record.basis == AgencyRecord.Basis.SHARED and record.reason == f"Referral {referral.reference}"
    assert people_visible_to(linking_worker).filter(pk=known_offender.pk).exists()
    assert [(e.from_status, e.to_status, e.agency) for e in referral.events.all()] == [("", S.SENT, officer.agency)]
    assert AuditEvent.objects.filter(action="create", object_type="referral", object_id=str(referral.pk)).exists()
    assert refer(officer, known_offender, linking_service).reference.endswith("-00002")


def test_consent_is_required_and_without_it_only_with_a_note_of_why(officer, known_offender, linking_service):
    with pytest.raises(ValidationError) as missing:
        refer(officer, known_offender, linking_service, consent="")
    assert "consent" in missing.value.message_dict
    with pytest.raises(ValidationError) as no_note:
        refer(officer, known_offender, linking_service, consent="not_needed")
    assert "consent_note" in no_note.value.message_dict
    with pytest.raises(ValidationError) as future:
        refer(officer, known_offender, linking_service, consent_on=timezone.localdate() + dt.timedelta(days=1))
    assert "consent_on" in future.value.message_dict
    assert not Referral.objects.exists()
    made = refer(
        officer,
        known_offender,
        linking_service,
        consent="not_needed",
        consent_note="Found collapsed and confused; at risk of harm tonight",
    )
    assert made.consent == "not_needed" and made.consent_note.startswith("Found collapsed")


def test_a_reason_and_a_need_are_required(officer, known_offender, linking_service):
    with pytest.raises(ValidationError) as error:
        refer(officer, known_offender, linking_service, reason="  ", pathways=[])
    assert set(error.value.message_dict) == {"reason", "pathways"}
    with pytest.raises(ValidationError):
        refer(officer, known_offender, linking_service, pathways=["juggling"])


def test_only_a_service_received_through_pathways_takes_a_referral(officer, known_offender, police):
    by_phone = make_service(managed_by=police, receiving=None, name="Budmouth Foodbank")
    with pytest.raises(ValidationError) as error:
        refer(officer, known_offender, by_phone)
    assert "does not take referrals through Pathways" in error.value.message_dict["service"][0]
    closed = make_service(managed_by=police, receiving=police, name="Closed service", is_active=False)
    with pytest.raises(ValidationError):
        refer(officer, known_offender, closed)


def test_nobody_refers_a_person_they_may_not_see(housing_worker, known_offender, linking_service, analyst):
    with pytest.raises(PermissionDenied):
        refer(housing_worker, known_offender, linking_service)
    with pytest.raises(PermissionDenied):  # an analyst makes no referrals
        refer(analyst, known_offender, linking_service)
    assert not Referral.objects.exists()


def test_the_linking_service_accepts_records_contact_and_closes_with_an_outcome(
    officer, known_offender, linking_worker, linking_service
):
    referral = refer(officer, known_offender, linking_service)
    referring.referral_accept(referral=referral, by=linking_worker)
    assert referral.status == S.ACCEPTED
    with pytest.raises(ReferralRefused, match="is accepted: it cannot be closed now"):
        referring.referral_close(referral=referral, by=linking_worker, outcome="supported")
    today = timezone.localdate()
    referring.referral_contact(referral=referral, by=linking_worker, on=today, method="attempt", note="No answer")
    assert referral.status == S.IN_CONTACT
    referring.referral_contact(referral=referral, by=linking_worker, on=today, method="visit", note="Saw him at home")
    assert referral.contacts.count() == 2
    referring.referral_close(referral=referral, by=linking_worker, outcome="supported", reason="Now has a tenancy")
    assert (referral.status, referral.outcome) == (S.CLOSED, "supported")
    chain = [(e.from_status, e.to_status) for e in referral.events.all()]
    assert chain == [("", "sent"), ("sent", "accepted"), ("accepted", "in_contact"), ("in_contact", "closed")]
    assert referral.events.last().reason == "Supported: the need was met. Now has a tenancy"
    with pytest.raises(ReferralRefused, match="is closed: it cannot be withdrawn now"):
        referring.referral_withdraw(referral=referral, by=officer, reason="Changed my mind")


def test_contact_needs_a_note_and_a_date_not_in_the_future(officer, known_offender, linking_worker, linking_service):
    referral = refer(officer, known_offender, linking_service)
    with pytest.raises(ReferralRefused, match="accept it before recording contact"):
        referring.referral_contact(
            referral=referral, by=linking_worker, on=timezone.localdate(), method="phone", note="Rang"
        )
    referring.referral_accept(referral=referral, by=linking_worker)
    with pytest.raises(ValidationError) as error:
        referring.referral_contact(
            referral=referral,
            by=linking_worker,
            on=timezone.localdate() + dt.timedelta(days=2),
            method="phone",
            note=" ",
        )
    assert set(error.value.message_dict) == {"on", "note"}
    assert referral.status == S.ACCEPTED


def test_decline_and_redirect_need_a_reason(officer, known_offender, linking_worker, linking_service, tenancy_service):
    referral = refer(officer, known_offender, linking_service)
    with pytest.raises(ValidationError):
        referring.referral_decline(referral=referral, by=linking_worker, reason="")
    with pytest.raises(ValidationError):
        referring.referral_redirect(referral=referral, by=linking_worker, to_service=tenancy_service, reason="")
    assert referral.status == S.SENT and referral.events.count() == 1
    referring.referral_decline(referral=referral, by=linking_worker, reason="Already supported by his GP")
    assert referral.status == S.DECLINED
    assert referral.events.last().reason == "Already supported by his GP"


def test_redirect_closes_the_referral_and_opens_one_to_the_other_service_that_the_referrer_follows(
    officer, known_offender, linking_worker, linking_service, tenancy_service, housing, housing_officer
):
    referral = refer(officer, known_offender, linking_service)
    made = referring.referral_redirect(
        referral=referral, by=linking_worker, to_service=tenancy_service, reason="Needs tenancy support only"
    )
    assert referral.status == S.REDIRECTED
    assert made.status == S.SENT and made.redirected_from == referral
    assert made.service == tenancy_service and made.receiving_agency == housing
    # Made by the linking worker, on behalf of the police: the police follow it.
    assert made.referred_by == linking_worker and made.referring_agency == officer.agency
    assert (made.reason, made.consent, made.pathways) == (referral.reason, referral.consent, referral.pathways)
    first = made.events.get()
    assert first.agency == linking_worker.agency and "Redirected from" in first.reason
    assert AgencyRecord.objects.filter(person=known_offender, agency=housing).exists()
    # The housing worker triages it; the officer may withdraw it.
    referring.referral_accept(referral=made, by=housing_officer)
    referring.referral_withdraw(referral=made, by=officer, reason="He has moved out of the area")
    assert made.status == S.WITHDRAWN
    with pytest.raises(ValidationError):  # a redirect goes somewhere else
        other = refer(officer, known_offender, linking_service)
        referring.referral_redirect(referral=other, by=linking_worker, to_service=linking_service, reason="x")


def test_only_the_receiving_agency_triages_and_only_the_referrer_withdraws(
    officer, known_offender, linking_worker, linking_service, housing_officer, make_user, linking
):
    referral = refer(officer, known_offender, linking_service)
    for outsider in (officer, housing_officer):
        with pytest.raises(PermissionDenied):
            referring.referral_accept(referral=referral, by=outsider)
    with pytest.raises(PermissionDenied):
        referring.referral_withdraw(referral=referral, by=linking_worker, reason="Not ours")
    volunteer = make_user("linking-analyst", linking, Role.ANALYST)
    with pytest.raises(PermissionDenied):  # the receiving agency's analyst does not triage
        referring.referral_accept(referral=referral, by=volunteer)
    assert referral.status == S.SENT


# The rules, written out again from docs/referrals.md, for the property below.
ACTIONS = ["accept", "decline", "redirect", "contact", "close", "withdraw"]
EXPECTED: dict[tuple[str, str], str] = {
    ("accept", S.SENT): S.ACCEPTED,
    ("decline", S.SENT): S.DECLINED,
    ("redirect", S.SENT): S.REDIRECTED,
    ("contact", S.ACCEPTED): S.IN_CONTACT,
    ("contact", S.IN_CONTACT): S.IN_CONTACT,
    ("close", S.IN_CONTACT): S.CLOSED,
    ("withdraw", S.SENT): S.WITHDRAWN,
    ("withdraw", S.ACCEPTED): S.WITHDRAWN,
    ("withdraw", S.IN_CONTACT): S.WITHDRAWN,
}
REACHABLE = {S.SENT, S.ACCEPTED, S.IN_CONTACT, S.CLOSED, S.DECLINED, S.REDIRECTED, S.WITHDRAWN}


def _do(action: str, referral: Referral, officer: User, worker: User, elsewhere: Service) -> Referral | None:
    today = timezone.localdate()
    if action == "accept":
        referring.referral_accept(referral=referral, by=worker)
    elif action == "decline":
        referring.referral_decline(referral=referral, by=worker, reason="Not for us")
    elif action == "redirect":
        return referring.referral_redirect(referral=referral, by=worker, to_service=elsewhere, reason="Better there")
    elif action == "contact":
        referring.referral_contact(referral=referral, by=worker, on=today, method="phone", note="Spoke to him")
    elif action == "close":
        referring.referral_close(referral=referral, by=worker, outcome="supported")
    else:
        referring.referral_withdraw(referral=referral, by=officer, reason="No longer needed")
    return None


def assert_chain_continuous(referral: Referral) -> None:
    events = list(ReferralEvent.objects.filter(referral=referral).order_by("created_at"))
    assert events[0].from_status == "" and events[0].to_status == S.SENT
    for before, after in itertools.pairwise(events):
        assert after.from_status == before.to_status
    assert events[-1].to_status == referral.status


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.sampled_from(ACTIONS), max_size=8))
def test_any_sequence_of_actions_keeps_to_the_rules_and_a_continuous_history(
    officer, known_offender, linking_worker, linking_service, tenancy_service, actions
):
    with transaction.atomic():
        referral = refer(officer, known_offender, linking_service)
        for action in actions:
            was = referral.status
            expected = EXPECTED.get((action, was))
            try:
                opened = _do(action, referral, officer, linking_worker, tenancy_service)
            except ReferralRefused:
                assert expected is None, (action, was)
                assert referral.status == was
            else:
                assert expected is not None, (action, was)
                assert referral.status == expected
                if opened is not None:
                    assert opened.status == S.SENT and opened.redirected_from_id == referral.pk
                    assert_chain_continuous(opened)
            assert referral.status in REACHABLE
            assert_chain_continuous(referral)
        if referral.status == S.CLOSED:
            assert referral.outcome
        transaction.set_rollback(True)
