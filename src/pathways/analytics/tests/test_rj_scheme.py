"""Reoffending after restorative justice: offenders who took part in a restorative meeting are a
scheme in the performance framework, compared with everyone else."""

from __future__ import annotations

import datetime as dt

import pytest

from pathways.accounts.models import Agency, AgencyKind
from pathways.analytics.engines import DuckDBEngine
from pathways.analytics.measures import PRESETS
from pathways.analytics.sources import service_extract
from pathways.people.models import Person
from pathways.restorative.models import Meeting
from pathways.restorative.reference import MeetingStatus
from pathways.restorative.testing import create_case
from pathways.sharing.models import Agreement
from pathways.sharing.reference import Category, LawfulBasis, Purpose

pytestmark = pytest.mark.django_db


def meeting(case, status: str) -> None:  # type: ignore[no-untyped-def]
    Meeting.objects.create(
        case=case,
        intervention="conference",
        starts_at=dt.datetime(2023, 3, 1, 10, tzinfo=dt.UTC),
        status=status,
        held_on=dt.date(2023, 3, 1) if status == MeetingStatus.HELD else None,
    )


@pytest.fixture
def rj_outcomes_shared(rj_service, opcc):
    agreement = Agreement.objects.create(
        reference="rj-performance",
        title="Restorative Justice Performance Agreement",
        purposes=[Purpose.PERFORMANCE_ANALYSIS],
        categories=[Category.OUTCOMES],
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        start_date=dt.date(2020, 1, 1),
        review_date=dt.date(2030, 1, 1),
    )
    agreement.parties.set([rj_service, opcc])


def test_an_rj_participant_appears_in_the_scheme_breakdown(
    reoffending_cohort, officer, rj_service, rj_outcomes_shared, analyst
):
    took_part = Person.objects.get(surname="Carter")
    meeting(create_case(by=officer, service=rj_service, offender=took_part), MeetingStatus.HELD)
    # Only arranged, never held: not a participant.
    meeting(create_case(by=officer, service=rj_service, offender=Person.objects.get(surname="Dyer")), "arranged")
    # Held by a service that does not share its outcomes with the analyst's agency.
    elsewhere = Agency.objects.create(code="downland-rj", name="Downland RJ", kind=AgencyKind.RJ_SERVICE)
    meeting(create_case(by=officer, service=elsewhere, offender=Person.objects.get(surname="Ellis")), "held")

    extract = service_extract(analyst)
    assert list(extract.frames["schemes"].itertuples(index=False, name=None)) == [
        (str(took_part.pk), "restorative_justice")
    ]
    engine = DuckDBEngine()
    engine.load_frames(extract.frames)
    result = engine.reoffending(PRESETS["moj"], start=dt.date(2023, 1, 1), end=dt.date(2023, 3, 31), by=["scheme"])
    groups = {group: figures.cohort for group, figures in result.breakdowns["scheme"]}
    assert groups == {"restorative_justice": 1, "none": 11}
    [row] = [r for r in engine.people_in() if r["person_id"] == str(took_part.pk)]
    assert row["scheme"] == "restorative_justice"


def test_the_operator_sees_every_services_participants(reoffending_cohort, officer, rj_service):
    took_part = Person.objects.get(surname="Carter")
    meeting(create_case(by=officer, service=rj_service, offender=took_part), MeetingStatus.HELD)
    assert list(service_extract(None).frames["schemes"]["person_id"]) == [str(took_part.pk)]
