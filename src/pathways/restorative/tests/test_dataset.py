"""The quarterly return: one standard definition, checked against the database itself."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import statistics
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.accounts.models import Agency, AgencyKind, Role
from pathways.accounts.services import api_token_create
from pathways.restorative import dataset
from pathways.restorative.models import (
    Agreement,
    AgreementAction,
    Case,
    ConsentRecord,
    ContactAttempt,
    Meeting,
    Party,
    Survey,
)
from pathways.restorative.reference import (
    ActionStatus,
    CaseStatus,
    ClosureReason,
    ConsentStatus,
    ContactMethod,
    ContactResult,
    Intervention,
    MeetingStatus,
    Source,
    Stage,
)
from pathways.restorative.reference import Role as PartyRole
from pathways.restorative.testing import create_case
from pathways.sharing.models import Agreement as SharingAgreement
from pathways.sharing.reference import Category, LawfulBasis, Purpose
from pathways.testing import signed_in_client

Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
FIRST, LAST = dt.date(2025, 10, 1), dt.date(2026, 6, 30)


def some_day(rng: random.Random, after: dt.date = FIRST) -> dt.date:
    return after + dt.timedelta(days=rng.randint(0, max(0, (LAST - after).days)))


def varied_quarter(officer: Any, coordinator: Any, services: list[Agency], seed: int = 6) -> None:
    """Cases of several services, referred before, in and after the quarter, at every status,
    with contact, consent, meetings, agreements, surveys and closures on both sides of its edges."""
    rng = random.Random(seed)
    statuses = list(CaseStatus.values)
    for n in range(48):
        service = services[n % len(services)]
        referred_on = some_day(rng)
        case = create_case(
            by=coordinator if service == coordinator.agency else officer,
            service=service,
            source=rng.choice([s for s in Source.values if s != Source.SELF]),
            stage=rng.choice(Stage.values),
            referred_on=referred_on,
            victim_name=f"Victim {n}",
        )
        status = statuses[n % len(statuses)]
        accepted = rng.random() < 0.7
        closing = status == CaseStatus.CLOSED or rng.random() < 0.2
        Case.objects.filter(pk=case.pk).update(
            status=status,
            accepted_on=some_day(rng, referred_on) if accepted else None,
            closed_on=some_day(rng, referred_on) if closing else None,
            closure_reason=rng.choice([*ClosureReason.values, ""]) if closing else "",
        )
        offender = Party.objects.create(case=case, role=PartyRole.OFFENDER, name=f"Offender {n}")
        if rng.random() < 0.3:
            Party.objects.create(case=case, role=PartyRole.VICTIM, name=f"Second victim {n}")
        for party in case.parties.all():
            for _ in range(rng.randint(0, 2)):
                ContactAttempt.objects.create(
                    case=case,
                    party=party,
                    made_on=some_day(rng, referred_on),
                    method=ContactMethod.PHONE,
                    result=rng.choice(ContactResult.values),
                    made_by=coordinator,
                )
            day = referred_on
            # Decisions a few days apart, so that "the first" is never a tie.
            for _ in range(rng.randint(0, 3)):
                day += dt.timedelta(days=rng.randint(1, 40))
                ConsentRecord.objects.create(
                    party=party, status=rng.choice(ConsentStatus.values), recorded_on=day, recorded_by=coordinator
                )
        day = referred_on
        for _ in range(rng.randint(0, 3)):
            day += dt.timedelta(days=rng.randint(1, 60))
            meeting_status = rng.choice(MeetingStatus.values)
            Meeting.objects.create(
                case=case,
                intervention=rng.choice(Intervention.values),
                starts_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
                status=meeting_status,
                held_on=day if meeting_status == MeetingStatus.HELD else None,
            )
        if rng.random() < 0.5:
            agreement = Agreement.objects.create(
                case=case,
                made_on=some_day(rng, referred_on),
                completed_on=some_day(rng, referred_on) if rng.random() < 0.5 else None,
            )
            for i in range(rng.randint(0, 3)):
                action_status = rng.choice(ActionStatus.values)
                AgreementAction.objects.create(
                    agreement=agreement,
                    description=f"Action {i}",
                    owner="Them",
                    due_on=some_day(rng),
                    status=action_status,
                    finished_on=None if action_status == ActionStatus.AGREED else some_day(rng, referred_on),
                )
        for party in (case.parties.filter(role=PartyRole.VICTIM).first(), offender):
            if rng.random() < 0.6:
                completed = rng.random() < 0.8
                Survey.objects.create(
                    case=case,
                    party=party,
                    method="paper",
                    completed_on=some_day(rng, referred_on) if completed else None,
                    satisfaction=rng.choice([None, 1, 2, 3, 4, 5]) if completed else None,
                    felt_safe=rng.choice([None, True, False]) if completed else None,
                    would_recommend=rng.choice([None, True, False]) if completed else None,
                )


def table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def sql(query: str, *params: Any) -> list[tuple[Any, ...]]:
    tables = {
        "{case}": table(Case),
        "{party}": table(Party),
        "{consent}": table(ConsentRecord),
        "{contact}": table(ContactAttempt),
        "{meeting}": table(Meeting),
        "{agreement}": table(Agreement),
        "{action}": table(AgreementAction),
        "{survey}": table(Survey),
        "{agency}": table(Agency),
    }
    query = query.replace("{of_service}", "JOIN {agency} s ON s.id = c.service_id WHERE s.code = %s")
    for key, name in tables.items():
        query = query.replace(key, name)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall())


def day(value: Any) -> dt.date:
    """Dates come back as text from SQLite and as dates from PostgreSQL."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def expected_return(code: str, start: dt.date, end: dt.date) -> dict[tuple[str, str], Any]:
    """The return written again, straight from the tables."""
    got: dict[tuple[str, str], Any] = {}

    def ratio(part: int, whole: int) -> float | None:
        return None if whole == 0 else part / whole

    by_source = dict(
        sql(
            "SELECT c.source, COUNT(*) FROM {case} c {of_service} AND c.referred_on BETWEEN %s AND %s GROUP BY c.source",
            code,
            start,
            end,
        )
    )
    by_stage = dict(
        sql(
            "SELECT c.stage, COUNT(*) FROM {case} c {of_service} AND c.referred_on BETWEEN %s AND %s GROUP BY c.stage",
            code,
            start,
            end,
        )
    )
    for value in Source.values:
        got["referrals_by_source", value] = by_source.get(value, 0)
    for value in Stage.values:
        got["referrals_by_stage", value] = by_stage.get(value, 0)
    [(received,)] = sql(
        "SELECT COUNT(*) FROM {case} c {of_service} AND c.referred_on BETWEEN %s AND %s", code, start, end
    )
    got["referrals_received", "all"] = received

    [(on_referrals,)] = sql(
        "SELECT COUNT(*) FROM {party} p JOIN {case} c ON c.id = p.case_id {of_service} AND p.role = 'victim' AND c.referred_on BETWEEN %s AND %s",
        code,
        start,
        end,
    )
    [(offered,)] = sql(
        "SELECT COUNT(*) FROM {party} p JOIN {case} c ON c.id = p.case_id {of_service} AND p.role = 'victim' AND c.referred_on BETWEEN %s AND %s AND (EXISTS (SELECT 1 FROM {contact} a WHERE a.party_id = p.id AND a.result = 'spoke')"
        " OR EXISTS (SELECT 1 FROM {consent} r WHERE r.party_id = p.id))",
        code,
        start,
        end,
    )
    got["victims_on_referrals", "all"] = on_referrals
    got["victims_offered", "all"] = offered
    got["victims_offered_proportion", "all"] = ratio(offered, on_referrals)

    first = dict(
        ((role, status), n)
        for role, status, n in sql(
            "SELECT p.role, r.status, COUNT(*) FROM {consent} r JOIN {party} p ON p.id = r.party_id "
            "JOIN {case} c ON c.id = p.case_id {of_service} AND r.status IN ('given', 'declined') "
            "AND r.recorded_on BETWEEN %s AND %s AND NOT EXISTS (SELECT 1 FROM {consent} e WHERE e.party_id = r.party_id "
            "AND e.status IN ('given', 'declined') AND e.recorded_on < r.recorded_on) GROUP BY p.role, r.status",
            code,
            start,
            end,
        )
    )
    withdrawn = dict(
        sql(
            "SELECT p.role, COUNT(DISTINCT p.id) FROM {consent} r JOIN {party} p ON p.id = r.party_id "
            "JOIN {case} c ON c.id = p.case_id {of_service} AND r.status = 'withdrawn' "
            "AND r.recorded_on BETWEEN %s AND %s GROUP BY p.role",
            code,
            start,
            end,
        )
    )
    for role in ("victim", "offender"):
        yes, no = first.get((role, "given"), 0), first.get((role, "declined"), 0)
        got["consent_given", role], got["consent_declined", role] = yes, no
        got["consent_rate", role] = ratio(yes, yes + no)
        got["consent_withdrawn", role] = withdrawn.get(role, 0)

    [(n_accepted,)] = sql(
        "SELECT COUNT(*) FROM {case} c {of_service} AND c.accepted_on BETWEEN %s AND %s", code, start, end
    )
    [(converted,)] = sql(
        "SELECT COUNT(*) FROM {case} c {of_service} AND c.accepted_on BETWEEN %s AND %s AND EXISTS (SELECT 1 FROM {meeting} m WHERE m.case_id = c.id AND m.status = 'held')",
        code,
        start,
        end,
    )
    got["cases_accepted", "all"], got["accepted_with_meeting_held", "all"] = n_accepted, converted
    got["conversion_rate", "all"] = ratio(converted, n_accepted)

    firsts = sql(
        "SELECT m.intervention, c.referred_on, m.held_on FROM {meeting} m JOIN {case} c ON c.id = m.case_id "
        "{of_service} AND m.status = 'held' AND m.held_on BETWEEN %s AND %s AND m.held_on = "
        "(SELECT MIN(f.held_on) FROM {meeting} f WHERE f.case_id = m.case_id AND f.status = 'held')",
        code,
        start,
        end,
    )
    got["interventions_delivered", "all"] = len(firsts)
    for value in Intervention.values:
        got["interventions_delivered", value] = sum(1 for i, _, _ in firsts if i == value)
    days = [(day(held) - day(referred)).days for _, referred, held in firsts]
    got["days_referral_to_meeting_median", "all"] = statistics.median(days) if days else None
    got["days_referral_to_meeting_mean", "all"] = statistics.mean(days) if days else None

    [(made,)] = sql(
        "SELECT COUNT(*) FROM {agreement} g JOIN {case} c ON c.id = g.case_id {of_service} AND g.made_on BETWEEN %s AND %s",
        code,
        start,
        end,
    )
    [(completed,)] = sql(
        "SELECT COUNT(*) FROM {agreement} g JOIN {case} c ON c.id = g.case_id {of_service} AND g.completed_on BETWEEN %s AND %s",
        code,
        start,
        end,
    )
    got["agreements_made", "all"], got["agreements_completed", "all"] = made, completed
    actions = dict(
        sql(
            "SELECT a.status, COUNT(*) FROM {action} a JOIN {agreement} g ON g.id = a.agreement_id "
            "JOIN {case} c ON c.id = g.case_id {of_service} AND a.finished_on BETWEEN %s AND %s GROUP BY a.status",
            code,
            start,
            end,
        )
    )
    got["actions_done", "all"], got["actions_not_done", "all"] = actions.get("done", 0), actions.get("not_done", 0)

    surveys = {
        row[0]: row[1:]
        for row in sql(
            "SELECT p.role, COUNT(*), "
            "SUM(CASE WHEN v.satisfaction >= 4 THEN 1 ELSE 0 END), COUNT(v.satisfaction), "
            "SUM(CASE WHEN v.felt_safe THEN 1 ELSE 0 END), COUNT(v.felt_safe), "
            "SUM(CASE WHEN v.would_recommend THEN 1 ELSE 0 END), COUNT(v.would_recommend) "
            "FROM {survey} v JOIN {party} p ON p.id = v.party_id JOIN {case} c ON c.id = v.case_id {of_service} "
            "AND v.completed_on BETWEEN %s AND %s GROUP BY p.role",
            code,
            start,
            end,
        )
    }
    for role in ("victim", "offender"):
        n, satisfied, rated, safe, safe_n, recommend, recommend_n = (int(x or 0) for x in surveys.get(role, [0] * 7))
        got["surveys_completed", role], got["surveys_satisfied", role] = n, satisfied
        got["satisfied_proportion", role] = ratio(satisfied, rated)
        got["felt_safe_proportion", role] = ratio(safe, safe_n)
        got["would_recommend_proportion", role] = ratio(recommend, recommend_n)

    closed = dict(
        sql(
            "SELECT c.closure_reason, COUNT(*) FROM {case} c {of_service} AND c.closed_on BETWEEN %s AND %s "
            "GROUP BY c.closure_reason",
            code,
            start,
            end,
        )
    )
    got["cases_closed", "all"] = sum(closed.values())
    for value in ClosureReason.values:
        got["cases_closed", value] = closed.get(value, 0)
    if closed.get(""):
        got["cases_closed", "not_recorded"] = closed[""]
    return got


@pytest.fixture
def other_service(db: Any) -> Agency:
    return Agency.objects.create(code="downland-rj", name="Downland Restorative Justice", kind=AgencyKind.RJ_SERVICE)


def test_the_standard_dataset_for_a_quarter_matches_a_direct_query_of_the_database(
    officer, coordinator, rj_service, other_service
):
    varied_quarter(officer, coordinator, [rj_service, other_service])
    for service in (rj_service, other_service):
        result = dataset.rj_return(service, *Q1)
        got = {(m, b): v for m, b, v in result.rows()}
        expected = expected_return(service.code, *Q1)
        assert set(got) == set(expected), service.code
        for key, value in expected.items():
            if value is None:
                assert got[key] is None, key
            else:
                # Rates are rounded to four places, the mean number of days to two.
                assert got[key] == pytest.approx(value, abs=0.005 if key[0].startswith("days") else 1e-4), key
        assert len(result.rows()) == len(got), "each (measure, breakdown) appears once"
    # The data is varied enough for the comparison to mean something.
    figures = {(m, b): v for m, b, v in dataset.rj_return(rj_service, *Q1).rows()}
    assert figures["referrals_received", "all"] > 0
    assert figures["interventions_delivered", "all"] > 0
    assert figures["consent_given", "victim"] + figures["consent_declined", "victim"] > 0
    assert figures["surveys_completed", "victim"] > 0
    assert figures["cases_closed", "all"] > 0


def test_every_source_and_stage_is_shown_even_with_no_referrals(rj_service):
    rows = dataset.rj_return(rj_service, *Q1).rows()
    assert {b for m, b, _ in rows if m == "referrals_by_source"} == set(Source.values)
    assert {b for m, b, _ in rows if m == "referrals_by_stage"} == set(Stage.values)
    assert dict(((m, b), v) for m, b, v in rows)["consent_rate", "victim"] is None


def test_a_case_counts_its_first_meeting_held_once(officer, rj_service):
    case = create_case(by=officer, service=rj_service, referred_on=dt.date(2026, 1, 5))
    for held_on, intervention in ((dt.date(2026, 1, 25), Intervention.SHUTTLE), (dt.date(2026, 2, 20), "conference")):
        Meeting.objects.create(
            case=case,
            intervention=intervention,
            starts_at=timezone.make_aware(dt.datetime.combine(held_on, dt.time(10))),
            status=MeetingStatus.HELD,
            held_on=held_on,
        )
    result = dataset.rj_return(rj_service, *Q1)
    assert result.interventions[Intervention.SHUTTLE] == 1
    assert result.interventions_delivered == 1
    assert result.days_median == 20


@given(year=st.integers(1900, 9999), number=st.integers(1, 4))
def test_a_quarter_is_three_whole_months_and_the_next_follows_on(year, number):
    start, end = dataset.quarter_bounds(f"{year}-Q{number}")
    assert start.day == 1 and start.month == 3 * number - 2 and start.year == end.year == year
    assert dataset.quarter_of(start) == dataset.quarter_of(end) == f"{year}-Q{number}"
    assert 90 <= (end - start).days + 1 <= 92
    # The last quarter a date can hold (9999-Q4) has no next day to follow on.
    if end < dt.date.max:
        assert (end + dt.timedelta(days=1)).day == 1


@given(text=st.text(max_size=12).filter(lambda t: not dataset.QUARTER.match(t.strip().upper())))
def test_anything_else_is_not_a_quarter(text):
    with pytest.raises(dataset.QuarterError, match="2026-Q3"):
        dataset.quarter_bounds(text)


def test_the_last_complete_quarter():
    assert dataset.last_complete_quarter(dt.date(2026, 11, 23)) == "2026-Q3"
    assert dataset.last_complete_quarter(dt.date(2026, 1, 1)) == "2025-Q4"
    assert dataset.last_complete_quarter(dt.date(2026, 3, 31)) == "2025-Q4"


counts = st.integers(0, 50)


@given(
    victims=counts,
    offered=counts,
    given_=counts,
    declined=counts,
    accepted=counts,
    held=counts,
    surveys=st.lists(st.tuples(counts, counts, counts), max_size=3),
)
def test_proportions_stay_between_none_and_all(victims, offered, given_, declined, accepted, held, surveys):
    result = dataset.Return(service=Agency(code="x", name="x"), start=Q1[0], end=Q1[1])
    result.victims_on_referrals, result.victims_offered = max(victims, offered), min(victims, offered)
    result.cases_accepted, result.accepted_with_meeting_held = max(accepted, held), min(accepted, held)
    result.consent = {"victim": {"given": given_, "declined": declined, "withdrawn": 0}}
    result.surveys = {
        f"role{i}": {
            "completed": a + b + c,
            "satisfied": a,
            "rated": a + b,
            "safe": b,
            "safe_answered": b + c,
            "recommend": c,
            "recommend_answered": a + c,
        }
        for i, (a, b, c) in enumerate(surveys)
    }
    rates = [v for m, _, v in result.rows() if m in dataset.RATES]
    assert rates and all(v is None or 0 <= v <= 1 for v in rates)


# --- The page, the CSV and the API -----------------------------------------------------


@pytest.fixture
def shared_with_opcc(rj_service, opcc):
    agreement = SharingAgreement.objects.create(
        reference="rj-performance",
        title="Restorative Justice Performance Agreement",
        purposes=[Purpose.PERFORMANCE_ANALYSIS],
        categories=[Category.OUTCOMES],
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        start_date=dt.date(2020, 1, 1),
        review_date=dt.date(2030, 1, 1),
    )
    agreement.parties.set([rj_service, opcc])
    return agreement


def test_a_coordinator_sees_their_services_last_complete_quarter(coordinator, rj_service, other_service, officer):
    start, _ = dataset.quarter_bounds(dataset.last_complete_quarter(timezone.localdate()))
    create_case(by=officer, service=rj_service, source=Source.PROBATION, referred_on=start)
    create_case(by=officer, service=other_service, referred_on=start)
    response = signed_in_client(coordinator).get("/restorative/dataset/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Wessex Restorative Justice Service" in page and "Downland" not in page
    quarter = dataset.last_complete_quarter(timezone.localdate())
    assert f"/restorative/dataset/{quarter}.csv?service=wessex-rj" in page
    assert response.context["sections"][0]["rows"][0]["value"] == 1
    assert AuditEvent.objects.filter(action="read", object_type="rj_dataset", object_id="wessex-rj").exists()
    refused = signed_in_client(coordinator).get("/restorative/dataset/", {"service": "downland-rj", "quarter": quarter})
    assert refused.status_code == 400


def test_a_bad_quarter_is_named_on_the_page(coordinator):
    response = signed_in_client(coordinator).get("/restorative/dataset/", {"quarter": "2026-Q5"})
    assert response.status_code == 400
    assert "is not a quarter" in response.content.decode()


def test_an_analyst_sees_only_services_that_share_their_outcomes(analyst, rj_service, other_service, shared_with_opcc):
    response = signed_in_client(analyst).get("/restorative/dataset/", {"service": "wessex-rj", "quarter": "2026-Q1"})
    assert response.status_code == 200
    assert [s.code for s in response.context["services"]] == ["wessex-rj"]
    assert (
        signed_in_client(analyst).get("/restorative/dataset/2026-Q1.csv", {"service": "downland-rj"}).status_code == 403
    )


def test_an_analyst_with_no_agreement_sees_no_return(analyst, rj_service):
    response = signed_in_client(analyst).get("/restorative/dataset/")
    assert response.status_code == 200
    assert "no return to show" in response.content.decode()


def test_the_csv_keeps_to_its_columns_and_is_audited_as_an_export(coordinator, officer, rj_service):
    create_case(by=officer, service=rj_service, source=Source.COURT, referred_on=dt.date(2026, 2, 2))
    response = signed_in_client(coordinator).get("/restorative/dataset/2026-Q1.csv", {"service": "wessex-rj"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["service", "quarter", "measure", "breakdown", "value"]
    assert ["wessex-rj", "2026-Q1", "referrals_by_source", "court", "1"] in rows
    assert ["wessex-rj", "2026-Q1", "consent_rate", "victim", ""] in rows
    event = AuditEvent.objects.get(action="export", object_type="rj_dataset")
    assert event.detail == {"quarter": "2026-Q1"} and event.username == "rj-coordinator"
    assert signed_in_client(coordinator).get("/restorative/dataset/2026-Q9.csv").status_code == 400


def test_the_api_gives_the_same_rows_to_those_allowed(coordinator, officer, rj_service, analyst, shared_with_opcc):
    create_case(by=officer, service=rj_service, referred_on=dt.date(2026, 7, 2))
    _, key = api_token_create(user=analyst, name="t")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    body = client.get("/api/v1/restorative/dataset", {"service": "wessex-rj", "quarter": "2026-q3"}).json()
    assert body["service"] == "wessex-rj" and body["quarter"] == "2026-Q3"
    assert body["start"] == "2026-07-01" and body["end"] == "2026-09-30"
    assert {"measure": "referrals_received", "breakdown": "all", "value": 1} in body["rows"]
    expected = dataset.rj_return(rj_service, dt.date(2026, 7, 1), dt.date(2026, 9, 30)).rows()
    assert [(r["measure"], r["breakdown"], r["value"]) for r in body["rows"]] == expected
    assert client.get("/api/v1/restorative/dataset", {"service": "wessex-rj", "quarter": "Q3"}).status_code == 422
    assert client.get("/api/v1/restorative/dataset", {"service": "nope", "quarter": "2026-Q3"}).status_code == 403
    _, officer_key = api_token_create(user=officer, name="t")
    as_officer = Client(headers={"Authorization": f"Bearer {officer_key}"})
    assert (
        as_officer.get("/api/v1/restorative/dataset", {"service": "wessex-rj", "quarter": "2026-Q3"}).status_code == 403
    )
    assert AuditEvent.objects.filter(action="export", object_type="rj_dataset", via="api").count() == 1


def test_a_coordinator_of_another_service_is_refused_by_the_api(make_user, other_service, rj_service):
    outsider = make_user("downland-coordinator", other_service, Role.RJ_COORDINATOR)
    _, key = api_token_create(user=outsider, name="t")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    assert client.get("/api/v1/restorative/dataset", {"service": "wessex-rj", "quarter": "2026-Q3"}).status_code == 403
    assert (
        client.get("/api/v1/restorative/dataset", {"service": "downland-rj", "quarter": "2026-Q3"}).status_code == 200
    )
