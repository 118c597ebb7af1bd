"""Who a case is offered to, and allocating it: the hard rules hold for every facilitator
hypothesis can think of."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.restorative.allocation import allocate, rank_facilitators, rank_pairs
from pathways.restorative.cases import case_move
from pathways.restorative.models import Allocation, Conflict, Facilitator, Training
from pathways.restorative.reference import CaseStatus, CaseType, Course
from pathways.restorative.testing import create_case
from pathways.testing import signed_in_client

TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def make_facilitator(service, name="Fay Cole", *, areas=("WX3",), capacity=2, courses=(Course.FOUNDATION,), **kw):
    given, surname = name.split(" ", 1)
    values = {"vetting_level": "nppv2", "vetted_on": days(-300), "vetting_expires_on": days(400)} | kw
    f = Facilitator.objects.create(
        service=service,
        given_name=given,
        surname=surname,
        kind="volunteer",
        areas=list(areas),
        capacity=capacity,
        **values,
    )
    for course in courses:
        Training.objects.create(facilitator=f, course=course, completed_on=days(-100), expires_on=days(600))
    return f


@pytest.fixture
def waiting_case(officer, rj_service, known_offender):
    case = create_case(by=officer, service=rj_service, offender=known_offender, area="WX3")
    return case_move(case, CaseStatus.ALLOCATION)


def test_the_best_placed_facilitator_is_first_with_the_reasons(waiting_case, rj_service):
    near = make_facilitator(rj_service, "Ann Near", areas=["WX3"], capacity=3)
    far = make_facilitator(rj_service, "Bob Far", areas=["WX9"], capacity=5)
    ranked = rank_facilitators(waiting_case, TODAY)
    assert [c.facilitator for c in ranked] == [near, far]
    assert ranked[0].reasons[0] == "covers WX3"
    assert "3 of 3 places free" in ranked[0].reasons
    assert any(r.startswith("vetting in date until") for r in ranked[0].reasons)
    assert "does not cover WX3" in ranked[1].reasons


def test_each_hard_rule_is_a_stated_reason_not_to_offer(waiting_case, rj_service, known_offender, coordinator):
    waiting_case.case_types = [CaseType.DOMESTIC_ABUSE]
    waiting_case.save()
    make_facilitator(
        rj_service,
        "Al Unvetted",
        vetting_level="",
        vetted_on=None,
        vetting_expires_on=None,
        courses=[Course.FOUNDATION, Course.DOMESTIC_ABUSE],
    )
    make_facilitator(
        rj_service, "Bea Lapsed", vetting_expires_on=TODAY, courses=[Course.FOUNDATION, Course.DOMESTIC_ABUSE]
    )
    make_facilitator(rj_service, "Cy Untrained", courses=[Course.FOUNDATION])
    make_facilitator(
        rj_service,
        "Di Away",
        available=True,
        unavailable_until=days(10),
        courses=[Course.FOUNDATION, Course.DOMESTIC_ABUSE],
    )
    full = make_facilitator(rj_service, "Ed Full", capacity=0, courses=[Course.FOUNDATION, Course.DOMESTIC_ABUSE])
    knows = make_facilitator(rj_service, "Flo Knows", courses=[Course.FOUNDATION, Course.DOMESTIC_ABUSE])
    Conflict.objects.create(facilitator=knows, person=known_offender, description="Neighbour", declared_on=TODAY)
    named = make_facilitator(rj_service, "Gus Named", courses=[Course.FOUNDATION, Course.DOMESTIC_ABUSE])
    Conflict.objects.create(facilitator=named, name="priya  SHAH", description="Old friend", declared_on=TODAY)
    ok = make_facilitator(rj_service, "Hal Fine", courses=[Course.FOUNDATION, Course.DOMESTIC_ABUSE])
    why = {c.facilitator.full_name: c.refusals for c in rank_facilitators(waiting_case, TODAY)}
    assert why["Al Unvetted"] == ["not vetted"]
    assert why["Bea Lapsed"][0].startswith("vetting expired on")
    assert why["Cy Untrained"] == ["no in-date training for domestic abuse"]
    assert why["Di Away"][0].startswith("unavailable until")
    assert why["Ed Full"] == ["at capacity (0 of 0 places taken)"]
    assert why["Flo Knows"] == why["Gus Named"] == ["has declared a conflict of interest with a party"]
    assert why["Hal Fine"] == []
    with pytest.raises(ValidationError) as error:
        allocate(case=waiting_case, by=coordinator, facilitator=full)
    assert "Ed Full cannot take this case: at capacity" in str(error.value)
    allocation = allocate(case=waiting_case, by=coordinator, facilitator=ok)
    assert allocation.ranking[0]["name"] == "Hal Fine"


def test_allocating_moves_the_case_on_and_a_second_choice_needs_a_reason(waiting_case, rj_service, coordinator):
    first = make_facilitator(rj_service, "Ann First", capacity=3)
    second = make_facilitator(rj_service, "Bob Second", capacity=1)
    with pytest.raises(ValidationError) as error:
        allocate(case=waiting_case, by=coordinator, facilitator=second)
    assert "reason" in error.value.message_dict
    allocation = allocate(
        case=waiting_case, by=coordinator, facilitator=second, reason="Speaks Polish, as the victim does"
    )
    waiting_case.refresh_from_db()
    assert waiting_case.status == CaseStatus.PREPARATION
    assert [r["name"] for r in allocation.ranking] == ["Ann First", "Bob Second"]
    assert AuditEvent.objects.filter(object_type="rj_allocation", object_id=str(allocation.pk)).exists()
    # Bob's one place is now taken by this case; re-allocating it to Ann frees it.
    again = allocate(case=waiting_case, by=coordinator, facilitator=first)
    assert Allocation.objects.get(pk=allocation.pk).ended_on == TODAY
    assert again.ended_on is None


def test_only_a_coordinator_allocates(waiting_case, rj_service, facilitator_user, coordinator):
    fay = make_facilitator(rj_service, "Fay Cole", user=facilitator_user)
    allocate(case=waiting_case, by=coordinator, facilitator=fay)
    with pytest.raises(PermissionDenied):
        allocate(case=waiting_case, by=facilitator_user, facilitator=fay, reason="x")


def test_pairs_both_covering_the_area_come_first(waiting_case, rj_service):
    make_facilitator(rj_service, "Ann A", areas=["WX3"], capacity=1)
    make_facilitator(rj_service, "Bob B", areas=["WX3"], capacity=1)
    make_facilitator(rj_service, "Cat C", areas=["WX9"], capacity=9)
    top = rank_pairs(waiting_case, TODAY)[0]
    assert {top.lead.facilitator.given_name, top.co.facilitator.given_name} == {"Ann", "Bob"}
    assert top.both_cover


def test_the_allocation_page_shows_the_ranking_and_refuses_a_facilitator(
    waiting_case, rj_service, coordinator, facilitator_user
):
    fay = make_facilitator(rj_service, "Fay Cole", user=facilitator_user)
    make_facilitator(rj_service, "Ned Lapsed", vetting_expires_on=days(-1))
    url = reverse("restorative:allocate", kwargs={"case_id": waiting_case.pk})
    client = signed_in_client(coordinator)
    page = client.get(url).content.decode()
    assert "Fay Cole" in page and "covers WX3" in page
    assert "Ned Lapsed" in page and "vetting expired on" in page
    refused = client.post(url, {"facilitator": Facilitator.objects.get(surname="Lapsed").pk})
    assert refused.status_code == 400
    assert "cannot take this case" in refused.content.decode()
    assert client.post(url, {"facilitator": fay.pk}).status_code == 302
    # Fay now holds the case: she sees it in her list, and may open the allocation page but not allocate.
    as_fay = signed_in_client(facilitator_user)
    assert waiting_case.reference in as_fay.get(reverse("restorative:my-cases")).content.decode()
    assert as_fay.get(url).status_code == 403


facilitator_specs = st.lists(
    st.fixed_dictionaries(
        {
            "vetting": st.none() | st.integers(-20, 20),
            "trainings": st.lists(
                st.tuples(st.sampled_from(Course.values), st.integers(-400, 0), st.none() | st.integers(-20, 20)),
                max_size=5,
            ),
            "capacity": st.integers(0, 3),
            "conflict": st.booleans(),
            "available": st.booleans(),
        }
    ),
    min_size=1,
    max_size=4,
)


def qualified(spec: dict, case_types: list[str]) -> bool:
    """Worked out from the spec alone: vetting in date, and in-date training for each type."""
    if spec["vetting"] is None or spec["vetting"] <= 0:
        return False
    held = {course for course, _, expires in spec["trainings"] if expires is None or expires > 0}
    return all(t in held for t in case_types)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=facilitator_specs, case_types=st.lists(st.sampled_from(CaseType.values), unique=True, min_size=1))
def test_a_complex_case_is_never_offered_to_an_untrained_or_unvetted_facilitator(
    waiting_case, rj_service, coordinator, specs, case_types
):
    with transaction.atomic():
        waiting_case.case_types = case_types
        waiting_case.save()
        made = []
        for n, spec in enumerate(specs):
            vetted = spec["vetting"] is not None
            f = Facilitator.objects.create(
                service=rj_service,
                given_name=f"F{n}",
                surname="Test",
                kind="staff",
                capacity=spec["capacity"],
                available=spec["available"],
                vetting_level="nppv2" if vetted else "",
                vetted_on=days(-500) if vetted else None,
                vetting_expires_on=days(spec["vetting"]) if vetted else None,
            )
            for course, done, expires in spec["trainings"]:
                Training.objects.create(
                    facilitator=f,
                    course=course,
                    completed_on=days(done),
                    expires_on=None if expires is None else days(expires),
                )
            if spec["conflict"]:
                Conflict.objects.create(facilitator=f, name="Priya Shah", description="Knows her", declared_on=TODAY)
            made.append((f, spec))
        ranked = {c.facilitator.pk: c for c in rank_facilitators(waiting_case, TODAY)}
        for f, spec in made:
            if not qualified(spec, case_types):
                assert not ranked[f.pk].offered, (spec, case_types)
                with pytest.raises(ValidationError):
                    allocate(case=waiting_case, by=coordinator, facilitator=f, reason="Chosen anyway", on=TODAY)
            if spec["conflict"] or not spec["available"] or spec["capacity"] == 0:
                assert not ranked[f.pk].offered
        transaction.set_rollback(True)
