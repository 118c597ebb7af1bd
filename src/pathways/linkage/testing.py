"""Small helpers for linkage tests: pairs of records as an import leaves them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pathways.accounts.models import Agency, User
from pathways.linkage.models import LinkageModel, ReviewPair, SourceRecord
from pathways.people.models import Person, PersonIdentifier, PersonName
from pathways.people.names import given_name_key, surname_key
from pathways.people.reference import IdentifierKind
from pathways.testing import create_person_row, load, person_by_reference

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
    *, agency: Agency, reference: str, given_name: str, surname: str, date_of_birth: dt.date | None, by: User | None
) -> SourceRecord:
    """A person and the one record an agency holds of them, as a people import leaves them
    (written directly, so that no linkage runs)."""
    person = Person.objects.create(given_name=given_name, surname=surname, date_of_birth=date_of_birth, sex="M")
    PersonName.objects.create(
        person=person,
        given_name=given_name,
        surname=surname,
        agency=agency,
        surname_key=surname_key(surname),
        given_key=given_name_key(given_name),
    )
    PersonIdentifier.objects.create(person=person, kind=IdentifierKind.AGENCY_REFERENCE, agency=agency, value=reference)
    from pathways.access.models import AgencyRecord

    AgencyRecord.objects.create(person=person, agency=agency, basis=AgencyRecord.Basis.HOLDS_RECORD)
    return SourceRecord.objects.create(
        person=person,
        agency=agency,
        reference=reference,
        given_name=given_name,
        surname=surname,
        date_of_birth=date_of_birth,
        sex="M",
        postcode="WX9 9ZZ",
        address_1="4 Quay Street",
        town="Casterbridge",
    )


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
        by=by,
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
