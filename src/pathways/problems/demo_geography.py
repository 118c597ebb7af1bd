"""The demo county's geography: boundaries for the postcode districts WX1–WX20 and the LSOAs
inside them, and a month of police.uk street-level crime for it.

Nothing here is real. Each district has its own centre, a fixed offset from its town's centre
(`demo.population.TOWNS`); its boundary is its Voronoi cell among all the districts' centres,
clipped to the county outline (the towns' surroundings joined together). Each district holds
three LSOAs, cut the same way around points near the district's centre. Geometry is worked in a
plane where a kilometre east is as long as a kilometre north (longitude scaled by the cosine of
the county's latitude), so cells are not stretched.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from pathways.demo.population import STREETS, TOWNS
from pathways.problems.models import Area, AreaKind
from pathways.problems.streetcrime import ASB, HEADER

_LATITUDE = 51.0
_SCALE = math.cos(math.radians(_LATITUDE))  # a degree of longitude, in degrees of latitude
# How far a district's centre sits from its town's (degrees of latitude, about 2 km), and how
# far a town's surroundings reach (about 9 km).
_DISTRICT_OFFSET = 0.018
_TOWN_REACH = 0.08
_LSOA_OFFSET = 0.006
LSOAS_PER_DISTRICT = 3
FORCE = "Wessex Police"


@dataclass(frozen=True)
class DemoArea:
    code: str
    name: str
    kind: str
    town: str
    boundary: BaseGeometry  # longitude, latitude
    weight: float = 1.0  # the district's deprivation weight: crime is commoner where it is higher
    centre: tuple[float, float] = (0.0, 0.0)  # latitude, longitude: where its streets are densest


def _to_plane(geometry: BaseGeometry) -> BaseGeometry:
    return affinity.scale(geometry, xfact=_SCALE, yfact=1.0, origin=(0, 0))


def _from_plane(geometry: BaseGeometry) -> BaseGeometry:
    return affinity.scale(geometry, xfact=1 / _SCALE, yfact=1.0, origin=(0, 0))


def district_centres() -> dict[str, tuple[float, float]]:
    """Each district's centre (latitude, longitude): its town's centre moved a fixed distance in
    a direction of its own, the districts of a town spread evenly around it."""
    centres = {}
    for _town, districts, (lat, lon) in TOWNS:
        for k, (code, _weight) in enumerate(districts):
            if len(districts) == 1:
                centres[code] = (lat, lon)
                continue
            angle = 2 * math.pi * k / len(districts) + 0.4
            centres[code] = (
                round(lat + _DISTRICT_OFFSET * math.sin(angle), 5),
                round(lon + _DISTRICT_OFFSET * math.cos(angle) / _SCALE, 5),
            )
    return centres


def county_outline() -> BaseGeometry:
    """The towns' surroundings joined together (longitude, latitude)."""
    discs = [Point(lon * _SCALE, lat).buffer(_TOWN_REACH, quad_segs=16) for _t, _d, (lat, lon) in TOWNS]
    return _from_plane(shapely.union_all(discs))


def _cells(points: dict[str, tuple[float, float]], clip: BaseGeometry) -> dict[str, BaseGeometry]:
    """Voronoi cells of the points (latitude, longitude), clipped; by the points' keys."""
    codes = list(points)
    planar = {c: Point(points[c][1] * _SCALE, points[c][0]) for c in codes}
    clip_plane = _to_plane(clip)
    regions = shapely.voronoi_polygons(MultiPoint(list(planar.values())), extend_to=clip_plane.envelope.buffer(1))
    cells = {}
    for code in codes:
        region = next(r for r in regions.geoms if r.contains(planar[code]))
        cells[code] = _from_plane(region.intersection(clip_plane))
    return cells


@cache
def demo_districts() -> tuple[DemoArea, ...]:
    centres = district_centres()
    cells = _cells(centres, county_outline())
    return tuple(
        DemoArea(
            code, f"{town} {code}", AreaKind.POSTCODE_DISTRICT, town, cells[code].normalize(), weight, centres[code]
        )
        for town, districts, _centre in TOWNS
        for code, weight in districts
    )


@cache
def demo_lsoas() -> tuple[DemoArea, ...]:
    """Three LSOAs in each district, coded E0199nnnn and named as ONS names them: the town,
    the district's number within it, and a letter ("Casterbridge 001A")."""
    centres = district_centres()
    serial = 0
    found = []
    for district in demo_districts():
        lat, lon = centres[district.code]
        number = [c for c, _ in next(d for t, d, _ in TOWNS if t == district.town)].index(district.code) + 1
        points = {}
        for k in range(LSOAS_PER_DISTRICT):
            angle = 2 * math.pi * k / LSOAS_PER_DISTRICT + 1.1
            points[chr(65 + k)] = (lat + _LSOA_OFFSET * math.sin(angle), lon + _LSOA_OFFSET * math.cos(angle) / _SCALE)
        for letter, cell in _cells(points, district.boundary).items():
            serial += 1
            found.append(
                DemoArea(
                    f"E0199{serial:04d}",
                    f"{district.town} {number:03d}{letter}",
                    AreaKind.LSOA,
                    district.town,
                    cell.normalize(),
                    district.weight,
                    points[letter],
                )
            )
    return tuple(found)


@cache
def district_shapes() -> dict[str, BaseGeometry]:
    """Prepared district boundaries by code, for placing the demo's offences inside them."""
    shapes = {d.code: d.boundary for d in demo_districts()}
    for s in shapes.values():
        shapely.prepare(s)
    return shapes


def demo_areas_create() -> int:
    """Create (or bring up to date) the demo's districts and LSOAs; returns how many areas there are."""
    everything = [*demo_districts(), *demo_lsoas()]
    for area in everything:
        Area.objects.update_or_create(
            code=area.code,
            defaults={"name": area.name, "kind": area.kind, "boundary": _geojson(area.boundary)},
        )
    return len(everything)


def _geojson(geometry: BaseGeometry) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(mapping(geometry)))


# police.uk's mix of types in a county force's month (roughly: ASB and violence lead).
TYPE_SHARES: dict[str, float] = {
    ASB: 0.27,
    "Violence and sexual offences": 0.30,
    "Criminal damage and arson": 0.07,
    "Shoplifting": 0.07,
    "Other theft": 0.06,
    "Public order": 0.07,
    "Vehicle crime": 0.04,
    "Burglary": 0.03,
    "Drugs": 0.02,
    "Other crime": 0.02,
    "Bicycle theft": 0.015,
    "Possession of weapons": 0.01,
    "Theft from the person": 0.01,
    "Robbery": 0.005,
}
OUTCOMES = [
    ("Investigation complete; no suspect identified", 0.40),
    ("Unable to prosecute suspect", 0.25),
    ("Under investigation", 0.10),
    ("Court result unavailable", 0.05),
    ("Awaiting court outcome", 0.05),
    ("Local resolution", 0.04),
    ("Offender given a caution", 0.03),
    ("Further investigation is not in the public interest", 0.03),
    ("Action to be taken by another organisation", 0.03),
    ("Formal action is not in the public interest", 0.02),
]


def _point_in(rng: np.random.Generator, outline: BaseGeometry, centre: tuple[float, float]) -> tuple[float, float]:
    """A point inside the outline, most often near its centre (where the streets are): a
    boundary cut from open country holds few crimes far out."""
    lat, lon = centre
    for _ in range(200):
        x, y = lon + rng.normal(0, 0.006 / _SCALE), lat + rng.normal(0, 0.006)
        if shapely.contains_xy(outline, x, y):
            return x, y
    point = outline.representative_point()
    return point.x, point.y


def synthetic_street_crime_csv(*, month: str, seed: int, areas: Any = None, per_area: float = 12.0) -> str:
    """A police.uk street-level crime file for Wessex Police for one month ("YYYY-MM"): each LSOA
    a number of crimes in proportion to its district's deprivation weight, at points inside its
    boundary, "On or near" a street, anti-social behaviour without a Crime ID. `areas` are the
    LSOAs (Area rows or `DemoArea`s; the demo's own when not given)."""
    chosen = list(areas) if areas is not None else list(demo_lsoas())
    known = {a.code: a for a in demo_lsoas()}
    rng = np.random.default_rng([seed, int(month.replace("-", ""))])
    types = list(TYPE_SHARES)
    type_p = np.array(list(TYPE_SHARES.values()))
    type_p /= type_p.sum()
    outcome_p = np.array([p for _, p in OUTCOMES])
    outcome_p /= outcome_p.sum()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for area in chosen:
        outline = area.boundary if isinstance(area, DemoArea) else shape(area.boundary)
        demo = known.get(area.code)
        if demo is not None:
            weight, centre = demo.weight, demo.centre
        else:
            point = outline.representative_point()
            weight, centre = 1.0, (point.y, point.x)
        count = int(rng.poisson(per_area * weight))
        for _ in range(count):
            crime_type = types[int(rng.choice(len(types), p=type_p))]
            lon, lat = _point_in(rng, outline, centre)
            street = STREETS[int(rng.integers(len(STREETS)))]
            if crime_type == ASB:
                crime_id, outcome = "", ""
            else:
                crime_id = hashlib.sha256(rng.bytes(16)).hexdigest()
                outcome = OUTCOMES[int(rng.choice(len(OUTCOMES), p=outcome_p))][0]
            writer.writerow(
                [
                    crime_id,
                    month,
                    FORCE,
                    FORCE,
                    f"{lon:.6f}",
                    f"{lat:.6f}",
                    f"On or near {street}",
                    area.code,
                    area.name,
                    crime_type,
                    outcome,
                    "",
                ]
            )
    return out.getvalue()


def demo_street_crime_load(*, agency: Any, seed: int, today: dt.date, months: int = 24) -> int:
    """Load the last `months` whole months of synthetic police.uk files for the demo's force
    (through the real importer, as an analyst would); returns how many crimes are held."""
    from pathways.imports.models import ImportBatch
    from pathways.problems.models import StreetCrime
    from pathways.problems.streetcrime import street_crime_import

    month = today.replace(day=1)
    for _ in range(months):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        label = month.strftime("%Y-%m")
        batch = street_crime_import(
            data=synthetic_street_crime_csv(month=label, seed=seed).encode(),
            filename=f"{label}-wessex-street.csv",
            agency=agency,
            by=None,
            via="demo",
        )
        assert batch.status == ImportBatch.Status.IMPORTED, batch.errors[:3]
    return StreetCrime.objects.count()
