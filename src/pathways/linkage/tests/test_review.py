"""The review queue as a police sergeant works it: the waiting pairs, one pair side by side
with the probability explained, and the three decisions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.linkage import review
from pathways.linkage.models import ReviewDecision, ReviewPair, SourceRecord
from pathways.linkage.testing import create_pair
from pathways.linkage.tests.conftest import people_of
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db


def test_the_sergeant_sees_the_waiting_pair_in_the_queue(uncertain_pair, police_sergeant):
    page = signed_in_client(police_sergeant).get(reverse("linkage:review"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 pair of records waits for review" in html
    assert "Jon Smith" in html and "Jonathan Smith" in html
    assert "82%" in html


def test_the_queue_puts_the_likeliest_or_the_oldest_first(
    uncertain_pair, police, probation, police_admin, police_sergeant
):
    likelier = create_pair(police=police, probation=probation, by=police_admin, probability=0.93, reference="PR2")
    first = review.waiting_pairs(police_sergeant, order="probability").first()
    assert first == likelier
    assert review.waiting_pairs(police_sergeant, order="oldest").first() == uncertain_pair
    html = signed_in_client(police_sergeant).get(reverse("linkage:review") + "?order=oldest").content.decode()
    assert html.index(str(uncertain_pair.pk)) < html.index(str(likelier.pk))


def test_a_supervisor_of_an_agency_in_neither_record_finds_no_pair(uncertain_pair, housing_manager):
    client = signed_in_client(housing_manager)
    assert "No pairs wait for your review" in client.get(reverse("linkage:review")).content.decode()
    url = reverse("linkage:review-pair", args=[uncertain_pair.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "link"}).status_code == 404
    uncertain_pair.refresh_from_db()
    assert uncertain_pair.status == ReviewPair.Status.WAITING and not ReviewDecision.objects.exists()
    assert AuditEvent.objects.filter(action="refused", username="housing-manager", object_type="review_pair").exists()


def test_caseworkers_do_not_review_pairs(uncertain_pair, probation_caseworker):
    client = signed_in_client(probation_caseworker)
    assert client.get(reverse("linkage:review")).status_code == 403
    assert client.get(reverse("linkage:review-pair", args=[uncertain_pair.pk])).status_code == 403


def test_the_pair_page_shows_agreements_differences_and_the_explanation(uncertain_pair, police_sergeant):
    page = signed_in_client(police_sergeant).get(reverse("linkage:review-pair", args=[uncertain_pair.pk]))
    html = page.content.decode()
    rows = {row.label: row for row in review.side_by_side(uncertain_pair)}
    assert rows["Surname"].verdict == "agrees"
    assert rows["Given name"].verdict == "differs"
    assert rows["Date of birth"].verdict == "differs"
    assert rows["PNC ID"].verdict == "missing"
    assert rows["Agency"].left == "Wessex Probation" and rows["Agency"].right == "Wessex Police"
    for tag in ("Agrees", "Differs", "Missing"):
        assert f">{tag}</strong>" in html
    assert "at 82%" in html
    assert "Day and month swapped" in html
    assert ">Against</strong> -3.6" in html and ">For</strong> +4.3" in html
    assert "linkage model version 1" in html
    # Looking at the pair is a read of both people's identifying details.
    reads = AuditEvent.objects.filter(action="read", username="police-sergeant", object_type="person")
    assert set(reads.values_list("object_id", flat=True)) == {str(p) for p in people_of(uncertain_pair)}


def test_not_the_same_person_needs_a_note(uncertain_pair, police_sergeant):
    client = signed_in_client(police_sergeant)
    url = reverse("linkage:review-pair", args=[uncertain_pair.pk])
    page = client.post(url, {"decision": "not_same", "note": " "})
    assert page.status_code == 200
    assert "Say why these are not the same person" in page.content.decode()
    assert not ReviewDecision.objects.exists()
    answer = client.post(url, {"decision": "not_same", "note": "Different dates of birth and a known brother"})
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("linkage:review"))
    uncertain_pair.refresh_from_db()
    assert uncertain_pair.status == ReviewPair.Status.NOT_SAME
    assert uncertain_pair.decided_by == police_sergeant and uncertain_pair.decided_at is not None
    assert len(people_of(uncertain_pair)) == 2
    decision = ReviewDecision.objects.get()
    assert decision.decision == "not_same" and decision.by == police_sergeant and "brother" in decision.note
    event = AuditEvent.objects.get(action="update", object_type="review_pair")
    assert event.detail["decision"] == "not_same" and event.username == "police-sergeant"


def test_a_skip_is_kept_and_the_next_pair_opens(uncertain_pair, police, probation, police_admin, police_sergeant):
    other = create_pair(police=police, probation=probation, by=police_admin, probability=0.6, reference="PR2")
    client = signed_in_client(police_sergeant)
    answer = client.post(reverse("linkage:review-pair", args=[uncertain_pair.pk]), {"decision": "skip"})
    assert answer["Location"].startswith(reverse("linkage:review-pair", args=[other.pk]))
    uncertain_pair.refresh_from_db()
    assert uncertain_pair.status == ReviewPair.Status.WAITING and uncertain_pair.decided_by is None
    assert ReviewDecision.objects.get().decision == "skip"
    assert AuditEvent.objects.filter(action="update", object_type="review_pair", detail__decision="skip").exists()
    # The skipped pair stays in the queue for everyone, marked for the one who skipped it.
    assert "Skipped by you" in client.get(reverse("linkage:review")).content.decode()


def test_linking_makes_the_two_records_one_person(uncertain_pair, police_sergeant):
    pytest.importorskip("pathways.linkage.merging")
    kept = uncertain_pair.candidate.person
    client = signed_in_client(police_sergeant)
    answer = client.post(reverse("linkage:review-pair", args=[uncertain_pair.pk]), {"decision": "link"})
    assert answer.status_code == 302
    uncertain_pair.refresh_from_db()
    assert uncertain_pair.status == ReviewPair.Status.LINKED and uncertain_pair.merge is not None
    assert people_of(uncertain_pair) == {kept.pk}
    assert uncertain_pair.merge.match_probability == pytest.approx(0.82)
    assert uncertain_pair.merge.by == police_sergeant
    # Deciding again is refused: the pair is settled.
    again = client.post(reverse("linkage:review-pair", args=[uncertain_pair.pk]), {"decision": "not_same", "note": "x"})
    assert again.status_code == 302 and ReviewDecision.objects.count() == 1


def test_a_pair_already_one_person_is_withdrawn_not_shown(uncertain_pair, police_sergeant):
    SourceRecord.objects.filter(pk=uncertain_pair.record_id).update(person=uncertain_pair.candidate.person)
    html = signed_in_client(police_sergeant).get(reverse("linkage:review")).content.decode()
    assert "No pairs wait for your review" in html
    uncertain_pair.refresh_from_db()
    assert uncertain_pair.status == ReviewPair.Status.WITHDRAWN


def test_the_home_page_tells_a_reviewer_how_many_pairs_wait(uncertain_pair, police_sergeant, officer):
    html = signed_in_client(police_sergeant).get(reverse("web:home")).content.decode()
    assert "1 pair of records waits for review" in html
    assert reverse("linkage:review") in html
    assert "wait for review" not in signed_in_client(officer).get(reverse("web:home")).content.decode()


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_a_probability_reads_as_certain_only_when_it_is(probability: Any):
    shown = review.percentage(probability)
    assert shown.endswith("%")
    assert 0 <= float(shown.rstrip("%")) <= 100
    if probability < 1:
        assert float(shown.rstrip("%")) < 100
    if probability > 0:
        assert float(shown.rstrip("%")) > 0
