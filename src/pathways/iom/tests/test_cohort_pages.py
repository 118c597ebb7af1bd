"""The cohort's pages and API as their users meet them: the panel reads the ranked candidates
and decides; workers see who is managed and by whom; the score's configuration is readable by
all and changed by the panel as a new version; bad input is shown where it is wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from pathways.accounts.models import Role
from pathways.iom import cohort
from pathways.iom.models import Membership, ScoreConfig
from pathways.iom.reference import MembershipStatus, Tier
from pathways.iom.scoring import DEFAULT_CONFIG
from pathways.iom.testing import create_membership, create_offender
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def police_caseworker(police: Any, make_user: Any) -> Any:
    """Works the cohort but does not sit on the panel."""
    return make_user("police-caseworker", police, Role.CASEWORKER)


@pytest.fixture
def member(iom_supervisor: Any, prolific_offender: Any, ppo_scheme: Any) -> Membership:
    return create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme, tier=Tier.MEDIUM)


def adopt_url(scheme: Any, person: Any) -> str:
    return reverse("iom:adopt", args=[scheme.code, person.pk])


def test_the_cohort_page_counts_who_we_manage_and_who_manages_them(police_caseworker: Any, member: Membership) -> None:
    page = signed_in_client(police_caseworker).get(reverse("iom:cohort"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-scheme="ppo">1<' in html
    assert member.person.full_name in html and "Neighbourhood officer" in html
    assert str(member.score_at_adoption) in html
    high_only = signed_in_client(police_caseworker).get(reverse("iom:cohort"), {"scheme": "ppo", "tier": "high"})
    assert member.person.full_name not in high_only.content.decode()
    assert 'data-scheme="ppo">1<' in high_only.content.decode()  # the totals stay in view


def test_the_candidate_list_ranks_and_explains_each_score(
    iom_supervisor: Any, police: Any, police_admin: Any, ppo_scheme: Any, prolific_offender: Any
) -> None:
    lighter = create_offender(
        agency=police,
        by=police_admin,
        reference="L1",
        given_name="Lee",
        surname="Cole",
        offences=[(90, "46", "theft"), (250, "46", "theft"), (500, "46", "theft")],
    )
    page = signed_in_client(iom_supervisor).get(reverse("iom:candidates"), {"scheme": "ppo"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(prolific_offender.full_name) < html.index(lighter.full_name)
    score = cohort.person_score(prolific_offender)
    assert f"How the score of {score.total} was reached" in html
    assert f"Frequency {score.frequency:.2f}: 6 proven offences" in html
    assert adopt_url(ppo_scheme, prolific_offender) in html  # the panel's forms


def test_a_caseworker_sees_candidates_but_cannot_adopt(
    police_caseworker: Any, ppo_scheme: Any, prolific_offender: Any, police: Any
) -> None:
    client = signed_in_client(police_caseworker)
    page = client.get(reverse("iom:candidates"), {"scheme": "ppo"})
    assert prolific_offender.full_name in page.content.decode()
    assert adopt_url(ppo_scheme, prolific_offender) not in page.content.decode()
    refused = client.post(
        adopt_url(ppo_scheme, prolific_offender),
        {"adopt-tier": "high", "adopt-lead_agency": police.pk, "adopt-reason": "Prolific"},
    )
    assert refused.status_code == 403
    assert not Membership.objects.exists()


def test_adopting_without_a_reason_says_what_is_missing_and_saves_nothing(
    iom_supervisor: Any, ppo_scheme: Any, prolific_offender: Any, police: Any
) -> None:
    page = signed_in_client(iom_supervisor).post(
        adopt_url(ppo_scheme, prolific_offender), {"adopt-tier": "high", "adopt-lead_agency": police.pk}
    )
    html = page.content.decode()
    assert page.status_code == 400
    assert "There is a problem" in html
    assert '<a href="#id_adopt-reason">Say why the panel adopts them</a>' in html
    assert not Membership.objects.exists()


def test_adopting_opens_the_member_page_and_they_leave_the_candidates(
    iom_supervisor: Any, ppo_scheme: Any, prolific_offender: Any, police: Any
) -> None:
    client = signed_in_client(iom_supervisor)
    done = client.post(
        adopt_url(ppo_scheme, prolific_offender),
        {"adopt-tier": "high", "adopt-lead_agency": police.pk, "adopt-reason": "Burglary series"},
        follow=True,
    )
    membership = Membership.objects.get()
    assert done.redirect_chain[-1][0] == reverse("iom:member", args=[membership.pk])
    html = done.content.decode()
    assert "adopted into the Prolific and other Priority Offenders cohort" in html
    assert "Specialist IOM team" in html and "Burglary series" in html
    after = client.get(reverse("iom:candidates"), {"scheme": "ppo"})
    assert f"candidate-{prolific_offender.pk}" not in after.content.decode()


def test_declining_takes_them_off_the_list(iom_supervisor: Any, ppo_scheme: Any, prolific_offender: Any) -> None:
    client = signed_in_client(iom_supervisor)
    done = client.post(
        reverse("iom:decline", args=["ppo", prolific_offender.pk]), {"decline-reason": "Engaging with probation"}
    )
    assert done.status_code == 302
    after = client.get(reverse("iom:candidates"), {"scheme": "ppo"}).content.decode()
    assert f"candidate-{prolific_offender.pk}" not in after


def test_a_worker_with_no_record_of_the_person_gets_not_found(housing_worker: Any, member: Membership) -> None:
    assert signed_in_client(housing_worker).get(reverse("iom:member", args=[member.pk])).status_code == 404


def test_the_member_page_shows_the_score_at_adoption_and_the_other_sections(
    police_caseworker: Any, member: Membership
) -> None:
    html = signed_in_client(police_caseworker).get(reverse("iom:member", args=[member.pk])).content.decode()
    assert reverse("people:detail", args=[member.person.pk]) in html
    assert f"version {member.config.version} of the score" in html
    assert f"Frequency: {member.score_parts['frequency']}" in html
    assert "Remove from the cohort" not in html  # not on the panel
    assert reverse("iom:supporter-add", args=[member.pk]) in html


def test_removing_from_the_cohort_records_the_reason_and_date(iom_supervisor: Any, member: Membership) -> None:
    client = signed_in_client(iom_supervisor)
    missing = client.post(reverse("iom:exit", args=[member.pk]), {"exit-reason": ""})
    assert missing.status_code == 400 and "Say why they leave the cohort" in missing.content.decode()
    done = client.post(
        reverse("iom:exit", args=[member.pk]),
        {"exit-reason": "Sentenced to four years' custody", "exit-on": str(member.adopted_on)},
        follow=True,
    )
    member.refresh_from_db()
    assert member.status == MembershipStatus.DESELECTED and member.ended_on == member.adopted_on
    assert member.end_reason == "Sentenced to four years' custody"
    assert "Sentenced to four years&#x27; custody" in done.content.decode()


def test_the_panel_changes_the_tier_and_the_history_says_why(iom_supervisor: Any, member: Membership) -> None:
    client = signed_in_client(iom_supervisor)
    same = client.post(reverse("iom:tier", args=[member.pk]), {"tier-tier": "medium", "tier-reason": "No change"})
    assert same.status_code == 400 and "They are already medium" in same.content.decode()
    client.post(reverse("iom:tier", args=[member.pk]), {"tier-tier": "high", "tier-reason": "Two burglaries"})
    member.refresh_from_db()
    assert member.tier == Tier.HIGH
    html = client.get(reverse("iom:member", args=[member.pk])).content.decode()
    assert "Risk tier changed (medium to high): Two burglaries" in html


def test_a_caseworker_adds_and_ends_a_supporting_worker(
    police_caseworker: Any, member: Membership, housing: Any
) -> None:
    client = signed_in_client(police_caseworker)
    client.post(
        reverse("iom:supporter-add", args=[member.pk]),
        {"supporter-agency": housing.pk, "supporter-name": "Sam Reid", "supporter-role": "Housing officer"},
    )
    worker = member.supporting_workers.get()
    assert worker.name == "Sam Reid" and worker.until is None
    client.post(reverse("iom:supporter-end", args=[member.pk, worker.pk]))
    worker.refresh_from_db()
    assert worker.until is not None
    assert client.post(reverse("iom:review", args=[member.pk]), {"review-note": "Fine"}).status_code == 403


def test_saving_the_configuration_makes_a_new_version(iom_supervisor: Any, member: Membership) -> None:
    client = signed_in_client(iom_supervisor)
    changed = dict(DEFAULT_CONFIG, points_per_offence=7)
    done = client.post(reverse("iom:score"), {"config": json.dumps(changed), "note": "More weight on frequency"})
    assert done.status_code == 302
    assert ScoreConfig.objects.get(version=2).config["points_per_offence"] == 7
    html = client.get(reverse("iom:score")).content.decode()
    assert "7 points for each counted offence" in html
    assert "More weight on frequency" in html
    member.refresh_from_db()
    assert member.config.version == 1  # the adoption keeps the version that chose them


def test_a_bad_configuration_shows_the_path_of_each_problem_and_saves_nothing(iom_supervisor: Any) -> None:
    client = signed_in_client(iom_supervisor)
    bad = json.loads(json.dumps(DEFAULT_CONFIG))
    del bad["gravity_by_group"]["theft"]
    bad["half_life_months"] = 0
    page = client.post(reverse("iom:score"), {"config": json.dumps(bad), "note": "Try"})
    html = page.content.decode()
    assert page.status_code == 400
    assert "gravity_by_group.theft: missing" in html and "half_life_months: must be more than 0" in html
    not_json = client.post(reverse("iom:score"), {"config": "{oops", "note": "Try"})
    assert "not valid JSON" in not_json.content.decode()
    assert ScoreConfig.objects.count() == 1


def test_only_the_panel_and_administrators_change_the_configuration(police_caseworker: Any, analyst: Any) -> None:
    assert signed_in_client(analyst).get(reverse("iom:score")).status_code == 200  # readable: it is transparent
    refused = signed_in_client(police_caseworker).post(
        reverse("iom:score"), {"config": json.dumps(DEFAULT_CONFIG), "note": "x"}
    )
    assert refused.status_code == 403


def test_the_panel_adds_a_scheme_and_it_is_listed_with_its_criteria(
    iom_supervisor: Any, police_caseworker: Any, police: Any
) -> None:
    form = {
        "code": "hccu",
        "name": "High Crime Causers",
        "entry_criteria": "Acquisitive crime",
        "lead_agency": police.pk,
        "minimum_score": "15",
        "minimum_age": "18",
        "maximum_age": "16",
        "offence_groups": ["theft"],
        "active": "on",
    }
    client = signed_in_client(iom_supervisor)
    wrong = client.post(reverse("iom:scheme-new"), form)
    assert wrong.status_code == 400 and "The maximum age must not be below the minimum age" in wrong.content.decode()
    assert client.post(reverse("iom:scheme-new"), dict(form, maximum_age="")).status_code == 302
    html = signed_in_client(police_caseworker).get(reverse("iom:schemes")).content.decode()
    assert "High Crime Causers" in html and "Score at least 15" in html
    assert signed_in_client(police_caseworker).get(reverse("iom:scheme-new")).status_code == 403


def test_the_api_lists_the_cohort_and_ranked_candidates(
    police_caseworker: Any, analyst: Any, member: Membership, police: Any, police_admin: Any
) -> None:
    create_offender(
        agency=police,
        by=police_admin,
        reference="L1",
        given_name="Lee",
        surname="Cole",
        offences=[(90, "46", "theft"), (250, "46", "theft"), (500, "46", "theft")],
    )
    client = signed_in_client(police_caseworker)
    listed = client.get("/api/v1/iom/cohort", {"scheme": "ppo"}).json()
    assert [(m["surname"], m["tier"], m["managed_by"]) for m in listed] == [("Barnes", "medium", "neighbourhood")]
    assert client.get("/api/v1/iom/cohort", {"tier": "high"}).json() == []
    found = client.get("/api/v1/iom/candidates", {"scheme": "ppo"}).json()
    assert [c["surname"] for c in found["candidates"]] == ["Cole"]
    assert found["candidates"][0]["score"]["frequency"] == 15
    assert signed_in_client(analyst).get("/api/v1/iom/cohort").status_code == 403
