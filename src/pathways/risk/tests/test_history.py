import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome
from pathways.offending.reference import OFFENCE_TYPES
from pathways.people.models import Person
from pathways.risk.history import CODE_GROUPS, ogrs3_group, ogrs3_history, ogrs3_inputs
from pathways.risk.ogrs3 import Ogrs3Group, Ogrs3Inputs, score

_refs = itertools.count(1)


def create_person(*, dob="1990-06-15", sex="M") -> Person:
    return Person.objects.create(
        given_name="Dana", surname="Reid", date_of_birth=dt.date.fromisoformat(dob) if dob else None, sex=sex
    )


def create_offence(person, agency, *, committed, code="46", group="theft", outcomes=()) -> Offence:
    offence = Offence.objects.create(
        person=person,
        agency=agency,
        reference=f"R{next(_refs)}",
        offence_date=dt.date.fromisoformat(committed),
        offence_code=code,
        offence_group=group,
    )
    for on, outcome in outcomes:
        OffenceOutcome.objects.create(
            offence=offence, agency=agency, outcome_date=dt.date.fromisoformat(on), outcome=outcome
        )
    return offence


def test_known_offender_has_the_inputs_worked_out_from_their_record(known_offender):
    # Caution for shoplifting on 20 May 2019 (aged 21), conviction for assault with injury on
    # 1 June 2021, custody until 1 December 2021 (aged 23).
    history = ogrs3_history([known_offender.pk], dt.date(2024, 1, 1))[known_offender.pk]
    assert history.inputs == Ogrs3Inputs(
        sex="male", age=23, sanctions=2, age_at_first_sanction=21, offence_group=Ogrs3Group.VIOLENCE
    )
    assert history.follow_up_starts == dt.date(2021, 12, 1)
    assert history.follow_up_reason == "released from custody"
    assert any("Follow-up starts 1 December 2021" in line for line in history.why())


def test_as_of_leaves_out_later_sanctions_and_releases(known_offender):
    history = ogrs3_history([known_offender.pk], dt.date(2020, 1, 1))[known_offender.pk]
    assert history.inputs == Ogrs3Inputs(
        sex="male", age=21, sanctions=1, age_at_first_sanction=21, offence_group=Ogrs3Group.THEFT
    )
    assert history.follow_up_starts == dt.date(2019, 5, 20)


def test_each_proven_offence_counts_once_dated_by_its_first_proving_outcome(police):
    person = create_person()
    create_offence(
        person,
        police,
        committed="2020-01-01",
        outcomes=[("2020-02-01", "3"), ("2020-03-01", "conviction_fine")],
    )
    create_offence(person, police, committed="2021-01-01", outcomes=[("2021-02-01", "8")])  # community resolution
    create_offence(person, police, committed="2021-05-01", outcomes=[("2021-06-01", "acquittal")])
    history = ogrs3_history([person.pk], dt.date(2025, 1, 1))[person.pk]
    assert [s.sanction_date for s in history.sanctions] == [dt.date(2020, 2, 1)]
    assert history.inputs.sanctions == 1
    assert history.inputs.age == 29


def test_the_gravest_offence_proven_on_the_latest_day_is_the_current_one(police):
    person = create_person()
    create_offence(person, police, committed="2022-01-01", code="46", outcomes=[("2022-03-01", "conviction_fine")])
    create_offence(
        person, police, committed="2022-01-02", code="28E", group="theft", outcomes=[("2022-03-01", "conviction_fine")]
    )
    history = ogrs3_history([person.pk], dt.date(2025, 1, 1))[person.pk]
    assert history.current.offence_code == "28E"
    assert history.inputs.offence_group is Ogrs3Group.BURGLARY_DOMESTIC
    assert history.inputs.sanctions == 2


def test_custody_release_before_the_latest_sanction_does_not_move_follow_up(police):
    person = create_person()
    first = create_offence(person, police, committed="2015-01-01", outcomes=[("2015-02-01", "conviction_custody")])
    CustodyPeriod.objects.create(
        person=person, offence=first, agency=police, sentence_date=dt.date(2015, 2, 1), release_date=dt.date(2016, 1, 1)
    )
    create_offence(person, police, committed="2020-01-01", outcomes=[("2020-07-01", "conviction_fine")])
    history = ogrs3_history([person.pk], dt.date(2025, 1, 1))[person.pk]
    assert history.follow_up_starts == dt.date(2020, 7, 1)
    assert history.inputs.age == 30
    assert history.inputs.age_at_first_sanction == 24


@pytest.mark.parametrize(
    ("dob", "sex", "with_offence", "reason"),
    [
        ("1990-06-15", "M", False, "No proven offence"),
        (None, "M", True, "No date of birth"),
        ("1990-06-15", "U", True, "not recorded as male or female"),
        ("2012-06-15", "F", True, "age"),
    ],
)
def test_who_cannot_be_scored_is_told_why(police, dob, sex, with_offence, reason):
    person = create_person(dob=dob, sex=sex)
    if with_offence:
        create_offence(person, police, committed="2021-01-01", outcomes=[("2021-02-01", "2")])
    history = ogrs3_history([person.pk], dt.date(2025, 1, 1))[person.pk]
    assert history.inputs is None
    assert reason in history.reason
    assert history.why() == [history.reason]
    assert ogrs3_inputs([person.pk], dt.date(2025, 1, 1)) == {person.pk: None}


def test_a_batch_takes_a_fixed_number_of_queries(police):
    people = []
    for n in range(12):
        person = create_person(sex="F" if n % 2 else "M")
        create_offence(person, police, committed="2020-01-01", outcomes=[("2020-02-01", "conviction_fine")])
        create_offence(person, police, committed="2021-01-01", code="45", outcomes=[("2021-02-01", "3")])
        people.append(person.pk)
    with CaptureQueriesContext(connection) as queries:
        result = ogrs3_inputs(people, dt.date(2025, 1, 1))
    assert len(queries) == 3
    assert {inputs.offence_group for inputs in result.values()} == {Ogrs3Group.THEFT_FROM_VEHICLES}
    assert all(0 < score(inputs).two_year < 1 for inputs in result.values())


def test_a_queryset_of_people_is_accepted(police):
    person = create_person(sex="F")
    create_offence(person, police, committed="2020-01-01", outcomes=[("2020-02-01", "conviction_fine")])
    result = ogrs3_inputs(Person.objects.filter(pk=person.pk), dt.date(2025, 1, 1))
    assert result[person.pk].sex == "female"


def test_every_offence_code_pathways_knows_is_mapped_explicitly():
    assert {t.code for t in OFFENCE_TYPES} <= set(CODE_GROUPS)


@pytest.mark.parametrize(
    ("code", "group", "expected"),
    [
        ("28E", "theft", Ogrs3Group.BURGLARY_DOMESTIC),
        ("30C", "theft", Ogrs3Group.BURGLARY_OTHER),
        ("45", "theft", Ogrs3Group.THEFT_FROM_VEHICLES),
        ("48", "theft", Ogrs3Group.TAKING_DRIVING_AWAY),
        ("92A", "drugs", Ogrs3Group.DRUG_POSSESSION_SUPPLY),
        ("10D", "weapons", Ogrs3Group.OTHER),
        ("805", "summary_motoring", Ogrs3Group.OTHER_MOTORING),
        ("999", "summary_motoring", Ogrs3Group.OTHER_MOTORING),  # unknown code: by its MoJ group
        ("999", "sexual", Ogrs3Group.SEXUAL_NOT_CHILD),
        ("999", "nonsense", Ogrs3Group.OTHER),
    ],
)
def test_offence_codes_map_to_ogrs3_groups(code, group, expected):
    assert ogrs3_group(code, group)[0] is expected


def test_iom_candidates_carry_their_ogrs3_beside_the_local_score(prolific_offender, ppo_scheme, iom_supervisor):
    from django.urls import reverse

    from pathways.iom.selection import candidates
    from pathways.testing import signed_in_client

    (candidate,) = candidates(iom_supervisor, ppo_scheme)
    assert candidate.person == prolific_offender
    assert candidate.ogrs3.inputs.sanctions == 6
    assert candidate.ogrs3.inputs.offence_group is Ogrs3Group.BURGLARY_DOMESTIC
    page = signed_in_client(iom_supervisor).get(reverse("iom:candidates") + "?scheme=ppo").content.decode()
    assert f'OGRS3 <span class="ogrs3">{candidate.ogrs3.two_year_percent}% at two years' in page
