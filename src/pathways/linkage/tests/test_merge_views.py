"""The person page's agency records and merges, a merged person's old page, and the unmerge page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from pathways.access.models import AuditEvent
from pathways.accounts.models import Agency, Role, User
from pathways.linkage.merging import merge_people
from pathways.linkage.models import Merge
from pathways.linkage.testing import create_record
from pathways.people.models import Person
from pathways.sharing.models import Agreement
from pathways.sharing.reference import LawfulBasis
from pathways.testing import signed_in_client


@pytest.fixture
def identity_shared(police: Agency, probation: Agency) -> Agreement:
    agreement = Agreement.objects.create(
        reference="police-probation-identity",
        title="Police and probation",
        purposes=["casework"],
        categories=["identity"],
        lawful_basis=LawfulBasis.LAW_ENFORCEMENT,
        start_date=dt.date(2025, 1, 1),
        review_date=dt.date(2030, 1, 1),
    )
    agreement.parties.set([police, probation])
    return agreement


@pytest.fixture
def sergeant(police: Agency, make_user: Any) -> User:
    return make_user("merge-sergeant", police, Role.SUPERVISOR)


@pytest.fixture
def merged_pair(police: Agency, probation: Agency, sergeant: User) -> Merge:
    kept = create_record(agency=police, reference="P1", given_name="Jonathan", surname="Smith", postcode="WX1 2AB")
    merged = create_record(
        agency=probation,
        reference="N1",
        given_name="Jon",
        surname="Smyth",
        date_of_birth=dt.date(1998, 4, 12),
        postcode="WX3 9ZZ",
    )
    return merge_people(kept=kept, merged=merged, by=None, cause=Merge.Cause.AUTOMATIC, match_probability=0.987)


def test_the_kept_person_shows_each_agencys_record_and_the_merge(
    merged_pair: Merge, sergeant: User, identity_shared: Agreement
) -> None:
    page = signed_in_client(sergeant).get(reverse("people:detail", args=[merged_pair.kept_id])).content.decode()
    assert "Records from each agency" in page
    assert "Wessex Police" in page and "P1" in page and "WX1 2AB" in page
    assert "Wessex Probation" in page and "N1" in page and "12 April 1998" in page
    assert "Jon Smyth's record was merged into this person" in page
    assert "linked on import with a match probability of 0.987" in page
    assert reverse("linkage:merge-undo", args=[merged_pair.pk]) in page


def test_another_agencys_record_is_not_shown_without_an_agreement(merged_pair: Merge, sergeant: User) -> None:
    page = signed_in_client(sergeant).get(reverse("people:detail", args=[merged_pair.kept_id])).content.decode()
    assert "P1" in page and "N1" not in page and "WX3 9ZZ" not in page
    assert "1 more record from agencies whose identity details are not shared with you" in page


def test_a_merged_persons_old_page_leads_to_the_person_they_are_now(
    merged_pair: Merge, sergeant: User, probation_caseworker: User
) -> None:
    for user in (sergeant, probation_caseworker):
        client = signed_in_client(user)
        response = client.get(reverse("people:detail", args=[merged_pair.merged_id]), follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("people:detail", args=[merged_pair.kept_id]))
        assert "Jon Smyth's record was merged into this person on" in response.content.decode()


def test_a_notice_names_only_someone_merged_into_this_person(merged_pair: Merge, sergeant: User) -> None:
    other = create_record(agency=sergeant.agency, reference="P2", given_name="Ann", surname="Other")
    url = reverse("people:detail", args=[other.pk]) + f"?merged_from={merged_pair.merged_id}"
    assert "merged into this person" not in signed_in_client(sergeant).get(url).content.decode()


def test_a_merged_person_is_not_found_by_search(merged_pair: Merge, probation_caseworker: User) -> None:
    page = signed_in_client(probation_caseworker).get(reverse("people:search"), {"name": "Jon Smyth"}).content.decode()
    assert str(merged_pair.kept_id) in page
    assert str(merged_pair.merged_id) not in page


def test_a_caseworker_may_not_undo_a_merge(merged_pair: Merge, probation_caseworker: User) -> None:
    client = signed_in_client(probation_caseworker)
    page = client.get(reverse("people:detail", args=[merged_pair.kept_id])).content.decode()
    assert "Undo this merge" not in page
    url = reverse("linkage:merge-undo", args=[merged_pair.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Twins"}).status_code == 403
    assert Merge.objects.get().undone_at is None


def test_a_supervisor_of_an_unrelated_agency_may_not_undo_it(
    merged_pair: Merge, housing: Agency, make_user: Any
) -> None:
    client = signed_in_client(make_user("housing-supervisor", housing, Role.SUPERVISOR))
    url = reverse("linkage:merge-undo", args=[merged_pair.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Twins"}).status_code == 404
    assert Merge.objects.get().undone_at is None
    assert AuditEvent.objects.filter(action="refused", object_type="merge", username="housing-supervisor").exists()


def test_an_administrator_of_any_agency_may_undo_it(merged_pair: Merge, housing: Agency, make_user: Any) -> None:
    client = signed_in_client(make_user("housing-dpo", housing, Role.ADMINISTRATOR))
    assert client.get(reverse("linkage:merge-undo", args=[merged_pair.pk])).status_code == 200


def test_undoing_a_merge_needs_a_reason_then_puts_each_record_back(
    merged_pair: Merge, sergeant: User, identity_shared: Agreement
) -> None:
    client = signed_in_client(sergeant)
    url = reverse("linkage:merge-undo", args=[merged_pair.pk])
    page = client.get(url).content.decode()
    assert "Goes back to Jon Smyth" in page and "Wessex Probation N1" in page
    assert "Stays with Jonathan Smith" in page and "Wessex Police P1" in page
    page = client.post(url, {"reason": ""}).content.decode()
    assert "Say why this merge is being undone" in page
    assert Merge.objects.get().undone_at is None

    response = client.post(url, {"reason": "Different dates of birth on the PNC"}, follow=True)
    page = response.content.decode()
    assert "The merge was undone: Jonathan Smith and Jon Smyth are two people again." in page
    assert "N1" not in page.split("Records from each agency")[1].split("Merges")[0]
    assert "Different dates of birth on the PNC" in page
    assert Person.objects.get(pk=merged_pair.merged_id).merged_into_id is None
    # The probation record is its own person again, and the probation worker's link works again.
    other = client.get(reverse("people:detail", args=[merged_pair.merged_id]))
    assert other.status_code == 404  # the police never held the probation record
    assert client.get(url).status_code == 200 and "was undone on" in client.get(url).content.decode()
