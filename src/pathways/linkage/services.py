"""Linking incoming records to the people already held.

A people import sends here every row that no identifier matched (the agency's own reference,
or a PNC ID already held). All of them are scored together, in one call to the engine,
against every source record held — every agency's, the importing agency's own included,
since police systems hold duplicates. For each row the best candidate is the person with the
highest probability over their source records:

- at or above the model's link threshold the row joins that person;
- at or above the review threshold (and below the link threshold) a new person is made and
  the pair waits for review (`linkage.review`);
- below, a new person is made.

Rows of one file are never compared with each other: a file that holds one person twice is
the sending agency's duplicate, and it arrives as two people (the batch `pathways dedupe`
finds them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from pathways.accounts.models import User
from pathways.linkage.models import LinkageModel, LinkDecision, ReviewPair, SourceRecord
from pathways.people.models import PersonIdentifier
from pathways.people.reference import IdentifierKind

# Pairs below this probability are not worth naming as the "best candidate" of a new person:
# nothing came near. Kept low so that a decision to make a new person still records what the
# model nearly linked it to.
NEAR = 0.01
_IN_CHUNK = 500


def link_threshold_setting() -> float:
    return float(getattr(settings, "PATHWAYS_LINKAGE_LINK_THRESHOLD", 0.95))


def review_threshold_setting() -> float:
    return float(getattr(settings, "PATHWAYS_LINKAGE_REVIEW_THRESHOLD", 0.50))


@transaction.atomic
def active_model() -> LinkageModel:
    """The model version in use. The first time linkage is needed and no version exists,
    version 1 is made from the model shipped with Pathways (trained on synthetic data), with
    the thresholds of the settings."""
    model = LinkageModel.objects.filter(is_active=True).first()
    if model is not None:
        return model
    from pathways.linkage import engine  # Splink and DuckDB load only when linkage is needed

    latest = LinkageModel.objects.order_by("-version").first()
    if latest is not None:
        # Versions exist but none is active: an administrator switched it off. Use the newest
        # rather than invent another.
        latest.is_active = True
        latest.save(update_fields=["is_active", "updated_at"])
        return latest
    return LinkageModel.objects.create(
        version=1,
        splink_settings=engine.default_splink_settings(),
        link_threshold=link_threshold_setting(),
        review_threshold=review_threshold_setting(),
        is_active=True,
        description="The model shipped with Pathways, trained on synthetic partner data.",
    )


@dataclass(frozen=True)
class Incoming:
    """One incoming row, in the words of a source record. `key` is unique within one call."""

    key: str
    given_name: str
    surname: str
    date_of_birth: dt.date | None = None
    sex: str = "U"
    address_1: str = ""
    town: str = ""
    postcode: str = ""
    pnc_id: str = ""
    other_id: str = ""


@dataclass(frozen=True)
class Proposal:
    """What the model proposes for one incoming row, with the evidence for it."""

    outcome: str  # a LinkDecision.Outcome
    candidate: SourceRecord | None = None
    match_probability: float | None = None
    match_weight: float | None = None
    comparison: list[dict[str, Any]] = field(default_factory=list)
    model: LinkageModel | None = None
    # Why a pair above the link threshold still waits for a person to decide (empty otherwise).
    held_back: str = ""


def _row(unique_id: str, r: Any) -> dict[str, str]:
    dob = r.date_of_birth
    return {
        "unique_id": unique_id,
        "given_name": r.given_name or "",
        "surname": r.surname or "",
        "date_of_birth": dob.isoformat() if dob else "",
        "sex": r.sex if r.sex in ("M", "F") else "",
        "postcode": r.postcode or "",
        "address_1": r.address_1 or "",
        "town": r.town or "",
        "pnc_id": r.pnc_id or "",
        "other_id": r.other_id or "",
    }


def _pnc_held(person_ids: set[Any]) -> dict[Any, str]:
    held: dict[Any, str] = {}
    ids = sorted(person_ids, key=str)
    for start in range(0, len(ids), _IN_CHUNK):
        held.update(
            PersonIdentifier.objects.filter(
                kind=IdentifierKind.PNC, agency__isnull=True, person_id__in=ids[start : start + _IN_CHUNK]
            ).values_list("person_id", "value")
        )
    return held


def propose_links(incoming: Sequence[Incoming]) -> dict[str, Proposal]:
    """Score every incoming row against every source record held, in one engine call, and
    propose for each row: join the best candidate person, queue the pair, or a new person."""
    if not incoming:
        return {}
    if not SourceRecord.objects.exists():
        # Nothing to compare with (the partnership's first file): no model is needed.
        return {row.key: Proposal(outcome=LinkDecision.Outcome.NEW_PERSON) for row in incoming}
    import pandas as pd

    from pathways.linkage import engine

    model = active_model()
    columns = list(engine.RECORD_COLUMNS)
    left = pd.DataFrame([_row(f"incoming:{row.key}", row) for row in incoming], columns=columns)
    held = SourceRecord.objects.only(*(c for c in columns if c != "unique_id"), "person_id").iterator(chunk_size=2000)
    right = pd.DataFrame([_row(str(r.pk), r) for r in held], columns=columns)
    pairs = engine.predict_pairs(
        left, right, splink_settings=model.splink_settings, threshold=min(NEAR, model.review_threshold)
    )
    # For each incoming row: every candidate record with its score.
    scored: dict[str, list[tuple[str, float, float | None, list[dict[str, Any]]]]] = {}
    for pair in pairs.itertuples(index=False):
        a, b = str(pair.left_id), str(pair.right_id)
        if b.startswith("incoming:") and not a.startswith("incoming:"):
            a, b = b, a
        if not a.startswith("incoming:") or b.startswith("incoming:"):
            continue  # rows of one file are not linked to each other
        weight = None if pd.isna(pair.match_weight) else float(pair.match_weight)
        scored.setdefault(a.removeprefix("incoming:"), []).append(
            (b, float(pair.match_probability), weight, list(pair.comparison))
        )
    wanted_ids = {record_id for found in scored.values() for record_id, *_ in found}
    records = SourceRecord.objects.select_related("agency").in_bulk(list(wanted_ids))
    records = {str(pk): r for pk, r in records.items()}
    pnc_of_person = _pnc_held({r.person_id for r in records.values()})
    proposals: dict[str, Proposal] = {}
    for row in incoming:
        found = [f for f in scored.get(row.key, []) if f[0] in records]
        if not found:
            proposals[row.key] = Proposal(outcome=LinkDecision.Outcome.NEW_PERSON, model=model)
            continue
        # The best candidate person: the highest probability over their records; ties go to
        # the record held longest, so that the same file always gives the same answer.
        best_id, probability, weight, comparison = max(
            found, key=lambda f: (f[1], -records[f[0]].created_at.timestamp(), f[0])
        )
        candidate = records[best_id]
        held_back = ""
        if probability >= model.link_threshold:
            outcome = LinkDecision.Outcome.JOINED
            held_pnc = pnc_of_person.get(candidate.person_id)
            if row.pnc_id and held_pnc and held_pnc != row.pnc_id:
                # One person cannot hold two PNC IDs: a person decides which is wrong.
                outcome = LinkDecision.Outcome.QUEUED
                held_back = f"the PNC IDs differ ({row.pnc_id}, {held_pnc})"
        elif probability >= model.review_threshold:
            outcome = LinkDecision.Outcome.QUEUED
        else:
            outcome = LinkDecision.Outcome.NEW_PERSON
        proposals[row.key] = Proposal(
            outcome=outcome,
            candidate=candidate,
            match_probability=probability,
            match_weight=weight,
            comparison=comparison,
            model=model,
            held_back=held_back,
        )
    return proposals


def record_decision(
    *,
    record: SourceRecord,
    method: str,
    outcome: str,
    proposal: Proposal | None = None,
    candidate: SourceRecord | None = None,
    import_batch: Any = None,
    via: str = "web",
    by: User | None = None,
) -> LinkDecision:
    """Keep what happened to a record on its first arrival, with the evidence for it."""
    decision = LinkDecision(
        record=record,
        method=method,
        outcome=outcome,
        candidate=proposal.candidate if proposal is not None else candidate,
        match_probability=proposal.match_probability if proposal is not None else None,
        match_weight=proposal.match_weight if proposal is not None else None,
        comparison=proposal.comparison if proposal is not None else [],
        model=proposal.model if proposal is not None else None,
        import_batch=import_batch,
        via=via,
    )
    decision._history_user = by  # type: ignore[attr-defined]
    decision.save()
    return decision


def queue_pair(*, record: SourceRecord, proposal: Proposal) -> ReviewPair:
    """A pair the model was unsure about waits for review. Asked again about the same two
    records, the waiting pair is kept as it is."""
    assert proposal.candidate is not None and proposal.match_probability is not None
    pair, _ = ReviewPair.objects.get_or_create(
        record=record,
        candidate=proposal.candidate,
        defaults={
            "match_probability": proposal.match_probability,
            "match_weight": proposal.match_weight,
            "comparison": proposal.comparison,
            "model": proposal.model,
        },
    )
    return pair


def import_linkage_counts(batch: Any) -> dict[str, int] | None:
    """What linkage did with the records that first arrived in one people import (None for
    other kinds of file): joined by an identifier, joined by the model, queued, new people."""
    if batch.kind != "people" or batch.status != "imported":
        return None
    counts = {"joined_by_identifier": 0, "joined_by_model": 0, "queued_for_review": 0, "new_people": 0}
    found = LinkDecision.objects.filter(import_batch=batch).values_list("method", "outcome")
    for method, outcome in found:
        if method == LinkDecision.Method.IDENTIFIER:
            counts["joined_by_identifier"] += 1
        elif outcome == LinkDecision.Outcome.JOINED:
            counts["joined_by_model"] += 1
        elif outcome == LinkDecision.Outcome.QUEUED:
            counts["queued_for_review"] += 1
        else:
            counts["new_people"] += 1
    return counts
