"""The risk and suitability assessment: its rules, what each decision does to the case, its page."""

import html

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.restorative.assessment import assessment_record
from pathways.restorative.cases import case_move
from pathways.restorative.reference import ASSESSMENT_FACTORS, CaseStatus, CaseType, ClosureReason, TaskStatus
from pathways.restorative.testing import create_case
from pathways.testing import signed_in_client

LOW = dict.fromkeys(ASSESSMENT_FACTORS, "low")


@pytest.fixture
def to_assess(officer, rj_service, known_offender):
    return case_move(create_case(by=officer, service=rj_service, offender=known_offender), CaseStatus.ASSESSMENT)


def test_a_suitable_case_waits_for_a_facilitator_with_its_complex_types(to_assess, coordinator):
    assessment_record(
        case=to_assess, by=coordinator, ratings=LOW, case_types=[CaseType.HATE_CRIME], decision="suitable"
    )
    to_assess.refresh_from_db()
    assert to_assess.status == CaseStatus.ALLOCATION
    assert to_assess.case_types == [CaseType.HATE_CRIME]


def test_a_high_rating_needs_a_note_and_conditions(to_assess, coordinator):
    high = LOW | {"power_imbalance": "high"}
    with pytest.raises(ValidationError) as error:
        assessment_record(case=to_assess, by=coordinator, ratings=high, decision="suitable")
    assert "note_power_imbalance" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        assessment_record(
            case=to_assess, by=coordinator, ratings=high, notes={"power_imbalance": "Ex-partners"}, decision="suitable"
        )
    assert "conditions" in error.value.message_dict
    done = assessment_record(
        case=to_assess,
        by=coordinator,
        ratings=high,
        notes={"power_imbalance": "Ex-partners"},
        decision="conditions",
        conditions="Shuttle only\n\nSupporter present",
    )
    assert done.conditions == ["Shuttle only", "Supporter present"]


def test_not_suitable_closes_the_case_and_cancels_its_tasks(to_assess, coordinator):
    with pytest.raises(ValidationError) as error:
        assessment_record(case=to_assess, by=coordinator, ratings=LOW, decision="not_suitable")
    assert "reasons" in error.value.message_dict
    assessment_record(case=to_assess, by=coordinator, ratings=LOW, decision="not_suitable", reasons="Victim at risk")
    to_assess.refresh_from_db()
    assert to_assess.status == CaseStatus.CLOSED
    assert to_assess.closure_reason == ClosureReason.NOT_SUITABLE
    assert to_assess.closure_note == "Victim at risk"
    assert not to_assess.tasks.filter(status=TaskStatus.OPEN).exists()


def test_only_a_case_waiting_for_assessment_is_assessed(officer, rj_service, coordinator):
    case = create_case(by=officer, service=rj_service)
    with pytest.raises(ValidationError):
        assessment_record(case=case, by=coordinator, ratings=LOW, decision="suitable")
    assert not case.assessments.exists()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ratings=st.fixed_dictionaries({k: st.sampled_from(["low", "medium", "high"]) for k in ASSESSMENT_FACTORS}))
def test_a_plain_suitable_is_refused_whenever_a_factor_is_high(to_assess, coordinator, ratings):
    from django.db import transaction

    with transaction.atomic():
        notes = dict.fromkeys(ASSESSMENT_FACTORS, "Explained")
        if "high" in ratings.values():
            with pytest.raises(ValidationError):
                assessment_record(case=to_assess, by=coordinator, ratings=ratings, notes=notes, decision="suitable")
        else:
            assessment_record(case=to_assess, by=coordinator, ratings=ratings, notes=notes, decision="suitable")
        transaction.set_rollback(True)


def test_the_assessment_page_and_the_case_page_show_it(to_assess, coordinator):
    client = signed_in_client(coordinator)
    url = reverse("restorative:assessment", kwargs={"case_id": to_assess.pk})
    assert client.get(url).status_code == 200
    form = {f"rating_{k}": "low" for k in ASSESSMENT_FACTORS} | {"rating_safeguarding": "high", "decision": "suitable"}
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert "rated high: say what the risk is" in refused.content.decode()
    form |= {"note_safeguarding": "Young person", "conditions": "Parent present", "case_types": ["domestic_abuse"]}
    assert client.post(url, form).status_code == 302
    page = client.get(reverse("restorative:case", kwargs={"case_id": to_assess.pk})).content.decode()
    assert "Suitable with conditions" in page and "Parent present" in page and "Domestic abuse" in page
    for label in ASSESSMENT_FACTORS.values():  # the partial's labels follow the reference
        assert label in html.unescape(page)
