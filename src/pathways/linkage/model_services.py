"""Keeping the linkage model: training a new version on the partnership's own source records,
choosing the active version and its thresholds, and checking a version against the decisions
people made (clerical labels).

Every change is checked first and audited. A new version is never used until an administrator
makes it active, after reading how it was trained and how it does on the labelled pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.analytics.measures import wilson_interval
from pathways.linkage import engine
from pathways.linkage.models import LinkageModel, LinkDecision, Merge, ReviewPair, SourceRecord

# Expectation maximisation needs enough pairs of likely matches to estimate anything; below this
# many records Splink has too little to learn from and the model would be mostly guesswork.
MIN_TRAINING_RECORDS = 200


class TrainingRefused(ValidationError):
    """The model could not be trained: the message says why and what would let it train."""


# --- reading records for the engine ----------------------------------------------------


def records_frame(records: QuerySet[SourceRecord] | None = None) -> pd.DataFrame:
    """Source records as the engine takes them (`engine.RECORD_COLUMNS`, all text); `unique_id` is the record's id."""
    queryset = SourceRecord.objects.all() if records is None else records
    rows = [
        {
            "unique_id": str(pk),
            "given_name": given,
            "surname": surname,
            "date_of_birth": dob.isoformat() if dob else "",
            "sex": sex or "",
            "postcode": postcode or "",
            "address_1": address_1 or "",
            "town": town or "",
            "pnc_id": pnc or "",
            "other_id": other or "",
        }
        for pk, given, surname, dob, sex, postcode, address_1, town, pnc, other in queryset.order_by("pk").values_list(
            "pk", "given_name", "surname", "date_of_birth", "sex", "postcode", "address_1", "town", "pnc_id", "other_id"
        )
    ]
    return pd.DataFrame(rows, columns=list(engine.RECORD_COLUMNS))


# --- versions -----------------------------------------------------------------------------


def active_model() -> LinkageModel | None:
    return LinkageModel.objects.filter(is_active=True).select_related("trained_by").first()


def train_model(*, by: User | None, description: str = "", via: str = "web") -> LinkageModel:
    """Train the engine on every source record held and save it as a new, inactive version.

    The new version starts with the thresholds of the active one (or the defaults), so that
    retraining changes what the model knows, not how cautiously it acts.
    """
    frame = records_frame()
    if len(frame) < MIN_TRAINING_RECORDS:
        raise TrainingRefused(
            f"The partnership holds {len(frame)} source records; training needs at least {MIN_TRAINING_RECORDS} "
            "so that the model has enough likely matches to learn from. Import the partners' people files first."
        )
    try:
        result = engine.train(frame)
    except Exception as exc:
        # Splink's own errors name its internals; say what happened in the partnership's terms.
        raise TrainingRefused(
            f"The model could not be trained on {len(frame)} source records: {exc}. Nothing was saved."
        ) from exc
    current = active_model()
    with transaction.atomic():
        version = (LinkageModel.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
        model = LinkageModel.objects.create(
            version=version,
            splink_settings=result.splink_settings,
            link_threshold=current.link_threshold if current else engine.DEFAULT_LINK_THRESHOLD,
            review_threshold=current.review_threshold if current else engine.DEFAULT_REVIEW_THRESHOLD,
            is_active=False,
            trained_on_records=len(frame),
            trained_by=by,
            description=description.strip(),
            training_summary=result.summary,
        )
        audit_record(
            user=by,
            action=AuditEvent.Action.CREATE,
            object_type="linkage_model",
            object_id=str(model.pk),
            detail={"version": model.version, "trained_on_records": model.trained_on_records},
            via=via,
        )
    return model


def activate(model: LinkageModel, by: User | None, *, via: str = "web") -> LinkageModel:
    """Make this version the one linking on import uses; the one before stops being active."""
    with transaction.atomic():
        previous = list(LinkageModel.objects.select_for_update().filter(is_active=True).exclude(pk=model.pk))
        # The old version stops first: only one version may be active at a time.
        LinkageModel.objects.filter(pk__in=[m.pk for m in previous]).update(is_active=False)
        model.is_active = True
        model.save(update_fields=["is_active", "updated_at"])
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            object_type="linkage_model",
            object_id=str(model.pk),
            detail={"version": model.version, "active": True, "replaces": [m.version for m in previous]},
            via=via,
        )
    return model


def check_thresholds(link: Any, review: Any) -> tuple[float, float]:
    """Both probabilities between 0 and 1, the review threshold below the link threshold; else a
    `ValidationError` naming the field and why."""
    errors: dict[str, list[str]] = {}
    values: dict[str, float] = {}
    for field, value, words in (("link_threshold", link, "link"), ("review_threshold", review, "review")):
        try:
            number = float(value)
        except (TypeError, ValueError):
            errors[field] = [f"Enter the {words} threshold as a probability between 0 and 1, like 0.9"]
            continue
        if math.isnan(number) or not 0 < number < 1:
            errors[field] = [f"The {words} threshold must be more than 0 and less than 1, not {value}"]
        values[field] = number
    if not errors and values["review_threshold"] >= values["link_threshold"]:
        errors["review_threshold"] = [
            f"The review threshold ({values['review_threshold']}) must be below the link threshold "
            f"({values['link_threshold']}): pairs between the two wait for review"
        ]
    if errors:
        raise ValidationError(errors)
    return values["link_threshold"], values["review_threshold"]


def set_thresholds(model: LinkageModel, link: Any, review: Any, by: User | None, *, via: str = "web") -> LinkageModel:
    """At or above `link` a record joins the person; from `review` up to `link` the pair waits for
    review. 0 < review < link < 1."""
    link_value, review_value = check_thresholds(link, review)
    with transaction.atomic():
        before = {"link_threshold": model.link_threshold, "review_threshold": model.review_threshold}
        model.link_threshold, model.review_threshold = link_value, review_value
        model.save(update_fields=["link_threshold", "review_threshold", "updated_at"])
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            object_type="linkage_model",
            object_id=str(model.pk),
            detail={
                "version": model.version,
                "before": before,
                "after": {"link_threshold": link_value, "review_threshold": review_value},
            },
            via=via,
        )
    return model


# --- clerical labels ----------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """Two source records and what people decided about them."""

    record_id: str
    candidate_id: str
    same: bool
    source: str  # "review" or "undone merge"


def clerical_labels() -> list[Label]:
    """The pairs people have decided: reviewers' links and "not the same person", and merges that
    were undone. A link that was later undone counts as not the same person: the undo is the
    later, considered decision. An automatic link undone is a false link the model made."""
    labels: dict[frozenset[str], Label] = {}

    def add(record_id: Any, candidate_id: Any, *, same: bool, source: str) -> None:
        a, b = str(record_id), str(candidate_id)
        if a != b:
            labels[frozenset((a, b))] = Label(a, b, same, source)

    undone = set(Merge.objects.filter(undone_at__isnull=False).values_list("pk", flat=True))
    pairs = ReviewPair.objects.filter(status__in=[ReviewPair.Status.LINKED, ReviewPair.Status.NOT_SAME]).order_by(
        "decided_at", "pk"
    )
    for record_id, candidate_id, status, merge_id in pairs.values_list(
        "record_id", "candidate_id", "status", "merge_id"
    ):
        if status == ReviewPair.Status.LINKED and merge_id in undone:
            add(record_id, candidate_id, same=False, source="undone merge")
        else:
            add(record_id, candidate_id, same=status == ReviewPair.Status.LINKED, source="review")
    for merge in Merge.objects.filter(cause=Merge.Cause.AUTOMATIC, undone_at__isnull=False).order_by("undone_at"):
        # The record that joined automatically, and the record of the other person it was linked to.
        people = {merge.kept_id, merge.merged_id}
        joined = LinkDecision.objects.filter(
            outcome=LinkDecision.Outcome.JOINED,
            candidate__isnull=False,
            record__person_id__in=people,
            candidate__person_id__in=people,
        ).values_list("record_id", "candidate_id", "record__person_id", "candidate__person_id")
        for record_id, candidate_id, record_person, candidate_person in joined:
            if record_person != candidate_person:
                add(record_id, candidate_id, same=False, source="undone merge")
    return list(labels.values())


# --- how a version does on the labels -----------------------------------------------------


def _measured(true_pos: int, false_pos: int, true_neg: int, false_neg: int, threshold: float) -> dict[str, Any]:
    flagged, same = true_pos + false_pos, true_pos + false_neg
    return {
        "threshold": threshold,
        "true_positives": true_pos,
        "false_positives": false_pos,
        "true_negatives": true_neg,
        "false_negatives": false_neg,
        "precision": true_pos / flagged if flagged else None,
        "precision_interval": list(wilson_interval(true_pos, flagged) or []) or None,
        "recall": true_pos / same if same else None,
        "recall_interval": list(wilson_interval(true_pos, same) or []) or None,
    }


def accuracy_at(scored: list[tuple[bool, float]], *, link: float, review: float) -> dict[str, Any]:
    """Counts and rates for labelled pairs given as (same person?, match probability).

    At the link threshold a pair counts as linked when its probability is at or above `link`;
    at the review threshold, when it is at or above `review` (linked or sent to a reviewer).
    """

    def at(threshold: float) -> dict[str, Any]:
        tp = sum(1 for same, p in scored if same and p >= threshold)
        fp = sum(1 for same, p in scored if not same and p >= threshold)
        fn = sum(1 for same, p in scored if same and p < threshold)
        tn = sum(1 for same, p in scored if not same and p < threshold)
        return _measured(tp, fp, tn, fn, threshold)

    return {
        "labelled_pairs": len(scored),
        "same_person": sum(1 for same, _ in scored if same),
        "not_same_person": sum(1 for same, _ in scored if not same),
        "at_link_threshold": at(link),
        "at_review_threshold": at(review),
        "would_go_to_review": sum(1 for _, p in scored if review <= p < link),
    }


def score_labels(model: LinkageModel, labels: list[Label]) -> list[tuple[Label, float]]:
    """Each labelled pair's match probability under this version's settings.

    The records on either side are scored together (link only), which gives each pair the same
    probability it would get alone; a pair the blocking rules never bring together gets 0: the
    model would not have found it.
    """
    if not labels:
        return []
    left_ids = {label.record_id for label in labels}
    right_ids = {label.candidate_id for label in labels}
    left = records_frame(SourceRecord.objects.filter(pk__in=left_ids))
    right = records_frame(SourceRecord.objects.filter(pk__in=right_ids))
    predictions = engine.predict_pairs(left, right, splink_settings=model.splink_settings, threshold=0.0)
    found = {
        frozenset((str(a), str(b))): float(p)
        for a, b, p in predictions[["left_id", "right_id", "match_probability"]].itertuples(index=False, name=None)
    }
    return [(label, found.get(frozenset((label.record_id, label.candidate_id)), 0.0)) for label in labels]


def label_accuracy(model: LinkageModel) -> dict[str, Any]:
    """How this version does on the pairs people decided, at its link and review thresholds:
    counts, precision and recall with 95% Wilson intervals, and how many labelled pairs it would
    now send to review."""
    scored = score_labels(model, clerical_labels())
    result = accuracy_at(
        [(label.same, p) for label, p in scored], link=model.link_threshold, review=model.review_threshold
    )
    result["version"] = model.version
    result["from_undone_merges"] = sum(1 for label, _ in scored if label.source == "undone merge")
    return result


# --- the model explained ------------------------------------------------------------------


def _times(ratio: float) -> str:
    if ratio >= 1_000_000:
        return "over a million"  # beyond this the exact figure says nothing more to a reader
    return f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.1f}"


def weight_in_words(m: float | None, u: float | None) -> str:
    """What a comparison level does to the odds that two records are one person, in words."""
    if m is None or not u:
        return "Not estimated: this level was never seen in training, so it counts for nothing either way."
    if m == 0:
        return "Never seen for records of the same person: strong evidence of different people."
    ratio = m / u
    if 0.95 <= ratio <= 1.05:
        return "No evidence either way: as common for different people as for the same person."
    if ratio > 1:
        return f"{_times(ratio)} times as likely for records of the same person as for records of different people."
    return f"{_times(1 / ratio)} times as likely for records of different people as for records of the same person."


def explain_model(model: LinkageModel) -> dict[str, Any]:
    """The version's training summary put into words for its page: λ, and each comparison's levels
    with m, u and the match weight."""
    summary = model.training_summary or engine.model_summary(model.splink_settings)
    lam = summary.get("probability_two_random_records_match") or model.splink_settings.get(
        "probability_two_random_records_match"
    )
    comparisons = [
        {
            "comparison": comparison["comparison"],
            "levels": [
                {**level, "words": weight_in_words(level.get("m"), level.get("u"))} for level in comparison["levels"]
            ],
        }
        for comparison in summary.get("comparisons", [])
    ]
    preparation = summary.get("preparation") or {}
    return {
        "lambda": lam,
        "lambda_words": f"About 1 in {_times(1 / lam)} pairs of records picked at random are the same person"
        if lam
        else "",
        "prior_weight": math.log2(lam / (1 - lam)) if lam and lam < 1 else None,
        "comparisons": comparisons,
        "preparation": [(key.replace("_", " ").capitalize(), value) for key, value in preparation.items()],
    }
