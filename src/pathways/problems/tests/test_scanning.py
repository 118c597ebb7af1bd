"""Scanning a place: counts by month (empty months too), kind, weekday and hour; the hex map's
cells hold every incident with a map point exactly once; the page is the problem's partners'."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import h3
import pytest
import shapely
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, shape

from pathways.access.models import AuditEvent
from pathways.accounts.models import Role
from pathways.imports.models import ImportBatch, ImportKind
from pathways.offending.models import Offence
from pathways.problems.hexmap import hex_map_svg
from pathways.problems.models import Area, AreaKind, StreetCrime
from pathways.problems.places import OFFENCES, STREET_CRIME, Incident, Place
from pathways.problems.scanning import hex_cells, months_between, resolution_for, scan
from pathways.problems.testing import create_problem
from pathways.testing import signed_in_client

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-2.45, 50.71], [-2.43, 50.71], [-2.43, 50.72], [-2.45, 50.72], [-2.45, 50.71]]],
}
# A Monday, a Tuesday and a Saturday in March; one in May; none in April.
OFFENCES_KNOWN = [
    ("T1", dt.date(2026, 3, 2), dt.time(14, 30), "theft", -2.44, 50.715),
    ("T2", dt.date(2026, 3, 3), dt.time(14, 5), "theft", -2.441, 50.7151),
    ("V1", dt.date(2026, 3, 7), dt.time(23, 50), "violence", -2.435, 50.718),
    ("V2", dt.date(2026, 5, 9), None, "violence", None, None),
]


@pytest.fixture
def wx1(db):
    return Area.objects.create(code="WX1", name="Casterbridge WX1", kind=AreaKind.POSTCODE_DISTRICT, boundary=SQUARE)


@pytest.fixture
def offences(wx1, known_offender, police):
    for ref, on, at, group, lon, lat in OFFENCES_KNOWN:
        Offence.objects.create(
            person=known_offender,
            agency=police,
            reference=ref,
            offence_date=on,
            offence_time=at,
            offence_code="0001",
            offence_group=group,
            area="WX1",
            longitude=Decimal(str(lon)) if lon is not None else None,
            latitude=Decimal(str(lat)) if lat is not None else None,
        )
    # Elsewhere: not counted.
    Offence.objects.create(
        person=known_offender,
        agency=police,
        reference="X1",
        offence_date=dt.date(2026, 3, 2),
        offence_code="0001",
        offence_group="theft",
        area="WX9",
        longitude=Decimal("-1.9"),
        latitude=Decimal("50.7"),
    )


@pytest.mark.django_db
def test_counts_by_month_kind_weekday_and_hour(offences):
    result = scan(Place.of_areas(["WX1"]), dt.date(2026, 3, 1), dt.date(2026, 5, 31), source=OFFENCES)
    assert result.total == 4
    assert [(m.month, n) for m, n in result.by_month] == [(3, 3), (4, 0), (5, 1)]
    assert result.by_kind == [("Theft offences", 2), ("Violence against the person", 2)]
    assert dict(result.by_weekday or []) == {
        "Monday": 1,
        "Tuesday": 1,
        "Wednesday": 0,
        "Thursday": 0,
        "Friday": 0,
        "Saturday": 2,
        "Sunday": 0,
    }
    hours = dict(result.by_hour or [])
    assert (hours[14], hours[23], sum(hours.values())) == (2, 1, 3)
    assert (result.timed, result.untimed, result.untimed_share) == (3, 1, 0.25)
    assert result.top_locations == [("WX1", 4)]
    theft = scan(Place.of_areas(["WX1"]), dt.date(2026, 3, 1), dt.date(2026, 5, 31), kinds=["Theft offences"])
    assert theft.total == 2


@pytest.mark.django_db
def test_the_hex_map_cells_add_up_to_the_incidents_with_coordinates(offences):
    result = scan(Place.of_areas(["WX1"]), dt.date(2026, 3, 1), dt.date(2026, 5, 31))
    assert result.with_coordinates == 3
    assert sum(c.count for c in result.cells) == 3
    # The cells cover the place, empty ones included, and the two thefts share a cell.
    assert len(result.cells) > 10 and max(c.count for c in result.cells) == 2
    svg = hex_map_svg(result.cells, Place.of_areas(["WX1"]).shape())
    assert svg.startswith("<svg") and svg.count("<path") == len(result.cells) + 1
    assert "<title>2 incidents</title>" in svg and "style=" not in svg


@pytest.mark.django_db
def test_police_uk_has_no_days_or_hours(wx1, police, police_admin):
    batch = ImportBatch.objects.create(
        agency=police, kind=ImportKind.STREET_CRIME, filename="x.csv", sha256="0", status="imported"
    )
    StreetCrime.objects.create(
        row_key="k1",
        crime_id="k1",
        month=dt.date(2026, 3, 1),
        reported_by="Wessex Police",
        falls_within="Wessex Police",
        longitude=Decimal("-2.44"),
        latitude=Decimal("50.715"),
        location="On or near Market Place",
        lsoa_code="E01990001",
        crime_type="Shoplifting",
        batch=batch,
    )
    result = scan(Place.of_areas(["WX1"]), dt.date(2026, 1, 1), dt.date(2026, 3, 31), source=STREET_CRIME)
    assert result.total == 1 and result.by_weekday is None and result.by_hour is None
    assert [n for _, n in result.by_month] == [0, 0, 1]
    assert result.top_locations == [("On or near Market Place", 1)]


def test_every_month_of_the_period_is_counted_and_resolution_grows_as_places_shrink():
    assert len(months_between(dt.date(2025, 11, 15), dt.date(2026, 2, 1))) == 4
    assert resolution_for(1000) < resolution_for(50) < resolution_for(1)


_OUTLINE = shape(SQUARE)
_points = st.tuples(st.floats(-2.45, -2.43), st.floats(50.71, 50.72)).filter(
    lambda p: shapely.contains_xy(_OUTLINE, p[0], p[1])
)


@given(st.lists(_points, min_size=1, max_size=60), st.integers(8, 10))
@settings(max_examples=60, deadline=None)
def test_every_incident_with_coordinates_lands_in_exactly_one_cell(points, resolution):
    found = [
        Incident(OFFENCES, f"R{n}", dt.date(2026, 3, 1), None, "Theft offences", "WX1", "", lon, lat)
        for n, (lon, lat) in enumerate(points)
    ]
    cells = hex_cells(found, _OUTLINE, resolution)
    assert sum(c.count for c in cells) == len(found)
    ids = [c.id for c in cells]
    assert len(ids) == len(set(ids))
    for incident in found:
        home = h3.latlng_to_cell(incident.latitude, incident.longitude, resolution)
        assert ids.count(home) == 1
        hexagon = Polygon([(lon, lat) for lat, lon in next(c for c in cells if c.id == home).boundary])
        # On the hexagon, or within a hair of its straight-line edges (H3's edges are great circles).
        assert hexagon.distance(shapely.Point(incident.longitude, incident.latitude)) < 1e-6


@pytest.mark.django_db
def test_the_scanning_page_is_for_the_problems_partners_and_audited(offences, police, officer, housing_worker):
    problem = create_problem(
        owner=officer,
        partners=[],
        period_from=dt.date(2026, 3, 1),
        period_to=dt.date(2026, 5, 31),
    )
    url = reverse("problems:scanning", args=[problem.pk])
    assert signed_in_client(housing_worker).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="refused", object_type="problem", object_id=str(problem.pk)).exists()
    client = signed_in_client(officer)
    page = client.get(url).content.decode()
    assert 'id="scan-total">4 incidents<' in page and "<svg" in page and "scan-cells" in page
    assert "25%" in page  # of the offences have no time of day
    street = client.get(url, {"source": STREET_CRIME, "start": "2026-03-01", "end": "2026-05-31"}).content.decode()
    assert "publishes only the month" in street
    assert AuditEvent.objects.filter(action="read", object_type="problem", object_id=str(problem.pk)).count() == 2
    fragment = client.get(url, {"source": OFFENCES, "start": "2026-03-01", "end": "2026-05-31"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and "scan-total" in fragment.content.decode()


@pytest.mark.django_db
def test_an_analyst_sees_any_problem(offences, officer, make_user, opcc):
    problem = create_problem(owner=officer, partners=[])
    analyst = make_user("scan-analyst", opcc, Role.ANALYST)
    assert signed_in_client(analyst).get(reverse("problems:scanning", args=[problem.pk])).status_code == 200


@pytest.mark.django_db
def test_an_offences_file_may_give_the_time_of_day(police, police_admin):
    from pathways.imports.services import import_file
    from pathways.testing import create_person_row, load

    load("people", [create_person_row()], agency=police, by=police_admin)
    header = "offence_id,person_id,offence_date,offence_time,offence_code,offence_group\n"
    good = header + "C1,P1,2026-03-02,21:45,105A,violence\nC2,P1,2026-03-03,,105A,violence\n"
    report = import_file(kind="offences", agency=police, filename="o.csv", content=good.encode(), by=police_admin)
    assert report.ok, [str(e) for e in report.errors]
    assert Offence.objects.get(reference="C1").offence_time == dt.time(21, 45)
    assert Offence.objects.get(reference="C2").offence_time is None
    bad = header + "C3,P1,2026-03-02,9pm,105A,violence\n"
    refused = import_file(kind="offences", agency=police, filename="b.csv", content=bad.encode(), by=police_admin)
    assert [(e.row, e.column) for e in refused.errors] == [(2, "offence_time")]
