"""A problem's place, and the incidents that happened in it.

A place is any union of: areas by code (an incident recorded with that area's code, or with a
point inside that area's boundary), a set of streets (matched against where police.uk says a
crime was, "On or near High Street"), and a boundary drawn on the map. Scanning counts the
incidents in a place; assessment counts them in the problem's place, a comparison area and the
areas around the place.

Incidents come from one source at a time — the partnership's own offences, or police.uk
street-level crime — never both added together: police.uk publishes the same crimes the police
send the partnership, so adding them would count each crime twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from pathways.offending.models import Offence
from pathways.offending.reference import OffenceGroup
from pathways.problems.models import Area, Problem, StreetCrime

OFFENCES = "offences"
STREET_CRIME = "street_crime"
SOURCES = {OFFENCES: "The partnership's offences", STREET_CRIME: "police.uk street-level crime"}


@dataclass(frozen=True)
class Incident:
    source: str
    reference: str
    on: dt.date  # the offence date; for police.uk, the first day of the month
    time: dt.time | None  # offences only, where the police recorded it
    kind: str  # the offence group's label, or the police.uk crime type
    area_code: str
    location: str
    longitude: float | None
    latitude: float | None
    person_id: uuid.UUID | None = None  # the offender (offences only)
    victim_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class Place:
    area_codes: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()
    boundary: dict[str, Any] | None = None  # a GeoJSON geometry
    _shape: list[BaseGeometry | None] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def of_problem(cls, problem: Problem) -> Place:
        return cls(tuple(problem.area_codes or ()), tuple(problem.streets or ()), problem.boundary or None)

    @classmethod
    def of_areas(cls, codes: Iterable[str]) -> Place:
        return cls(area_codes=tuple(codes))

    @property
    def is_empty(self) -> bool:
        return not (self.area_codes or self.streets or self.boundary)

    def describe(self) -> str:
        parts = []
        if self.area_codes:
            parts.append("areas " + ", ".join(self.area_codes))
        if self.streets:
            parts.append("streets " + ", ".join(self.streets))
        if self.boundary:
            parts.append("a drawn boundary")
        return "; ".join(parts) or "no place"

    def shape(self) -> BaseGeometry | None:
        """The union of the areas' boundaries and the drawn boundary, where any are known."""
        if not self._shape:
            geoms = [shape(a.boundary) for a in Area.objects.filter(code__in=self.area_codes) if a.boundary]
            if self.boundary:
                geoms.append(shape(self.boundary))
            self._shape.append(shapely.union_all(geoms) if geoms else None)
        return self._shape[0]

    def contains(self, incident: Incident) -> bool:
        if incident.area_code and incident.area_code in self.area_codes:
            return True
        location = incident.location.lower()
        if location and any(street.lower() in location for street in self.streets):
            return True
        outline = self.shape()
        if outline is not None and incident.longitude is not None and incident.latitude is not None:
            return bool(shapely.contains_xy(outline, incident.longitude, incident.latitude))
        return False


_GROUP_LABELS = dict(OffenceGroup.choices)


def _offences(start: dt.date, end: dt.date, bounds: tuple[float, float, float, float] | None, place: Place):
    rows = Offence.objects.filter(offence_date__gte=start, offence_date__lte=end)
    from django.db.models import Q

    where = Q(area__in=place.area_codes) if place.area_codes else Q(pk__in=[])
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        where |= Q(longitude__gte=minx, longitude__lte=maxx, latitude__gte=miny, latitude__lte=maxy)
    rows = rows.filter(where).prefetch_related("offencevictim_set")
    for o in rows.iterator(chunk_size=2000):
        yield Incident(
            source=OFFENCES,
            reference=o.reference,
            on=o.offence_date,
            time=o.offence_time,
            kind=_GROUP_LABELS.get(o.offence_group, o.offence_group),
            area_code=o.area,
            location="",
            longitude=float(o.longitude) if o.longitude is not None else None,
            latitude=float(o.latitude) if o.latitude is not None else None,
            person_id=o.person_id,
            victim_ids=tuple(v.person_id for v in o.offencevictim_set.all()),
        )


def _street_crimes(start: dt.date, end: dt.date, bounds: tuple[float, float, float, float] | None, place: Place):
    from django.db.models import Q

    rows = StreetCrime.objects.filter(month__gte=start.replace(day=1), month__lte=end)
    where = Q(lsoa_code__in=place.area_codes) if place.area_codes else Q(pk__in=[])
    for street in place.streets:
        where |= Q(location__icontains=street)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        where |= Q(longitude__gte=minx, longitude__lte=maxx, latitude__gte=miny, latitude__lte=maxy)
    for c in rows.filter(where).iterator(chunk_size=2000):
        yield Incident(
            source=STREET_CRIME,
            reference=c.crime_id,
            on=c.month,
            time=None,
            kind=c.crime_type,
            area_code=c.lsoa_code,
            location=c.location,
            longitude=float(c.longitude) if c.longitude is not None else None,
            latitude=float(c.latitude) if c.latitude is not None else None,
        )


def incidents(
    place: Place,
    start: dt.date,
    end: dt.date,
    *,
    source: str = OFFENCES,
    kinds: Iterable[str] = (),
) -> list[Incident]:
    """Every incident of `source` in `place` between `start` and `end` (inclusive), of the
    given kinds (offence group labels or police.uk crime types; none means all)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    if place.is_empty:
        return []
    outline = place.shape()
    bounds = outline.bounds if outline is not None else None
    read = _offences if source == OFFENCES else _street_crimes
    wanted = set(kinds)
    return [i for i in read(start, end, bounds, place) if place.contains(i) and (not wanted or i.kind in wanted)]
