import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.accounts.services import api_token_create
from pathways.restorative import referrals
from pathways.restorative.models import Case, Task
from pathways.restorative.reference import CaseStatus, Role, Source, TaskKind, TaskStatus
from pathways.restorative.testing import create_case
from pathways.testing import signed_in_client


def test_a_referral_shares_the_offender_with_the_service_and_waits_in_its_queue(
    officer, rj_service, coordinator, known_offender
):
    assert not people_visible_to(coordinator).filter(pk=known_offender.pk).exists()
    case = create_case(by=officer, service=rj_service, offender=known_offender)
    assert case.status == CaseStatus.REFERRED
    assert case.reference.startswith("RJ-")
    assert people_visible_to(coordinator).filter(pk=known_offender.pk).exists()
    assert AuditEvent.objects.filter(action="create", object_type="rj_case", object_id=str(case.pk)).exists()


def test_only_the_service_enters_a_victims_own_referral(officer, rj_service, coordinator):
    with pytest.raises(ValidationError) as error:
        create_case(by=officer, service=rj_service, source=Source.SELF)
    assert "co-ordinators" in str(error.value)
    assert create_case(by=coordinator, service=rj_service, source=Source.SELF).source == Source.SELF


def test_a_referral_to_an_agency_that_is_not_an_rj_service_is_refused(officer, probation):
    with pytest.raises(ValidationError) as error:
        create_case(by=officer, service=probation)
    assert "not a restorative justice service" in str(error.value)
    assert referrals.Case.objects.count() == 0


# --- The co-ordinator's decision ---------------------------------------------------


def test_accepting_a_referral_plans_first_contact_with_the_victim_within_five_working_days(
    officer, rj_service, coordinator, known_offender
):
    case = create_case(by=officer, service=rj_service, offender=known_offender)
    friday = dt.date(2026, 11, 20)
    referrals.referral_accept(case=case, by=coordinator, on=friday)
    case.refresh_from_db()
    assert case.status == CaseStatus.CONTACT
    assert case.accepted_on == friday and case.coordinator == coordinator
    (task,) = Task.objects.filter(case=case)
    assert task.kind == TaskKind.FIRST_CONTACT and task.party.role == Role.VICTIM
    assert task.due_on == dt.date(2026, 11, 27)  # the next Friday: the weekend does not count
    assert task.status == TaskStatus.OPEN


@given(start=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)), days=st.integers(1, 30))
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_working_days_skip_weekends(start, days):
    due = referrals.add_working_days(start, days)
    weekdays = sum(1 for n in range(1, (due - start).days + 1) if (start + dt.timedelta(n)).weekday() < 5)
    assert weekdays == days
    assert due.weekday() < 5


def test_declining_needs_a_reason_the_referrer_then_sees(officer, rj_service, coordinator):
    case = create_case(by=officer, service=rj_service)
    with pytest.raises(ValidationError) as error:
        referrals.referral_decline(case=case, by=coordinator, reason="  ")
    assert "reason" in error.value.message_dict
    referrals.referral_decline(case=case, by=coordinator, reason="The victim has moved out of our area")
    case.refresh_from_db()
    assert case.status == CaseStatus.DECLINED
    assert case.declined_reason == "The victim has moved out of our area"
    client = signed_in_client(officer)
    page = client.get(reverse("restorative:referrals")).content.decode()
    assert "Referral declined" in page and "moved out of our area" in page


def test_only_a_new_referral_can_be_accepted_or_declined(officer, rj_service, coordinator):
    case = create_case(by=officer, service=rj_service)
    referrals.referral_accept(case=case, by=coordinator)
    with pytest.raises(ValidationError):
        referrals.referral_accept(case=case, by=coordinator)
    with pytest.raises(ValidationError):
        referrals.referral_decline(case=case, by=coordinator, reason="Changed our mind")
    assert Task.objects.filter(case=case).count() == 1


def test_only_the_services_coordinators_decide(officer, rj_service, facilitator_user, make_user):
    from pathways.accounts.models import Agency, AgencyKind
    from pathways.accounts.models import Role as UserRole

    case = create_case(by=officer, service=rj_service)
    other = Agency.objects.create(code="other-rj", name="Other RJ", kind=AgencyKind.RJ_SERVICE)
    for user in (officer, facilitator_user, make_user("other-co", other, UserRole.RJ_COORDINATOR)):
        with pytest.raises(PermissionDenied):
            referrals.referral_accept(case=case, by=user)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REFERRED


def test_asking_for_more_information_and_the_referrers_answer(officer, rj_service, coordinator):
    case = create_case(by=officer, service=rj_service, why_referred="Victim asked about it.")
    with pytest.raises(ValidationError):
        referrals.referral_ask(case=case, by=coordinator, question="")
    referrals.referral_ask(case=case, by=coordinator, question="Is the offender still in custody?")
    case.refresh_from_db()
    assert case.status == CaseStatus.INFO_REQUESTED
    referrals.referral_answer(case=case, by=officer, answer="Released last week.", on=dt.date(2026, 11, 2))
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED
    assert case.information_requested == ""
    assert case.why_referred.startswith("Victim asked about it.")
    assert "More information (2 November 2026)" in case.why_referred
    assert "Is the offender still in custody?" in case.why_referred and "Released last week." in case.why_referred
    with pytest.raises(ValidationError):
        referrals.referral_answer(case=case, by=officer, answer="Again")


def test_another_agency_cannot_answer_for_the_referrer(officer, rj_service, coordinator, probation_caseworker):
    case = create_case(by=officer, service=rj_service)
    referrals.referral_ask(case=case, by=coordinator, question="Which station?")
    with pytest.raises(PermissionDenied):
        referrals.referral_answer(case=case, by=probation_caseworker, answer="Central")


def test_the_queue_shows_waiting_referrals_oldest_first_with_their_ages(officer, rj_service, coordinator):
    today = timezone.localdate()
    new = create_case(by=officer, service=rj_service, referred_on=today - dt.timedelta(days=2))
    old = create_case(by=officer, service=rj_service, referred_on=today - dt.timedelta(days=9))
    asked = create_case(by=officer, service=rj_service, referred_on=today - dt.timedelta(days=5))
    taken = create_case(by=officer, service=rj_service, referred_on=today - dt.timedelta(days=20))
    referrals.referral_ask(case=asked, by=coordinator, question="Which station?")
    referrals.referral_accept(case=taken, by=coordinator)
    queue = referrals.coordinator_queue(coordinator, today=today)
    assert [(q.case.reference, q.age_days) for q in queue.referrals] == [
        (old.reference, 9),
        (asked.reference, 5),
        (new.reference, 2),
    ]
    counts = {status: count for status, _, count in queue.open_by_status}
    assert counts == {"referred": 2, "info_requested": 1, "contact": 1}
    assert queue.open_total == 4


def test_the_queue_page_lists_ages_and_open_cases(officer, rj_service, coordinator):
    create_case(by=officer, service=rj_service, referred_on=timezone.localdate() - dt.timedelta(days=3))
    page = signed_in_client(coordinator).get(reverse("restorative:queue"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "RJ-" in text and ">3<" in text and "New referral" in text


# --- The pages -----------------------------------------------------------------------


def test_referring_from_a_persons_page_links_the_offence_and_lands_on_the_agencys_referrals(
    officer, rj_service, coordinator, known_offender
):
    client = signed_in_client(officer)
    person_page = client.get(reverse("people:detail", args=[known_offender.pk])).content.decode()
    assert "Refer for restorative justice" in person_page
    url = reverse("restorative:referral-new") + f"?person={known_offender.pk}"
    form = client.get(url)
    assert form.status_code == 200
    text = form.content.decode()
    assert known_offender.full_name in text
    assert 'value="police" selected' in text  # an officer refers as the police
    offence = known_offender.offences.order_by("offence_date").first()
    response = client.post(
        url,
        {
            "service": rj_service.pk,
            "source": "police",
            "stage": "post_sentence",
            "what_happened": "Shed broken into; tools taken.",
            "why_referred": "The victim wants to ask why them.",
            "offence": offence.pk,
            "area": "BH1",
            "case_types": ["hate_crime"],
            "victim_name": "Priya Shah",
            "victim_phone": "07700 900123",
            "victim_email": "priya@example.com",
            "victim_needs": "Prefers calls after 5pm",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("restorative:referrals")
    case = Case.objects.get()
    assert case.offence == offence and case.case_types == ["hate_crime"] and case.area == "BH1"
    assert {p.role: p.name for p in case.parties.all()} == {
        "victim": "Priya Shah",
        "offender": known_offender.full_name,
    }
    listing = client.get(reverse("restorative:referrals")).content.decode()
    assert case.reference in listing and "New referral" in listing


def test_a_referral_without_a_victim_or_harm_is_shown_again_with_the_problems(officer, rj_service):
    client = signed_in_client(officer)
    response = client.post(
        reverse("restorative:referral-new"),
        {"service": rj_service.pk, "source": "police", "stage": "pre_sentence", "what_happened": "Assault"},
    )
    assert response.status_code == 400
    assert "Name the victim" in response.content.decode()
    assert not Case.objects.exists()


def test_a_person_the_referrer_may_not_see_is_not_found(housing_worker, officer, rj_service, known_offender, make_user):
    from pathways.accounts.models import Agency, AgencyKind
    from pathways.accounts.models import Role as UserRole

    council = Agency.objects.create(code="council", name="Council", kind=AgencyKind.COUNCIL)
    asb_officer = make_user("asb-officer", council, UserRole.CASEWORKER)
    response = signed_in_client(asb_officer).get(reverse("restorative:referral-new") + f"?person={known_offender.pk}")
    assert response.status_code == 404
    assert known_offender.surname not in response.content.decode()


def test_the_referrer_answers_a_question_from_their_list(officer, rj_service, coordinator):
    case = create_case(by=officer, service=rj_service)
    referrals.referral_ask(case=case, by=coordinator, question="Does the victim have a support worker?")
    client = signed_in_client(officer)
    listing = client.get(reverse("restorative:referrals")).content.decode()
    assert "Does the victim have a support worker?" in listing
    empty = client.post(reverse("restorative:referral-answer", args=[case.pk]), {"answer": ""})
    assert empty.status_code == 400
    done = client.post(reverse("restorative:referral-answer", args=[case.pk]), {"answer": "Yes, from Victim Support"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED and "Victim Support" in case.why_referred


def test_the_referrer_sees_status_but_not_the_services_case_notes(officer, rj_service, coordinator):
    case = create_case(by=officer, service=rj_service)
    referrals.referral_accept(case=case, by=coordinator)
    victim = case.parties.get(role=Role.VICTIM)
    referrals.contact_record(
        case=case, party=victim, by=coordinator, method="phone", result="spoke", note="Upset; wants time to think"
    )
    listing = signed_in_client(officer).get(reverse("restorative:referrals")).content.decode()
    assert "Contacting the parties" in listing
    assert "wants time to think" not in listing
    assert signed_in_client(officer).get(reverse("restorative:case", args=[case.pk])).status_code == 403


def test_the_coordinator_decides_from_the_case_page(officer, rj_service, coordinator):
    case = create_case(by=officer, service=rj_service)
    client = signed_in_client(coordinator)
    page = client.get(reverse("restorative:case", args=[case.pk])).content.decode()
    assert "Decide on the referral" in page
    url = reverse("restorative:referral-decide", args=[case.pk])
    missing = client.post(url, {"decision": "decline", "reason": ""})
    assert missing.status_code == 400 and "Say why the referral is declined" in missing.content.decode()
    assert client.post(url, {"decision": "accept"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CONTACT
    page = client.get(reverse("restorative:case", args=[case.pk])).content.decode()
    assert "Decide on the referral" not in page and "First contact with Priya Shah" in page


def test_a_coordinator_closes_an_open_case_with_a_reason_and_note(officer, rj_service, coordinator):
    case = create_case(by=officer, service=rj_service)
    referrals.referral_accept(case=case, by=coordinator)
    client = signed_in_client(coordinator)
    url = reverse("restorative:case-close", args=[case.pk])
    assert client.post(url, {"reason": "no_contact", "note": ""}).status_code == 400
    assert client.post(url, {"reason": "no_contact", "note": "Three calls and a letter; no reply"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closure_reason == "no_contact"
    assert not Task.objects.filter(case=case, status=TaskStatus.OPEN).exists()


# --- The API -------------------------------------------------------------------------


def _api(user):  # type: ignore[no-untyped-def]
    _, key = api_token_create(user=user, name="t")
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_the_api_refers_a_case_and_lists_the_agencys_referrals(officer, rj_service, known_offender):
    client = _api(officer)
    offence = known_offender.offences.first()
    response = client.post(
        "/api/v1/restorative/referrals",
        {
            "service": rj_service.code,
            "source": "police",
            "stage": "pre_charge",
            "what_happened": "Criminal damage to a car",
            "offence_id": str(offence.pk),
            "person_id": str(known_offender.pk),
            "victim": {"name": "Sam Green", "phone": "07700 900456", "email": "sam@example.com"},
            "case_types": [],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("RJ-") and body["status"] == "referred"
    case = Case.objects.get(reference=body["reference"])
    assert case.offence == offence and case.parties.count() == 2
    listed = client.get("/api/v1/restorative/referrals").json()
    assert [(r["reference"], r["service"], r["status"]) for r in listed] == [
        (body["reference"], rj_service.code, "referred")
    ]


def test_the_api_answers_bad_referrals_with_field_errors(officer, rj_service):
    client = _api(officer)
    bad = client.post(
        "/api/v1/restorative/referrals",
        {"service": rj_service.code, "source": "police", "stage": "sometime", "what_happened": ""},
        content_type="application/json",
    )
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert "stage" in errors and "what_happened" in errors and "victim" in errors
    unknown = client.post(
        "/api/v1/restorative/referrals",
        {"service": "nowhere", "source": "police", "stage": "asb", "what_happened": "Noise"},
        content_type="application/json",
    )
    assert unknown.status_code == 422 and "service" in unknown.json()["errors"]
    malformed = client.post("/api/v1/restorative/referrals", {"service": 3}, content_type="application/json")
    assert malformed.status_code == 422 and "source" in malformed.json()["errors"]
    assert not Case.objects.exists()


def test_the_api_refuses_who_cannot_refer(analyst, housing_worker, rj_service):
    for user in (analyst, housing_worker):
        client = _api(user)
        assert client.get("/api/v1/restorative/referrals").status_code == 403
        posted = client.post(
            "/api/v1/restorative/referrals",
            {"service": rj_service.code, "source": "other", "stage": "asb", "what_happened": "Noise"},
            content_type="application/json",
        )
        assert posted.status_code == 403
    assert not Case.objects.exists()


def test_the_api_will_not_refer_a_person_the_caller_may_not_see(rj_service, known_offender, make_user):
    from pathways.accounts.models import Agency, AgencyKind
    from pathways.accounts.models import Role as UserRole

    council = Agency.objects.create(code="council", name="Council", kind=AgencyKind.COUNCIL)
    client = _api(make_user("asb-officer", council, UserRole.CASEWORKER))
    response = client.post(
        "/api/v1/restorative/referrals",
        {
            "service": rj_service.code,
            "source": "other",
            "stage": "asb",
            "what_happened": "Noise",
            "person_id": str(known_offender.pk),
        },
        content_type="application/json",
    )
    assert response.status_code == 422 and "person_id" in response.json()["errors"]
