"""A problem moves through Scanning, Analysis, Response and Assessment in order, never skipping
a stage, and only when the stage before is complete."""

from __future__ import annotations

import pytest

from pathways.problems import stages
from pathways.problems.models import ActionStatus, Analysis, Assessment, ResponseAction, Stage, Verdict
from pathways.problems.testing import create_problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stage", "jump"),
    [
        (Stage.SCANNING, Stage.RESPONSE),
        (Stage.SCANNING, Stage.ASSESSMENT),
        (Stage.ANALYSIS, Stage.ASSESSMENT),
        (Stage.ANALYSIS, Stage.CLOSED),
        (Stage.RESPONSE, Stage.CLOSED),
    ],
)
def test_a_stage_cannot_be_skipped_even_when_the_current_one_is_complete(officer, probation, stage, jump):
    problem = create_problem(owner=officer, partners=[probation], stage=stage)
    if stage == Stage.ANALYSIS:
        Analysis.objects.create(problem=problem, cycle=1, victims="v", offenders="o", places="p", summary="s")
    with pytest.raises(stages.StageRefused, match="stages are worked in order"):
        stages.advance(problem=problem, by=officer, to_stage=jump)
    problem.refresh_from_db()
    assert problem.stage == stage
    assert not problem.stage_changes.exists()


def test_a_vague_problem_with_no_partner_cannot_go_to_analysis(officer, probation):
    problem = create_problem(owner=officer, partners=[], statement="ASB at the shops", scanning_summary="")
    with pytest.raises(stages.StageRefused) as refused:
        stages.advance(problem=problem, by=officer, to_stage=Stage.ANALYSIS)
    text = " ".join(refused.value.reasons)
    assert "specifically what is happening" in text
    assert "partner agency" in text
    assert "what scanning showed" in text


def test_analysis_needs_all_three_sides_of_the_triangle_and_a_hypothesis(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS)
    Analysis.objects.create(problem=problem, cycle=1, victims="Shop staff", offenders="", places="The shops")
    with pytest.raises(stages.StageRefused) as refused:
        stages.advance(problem=problem, by=officer, to_stage=Stage.RESPONSE)
    assert refused.value.reasons == [
        "Describe the offenders side of the triangle",
        "Say why the problem is happening: the hypothesis the response will test",
    ]


def test_assessment_waits_for_a_done_action_and_none_left_unstarted(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    action = ResponseAction.objects.create(
        problem=problem,
        cycle=1,
        action="Dispersal order",
        owner_agency=officer.agency,
        starts_on=problem.opened_on,
        due_on=problem.opened_on,
        created_by=officer,
    )
    with pytest.raises(stages.StageRefused):
        stages.advance(problem=problem, by=officer, to_stage=Stage.ASSESSMENT)
    action.status = ActionStatus.DONE
    action.save()
    stages.advance(problem=problem, by=officer, to_stage=Stage.ASSESSMENT)
    problem.refresh_from_db()
    assert problem.stage == Stage.ASSESSMENT


def test_not_solved_returns_to_analysis_in_a_new_cycle_keeping_the_first(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ASSESSMENT)
    Assessment.objects.create(
        problem=problem,
        cycle=1,
        comparison_area_codes=["WX9"],
        before_from=problem.period_from,
        before_to=problem.period_from,
        after_from=problem.period_to,
        after_to=problem.period_to,
        figures={"estimate": 0.1},
    )
    stages.conclude(problem=problem, by=officer, verdict=Verdict.NOT_SOLVED, note="Moved to the park")
    problem.refresh_from_db()
    assert (problem.stage, problem.cycle) == (Stage.ANALYSIS, 2)
    assert problem.analyses.get(cycle=1).completed_at is not None
    assert problem.assessments.get(cycle=1).verdict == Verdict.NOT_SOLVED
    with pytest.raises(stages.StageRefused, match="Write the analysis"):
        stages.advance(problem=problem, by=officer, to_stage=Stage.RESPONSE)


def test_only_the_owner_or_their_supervisor_moves_a_problem_on(officer, probation, probation_caseworker):
    problem = create_problem(owner=officer, partners=[probation])
    with pytest.raises(stages.StageRefused, match="owner"):
        stages.advance(problem=problem, by=probation_caseworker, to_stage=Stage.ANALYSIS)
