"""Agreements enforced in code: a category no agreement covers is seen nowhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import people_visible_to, sharing_view
from pathways.access.services import PersonNotFound, access_person
from pathways.accounts.models import Role
from pathways.accounts.services import api_token_create
from pathways.people.models import WarningMarker
from pathways.people.selectors import person_record, person_search
from pathways.sharing import services
from pathways.sharing.models import Agreement, BreakGlassAccess
from pathways.sharing.reference import Category, LawfulBasis, Purpose
from pathways.testing import create_person_row, load, person_by_reference, signed_in_client

TODAY = timezone.localdate()


@pytest.fixture
def dpo(police, make_user):  # type: ignore[no-untyped-def]
    return make_user("dpo", police, Role.ADMINISTRATOR)


@pytest.fixture
def agree(dpo):  # type: ignore[no-untyped-def]
    def make(
        *parties,
        purposes=(Purpose.CASEWORK,),
        categories=(Category.IDENTITY,),
        basis=LawfulBasis.LAW_ENFORCEMENT,
        start=TODAY - dt.timedelta(days=30),
        end=None,
        reference=None,
    ) -> Agreement:
        return services.agreement_save(
            by=dpo,
            parties=parties,
            reference=reference or f"isa-{Agreement.objects.count() + 1}",
            title="Test agreement",
            purposes=[str(p) for p in purposes],
            categories=[str(c) for c in categories],
            lawful_basis=basis,
            lawful_basis_detail="",
            start_date=start,
            end_date=end,
            review_date=TODAY + dt.timedelta(days=300),
        )

    return make


@pytest.fixture
def shared_offender(known_offender, police, housing, probation):  # type: ignore[no-untyped-def]
    """Jonathan Smith, whose record the police hold and which is shared with housing and probation."""
    WarningMarker.objects.create(person=known_offender, agency=police, kind="violence", start_date=dt.date(2021, 3, 1))
    for agency in (housing, probation):
        AgencyRecord.objects.create(person=known_offender, agency=agency, basis=AgencyRecord.Basis.SHARED)
    return known_offender


def page_text(user, person) -> str:  # type: ignore[no-untyped-def]
    client = signed_in_client(user)
    return client.get(f"/people/{person.pk}/").content.decode()


def test_without_an_agreement_a_partner_sees_the_person_but_none_of_the_police_information(
    shared_offender, housing_worker
):
    record = person_record(person=shared_offender, view=sharing_view(housing_worker, Purpose.CASEWORK))
    assert (record.offences, record.timeline, record.markers, record.addresses) == ([], [], [], [])
    assert "Offending history from Wessex Police" in record.withheld
    html = page_text(housing_worker, shared_offender)
    assert "Assault with injury" not in html and "Shoplifting" not in html and "Violence" not in html
    assert "12 Mill Lane" not in html
    assert "Offending history from Wessex Police" in html


def test_an_agreement_shares_exactly_the_categories_it_covers(shared_offender, housing_worker, police, housing, agree):
    agree(police, housing, categories=[Category.IDENTITY, Category.RISK_MARKERS])
    record = person_record(person=shared_offender, view=sharing_view(housing_worker, Purpose.CASEWORK))
    assert [m.kind for m in record.markers] == ["violence"]
    assert record.addresses[0].postcode == "WX1 2AB"
    assert record.offences == [] and record.timeline == []
    # The same holds through the API.
    _, key = api_token_create(user=housing_worker, name="t")
    api = Client(headers={"Authorization": f"Bearer {key}"})
    assert api.get(f"/api/v1/people/{shared_offender.pk}/offences").json() == []
    body = api.get(f"/api/v1/people/{shared_offender.pk}").json()
    assert [m["kind"] for m in body["markers"]] == ["violence"]
    assert "Offending history from Wessex Police" in body["withheld"]
    offence = shared_offender.offences.first()
    assert api.get(f"/api/v1/offences/{offence.pk}").status_code == 404


def test_outcomes_are_a_category_of_their_own(shared_offender, probation_caseworker, police, probation, agree):
    agree(police, probation, categories=[Category.IDENTITY, Category.OFFENDING_HISTORY])
    record = person_record(person=shared_offender, view=sharing_view(probation_caseworker, Purpose.CASEWORK))
    assert {e.kind for e in record.timeline} == {"offence"}
    assert "Outcomes and sentences from Wessex Police" in record.withheld


def test_an_agreement_out_of_force_or_for_another_purpose_shares_nothing(
    shared_offender, probation_caseworker, police, probation, agree
):
    agree(police, probation, categories=[Category.OFFENDING_HISTORY], end=TODAY - dt.timedelta(days=1))
    agree(police, probation, categories=[Category.OFFENDING_HISTORY], start=TODAY + dt.timedelta(days=1))
    agree(police, probation, categories=[Category.OFFENDING_HISTORY], purposes=[Purpose.OFFENDER_MANAGEMENT])
    assert (
        person_record(person=shared_offender, view=sharing_view(probation_caseworker, Purpose.CASEWORK)).offences == []
    )
    # Working under the purpose the agreement names, the caseworker sees the offences.
    assert (
        len(
            person_record(
                person=shared_offender, view=sharing_view(probation_caseworker, Purpose.OFFENDER_MANAGEMENT)
            ).offences
        )
        == 2
    )


def test_choosing_a_purpose_changes_what_the_page_shows(
    shared_offender, probation_caseworker, police, probation, agree
):
    agree(police, probation, categories=[Category.OFFENDING_HISTORY], purposes=[Purpose.OFFENDER_MANAGEMENT])
    client = signed_in_client(probation_caseworker)
    assert "Assault with injury" not in client.get(f"/people/{shared_offender.pk}/").content.decode()
    client.post("/sharing/purpose/", {"purpose": Purpose.OFFENDER_MANAGEMENT})
    assert "Assault with injury" in client.get(f"/people/{shared_offender.pk}/").content.decode()
    assert AuditEvent.objects.filter(action="read", purpose=Purpose.OFFENDER_MANAGEMENT).exists()
    # A purpose the role does not allow is refused.
    response = client.post("/sharing/purpose/", {"purpose": Purpose.RESTORATIVE_JUSTICE})
    assert "Select a valid choice" in response.content.decode()


def test_consent_based_sharing_follows_the_latest_consent(
    shared_offender, probation_caseworker, police, probation, agree
):
    agree(police, probation, categories=[Category.OFFENDING_HISTORY], basis=LawfulBasis.CONSENT)

    def offences_seen() -> int:
        return len(
            person_record(person=shared_offender, view=sharing_view(probation_caseworker, Purpose.CASEWORK)).offences
        )

    assert offences_seen() == 0
    services.consent_record(
        by=probation_caseworker,
        person=shared_offender,
        purpose=Purpose.CASEWORK,
        status="given",
        recorded_on=TODAY - dt.timedelta(days=2),
    )
    assert offences_seen() == 2
    services.consent_record(
        by=probation_caseworker, person=shared_offender, purpose=Purpose.CASEWORK, status="withdrawn", recorded_on=TODAY
    )
    assert offences_seen() == 0
    with pytest.raises(ValidationError):
        services.consent_record(
            by=probation_caseworker,
            person=shared_offender,
            purpose=Purpose.CASEWORK,
            status="given",
            recorded_on=TODAY + dt.timedelta(days=1),
        )


def test_victim_contact_details_need_an_agreement_and_a_role(
    police, police_admin, probation, probation_caseworker, make_user, agree
):
    load(
        "people",
        [
            create_person_row(),
            create_person_row(person_id="V1", given_name="Vera", surname="Victim", postcode="WX3 4CD"),
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "offences",
        [
            {
                "offence_id": "O1",
                "person_id": "P1",
                "offence_date": "2024-01-02",
                "offence_code": "8N",
                "offence_group": "violence",
                "victim_ids": "V1",
            }
        ],
        agency=police,
        by=police_admin,
    )
    victim = person_by_reference(police, "V1")
    rj_service = make_user("rj", probation, Role.RJ_COORDINATOR)  # an RJ co-ordinator seconded to probation
    AgencyRecord.objects.create(person=victim, agency=probation, basis=AgencyRecord.Basis.SHARED)
    agree(
        police,
        probation,
        categories=[Category.IDENTITY, Category.VICTIM_DETAILS],
        purposes=[Purpose.CASEWORK, Purpose.RESTORATIVE_JUSTICE],
    )
    caseworker_view = person_record(person=victim, view=sharing_view(probation_caseworker, Purpose.CASEWORK))
    assert caseworker_view.is_victim and caseworker_view.addresses == []
    assert "Victim details from Wessex Police" in caseworker_view.withheld
    rj_view = person_record(person=victim, view=sharing_view(rj_service, Purpose.RESTORATIVE_JUSTICE))
    assert [a.postcode for a in rj_view.addresses] == ["WX3 4CD"]


def test_a_restricted_record_is_seen_only_by_the_users_named(shared_offender, officer, dpo, make_user, police):
    colleague = make_user("colleague", police, Role.OFFICER)
    services.restriction_place(
        by=dpo, person=shared_offender, reason="Protected witness in a current trial", allowed_users=[officer]
    )
    assert list(people_visible_to(officer)) == [shared_offender]
    assert list(people_visible_to(colleague)) == []
    assert person_search(user=colleague, name="Jonathan Smith") == []
    with pytest.raises(PersonNotFound):
        access_person(user=colleague, person_id=shared_offender.pk, purpose="casework")
    # Break-glass cannot open a restricted record.
    assert (
        services.break_glass_open(
            by=colleague, identifier="P1", reason="Urgent safeguarding concern tonight", purpose="casework"
        )
        is None
    )
    restriction = shared_offender.restrictions.get()
    services.restriction_lift(by=dpo, restriction=restriction)
    assert list(people_visible_to(colleague)) == [shared_offender]


def test_break_glass_opens_a_record_for_a_day_flagged_and_queued_for_review(
    known_offender, housing_worker, make_user, housing
):
    housing_dpo = make_user("housing-dpo", housing, Role.ADMINISTRATOR)
    with pytest.raises(ValidationError):
        services.break_glass_open(by=housing_worker, identifier="2016/0001234B", reason="need it", purpose="casework")
    access = services.break_glass_open(
        by=housing_worker,
        identifier="2016/0001234b",
        reason="Tenant threatening staff; need warning markers now",
        purpose="casework",
    )
    assert access is not None and access.person == known_offender
    assert list(people_visible_to(housing_worker)) == [known_offender]
    record = person_record(person=known_offender, view=sharing_view(housing_worker, Purpose.CASEWORK))
    assert record.break_glass and len(record.offences) == 2
    event = AuditEvent.objects.get(action="break_glass")
    assert event.detail["opened"] is True and "threatening" in event.detail["reason"]
    client = signed_in_client(housing_dpo)
    assert "Tenant threatening staff" in client.get("/sharing/break-glass/review/").content.decode()
    with pytest.raises(PermissionDenied):
        services.break_glass_review(by=housing_worker, access=access, review="justified", note="")
    with pytest.raises(ValidationError):
        services.break_glass_review(by=housing_dpo, access=access, review="not_justified", note="")
    services.break_glass_review(by=housing_dpo, access=access, review="not_justified", note="Markers were not needed")
    assert list(people_visible_to(housing_worker)) == []  # a rejected access ends at once
    BreakGlassAccess.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert list(people_visible_to(housing_worker)) == []


def test_only_a_data_protection_lead_manages_agreements(police, probation, officer):
    with pytest.raises(PermissionDenied):
        services.agreement_save(
            by=officer,
            parties=[police, probation],
            reference="x",
            title="x",
            purposes=["casework"],
            categories=["identity"],
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            start_date=TODAY,
            end_date=None,
            review_date=TODAY,
        )
    client = signed_in_client(officer)
    assert client.get("/sharing/agreements/new/").status_code == 403


def test_agreement_pages_check_their_input(dpo, police, probation):
    client = signed_in_client(dpo)
    response = client.post(
        "/sharing/agreements/new/",
        {
            "reference": "bad ref",
            "title": "",
            "parties": [str(police.pk)],
            "purposes": [],
            "categories": ["identity"],
            "lawful_basis": "ukgdpr_6_1_e",
            "start_date": "2026-02-30",
            "review_date": "2027-01-01",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert "Select at least one purpose" in html and "start date as a date" in html
    assert Agreement.objects.count() == 0
    response = client.post(
        "/sharing/agreements/new/",
        {
            "reference": "one-party",
            "title": "One party",
            "parties": [str(police.pk)],
            "purposes": ["casework"],
            "categories": ["identity"],
            "lawful_basis": "ukgdpr_6_1_e",
            "start_date": "2026-01-01",
            "review_date": "2027-01-01",
        },
    )
    assert "at least two agencies" in response.content.decode()
    response = client.post(
        "/sharing/agreements/new/",
        {
            "reference": "two-party",
            "title": "Two parties",
            "parties": [str(police.pk), str(probation.pk)],
            "purposes": ["casework"],
            "categories": ["identity"],
            "lawful_basis": "ukgdpr_6_1_e",
            "start_date": "2026-01-01",
            "review_date": "2027-01-01",
        },
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert AuditEvent.objects.filter(action="create", object_type="agreement", object_id=str(agreement.pk)).exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    agreements=st.lists(
        st.tuples(
            st.sets(st.sampled_from(["police", "probation", "housing"]), min_size=2),
            st.sets(st.sampled_from(list(Purpose.values)), min_size=1),
            st.sets(st.sampled_from(list(Category.values)), min_size=1),
            st.integers(-3, 3),
            st.one_of(st.none(), st.integers(-3, 3)),
        ),
        max_size=4,
    ),
    purpose=st.sampled_from(list(Purpose.values)),
    category=st.sampled_from(list(Category.values)),
)
def test_a_category_is_shared_exactly_when_an_agreement_in_force_covers_it(
    police, probation, housing, housing_worker, agreements, purpose, category
):
    Agreement.objects.all().delete()
    agencies = {"police": police, "probation": probation, "housing": housing}
    expected = set()
    for i, (parties, purposes, categories, start, end) in enumerate(agreements):
        start_date = TODAY + dt.timedelta(days=start)
        end_date = None if end is None else start_date + dt.timedelta(days=abs(end))
        agreement = Agreement.objects.create(
            reference=f"p{i}",
            title="p",
            purposes=sorted(purposes),
            categories=sorted(categories),
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            start_date=start_date,
            end_date=end_date,
            review_date=TODAY,
        )
        agreement.parties.set([agencies[p] for p in parties])
        in_force = start_date <= TODAY and (end_date is None or end_date >= TODAY)
        if in_force and "housing" in parties and purpose in purposes and category in categories:
            expected |= {agencies[p].pk for p in parties}
    view = sharing_view(housing_worker, purpose)
    for agency in agencies.values():
        allowed = view.can_see(category, agency.pk)
        if agency == housing:
            assert allowed == (category != Category.VICTIM_DETAILS)  # own information; victim details need a role
        elif category == Category.VICTIM_DETAILS:
            assert not allowed  # a caseworker never sees victims' details
        else:
            assert allowed == (agency.pk in expected)
