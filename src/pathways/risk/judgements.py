"""A worker's own judgement beside a score, any override of its band, and the overrides report.

A score never decides alone: wherever Pathways shows one, the worker can say whether they agree,
think the likelihood higher or lower, and whether they override the band, always with a reason.
Recording is audited; the report tells supervisors how their agency's workers judge the scores
and tells analysts, without naming anyone, how often the partnership departs from them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.people.models import Person
from pathways.risk.models import Judgement, ScoreJudgement, ScoreKind
from pathways.risk.ogrs3 import BAND_NAMES
from pathways.risk.policies import can_judge_scores, sees_named_overrides

MIN_REASON = 10


def judgement_record(
    *,
    by: User,
    person: Person,
    score_kind: str,
    score_version: str,
    score_value: float | None,
    score_band: str,
    shown_on: str,
    judgement: str,
    overridden: bool,
    judged_band: str,
    reason: str,
) -> ScoreJudgement:
    """Record ``by``'s judgement of a score shown to them about ``person``.

    Raises PermissionDenied (and audits the refusal) if they may not judge scores or may not see
    the person; ValidationError naming each field that is wrong. An override names a band other
    than the score's, and its direction must match the judgement (a higher band is "higher")."""
    if not can_judge_scores(by) or not people_visible_to(by).filter(pk=person.pk).exists():
        audit_record(
            user=by,
            action=AuditEvent.Action.REFUSED,
            object_type="score_judgement",
            object_id=str(person.pk),
            detail={"score_kind": score_kind},
        )
        raise PermissionDenied("You may not record a judgement about this person")
    reason = (reason or "").strip()
    judged_band = (judged_band or "").strip() if overridden else ""
    errors: dict[str, str] = {}
    if score_kind not in ScoreKind.values:
        errors["score_kind"] = "Choose a kind of score Pathways knows"
    if judgement not in Judgement.values:
        errors["judgement"] = "Say whether you agree, or think the likelihood higher or lower"
    if len(reason) < MIN_REASON:
        errors["reason"] = f"Give your reason, in at least {MIN_REASON} characters"
    if not shown_on.strip():
        errors["shown_on"] = "Say where the score was shown"
    if overridden:
        if judged_band not in BAND_NAMES:
            errors["judged_band"] = "Choose the band you judge right"
        elif judged_band == score_band:
            errors["judged_band"] = "An override must name a band other than the score's"
        elif score_band in BAND_NAMES and judgement in Judgement.values:
            direction = (
                Judgement.HIGHER if BAND_NAMES.index(judged_band) > BAND_NAMES.index(score_band) else Judgement.LOWER
            )
            if judgement != direction:
                errors["judgement"] = (
                    f"An override to {judged_band} is a judgement that the likelihood is {direction.value}"
                )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record = ScoreJudgement(
            person=person,
            score_kind=score_kind,
            score_version=score_version[:64],
            score_value=score_value,
            score_band=score_band,
            shown_on=shown_on[:64],
            judgement=judgement,
            overridden=overridden,
            judged_band=judged_band,
            reason=reason,
            by=by,
            agency=by.agency,
        )
        record.full_clean()
        record.save()
        audit_record(
            user=by,
            action=AuditEvent.Action.CREATE,
            object_type="score_judgement",
            object_id=str(record.pk),
            detail={
                "person": str(person.pk),
                "score_kind": score_kind,
                "score_band": score_band,
                "judgement": judgement,
                "overridden": overridden,
                "judged_band": judged_band,
            },
        )
    return record


def judgements_latest(*, person: Person, score_kind: str, limit: int = 3) -> list[ScoreJudgement]:
    """The latest judgements beside a score about one person (the caller may see them)."""
    return list(
        ScoreJudgement.objects.filter(person=person, score_kind=score_kind)
        .select_related("by", "agency")
        .order_by("-created_at")[:limit]
    )


@dataclass
class OverrideRow:
    score_kind: str
    score_band: str
    judged: int = 0
    agree: int = 0
    higher: int = 0
    lower: int = 0
    overridden: int = 0

    @property
    def override_rate(self) -> float:
        return self.overridden / self.judged if self.judged else 0.0

    @property
    def kind_label(self) -> str:
        return dict(ScoreKind.choices).get(self.score_kind, self.score_kind)


@dataclass
class OverridesReport:
    named: bool  # a supervisor's view of their agency, or an analyst's partnership counts
    scope: str
    rows: list[OverrideRow] = field(default_factory=list)
    total: OverrideRow = field(default_factory=lambda: OverrideRow("", ""))
    moves: list[tuple[str, str, int]] = field(default_factory=list)  # (from band, to band, count)
    judgements: list[ScoreJudgement] = field(default_factory=list)


def _scoped(user: User) -> tuple[QuerySet[ScoreJudgement], bool, str]:
    if sees_named_overrides(user):
        return ScoreJudgement.objects.filter(agency_id=user.agency_id), True, user.agency.name
    return ScoreJudgement.objects.all(), False, "the whole partnership"


def overrides_report(*, user: User, purpose: str = "", limit: int = 200) -> OverridesReport:
    """Counts of judgements by score kind and band, the override rate, where bands were moved to,
    and (for supervisors) the judgements themselves with their reasons. Reading it is audited."""
    judgements, named, scope = _scoped(user)
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="overrides_report",
        purpose=purpose,
        detail={"scope": "agency" if named else "partnership"},
    )
    report = OverridesReport(named=named, scope=scope)
    rows: dict[tuple[str, str], OverrideRow] = {}
    moves: Counter[tuple[str, str]] = Counter()
    values = judgements.values_list("score_kind", "score_band", "judgement", "overridden", "judged_band")
    for kind, band, judgement, overridden, judged_band in values:
        row = rows.setdefault((kind, band), OverrideRow(kind, band))
        for target in (row, report.total):
            target.judged += 1
            setattr(target, judgement, getattr(target, judgement) + 1)
            target.overridden += int(overridden)
        if overridden:
            moves[(band, judged_band)] += 1
    band_order = {name: n for n, name in enumerate(BAND_NAMES)}
    report.rows = sorted(rows.values(), key=lambda r: (r.score_kind, band_order.get(r.score_band, 99), r.score_band))
    report.moves = sorted(((a, b, n) for (a, b), n in moves.items()), key=lambda m: -m[2])
    if named:
        report.judgements = list(judgements.select_related("by", "person").order_by("-created_at")[:limit])
    return report


def visible_person_ids(user: User, judgements: list[ScoreJudgement]) -> set[Any]:
    """Which of the people judged the user may still open (a restriction may have come since)."""
    ids = {j.person_id for j in judgements}
    return set(people_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
