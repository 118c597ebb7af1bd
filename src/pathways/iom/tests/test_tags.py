"""Tags: the suppliers' files, the tagging pages, and who reoffended while wearing a tag."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.accounts.models import Role
from pathways.imports.forms import UploadForm
from pathways.imports.models import ImportBatch
from pathways.iom import tags
from pathways.iom.models import TagEvent, TagPeriod
from pathways.iom.templatetags.iom_tags import member_tags
from pathways.iom.testing import create_membership, create_offender
from pathways.offending.models import Offence
from pathways.offending.reference import PROVING_OUTCOMES
from pathways.testing import create_person_row, csv_bytes, load, signed_in_client

TODAY = timezone.localdate()


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def tag_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "supplier": "Buddi",
        "tag_reference": "T100",
        "person_id": "K1",
        "pnc_id": "",
        "tag_type": "gps",
        "basis": "voluntary",
        "fitted_on": ago(100),
        "removed_on": "",
    }
    row.update(overrides)
    return row


def event_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "supplier": "Buddi",
        "tag_reference": "T100",
        "event_reference": "E1",
        "occurred_at": f"{ago(50)}T02:15:00",
        "event_type": "curfew_breach",
        "detail": "Out of the address 02:15 to 03:40",
    }
    row.update(overrides)
    return row


def import_tags(kind: str, rows: list[dict[str, Any]], agency: Any, by: Any, filename: str = "") -> Any:
    return tags.import_tag_file(kind, agency, filename or f"{kind}.csv", csv_bytes(kind, rows), by)


@pytest.fixture
def team_lead(police: Any, make_user: Any) -> Any:
    """A police IOM supervisor: loads the supplier's files, sees the people police hold."""
    return make_user("iom-lead", police, Role.SUPERVISOR, Role.OFFICER)


@pytest.fixture
def wearer(police: Any, police_admin: Any) -> Any:
    return create_offender(agency=police, by=police_admin, reference="K1", offences=[])


# --- Loading the files ---------------------------------------------------------------------


def test_a_good_tags_file_loads_each_tag_for_the_person_the_police_know(wearer: Any, team_lead: Any) -> None:
    report = import_tags(
        "tags",
        [tag_row(), tag_row(tag_reference="T101", tag_type="rf", basis="condition", removed_on=ago(10))],
        team_lead.agency,
        team_lead,
    )
    assert report.ok and report.created == 2
    held = {p.tag_reference: p for p in TagPeriod.objects.all()}
    assert held["T100"].person == wearer and held["T100"].removed_on is None and held["T100"].basis == "voluntary"
    assert held["T101"].removed_on == TODAY - dt.timedelta(days=10) and held["T101"].tag_type == "rf"
    batch = ImportBatch.objects.get(kind="tags")
    assert batch.status == "imported" and batch.uploaded_by == team_lead
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT, object_id=str(batch.pk)).exists()


def test_loading_the_same_files_twice_changes_nothing(wearer: Any, team_lead: Any) -> None:
    periods = [tag_row(), tag_row(tag_reference="T101", fitted_on=ago(300), removed_on=ago(200))]
    events = [event_row(), event_row(event_reference="E2", event_type="compliant_day", occurred_at=f"{ago(40)}T00:00")]
    for _ in range(2):
        first = import_tags("tags", periods, team_lead.agency, team_lead)
        second = import_tags("tag_events", events, team_lead.agency, team_lead)
    assert (first.created, first.updated, first.unchanged) == (0, 0, 2)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert TagPeriod.objects.count() == 2 and TagEvent.objects.count() == 2
    assert TagEvent.objects.get(event_reference="E1").is_alert
    assert not TagEvent.objects.get(event_reference="E2").is_alert


def test_a_tag_sent_again_with_its_removal_date_is_updated_not_duplicated(wearer: Any, team_lead: Any) -> None:
    import_tags("tags", [tag_row()], team_lead.agency, team_lead)
    report = import_tags("tags", [tag_row(removed_on=ago(5))], team_lead.agency, team_lead)
    assert (report.created, report.updated) == (0, 1)
    assert TagPeriod.objects.get().removed_on == TODAY - dt.timedelta(days=5)


def test_a_bad_row_is_named_by_file_row_and_column_and_nothing_is_written(wearer: Any, team_lead: Any) -> None:
    rows = [
        tag_row(),  # row 2 is good
        tag_row(tag_reference="T2", fitted_on="2026-13-01"),  # row 3
        tag_row(tag_reference="T3", fitted_on=ago(10), removed_on=ago(20)),  # row 4
        tag_row(tag_reference="T4", person_id="NOBODY"),  # row 5
        tag_row(tag_reference="T5", tag_type="ankle"),  # row 6
    ]
    report = import_tags("tags", rows, team_lead.agency, team_lead, filename="buddi-march.csv")
    assert not report.ok
    where = {(e.file, e.row, e.column) for e in report.errors}
    assert where == {
        ("buddi-march.csv", 3, "fitted_on"),
        ("buddi-march.csv", 4, "removed_on"),
        ("buddi-march.csv", 5, "person_id"),
        ("buddi-march.csv", 6, "tag_type"),
    }
    assert "before the tag was fitted" in next(e.reason for e in report.errors if e.row == 4)
    assert TagPeriod.objects.count() == 0
    assert ImportBatch.objects.get(kind="tags").status == "rejected"


def test_events_for_a_tag_never_loaded_are_refused(wearer: Any, team_lead: Any) -> None:
    import_tags("tags", [tag_row()], team_lead.agency, team_lead)
    report = import_tags(
        "tag_events",
        [event_row(), event_row(event_reference="E2", tag_reference="T999")],
        team_lead.agency,
        team_lead,
    )
    assert [(e.row, e.column) for e in report.errors] == [(3, "tag_reference")]
    assert "load the tag periods file first" in report.errors[0].reason
    assert TagEvent.objects.count() == 0


def test_an_event_outside_the_time_the_tag_was_worn_is_refused(wearer: Any, team_lead: Any) -> None:
    import_tags("tags", [tag_row(fitted_on=ago(100), removed_on=ago(60))], team_lead.agency, team_lead)
    report = import_tags("tag_events", [event_row(occurred_at=f"{ago(30)}T10:00")], team_lead.agency, team_lead)
    assert [(e.row, e.column) for e in report.errors] == [(2, "occurred_at")]
    assert "after the tag was removed" in report.errors[0].reason


def test_a_person_may_be_found_by_pnc_id_when_the_reference_is_not_ours(
    police: Any, probation: Any, police_admin: Any, make_user: Any
) -> None:
    load("people", [create_person_row(person_id="K9", pnc_id="2019/0123456A")], agency=police, by=police_admin)
    probation_lead = make_user("probation-iom", probation, Role.CASEWORKER)
    report = import_tags("tags", [tag_row(person_id="PRB-1", pnc_id="2019/0123456A")], probation, probation_lead)
    assert report.ok
    assert TagPeriod.objects.get().person.given_name == "Jonathan"


def test_the_tag_kinds_load_through_the_pathways_import_command(
    wearer: Any, police: Any, team_lead: Any, tmp_path: Any
) -> None:
    path = tmp_path / "tags.csv"
    path.write_bytes(csv_bytes("tags", [tag_row()]))
    call_command("import_data", "tags", str(path), agency=police.code)
    assert TagPeriod.objects.get().tag_reference == "T100"


def test_the_partner_upload_page_offers_tag_files_only_to_those_who_may_load_them(team_lead: Any, analyst: Any) -> None:
    assert "tags" in dict(UploadForm(user=team_lead).fields["kind"].choices)
    assert "tags" not in dict(UploadForm(user=analyst).fields["kind"].choices)


# --- Reoffended while tagged -------------------------------------------------------------------


def _offences(police: Any, by: Any, rows: list[tuple[str, str, int, str | None]]) -> None:
    """(offence id, person, days ago committed, outcome or None)."""
    load(
        "offences",
        [
            {"offence_id": o, "person_id": p, "offence_date": ago(d), "offence_code": "46", "offence_group": "theft"}
            for o, p, d, _ in rows
        ],
        agency=police,
        by=by,
    )
    outcomes = [{"offence_id": o, "outcome_date": ago(max(d - 3, 0)), "outcome": out} for o, _, d, out in rows if out]
    if outcomes:
        load("outcomes", outcomes, agency=police, by=by)


def _direct_count(periods: Any) -> int:
    """Counted straight from the tables, independently of `tags`."""
    people = set()
    for period in periods:
        until = period.removed_on or TODAY
        if Offence.objects.filter(
            person=period.person,
            offence_date__gte=period.fitted_on,
            offence_date__lte=until,
            outcomes__outcome__in=PROVING_OUTCOMES,
        ).exists():
            people.add(period.person_id)
    return len(people)


@pytest.fixture
def tagged_cohort(police: Any, police_admin: Any, team_lead: Any) -> None:
    """Four people tagged: one proven offence while worn (A), one after removal (B), one while
    worn but acquitted (C), and one proven while a tag is still worn (D)."""
    load(
        "people",
        [
            create_person_row(person_id=ref, given_name=name)
            for ref, name in [("A", "Ann"), ("B", "Ben"), ("C", "Cal"), ("D", "Dee")]
        ],
        agency=police,
        by=police_admin,
    )
    import_tags(
        "tags",
        [
            tag_row(tag_reference="TA", person_id="A", fitted_on=ago(100), removed_on=ago(20)),
            tag_row(tag_reference="TB", person_id="B", fitted_on=ago(100), removed_on=ago(20), basis="condition"),
            tag_row(tag_reference="TC", person_id="C", fitted_on=ago(100), removed_on=ago(20)),
            tag_row(tag_reference="TD", person_id="D", fitted_on=ago(30), tag_type="alcohol"),
        ],
        police,
        team_lead,
    )
    _offences(
        police,
        police_admin,
        [
            ("OA", "A", 50, "conviction_community"),
            ("OB", "B", 10, "conviction_fine"),
            ("OB2", "B", 150, "conviction_fine"),
            ("OC", "C", 50, "acquittal"),
            ("OC2", "C", 60, None),
            ("OD", "D", 5, "conviction_custody"),
        ],
    )


def test_reoffended_while_tagged_counts_proven_offences_committed_while_the_tag_was_worn(
    tagged_cohort: None, team_lead: Any
) -> None:
    figures = tags.tagging_figures(team_lead)
    assert figures.people_tagged == 4 and figures.periods == 4
    assert (figures.voluntary, figures.condition) == (3, 1)
    assert figures.reoffended == _direct_count(TagPeriod.objects.all()) == 2
    assert sorted(r.person.given_name for r in figures.reoffences) == ["Ann", "Dee"]
    assert figures.in_words().startswith("4 people fitted with tags since")
    assert "2 reoffended while wearing one" in figures.in_words()


def test_the_figures_cover_only_tags_fitted_in_the_period_asked_for(tagged_cohort: None, team_lead: Any) -> None:
    figures = tags.tagging_figures(team_lead, start=TODAY - dt.timedelta(days=40))
    assert (figures.people_tagged, figures.reoffended) == (
        1,
        _direct_count(TagPeriod.objects.filter(tag_reference="TD")),
    )


def test_someone_who_cannot_see_the_people_counts_none_of_them(tagged_cohort: None, housing_worker: Any) -> None:
    figures = tags.tagging_figures(housing_worker)
    assert (figures.people_tagged, figures.reoffended, figures.reoffences) == (0, 0, [])


def test_an_analyst_sees_the_totals_from_agencies_sharing_outcomes_but_no_names(
    tagged_cohort: None, analyst: Any, performance_agreement: Any
) -> None:
    figures = tags.tagging_figures(analyst)
    assert (figures.people_tagged, figures.reoffended) == (4, 2)
    assert not figures.named and figures.reoffences == []


periods_strategy = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 60), st.one_of(st.none(), st.integers(0, 60))), max_size=12
)
offences_strategy = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 80)), max_size=20)
BASE = dt.date(2025, 1, 1)


def _as_dates(periods: list[tuple[int, int, int | None]]) -> list[tuple[int, dt.date, dt.date | None]]:
    out = []
    for person, start, length in periods:
        fitted = BASE + dt.timedelta(days=start)
        out.append((person, fitted, None if length is None else fitted + dt.timedelta(days=length)))
    return out


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(periods_strategy, offences_strategy, st.integers(1, 30))
def test_reoffended_never_exceeds_people_tagged_and_removing_a_tag_earlier_never_adds_anyone(
    periods: list[tuple[int, int, int | None]], offences: list[tuple[int, int]], earlier_by: int
) -> None:
    today = BASE + dt.timedelta(days=90)
    dated = _as_dates(periods)
    proven = [(p, BASE + dt.timedelta(days=d)) for p, d in offences]
    found = tags.reoffended_while_tagged(dated, proven, today)
    assert found <= {p for p, _, _ in dated}
    shifted = [
        (p, fitted, max(fitted, (removed or today) - dt.timedelta(days=earlier_by))) for p, fitted, removed in dated
    ]
    assert tags.reoffended_while_tagged(shifted, proven, today) <= found


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(periods_strategy, offences_strategy)
def test_an_offence_counts_exactly_when_it_falls_inside_a_tag_of_the_same_person(
    periods: list[tuple[int, int, int | None]], offences: list[tuple[int, int]]
) -> None:
    today = BASE + dt.timedelta(days=90)
    dated = _as_dates(periods)
    proven = [(p, BASE + dt.timedelta(days=d)) for p, d in offences]
    expected = {
        p for p, day in proven for q, fitted, removed in dated if q == p and fitted <= day <= (removed or today)
    }
    assert tags.reoffended_while_tagged(dated, proven, today) == expected


# --- Pages -----------------------------------------------------------------------------------


def test_a_caseworker_at_housing_cannot_load_a_tag_file(housing_worker: Any) -> None:
    client = signed_in_client(housing_worker)
    upload = csv_bytes("tags", [tag_row()])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("iom:tags-import"),
        {"kind": "tags", "file": SimpleUploadedFile("tags.csv", upload, content_type="text/csv")},
    )
    assert response.status_code == 403
    assert TagPeriod.objects.count() == 0


def test_the_upload_page_shows_every_problem_and_saves_nothing(wearer: Any, team_lead: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in_client(team_lead)
    upload = csv_bytes("tags", [tag_row(), tag_row(tag_reference="T2", basis="maybe")])
    response = client.post(
        reverse("iom:tags-import"),
        {"kind": "tags", "file": SimpleUploadedFile("buddi.csv", upload, content_type="text/csv")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "buddi.csv was not loaded" in page and "buddi.csv, row 3, column basis" in page
    assert TagPeriod.objects.count() == 0

    good = csv_bytes("tags", [tag_row()])
    response = client.post(
        reverse("iom:tags-import"),
        {"kind": "tags", "file": SimpleUploadedFile("buddi.csv", good, content_type="text/csv")},
        follow=True,
    )
    assert "1 new, 0 changed, 0 unchanged" in response.content.decode()
    assert TagPeriod.objects.count() == 1


def test_the_tags_page_says_the_figure_in_words_and_lists_tags_worn_now(tagged_cohort: None, team_lead: Any) -> None:
    import_tags(
        "tag_events",
        [event_row(tag_reference="TD", occurred_at=f"{ago(3)}T23:10", event_type="alcohol_detected")],
        team_lead.agency,
        team_lead,
    )
    page = signed_in_client(team_lead).get(reverse("iom:tags")).content.decode()
    assert "4 people fitted with tags since" in page and "2 reoffended while wearing one" in page
    assert "Alcohol detected" in page  # Dee's tag is still worn, with its latest alert


def test_a_bad_filter_date_is_named(team_lead: Any) -> None:
    response = signed_in_client(team_lead).get(reverse("iom:tags"), {"start": "31/02/2026"})
    assert response.status_code == 400
    assert "Fitted on or after must be a real date" in response.content.decode()


def test_one_tag_shows_its_events_with_alerts_highlighted_and_is_hidden_from_others(
    wearer: Any, team_lead: Any, housing_worker: Any
) -> None:
    import_tags("tags", [tag_row()], team_lead.agency, team_lead)
    import_tags(
        "tag_events",
        [event_row(), event_row(event_reference="E2", event_type="compliant_day", occurred_at=f"{ago(40)}T00:00")],
        team_lead.agency,
        team_lead,
    )
    period = TagPeriod.objects.get()
    page = signed_in_client(team_lead).get(reverse("iom:tag", args=[period.pk])).content.decode()
    assert page.count("iom-tag-alert") == 1 and "Curfew breached" in page and "A compliant day" in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.READ, object_id=str(wearer.pk)).exists()
    assert signed_in_client(housing_worker).get(reverse("iom:tag", args=[period.pk])).status_code == 404


def test_the_member_page_section_lists_the_persons_tags_and_last_five_alerts(
    prolific_offender: Any, iom_supervisor: Any, ppo_scheme: Any, team_lead: Any
) -> None:
    membership = create_membership(by=iom_supervisor, person=prolific_offender, scheme=ppo_scheme)
    import_tags("tags", [tag_row()], team_lead.agency, team_lead)
    import_tags(
        "tag_events",
        [event_row(event_reference=f"E{n}", occurred_at=f"{ago(90 - n)}T01:00") for n in range(7)],
        team_lead.agency,
        team_lead,
    )

    class Request:
        user = iom_supervisor

    html = member_tags({"request": Request()}, membership)
    assert "GPS location tag" in html and "Still worn" in html
    assert html.count("Curfew breached") == 5


def test_the_api_loads_tag_files_for_the_iom_team_and_refuses_an_analyst(
    wearer: Any, police: Any, make_user: Any, analyst: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from pathways.accounts.services import api_token_create

    def client_for(user: Any) -> Client:
        _, key = api_token_create(user=user, name="test")
        return Client(headers={"Authorization": f"Bearer {key}"})

    caseworker = make_user("police-iom-caseworker", police, Role.CASEWORKER)  # may load tags, not partner files
    upload = SimpleUploadedFile("tags.csv", csv_bytes("tags", [tag_row()]), content_type="text/csv")
    response = client_for(caseworker).post("/api/v1/imports/tags", {"file": upload})
    assert response.status_code == 201, response.content
    assert TagPeriod.objects.count() == 1
    people = SimpleUploadedFile("p.csv", csv_bytes("people", [create_person_row()]), content_type="text/csv")
    assert client_for(caseworker).post("/api/v1/imports/people", {"file": people}).status_code == 403
    upload.seek(0)
    assert client_for(analyst).post("/api/v1/imports/tags", {"file": upload}).status_code == 403
