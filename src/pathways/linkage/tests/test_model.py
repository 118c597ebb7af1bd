"""Keeping the linkage model: training versions on the partnership's records, activating one,
its thresholds, and its accuracy on the pairs people decided. Real Splink on DuckDB throughout."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.accounts.models import Agency, Role
from pathways.linkage import engine, model_services, synthetic
from pathways.linkage.models import LinkageModel, Merge, ReviewPair, SourceRecord
from pathways.people.models import Person
from pathways.testing import signed_in_client

# --- making records -----------------------------------------------------------------------


def create_record(agency: Agency, reference: str, **values: object) -> SourceRecord:
    """One agency's record of a new person: William Hartley of Casterbridge unless told otherwise."""
    row: dict[str, object] = {
        "given_name": "William",
        "surname": "Hartley",
        "date_of_birth": dt.date(1986, 3, 11),
        "sex": "M",
        "address_1": "12 Mill Lane",
        "town": "Casterbridge",
        "postcode": "WX1 2AB",
        "pnc_id": "2004/0012345K",
    }
    row.update(values)
    person = Person.objects.create(
        given_name=str(row["given_name"]), surname=str(row["surname"]), date_of_birth=row["date_of_birth"]
    )
    return SourceRecord.objects.create(person=person, agency=agency, reference=reference, **row)


def create_synthetic_records(people: int, seed: int, agencies: dict[str, Agency]) -> int:
    """Every agency's records of `people` synthetic people, each record its own person (none linked yet)."""
    partner = synthetic.partner_records(people=people, seed=seed)
    persons = Person.objects.bulk_create(
        [Person(given_name=r.given_name or "-", surname=r.surname or "-") for r in partner.itertuples()]
    )
    records = []
    for person, r in zip(persons, partner.itertuples(), strict=True):
        dob = engine.clean_date_of_birth(r.date_of_birth)[0]
        records.append(
            SourceRecord(
                person=person,
                agency=agencies[r.agency],
                reference=f"{r.person_id}-{len(records)}",
                given_name=r.given_name,
                surname=r.surname,
                date_of_birth=dt.date.fromisoformat(dob) if dob else None,
                sex=(r.sex or "U")[:1],
                address_1=r.address_1,
                town=r.town,
                postcode=(r.postcode or "")[:8],
                pnc_id=r.pnc_id,
                other_id=r.other_id,
            )
        )
    SourceRecord.objects.bulk_create(records)
    return len(records)


@pytest.fixture
def agencies(police: Agency, probation: Agency, housing: Agency) -> dict[str, Agency]:
    from pathways.accounts.services import agency_create

    return {
        "police": police,
        "probation": probation,
        "housing": housing,
        "youth_offending": agency_create(code="wessex-yos", name="Wessex YOS", kind="yos"),
        "council": agency_create(code="casterbridge-council", name="Casterbridge Council", kind="council"),
    }


def shipped_model(version: int = 1, **values: object) -> LinkageModel:
    return LinkageModel.objects.create(
        version=version,
        splink_settings=engine.default_splink_settings(),
        training_summary=engine.model_summary(engine.default_splink_settings()),
        **values,
    )


# --- training and versions ---------------------------------------------------------------


@pytest.mark.django_db
def test_training_on_the_partnerships_records_makes_a_new_inactive_version(agencies, police_admin):
    held = create_synthetic_records(300, seed=5, agencies=agencies)
    assert held >= model_services.MIN_TRAINING_RECORDS

    first = model_services.train_model(by=police_admin, description="First load")

    assert (first.version, first.is_active, first.trained_on_records) == (1, False, held)
    assert first.trained_by == police_admin
    summary = first.training_summary
    assert 0 < summary["probability_two_random_records_match"] < 1
    assert {c["comparison"] for c in summary["comparisons"]} >= {"Surname", "Date of birth", "PNC ID"}
    assert AuditEvent.objects.filter(object_type="linkage_model", object_id=str(first.pk), action="create").exists()

    # A retrained version keeps the thresholds the partnership chose for the active one.
    model_services.activate(first, police_admin)
    model_services.set_thresholds(first, 0.9, 0.3, police_admin)
    second = model_services.train_model(by=police_admin)
    assert (second.version, second.is_active) == (2, False)
    assert (second.link_threshold, second.review_threshold) == (0.9, 0.3)
    assert model_services.active_model() == first


@pytest.mark.django_db
def test_too_few_records_to_train_on_is_refused_with_the_reason(police, police_admin):
    create_record(police, "WP1")
    with pytest.raises(ValidationError, match=r"holds 1 source records; training needs at least 200"):
        model_services.train_model(by=police_admin)
    assert not LinkageModel.objects.exists()


@pytest.mark.django_db
def test_activating_a_version_stops_the_one_before(police_admin):
    first, second = shipped_model(1), shipped_model(2)
    model_services.activate(first, police_admin)
    model_services.activate(second, police_admin)

    first.refresh_from_db()
    assert not first.is_active and second.is_active
    assert model_services.active_model() == second
    event = AuditEvent.objects.filter(object_type="linkage_model", object_id=str(second.pk)).latest("id")
    assert event.detail["replaces"] == [1]


@pytest.mark.parametrize(
    ("link", "review", "field", "reason"),
    [
        (0.5, 0.9, "review_threshold", "must be below the link threshold"),
        (0.5, 0.5, "review_threshold", "must be below the link threshold"),
        (1, 0.5, "link_threshold", "more than 0 and less than 1"),
        (0.9, 0, "review_threshold", "more than 0 and less than 1"),
        ("high", 0.5, "link_threshold", "as a probability between 0 and 1"),
        (0.9, "nan", "review_threshold", "more than 0 and less than 1"),
    ],
)
def test_bad_thresholds_are_refused_with_the_reason(link, review, field, reason):
    with pytest.raises(ValidationError) as refused:
        model_services.check_thresholds(link, review)
    assert reason in " ".join(refused.value.message_dict[field])


@given(st.floats(allow_nan=True), st.floats(allow_nan=True))
def test_thresholds_are_accepted_exactly_when_0_review_link_1(link, review):
    expected = 0 < review < link < 1
    try:
        assert model_services.check_thresholds(link, review) == (link, review)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == expected


@pytest.mark.django_db
def test_setting_thresholds_is_audited_and_bad_ones_change_nothing(police_admin):
    model = shipped_model(1)
    with pytest.raises(ValidationError):
        model_services.set_thresholds(model, 0.4, 0.6, police_admin)
    model.refresh_from_db()
    assert (model.link_threshold, model.review_threshold) == (0.95, 0.5)
    model_services.set_thresholds(model, "0.97", "0.6", police_admin)
    model.refresh_from_db()
    assert (model.link_threshold, model.review_threshold) == (0.97, 0.6)
    event = AuditEvent.objects.filter(object_type="linkage_model").latest("id")
    assert event.detail["before"] == {"link_threshold": 0.95, "review_threshold": 0.5}


# --- accuracy on clerical labels -----------------------------------------------------------


def test_match_weights_are_said_in_words():
    assert model_services.weight_in_words(0.9, 0.01).startswith("90 times as likely for records of the same person")
    assert model_services.weight_in_words(0.01, 0.5).startswith("50 times as likely for records of different people")
    assert model_services.weight_in_words(0.5, 0.5).startswith("No evidence either way")
    assert model_services.weight_in_words(1e-12, 0.9).startswith(
        "over a million times as likely for records of different"
    )
    assert model_services.weight_in_words(None, 0.5).startswith("Not estimated")


def test_accuracy_on_a_handful_of_pairs_matches_a_count_by_hand():
    scored = [(True, 0.99), (True, 0.7), (True, 0.2), (False, 0.96), (False, 0.6), (False, 0.1), (False, 0.0)]
    result = model_services.accuracy_at(scored, link=0.95, review=0.5)
    at_link, at_review = result["at_link_threshold"], result["at_review_threshold"]
    # At 0.95: linked are 0.99 (same) and 0.96 (not); the 0.7 and 0.2 pairs of one person are missed.
    assert (at_link["true_positives"], at_link["false_positives"]) == (1, 1)
    assert (at_link["false_negatives"], at_link["true_negatives"]) == (2, 3)
    assert at_link["precision"] == 0.5 and at_link["recall"] == pytest.approx(1 / 3)
    # At 0.5: 0.99, 0.7 (same) and 0.96, 0.6 (not) are linked or reviewed.
    assert (at_review["true_positives"], at_review["false_positives"]) == (2, 2)
    assert (at_review["false_negatives"], at_review["true_negatives"]) == (1, 2)
    assert result["would_go_to_review"] == 2  # 0.7 and 0.6
    low, high = at_link["precision_interval"]
    assert low < 0.5 < high


@given(
    st.lists(st.tuples(st.booleans(), st.floats(min_value=0, max_value=1)), max_size=60),
    st.floats(min_value=0.01, max_value=0.98),
    st.floats(min_value=0.01, max_value=0.99),
)
def test_accuracy_counts_add_up_whatever_the_labels(scored, low, high):
    review, link = sorted((low, high))
    result = model_services.accuracy_at(scored, link=link, review=review)
    same = sum(1 for s, _ in scored if s)
    for key in ("at_link_threshold", "at_review_threshold"):
        row = result[key]
        assert row["true_positives"] + row["false_negatives"] == same
        assert row["false_positives"] + row["true_negatives"] == len(scored) - same
        if row["precision"] is not None:
            low_p, high_p = row["precision_interval"]
            assert low_p <= row["precision"] <= high_p
    at_link, at_review = result["at_link_threshold"], result["at_review_threshold"]
    # Lowering the bar never links fewer pairs; the pairs between the two bars are the ones reviewed.
    assert at_review["true_positives"] >= at_link["true_positives"]
    flagged = lambda row: row["true_positives"] + row["false_positives"]  # noqa: E731
    if review < link:
        assert result["would_go_to_review"] == flagged(at_review) - flagged(at_link)


@pytest.fixture
def labelled_pairs(police, probation, police_admin):
    """Pairs people decided: the same record twice (linked), the same name but another person
    (not the same), two strangers (not the same), and a link later undone."""
    same = (create_record(police, "WP1"), create_record(probation, "P1", given_name="Bill"))
    namesake = (
        create_record(police, "WP2", given_name="John", surname="Smith", pnc_id="", postcode="WX5 1AA"),
        create_record(
            probation,
            "P2",
            given_name="John",
            surname="Smith",
            pnc_id="",
            date_of_birth=dt.date(1990, 7, 2),
            postcode="WX9 4ZZ",
            address_1="4 Elm Grove",
        ),
    )
    strangers = (
        create_record(police, "WP3", given_name="Tess", surname="Durbeyfield", sex="F", pnc_id=""),
        create_record(
            probation,
            "P3",
            given_name="Gabriel",
            surname="Oak",
            date_of_birth=dt.date(1950, 1, 1),
            pnc_id="",
            postcode="WX19 2BB",
        ),
    )
    undone = (
        create_record(police, "WP4", given_name="Jude", surname="Fawley", pnc_id="2001/0000042B"),
        create_record(probation, "P4", given_name="Jude", surname="Fawley", pnc_id="2001/0000042B"),
    )
    merge = Merge.objects.create(
        kept=undone[1].person, merged=undone[0].person, cause=Merge.Cause.REVIEW, undone_at=timezone.now()
    )
    now = timezone.now()
    for (record, candidate), status, merge_done in (
        (same, ReviewPair.Status.LINKED, None),
        (namesake, ReviewPair.Status.NOT_SAME, None),
        (strangers, ReviewPair.Status.NOT_SAME, None),
        (undone, ReviewPair.Status.LINKED, merge),
    ):
        ReviewPair.objects.create(
            record=record,
            candidate=candidate,
            match_probability=0.8,
            status=status,
            decided_by=police_admin,
            decided_at=now,
            merge=merge_done,
        )
    # Still waiting: not a label.
    ReviewPair.objects.create(
        record=create_record(police, "WP5"), candidate=create_record(probation, "P5"), match_probability=0.7
    )
    return {"same": same, "namesake": namesake, "strangers": strangers, "undone": undone}


@pytest.mark.django_db
def test_reviewers_decisions_and_undone_links_are_the_labels(labelled_pairs):
    labels = {frozenset((lb.record_id, lb.candidate_id)): lb.same for lb in model_services.clerical_labels()}
    key = {name: frozenset(str(r.pk) for r in pair) for name, pair in labelled_pairs.items()}
    assert labels == {key["same"]: True, key["namesake"]: False, key["strangers"]: False, key["undone"]: False}


@pytest.mark.django_db
def test_an_automatic_link_undone_is_a_false_link(police, probation):
    from pathways.linkage.models import LinkDecision

    arrived, existing = create_record(probation, "P9"), create_record(police, "WP9")
    LinkDecision.objects.create(
        record=arrived,
        method=LinkDecision.Method.MODEL,
        outcome=LinkDecision.Outcome.JOINED,
        candidate=existing,
        match_probability=0.97,
    )
    # Undone: the record is back with its own person, apart from the one it was linked to.
    Merge.objects.create(
        kept=existing.person, merged=arrived.person, cause=Merge.Cause.AUTOMATIC, undone_at=timezone.now()
    )
    assert model_services.clerical_labels() == [
        model_services.Label(str(arrived.pk), str(existing.pk), same=False, source="undone merge")
    ]


@pytest.mark.django_db
def test_label_accuracy_matches_a_count_by_hand_and_follows_the_versions_thresholds(labelled_pairs):
    model = shipped_model(1, link_threshold=0.95, review_threshold=0.5)
    # By hand: the same record twice is linked (a true link); the undone link was two records
    # agreeing on everything, PNC ID included, so the model links them too (a false link); the
    # namesakes differ in date of birth and address and the strangers in everything (not linked).
    result = model_services.label_accuracy(model)

    assert (result["labelled_pairs"], result["same_person"], result["from_undone_merges"]) == (4, 1, 1)
    at_link = result["at_link_threshold"]
    assert [at_link[k] for k in ("true_positives", "false_positives", "false_negatives", "true_negatives")] == [
        1,
        1,
        0,
        2,
    ]
    assert (at_link["precision"], at_link["recall"]) == (0.5, 1.0)
    assert result["would_go_to_review"] == 0

    # The same labels, a version that links only the most certain pairs: the pair of one person
    # agreeing on everything still links; nothing else moves.
    scored = dict(
        (frozenset((lb.record_id, lb.candidate_id)), p)
        for lb, p in model_services.score_labels(model, model_services.clerical_labels())
    )
    key = {name: frozenset(str(r.pk) for r in pair) for name, pair in labelled_pairs.items()}
    assert scored[key["same"]] > 0.99 and scored[key["undone"]] > 0.99
    assert scored[key["namesake"]] < 0.5 and scored[key["strangers"]] < 0.5


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_administrator_sees_the_versions_and_the_model_explained(police_admin, labelled_pairs):
    model = shipped_model(1, is_active=True)
    shipped_model(2, description="Candidate")
    client = signed_in_client(police_admin)

    listing = client.get(reverse("linkage:models")).content.decode()
    assert "Version 1" in listing and "Version 2" in listing and "Candidate" in listing
    assert 'id="retrain"' in listing

    page = client.get(reverse("linkage:model", args=[model.version])).content.decode()
    assert "pairs of records picked at random are the same person" in page
    assert "Date of birth" in page and "times as likely for records of the same person" in page
    assert "4 pairs decided by people" in page
    assert 'id="active-tag"' in page


@pytest.mark.django_db
def test_thresholds_are_set_on_the_page_and_bad_ones_are_explained(police_admin):
    model = shipped_model(1)
    client = signed_in_client(police_admin)
    url = reverse("linkage:model-thresholds", args=[1])

    refused = client.post(url, {"link_threshold": "0.4", "review_threshold": "0.6"})
    assert refused.status_code == 400
    assert "must be below the link threshold" in refused.content.decode()

    saved = client.post(url, {"link_threshold": "0.98", "review_threshold": "0.6"})
    assert saved.status_code == 302
    model.refresh_from_db()
    assert (model.link_threshold, model.review_threshold) == (0.98, 0.6)

    client.post(reverse("linkage:model-activate", args=[1]))
    model.refresh_from_db()
    assert model.is_active


@pytest.mark.django_db
def test_retraining_with_too_few_records_says_so_on_the_page(police, police_admin):
    create_record(police, "WP1")
    response = signed_in_client(police_admin).post(reverse("linkage:models"), {"description": ""})
    assert response.status_code == 400
    assert "training needs at least 200" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [[Role.OFFICER], [Role.SUPERVISOR], [Role.ANALYST], [Role.CASEWORKER]])
def test_no_one_but_an_administrator_keeps_the_model(police, make_user, roles):
    shipped_model(1)
    client = signed_in_client(make_user("someone", police, *roles))
    assert client.get(reverse("linkage:models")).status_code == 403
    assert client.get(reverse("linkage:model", args=[1])).status_code == 403
    assert client.post(reverse("linkage:model-activate", args=[1])).status_code == 403
    assert not LinkageModel.objects.filter(is_active=True).exists()


# --- the command -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_reports_the_active_version_its_thresholds_and_label_accuracy(labelled_pairs):
    shipped_model(1, is_active=True, link_threshold=0.97, review_threshold=0.4)
    out = StringIO()
    call_command("linkage", "status", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["active"]["version"] == 1
    assert (report["active"]["link_threshold"], report["active"]["review_threshold"]) == (0.97, 0.4)
    assert report["label_accuracy"]["labelled_pairs"] == 4
    assert report["label_accuracy"]["at_link_threshold"]["threshold"] == 0.97


@pytest.mark.django_db
def test_train_from_the_command_refuses_clearly_and_names_no_traceback(police):
    create_record(police, "WP1")
    with pytest.raises(CommandError, match="training needs at least 200"):
        call_command("linkage", "train", "--activate")
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("linkage", "train", "--user", "nobody")
