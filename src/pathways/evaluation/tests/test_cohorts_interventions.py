"""Who received each intervention, as the evaluation's cohort finds it in Pathways' own records:
a tag fitted, a diversion contract, a resolution tier and an RJ conference held.

Each test has the same four people, all known to the police:
- `in_period` received the intervention 750 days ago (inside the period) → treated, indexed
  on that date;
- `before` received it 1,200 days ago (before the period) but has a proven offence in the
  period → neither treated nor in the comparison pool, since they did receive it;
- `never` has a proven offence in the period and never received it → in the comparison pool,
  indexed on that offence;
- `hidden` received it in the period and has a proven offence in it, but their record is
  restricted to one officer → in neither group for the analyst.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.evaluation import cohorts
from pathways.iom import tags
from pathways.people.models import Person
from pathways.resolutions import contracts, services
from pathways.resolutions.models import Resolution
from pathways.resolutions.reference import Route, Status
from pathways.resolutions.testing import create_resolution
from pathways.restorative import cases, meetings, referrals
from pathways.restorative.models import Meeting
from pathways.restorative.reference import CaseStatus, Intervention, MeetingStatus, Source, Stage
from pathways.restorative.reference import Role as PartyRole
from pathways.sharing.services import restriction_place
from pathways.testing import create_person_row, csv_bytes, load, person_by_reference

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
START, END = TODAY - dt.timedelta(days=900), TODAY - dt.timedelta(days=600)
IN_PERIOD, BEFORE, OFFENCE_IN_PERIOD = 750, 1200, 800
# Distinct names, so that the partners' files never take two of these people for one.
SURNAMES = {"A": "Archer", "D": "Dunn", "R": "Reid", "J": "Jones"}
GIVEN_NAMES = ["Amy", "Ben", "Cal", "Dee", "Eve", "Fin", "Gus"]


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def known_to_police(
    police: Any, police_admin: Any, reference: str, *, proven: Sequence[int] = (), unproven: Sequence[int] = ()
) -> Person:
    """A person the police hold, with proven offences (a conviction 30 days on) and offences
    with no outcome yet (for a resolution to resolve), each `days ago`."""
    load(
        "people",
        [
            create_person_row(
                person_id=reference,
                given_name=GIVEN_NAMES[int(reference[1:]) - 1],
                surname=SURNAMES[reference[0]],
                date_of_birth="1990-05-06",
            )
        ],
        agency=police,
        by=police_admin,
    )
    offences, outcomes = [], []
    for n, days in enumerate([*proven, *unproven], start=1):
        offence_id = f"{reference}-O{n}"
        offences.append(
            {
                "offence_id": offence_id,
                "person_id": reference,
                "offence_date": ago(days).isoformat(),
                "offence_code": "46",
                "offence_group": "theft",
            }
        )
        if n <= len(proven):
            outcomes.append(
                {"offence_id": offence_id, "outcome_date": ago(days - 30).isoformat(), "outcome": "conviction_fine"}
            )
    if offences:
        load("offences", offences, agency=police, by=police_admin)
    if outcomes:
        load("outcomes", outcomes, agency=police, by=police_admin)
    return person_by_reference(police, reference)


@pytest.fixture
def evaluator(police: Any, make_user: Any) -> Any:
    """A police analyst: sees everyone the police hold, except restricted records."""
    return make_user("police-analyst", police, Role.ANALYST)


def restrict(person: Person, *, dpo: Any, allowed: Any) -> None:
    restriction_place(by=dpo, person=person, reason="Protected witness in a current trial", allowed_users=[allowed])


def table(spec: cohorts.CohortSpec, user: Any) -> pd.DataFrame:
    return cohorts.build(spec, user=user).frame.set_index("person")


def assert_groups(frame: pd.DataFrame, people: dict[str, Person], received_on: dt.date) -> None:
    in_period = frame.loc[str(people["in_period"].pk)]
    assert in_period.treated == 1
    assert in_period.index_date == received_on.isoformat()
    assert str(people["before"].pk) not in frame.index  # received it: never a comparison
    never = frame.loc[str(people["never"].pk)]
    assert never.treated == 0
    assert never.index_date == ago(OFFENCE_IN_PERIOD).isoformat()
    assert str(people["hidden"].pk) not in frame.index
    assert set(frame.index) == {str(people["in_period"].pk), str(people["never"].pk)}


# --- A tag fitted ------------------------------------------------------------------------------


def test_a_tag_fitted_in_the_period_is_the_treatment(police, police_admin, officer, evaluator):
    people = {
        "in_period": known_to_police(police, police_admin, "A1"),
        "before": known_to_police(police, police_admin, "A2", proven=[OFFENCE_IN_PERIOD]),
        "never": known_to_police(police, police_admin, "A3", proven=[OFFENCE_IN_PERIOD]),
        "hidden": known_to_police(police, police_admin, "A4", proven=[OFFENCE_IN_PERIOD]),
    }
    rows = [
        {
            "supplier": "Buddi",
            "tag_reference": f"T{reference}",
            "person_id": reference,
            "pnc_id": "",
            "tag_type": "gps",
            "basis": "voluntary",
            "fitted_on": ago(days).isoformat(),
            "removed_on": ago(days - 90).isoformat(),
        }
        for reference, days in [("A1", IN_PERIOD), ("A2", BEFORE), ("A4", IN_PERIOD)]
    ]
    report = tags.import_tag_file("tags", police, "tags.csv", csv_bytes("tags", rows), police_admin)
    assert report.ok, [str(e) for e in report.errors]
    restrict(people["hidden"], dpo=police_admin, allowed=officer)

    frame = table(cohorts.CohortSpec("tag", START, END), evaluator)

    assert_groups(frame, people, ago(IN_PERIOD))


# --- A diversion contract ----------------------------------------------------------------------


def divert(resolution: Resolution, *, officer: Any, sergeant: Any) -> Resolution:
    services.resolution_decide(
        resolution=resolution, by=officer, route=Route.DIVERSION, override_reason="Third time at this store this month"
    )
    resolution.refresh_from_db()
    if resolution.status == Status.AWAITING_REVIEW:
        services.resolution_review(resolution=resolution, by=sergeant, approve=True)
        resolution.refresh_from_db()
    assert resolution.status == Status.AGREED
    return resolution


def test_a_diversion_contract_started_in_the_period_is_the_treatment(
    police, police_admin, officer, sergeant, evaluator
):
    people = {
        "in_period": known_to_police(police, police_admin, "D1", unproven=[IN_PERIOD + 10]),
        "before": known_to_police(police, police_admin, "D2", proven=[OFFENCE_IN_PERIOD], unproven=[BEFORE + 10]),
        "never": known_to_police(police, police_admin, "D3", proven=[OFFENCE_IN_PERIOD]),
        "hidden": known_to_police(police, police_admin, "D4", proven=[OFFENCE_IN_PERIOD], unproven=[IN_PERIOD + 10]),
    }
    for key, days in [("in_period", IN_PERIOD), ("before", BEFORE), ("hidden", IN_PERIOD)]:
        person = people[key]
        unresolved = person.offences.filter(outcomes__isnull=True).get()
        resolution = divert(
            create_resolution(officer=officer, person=person, offence=unresolved), officer=officer, sergeant=sergeant
        )
        contracts.contract_create(
            resolution=resolution,
            by=officer,
            starts_on=ago(days),
            conditions=[contracts.ConditionInput("no_further_offending", owner="PC Officer")],
        )
    restrict(people["hidden"], dpo=police_admin, allowed=officer)

    frame = table(cohorts.CohortSpec("diversion_contract", START, END), evaluator)

    assert_groups(frame, people, ago(IN_PERIOD))


# --- A resolution tier -------------------------------------------------------------------------


def resolve(person: Person, *, officer: Any, sergeant: Any, route: str, on: dt.date) -> Resolution:
    unresolved = person.offences.filter(outcomes__isnull=True).get()
    resolution = create_resolution(officer=officer, person=person, offence=unresolved)
    services.resolution_decide(
        resolution=resolution, by=officer, route=route, override_reason="The victim asked for it to be dealt with so"
    )
    resolution.refresh_from_db()
    if resolution.status == Status.AWAITING_REVIEW:
        services.resolution_review(resolution=resolution, by=sergeant, approve=True)
    # The service stamps the decision with the time it is made; a decision of two years ago
    # can only be had by writing its time afterwards. Half past midnight: in summer time that
    # is the day before in UTC, so the decision's day must be read in local time.
    Resolution.objects.filter(pk=resolution.pk).update(
        decided_at=timezone.make_aware(dt.datetime.combine(on, dt.time(0, 30)))
    )
    return resolution


def test_a_resolution_tier_decided_in_the_period_is_the_treatment(police, police_admin, officer, sergeant, evaluator):
    people = {
        "in_period": known_to_police(police, police_admin, "R1", unproven=[IN_PERIOD + 10]),
        "before": known_to_police(police, police_admin, "R2", proven=[OFFENCE_IN_PERIOD], unproven=[BEFORE + 10]),
        "never": known_to_police(police, police_admin, "R3", proven=[OFFENCE_IN_PERIOD]),
        "hidden": known_to_police(police, police_admin, "R4", proven=[OFFENCE_IN_PERIOD], unproven=[IN_PERIOD + 10]),
        # A different tier in the period: not the treatment, so a comparison like anyone else.
        "other_tier": known_to_police(
            police, police_admin, "R5", proven=[OFFENCE_IN_PERIOD], unproven=[IN_PERIOD + 10]
        ),
    }
    for key, days in [("in_period", IN_PERIOD), ("before", BEFORE), ("hidden", IN_PERIOD)]:
        resolve(people[key], officer=officer, sergeant=sergeant, route=Route.STREET_CR, on=ago(days))
    resolve(people["other_tier"], officer=officer, sergeant=sergeant, route=Route.LEVEL_1, on=ago(IN_PERIOD))
    restrict(people["hidden"], dpo=police_admin, allowed=officer)

    frame = table(cohorts.CohortSpec("resolution_tier", START, END, tier=Route.STREET_CR), evaluator)

    other_tier = frame.loc[str(people.pop("other_tier").pk)]
    assert other_tier.treated == 0 and other_tier.index_date == ago(OFFENCE_IN_PERIOD).isoformat()
    assert_groups(frame.drop(index=str(other_tier.name)), people, ago(IN_PERIOD))


def test_a_resolution_tier_must_be_chosen(evaluator):
    with pytest.raises(cohorts.CohortError, match="Choose the resolution tier"):
        cohorts.build(cohorts.CohortSpec("resolution_tier", START, END), user=evaluator)


# --- An RJ conference held ---------------------------------------------------------------------


@pytest.fixture
def venue(coordinator, police):
    return meetings.venue_save(
        by=coordinator,
        data=meetings.VenueInput(
            lent_by=police, name="Eastside Community Centre", address="1 High St", available_days=list(range(7))
        ),
    )


def hold_conference(
    offender: Person,
    *,
    on: dt.date,
    officer: Any,
    coordinator: Any,
    service: Any,
    venue: Any,
    victim: Person | None,
    held: bool = True,
) -> Meeting:
    """Referred, prepared, arranged and held (or cancelled) through the service's own steps."""
    case = referrals.referral_create(
        by=officer,
        referral=referrals.ReferralInput(
            service=service,
            source=Source.POLICE,
            stage=Stage.PRE_SENTENCE,
            what_happened="Burglary of the victim's shed; tools taken.",
            parties=[
                referrals.PartyInput(role=PartyRole.VICTIM, name="Priya Shah", phone="07700 900123", person=victim),
                referrals.PartyInput(role=PartyRole.OFFENDER, name="", person=offender),
            ],
        ),
    )
    cases.case_move(case, CaseStatus.PREPARATION)
    for party in case.parties.all():
        meetings.preparation_record(case=case, by=coordinator, party=party, held_on=TODAY, ready=True)
    tomorrow = TODAY + dt.timedelta(days=1)
    meeting = meetings.meeting_arrange(
        case=case,
        by=coordinator,
        data=meetings.MeetingInput(
            intervention=Intervention.CONFERENCE,
            starts_at=timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(10))),
            ends_at=timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(12))),
            venue=venue,
        ),
    )
    # A conference can only be arranged for the future; one held two years ago is had by
    # moving its time back afterwards (as the restorative tests do for one held today).
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.make_aware(dt.datetime.combine(on, dt.time(10))),
        ends_at=timezone.make_aware(dt.datetime.combine(on, dt.time(12))),
    )
    meeting.refresh_from_db()
    if not held:
        return meetings.meeting_call_off(
            meeting=meeting, by=coordinator, status=MeetingStatus.CANCELLED, reason="The victim withdrew"
        )
    return meetings.meeting_hold(meeting=meeting, by=coordinator, held_on=on, attended=list(meeting.participants.all()))


def test_an_rj_conference_held_in_the_period_is_the_treatment(
    police, police_admin, officer, coordinator, rj_service, venue, evaluator
):
    people = {
        "in_period": known_to_police(police, police_admin, "J1"),
        "before": known_to_police(police, police_admin, "J2", proven=[OFFENCE_IN_PERIOD]),
        "never": known_to_police(police, police_admin, "J3", proven=[OFFENCE_IN_PERIOD]),
        "hidden": known_to_police(police, police_admin, "J4", proven=[OFFENCE_IN_PERIOD]),
    }
    # The victim of the conference in the period is known to the police too, with a proven
    # offence of their own: being at a conference as its victim is not receiving the intervention.
    victim = known_to_police(police, police_admin, "J5", proven=[OFFENCE_IN_PERIOD])
    setting = {"officer": officer, "coordinator": coordinator, "service": rj_service, "venue": venue}
    hold_conference(people["in_period"], on=ago(IN_PERIOD), victim=victim, **setting)
    hold_conference(people["before"], on=ago(BEFORE), victim=None, **setting)
    hold_conference(people["hidden"], on=ago(IN_PERIOD + 1), victim=None, **setting)
    restrict(people["hidden"], dpo=police_admin, allowed=officer)

    frame = table(cohorts.CohortSpec("rj_conference", START, END), evaluator)

    as_victim = frame.loc[str(victim.pk)]
    assert as_victim.treated == 0 and as_victim.index_date == ago(OFFENCE_IN_PERIOD).isoformat()
    assert_groups(frame.drop(index=str(victim.pk)), people, ago(IN_PERIOD))


def test_a_conference_called_off_is_not_the_treatment(
    police, police_admin, officer, coordinator, rj_service, venue, evaluator
):
    offender = known_to_police(police, police_admin, "J6", proven=[OFFENCE_IN_PERIOD])
    setting = {"officer": officer, "coordinator": coordinator, "service": rj_service, "venue": venue}
    hold_conference(offender, on=ago(IN_PERIOD), victim=None, held=False, **setting)

    frame = table(cohorts.CohortSpec("rj_conference", START, END), evaluator)

    cancelled = frame.loc[str(offender.pk)]
    assert cancelled.treated == 0 and cancelled.index_date == ago(OFFENCE_IN_PERIOD).isoformat()
