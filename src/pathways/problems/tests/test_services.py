"""Opening and working a problem: what is refused at the boundary, and what is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.access.services import agency_record_ensure
from pathways.people.models import Person
from pathways.problems import services
from pathways.problems.models import ActionStatus, Area, InvolvedPerson, ProblemKind, ProblemNote, Stage
from pathways.problems.testing import STATEMENT, create_problem

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-2.44, 50.71], [-2.43, 50.71], [-2.43, 50.72], [-2.44, 50.72], [-2.44, 50.71]]],
}
BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def open_problem(by, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "title": "Youths at the Market Place shops",
        "kind": ProblemKind.PLACE,
        "statement": STATEMENT,
        "area_codes": ["WX1"],
        "period_from": TODAY - dt.timedelta(days=365),
        "period_to": TODAY,
    }
    values.update(overrides)
    return services.problem_open(by=by, **values)


def errors_of(call) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as raised:
        call()
    return raised.value.message_dict


def test_a_problem_gets_a_yearly_reference_its_owner_and_partners(officer, probation, police):
    first = open_problem(officer, partners=[probation, police])
    second = open_problem(officer)
    year = timezone.localdate().year
    assert (first.reference, second.reference) == (f"PS-{year}-0001", f"PS-{year}-0002")
    assert first.owner == officer and first.owner_agency == police and first.stage == Stage.SCANNING
    # The owner's own agency is the owner, not a partner.
    assert list(first.partners.values_list("agency__code", flat=True)) == [probation.code]
    assert AuditEvent.objects.filter(object_type="problem", object_id=str(first.pk), action="create").exists()


def test_a_place_problem_needs_its_place_and_a_group_problem_its_group(officer):
    assert "area_codes" in errors_of(lambda: open_problem(officer, area_codes=[]))
    assert "group_description" in errors_of(lambda: open_problem(officer, kind=ProblemKind.GROUP, area_codes=[]))
    # Streets alone, or a drawn boundary alone, are a place.
    assert open_problem(officer, area_codes=[], streets=["Market Place"]).streets == ["Market Place"]
    assert open_problem(officer, area_codes=[], boundary=SQUARE).boundary == SQUARE


def test_area_codes_must_be_known_once_areas_are_kept(officer):
    assert open_problem(officer, area_codes=["ZZ9"]).area_codes == ["ZZ9"]  # no areas kept yet
    Area.objects.create(code="WX1", name="Casterbridge centre", kind="neighbourhood")
    errors = errors_of(lambda: open_problem(officer, area_codes=["WX1", "zz9"]))
    assert errors["area_codes"] == ["No area has the code ZZ9"]
    assert open_problem(officer, area_codes=["wx1"]).area_codes == ["WX1"]


@pytest.mark.parametrize(
    ("boundary", "says"),
    [
        ({"type": "Point", "coordinates": [0, 0]}, "GeoJSON Polygon"),
        (BOWTIE, "crosses itself"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1]]]}, "closed ring"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[400000, 100000], [400100, 100000], [400100, 100100], [400000, 100000]]],
            },
            "longitude and latitude",
        ),
    ],
)
def test_a_boundary_must_be_a_valid_polygon_in_longitude_and_latitude(officer, boundary, says):
    errors = errors_of(lambda: open_problem(officer, boundary=boundary))
    assert says in errors["boundary"][0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(dt.date(2020, 1, 1), dt.date(2027, 1, 1)), end=st.dates(dt.date(2020, 1, 1), dt.date(2027, 1, 1)))
def test_the_period_is_accepted_exactly_when_it_does_not_end_before_it_starts(officer, start, end):
    if start <= end:
        assert open_problem(officer, period_from=start, period_to=end).period_to == end
    else:
        assert "period_to" in errors_of(lambda: open_problem(officer, period_from=start, period_to=end))


def test_only_workers_open_problems(make_user, police):
    from pathways.accounts.models import Role

    with pytest.raises(PermissionDenied):
        open_problem(make_user("rj", police, Role.RJ_COORDINATOR))


def test_the_definition_is_editable_in_scanning_and_fixed_after(officer, probation):
    problem = create_problem(owner=officer, partners=[probation])
    services.problem_update(problem=problem, by=officer, title="Shoplifting at the Market Place")
    problem.refresh_from_db()
    assert problem.title == "Shoplifting at the Market Place"
    moved = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS)
    assert "statement" in errors_of(lambda: services.problem_update(problem=moved, by=officer, title="Other"))
    # A note still says what changed.
    note = services.note_add(problem=moved, by=officer, text="The shops now close at 6 pm")
    assert (note.stage, note.cycle) == (Stage.ANALYSIS, 1)


def test_evidence_needs_its_source(officer, probation):
    problem = create_problem(owner=officer, partners=[probation])
    errors = errors_of(lambda: services.note_add(problem=problem, by=officer, text="Survey", kind="evidence"))
    assert "source" in errors
    saved = services.note_add(
        problem=problem, by=officer, text="18 of 20 shopkeepers", kind="evidence", source="Shop survey, May"
    )
    assert saved.kind == ProblemNote.Kind.EVIDENCE and saved.agency == officer.agency


def test_an_agency_not_working_the_problem_cannot_write_to_it(officer, probation, housing_worker):
    problem = create_problem(owner=officer, partners=[probation])
    with pytest.raises(PermissionDenied):
        services.note_add(problem=problem, by=housing_worker, text="Hello")


def test_only_the_owner_side_changes_partners(officer, probation, housing, probation_caseworker):
    problem = create_problem(owner=officer, partners=[probation])
    with pytest.raises(PermissionDenied):
        services.partner_add(problem=problem, by=probation_caseworker, agency=housing)
    services.partner_add(problem=problem, by=officer, agency=housing, role="Landlord")
    services.partner_remove(problem=problem, by=officer, agency=probation)
    assert list(problem.partners.values_list("agency", flat=True)) == [housing.pk]


def person_of(agency, name="Tom Baker"):  # type: ignore[no-untyped-def]
    given, surname = name.split()
    person = Person.objects.create(given_name=given, surname=surname)
    agency_record_ensure(person=person, agency=agency)
    return person


def test_a_person_is_involved_only_by_someone_who_may_see_them(officer, probation, housing):
    problem = create_problem(owner=officer, partners=[probation])
    seen, unseen = person_of(officer.agency), person_of(housing, "Ann Other")
    involved = services.person_involve(problem=problem, by=officer, person_id=seen.pk, role="victim", note="Shop owner")
    assert involved.role == InvolvedPerson.Role.VICTIM
    read = AuditEvent.objects.filter(action="read", object_type="person", object_id=str(seen.pk))
    assert read.exists()
    errors = errors_of(lambda: services.person_involve(problem=problem, by=officer, person_id=unseen.pk, role="victim"))
    assert errors["person"] == ["No one you may see has that id"]
    assert AuditEvent.objects.filter(action="refused", object_type="person", object_id=str(unseen.pk)).exists()
    assert "person" in errors_of(
        lambda: services.person_involve(problem=problem, by=officer, person_id=seen.pk, role="victim")
    )


def test_a_person_is_found_by_pnc_id_only_among_those_visible(officer, housing_worker, known_offender):
    assert services.person_find(by=officer, identifier="2016/0001234B") == known_offender.pk
    assert services.person_find(by=officer, identifier=str(known_offender.pk)) == known_offender.pk
    assert services.person_find(by=housing_worker, identifier="2016/0001234B") is None
    assert services.person_find(by=officer, identifier="not an id") is None


def test_the_analysis_is_written_only_in_the_analysis_stage(officer, probation):
    scanning = create_problem(owner=officer, partners=[probation])
    assert "summary" in errors_of(lambda: services.analysis_save(problem=scanning, by=officer, victims="Shop staff"))
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS)
    services.analysis_save(problem=problem, by=officer, victims="Shop staff", offenders="Pupils")
    saved = services.analysis_save(problem=problem, by=officer, places="Three shops")
    assert (saved.cycle, saved.victims, saved.offenders, saved.places) == (1, "Shop staff", "Pupils", "Three shops")
    assert problem.analyses.count() == 1


def test_actions_are_owned_by_an_agency_working_the_problem(officer, probation, housing):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    base = {"problem": problem, "by": officer, "action": "Youth club", "starts_on": TODAY, "due_on": TODAY}
    assert "owner_agency" in errors_of(lambda: services.action_add(owner_agency=housing, **base))
    assert "due_on" in errors_of(
        lambda: services.action_add(owner_agency=probation, **{**base, "due_on": TODAY - dt.timedelta(days=1)})
    )
    done = services.action_add(owner_agency=probation, status=ActionStatus.DONE, **base)
    assert done.finished_on == timezone.localdate() and done.cycle == 1


def test_actions_are_added_only_in_the_response_stage(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.ANALYSIS)
    errors = errors_of(
        lambda: services.action_add(
            problem=problem, by=officer, action="CCTV", owner_agency=probation, starts_on=TODAY, due_on=TODAY
        )
    )
    assert "action" in errors


def test_an_action_links_only_a_person_the_user_may_see(officer, probation, housing):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    unseen = person_of(housing)
    base = {"problem": problem, "by": officer, "action": "Warning letter", "owner_agency": officer.agency}
    errors = errors_of(lambda: services.action_add(starts_on=TODAY, due_on=TODAY, person_id=unseen.pk, **base))
    assert errors["person"] == ["No one you may see has that id"]
    seen = person_of(officer.agency)
    saved = services.action_add(starts_on=TODAY, due_on=TODAY, person_id=seen.pk, place="Market Place", **base)
    assert saved.person == seen and saved.place == "Market Place"


def test_an_actions_status_carries_the_date_it_finished(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    action = services.action_add(
        problem=problem, by=officer, action="CCTV", owner_agency=probation, starts_on=TODAY, due_on=TODAY
    )
    services.action_update(action=action, by=officer, status=ActionStatus.DONE, finished_on=TODAY, outcome="Fitted")
    assert (action.status, action.finished_on, action.outcome) == ("done", TODAY, "Fitted")
    services.action_update(action=action, by=officer, status=ActionStatus.IN_PROGRESS)
    assert action.finished_on is None
    assert "finished_on" in errors_of(
        lambda: services.action_update(
            action=action, by=officer, status=ActionStatus.DONE, finished_on=TODAY - dt.timedelta(days=3)
        )
    )


def test_an_action_is_overdue_only_when_unfinished_and_past_due(officer, probation):
    problem = create_problem(owner=officer, partners=[probation], stage=Stage.RESPONSE)
    action = services.action_add(
        problem=problem,
        by=officer,
        action="CCTV",
        owner_agency=probation,
        starts_on=TODAY - dt.timedelta(days=10),
        due_on=TODAY - dt.timedelta(days=1),
    )
    assert services.action_overdue(action, TODAY)
    assert not services.action_overdue(action, TODAY - dt.timedelta(days=1))
    action.status = ActionStatus.DONE
    assert not services.action_overdue(action, TODAY)
