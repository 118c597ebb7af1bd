"""The review queue: pairs of records the model was unsure about, and the decisions people
make on them.

A pair is one record that arrived and the best existing record of another person. A reviewer
sees only the identifying details of the two records (`policies`), decides "the same person"
(the two people are merged), "not the same person" (with a reason: the model thought they
might be, and whoever checks the model later needs to know why not), or skips it for someone
else. Every decision, a skip included, is kept and audited.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.linkage.models import Merge, ReviewDecision, ReviewPair, SourceRecord
from pathways.linkage.policies import can_review_links, pair_visible, sees_every_pair
from pathways.sharing.reference import Purpose

# Reviewing is about getting the partnership's records right: a data-protection purpose.
PURPOSE = Purpose.DATA_PROTECTION
ORDERS = {
    "probability": ("-match_probability", "created_at"),
    "oldest": ("created_at", "-match_probability"),
}


class PairNotFound(Http404):
    """Both for a pair that does not exist and one the user may not review."""


class ReviewRefused(Exception):
    """The decision cannot be made as asked; the message says why, in the reviewer's words."""


# Reading --------------------------------------------------------------------------------


def pairs_visible_to(user: User) -> QuerySet[ReviewPair]:
    """Every pair the user may review, whatever its status: a supervisor's where one record is
    their agency's, an administrator's any."""
    if not can_review_links(user):
        return ReviewPair.objects.none()
    found = ReviewPair.objects.all()
    if not sees_every_pair(user):
        found = found.filter(Q(record__agency_id=user.agency_id) | Q(candidate__agency_id=user.agency_id))
    return found


def withdraw_settled_pairs() -> int:
    """Pairs whose two records already belong to one person (linked another way: a later
    import, another pair) need no one's decision: they are withdrawn, not shown."""
    return ReviewPair.objects.filter(
        status=ReviewPair.Status.WAITING, record__person_id=F("candidate__person_id")
    ).update(status=ReviewPair.Status.WITHDRAWN, decided_at=timezone.now())


def waiting_pairs(user: User, *, order: str = "probability") -> QuerySet[ReviewPair]:
    """The pairs waiting for this user's review, in the order chosen."""
    return (
        pairs_visible_to(user)
        .filter(status=ReviewPair.Status.WAITING)
        .exclude(record__person_id=F("candidate__person_id"))
        .select_related("record__agency", "candidate__agency", "model")
        .order_by(*ORDERS.get(order, ORDERS["probability"]))
    )


def waiting_count(user: User) -> int:
    return waiting_pairs(user).count()


@dataclass(frozen=True)
class QueueCounts:
    waiting: int
    linked: int
    not_same: int
    withdrawn: int


def queue_counts(user: User) -> QueueCounts:
    visible = pairs_visible_to(user)
    by_status = {s: 0 for s in ReviewPair.Status.values}
    for status in visible.values_list("status", flat=True):
        by_status[status] += 1
    return QueueCounts(
        waiting=waiting_pairs(user).count(),
        linked=by_status[ReviewPair.Status.LINKED],
        not_same=by_status[ReviewPair.Status.NOT_SAME],
        withdrawn=by_status[ReviewPair.Status.WITHDRAWN],
    )


def next_pair(user: User, *, order: str = "probability", after: ReviewPair | None = None) -> ReviewPair | None:
    """The next pair to open: the first waiting one in the order chosen that this user has not
    just decided or skipped."""
    found = waiting_pairs(user, order=order)
    skipped = ReviewDecision.objects.filter(by=user, decision=ReviewDecision.Decision.SKIP).values("pair_id")
    found = found.exclude(pk__in=skipped)
    if after is not None:
        found = found.exclude(pk=after.pk)
    return found.first()


def access_pair(*, user: User, pair_id: uuid.UUID | str, via: str = "web") -> ReviewPair:
    """The pair, if the user may review it; the read of both records (or the refusal) is audited."""
    try:
        key = uuid.UUID(str(pair_id))
    except ValueError as exc:
        raise PairNotFound("No such pair of records") from exc
    pair = (
        pairs_visible_to(user)
        .select_related("record__agency", "candidate__agency", "model", "decided_by")
        .filter(pk=key)
        .first()
    )
    if pair is None:
        audit_record(
            user=user,
            action=AuditEvent.Action.REFUSED,
            object_type="review_pair",
            object_id=str(key),
            purpose=PURPOSE,
            via=via,
        )
        raise PairNotFound("No such pair of records")
    for record in (pair.record, pair.candidate):
        audit_record(
            user=user,
            action=AuditEvent.Action.READ,
            object_type="person",
            object_id=str(record.person_id),
            purpose=PURPOSE,
            detail={"review_pair": str(pair.pk), "source_record": str(record)},
            via=via,
        )
    return pair


# What the page shows --------------------------------------------------------------------

FIELDS: list[tuple[str, str]] = [
    ("agency", "Agency"),
    ("reference", "Reference"),
    ("given_name", "Given name"),
    ("surname", "Surname"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("address", "Address"),
    ("postcode", "Postcode"),
    ("pnc_id", "PNC ID"),
    ("other_id", "Other reference"),
]
# The agency and its reference say where each record came from; they are not evidence either way.
NOT_COMPARED = {"agency", "reference"}
SEX_WORDS = {"M": "Male", "F": "Female", "U": ""}


def _value(record: SourceRecord, name: str) -> str:
    if name == "agency":
        return record.agency.name
    if name == "date_of_birth":
        return record.date_of_birth.strftime("%-d %B %Y") if record.date_of_birth else ""
    if name == "sex":
        return SEX_WORDS.get(record.sex, record.sex)
    if name == "address":
        return ", ".join(p for p in (record.address_1, record.town) if p)
    return str(getattr(record, name) or "")


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@dataclass(frozen=True)
class FieldRow:
    label: str
    left: str
    right: str
    verdict: str  # "agrees", "differs", "missing" or "" (not compared)


def side_by_side(pair: ReviewPair) -> list[FieldRow]:
    """The two records field by field, each marked agrees, differs or missing."""
    rows = []
    for name, label in FIELDS:
        left, right = _value(pair.record, name), _value(pair.candidate, name)
        if name in NOT_COMPARED:
            verdict = ""
        elif not left or not right:
            verdict = "missing"
        else:
            verdict = "agrees" if _same(left, right) else "differs"
        rows.append(FieldRow(label=label, left=left, right=right, verdict=verdict))
    return rows


@dataclass(frozen=True)
class Evidence:
    comparison: str
    level: str
    left: str
    right: str
    agrees: bool | None
    match_weight: float

    @property
    def direction(self) -> str:
        if self.match_weight > 0.05:
            return "for"
        if self.match_weight < -0.05:
            return "against"
        return "neither"


def _words(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def evidence(pair: ReviewPair) -> list[Evidence]:
    """Each comparison the model made, strongest first, in words."""
    found = []
    for item in pair.comparison or []:
        found.append(
            Evidence(
                comparison=_words(str(item.get("comparison", ""))),
                level=str(item.get("level", "")),
                left=str(item.get("left") or ""),
                right=str(item.get("right") or ""),
                agrees=item.get("agrees"),
                match_weight=float(item.get("match_weight") or 0.0),
            )
        )
    return sorted(found, key=lambda e: -abs(e.match_weight))


def percentage(probability: float) -> str:
    """A probability as people read it: whole per cent, but never 100% or 0% for what is not certain."""
    value = probability * 100
    if 99 < value < 100:
        return f"{min(math.floor(value * 10) / 10, 99.9):.1f}%"
    if 0 < value < 1:
        return f"{max(math.ceil(value * 10) / 10, 0.1):.1f}%"
    return f"{value:.0f}%"


# Deciding -------------------------------------------------------------------------------


@transaction.atomic
def review_decide(*, pair: ReviewPair, by: User, decision: str, note: str = "", via: str = "web") -> ReviewDecision:
    """Decide a waiting pair. "Link" merges the record's person into the candidate's (the
    person held first is kept); "not the same person" needs a reason; "skip" leaves the pair
    waiting for someone else. Every decision is kept and audited."""
    pair = ReviewPair.objects.select_for_update().select_related("record", "candidate").get(pk=pair.pk)
    if not pair_visible(by, {pair.record.agency_id, pair.candidate.agency_id}):
        raise ReviewRefused("You may not review this pair")
    if decision not in ReviewDecision.Decision.values:
        raise ValidationError({"decision": "Choose whether these records are the same person"})
    note = note.strip()
    if pair.status != ReviewPair.Status.WAITING:
        raise ReviewRefused(f"This pair has already been decided: {pair.get_status_display().lower()}")
    if pair.record.person_id == pair.candidate.person_id:
        withdraw_settled_pairs()
        raise ReviewRefused("These two records already belong to one person: nothing is left to decide")
    if decision == ReviewDecision.Decision.NOT_SAME and not note:
        raise ValidationError({"note": "Say why these are not the same person"})
    merge: Merge | None = None
    if decision == ReviewDecision.Decision.LINK:
        from pathways.linkage.merging import MergeRefused, merge_people

        try:
            merge = merge_people(
                kept=pair.candidate.person,
                merged=pair.record.person,
                by=by,
                cause=Merge.Cause.REVIEW,
                reason=note,
                match_probability=pair.match_probability,
            )
        except MergeRefused as exc:
            raise ReviewRefused(f"These records cannot be linked yet: {exc}") from exc
        pair.status = ReviewPair.Status.LINKED
        pair.merge = merge
    elif decision == ReviewDecision.Decision.NOT_SAME:
        pair.status = ReviewPair.Status.NOT_SAME
    if decision != ReviewDecision.Decision.SKIP:
        pair.decided_by = by
        pair.decided_at = timezone.now()
        pair._history_user = by  # type: ignore[attr-defined]
        pair.save()
    made = ReviewDecision(pair=pair, decision=decision, by=by, note=note)
    made._history_user = by  # type: ignore[attr-defined]
    made.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="review_pair",
        object_id=str(pair.pk),
        purpose=PURPOSE,
        detail=_audit_detail(pair, decision, merge),
        via=via,
    )
    if merge is not None:
        withdraw_settled_pairs()  # other pairs between the two people need no decision now
    return made


def _audit_detail(pair: ReviewPair, decision: str, merge: Merge | None) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "decision": decision,
        "record": str(pair.record),
        "candidate": str(pair.candidate),
        "match_probability": pair.match_probability,
    }
    if merge is not None:
        detail["merge"] = str(merge.pk)
    return detail
