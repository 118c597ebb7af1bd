"""Analysis: the triangle for each cycle, repeat victims and locations, and the people involved,
each person named only to those who may see them."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.access.services import agency_record_ensure
from pathways.offending.models import Offence, OffenceVictim
from pathways.people.models import Person
from pathways.problems import analysis, services
from pathways.problems.models import Analysis, InvolvedPerson, Stage
from pathways.problems.testing import create_problem
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db
_refs = itertools.count(1)


def person(name: str, *agencies) -> Person:  # type: ignore[no-untyped-def]
    given, surname = name.split()
    p = Person.objects.create(given_name=given, surname=surname)
    for agency in agencies:
        agency_record_ensure(person=p, agency=agency)
    return p


def offence(agency, offender, victims, *, area="WX1", on=None, point=None):  # type: ignore[no-untyped-def]
    row = Offence.objects.create(
        person=offender,
        agency=agency,
        reference=f"CR{next(_refs)}",
        offence_date=on or timezone.localdate() - dt.timedelta(days=30),
        offence_code="46",
        offence_group="theft",
        area=area,
        latitude=Decimal(str(point[0])) if point else None,
        longitude=Decimal(str(point[1])) if point else None,
    )
    for victim in victims:
        OffenceVictim.objects.create(offence=row, person=victim)
    return row


def test_repeat_victims_are_counted_for_everyone_and_named_only_to_those_who_may_see_them(
    officer, police, probation, housing, probation_caseworker
):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS)
    offender = person("Kyle Rowe", police)
    shopkeeper = person("Meera Shah", police, probation)  # known to both
    tenant = person("Dot Cotton", police)  # known to the police only
    once = person("Ian Beale", police)
    for victims in ([shopkeeper, tenant], [shopkeeper], [tenant, once], [shopkeeper]):
        offence(police, offender, victims)
    offence(police, offender, [once], area="WX9")  # elsewhere: not counted
    offence(police, offender, [once], on=problem.period_from - dt.timedelta(days=1))  # before the period

    as_police = analysis.repeat_victims(problem, officer)
    assert [(v.person, v.incidents) for v in as_police.named] == [(shopkeeper, 3), (tenant, 2)]
    assert (as_police.total, as_police.hidden, as_police.incidents) == (2, 0, 5)
    as_probation = analysis.repeat_victims(problem, probation_caseworker)
    assert [v.person for v in as_probation.named] == [shopkeeper]
    assert (as_probation.total, as_probation.hidden) == (2, 1)

    html = signed_in_client(probation_caseworker).get(reverse("problems:analysis", args=[problem.pk])).content.decode()
    assert "Meera Shah" in html and "Dot Cotton" not in html
    assert "1 more person you may not see" in html
    named = AuditEvent.objects.filter(action="read", object_type="person", username=probation_caseworker.username)
    assert set(named.values_list("object_id", flat=True)) == {str(shopkeeper.pk)}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offences=st.lists(st.sets(st.integers(0, 4), max_size=3), max_size=8),
    visible=st.sets(st.integers(0, 4)),
)
def test_repeat_victims_match_a_plain_count(officer, police, probation, probation_caseworker, offences, visible):
    # Hypothesis runs every example in one test's transaction: each gets an area of its own.
    area = f"HY{next(_refs)}"
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS, area_codes=[area])
    offender = person("Kyle Rowe", police)
    pool = [person(f"Victim N{i}", police, *([probation] if i in visible else [])) for i in range(5)]
    for victims in offences:
        offence(police, offender, [pool[i] for i in victims], area=area)
    counts = {i: sum(1 for v in offences if i in v) for i in range(5)}
    repeats = {i for i, n in counts.items() if n >= 2}
    found = analysis.repeat_victims(problem, probation_caseworker)
    assert found.total == len(repeats)
    assert {v.person.pk for v in found.named} == {pool[i].pk for i in repeats & visible}
    assert found.hidden == len(repeats - visible)
    assert found.incidents == sum(counts[i] for i in repeats)
    assert all(v.incidents == counts[pool.index(v.person)] for v in found.named)


def test_repeat_locations_group_points_within_about_100_metres(officer, police, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS)
    offender = person("Kyle Rowe", police)
    offence(police, offender, [], point=(50.71512, -2.43711))
    offence(police, offender, [], point=(50.71508, -2.43698))
    offence(police, offender, [], point=(50.72900, -2.45000))  # once: not a repeat
    offence(police, offender, [])
    offence(police, offender, [])  # two with no point: the area is the location
    found = analysis.repeat_locations(problem)
    assert [(r.kind, r.label, r.incidents) for r in found] == [("point", "50.715, -2.437", 2), ("area", "WX1", 2)]


def test_a_person_involved_is_not_named_to_a_partner_who_may_not_see_them(
    officer, police, probation, probation_caseworker
):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS)
    suspect = person("Kyle Rowe", police)
    services.person_involve(problem=problem, by=officer, person_id=suspect.pk, role=InvolvedPerson.Role.OFFENDER)
    url = reverse("problems:analysis", args=[problem.pk])
    assert "Kyle Rowe" in signed_in_client(officer).get(url).content.decode()
    html = signed_in_client(probation_caseworker).get(url).content.decode()
    assert "Kyle Rowe" not in html and str(suspect.pk) not in html
    assert "1 more person recorded whom you may not see" in html


def test_a_person_is_added_by_pnc_id_on_the_analysis_page(officer, probation, known_offender, probation_caseworker):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS)
    url = reverse("problems:person-add", args=[problem.pk])
    refused = signed_in_client(probation_caseworker).post(url, {"identifier": "2016/0001234B", "role": "offender"})
    assert "No one you may see has that id" in refused.content.decode()
    assert "Smith" not in refused.content.decode()
    signed_in_client(officer).post(url, {"identifier": "2016/0001234B", "role": "offender", "note": "Seen on CCTV"})
    assert problem.people.get().person == known_offender


def test_the_triangle_is_written_for_this_cycle_and_earlier_cycles_are_kept(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS, cycle=2)
    Analysis.objects.create(problem=problem, cycle=1, victims="Shop staff", offenders="Pupils", places="Three shops")
    client = signed_in_client(officer)
    url = reverse("problems:analysis", args=[problem.pk])
    response = client.post(
        url,
        {
            "victims": "Older shoppers",
            "offenders": "Three older teenagers",
            "places": "The arcade",
            "managers": "The arcade's owner",
            "summary": "The arcade is unsupervised after 4 pm.",
        },
    )
    assert response.status_code == 302
    current = problem.analyses.get(cycle=2)
    assert (current.victims, current.managers) == ("Older shoppers", "The arcade's owner")
    html = client.get(url).content.decode()
    assert "Cycle 1's analysis" in html and "Three shops" in html and "<svg" in html


def test_the_analysis_is_read_only_once_the_problem_has_moved_on(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    client = signed_in_client(officer)
    url = reverse("problems:analysis", args=[problem.pk])
    html = client.get(url).content.decode()
    assert 'id="analysis-form"' not in html and "The shops are the only warm place" in html
    assert client.post(url, {"victims": "Changed"}).status_code == 403


@pytest.mark.parametrize(
    ("crime_types", "kinds"),
    [
        (["Drugs", "Possession of weapons"], ["Drug offences", "Possession of weapons"]),
        (["Shoplifting", "Anti-social behaviour"], ["Theft offences"]),
        (["Violence and sexual offences"], ["Violence against the person", "Sexual offences"]),
        (["theft", "Public order offences"], ["Theft offences", "Public order offences"]),
        (["Anti-social behaviour"], []),  # no offence stands for it: every offence is counted
    ],
)
def test_police_uk_crime_types_count_the_partnerships_offences_of_the_same_kind(officer, crime_types, kinds):
    problem = create_problem(owner=officer, partners=[], crime_types=crime_types)
    assert analysis._offence_kinds(problem) == kinds
