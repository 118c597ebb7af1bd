"""The demo problems: every stage shown, a closed one and one in its second cycle."""

from __future__ import annotations

import datetime as dt

import pytest

from pathways.demo.services import partnership_create
from pathways.problems import stages
from pathways.problems.demo import demo_problems_create
from pathways.problems.models import Problem, Stage, Verdict

pytestmark = pytest.mark.django_db


def test_the_demo_problems_cover_every_stage_and_keep_the_first_cycle():
    partnership_create()
    assert demo_problems_create(today=dt.date(2026, 11, 24), seed=1) == 8
    assert set(Problem.objects.values_list("stage", flat=True)) == {
        Stage.SCANNING,
        Stage.ANALYSIS,
        Stage.RESPONSE,
        Stage.CLOSED,
    }
    closed = Problem.objects.get(stage=Stage.CLOSED)
    assert closed.assessments.get().verdict == Verdict.SOLVED
    # Worked out from the demo's own offences: the after period against the same months a year before.
    figures = closed.assessments.get().figures
    assert figures["before"]["days"] == figures["after"]["days"] and figures["estimate"]["sentence"]
    second = Problem.objects.get(cycle=2)
    assert second.stage == Stage.ANALYSIS and second.analyses.count() == 2
    assert second.actions.filter(cycle=1).exists() and second.assessments.get(cycle=1).verdict == Verdict.NOT_SOLVED
    assert sorted(Problem.objects.values_list("reference", flat=True))[0].startswith("PS-2025-0001")
    # The one opened last is not yet ready to move on: no partner, a vague statement.
    theme = Problem.objects.get(kind="theme")
    assert len(stages.missing_for_next_stage(theme)) >= 2
    # The ones in scanning with a full definition are ready for analysis.
    estate = Problem.objects.get(title__contains="Fordington")
    assert stages.missing_for_next_stage(estate) == []
