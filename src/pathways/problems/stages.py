"""The SARA stages in order. "If a stage in the SARA process is missed then the technique will
not work" (seed 004): a problem moves only to the stage after the one it is in, and only once
that stage's work is complete. Assessment ends a cycle: a problem solved (or reduced enough)
is closed; one not solved goes back to analysis in a new cycle, its earlier cycles kept.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.problems.models import (
    STAGE_ORDER,
    ActionStatus,
    Analysis,
    Assessment,
    Problem,
    ProblemKind,
    ResponseAction,
    Stage,
    StageChange,
    Verdict,
)
from pathways.problems.policies import can_move_stage

# A statement shorter than this is a label ("ASB at the shops"), not a definition of what is
# happening that partners could act on.
SPECIFIC_STATEMENT_WORDS = 8


class StageRefused(Exception):
    """The move is not allowed; `reasons` says what is missing, in the users' words."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def next_stage(stage: str) -> str | None:
    at = STAGE_ORDER.index(stage)
    return STAGE_ORDER[at + 1] if at + 1 < len(STAGE_ORDER) else None


def current_analysis(problem: Problem) -> Analysis | None:
    return problem.analyses.filter(cycle=problem.cycle).first()


def current_assessment(problem: Problem) -> Assessment | None:
    return problem.assessments.filter(cycle=problem.cycle).first()


def _definition_missing(problem: Problem) -> list[str]:
    missing = []
    if len(problem.statement.split()) < SPECIFIC_STATEMENT_WORDS:
        missing.append(
            f"Say specifically what is happening (at least {SPECIFIC_STATEMENT_WORDS} words): "
            "who does what, where and when"
        )
    if problem.kind == ProblemKind.PLACE and not (problem.area_codes or problem.streets or problem.boundary):
        missing.append("Give the problem's place: areas, streets or a boundary drawn on the map")
    if problem.kind == ProblemKind.GROUP and not problem.group_description.strip():
        missing.append("Describe the group the problem is about")
    if problem.kind == ProblemKind.THEME and not problem.theme.strip():
        missing.append("Name the theme the problem is about")
    if not problem.partners.exists():
        missing.append("Add at least one partner agency working the problem")
    if not problem.scanning_summary.strip():
        missing.append("Write what scanning showed")
    return missing


def _analysis_missing(problem: Problem) -> list[str]:
    analysis = current_analysis(problem)
    if analysis is None:
        return ["Write the analysis: the problem analysis triangle and why it is happening"]
    missing = [
        f"Describe the {side} side of the triangle"
        for side, text in (
            ("victims", analysis.victims),
            ("offenders", analysis.offenders),
            ("places", analysis.places),
        )
        if not text.strip()
    ]
    if not analysis.summary.strip():
        missing.append("Say why the problem is happening: the hypothesis the response will test")
    return missing


def _response_missing(problem: Problem) -> list[str]:
    actions = ResponseAction.objects.filter(problem=problem, cycle=problem.cycle)
    if not actions.exists():
        return ["Agree at least one response action owned by a partner agency"]
    missing = []
    if not actions.filter(status=ActionStatus.DONE).exists():
        missing.append("At least one response action must be done before its effect can be assessed")
    planned = actions.filter(status=ActionStatus.PLANNED).count()
    if planned:
        missing.append(f"{planned} response action{'s' if planned != 1 else ''} not yet started: start or cancel each")
    return missing


def missing_for_next_stage(problem: Problem) -> list[str]:
    """What must be done before the problem can move on from its stage (empty when it can)."""
    if problem.stage == Stage.SCANNING:
        return _definition_missing(problem)
    if problem.stage == Stage.ANALYSIS:
        return _analysis_missing(problem)
    if problem.stage == Stage.RESPONSE:
        return _response_missing(problem)
    if problem.stage == Stage.ASSESSMENT:
        assessment = current_assessment(problem)
        if assessment is None or not assessment.figures:
            return ["Work out the before-and-after figures against a comparison area"]
        return ["Give the partnership's verdict on the assessment"]
    return ["The problem is closed"]


def _record(problem: Problem, by: User, to_stage: str, note: str) -> StageChange:
    change = StageChange.objects.create(
        problem=problem, from_stage=problem.stage, to_stage=to_stage, cycle=problem.cycle, by=by, note=note
    )
    audit_record(
        user=by,
        action="problem_stage",
        object_type="problem",
        object_id=str(problem.pk),
        detail={"from": problem.stage, "to": to_stage, "cycle": problem.cycle},
    )
    return change


@transaction.atomic
def advance(*, problem: Problem, by: User, to_stage: str, note: str = "") -> StageChange:
    """Move the problem to `to_stage`, which must be the next stage, with its stage complete.
    Assessment is left only by `conclude` (the verdict)."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if not can_move_stage(by, problem):
        raise StageRefused(["Only the problem's owner or a supervisor of the owner's agency moves it on"])
    expected = next_stage(problem.stage)
    if to_stage != expected:
        label = dict(Stage.choices).get(to_stage, to_stage)
        now = dict(Stage.choices)[problem.stage]
        raise StageRefused([f"A problem in {now} cannot move to {label}: stages are worked in order"])
    if problem.stage == Stage.ASSESSMENT:
        raise StageRefused(["Give the partnership's verdict on the assessment to finish it"])
    missing = missing_for_next_stage(problem)
    if missing:
        raise StageRefused(missing)
    if problem.stage == Stage.ANALYSIS:
        analysis = current_analysis(problem)
        assert analysis is not None
        analysis.completed_at, analysis.completed_by = timezone.now(), by
        analysis.save(update_fields=["completed_at", "completed_by", "updated_at"])
    change = _record(problem, by, to_stage, note)
    problem.stage, problem.stage_since = to_stage, timezone.now()
    problem.save(update_fields=["stage", "stage_since", "updated_at"])
    return change


@transaction.atomic
def conclude(*, problem: Problem, by: User, verdict: str, note: str) -> StageChange:
    """The partnership's verdict ends the cycle: solved or reduced closes the problem; not
    solved returns it to analysis in a new cycle, every earlier cycle kept."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if not can_move_stage(by, problem):
        raise StageRefused(["Only the problem's owner or a supervisor of the owner's agency gives the verdict"])
    if problem.stage != Stage.ASSESSMENT:
        raise StageRefused(["A verdict is given at the assessment stage"])
    if verdict not in Verdict.values:
        raise StageRefused(["Choose a verdict"])
    if not note.strip():
        raise StageRefused(["Say why the partnership reached this verdict"])
    assessment = current_assessment(problem)
    if assessment is None or not assessment.figures:
        raise StageRefused(["Work out the before-and-after figures against a comparison area"])
    assessment.verdict, assessment.verdict_note = verdict, note
    assessment.decided_by, assessment.decided_at = by, timezone.now()
    assessment.save()
    if verdict == Verdict.NOT_SOLVED:
        change = _record(problem, by, Stage.ANALYSIS, note)
        problem.stage, problem.cycle = Stage.ANALYSIS, problem.cycle + 1
        problem.closed_on = None
    else:
        change = _record(problem, by, Stage.CLOSED, note)
        problem.stage, problem.closed_on = Stage.CLOSED, timezone.localdate()
    problem.stage_since = timezone.now()
    problem.save()
    return change
