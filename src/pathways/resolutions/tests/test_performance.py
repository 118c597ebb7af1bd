"""Resolutions recorded in Pathways count in the performance framework's community resolution cohort."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pathways.analytics.engines import DuckDBEngine
from pathways.analytics.measures import PRESETS
from pathways.analytics.sources import service_extract
from pathways.resolutions import services
from pathways.resolutions.reference import ActionKind, Route
from pathways.resolutions.testing import create_resolution, due


def test_a_street_resolution_and_a_diversion_start_the_community_resolution_cohort(
    officer, sergeant, shoplifter, police, police_admin
):
    street = create_resolution(officer=officer, person=shoplifter)
    services.resolution_decide(
        resolution=street,
        by=officer,
        route=Route.STREET_CR,
        actions=[services.ActionInput(kind=ActionKind.APOLOGY_LETTER, description="Letter", owner="PC", due_on=due())],
    )
    extract = service_extract(None)
    outcomes = extract.frames["outcomes"]
    assert list(outcomes["outcome"]) == ["8"]
    engine = DuckDBEngine()
    engine.load_frames(extract.frames)
    today = timezone.localdate()
    cohort = engine.reoffending(
        PRESETS["community_resolution"], start=today - dt.timedelta(days=30), end=today, by=["index_disposal"]
    )
    assert cohort.overall.cohort == 1
    assert [group for group, _ in cohort.breakdowns["index_disposal"]] == ["community_resolution"]
    # The MoJ definition does not start a cohort with a community resolution.
    moj = engine.reoffending(PRESETS["moj"], start=today - dt.timedelta(days=30), end=today)
    assert moj.overall.cohort == 0
