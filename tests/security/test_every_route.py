"""Every page and every API endpoint, tried by people who should not get in.

The routes are read from the URL configuration and the OpenAPI schema, so a new page or
endpoint that nobody has classified here fails the first test until someone decides who may
use it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.accounts.services import api_token_create
from pathways.dataprotection.models import LegalHold
from pathways.imports.models import ImportBatch
from pathways.offending.models import Offence
from pathways.people.models import Person
from pathways.resolutions.models import Resolution, ResolutionAction
from pathways.resolutions.services import ActionInput, resolution_decide
from pathways.resolutions.testing import create_resolution, due
from pathways.sharing.models import Agreement, BreakGlassAccess, Consent, Restriction
from pathways.sharing.reference import LawfulBasis
from pathways.testing import signed_in_client

PUBLIC = {"web:sign-in", "web:sign-in-code", "web:sign-in-set-up", "web:sign-out", "web:health"}
ANY_SIGNED_IN = {"web:home", "people:search", "sharing:agreements", "sharing:purpose", "sharing:break-glass"}
# Routes about one person: someone whose agency has no reason to see them gets a 404.
PERSON = {"people:detail", "sharing:consent"}
# Agreements a user's agency is not party to are not found.
AGREEMENT = {"sharing:agreement"}
IMPORTERS = {"imports:upload", "imports:batch"}
DATA_PROTECTION_LEAD = {
    "access:home",
    "access:people",
    "access:person",
    "access:users",
    "access:user",
    "access:break-glass",
    "access:exports",
    "sharing:agreement-new",
    "sharing:agreement-edit",
    "sharing:break-glass-queue",
    "sharing:break-glass-review",
    "sharing:restriction",
    "dataprotection:index",
    "dataprotection:rules",
    "dataprotection:preview",
    "dataprotection:rule-edit",
    "dataprotection:holds",
    "dataprotection:hold-lift",
    "dataprotection:subject-access",
    "dataprotection:subject-access-download",
}
ANALYSTS = {
    "analytics:framework",
    "analytics:cohort",
    "analytics:cohort-people",
    "analytics:data-quality",
    "analytics:strategic-assessment",
    "analytics:panel-report",
    "analytics:panel-report-pdf",
}
# Out-of-court resolutions: officers and supervisors; one resolution is found only by its own agency.
RESOLUTION_RECORDERS = {"resolutions:list", "resolutions:new"}
RESOLUTION = {
    "resolutions:detail",
    "resolutions:decide",
    "resolutions:action-new",
    "resolutions:action-finish",
    "resolutions:victim-told",
    "resolutions:review",
}
RESOLUTION_SUPERVISORS = {"resolutions:review-queue"}
RESOLUTION_RULE_KEEPERS = {"resolutions:rules", "resolutions:rules-version", "resolutions:rules-edit"}
RESOLUTIONS = RESOLUTION_RECORDERS | RESOLUTION | RESOLUTION_SUPERVISORS | RESOLUTION_RULE_KEEPERS
# Panels and Level 3 referral: officers and supervisors of the agency; panels also the co-ordinators of an
# RJ service (its Neighbourhood Justice Panels), who find no other agency's panel and refer no resolution;
# figures: supervisors and analysts.
RESOLUTION_PANELS = {
    "resolutions:panels",
    "resolutions:panel",
    "resolutions:sitting",
    "resolutions:level3-refer",
    "resolutions:figures",
}
CLASSIFIED = PUBLIC | ANY_SIGNED_IN | PERSON | AGREEMENT | IMPORTERS | DATA_PROTECTION_LEAD | ANALYSTS | RESOLUTIONS
CLASSIFIED |= RESOLUTION_PANELS
# Diversion contracts: officers and supervisors of the recording agency; anyone else finds nothing.
RESOLUTION_CONTRACTS = {"resolutions:contract-new", "resolutions:contract", "resolutions:contract-print"}
CLASSIFIED |= RESOLUTION_CONTRACTS

# The restorative justice service. Anyone who refers (officers, supervisors, caseworkers, co-ordinators):
RJ_REFERRERS: set[str] = {"restorative:referrals", "restorative:referral-new", "restorative:referral-answer"}
# The service's co-ordinators only (queues, the facilitator register, venues, the quarterly return's CSV …):
RJ_COORDINATORS: set[str] = {
    "restorative:queue",
    "restorative:venues",
    "restorative:venue-new",
    "restorative:venue",
    "restorative:facilitators",
    "restorative:facilitator-new",
    "restorative:facilitator",
    "restorative:facilitator-edit",
    "restorative:facilitator-training",
    "restorative:facilitator-supervision",
    "restorative:facilitator-conflict",
}
# The service's facilitators and co-ordinators, each about their own work (a facilitator's own cases):
RJ_FACILITATORS = {"restorative:my-cases"}
# About one case (a case_id in the URL): the service's co-ordinators and the allocated facilitators;
# anyone else in the service finds nothing (404), anyone outside it is refused (403).
RJ_CASE = {
    "restorative:case",
    "restorative:referral-decide",
    "restorative:case-close",
    "restorative:contact",
    "restorative:consent",
    "restorative:assessment",
    "restorative:allocate",
    "restorative:preparation",
    "restorative:meeting-new",
    "restorative:meeting",
    "restorative:agreement",
    "restorative:agreement-action",
    "restorative:follow-up",
    "restorative:survey-enter",
}
# Co-ordinators and analysts:
RJ_DATASET: set[str] = {"restorative:dataset", "restorative:dataset-csv"}
# Open to anyone holding the link (the satisfaction survey): shows no one's name.
RJ_PUBLIC: set[str] = {"restorative:survey"}
CLASSIFIED |= RJ_REFERRERS | RJ_COORDINATORS | RJ_FACILITATORS | RJ_CASE | RJ_DATASET | RJ_PUBLIC
PUBLIC |= RJ_PUBLIC
# Integrated offender management: the partners' officers, supervisors and caseworkers (panel
# decisions by supervisors); each member's pages only for users who may see the person.
IOM_WORKERS: set[str] = {
    "iom:cohort",
    "iom:candidates",
    "iom:board",
    "iom:board-day",
    "iom:schemes",
    "iom:scheme-new",
    "iom:scheme-edit",
    "iom:score",
    "iom:tags",
    "iom:tags-import",
}
IOM_MEMBER: set[str] = {
    "iom:member",
    "iom:review",
    "iom:tier",
    "iom:lead",
    "iom:exit",
    "iom:supporter-add",
    "iom:supporter-end",
    "iom:needs",
    "iom:plan",
    "iom:appointments",
    "iom:adopt",
    "iom:decline",
    "iom:tag",
    "iom:action",
}
# The cohort's figures and the unit costs behind them: IOM workers and analysts.
IOM_FIGURES: set[str] = {"iom:figures", "iom:unit-costs"}
CLASSIFIED |= IOM_WORKERS | IOM_MEMBER | IOM_FIGURES
# Impact evaluation: analysts and supervisors.
EVALUATION_PAGES: set[str] = {"evaluation:index", "evaluation:detail"}
CLASSIFIED |= EVALUATION_PAGES


# The partnership's risk models and fairness audits: analysts and supervisors read them; only
# analysts train or activate a model; an audit is found only by the agency that ran it.
RISK_MODEL_PAGES: set[str] = {"risk:models", "risk:model", "risk:audits", "risk:audit", "risk:audit-ogrs3"}
RISK_MODEL_TRAINERS: set[str] = {"risk:model-activate"}
CLASSIFIED |= RISK_MODEL_PAGES | RISK_MODEL_TRAINERS
# Scores about people: a worker's judgement beside a person's score (officers, supervisors and
# caseworkers who may see the person; anyone else with such a role finds no one), and the
# overrides report (supervisors, for their agency; analysts, counts naming nobody).
RISK_PERSON: set[str] = {"risk:ogrs3-judgement", "risk:local-model-judgement"}
RISK_OVERRIDES: set[str] = {"risk:overrides"}
CLASSIFIED |= RISK_PERSON | RISK_OVERRIDES
# Record linkage's review queue: supervisors (pairs with a record of their agency) and
# administrators (any pair); a pair the user may not review is not found.
LINKAGE_REVIEW: set[str] = {"linkage:review", "linkage:review-pair"}
CLASSIFIED |= LINKAGE_REVIEW
# The linkage model (its versions, thresholds, retraining and activation): administrators only.
LINKAGE_MODEL_KEEPERS: set[str] = {
    "linkage:models",
    "linkage:model",
    "linkage:model-thresholds",
    "linkage:model-activate",
}
CLASSIFIED |= LINKAGE_MODEL_KEEPERS
# Undoing a merge: supervisors, for merges of their own agency's records; administrators, any.
LINKAGE_UNMERGE: set[str] = {"linkage:merge-undo"}
CLASSIFIED |= LINKAGE_UNMERGE
# One problem's pages: the staff of its owner's and partner agencies, analysts and administrators;
# anyone else finds no problem (404). Working it and giving the verdict are narrower still.
PROBLEM_PAGES: set[str] = {"problems:assessment", "problems:scanning"}
# Problem solving's published data: police.uk files (administrators, supervisors and analysts)
# and area boundaries (administrators and analysts).
PROBLEM_DATA: set[str] = {"problems:street-crime-upload", "problems:areas"}
CLASSIFIED |= PROBLEM_PAGES | PROBLEM_DATA
# The service directory: any signed-in member of staff searches and reads it; its entries are
# kept by the managing partner's supervisors and caseworkers, or administrators.
DIRECTORY_READERS: set[str] = {"referrals:directory", "referrals:service"}
DIRECTORY_KEEPERS: set[str] = {"referrals:service-new", "referrals:service-edit"}
# Referrals to services: officers, supervisors and caseworkers; one referral is found only by the
# agency that made it and the agency that received it (anyone else: 404); referring someone
# needs the person visible (PERSON's rule: 404 for an agency with no reason to see them).
SERVICE_REFERRERS: set[str] = {"referrals:list"}
SERVICE_REFERRAL: set[str] = {"referrals:detail"}
PERSON |= {"referrals:refer"}
CLASSIFIED |= DIRECTORY_READERS | DIRECTORY_KEEPERS | SERVICE_REFERRERS | SERVICE_REFERRAL | PERSON
# Gaps in provision: counts by area and pathway, naming no one: analysts, supervisors and administrators.
SERVICE_GAPS: set[str] = {"referrals:gaps"}
CLASSIFIED |= SERVICE_GAPS
# Problem solving: the board for every partner's staff (a new problem: officers, supervisors,
# caseworkers and analysts); one problem's pages for the owner's agency, its partners, analysts
# and administrators: anyone else finds nothing (404).
PROBLEM_BOARD: set[str] = {"problems:board", "problems:new"}
PROBLEM: set[str] = {
    "problems:detail",
    "problems:edit",
    "problems:advance",
    "problems:note-add",
    "problems:partners",
    "problems:analysis",
    "problems:person-add",
    "problems:response",
    "problems:action",
}
CLASSIFIED |= PROBLEM_BOARD | PROBLEM


def page_routes() -> dict[str, URLPattern]:
    found: dict[str, URLPattern] = {}

    def walk(patterns: list[Any], namespace: str = "") -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith("api/"):
                    continue  # the API is tried through its schema below
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name:
                found[f"{namespace}:{p.name}"] = p

    walk(get_resolver().url_patterns)
    return found


def test_every_page_is_classified():
    assert set(page_routes()) == CLASSIFIED


@pytest.fixture
def world(known_offender, police, probation, housing, police_admin, officer, housing_worker, make_user):  # type: ignore[no-untyped-def]
    """Records of every kind the routes take an id of, all belonging to the police and probation."""
    agreement = Agreement.objects.create(
        reference="police-probation",
        title="Police and probation",
        purposes=["casework"],
        categories=["identity"],
        lawful_basis=LawfulBasis.LAW_ENFORCEMENT,
        start_date=dt.date(2025, 1, 1),
        review_date=dt.date(2027, 1, 1),
    )
    agreement.parties.set([police, probation])
    access = BreakGlassAccess.objects.create(
        user=officer,
        person=known_offender,
        reason="Urgent safeguarding concern",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    hold = LegalHold.objects.create(
        person=known_offender, reason="Civil claim", placed_by=police_admin, placed_at=timezone.now()
    )
    resolution = create_resolution(officer=officer, person=known_offender)
    resolution_decide(
        resolution=resolution,
        by=officer,
        route=resolution.recommended_route,
        actions=[ActionInput(kind="apology_letter", description="Letter", owner="PC", due_on=due())]
        if resolution.recommended_route in ("street_cr", "level_1", "level_2", "level_3")
        else [],
    )
    ids = {
        "resolution_id": resolution.pk,
        "action_id": uuid.uuid4() if not resolution.actions.exists() else resolution.actions.first().pk,
        "victim_id": resolution.victims.first().pk,
        "version": resolution.rule_set.version,
        "section": "gravity",
        "person_id": known_offender.pk,
        "agreement_id": agreement.pk,
        "access_id": access.pk,
        "batch_id": ImportBatch.objects.first().pk,
        "hold_id": hold.pk,
        "category": "offending_history",
        "username": "officer",
        "evaluation_id": uuid.uuid4(),  # refused before any lookup
        "merge_id": uuid.uuid4(),  # tried with a real merge in its own test
        "service_id": uuid.uuid4(),  # tried with real services in referrals' own tests
        "referral_id": uuid.uuid4(),
        "problem_id": uuid.uuid4(),  # problems are tried in problems/tests/test_pages.py
        **panel_world(resolution, officer),
        **rj_world(officer, known_offender),
        **iom_world(known_offender, police, make_user),
        **risk_model_world(police_admin),
        **linkage_world(police, police_admin),
        **problem_world(officer, probation),
    }
    return {"ids": ids, "person": known_offender}


def panel_world(resolution: Any, officer: Any) -> dict[str, Any]:
    """The world's resolution listed at a panel sitting, written straight to the tables (nothing audited)."""
    from pathways.resolutions.models import Panel, PanelCase, PanelSitting

    panel = Panel.objects.create(name="Routes panel", agency=officer.agency, restorative_options=["Litter picking"])
    sitting = PanelSitting.objects.create(panel=panel, sits_on=dt.date(2026, 1, 1), venue="Hall")
    PanelCase.objects.create(sitting=sitting, resolution=resolution)
    return {"panel_id": panel.pk, "sitting_id": sitting.pk}


def iom_world(offender: Any, police: Any, make_user: Any) -> dict[str, Any]:
    """The offender adopted into a PPO scheme with a supporting worker, a plan action and a tag."""
    from pathways.accounts.models import Role
    from pathways.iom import cohort
    from pathways.iom.models import PlanAction, TagPeriod

    sergeant = make_user("routes-sergeant", police, Role.SUPERVISOR)
    scheme = cohort.scheme_save(
        by=sergeant,
        data=cohort.SchemeInput(code="ppo", name="PPO", entry_criteria="Prolific", lead_agency=sergeant.agency),
    )
    membership = cohort.adopt(
        by=sergeant,
        person=offender,
        scheme=scheme,
        data=cohort.Adoption(tier="high", lead_agency=sergeant.agency, reason="Prolific"),
    )
    worker = cohort.supporting_worker_add(by=sergeant, membership=membership, agency=sergeant.agency, name="PC Lee")
    action = PlanAction.objects.create(
        membership=membership,
        pathway="accommodation",
        action="Find a tenancy",
        owner_agency=sergeant.agency,
        due_on=dt.date(2027, 1, 1),
        created_by=sergeant,
    )
    period = TagPeriod.objects.create(
        person=offender,
        agency=sergeant.agency,
        supplier="Routes Tags",
        tag_reference="T1",
        tag_type="gps",
        basis="voluntary",
        fitted_on=dt.date(2026, 1, 1),
    )
    return {
        "membership_id": membership.pk,
        "worker_id": worker.pk,
        "scheme_code": scheme.code,
        "period_id": period.pk,
        "day": "2026-01-05",
        "iom_action_id": action.pk,
    }


def risk_model_world(by: Any) -> dict[str, Any]:
    """A model version and a fairness audit, written straight to the tables (nothing audited)."""
    from pathways.risk.models import FairnessAudit, LocalModel

    LocalModel.objects.create(version=1, name="Routes model", outcome="Reoffended")
    saved = FairnessAudit.objects.create(
        title="Routes audit", score_kind="vendor", threshold=0.5, result={}, by=by, agency=by.agency
    )
    return {"version": 1, "audit_id": saved.pk}


def linkage_world(police: Any, by: Any) -> dict[str, Any]:
    """A pair waiting for review: the offender's police record, and an uncertain record of
    another agency's (written straight to the tables: no linkage runs)."""
    import datetime as dt

    from pathways.accounts.models import Agency
    from pathways.linkage.models import ReviewPair, SourceRecord
    from pathways.linkage.testing import COMPARISON, create_held_record

    youth = Agency.objects.create(code="routes-yos", name="Routes YOS", kind="yos")
    arrived = create_held_record(
        agency=youth, reference="Y1", given_name="Jon", surname="Smyth", date_of_birth=dt.date(1998, 4, 12)
    )
    pair = ReviewPair.objects.create(
        record=arrived,
        candidate=SourceRecord.objects.get(agency=police, reference="P1"),
        match_probability=0.8,
        comparison=COMPARISON,
    )
    return {"pair_id": pair.pk}


def problem_world(officer: Any, probation: Any) -> dict[str, Any]:
    """A police problem worked with probation, at the assessment stage."""
    from pathways.problems.models import Stage
    from pathways.problems.testing import create_problem

    return {"problem_id": create_problem(owner=officer, partners=[probation], stage=Stage.ASSESSMENT).pk}


def rj_world(officer: Any, offender: Any) -> dict[str, Any]:
    """A restorative justice case at every step, written straight to the tables where no service exists yet."""
    from pathways.accounts.models import Agency, AgencyKind
    from pathways.restorative.models import Agreement, AgreementAction, Facilitator, Meeting, Survey, Task, Venue
    from pathways.restorative.testing import create_case

    service = Agency.objects.create(code="routes-rj", name="Routes RJ", kind=AgencyKind.RJ_SERVICE)
    case = create_case(by=officer, service=service, offender=offender)
    party = case.parties.first()
    facilitator = Facilitator.objects.create(service=service, given_name="Fay", surname="Cole", kind="volunteer")
    venue = Venue.objects.create(service=service, lent_by=officer.agency, name="Hall", address="1 High St")
    meeting = Meeting.objects.create(case=case, intervention="conference", starts_at=timezone.now(), venue=venue)
    agreement = Agreement.objects.create(case=case, made_on=dt.date(2026, 1, 1))
    action = AgreementAction.objects.create(agreement=agreement, description="Apology", owner="Them", due_on=due())
    task = Task.objects.create(case=case, party=party, kind="contact", description="Call", due_on=due())
    Survey.objects.create(case=case, party=party, method="link", token_hash="0" * 64)
    return {
        "case_id": case.pk,
        "party_id": party.pk,
        "facilitator_id": facilitator.pk,
        "venue_id": venue.pk,
        "meeting_id": meeting.pk,
        "rj_action_id": action.pk,
        "task_id": task.pk,
        "token": "not-a-real-token",
        "quarter": "2026-Q1",
    }


def url_for(name: str, pattern: URLPattern, ids: dict[str, Any]) -> str:
    return reverse(name, kwargs={k: ids[k] for k in pattern.pattern.converters})


def snapshot() -> dict[str, int]:
    models = [
        Person,
        Offence,
        AgencyRecord,
        Agreement,
        Consent,
        Restriction,
        BreakGlassAccess,
        LegalHold,
        ImportBatch,
        Resolution,
        ResolutionAction,
        *rj_models(),
    ]
    return {m.__name__: m.objects.count() for m in models}


def rj_models() -> list[Any]:
    from pathways.restorative import models as rj

    return [
        rj.Case,
        rj.Party,
        rj.ConsentRecord,
        rj.ContactAttempt,
        rj.Task,
        rj.Assessment,
        rj.Allocation,
        rj.Facilitator,
        rj.Training,
        rj.Venue,
        rj.Preparation,
        rj.Meeting,
        rj.Agreement,
        rj.AgreementAction,
        rj.Survey,
    ]


def test_signed_out_visitors_reach_no_page_and_leave_nothing_behind(world):
    client, before = Client(), snapshot()
    seen = AuditEvent.objects.filter(action__in=["read", "search", "export", "create", "update"])
    already = set(seen.values_list("pk", flat=True))  # the world's own set-up
    for name, pattern in page_routes().items():
        if name in PUBLIC:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (client.get(url), client.post(url, {"reason": "x" * 30, "purpose": "casework"})):
            assert response.status_code in (302, 403), (name, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/sign-in/"), name
            assert world["person"].surname not in response.content.decode(), name
    assert snapshot() == before
    assert not seen.exclude(pk__in=already).exists()


def test_the_wrong_role_is_refused_every_data_protection_import_and_analysis_page(world, officer):
    client, before = signed_in_client(officer), snapshot()
    for name, pattern in page_routes().items():
        if name not in DATA_PROTECTION_LEAD | IMPORTERS | ANALYSTS:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (client.get(url), client.post(url, {"reason": "x" * 30, "review": "justified"})):
            assert response.status_code == 403, (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
    assert snapshot() == before


def test_only_officers_and_supervisors_reach_the_resolution_pages(world, probation_caseworker, officer):
    client, before = signed_in_client(probation_caseworker), snapshot()
    for name, pattern in page_routes().items():
        if name not in RESOLUTIONS | RESOLUTION_CONTRACTS | {"resolutions:level3-refer", "resolutions:panels"}:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (client.get(url), client.post(url, {"route": "nfa", "decision": "approve"})):
            assert response.status_code == 403, (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
    # An officer is not a supervisor, nor a keeper of the rules.
    as_officer = signed_in_client(officer)
    for name, pattern in page_routes().items():
        if name in RESOLUTION_SUPERVISORS | RESOLUTION_RULE_KEEPERS | {"resolutions:review"}:
            url = url_for(name, pattern, world["ids"])
            assert as_officer.get(url).status_code == 403, name
            assert as_officer.post(url, {"decision": "approve", "content": "{}", "note": "xxxxxx"}).status_code == 403
    assert snapshot() == before


def test_an_officer_of_another_agency_finds_no_resolution(world, housing, make_user):
    from pathways.accounts.models import Role

    outsider = make_user("housing-officer", housing, Role.OFFICER, Role.SUPERVISOR)
    client, before = signed_in_client(outsider), snapshot()
    for name, pattern in page_routes().items():
        if name not in RESOLUTION | RESOLUTION_CONTRACTS | {"resolutions:new", "resolutions:level3-refer"}:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (client.get(url), client.post(url, {"route": "nfa", "decision": "approve", "done": "yes"})):
            assert response.status_code == 404, (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="refused", username="housing-officer").exists()


def test_an_rj_coordinator_reaches_only_their_own_services_panels(world, make_user):
    from pathways.accounts.models import Agency, Role

    service = Agency.objects.get(code="routes-rj")
    client, before = signed_in_client(make_user("routes-coordinator", service, Role.RJ_COORDINATOR)), snapshot()
    expected = {
        "resolutions:panels": 200,
        "resolutions:panel": 404,  # the police's panel
        "resolutions:sitting": 404,
        "resolutions:level3-refer": 403,
        "resolutions:figures": 403,
    }
    routes = page_routes()
    for name, status in expected.items():
        url = url_for(name, routes[name], world["ids"])
        response = client.get(url)
        assert response.status_code == status, (name, response.status_code)
        assert world["person"].surname not in response.content.decode(), name
        if status != 200:
            assert client.post(url, {"service": service.pk, "name": "x"}).status_code == status, name
    assert snapshot() == before


def test_an_agency_with_no_reason_to_see_a_person_finds_no_page_about_them(world, housing_worker):
    client, before = signed_in_client(housing_worker), snapshot()
    for name, pattern in page_routes().items():
        if name not in PERSON | AGREEMENT:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (
            client.get(url),
            client.post(url, {"purpose": "casework", "status": "given", "recorded_on": "2026-01-01"}),
        ):
            assert response.status_code == 404, (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="refused", username="housing-worker").exists()


def test_only_the_rj_service_reaches_its_pages(world, probation_caseworker, housing_worker):
    """A probation caseworker may refer, but not work cases or keep the register; a housing
    officer (no role that refers) reaches none of it."""
    client, before = signed_in_client(probation_caseworker), snapshot()
    for name, pattern in page_routes().items():
        if name not in RJ_COORDINATORS | RJ_FACILITATORS | RJ_CASE:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (client.get(url), client.post(url, {"decision": "accept", "status": "given"})):
            assert response.status_code == 403, (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
    as_housing = signed_in_client(housing_worker)
    for name, pattern in page_routes().items():
        if name in RJ_REFERRERS | RJ_DATASET:
            assert as_housing.get(url_for(name, pattern, world["ids"])).status_code == 403, name
    assert snapshot() == before


def test_another_rj_service_finds_no_case(world, make_user):
    from pathways.accounts.models import Agency, AgencyKind, Role

    other = Agency.objects.create(code="other-rj", name="Other RJ", kind=AgencyKind.RJ_SERVICE)
    outsider = make_user("other-coordinator", other, Role.RJ_COORDINATOR)
    client, before = signed_in_client(outsider), snapshot()
    for name, pattern in page_routes().items():
        if name not in RJ_CASE:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (client.get(url), client.post(url, {"decision": "accept", "status": "given"})):
            assert response.status_code == 404, (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="refused", username="other-coordinator").exists()


def test_only_iom_partners_reach_iom_pages(world, make_user):
    """An RJ co-ordinator is no IOM partner: every IOM page refuses them, the figures included."""
    from pathways.accounts.models import Agency, AgencyKind, Role

    service = Agency.objects.create(code="iom-routes-rj", name="RJ", kind=AgencyKind.RJ_SERVICE)
    client, before = signed_in_client(make_user("iom-outsider", service, Role.RJ_COORDINATOR)), snapshot()
    for name, pattern in page_routes().items():
        if name not in IOM_WORKERS | IOM_MEMBER | IOM_FIGURES:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (client.get(url), client.post(url, {"reason": "x", "tier": "low", "open": "1"})):
            # 405: a form's target answers only POST, which is refused.
            assert response.status_code in (403, 405), (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
    assert snapshot() == before


def test_only_analysts_and_supervisors_reach_the_evaluation_pages(world, officer, probation_caseworker):
    for user in (officer, probation_caseworker):
        client, before = signed_in_client(user), snapshot()
        for name, pattern in page_routes().items():
            if name not in EVALUATION_PAGES:
                continue
            url = url_for(name, pattern, world["ids"])
            for response in (client.get(url), client.post(url, {"title": "x", "intervention": "tag"})):
                assert response.status_code == 403, (name, user.username, response.status_code)
        assert snapshot() == before


def test_only_analysts_and_supervisors_reach_the_risk_model_pages(world, officer, make_user, police):
    """An officer is refused every model and audit page; a supervisor reads them but may not make a
    model active, and finds no audit another agency ran."""
    from pathways.accounts.models import Role
    from pathways.risk.models import LocalModel

    before = snapshot()
    client = signed_in_client(officer)
    for name, pattern in page_routes().items():
        if name not in RISK_MODEL_PAGES | RISK_MODEL_TRAINERS:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (client.get(url), client.post(url, {"name": "x", "title": "x"})):
            assert response.status_code in (403, 405), (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
    supervisor = signed_in_client(make_user("risk-routes-sergeant", police, Role.SUPERVISOR))
    activate = url_for("risk:model-activate", page_routes()["risk:model-activate"], world["ids"])
    assert supervisor.post(activate).status_code == 403
    assert not LocalModel.objects.filter(active=True).exists()
    assert supervisor.get(url_for("risk:model", page_routes()["risk:model"], world["ids"])).status_code == 200
    other = signed_in_client(make_user("risk-routes-probation", world_agency("probation"), Role.SUPERVISOR))
    assert other.get(url_for("risk:audit", page_routes()["risk:audit"], world["ids"])).status_code == 404
    assert snapshot() == before


def test_only_analysts_supervisors_and_administrators_see_the_gaps_in_provision(
    world, officer, probation_caseworker, analyst, police_admin
):
    routes, before = page_routes(), snapshot()
    for name in SERVICE_GAPS:
        url = url_for(name, routes[name], world["ids"])
        for user in (officer, probation_caseworker):
            assert signed_in_client(user).get(url).status_code == 403, (name, user.username)
        for user in (analyst, police_admin):
            response = signed_in_client(user).get(url)
            assert response.status_code == 200, (name, user.username)
            assert world["person"].surname not in response.content.decode(), name
    assert snapshot() == before


def test_only_supervisors_and_administrators_review_pairs_and_only_their_agencys(world, officer, make_user):
    """An officer is refused the queue and every pair; a supervisor of an agency in neither
    record finds no pair; the police's supervisor reviews it."""
    from pathways.accounts.models import Agency, Role
    from pathways.linkage.models import ReviewDecision

    before = snapshot()
    as_officer = signed_in_client(officer)
    housing = Agency.objects.get(kind="housing")
    as_housing = signed_in_client(make_user("routes-housing-manager", housing, Role.SUPERVISOR))
    as_sergeant = signed_in_client(make_user("routes-linkage-sergeant", world_agency("police"), Role.SUPERVISOR))
    for name, pattern in page_routes().items():
        if name not in LINKAGE_REVIEW:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (as_officer.get(url), as_officer.post(url, {"decision": "link"})):
            assert response.status_code == 403, (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
        if name == "linkage:review-pair":
            for response in (as_housing.get(url), as_housing.post(url, {"decision": "link"})):
                assert response.status_code == 404, (name, response.status_code)
                assert world["person"].surname not in response.content.decode(), name
        else:
            assert world["person"].surname not in as_housing.get(url).content.decode()
        assert as_sergeant.get(url).status_code == 200, name
    assert snapshot() == before and not ReviewDecision.objects.exists()


def test_only_administrators_keep_the_linkage_model(world, officer, make_user, police):
    """An officer and a supervisor (who may review pairs) are refused every page of the linkage
    model, and change nothing; an administrator reads them."""
    from pathways.accounts.models import Role
    from pathways.linkage.models import LinkageModel

    LinkageModel.objects.create(version=1, splink_settings={"comparisons": []})
    before = snapshot()
    supervisor = make_user("linkage-routes-sergeant", police, Role.SUPERVISOR)
    for user in (officer, supervisor):
        client = signed_in_client(user)
        for name, pattern in page_routes().items():
            if name not in LINKAGE_MODEL_KEEPERS:
                continue
            url = url_for(name, pattern, world["ids"])
            for response in (client.get(url), client.post(url, {"link_threshold": "0.9", "review_threshold": "0.1"})):
                assert response.status_code in (403, 405), (name, response.status_code)
    assert not LinkageModel.objects.filter(is_active=True).exists()
    assert LinkageModel.objects.get(version=1).link_threshold == 0.95
    admin = signed_in_client(make_user("linkage-routes-admin", police, Role.ADMINISTRATOR))
    assert admin.get(url_for("linkage:models", page_routes()["linkage:models"], world["ids"])).status_code == 200
    assert snapshot() == before


def test_only_supervisors_of_an_agency_involved_and_administrators_undo_a_merge(
    world, officer, probation_caseworker, housing, make_user
):
    from pathways.accounts.models import Role
    from pathways.linkage.merging import merge_people
    from pathways.linkage.models import Merge
    from pathways.linkage.testing import create_record

    police, probation = officer.agency, probation_caseworker.agency
    merge = merge_people(
        kept=create_record(agency=police, reference="R1", given_name="Dan", surname="Cole"),
        merged=create_record(agency=probation, reference="R2", given_name="Danny", surname="Cole"),
        by=None,
        cause=Merge.Cause.AUTOMATIC,
    )
    ids = {**world["ids"], "merge_id": merge.pk}
    refusals = {
        officer: 403,
        probation_caseworker: 403,
        make_user("routes-housing-sergeant", housing, Role.SUPERVISOR): 404,
    }
    before = snapshot()
    for user, status in refusals.items():
        client = signed_in_client(user)
        for name, pattern in page_routes().items():
            if name not in LINKAGE_UNMERGE:
                continue
            url = url_for(name, pattern, ids)
            for response in (client.get(url), client.post(url, {"reason": "x" * 30})):
                assert response.status_code == status, (name, user.username, response.status_code)
                assert "Cole" not in response.content.decode(), name
    assert snapshot() == before
    assert Merge.objects.get().undone_at is None
    sergeant = signed_in_client(make_user("routes-probation-sergeant", probation, Role.SUPERVISOR))
    assert sergeant.get(url_for("linkage:merge-undo", page_routes()["linkage:merge-undo"], ids)).status_code == 200


def world_agency(kind: str) -> Any:
    from pathways.accounts.models import Agency

    return Agency.objects.filter(kind=kind).first()


def test_an_iom_partner_with_no_record_of_the_person_finds_no_member_page(world, housing_worker):
    from pathways.iom.models import Membership

    client, before = signed_in_client(housing_worker), snapshot()
    ids = {**world["ids"], "action_id": world["ids"]["iom_action_id"]}
    for name, pattern in page_routes().items():
        if name not in IOM_MEMBER:
            continue
        url = url_for(name, pattern, ids)
        for response in (client.get(url), client.post(url, {"reason": "x", "tier": "low", "note": "x"})):
            assert response.status_code in (403, 404, 405), (name, response.status_code)
            assert world["person"].surname not in response.content.decode(), name
    assert snapshot() == before and Membership.objects.get().is_open


def test_pages_open_to_every_signed_in_user_answer(world, housing_worker):
    client = signed_in_client(housing_worker)
    for name, pattern in page_routes().items():
        if name in ANY_SIGNED_IN:
            assert client.get(url_for(name, pattern, world["ids"])).status_code == 200, name


# --- The API -------------------------------------------------------------------------


def api_operations() -> list[tuple[str, str]]:
    from pathways.api.routes import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item]


API_PERSON = {"/api/v1/people/{person_id}", "/api/v1/people/{person_id}/offences", "/api/v1/offences/{offence_id}"}
API_DATA_PROTECTION_LEAD = {
    "/api/v1/audit/people/{person_id}",
    "/api/v1/audit/users/{username}",
    "/api/v1/audit/break-glass",
    "/api/v1/audit/exports",
}
API_IMPORTERS = {"/api/v1/imports", "/api/v1/imports/{batch_id}", "/api/v1/imports/{kind}"}
API_ANY = {"/api/v1/people", "/api/v1/agreements"}
API_ANALYSTS = {"/api/v1/reoffending"}
API_RESOLUTIONS = {"/api/v1/resolutions", "/api/v1/resolutions/{resolution_id}"}
# Restorative justice referrals: anyone who refers, from an agency that refers.
API_RJ = {"/api/v1/restorative/referrals"}
# The restorative justice quarterly return: the service's co-ordinators and analysts.
API_RJ_DATASET = {"/api/v1/restorative/dataset"}
# The IOM cohort and candidates: IOM partners' officers, supervisors and caseworkers.
API_IOM = {"/api/v1/iom/cohort", "/api/v1/iom/candidates"}
# The problem board and the directory: every partner's staff. One problem: the owner's agency, its
# partners, analysts and administrators (anyone else finds nothing). Gaps: analysts, supervisors, administrators.
API_BOARD = {"/api/v1/problems", "/api/v1/services"}
API_PROBLEM = {"/api/v1/problems/{problem_id}"}
API_GAPS = {"/api/v1/services/gaps"}


def test_every_api_operation_is_classified():
    assert {path for _, path in api_operations()} == (
        API_PERSON
        | API_DATA_PROTECTION_LEAD
        | API_IMPORTERS
        | API_ANY
        | API_ANALYSTS
        | API_RESOLUTIONS
        | API_RJ
        | API_RJ_DATASET
        | API_IOM
        | API_BOARD
        | API_PROBLEM
        | API_GAPS
    )


def api_url(path: str, ids: dict[str, Any]) -> str:
    offence_id = Offence.objects.first().pk
    values = {**ids, "offence_id": offence_id, "kind": "people"}
    return path.format(
        **{
            k: values.get(k, uuid.uuid4())
            for k in ["person_id", "offence_id", "username", "batch_id", "kind", "resolution_id", "problem_id"]
        }
    )


def call(client: Client, method: str, url: str):  # type: ignore[no-untyped-def]
    if method == "GET":
        if url.endswith("/reoffending"):
            return client.get(url, {"cohort_start": "2023-01-01", "cohort_end": "2023-03-31"})
        return client.get(url, {"name": "Smith"} if url.endswith("/people") else {})
    return client.post(url, {})


def test_the_api_refuses_callers_without_a_token(world):
    anonymous, before = Client(), snapshot()
    for method, path in api_operations():
        response = call(anonymous, method, api_url(path, world["ids"]))
        assert response.status_code == 401, (method, path, response.status_code)
    assert snapshot() == before


def test_the_api_refuses_the_wrong_role_and_the_wrong_agency(world, officer, housing_worker):
    _, officer_key = api_token_create(user=officer, name="t")
    _, housing_key = api_token_create(user=housing_worker, name="t")
    as_officer = Client(headers={"Authorization": f"Bearer {officer_key}"})
    as_housing = Client(headers={"Authorization": f"Bearer {housing_key}"})
    before = snapshot()
    for method, path in api_operations():
        url = api_url(path, world["ids"])
        if path in API_DATA_PROTECTION_LEAD | API_IMPORTERS | API_ANALYSTS | API_RJ_DATASET | API_GAPS:
            assert call(as_officer, method, url).status_code == 403, (method, path)
        if path in API_PERSON:
            response = call(as_housing, method, url)
            assert response.status_code == 404, (method, path)
            assert world["person"].surname not in response.content.decode()
        if path in API_IOM:
            response = call(as_housing, method, url)
            assert response.status_code in (200, 422), (method, path)
            assert world["person"].surname not in response.content.decode(), (method, path)
        if path in API_RESOLUTIONS | API_RJ:
            assert call(as_housing, method, url).status_code == 403, (method, path)
        if path in API_PROBLEM:
            assert call(as_housing, method, url).status_code == 404, (method, path)
    assert call(as_housing, "GET", "/api/v1/people").json() == []
    assert snapshot() == before


def test_the_openapi_schema_names_every_operation(capsys, db):
    call_command("openapi")
    schema = json.loads(capsys.readouterr().out)
    assert {p for _, p in api_operations()} == set(schema["paths"])


def test_only_case_workers_judge_scores_and_only_supervisors_and_analysts_read_overrides(
    world, officer, police, make_user
):
    from pathways.accounts.models import Role
    from pathways.risk.models import ScoreJudgement

    before = snapshot()
    admin = signed_in_client(make_user("risk-admin", police, Role.ADMINISTRATOR))
    as_officer = signed_in_client(officer)
    for name, pattern in page_routes().items():
        url = url_for(name, pattern, world["ids"])
        if name in RISK_PERSON:
            for response in (admin.get(url), admin.post(url, {"judgement": "agree", "reason": "x" * 30})):
                assert response.status_code == 403, (name, response.status_code)
                assert world["person"].surname not in response.content.decode(), name
        if name in RISK_OVERRIDES:
            for client in (as_officer, admin):
                response = client.get(url)
                assert response.status_code == 403, (name, response.status_code)
    assert snapshot() == before and not ScoreJudgement.objects.exists()


def test_a_case_worker_with_no_record_of_the_person_cannot_judge_their_score(world, housing_worker):
    from pathways.risk.models import ScoreJudgement

    client = signed_in_client(housing_worker)
    for name, pattern in page_routes().items():
        if name in RISK_PERSON:
            url = url_for(name, pattern, world["ids"])
            for response in (client.get(url), client.post(url, {"judgement": "agree", "reason": "x" * 30})):
                assert response.status_code == 404, (name, response.status_code)
                assert world["person"].surname not in response.content.decode(), name
    assert not ScoreJudgement.objects.exists()


def test_an_agency_not_working_a_problem_finds_none_of_its_pages(world, housing_worker):
    from pathways.problems.models import Assessment, Problem

    client, before = signed_in_client(housing_worker), snapshot()
    problem = Problem.objects.get(pk=world["ids"]["problem_id"])
    for name, pattern in page_routes().items():
        if name not in PROBLEM_PAGES:
            continue
        url = url_for(name, pattern, world["ids"])
        for response in (
            client.get(url),
            client.post(url, {"action": "verdict", "verdict": "solved", "note": "x"}),
            client.post(url, {"action": "figures", "comparison_area_codes": ["WX9"], "source": "offences"}),
        ):
            assert response.status_code == 404, (name, response.status_code)
            assert problem.title not in response.content.decode(), name
    assert snapshot() == before
    assert Problem.objects.get(pk=problem.pk).stage == problem.stage and not Assessment.objects.exists()
    assert AuditEvent.objects.filter(action="refused", username="housing-worker", object_type="problem").exists()


def test_only_loaders_reach_problem_data_and_only_partners_find_a_problem(world, officer, housing_worker):
    """An officer loads no police.uk file and keeps no boundaries; the housing officer, whose
    agency is no partner of the police's problem, finds no page of it."""
    before = snapshot()
    as_officer, as_housing = signed_in_client(officer), signed_in_client(housing_worker)
    for name, pattern in page_routes().items():
        url = url_for(name, pattern, world["ids"])
        if name in PROBLEM_DATA:
            for response in (as_officer.get(url), as_officer.post(url, {"kind": "lsoa"})):
                assert response.status_code == 403, (name, response.status_code)
        elif name in PROBLEM_PAGES:
            for response in (as_housing.get(url), as_housing.post(url, {"source": "offences"})):
                assert response.status_code == 404, (name, response.status_code)
            assert as_officer.get(url).status_code == 200, name
    assert snapshot() == before
