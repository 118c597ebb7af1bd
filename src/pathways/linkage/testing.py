"""Small helpers for linkage tests: one agency's record of a person, written straight to the
tables so that no linking on import decides for the test whether two records are one person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from pathways.access.models import AgencyRecord
from pathways.accounts.models import Agency
from pathways.linkage.models import SourceRecord
from pathways.people.models import Address, Person, PersonIdentifier, PersonName
from pathways.people.names import given_name_key, surname_key


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
