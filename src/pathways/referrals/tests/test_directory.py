"""Finding a service for a person's need, and partners keeping their own entries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.accounts.models import Agency, Role
from pathways.referrals.directory import service_save, services_search
from pathways.referrals.models import Service
from pathways.referrals.tests.test_referring import make_service


@pytest.fixture
def directory(police: Agency, housing: Agency) -> dict[str, Service]:
    return {
        "foodbank": make_service(
            managed_by=police,
            receiving=None,
            name="Budmouth Foodbank",
            provider="Budmouth Churches Together",
            pathways=["finance"],
            area_codes=["WX5", "WX6", "WX7"],
            eligibility="Anyone in crisis with a voucher",
        ),
        "debt": make_service(
            managed_by=police,
            receiving=None,
            name="Casterbridge Citizens Advice debt clinic",
            provider="Citizens Advice Wessex",
            pathways=["finance"],
            area_codes=["WX1", "WX2"],
            description="Debt advice and help with priority bills",
        ),
        "young": make_service(
            managed_by=housing,
            receiving=housing,
            name="Young people's housing pathway",
            provider="Wessex Homes",
            pathways=["accommodation"],
            min_age=16,
            max_age=25,
            eligibility="Young people leaving care or homeless",
        ),
        "linking": make_service(
            managed_by=housing,
            receiving=housing,
            name="Linking People Service",
            provider="Age UK Wessex",
            pathways=["accommodation", "health", "finance"],
            is_linking_service=True,
        ),
        "closed": make_service(
            managed_by=police, receiving=None, name="Closed debt line", pathways=["finance"], is_active=False
        ),
    }


def names(**query: Any) -> list[str]:
    return [s.name for s in services_search(**query)]


def test_every_active_service_the_linking_service_first(directory):
    assert names() == [
        "Linking People Service",
        "Budmouth Foodbank",
        "Casterbridge Citizens Advice debt clinic",
        "Young people's housing pathway",
    ]


def test_need_words_must_all_appear_in_name_provider_description_or_eligibility(directory):
    assert names(need="FOODBANK") == ["Budmouth Foodbank"]
    assert names(need="debt bills") == ["Casterbridge Citizens Advice debt clinic"]
    assert names(need="debt voucher") == []
    assert names(need="care leaving") == ["Young people's housing pathway"]
    assert names(need="age uk") == ["Linking People Service"]


def test_pathway_and_area_a_service_with_no_areas_serves_everywhere(directory):
    assert names(pathway="finance") == [
        "Linking People Service",
        "Budmouth Foodbank",
        "Casterbridge Citizens Advice debt clinic",
    ]
    assert names(pathway="finance", area="WX1") == [
        "Linking People Service",
        "Casterbridge Citizens Advice debt clinic",
    ]
    assert names(area="WX6") == ["Linking People Service", "Budmouth Foodbank", "Young people's housing pathway"]
    assert names(pathway="drugs_alcohol") == []


def test_age_within_the_services_ages(directory):
    assert "Young people's housing pathway" in names(age=16)
    assert "Young people's housing pathway" in names(age=25)
    assert "Young people's housing pathway" not in names(age=26)
    assert "Young people's housing pathway" not in names(age=15)
    assert names(pathway="accommodation", age=40) == ["Linking People Service"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pathway=st.sampled_from(["", "finance", "accommodation", "health"]),
    area=st.sampled_from(["", "WX1", "WX5", "WX9"]),
    age=st.one_of(st.none(), st.integers(0, 100)),
)
def test_every_service_found_meets_every_condition(directory, pathway, area, age):
    found = list(services_search(pathway=pathway, area=area, age=age))
    for service in Service.objects.all():
        meets = (
            service.is_active
            and (not pathway or pathway in service.pathways)
            and (not area or not service.area_codes or area in service.area_codes)
            and (age is None or ((service.min_age or 0) <= age and (service.max_age is None or age <= service.max_age)))
        )
        assert (service in found) == meets, service.name


# Keeping entries ------------------------------------------------------------------------------


@pytest.fixture
def homes_manager(housing: Agency, make_user: Any) -> Any:
    return make_user("homes-manager", housing, Role.SUPERVISOR)


def entry(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Shaston tenancy support",
        "provider": "Wessex Homes",
        "pathways": ["accommodation"],
        "area_codes": ["wx14", "WX15"],
        "contact_route": "phone",
        "contact_details": "01747 000000",
        "monthly_capacity": 8,
    }
    values.update(overrides)
    return values


def test_a_partner_adds_its_own_entry_audited_and_kept_with_its_history(homes_manager, housing):
    service = service_save(by=homes_manager, **entry())
    assert service.managed_by == housing and service.area_codes == ["WX14", "WX15"]
    assert AuditEvent.objects.filter(action="create", object_type="service", object_id=str(service.pk)).exists()
    service_save(by=homes_manager, service=service, monthly_capacity=12)
    service.refresh_from_db()
    assert service.monthly_capacity == 12 and service.name == "Shaston tenancy support"
    assert [h.monthly_capacity for h in service.history.order_by("history_date")] == [8, 12]
    assert AuditEvent.objects.filter(action="update", object_type="service", object_id=str(service.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pathways": []}, "pathways"),
        ({"pathways": ["astrology"]}, "pathways"),
        ({"min_age": 30, "max_age": 18}, "max_age"),
        ({"monthly_capacity": -1}, "monthly_capacity"),
        ({"contact_route": "pathways", "receiving_agency": None}, "receiving_agency"),
        ({"contact_route": "email", "contact_details": ""}, "contact_details"),
        ({"contact_route": "carrier_pigeon"}, "contact_route"),
        ({"name": " "}, "name"),
    ],
)
def test_an_entry_is_checked_field_by_field(homes_manager, overrides, field):
    with pytest.raises(ValidationError) as error:
        service_save(by=homes_manager, **entry(**overrides))
    assert field in error.value.message_dict
    assert not Service.objects.exists()


def test_area_codes_must_be_the_partnerships_where_areas_are_loaded(homes_manager):
    from pathways.problems.models import Area

    Area.objects.create(code="WX14", name="Shaston north", kind="postcode_district")
    Area.objects.create(code="WX15", name="Shaston south", kind="postcode_district")
    assert service_save(by=homes_manager, **entry()).area_codes == ["WX14", "WX15"]
    with pytest.raises(ValidationError) as error:
        service_save(by=homes_manager, **entry(area_codes=["WX99"]))
    assert "area_codes" in error.value.message_dict


def test_a_partner_keeps_only_its_own_entries_an_administrator_any(
    homes_manager, police, officer, police_admin, make_user
):
    theirs = make_service(managed_by=police, receiving=None, name="Police youth diversion")
    with pytest.raises(PermissionDenied):
        service_save(by=homes_manager, service=theirs, monthly_capacity=1)
    with pytest.raises(PermissionDenied):  # an officer keeps no entries
        service_save(by=officer, **entry())
    with pytest.raises(ValidationError):  # nor adds one in another partner's name
        service_save(by=homes_manager, **entry(managed_by=police))
    service_save(by=police_admin, service=theirs, monthly_capacity=3)
    theirs.refresh_from_db()
    assert theirs.monthly_capacity == 3
