"""The resolution pages, driven through the test client as an officer and a sergeant would."""

from __future__ import annotations

import json

from django.urls import reverse
from django.utils import timezone

from pathways.offending.models import Offence, OffenceOutcome
from pathways.resolutions.models import Resolution, RuleSet
from pathways.resolutions.reference import Route, Status
from pathways.resolutions.testing import create_resolution
from pathways.testing import signed_in_client


def start(client, person, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "offence": str(person.offences.get().pk),
        "admission": "admits",
        "victim_name": "Quickmart Stores",
        "victim_wants": "resolution",
        "victim_wishes": "I just want her to say sorry and not come back",
    }
    data.update(overrides)
    return client.post(reverse("resolutions:new", args=[person.pk]), data)


def test_an_officer_starts_from_the_person_and_sees_the_recommendation_with_reasons(officer, shoplifter):
    client = signed_in_client(officer)
    person_page = client.get(reverse("people:detail", args=[shoplifter.pk])).content.decode()
    assert reverse("resolutions:new", args=[shoplifter.pk]) in person_page
    response = start(client, shoplifter)
    resolution = Resolution.objects.get()
    assert response["Location"] == reverse("resolutions:decide", args=[resolution.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Recommended: Street community resolution" in page
    assert "Shoplifting: gravity 1 on the adult matrix" in page
    assert "rule set version 1" in page
    # Opening the resolution is a read of her record, in "who looked at this person".
    from pathways.access.models import AuditEvent

    assert AuditEvent.objects.filter(
        action="read", object_type="person", object_id=str(shoplifter.pk), detail__resolution=resolution.reference
    ).exists()
    assert resolution.victims.get().wishes == "I just want her to say sorry and not come back"


def test_missing_answers_are_named_and_nothing_is_saved(officer, shoplifter):
    client = signed_in_client(officer)
    response = start(client, shoplifter, admission="", victim_name="", offence="new", reference="")
    page = response.content.decode()
    assert response.status_code == 200
    for message in (
        "Say whether the person admits the offence",
        "Give the victim&#x27;s name, or choose &#x27;No individual victim&#x27;",
        "Enter the crime or incident reference",
        "Choose the offence",
    ):
        assert message in page
    assert not Resolution.objects.exists()
    assert Offence.objects.count() == 1


def test_a_new_incident_is_recorded_as_an_offence_of_the_officers_agency(officer, shoplifter):
    client = signed_in_client(officer)
    response = start(
        client,
        shoplifter,
        offence="new",
        reference="WX/2026/555",
        offence_date=str(timezone.localdate()),
        offence_type="58C",
        area="Casterbridge",
    )
    assert response.status_code == 302
    offence = Offence.objects.get(reference="WX/2026/555")
    assert (offence.offence_group, offence.agency, offence.person) == ("criminal_damage", officer.agency, shoplifter)


def test_an_override_without_a_reason_is_refused_on_the_page(officer, shoplifter):
    resolution = create_resolution(officer=officer, person=shoplifter)
    client = signed_in_client(officer)
    response = client.post(reverse("resolutions:decide", args=[resolution.pk]), {"route": "level_1"})
    assert "Say why you decided differently from the recommendation" in response.content.decode()
    resolution.refresh_from_db()
    assert resolution.status == Status.DRAFT


def test_the_supervisor_reviews_from_the_queue(officer, sergeant, shoplifter):
    resolution = create_resolution(officer=officer, person=shoplifter)
    signed_in_client(officer).post(
        reverse("resolutions:decide", args=[resolution.pk]),
        {"route": "level_1", "override_reason": "The store manager wants to meet her"},
    )
    as_sergeant = signed_in_client(sergeant)
    queue = as_sergeant.get(reverse("resolutions:review-queue")).content.decode()
    assert resolution.reference in queue and "differs from the recommendation" in queue
    as_sergeant.post(reverse("resolutions:review", args=[resolution.pk]), {"decision": "approve"})
    resolution.refresh_from_db()
    assert resolution.status == Status.REFERRED or resolution.status == Status.AGREED
    assert OffenceOutcome.objects.get(offence=resolution.offence).outcome == "8"
    timeline = signed_in_client(officer).get(reverse("people:detail", args=[shoplifter.pk])).content.decode()
    assert "Level 1 advanced community resolution (recommended: street community resolution)" in timeline
    assert "8 Community resolution" in timeline


def test_rules_are_changed_on_the_page_and_old_decisions_keep_their_version(officer, sergeant, shoplifter):
    old = create_resolution(officer=officer, person=shoplifter)
    client = signed_in_client(sergeant)
    gravity = json.loads(json.dumps(RuleSet.objects.get().rules["gravity"]))
    gravity["adult"]["codes"]["46"] = 2
    bad = client.post(
        reverse("resolutions:rules-edit", args=["gravity"]),
        {"content": json.dumps({**gravity, "adult": {**gravity["adult"], "default": 9}}), "note": "Shoplifting up"},
    )
    assert "gravity.adult.default: must be a score from 1 to 4" in bad.content.decode()
    assert RuleSet.objects.count() == 1
    client.post(
        reverse("resolutions:rules-edit", args=["gravity"]),
        {"content": json.dumps(gravity), "note": "Shoplifting is scored 2 after the summer's spate"},
    )
    assert RuleSet.objects.count() == 2
    shoplifter.offences.create(
        agency=officer.agency,
        reference="SH9",
        offence_date=timezone.localdate(),
        offence_code="46",
        offence_group="theft",
    )
    new = create_resolution(officer=officer, person=shoplifter, offence=shoplifter.offences.get(reference="SH9"))
    assert (old.rule_set.version, new.rule_set.version) == (1, 2)
    assert new.recommended_route == Route.LEVEL_1
    page = signed_in_client(officer).get(reverse("resolutions:decide", args=[old.pk])).content.decode()
    assert "rule set version 1" in page
    assert "version 2" in client.get(reverse("resolutions:rules")).content.decode()


def test_the_api_gives_the_agencys_resolutions_with_reasons_and_hides_others(officer, shoplifter, housing, make_user):
    from django.test import Client

    from pathways.accounts.models import Role
    from pathways.accounts.services import api_token_create

    resolution = create_resolution(officer=officer, person=shoplifter)
    _, key = api_token_create(user=officer, name="force system")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    listed = client.get("/api/v1/resolutions").json()
    assert [r["reference"] for r in listed] == [resolution.reference]
    one = client.get(f"/api/v1/resolutions/{resolution.pk}").json()
    assert one["recommended_route"] == "street_cr" and one["rule_set_version"] == 1
    assert one["recommendation_reasons"][-1] == "Recommended: Street community resolution"
    assert client.get("/api/v1/resolutions?status=nonsense").status_code == 422
    outsider = make_user("housing-officer", housing, Role.OFFICER)
    _, other = api_token_create(user=outsider, name="t")
    as_outsider = Client(headers={"Authorization": f"Bearer {other}"})
    assert as_outsider.get(f"/api/v1/resolutions/{resolution.pk}").status_code == 404
    assert as_outsider.get("/api/v1/resolutions").json() == []
