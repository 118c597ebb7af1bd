"""Gaps in provision: need, services, capacity and take-up by area and pathway, counts only."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.accounts.models import Agency, Role, User
from pathways.iom.cohort import config_current
from pathways.iom.models import Membership, NeedsAssessment, PathwayNeed, Scheme
from pathways.iom.reference import MembershipStatus
from pathways.people.models import Address, Person
from pathways.problems.models import Area
from pathways.referrals import gaps as gap_counts
from pathways.referrals.gaps import ABOVE_CAPACITY, DECLINING, NO_SERVICE, NOT_KNOWN, gaps
from pathways.referrals.models import ContactRoute, Referral, ReferralEvent, ReferralStatus, Service
from pathways.testing import signed_in_client

TODAY = dt.date(2026, 11, 24)
_names = itertools.count(1)


@pytest.fixture
def world(police: Agency, make_user: Any) -> dict[str, Any]:
    sergeant = make_user("gaps-sergeant", police, Role.SUPERVISOR)
    scheme = Scheme.objects.create(code="ppo", name="PPO", entry_criteria="Prolific", lead_agency=police)
    return {"agency": police, "by": sergeant, "scheme": scheme}


def create_person(area: str | None, town: str = "Casterbridge", current: bool = True) -> Person:
    n = next(_names)
    person = Person.objects.create(given_name="Alex", surname=f"Gapsworth{n}")
    if area is not None:
        Address.objects.create(person=person, address_1=f"{n} Mill Lane", town=town, area=area, is_current=current)
    return person


def assess(world: dict[str, Any], person: Person, on: dt.date = TODAY, scheme: Scheme | None = None, **levels: str):
    """A needs assessment on `on` in the person's open membership (made when missing)."""
    scheme = scheme or world["scheme"]
    membership = Membership.objects.filter(person=person, scheme=scheme).first() or Membership.objects.create(
        person=person,
        scheme=scheme,
        adopted_on=on - dt.timedelta(days=30),
        lead_agency=world["agency"],
        tier="high",
        score_at_adoption=30,
        config=config_current(),
    )
    assessment = NeedsAssessment.objects.create(membership=membership, assessed_on=on, by=world["by"])
    for pathway, level in levels.items():
        PathwayNeed.objects.create(assessment=assessment, pathway=pathway, level=level)
    return membership


def create_service(world: dict[str, Any], pathways: list[str], areas: list[str] = (), capacity: int | None = 10):  # type: ignore[assignment]
    return Service.objects.create(
        name=f"Service {next(_names)}",
        provider="Wessex Trust",
        pathways=pathways,
        area_codes=list(areas),
        monthly_capacity=capacity,
        contact_route=ContactRoute.PHONE,
        contact_details="01305 000000",
        managed_by=world["agency"],
    )


def create_referral(world: dict[str, Any], service: Service, area: str, status: str, pathways: list[str]) -> Referral:
    person = create_person(area)
    referral = Referral.objects.create(
        reference=f"RF-2026-{next(_names):05d}",
        person=person,
        service=service,
        pathways=pathways,
        reason="Needs somewhere to live",
        consent="given",
        consent_recorded_on=TODAY,
        referred_by=world["by"],
        referring_agency=world["agency"],
        receiving_agency=world["agency"],
        status=status,
        status_since=timezone.now(),
        area_code=area,
    )
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.CLOSED):
        ReferralEvent.objects.create(
            referral=referral, from_status="sent", to_status="accepted", by=world["by"], agency=world["agency"]
        )
    return referral


def cell(result: gap_counts.Gaps, area: str, pathway: str) -> gap_counts.Cell:
    row = next(r for r in result.rows if r.code == area)
    return next(c for c in row.cells if c.pathway == pathway)


def test_need_with_no_service_is_flagged_and_listed_first(world):
    for _ in range(6):
        assess(world, create_person("WX1"), accommodation="high", health="medium")
    create_service(world, ["health"], ["WX1"])
    result = gaps(today=TODAY)
    accommodation = cell(result, "WX1", "accommodation")
    assert accommodation.need == 6 and accommodation.services == 0
    assert accommodation.gaps == (NO_SERVICE,)
    assert "6 people with a need and no service" in accommodation.reason
    health = cell(result, "WX1", "health")
    assert health.need == 6 and health.services == 1 and not health.is_gap
    assert [(r.code, c.pathway) for r, c in result.no_service] == [("WX1", "accommodation")]


def test_the_linking_service_is_not_counted_as_a_service_on_every_pathway(world):
    for _ in range(6):
        assess(world, create_person("WX1"), drugs_alcohol="high")
    linking = create_service(world, [code for code, _ in gap_counts.Pathway.choices])
    linking.is_linking_service = True
    linking.save()
    drugs = cell(gaps(today=TODAY), "WX1", "drugs_alcohol")
    assert drugs.services == 0 and drugs.gaps == (NO_SERVICE,)


def test_small_numbers_are_hidden_but_still_flag_a_gap(world):
    for _ in range(3):
        assess(world, create_person("WX2"), finance="high")
    result = gaps(today=TODAY)
    finance = cell(result, "WX2", "finance")
    assert finance.need is None  # "fewer than 5"
    assert finance.gaps == (NO_SERVICE,)
    assert finance.reason.startswith("Fewer than 5 people") and "3" not in finance.reason
    text = gap_counts.csv_text(result)
    assert ",<5," in text
    line = next(line for line in text.splitlines() if line.startswith("WX2,") and "Finance" in line)
    assert ",3," not in line


def test_each_person_is_counted_once_per_pathway(world, police, make_user):
    other = Scheme.objects.create(code="dvpp", name="DV perpetrators", entry_criteria="DA", lead_agency=police)
    people = [create_person("WX3") for _ in range(5)]
    for person in people:
        # Two open memberships, each assessing the same need, and an older assessment too.
        assess(world, person, on=TODAY - dt.timedelta(days=200), accommodation="high")
        assess(world, person, accommodation="high")
        assess(world, person, scheme=other, accommodation="medium")
    result = gaps(today=TODAY)
    assert cell(result, "WX3", "accommodation").need == 5


def test_only_the_latest_assessment_of_an_open_membership_counts(world):
    for _ in range(5):
        person = create_person("WX4")
        assess(world, person, on=TODAY - dt.timedelta(days=100), drugs_alcohol="high")
        assess(world, person, drugs_alcohol="low")  # the need has eased
    for _ in range(5):
        membership = assess(world, create_person("WX4"), attitudes="high")
        membership.status, membership.ended_on = MembershipStatus.DESELECTED, TODAY
        membership.save()
    result = gaps(today=TODAY)
    assert cell(result, "WX4", "drugs_alcohol").need == 0
    assert cell(result, "WX4", "attitudes").need == 0


def test_a_person_without_a_current_address_is_counted_under_area_not_known(world):
    for n in range(6):
        person = create_person("WX5", current=False) if n % 2 else create_person(None)
        assess(world, person, ete="high")
    create_service(world, ["ete"], ["WX5"])
    result = gaps(today=TODAY)
    not_known = next(r for r in result.rows if r.code == NOT_KNOWN)
    assert not_known.label == "Area not known"
    ete = cell(result, NOT_KNOWN, "ete")
    # A service for WX5 alone cannot be assumed to serve someone whose area is not known.
    assert ete.need == 6 and ete.services == 0 and ete.gaps == (NO_SERVICE,)
    assert "WX5" not in [r.code for r in result.rows]  # a former address places no one


def test_need_above_capacity_and_unknown_capacity(world):
    for area in ("WX6", "WX7"):
        for _ in range(8):
            assess(world, create_person(area), children_families="high")
    create_service(world, ["children_families"], ["WX6"], capacity=3)
    create_service(world, ["children_families"], ["WX6"], capacity=2)
    create_service(world, ["children_families"], ["WX7"], capacity=None)
    create_service(world, ["children_families"], [], capacity=1)  # everywhere
    result = gaps(today=TODAY)
    short = cell(result, "WX6", "children_families")
    assert (short.services, short.capacity, short.capacity_unknown) == (3, 6, 0)
    assert short.gaps == (ABOVE_CAPACITY,)
    assert "can take 6 a month" in short.reason
    unknown = cell(result, "WX7", "children_families")
    assert (unknown.services, unknown.capacity, unknown.capacity_unknown) == (2, 1, 1)
    assert not unknown.is_gap


def test_services_declining_most_referrals_are_flagged(world):
    service = create_service(world, ["accommodation"], ["WX8"])
    for status in ["declined"] * 4 + ["accepted", "closed"]:
        create_referral(world, service, "WX8", status, ["accommodation", "finance"])
    create_referral(world, service, "WX8", ReferralStatus.REDIRECTED, ["accommodation"])  # counted as what it became
    old = create_referral(world, service, "WX8", "declined", ["accommodation"])
    Referral.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    result = gaps(today=timezone.localdate())
    accommodation = cell(result, "WX8", "accommodation")
    assert (accommodation.referrals, accommodation.accepted, accommodation.declined) == (6, None, None)
    assert accommodation.gaps == (DECLINING,)
    assert accommodation.reason == "Fewer than 5 of 6 referrals in the last year declined"
    # The finance referrals went to a service that is not on that pathway: still take-up.
    assert cell(result, "WX8", "finance").referrals == 6


def test_the_partnerships_areas_are_the_rows_when_they_are_set_up(world):
    Area.objects.create(code="WX9", name="Sandbourne North", kind="postcode_district")
    Area.objects.create(code="WX10", name="Sandbourne South", kind="postcode_district")
    for _ in range(5):
        assess(world, create_person("ZZ99", town="Elsewhere"), health="high")  # outside the partnership
    result = gaps(today=TODAY)
    assert [r.code for r in result.rows] == ["WX9", "WX10", NOT_KNOWN]
    assert result.rows[0].label == "Sandbourne North (WX9)"
    assert cell(result, NOT_KNOWN, "health").need == 5
    assert [r.code for r in gaps(today=TODAY, area_codes=["WX10"]).rows] == ["WX10"]


def test_the_count_takes_the_same_queries_for_many_people(world, django_assert_max_num_queries):
    for n in range(40):
        assess(world, create_person(f"WX{n % 4 + 1}"), accommodation="high", health="medium")
    with django_assert_max_num_queries(8):
        gaps(today=TODAY)


PATHWAYS = ["accommodation", "health", "finance"]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    people=st.lists(
        st.tuples(
            st.sampled_from(["WX11", "WX12", None]),
            st.lists(
                st.tuples(st.sampled_from(PATHWAYS), st.sampled_from(["none", "low", "medium", "high"])), max_size=3
            ),
            st.lists(st.sampled_from(PATHWAYS), max_size=2),
        ),
        max_size=12,
    )
)
def test_need_is_the_number_of_distinct_people_with_a_medium_or_high_need(world, people):
    """Whatever the mix of assessments and schemes, a cell's need is the people (not records)
    whose latest assessment in some open membership puts the pathway at medium or high."""
    PathwayNeed.objects.all().delete()
    NeedsAssessment.objects.all().delete()
    Membership.objects.all().delete()
    expected: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, (area, needs, second_scheme_needs) in enumerate(people):
        person = create_person(area)
        levels = dict(needs)
        assess(world, person, **levels)
        if second_scheme_needs:
            other, _ = Scheme.objects.get_or_create(
                code="other", defaults={"name": "Other", "entry_criteria": "x", "lead_agency": world["agency"]}
            )
            assess(world, person, scheme=other, **dict.fromkeys(second_scheme_needs, "high"))
        for pathway in {p for p, level in levels.items() if level in ("medium", "high")} | set(second_scheme_needs):
            expected[(area or NOT_KNOWN, pathway)].add(i)
    counted = gap_counts._need_counts()
    for key, who in expected.items():
        assert counted.get(key, 0) == len(who)
    assert sum(counted.values()) == sum(len(who) for who in expected.values())


# --- The page ---------------------------------------------------------------------------------


def test_analysts_see_the_page_and_it_is_audited(world, analyst: User):
    for _ in range(6):
        assess(world, create_person("WX13", town="Melchester"), accommodation="high")
    for _ in range(2):
        assess(world, create_person("WX14", town="Shaston"), accommodation="high")
    client = signed_in_client(analyst)
    response = client.get("/services/gaps/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="no-service"' in page and "Need with no service" in page
    assert "fewer than 5" in page
    assert "Gapsworth" not in page  # counts only, never names
    event = AuditEvent.objects.filter(username="analyst", object_type="service_gaps").latest("at")
    assert event.action == "read"

    filtered = client.get("/services/gaps/", {"town": "Melchester"}).content.decode()
    assert 'id="area-WX13"' in filtered and 'id="area-WX14"' not in filtered

    download = client.get("/services/gaps/", {"format": "csv", "area": "WX14"})
    assert download["Content-Type"].startswith("text/csv")
    lines = download.content.decode().splitlines()
    assert lines[0].startswith("area_code,area,town,pathway,people_with_need")
    assert all(line.startswith("WX14,") for line in lines[1:]) and len(lines) == 8
    assert "<5" in lines[1]
    assert AuditEvent.objects.filter(username="analyst", object_type="service_gaps", action="export").exists()


def test_officers_and_caseworkers_may_not_see_gaps(world, officer, probation_caseworker):
    for user in (officer, probation_caseworker):
        assert signed_in_client(user).get("/services/gaps/").status_code == 403
