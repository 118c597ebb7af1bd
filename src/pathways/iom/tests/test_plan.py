"""Needs across the seven pathways and the plan: the services, the pages and the member page's section."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.iom import cohort, plan
from pathways.iom.models import ActionUpdate, NeedsAssessment, PathwayNeed, PlanAction
from pathways.iom.reference import ActionStatus, NeedLevel, Pathway
from pathways.iom.testing import create_membership
from pathways.testing import signed_in_client

TODAY = timezone.localdate


def all_needs(level: str = NeedLevel.LOW, **overrides: tuple[str, str]) -> dict[str, tuple[str, str]]:
    needs = {p.value: (level, "") for p in Pathway}
    needs.update(overrides)
    return needs


@pytest.fixture
def membership(iom_supervisor: Any, prolific_offender: Any, ppo_scheme: Any) -> Any:
    return create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme)


def add_action(by: Any, membership: Any, **kw: Any) -> PlanAction:
    data = {
        "pathway": Pathway.ACCOMMODATION,
        "action": "Find a tenancy on release",
        "owner_agency": membership.lead_agency,
        "owner_name": "PC Dawson",
        "due_on": TODAY() + dt.timedelta(days=14),
    }
    data.update(kw)
    return plan.action_add(by=by, membership=membership, **data)


def audited(user: Any, action: str, object_type: str, object_id: Any = None) -> bool:
    found = AuditEvent.objects.filter(username=user.username, action=action, object_type=object_type)
    if object_id is not None:
        found = found.filter(object_id=str(object_id))
    return found.exists()


# Needs ------------------------------------------------------------------------------------


def test_an_assessment_must_give_every_pathway_and_names_the_missing_ones(iom_supervisor: Any, membership: Any) -> None:
    needs = all_needs()
    del needs[Pathway.HEALTH]
    del needs[Pathway.FINANCE]
    with pytest.raises(ValidationError) as caught:
        plan.needs_assess(by=iom_supervisor, membership=membership, needs=needs)
    message = " ".join(m for ms in caught.value.message_dict.values() for m in ms)
    assert "Health" in message and "Finance, benefit and debt" in message
    assert "Accommodation" not in message
    assert set(caught.value.message_dict) >= {"health_level", "finance_level"}
    assert not NeedsAssessment.objects.exists() and not PathwayNeed.objects.exists()


def test_a_high_need_must_say_why(iom_supervisor: Any, membership: Any) -> None:
    needs = all_needs(**{Pathway.DRUGS_ALCOHOL: (NeedLevel.HIGH, "  ")})
    with pytest.raises(ValidationError) as caught:
        plan.needs_assess(by=iom_supervisor, membership=membership, needs=needs)
    assert "Drugs and alcohol" in caught.value.message_dict["drugs_alcohol_notes"][0]
    assert not NeedsAssessment.objects.exists()
    needs[Pathway.DRUGS_ALCOHOL] = (NeedLevel.HIGH, "Daily heroin use; not in treatment")
    assessment = plan.needs_assess(by=iom_supervisor, membership=membership, needs=needs)
    assert plan.latest_needs(membership) == assessment
    assert plan.needs_by_pathway(assessment)[Pathway.DRUGS_ALCOHOL].notes == "Daily heroin use; not in treatment"
    assert audited(iom_supervisor, "create", "iom_needs_assessment", assessment.pk)


def test_an_assessment_cannot_be_dated_in_the_future_and_the_latest_is_by_date(
    iom_supervisor: Any, membership: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        plan.needs_assess(by=iom_supervisor, membership=membership, needs=all_needs(), on=TODAY() + dt.timedelta(1))
    assert "assessed_on" in caught.value.message_dict
    newer = plan.needs_assess(by=iom_supervisor, membership=membership, needs=all_needs(NeedLevel.MEDIUM))
    plan.needs_assess(
        by=iom_supervisor, membership=membership, needs=all_needs(NeedLevel.NONE), on=TODAY() - dt.timedelta(30)
    )
    assert plan.latest_needs(membership) == newer
    assert {r.need_level for r in plan.plan_summary(membership)} == {NeedLevel.MEDIUM}


# The plan ---------------------------------------------------------------------------------


def test_an_action_appears_under_its_pathway_and_is_flagged_overdue_after_its_date(
    iom_supervisor: Any, membership: Any
) -> None:
    plan.needs_assess(
        by=iom_supervisor,
        membership=membership,
        needs=all_needs(**{Pathway.ETE: (NeedLevel.HIGH, "Never worked; no qualifications")}),
    )
    action = add_action(
        iom_supervisor,
        membership,
        pathway=Pathway.ETE,
        action="Enrol on a CSCS card course",
        owner_name="Jo Pike",
        referred_to="Wessex Works employment service",
    )
    assert audited(iom_supervisor, "create", "iom_plan_action", action.pk)
    client = signed_in_client(iom_supervisor)
    url = reverse("iom:plan", kwargs={"membership_id": membership.pk})
    page = client.get(url).content.decode()
    section = page.split('id="pathway-ete"')[1].split("</section>")[0]
    assert "Enrol on a CSCS card course" in section and "Jo Pike" in section
    assert "Referral to Wessex Works employment service" in section and "High" in section
    assert "Enrol on a CSCS card course" not in page.split('id="pathway-ete"')[0]
    assert 'govuk-tag--red">Overdue' not in section

    # Time passes: the due date is now yesterday.
    PlanAction.objects.filter(pk=action.pk).update(due_on=TODAY() - dt.timedelta(days=1))
    section = client.get(url).content.decode().split('id="pathway-ete"')[1].split("</section>")[0]
    assert 'govuk-tag--red">Overdue' in section
    summary = {r.pathway: r for r in plan.plan_summary(membership)}
    assert summary[Pathway.ETE].open == 1 and summary[Pathway.ETE].overdue == 1
    assert [a.pk for a in plan.actions_due([membership], 0)] == [action.pk]


def test_an_action_due_in_the_past_is_refused_and_needs_a_partner_owner(
    iom_supervisor: Any, membership: Any, opcc: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        add_action(iom_supervisor, membership, due_on=TODAY() - dt.timedelta(days=1), owner_agency=opcc, action=" ")
    assert set(caught.value.message_dict) == {"due_on", "owner_agency", "action"}
    assert not PlanAction.objects.exists()


def test_not_achieved_needs_an_outcome_and_a_finished_action_cannot_change(
    iom_supervisor: Any, membership: Any
) -> None:
    action = add_action(iom_supervisor, membership)
    update = plan.action_update(by=iom_supervisor, action=action, note="Viewing booked at Mill Court")
    assert audited(iom_supervisor, "create", "iom_action_update", update.pk)
    with pytest.raises(ValidationError) as caught:
        plan.action_finish(by=iom_supervisor, action=action, status=ActionStatus.NOT_DONE, outcome="")
    assert "outcome" in caught.value.message_dict
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN
    plan.action_finish(
        by=iom_supervisor, action=action, status=ActionStatus.NOT_DONE, outcome="Refused the tenancy offered"
    )
    assert audited(iom_supervisor, "update", "iom_plan_action", action.pk)
    with pytest.raises(ValidationError, match="cannot be changed"):
        plan.action_finish(by=iom_supervisor, action=action, status=ActionStatus.DONE)
    with pytest.raises(ValidationError, match="cannot be changed"):
        plan.action_update(by=iom_supervisor, action=action, note="Found somewhere after all")
    action.refresh_from_db()
    assert action.status == ActionStatus.NOT_DONE and action.outcome == "Refused the tenancy offered"
    assert ActionUpdate.objects.filter(action=action).count() == 1


def test_nothing_changes_once_the_person_has_left_the_cohort(iom_supervisor: Any, membership: Any) -> None:
    action = add_action(iom_supervisor, membership)
    cohort.deselect(by=iom_supervisor, membership=membership, reason="Moved out of the area")
    with pytest.raises(ValidationError, match="left"):
        plan.needs_assess(by=iom_supervisor, membership=membership, needs=all_needs())
    with pytest.raises(ValidationError, match="left"):
        add_action(iom_supervisor, membership)
    with pytest.raises(ValidationError, match="left"):
        plan.action_update(by=iom_supervisor, action=action, note="Still looking")
    with pytest.raises(ValidationError, match="left"):
        plan.action_finish(by=iom_supervisor, action=action, status=ActionStatus.DONE)
    assert PlanAction.objects.count() == 1 and not ActionUpdate.objects.exists()
    assert list(plan.actions_due([membership], 30)) == []
    # The pages show the plan but offer no forms, and a post changes nothing.
    client = signed_in_client(iom_supervisor)
    page = client.get(reverse("iom:plan", kwargs={"membership_id": membership.pk})).content.decode()
    assert "Find a tenancy on release" in page and "Add the action" not in page
    client.post(reverse("iom:action", kwargs={"action_id": action.pk}), {"form": "progress", "progress-note": "x"})
    assert not ActionUpdate.objects.exists()


def test_only_iom_partners_who_may_see_the_person_change_the_plan(
    membership: Any, housing_worker: Any, analyst: Any, iom_supervisor: Any
) -> None:
    with pytest.raises(PermissionDenied):
        plan.needs_assess(by=housing_worker, membership=membership, needs=all_needs())
    with pytest.raises(PermissionDenied):
        add_action(analyst, membership)
    action = add_action(iom_supervisor, membership)
    with pytest.raises(PermissionDenied):
        plan.action_finish(by=housing_worker, action=action, status=ActionStatus.DONE)


def test_a_housing_worker_with_no_record_of_the_person_gets_not_found(
    membership: Any, housing_worker: Any, iom_supervisor: Any
) -> None:
    action = add_action(iom_supervisor, membership)
    client = signed_in_client(housing_worker)
    for url in (
        reverse("iom:needs", kwargs={"membership_id": membership.pk}),
        reverse("iom:plan", kwargs={"membership_id": membership.pk}),
        reverse("iom:action", kwargs={"action_id": action.pk}),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("iom:action", kwargs={"action_id": action.pk}), {"form": "finish"}).status_code == 404
    assert audited(housing_worker, "refused", "iom_membership", membership.pk)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_an_analyst_is_refused_the_pages(membership: Any, analyst: Any) -> None:
    response = signed_in_client(analyst).get(reverse("iom:plan", kwargs={"membership_id": membership.pk}))
    assert response.status_code == 403


# The pages --------------------------------------------------------------------------------


def test_the_needs_page_records_an_assessment_and_shows_what_is_missing(
    iom_supervisor: Any, membership: Any, prolific_offender: Any
) -> None:
    client = signed_in_client(iom_supervisor)
    url = reverse("iom:needs", kwargs={"membership_id": membership.pk})
    page = client.get(url)
    assert page.status_code == 200 and "have not been assessed" in page.content.decode()
    assert audited(iom_supervisor, "read", "person", prolific_offender.pk)

    data = {f"{p.value}_level": NeedLevel.LOW for p in Pathway if p != Pathway.ATTITUDES}
    data.update({"assessed_on": TODAY().isoformat(), "accommodation_level": NeedLevel.HIGH})
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body
    assert "Choose the need level for Attitudes, thinking and behaviour" in body
    assert "Say why the need on Accommodation is high" in body
    # The error summary takes the user to the question (the first radio) they missed.
    assert 'href="#id_attitudes_level"' in body and 'id="id_attitudes_level"' in body
    assert not NeedsAssessment.objects.exists()

    data.update({"attitudes_level": NeedLevel.MEDIUM, "accommodation_notes": "Sofa-surfing since release"})
    response = client.post(url, data)
    assert response.status_code == 302
    latest = client.get(url).content.decode().split('id="latest-needs"')[1].split("</table>")[0]
    assert "Sofa-surfing since release" in latest and "govuk-tag--red" in latest


def test_the_plan_page_adds_an_action_and_the_action_page_records_progress_and_finishes_it(
    iom_supervisor: Any, membership: Any, probation: Any
) -> None:
    client = signed_in_client(iom_supervisor)
    plan_url = reverse("iom:plan", kwargs={"membership_id": membership.pk})
    due = (TODAY() + dt.timedelta(days=7)).isoformat()
    bad = client.post(plan_url, {"pathway": "health", "action": "Register with a GP", "due_on": "next week"})
    assert bad.status_code == 400
    assert "Choose the agency that owns the action" in bad.content.decode()
    assert "Enter the due date as a date like" in bad.content.decode()
    response = client.post(
        plan_url,
        {
            "pathway": "health",
            "action": "Register with a GP",
            "owner_agency": str(probation.pk),
            "owner_name": "Sam Hale",
            "due_on": due,
        },
    )
    assert response.status_code == 302
    action = PlanAction.objects.get()
    assert action.pathway == Pathway.HEALTH and action.owner_agency == probation

    action_url = reverse("iom:action", kwargs={"action_id": action.pk})
    assert "Register with a GP" in client.get(action_url).content.decode()
    client.post(action_url, {"form": "progress", "progress-note": "Form handed in", "progress-on": TODAY().isoformat()})
    assert "Form handed in" in client.get(action_url).content.decode()
    refused = client.post(action_url, {"form": "finish", "finish-status": "not_done", "finish-outcome": ""})
    assert refused.status_code == 400 and "Say what happened" in refused.content.decode()
    done = client.post(action_url, {"form": "finish", "finish-status": "done", "finish-outcome": "Registered"})
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.finished_on == TODAY()
    page = client.get(action_url).content.decode()
    assert "finished and can no longer be changed" in page and "Finish the action</button>" not in page


def test_the_member_page_section_summarises_the_seven_pathways(iom_supervisor: Any, membership: Any) -> None:
    plan.needs_assess(
        by=iom_supervisor,
        membership=membership,
        needs=all_needs(**{Pathway.FINANCE: (NeedLevel.HIGH, "Rent arrears of £900")}),
    )
    soon = add_action(iom_supervisor, membership, pathway=Pathway.FINANCE, due_on=TODAY() + dt.timedelta(days=3))
    add_action(iom_supervisor, membership, pathway=Pathway.FINANCE, due_on=TODAY() + dt.timedelta(days=20))
    html = Template("{% load iom_plan %}{% member_needs_and_plan membership %}").render(
        Context({"membership": membership})
    )
    for p in Pathway:
        assert p.label.replace(",", "") in html.replace(",", "")
    finance = html.split('data-pathway="finance"')[1].split("</tr>")[0]
    assert 'numeric">2</td>' in finance
    assert soon.due_on.strftime("%b %Y") in finance and "High" in finance
    assert reverse("iom:needs", kwargs={"membership_id": membership.pk}) in html
    assert reverse("iom:plan", kwargs={"membership_id": membership.pk}) in html


def test_actions_due_lists_open_actions_overdue_or_due_soon_soonest_first(iom_supervisor: Any, membership: Any) -> None:
    later = add_action(iom_supervisor, membership, due_on=TODAY() + dt.timedelta(days=10))
    soon = add_action(iom_supervisor, membership, due_on=TODAY() + dt.timedelta(days=2))
    late = add_action(iom_supervisor, membership, due_on=TODAY() + dt.timedelta(days=1))
    PlanAction.objects.filter(pk=late.pk).update(due_on=TODAY() - dt.timedelta(days=5))
    finished = add_action(iom_supervisor, membership, due_on=TODAY())
    plan.action_finish(by=iom_supervisor, action=finished, status=ActionStatus.CANCELLED)
    assert [a.pk for a in plan.actions_due([membership], 7)] == [late.pk, soon.pk]
    from pathways.iom.models import Membership

    everyone = Membership.objects.all()
    assert [a.pk for a in plan.actions_due(everyone, 10)] == [late.pk, soon.pk, later.pk]
    with pytest.raises(ValueError):
        plan.actions_due(everyone, -1)


# Properties -------------------------------------------------------------------------------

ACTION = st.tuples(
    st.sampled_from(Pathway.values),
    st.sampled_from(ActionStatus.values),
    st.integers(min_value=-30, max_value=30),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, max_size=12))
def test_summary_counts_add_up_to_the_actions_on_each_pathway(
    iom_supervisor: Any, membership: Any, actions: list[tuple[str, str, int]]
) -> None:
    PlanAction.objects.filter(membership=membership).delete()
    today = TODAY()
    PlanAction.objects.bulk_create(
        PlanAction(
            membership=membership,
            pathway=pathway,
            action="An action",
            owner_agency=membership.lead_agency,
            due_on=today + dt.timedelta(days=offset),
            status=status,
            created_by=iom_supervisor,
        )
        for pathway, status, offset in actions
    )
    rows = plan.plan_summary(membership, today=today)
    assert [r.pathway for r in rows] == Pathway.values
    for row in rows:
        mine = [a for a in actions if a[0] == row.pathway]
        assert row.total == row.open + row.done + row.not_done + row.cancelled == len(mine)
        assert row.overdue == sum(1 for _, s, o in mine if s == ActionStatus.OPEN and o < 0) <= row.open
        open_due = [today + dt.timedelta(days=o) for _, s, o in mine if s == ActionStatus.OPEN]
        assert row.next_due == (min(open_due) if open_due else None)
    due = plan.actions_due([membership], 7, today=today)
    assert due.count() == sum(1 for _, s, o in actions if s == ActionStatus.OPEN and o <= 7)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    given_needs=st.dictionaries(
        st.sampled_from(Pathway.values),
        st.tuples(st.sampled_from(NeedLevel.values), st.sampled_from(["", "Known to the drug service"])),
    )
)
def test_an_assessment_is_saved_whole_or_not_at_all_naming_each_problem(
    iom_supervisor: Any, membership: Any, given_needs: dict[str, tuple[str, str]]
) -> None:
    before = NeedsAssessment.objects.count()
    missing = [p for p in Pathway if p.value not in given_needs]
    unexplained = [p for p in Pathway if p.value in given_needs and given_needs[p.value] == (NeedLevel.HIGH, "")]
    try:
        assessment = plan.needs_assess(by=iom_supervisor, membership=membership, needs=given_needs)
    except ValidationError as error:
        assert missing or unexplained
        assert NeedsAssessment.objects.count() == before
        problems = error.message_dict
        assert {k for k in problems if k.endswith("_level")} == {f"{p.value}_level" for p in missing}
        assert {k for k in problems if k.endswith("_notes")} == {f"{p.value}_notes" for p in unexplained}
        for p in missing:
            assert str(p.label) in " ".join(problems["needs"])
    else:
        assert not missing and not unexplained
        saved = plan.needs_by_pathway(assessment)
        assert {k: (v.level, v.notes) for k, v in saved.items()} == given_needs
