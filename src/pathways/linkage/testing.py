"""Small helpers for linkage tests: one agency's record of a person, written straight to the
tables so that no linking on import decides for the test whether two records are one person;
a pair of records waiting for review."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from pathways.access.models import AgencyRecord
from pathways.accounts.models import Agency, User
from pathways.linkage.models import LinkageModel, ReviewPair, SourceRecord
from pathways.people.models import Address, Person, PersonIdentifier, PersonName
from pathways.people.names import given_name_key, surname_key
from pathways.testing import create_person_row, load, person_by_reference


def create_name(person: Person, given_name: str, surname: str, *, agency: Agency | None, is_alias: bool) -> PersonName:
    return PersonName.objects.create(
        person=person,
        given_name=given_name,
        surname=surname,
        is_alias=is_alias,
        surname_key=surname_key(surname),
        given_key=given_name_key(given_name),
        agency=agency,
    )


def create_record(
    *,
    agency: Agency,
    reference: str,
    given_name: str,
    surname: str,
    date_of_birth: dt.date | None = None,
    sex: str = "U",
    ethnicity: str = "NS",
    address_1: str = "12 Mill Lane",
    town: str = "Casterbridge",
    postcode: str = "WX1 2AB",
) -> Person:
    """A person known to `agency` by `reference`: their name, reference, address, the agency's
    reason to see them and its source record."""
    person = Person.objects.create(
        given_name=given_name, surname=surname, date_of_birth=date_of_birth, sex=sex, ethnicity=ethnicity
    )
    create_name(person, given_name, surname, agency=agency, is_alias=False)
    PersonIdentifier.objects.create(person=person, kind="agency_ref", agency=agency, value=reference)
    Address.objects.create(person=person, agency=agency, address_1=address_1, town=town, postcode=postcode)
    AgencyRecord.objects.create(person=person, agency=agency, basis=AgencyRecord.Basis.HOLDS_RECORD)
    SourceRecord.objects.create(
        person=person,
        agency=agency,
        reference=reference,
        given_name=given_name,
        surname=surname,
        date_of_birth=date_of_birth,
        sex=sex,
        address_1=address_1,
        town=town,
        postcode=postcode,
    )
    return person


def rows_about(person: Person) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every row that points at `person`, in any app, with its values (bar `updated_at`): what a
    merge then an unmerge must give back exactly."""
    from pathways.linkage.merging import person_links

    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for link in person_links():
        for row in link.rows(person):
            found[(link.label, link.field.name, str(row.pk))] = {
                f.attname: getattr(row, f.attname)
                for f in row._meta.concrete_fields
                if f.name != "updated_at" and not isinstance(f, models.AutoField)
            }
    fresh = Person.objects.get(pk=person.pk)
    found[("people.Person", "self", str(person.pk))] = {
        f: getattr(fresh, f) for f in ("given_name", "surname", "date_of_birth", "sex", "ethnicity", "merged_into_id")
    }
    return found


# One comparison list in the shape the engine gives (docs/linkage.md, engine contract).
COMPARISON: list[dict[str, Any]] = [
    {
        "comparison": "given_name",
        "level": "Close spelling or a known short form",
        "left": "Jon",
        "right": "Jonathan",
        "agrees": False,
        "match_weight": 2.1,
    },
    {
        "comparison": "surname",
        "level": "Exact match",
        "left": "smith",
        "right": "smith",
        "agrees": True,
        "match_weight": 4.3,
    },
    {
        "comparison": "date_of_birth",
        "level": "Day and month swapped",
        "left": "1998-12-04",
        "right": "1998-04-12",
        "agrees": False,
        "match_weight": 1.2,
    },
    {
        "comparison": "postcode",
        "level": "All other comparisons",
        "left": "WX9 9ZZ",
        "right": "WX1 2AB",
        "agrees": False,
        "match_weight": -3.6,
    },
    {
        "comparison": "pnc_id",
        "level": "Missing on either side",
        "left": "",
        "right": "",
        "agrees": None,
        "match_weight": 0.0,
    },
]


def create_held_record(
    *, agency: Agency, reference: str, given_name: str, surname: str, date_of_birth: dt.date | None
) -> SourceRecord:
    """One agency's record of a man at 4 Quay Street, written straight to the tables."""
    person = create_record(
        agency=agency,
        reference=reference,
        given_name=given_name,
        surname=surname,
        date_of_birth=date_of_birth,
        sex="M",
        address_1="4 Quay Street",
        postcode="WX9 9ZZ",
    )
    return SourceRecord.objects.get(person=person, agency=agency, reference=reference)


def create_pair(
    *, police: Agency, probation: Agency, by: User | None, probability: float = 0.82, reference: str = "PR1"
) -> ReviewPair:
    """The police's Jonathan Smith (imported), and probation's Jon Smith, waiting for review."""
    if not SourceRecord.objects.filter(agency=police, reference="P1").exists():
        load("people", [create_person_row()], agency=police, by=by)
    held = SourceRecord.objects.get(agency=police, reference="P1")
    assert held.person_id == person_by_reference(police, "P1").pk
    arrived = create_held_record(
        agency=probation,
        reference=reference,
        given_name="Jon",
        surname="Smith",
        date_of_birth=dt.date(1998, 12, 4),
    )
    model = LinkageModel.objects.filter(is_active=True).first() or LinkageModel.objects.create(
        version=1, splink_settings={}, is_active=True
    )
    return ReviewPair.objects.create(
        record=arrived,
        candidate=held,
        match_probability=probability,
        match_weight=2.6,
        comparison=COMPARISON,
        model=model,
    )
