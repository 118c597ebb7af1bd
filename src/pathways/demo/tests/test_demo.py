"""The demo partnership: the same seed builds the same place, and its offending looks real."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from pathways.access.policies import people_visible_to
from pathways.accounts.models import User
from pathways.demo.population import PopulationBuilder
from pathways.demo.services import DEMO_PASSWORD, demo_build
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome, OffenceVictim
from pathways.people.models import Person
from pathways.people.reference import PNC_PATTERN

TODAY = dt.date(2026, 11, 1)


def draw(seed: int, people: int = 600) -> list[tuple]:
    agencies = {k: f"{k}-id" for k in ["police", "probation", "yos", "council", "health", "housing"]}
    builder = PopulationBuilder(people=people, seed=seed, today=TODAY, agencies=agencies)  # type: ignore[arg-type]
    rows = []
    for chunk in builder.chunks(size=250):
        rows += [(p["given_name"], p["surname"], p["date_of_birth"]) for p in chunk.people]
        rows += [(o["offence_code"], o["offence_date"], o["created_at"]) for o in chunk.offences]
        rows += [(r["reference"], r["given_name"], r["surname"], r["date_of_birth"]) for r in chunk.source_records]
    rows += [(b["kind"], b["created_at"], b["rows"], b["errors"]) for b in builder.import_batches()]
    return rows


def test_the_same_seed_draws_the_same_partnership_and_another_seed_does_not():
    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        result = demo_build(people=3000, seed=11, today=TODAY)
        yield result
        # Module-scoped data outlives the per-test rollback.
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_a_user_for_every_role_who_can_sign_in(demo):
    roles = {role for user in User.objects.all() for role in user.roles}
    assert roles == {"officer", "supervisor", "caseworker", "rj_coordinator", "facilitator", "analyst", "administrator"}
    assert all(u.check_password(DEMO_PASSWORD) for u in User.objects.all())
    assert len({u.api_token for u in demo.users}) == len(demo.users)


@pytest.mark.django_db
def test_a_small_share_of_people_commit_a_large_share_of_offences(demo):
    counts = sorted((row["n"] for row in Offence.objects.values("person").annotate(n=Count("id"))), reverse=True)
    top_tenth = counts[: len(counts) // 10]
    assert sum(top_tenth) / sum(counts) > 0.35


@pytest.mark.django_db
def test_offending_peaks_in_the_late_teens_and_early_twenties(demo):
    ages = Counter()
    for offence_date, dob in Offence.objects.values_list("offence_date", "person__date_of_birth"):
        ages[min((offence_date - dob).days // 365 // 5 * 5, 60)] += 1
    peak = max(ages, key=ages.get)
    assert peak in (15, 20)
    assert ages[15] + ages[20] > 2 * (ages[40] + ages[45])
    assert min(ages) >= 10  # no one offends below the age of criminal responsibility


@pytest.mark.django_db
def test_outcomes_custody_and_victims_look_like_the_real_thing(demo):
    outcomes = Counter(OffenceOutcome.objects.values_list("outcome", flat=True))
    for expected in ["1", "3", "8", "22", "16", "conviction_custody", "conviction_community", "acquittal"]:
        assert outcomes[expected] > 0, expected
    # Custody comes from a custodial sentence, with release (if any) after sentence.
    assert CustodyPeriod.objects.count() == outcomes["conviction_custody"]
    assert not CustodyPeriod.objects.filter(release_date__lt=F("sentence_date")).exists()
    # Some victims are harmed again and again.
    repeat = OffenceVictim.objects.values("person").annotate(n=Count("id")).filter(n__gte=3).count()
    assert repeat > 0
    assert all(
        PNC_PATTERN.match(v)
        for v in Person.objects.filter(identifiers__kind="pnc").values_list("identifiers__value", flat=True)
    )


@pytest.mark.django_db
def test_agencies_see_the_people_they_hold(demo):
    police = User.objects.get(username="officer")
    probation = User.objects.get(username="caseworker")
    # The police hold everyone in the demo but the tenants new to the partnership that Wessex
    # Homes sent (`linkage.demo`).
    held_by_police = Person.objects.filter(merged_into__isnull=True, agency_records__agency__code="wessex-police")
    assert people_visible_to(police).count() == held_by_police.count()
    assert (
        Person.objects.exclude(agency_records__agency__code="wessex-police")
        .exclude(agency_records__agency__code="wessex-housing")
        .count()
        == 0
    )
    on_probation = people_visible_to(probation)
    assert 0 < on_probation.count() < Person.objects.count()
    assert not on_probation.exclude(
        offences__outcomes__outcome__in=["conviction_custody", "conviction_suspended", "conviction_community"]
    ).exists()


@pytest.mark.django_db
def test_the_demo_partner_files_match_on_pnc_and_show_every_mistake(demo, tmp_path):
    from pathways.accounts.models import Agency
    from pathways.demo.services import demo_partner_files
    from pathways.imports.services import import_file

    good, bad, *_street_crime = demo_partner_files(tmp_path)
    probation = Agency.objects.get(code="wessex-probation")
    before = Person.objects.count()
    report = import_file(kind="people", agency=probation, filename=good.name, content=good.read_bytes(), by=None)
    assert (report.created, report.updated) == (1, 25)
    assert Person.objects.count() == before + 1
    rejected = import_file(kind="people", agency=probation, filename=bad.name, content=bad.read_bytes(), by=None)
    assert {(e.row, e.column) for e in rejected.errors} == {
        (3, "date_of_birth"),
        (4, "surname"),
        (5, "postcode"),
        (5, "sex"),
        (6, "person_id"),
    }


@pytest.mark.django_db
def test_records_arrive_in_the_partners_files_days_after_the_events_they_record(demo):
    from django.utils import timezone

    from pathways.imports.models import ImportBatch

    loaded = ImportBatch.objects.filter(status="imported")
    files = set(loaded.filter(kind="offences").values_list("created_at", flat=True))
    # Offences an officer recorded in Pathways itself, while resolving them, came in no file.
    arrivals = list(Offence.objects.filter(resolutions__isnull=True).values_list("offence_date", "created_at"))
    assert {arrived for _, arrived in arrivals} <= files, "every offence came in a file that loaded"
    late = [(timezone.localdate(arrived) - day).days for day, arrived in arrivals]
    assert min(late) >= 0
    assert sum(loaded.filter(kind="offences").values_list("rows", flat=True)) == len(arrivals)
    rejected = ImportBatch.objects.filter(status="rejected")
    assert rejected.exists() and all(batch.errors for batch in rejected)
    # The youth offending service has sent nothing for weeks; the police sent last night's file.
    yos = loaded.filter(agency__code="wessex-yos").latest("created_at")
    assert (TODAY - timezone.localdate(yos.created_at)).days >= 52
    police = loaded.filter(agency__code="wessex-police", kind="offences").latest("created_at")
    assert timezone.localdate(police.created_at) == TODAY


@pytest.mark.django_db
def test_the_restorative_justice_service_has_cases_at_every_step_and_answered_surveys(demo):
    from pathways.restorative.facilitators import expiry_reminders
    from pathways.restorative.models import Case, Facilitator, Survey, Venue
    from pathways.restorative.reference import CaseStatus

    service = Case.objects.first().service
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    assert Survey.objects.filter(completed_on__isnull=False, satisfaction__isnull=False).count() >= 10
    assert Facilitator.objects.filter(service=service).count() == 8
    assert Venue.objects.filter(service=service, step_free=True).exists()
    # The co-ordinator's home page has something to remind them of: lapsed vetting, a renewal due.
    reminders = expiry_reminders(service, TODAY)
    assert any(r.expired for r in reminders) and any(not r.expired for r in reminders)


def test_the_iom_cohort_is_chosen_by_score_with_plans_boards_and_history(demo):
    from pathways.iom.models import BoardMeeting, CandidateDecision, Membership, PlanAction, ScoreConfig
    from pathways.iom.reference import MembershipStatus

    members = Membership.objects.all()
    open_members = members.filter(status=MembershipStatus.ADOPTED)
    # A realistic cohort for the population: a handful per scheme, the PPO scheme the largest.
    assert open_members.count() >= 10
    by_scheme = Counter(open_members.values_list("scheme__code", flat=True))
    assert by_scheme.most_common(1)[0][0] == "ppo"
    # Every adoption kept the score and configuration version that chose it; both versions used.
    assert not members.filter(score_at_adoption__lte=0).exists()
    assert set(members.values_list("config__version", flat=True)) <= set(
        ScoreConfig.objects.values_list("version", flat=True)
    )
    assert ScoreConfig.objects.count() == 2
    # People left the cohort with reasons, the panel declined some, and plans are under way.
    assert members.filter(status=MembershipStatus.DESELECTED).exclude(end_reason="").exists()
    assert CandidateDecision.objects.filter(decision="declined").exists()
    assert PlanAction.objects.filter(membership__in=open_members, status="open").exists()
    # The last board was held before today: today's board is still to come.
    assert BoardMeeting.objects.exists() and not BoardMeeting.objects.filter(held_on__gte=TODAY).exists()


@pytest.mark.django_db
def test_the_tag_suppliers_files_came_in_through_the_importer_with_alerts_for_todays_board(demo):
    from pathways.imports.models import ImportBatch
    from pathways.iom.models import BoardMeeting, Membership, TagEvent, TagPeriod
    from pathways.iom.reference import MembershipStatus, TagBasis

    batches = ImportBatch.objects.filter(kind__in=["tags", "tag_events"])
    assert set(batches.values_list("kind", flat=True)) == {"tags", "tag_events"}
    periods = TagPeriod.objects.all()
    assert periods.count() == batches.get(kind="tags").rows
    # Worn by cohort members, most of them voluntarily (as in Dorset), some still worn.
    members = set(Membership.objects.values_list("person_id", flat=True))
    assert set(periods.values_list("person_id", flat=True)) <= members
    assert periods.filter(basis=TagBasis.VOLUNTARY).count() > periods.count() / 2
    assert periods.filter(removed_on__isnull=True).exists() and periods.filter(removed_on__isnull=False).exists()
    # Alerts came in overnight, after yesterday's board, for people still in the cohort.
    last_board = BoardMeeting.objects.latest("opened_at")
    overnight = TagEvent.objects.filter(is_alert=True, occurred_at__gt=last_board.opened_at)
    assert overnight.exists()
    assert set(overnight.values_list("period__person_id", flat=True)) <= set(
        Membership.objects.filter(status=MembershipStatus.ADOPTED).values_list("person_id", flat=True)
    )


@pytest.mark.django_db
def test_the_analyst_has_an_active_local_model_an_ogrs3_audit_and_workers_judged_scores(demo):
    from pathways.evaluation.models import Evaluation
    from pathways.risk.models import FairnessAudit, LocalModel, ScoreJudgement

    model = LocalModel.objects.get(active=True)
    # Trained on the partnership's own history, with a card that says what it is for and how
    # well it does, and no protected characteristic or place among its features.
    assert model.rows > 100 and 0.5 < model.performance["auc"] < 1
    assert not {"sex", "ethnicity", "area"} & set(model.features)
    assert model.fairness and model.card
    assert FairnessAudit.objects.filter(score_kind="ogrs3").exists()
    judgements = ScoreJudgement.objects.all()
    assert judgements.filter(judgement="agree").exists() and judgements.filter(overridden=True).exists()
    assert all(j.reason for j in judgements)
    # The mentoring charity's list, evaluated against a matched comparison group.
    evaluation = Evaluation.objects.get()
    assert evaluation.intervention == "uploaded_list"
    assert evaluation.result["n_matched_treated"] >= 10
    assert {"rate", "frequency"} <= set(evaluation.result["outcomes"])


@pytest.mark.django_db
def test_every_agency_reference_has_that_agencys_record_of_the_person(demo):
    from pathways.linkage.models import SourceRecord
    from pathways.people.models import PersonIdentifier, PersonName

    records = {(r.agency_id, r.reference): r for r in SourceRecord.objects.select_related("person")}
    references = list(PersonIdentifier.objects.filter(kind="agency_ref"))
    assert len(records) == len(references)
    names: dict[object, set[tuple[str, str]]] = {}
    for name in PersonName.objects.all():
        names.setdefault(name.person_id, set()).add((name.given_name, name.surname))
    for ref in references:
        record = records[(ref.agency_id, ref.value)]
        assert record.person_id == ref.person_id
        # The agency's own spelling of the name is one of the person's names, found by search.
        assert (record.given_name, record.surname) in names[ref.person_id]
        if ref.value.startswith("WP0"):
            assert (record.given_name, record.surname) == (record.person.given_name, record.person.surname)


@pytest.mark.django_db
def test_other_agencies_records_differ_from_the_polices_as_real_ones_do(demo):
    from pathways.linkage.models import SourceRecord

    others = SourceRecord.objects.exclude(agency__code="wessex-police").select_related("person")
    assert others.count() > 100
    named_differently = sum((r.given_name, r.surname) != (r.person.given_name, r.person.surname) for r in others)
    born_differently = sum(r.date_of_birth != r.person.date_of_birth for r in others)
    assert 0.05 < named_differently / others.count() < 0.3
    assert 0.01 < born_differently / others.count() < 0.15
    police = SourceRecord.objects.filter(agency__code="wessex-police", reference__startswith="WP0")
    assert all((r.given_name, r.surname) == (r.person.given_name, r.person.surname) for r in police[:500])


@pytest.mark.django_db
def test_wessex_homes_people_file_was_linked_on_import_with_the_uncertain_pairs_queued(demo):
    from pathways.imports.models import ImportBatch
    from pathways.linkage.demo import HOUSING_FILE
    from pathways.linkage.models import LinkageModel, LinkDecision, ReviewPair, SourceRecord

    # The model in use was trained on the partnership's own records.
    model = LinkageModel.objects.get(is_active=True)
    assert model.trained_on_records == SourceRecord.objects.exclude(agency__code="wessex-housing").count()
    batch = ImportBatch.objects.get(filename=HOUSING_FILE)
    assert batch.status == ImportBatch.Status.IMPORTED
    decisions = LinkDecision.objects.filter(record__agency__code="wessex-housing")
    assert decisions.count() == batch.rows
    outcomes = {o: decisions.filter(outcome=o).count() for o in LinkDecision.Outcome.values}
    # Housing holds no PNC IDs: every decision is the model's, each with its probability.
    assert not decisions.filter(method=LinkDecision.Method.IDENTIFIER).exists()
    assert not decisions.filter(
        outcome=LinkDecision.Outcome.JOINED, match_probability__lt=model.link_threshold
    ).exists()
    # Most of the tenants are people the police already hold; the uncertain wait for review.
    housed_by_police_people = decisions.filter(record__reference__startswith="WH1")
    joined = housed_by_police_people.filter(outcome=LinkDecision.Outcome.JOINED).count()
    assert joined > housed_by_police_people.count() / 2
    assert outcomes[LinkDecision.Outcome.QUEUED] >= 1
    waiting = ReviewPair.objects.filter(status=ReviewPair.Status.WAITING, record__agency__code="wessex-housing")
    assert waiting.count() == outcomes[LinkDecision.Outcome.QUEUED]
    for pair in waiting:
        assert model.review_threshold <= pair.match_probability < model.link_threshold
        assert pair.candidate.agency.code != "wessex-housing" and pair.comparison
    # A joined tenant is one person with both agencies' records.
    decision = decisions.filter(outcome=LinkDecision.Outcome.JOINED).select_related("record", "candidate").first()
    assert decision.record.person_id == decision.candidate.person_id


@pytest.mark.django_db
def test_the_directory_has_over_250_services_with_gaps_and_the_portal_four_months_of_referrals(demo):
    from pathways.referrals.directory import services_search
    from pathways.referrals.models import Referral, Service

    assert 250 <= demo.sizes["services"] <= 280
    linking = Service.objects.get(is_linking_service=True)
    assert linking.receiving_agency.code == "wessex-linking"
    through = Service.objects.filter(contact_route="pathways").exclude(pk=linking.pk)
    assert {s.receiving_agency.code for s in through} == {"wessex-housing", "second-chances", "wessex-health"}
    assert through.count() < Service.objects.count() / 10  # mostly other routes
    # Left thin on purpose: no drug and alcohol service in Anglebury (WX16) but the linking service.
    assert [s.name for s in services_search(pathway="drugs_alcohol", area="WX16")] == ["Linking People Service"]
    assert len(services_search(pathway="finance", area="WX1")) > 5
    assert [s.name for s in services_search(pathway="attitudes", area="WX17")] == ["Linking People Service"]
    referrals = Referral.objects.all()
    assert 130 <= referrals.count() - demo.sizes["redirects"] <= 150
    assert demo.sizes["redirects"] >= 5
    first = referrals.order_by("created_at").first()
    assert first.created_at.date() >= TODAY - dt.timedelta(days=121)
    statuses = set(referrals.values_list("status", flat=True))
    assert {"sent", "accepted", "in_contact", "closed", "declined", "redirected"} <= statuses
    assert referrals.filter(status="closed").exclude(outcome="").count() == referrals.filter(status="closed").count()
    assert referrals.filter(reference__startswith="RF-2026-00001").count() == 1
    for referral in referrals.filter(status="closed")[:20]:
        chain = list(referral.events.order_by("created_at").values_list("from_status", "to_status"))
        assert [c[0] for c in chain[1:]] == [c[1] for c in chain[:-1]], chain
        assert referral.contacts.exists()
