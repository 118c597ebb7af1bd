"""Which incidents fall in a problem's place: by area code, by street, inside a boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pathways.accounts.models import Agency, User
from pathways.imports.models import ImportBatch, ImportKind
from pathways.offending.models import Offence
from pathways.people.models import Person
from pathways.problems.models import Area, AreaKind, StreetCrime
from pathways.problems.places import OFFENCES, STREET_CRIME, Place, incidents

pytestmark = pytest.mark.django_db

SQUARE = {"type": "Polygon", "coordinates": [[[-2.5, 50.7], [-2.4, 50.7], [-2.4, 50.8], [-2.5, 50.8], [-2.5, 50.7]]]}


def _offence(
    person: Person, police: Agency, ref: str, *, area: str = "", lon: float | None = None, lat: float | None = None
) -> Offence:
    return Offence.objects.create(
        person=person,
        agency=police,
        reference=ref,
        offence_date=dt.date(2026, 3, 5),
        offence_code="0001",
        offence_group="theft",
        area=area,
        longitude=Decimal(str(lon)) if lon is not None else None,
        latitude=Decimal(str(lat)) if lat is not None else None,
    )


def _street_crime(
    police: Agency, police_admin: User, key: str, *, location: str, lon: float, lat: float
) -> StreetCrime:
    batch = ImportBatch.objects.create(
        agency=police, kind=ImportKind.STREET_CRIME, filename="x.csv", sha256=key, status="imported"
    )
    return StreetCrime.objects.create(
        row_key=key,
        crime_id=key,
        month=dt.date(2026, 3, 1),
        reported_by="Wessex Police",
        falls_within="Wessex Police",
        longitude=Decimal(str(lon)),
        latitude=Decimal(str(lat)),
        location=location,
        crime_type="Shoplifting",
        batch=batch,
    )


def test_an_offence_is_in_a_place_by_its_area_code_or_a_point_inside_the_areas_boundary(police, known_offender):
    Area.objects.create(code="WX1", name="Casterbridge centre", kind=AreaKind.POSTCODE_DISTRICT, boundary=SQUARE)
    _offence(known_offender, police, "by-code", area="WX1")
    _offence(known_offender, police, "inside", lon=-2.45, lat=50.75)
    _offence(known_offender, police, "outside", area="WX9", lon=-1.9, lat=50.72)
    found = incidents(Place.of_areas(["WX1"]), dt.date(2026, 1, 1), dt.date(2026, 12, 31), source=OFFENCES)
    assert sorted(i.reference for i in found) == ["by-code", "inside"]


def test_a_street_crime_is_in_a_place_by_its_street_or_a_drawn_boundary(police, police_admin):
    _street_crime(police, police_admin, "a", location="On or near High Street", lon=-1.0, lat=51.0)
    _street_crime(police, police_admin, "b", location="On or near Mill Lane", lon=-2.45, lat=50.75)
    _street_crime(police, police_admin, "c", location="On or near Mill Lane", lon=-1.5, lat=51.5)
    by_street = incidents(
        Place(streets=("High Street",)), dt.date(2026, 3, 1), dt.date(2026, 3, 31), source=STREET_CRIME
    )
    drawn = incidents(Place(boundary=SQUARE), dt.date(2026, 3, 1), dt.date(2026, 3, 31), source=STREET_CRIME)
    assert [i.reference for i in by_street] == ["a"]
    assert [i.reference for i in drawn] == ["b"]
