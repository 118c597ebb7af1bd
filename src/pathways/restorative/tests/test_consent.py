"""Contact and consent: the victim leads, consent must be informed, and anyone may stop at any
point, which closes the case kindly and stops every further contact."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.restorative import referrals
from pathways.restorative.cases import case_move, task_create
from pathways.restorative.models import ConsentRecord, ContactAttempt, Task
from pathways.restorative.reference import (
    OPEN_STATUSES,
    CaseStatus,
    ClosureReason,
    ConsentStatus,
    Role,
    TaskKind,
    TaskStatus,
)
from pathways.restorative.testing import create_case
from pathways.testing import signed_in_client


def accepted_case(officer, rj_service, coordinator, offender):  # type: ignore[no-untyped-def]
    case = create_case(by=officer, service=rj_service, offender=offender)
    referrals.referral_accept(case=case, by=coordinator)
    case.refresh_from_db()
    return case, case.parties.get(role=Role.VICTIM), case.parties.get(role=Role.OFFENDER)


def give(case, party, by):  # type: ignore[no-untyped-def]
    return referrals.consent_record(case=case, party=party, by=by, status=ConsentStatus.GIVEN, informed=True)


def open_tasks(case):  # type: ignore[no-untyped-def]
    return Task.objects.filter(case=case, status=TaskStatus.OPEN)


def test_speaking_to_the_victim_does_their_first_contact_task(officer, rj_service, coordinator, known_offender):
    case, victim, _ = accepted_case(officer, rj_service, coordinator, known_offender)
    referrals.contact_record(case=case, party=victim, by=coordinator, method="phone", result="no_answer")
    assert open_tasks(case).filter(party=victim, kind=TaskKind.FIRST_CONTACT).exists()
    referrals.contact_record(case=case, party=victim, by=coordinator, method="phone", result="spoke", note="Keen")
    assert not open_tasks(case).exists()
    assert Task.objects.get(case=case).status == TaskStatus.DONE
    assert ContactAttempt.objects.filter(case=case).count() == 2


def test_a_contact_in_the_future_is_refused(officer, rj_service, coordinator, known_offender):
    case, victim, _ = accepted_case(officer, rj_service, coordinator, known_offender)
    with pytest.raises(ValidationError) as error:
        referrals.contact_record(
            case=case,
            party=victim,
            by=coordinator,
            method="phone",
            result="spoke",
            made_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "made_on" in error.value.message_dict


def test_consent_counts_only_once_they_were_told_what_taking_part_involves(
    officer, rj_service, coordinator, known_offender
):
    case, victim, _ = accepted_case(officer, rj_service, coordinator, known_offender)
    with pytest.raises(ValidationError) as error:
        referrals.consent_record(case=case, party=victim, by=coordinator, status=ConsentStatus.GIVEN, informed=False)
    assert "informed" in error.value.message_dict
    assert not ConsentRecord.objects.exists()


def test_the_offender_is_approached_only_after_the_victim_says_yes(officer, rj_service, coordinator, known_offender):
    case, victim, offender = accepted_case(officer, rj_service, coordinator, known_offender)
    assert not open_tasks(case).filter(party=offender).exists()
    give(case, victim, coordinator)
    (task,) = open_tasks(case).filter(party=offender)
    assert task.kind == TaskKind.CONTACT
    case.refresh_from_db()
    assert case.status == CaseStatus.CONTACT  # the offender has not yet said yes
    give(case, offender, coordinator)
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT


def test_a_case_with_no_offender_named_moves_on_when_the_victim_consents(officer, rj_service, coordinator):
    case = create_case(by=officer, service=rj_service)
    referrals.referral_accept(case=case, by=coordinator)
    give(case, case.parties.get(), coordinator)
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT


def test_a_victim_who_declines_closes_the_case_before_the_offender_hears_of_it(
    officer, rj_service, coordinator, known_offender
):
    case, victim, offender = accepted_case(officer, rj_service, coordinator, known_offender)
    with pytest.raises(ValidationError) as error:
        referrals.consent_record(case=case, party=victim, by=coordinator, status=ConsentStatus.DECLINED)
    assert "note" in error.value.message_dict
    referrals.consent_record(
        case=case, party=victim, by=coordinator, status=ConsentStatus.DECLINED, note="By phone; thanked and told"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closure_reason == ClosureReason.CONSENT_DECLINED
    assert "thanked and told" in case.closure_note
    assert not open_tasks(case).exists()
    assert not Task.objects.filter(case=case, party=offender).exists()


def test_only_consent_once_given_can_be_withdrawn(officer, rj_service, coordinator, known_offender):
    case, victim, _ = accepted_case(officer, rj_service, coordinator, known_offender)
    with pytest.raises(ValidationError) as error:
        referrals.consent_record(case=case, party=victim, by=coordinator, status=ConsentStatus.WITHDRAWN, note="x")
    assert "declined" in str(error.value)


WITHDRAWAL_REASON = {Role.VICTIM: ClosureReason.VICTIM_WITHDREW, Role.OFFENDER: ClosureReason.OFFENDER_WITHDREW}


@given(stage=st.sampled_from(OPEN_STATUSES), role=st.sampled_from([Role.VICTIM, Role.OFFENDER]))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_withdrawal_at_any_stage_closes_the_case_and_stops_further_contact(
    officer, rj_service, coordinator, known_offender, stage, role
):
    case, victim, offender = accepted_case(officer, rj_service, coordinator, known_offender)
    give(case, victim, coordinator)
    give(case, offender, coordinator)
    case.refresh_from_db()
    case_move(case, stage)
    task_create(case=case, by=coordinator, kind=TaskKind.FOLLOW_UP, description="Call back", due_on=case.referred_on)
    party = victim if role == Role.VICTIM else offender

    referrals.consent_record(
        case=case, party=party, by=coordinator, status=ConsentStatus.WITHDRAWN, note="Told in person; case closed"
    )

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.closure_reason == WITHDRAWAL_REASON[role]
    assert not open_tasks(case).exists()
    with pytest.raises(ValidationError):
        referrals.contact_record(case=case, party=victim, by=coordinator, method="phone", result="spoke")
    with pytest.raises(ValidationError):
        task_create(case=case, by=coordinator, kind=TaskKind.CONTACT, description="Try again", due_on=case.closed_on)
    with pytest.raises(ValidationError):
        give(case, party, coordinator)
    assert not open_tasks(case).exists()


def test_the_case_page_shows_each_partys_consent_history_and_records_consent(
    officer, rj_service, coordinator, known_offender
):
    case, victim, offender = accepted_case(officer, rj_service, coordinator, known_offender)
    client = signed_in_client(coordinator)
    url = reverse("restorative:consent", args=[case.pk, victim.pk])
    uninformed = client.post(url, {"status": "given", "recorded_on": timezone.localdate().isoformat()})
    assert uninformed.status_code == 400
    assert "told what taking part involves" in uninformed.content.decode()
    done = client.post(
        url, {"status": "given", "recorded_on": timezone.localdate().isoformat(), "informed": "on", "note": "Keen"}
    )
    assert done.status_code == 302
    page = client.get(reverse("restorative:case", args=[case.pk])).content.decode()
    assert "told what taking part involves: Keen" in page
    assert f"Contact {offender.name}" in page


def test_a_withdrawal_through_the_page_closes_the_case_and_removes_the_forms(
    officer, rj_service, coordinator, known_offender
):
    case, victim, _ = accepted_case(officer, rj_service, coordinator, known_offender)
    give(case, victim, coordinator)
    client = signed_in_client(coordinator)
    response = client.post(
        reverse("restorative:consent", args=[case.pk, victim.pk]),
        {"status": "withdrawn", "recorded_on": timezone.localdate().isoformat(), "note": "Phoned to say stop"},
    )
    assert response.status_code == 302
    page = client.get(reverse("restorative:case", args=[case.pk])).content.decode()
    assert "The victim chose to stop" in page and "Phoned to say stop" in page
    assert "Record contact with" not in page
    refused = client.post(
        reverse("restorative:contact", args=[case.pk, victim.pk]),
        {"made_on": timezone.localdate().isoformat(), "method": "phone", "result": "spoke"},
    )
    assert refused.status_code == 400 and "is closed" in refused.content.decode()
    assert not ContactAttempt.objects.filter(case=case).exists()


def test_a_facilitator_records_contact_on_a_case_allocated_to_them_only(
    officer, rj_service, coordinator, facilitator_user, known_offender
):
    case, victim, _ = accepted_case(officer, rj_service, coordinator, known_offender)
    url = reverse("restorative:contact", args=[case.pk, victim.pk])
    data = {"made_on": timezone.localdate().isoformat(), "method": "letter", "result": "sent"}
    assert signed_in_client(facilitator_user).post(url, data).status_code == 404
    assert signed_in_client(coordinator).post(url, data).status_code == 302
    assert ContactAttempt.objects.get(case=case).result == "sent"
