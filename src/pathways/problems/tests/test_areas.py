"""Area boundaries: an ONS GeoJSON file loads whole or not at all, neighbours are the areas
whose boundaries touch, and the demo county's districts tile it without gaps or overlaps."""

from __future__ import annotations

import json

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pathways.problems.areas import area_neighbours, areas_import_geojson, neighbours_of_every_area
from pathways.problems.demo_geography import (
    county_outline,
    demo_areas_create,
    demo_districts,
    demo_lsoas,
    district_centres,
    synthetic_street_crime_csv,
)
from pathways.problems.models import Area, AreaKind, StreetCrime
from pathways.problems.streetcrime import street_crime_import
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db


def _square(x: float, y: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
    }


def _collection(*features: tuple[dict, dict]) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
        }
    ).encode()


# Three squares in a row (A touches B, B touches C) and one far away.
ROW = _collection(
    ({"LSOA21CD": "E01000001", "LSOA21NM": "Town 001A"}, _square(-2.0, 50.0)),
    ({"LSOA21CD": "E01000002", "LSOA21NM": "Town 001B"}, _square(-1.99, 50.0)),
    ({"code": "E01000003", "name": "Town 001C"}, _square(-1.98, 50.0)),
    ({"LSOA21CD": "E01000004", "LSOA21NM": "Town 002A"}, _square(-1.5, 50.0)),
)


def test_an_ons_file_loads_and_neighbours_are_the_areas_that_touch(police_admin):
    assert areas_import_geojson(data=ROW, kind=AreaKind.LSOA, by=police_admin) == 4
    assert Area.objects.get(code="E01000001").name == "Town 001A"
    assert area_neighbours("E01000002") == ["E01000001", "E01000003"]
    assert area_neighbours("E01000001") == ["E01000002"]
    assert area_neighbours("E01000004") == []
    assert neighbours_of_every_area()["E01000003"] == ["E01000002"]
    # The same file again changes nothing.
    assert areas_import_geojson(data=ROW, kind=AreaKind.LSOA, by=police_admin) == 0


def test_an_invalid_boundary_is_refused_by_its_feature_index_and_nothing_is_saved(police_admin):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    data = _collection(
        ({"code": "A1", "name": "Fine"}, _square(0, 0)),
        ({"code": "A2", "name": "Bow tie"}, bowtie),
        ({"name": "No code"}, _square(2, 2)),
    )
    with pytest.raises(ValidationError) as refused:
        areas_import_geojson(data=data, kind=AreaKind.WARD, by=police_admin)
    messages = refused.value.message_dict["file"]
    assert any(m.startswith("Feature 1 (A2)") and "not a valid shape" in m for m in messages)
    assert any(m.startswith("Feature 2") and "no code" in m for m in messages)
    assert not Area.objects.exists()


def test_only_keepers_reach_the_areas_page_and_it_loads_a_file(police_admin, officer):
    url = reverse("problems:areas")
    assert signed_in_client(officer).get(url).status_code == 403
    client = signed_in_client(police_admin)
    response = client.post(url, {"kind": AreaKind.LSOA, "file": SimpleUploadedFile("lsoa.geojson", ROW)}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "E01000002" in page and "E01000001, E01000003" in page
    bad = client.post(url, {"kind": AreaKind.LSOA, "file": SimpleUploadedFile("x.geojson", b"{")})
    assert "not GeoJSON" in bad.content.decode()


def test_the_demo_districts_tile_the_county_each_around_its_own_centre():
    districts = demo_districts()
    assert [d.code for d in districts] == [f"WX{n}" for n in range(1, 21)]
    county = county_outline()
    union = shapely.union_all([d.boundary for d in districts])
    assert union.symmetric_difference(county).area < 1e-9
    assert sum(d.boundary.area for d in districts) == pytest.approx(county.area)
    centres = district_centres()
    for d in districts:
        lat, lon = centres[d.code]
        assert d.boundary.is_valid and shapely.contains_xy(d.boundary, lon, lat)
    assert len(set(centres.values())) == 20
    lsoas = demo_lsoas()
    assert len(lsoas) == 60 and lsoas[0].code == "E01990001" and lsoas[0].name == "Casterbridge 001A"


def test_demo_areas_are_created_with_neighbours():
    assert demo_areas_create() == 80
    assert demo_areas_create() == 80  # again: nothing doubles
    assert Area.objects.filter(kind=AreaKind.POSTCODE_DISTRICT).count() == 20
    assert {"WX2", "WX4"} <= set(area_neighbours("WX1"))
    assert "WX19" not in area_neighbours("WX1")  # Christminster is far from Casterbridge


def test_the_synthetic_street_crime_file_loads_with_points_in_their_areas(police, police_admin):
    text = synthetic_street_crime_csv(month="2026-03", seed=7, areas=demo_lsoas())
    assert text == synthetic_street_crime_csv(month="2026-03", seed=7, areas=demo_lsoas())  # seeded
    batch = street_crime_import(data=text.encode(), filename="wessex.csv", agency=police, by=police_admin)
    assert batch.status == "imported", batch.errors
    crimes = list(StreetCrime.objects.all())
    assert len(crimes) > 300
    assert {c.falls_within for c in crimes} == {"Wessex Police"}
    outlines = {a.code: a.boundary for a in demo_lsoas()}
    assert all(outlines[c.lsoa_code].contains(shapely.Point(float(c.longitude), float(c.latitude))) for c in crimes)
    asb = [c for c in crimes if c.crime_type == "Anti-social behaviour"]
    assert asb and all(c.crime_id == "" for c in asb)
    assert len({c.crime_type for c in crimes}) >= 10


def test_the_demo_loads_months_of_street_crime_through_the_importer(police):
    import datetime as dt

    from pathways.imports.models import ImportBatch
    from pathways.problems.demo_geography import demo_street_crime_load

    held = demo_street_crime_load(agency=police, seed=3, today=dt.date(2026, 4, 15), months=2)
    assert held == StreetCrime.objects.count() > 600
    assert sorted(ImportBatch.objects.values_list("filename", flat=True)) == [
        "2026-02-wessex-street.csv",
        "2026-03-wessex-street.csv",
    ]
    assert {m.isoformat() for m in StreetCrime.objects.values_list("month", flat=True)} == {"2026-02-01", "2026-03-01"}
