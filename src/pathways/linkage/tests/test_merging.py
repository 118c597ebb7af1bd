"""Merging two people into one and undoing it: every kind of row a person has goes across and
comes back; what would duplicate is kept aside and put back; what cannot be decided is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.accounts.models import Agency, Role, User
from pathways.dataprotection.models import LegalHold
from pathways.iom.models import Membership
from pathways.iom.testing import create_membership
from pathways.linkage.merging import MergeRefused, merge_people, rows_added_since, unmerge
from pathways.linkage.models import Merge, MergeMove, MergeSnapshot, SourceRecord
from pathways.linkage.testing import create_name, create_record, rows_about
from pathways.offending.models import CustodyPeriod, Offence, OffenceVictim
from pathways.people.models import Address, Person, PersonIdentifier, PersonName, WarningMarker
from pathways.restorative.models import Party
from pathways.restorative.testing import create_case
from pathways.sharing.models import Consent, Restriction

DOB = dt.date(1998, 4, 12)


@pytest.fixture
def sergeant(police: Agency, make_user: Any) -> User:
    return make_user("merge-sergeant", police, Role.SUPERVISOR, Role.OFFICER)


@pytest.fixture
def police_record(police: Agency) -> Person:
    return create_record(agency=police, reference="P1", given_name="Jonathan", surname="Smith", sex="M")


@pytest.fixture
def probation_record(probation: Agency) -> Person:
    return create_record(
        agency=probation,
        reference="N1",
        given_name="Jon",
        surname="Smyth",
        date_of_birth=DOB,
        sex="M",
        ethnicity="W1",
        address_1="4 Station Road",
        postcode="WX3 9ZZ",
    )


def _offence(person: Person, agency: Agency, reference: str) -> Offence:
    return Offence.objects.create(
        person=person,
        agency=agency,
        reference=reference,
        offence_date=dt.date(2021, 2, 10),
        offence_code="46",
        offence_group="theft",
    )


def test_every_row_of_the_merged_person_moves_and_every_one_comes_back(
    police: Agency,
    probation: Agency,
    police_record: Person,
    probation_record: Person,
    sergeant: User,
    rj_service: Agency,
    make_user: Any,
) -> None:
    # The probation record has an offence with custody, is the victim of the police one's
    # offence, a marker, a legal hold, a consent and an RJ case; both are victims of one offence.
    theirs = _offence(probation_record, probation, "PR-1")
    CustodyPeriod.objects.create(person=probation_record, offence=theirs, agency=probation, sentence_date=DOB)
    other = _offence(police_record, police, "CR-9")
    shared = Offence.objects.create(
        person=create_record(agency=police, reference="P9", given_name="Al", surname="Brown"),
        agency=police,
        reference="CR-10",
        offence_date=dt.date(2022, 1, 1),
        offence_code="8N",
        offence_group="violence",
    )
    OffenceVictim.objects.create(offence=other, person=probation_record)
    OffenceVictim.objects.create(offence=shared, person=probation_record)
    OffenceVictim.objects.create(offence=shared, person=police_record)
    WarningMarker.objects.create(person=probation_record, agency=probation, kind="violence", start_date=DOB)
    LegalHold.objects.create(
        person=probation_record, reason="Civil claim", placed_by=sergeant, placed_at=timezone.now()
    )
    Consent.objects.create(
        person=probation_record,
        purpose="casework",
        status="given",
        recorded_on=DOB,
        recorded_by=sergeant,
        agency=probation,
    )
    create_case(
        by=make_user("probation-sergeant", probation, Role.SUPERVISOR), service=rj_service, offender=probation_record
    )
    # The same name, held by both: the merged person's copy is kept aside, not duplicated.
    create_name(police_record, "Jon", "Smyth", agency=police, is_alias=True)
    before = {p.pk: rows_about(p) for p in (police_record, probation_record)}

    merge = merge_people(kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.REVIEW)

    kept = Person.objects.get(pk=police_record.pk)
    assert set(SourceRecord.objects.filter(person=kept).values_list("reference", flat=True)) == {"P1", "N1"}
    assert set(kept.agency_records.values_list("agency__code", flat=True)) == {
        police.code,
        probation.code,
        rj_service.code,
    }
    assert kept.offences.count() == 2 and kept.custody_periods.count() == 1 and kept.markers.count() == 1
    assert set(PersonIdentifier.objects.filter(person=kept).values_list("value", flat=True)) == {"P1", "N1"}
    assert Address.objects.filter(person=kept).count() == 2
    assert kept.legal_holds.count() == 1 and kept.consents.count() == 1
    assert Party.objects.filter(person=kept).count() == 1
    # A victim twice of one offence would be one victim: the probation copy waits aside.
    assert OffenceVictim.objects.filter(offence=shared).count() == 1
    assert OffenceVictim.objects.filter(offence=other, person=kept).exists()
    # Names: the merged person's main name is now an alias, once.
    names = list(kept.names.order_by("is_alias", "given_name").values_list("given_name", "surname", "is_alias"))
    assert names == [("Jonathan", "Smith", False), ("Jon", "Smyth", True)]
    # Blanks filled from the merged person; the kept person's own details kept on the merge.
    assert kept.date_of_birth == DOB and kept.ethnicity == "W1" and kept.sex == "M"
    assert merge.kept_before == {"date_of_birth": None, "ethnicity": "NS"}
    merged = Person.objects.get(pk=probation_record.pk)
    assert merged.merged_into == kept
    assert rows_about(merged).keys() == {("people.Person", "self", str(merged.pk))}
    assert set(MergeSnapshot.objects.filter(merge=merge).values_list("model", flat=True)) == {
        "people.PersonName",
        "offending.OffenceVictim",
    }
    assert MergeMove.objects.filter(merge=merge, field="is_alias").count() == 0  # its main name was the duplicate

    unmerge(merge=merge, by=sergeant, reason="Two different men: different dates of birth on the PNC")

    after = {p.pk: rows_about(p) for p in (police_record, probation_record)}
    assert after == before
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undo_reason.startswith("Two different men")


def test_a_main_name_becomes_an_alias_and_back(police_record: Person, probation_record: Person, sergeant: User) -> None:
    merge = merge_people(kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.AUTOMATIC)
    alias = PersonName.objects.get(given_name="Jon", surname="Smyth")
    assert alias.person_id == police_record.pk and alias.is_alias
    unmerge(merge=merge, by=sergeant, reason="Wrong")
    alias.refresh_from_db()
    assert alias.person_id == probation_record.pk and not alias.is_alias


def test_a_merged_person_of_an_earlier_merge_follows_to_the_kept_one_and_back(
    police: Agency, housing: Agency, police_record: Person, probation_record: Person, sergeant: User
) -> None:
    housing_record = create_record(agency=housing, reference="H1", given_name="John", surname="Smith")
    first = merge_people(kept=probation_record, merged=housing_record, by=sergeant, cause=Merge.Cause.REVIEW)
    second = merge_people(kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.REVIEW)
    housing_record.refresh_from_db()
    assert housing_record.merged_into_id == police_record.pk
    assert SourceRecord.objects.filter(person=police_record).count() == 3

    # The first merge's rows were moved again by the second: that one has to go first.
    with pytest.raises(MergeRefused, match="Undo that merge first"):
        unmerge(merge=first, by=sergeant, reason="Wrong")
    unmerge(merge=second, by=sergeant, reason="Wrong")
    housing_record.refresh_from_db()
    assert housing_record.merged_into_id == probation_record.pk
    unmerge(merge=first, by=sergeant, reason="Wrong too")
    assert set(SourceRecord.objects.values_list("person_id", "reference")) == {
        (police_record.pk, "P1"),
        (probation_record.pk, "N1"),
        (housing_record.pk, "H1"),
    }


def test_an_agency_record_held_by_both_is_kept_aside_and_returned(
    police: Agency, police_record: Person, probation_record: Person, sergeant: User
) -> None:
    AgencyRecord.objects.create(person=probation_record, agency=police, basis="shared", reason="Shared for a panel")
    merge = merge_people(kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.REVIEW)
    assert AgencyRecord.objects.filter(person=police_record, agency=police).count() == 1
    unmerge(merge=merge, by=sergeant, reason="Wrong")
    restored = AgencyRecord.objects.get(person=probation_record, agency=police)
    assert restored.reason == "Shared for a panel"


def test_iom_memberships_move_and_two_open_ones_of_one_scheme_are_refused(
    police_record: Person, probation_record: Person, iom_supervisor: User, ppo_scheme: Any
) -> None:
    AgencyRecord.objects.create(person=probation_record, agency=iom_supervisor.agency, basis="shared")
    membership = create_membership(by=iom_supervisor, person=probation_record, scheme=ppo_scheme)
    merge = merge_people(kept=police_record, merged=probation_record, by=iom_supervisor, cause=Merge.Cause.REVIEW)
    assert Membership.objects.get(pk=membership.pk).person_id == police_record.pk
    unmerge(merge=merge, by=iom_supervisor, reason="Wrong")
    assert Membership.objects.get(pk=membership.pk).person_id == probation_record.pk

    create_membership(by=iom_supervisor, person=police_record, scheme=ppo_scheme)
    with pytest.raises(MergeRefused, match="both open members of the Prolific and other Priority Offenders"):
        merge_people(kept=police_record, merged=probation_record, by=iom_supervisor, cause=Merge.Cause.REVIEW)
    assert Person.objects.get(pk=probation_record.pk).merged_into_id is None
    assert not Merge.objects.filter(undone_at__isnull=True).exists()


def test_merging_into_themself_or_into_someone_merged_away_is_refused(
    police: Agency, police_record: Person, probation_record: Person, sergeant: User
) -> None:
    with pytest.raises(MergeRefused, match="into themself"):
        merge_people(kept=police_record, merged=police_record, by=sergeant, cause=Merge.Cause.REVIEW)
    merge_people(kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.REVIEW)
    third = create_record(agency=police, reference="P3", given_name="Jonny", surname="Smith")
    for kept, merged in ((probation_record, third), (third, probation_record)):
        with pytest.raises(MergeRefused, match="already merged into someone else"):
            merge_people(
                kept=Person.objects.get(pk=kept.pk),
                merged=Person.objects.get(pk=merged.pk),
                by=sergeant,
                cause=Merge.Cause.REVIEW,
            )


def test_a_restricted_record_is_not_merged_without_a_decision(
    police_record: Person, probation_record: Person, sergeant: User
) -> None:
    Restriction.objects.create(person=probation_record, reason="Protected witness", placed_by=sergeant)
    with pytest.raises(MergeRefused, match="restricted"):
        merge_people(kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.REVIEW)


def test_a_merge_is_undone_once_and_only_with_a_reason(
    police_record: Person, probation_record: Person, sergeant: User
) -> None:
    merge = merge_people(kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.REVIEW)
    with pytest.raises(MergeRefused, match="Say why"):
        unmerge(merge=merge, by=sergeant, reason="  ")
    unmerge(merge=merge, by=sergeant, reason="Wrong")
    with pytest.raises(MergeRefused, match="already undone"):
        unmerge(merge=merge, by=sergeant, reason="Again")


def test_rows_added_after_the_merge_stay_with_the_kept_person(
    police: Agency, police_record: Person, probation_record: Person, sergeant: User
) -> None:
    merge = merge_people(kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.REVIEW)
    _offence(police_record, police, "CR-NEW")
    assert rows_added_since(merge) == 1
    unmerge(merge=merge, by=sergeant, reason="Wrong")
    assert Offence.objects.get(reference="CR-NEW").person_id == police_record.pk
    event = AuditEvent.objects.filter(object_id=str(police_record.pk), detail__event="unmerge").get()
    assert event.detail["rows_added_since_stay"] == 1


def test_a_correction_made_after_the_merge_is_not_undone(
    police_record: Person, probation_record: Person, sergeant: User
) -> None:
    merge = merge_people(kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.REVIEW)
    kept = Person.objects.get(pk=police_record.pk)
    kept.date_of_birth = dt.date(1998, 12, 4)
    kept.save()
    unmerge(merge=merge, by=sergeant, reason="Wrong")
    kept.refresh_from_db()
    assert kept.date_of_birth == dt.date(1998, 12, 4)
    assert kept.ethnicity == "NS"


def test_the_audit_trail_of_both_people_shows_the_merge_and_the_unmerge(
    police_record: Person, probation_record: Person, sergeant: User
) -> None:
    merge = merge_people(
        kept=police_record, merged=probation_record, by=sergeant, cause=Merge.Cause.AUTOMATIC, match_probability=0.97
    )
    unmerge(merge=merge, by=sergeant, reason="Twins")
    for person in (police_record, probation_record):
        events = AuditEvent.objects.filter(object_type="person", object_id=str(person.pk)).order_by("id")
        assert [e.detail["event"] for e in events] == ["merge", "unmerge"]
        assert events[0].detail["merge"] == str(merge.pk) and events[0].detail["cause"] == "automatic"
        assert events[0].detail["match_probability"] == 0.97 and events[0].detail["rows_moved"] > 0
        assert events[1].detail["reason"] == "Twins" and events[1].username == "merge-sergeant"


# --- merge then unmerge gives back exactly what each person had -------------------------

KINDS = [
    "alias",
    "same_name",
    "address",
    "marker",
    "offence",
    "custody",
    "victim",
    "shared_record",
    "consent",
    "legal_hold",
    "lifted_restriction",
]


def _give(person: Person, kinds: list[str], agency: Agency, other_agency: Agency, by: User, tag: str) -> None:
    for n, kind in enumerate(kinds):
        if kind == "alias":
            create_name(person, f"Alias{n}{tag}", "Smith", agency=agency, is_alias=True)
        elif kind == "same_name":
            if not person.names.filter(given_name="Johnny", surname="Smith").exists():
                create_name(person, "Johnny", "Smith", agency=agency, is_alias=True)
        elif kind == "address":
            Address.objects.create(person=person, agency=agency, address_1=f"{n} High Street {tag}")
        elif kind == "marker":
            WarningMarker.objects.create(person=person, agency=agency, kind="drugs", start_date=DOB)
        elif kind in ("offence", "custody"):
            offence = _offence(person, agency, f"{tag}-{n}")
            if kind == "custody":
                CustodyPeriod.objects.create(person=person, offence=offence, agency=agency, sentence_date=DOB)
        elif kind == "victim":
            offence = Offence.objects.get(reference="VICTIM-OF")
            OffenceVictim.objects.get_or_create(offence=offence, person=person)
        elif kind == "shared_record":
            AgencyRecord.objects.get_or_create(person=person, agency=other_agency, defaults={"basis": "shared"})
        elif kind == "legal_hold":
            LegalHold.objects.create(person=person, reason="Inquiry", placed_by=by, placed_at=timezone.now())
        elif kind == "lifted_restriction":
            restriction = Restriction.objects.create(
                person=person, reason="Was a witness", placed_by=by, lifted_at=timezone.now(), lifted_by=by
            )
            restriction.allowed_users.set([by])
        elif kind == "consent":
            Consent.objects.create(
                person=person, purpose="casework", status="given", recorded_on=DOB, recorded_by=by, agency=agency
            )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kept_kinds=st.lists(st.sampled_from(KINDS), max_size=8),
    merged_kinds=st.lists(st.sampled_from(KINDS), max_size=8),
    kept_dob=st.booleans(),
    merged_dob=st.booleans(),
)
def test_merge_then_unmerge_gives_back_exactly_the_rows_each_person_had(
    police: Agency,
    probation: Agency,
    housing: Agency,
    sergeant: User,
    kept_kinds: list[str],
    merged_kinds: list[str],
    kept_dob: bool,
    merged_dob: bool,
) -> None:
    with transaction.atomic():
        kept = create_record(
            agency=police, reference="K", given_name="Jon", surname="Smith", date_of_birth=DOB if kept_dob else None
        )
        merged = create_record(
            agency=probation,
            reference="M",
            given_name="John",
            surname="Smith",
            date_of_birth=dt.date(1990, 1, 1) if merged_dob else None,
            ethnicity="W1",
        )
        _offence(create_record(agency=police, reference="X", given_name="Al", surname="Brown"), police, "VICTIM-OF")
        _give(kept, kept_kinds, police, housing, sergeant, "k")
        _give(merged, merged_kinds, probation, housing, sergeant, "m")
        before = (rows_about(kept), rows_about(merged))

        merge = merge_people(kept=kept, merged=merged, by=sergeant, cause=Merge.Cause.REVIEW)
        assert rows_about(merged).keys() == {("people.Person", "self", str(merged.pk))}
        unmerge(merge=merge, by=sergeant, reason="Property test")

        assert (rows_about(kept), rows_about(merged)) == before
        transaction.set_rollback(True)
