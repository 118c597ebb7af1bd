"""Scanning a place: what happened there, when, and where within it.

Counts the incidents of one source (`places.incidents`) in a period by month (every month of
the period, empty ones included, so a quiet month shows as a dip and not as a gap), by kind, by
weekday and by hour (offences only: police.uk publishes the month of each crime and nothing
finer), the locations with the most, and hexagon cells (H3) covering the place with each cell's
count for the hex map.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import h3
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from pathways.problems.places import OFFENCES, Incident, Place, incidents

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# The hex map aims for about this many cells over the place: enough to see where within it,
# few enough that each cell holds more than one or two incidents.
_CELLS_WANTED = 80
_RESOLUTIONS = range(5, 12)
_KM_PER_DEGREE = 111.32
TOP_LOCATIONS = 10


@dataclass(frozen=True)
class Cell:
    id: str  # the H3 cell
    count: int
    boundary: tuple[tuple[float, float], ...]  # (latitude, longitude) vertices

    @property
    def centre(self) -> str:
        lat, lon = h3.cell_to_latlng(self.id)
        return f"{lat:.4f}, {lon:.4f}"


@dataclass
class Scan:
    place: Place
    start: dt.date
    end: dt.date
    source: str
    kinds: tuple[str, ...]
    total: int
    by_month: list[tuple[dt.date, int]]
    by_kind: list[tuple[str, int]]
    # None for police.uk: it gives the month only.
    by_weekday: list[tuple[str, int]] | None
    by_hour: list[tuple[int, int]] | None
    timed: int  # incidents with a time of day
    top_locations: list[tuple[str, int]]
    resolution: int
    cells: list[Cell] = field(default_factory=list)
    with_coordinates: int = 0

    @property
    def untimed(self) -> int:
        return self.total - self.timed

    @property
    def untimed_share(self) -> float:
        return self.untimed / self.total if self.total else 0.0

    def top_cells(self, n: int = 10) -> list[Cell]:
        return sorted((c for c in self.cells if c.count), key=lambda c: (-c.count, c.id))[:n]


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month from start's to end's, both included."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def area_km2(outline: BaseGeometry) -> float:
    """An outline's area in square kilometres (degrees scaled at its own latitude: close enough
    to pick a map's scale)."""
    latitude = (outline.bounds[1] + outline.bounds[3]) / 2
    return outline.area * _KM_PER_DEGREE**2 * math.cos(math.radians(latitude))


def resolution_for(km2: float) -> int:
    """The coarsest H3 resolution that gives the place about `_CELLS_WANTED` cells."""
    for resolution in _RESOLUTIONS:
        if km2 / h3.average_hexagon_area(resolution, unit="km^2") >= _CELLS_WANTED:
            return resolution
    return _RESOLUTIONS[-1]


def _covering(outline: BaseGeometry | None, resolution: int) -> set[str]:
    if outline is None or outline.is_empty:
        return set()
    try:
        return set(h3.geo_to_cells(mapping(outline), resolution))
    except (h3.H3BaseException, ValueError, TypeError):
        return set()


def hex_cells(found: Iterable[Incident], outline: BaseGeometry | None, resolution: int) -> list[Cell]:
    """The cells covering the outline (empty ones too) and every cell an incident with
    coordinates is in, each with its count: every such incident is in exactly one cell."""
    counts: Counter[str] = Counter(
        h3.latlng_to_cell(i.latitude, i.longitude, resolution)
        for i in found
        if i.latitude is not None and i.longitude is not None
    )
    cells = _covering(outline, resolution) | set(counts)
    return [Cell(c, counts.get(c, 0), tuple(h3.cell_to_boundary(c))) for c in sorted(cells)]


def scan(place: Place, start: dt.date, end: dt.date, *, source: str = OFFENCES, kinds: Iterable[str] = ()) -> Scan:
    """Count the incidents of `source` in `place` between `start` and `end` (inclusive)."""
    kinds = tuple(kinds)
    found = incidents(place, start, end, source=source, kinds=kinds)
    by_month = Counter(i.on.replace(day=1) for i in found)
    outline = place.shape()
    located = [i for i in found if i.latitude is not None and i.longitude is not None]
    if outline is not None and not outline.is_empty:
        resolution = resolution_for(area_km2(outline))
    elif located:
        # Streets only: size the map by where the incidents are.
        lats, lons = [i.latitude for i in located], [i.longitude for i in located]
        span = (max(lats) - min(lats) + 0.005) * (max(lons) - min(lons) + 0.005)  # type: ignore[operator]
        resolution = resolution_for(span * _KM_PER_DEGREE**2 * math.cos(math.radians(lats[0])))  # type: ignore[arg-type]
    else:
        resolution = 9
    timed = [i for i in found if i.time is not None]
    offences = source == OFFENCES
    places = Counter(i.location or i.area_code or "Not recorded" for i in found)
    return Scan(
        place=place,
        start=start,
        end=end,
        source=source,
        kinds=kinds,
        total=len(found),
        by_month=[(m, by_month.get(m, 0)) for m in months_between(start, end)],
        by_kind=sorted(Counter(i.kind for i in found).items(), key=lambda kv: (-kv[1], kv[0])),
        by_weekday=_weekdays(found) if offences else None,
        by_hour=_hours(timed) if offences else None,
        timed=len(timed),
        top_locations=sorted(places.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_LOCATIONS],
        resolution=resolution,
        cells=hex_cells(located, outline, resolution),
        with_coordinates=len(located),
    )


def _weekdays(found: list[Incident]) -> list[tuple[str, int]]:
    counts = Counter(i.on.weekday() for i in found)
    return [(name, counts.get(n, 0)) for n, name in enumerate(WEEKDAYS)]


def _hours(timed: list[Incident]) -> list[tuple[int, int]]:
    counts = Counter(i.time.hour for i in timed if i.time is not None)
    return [(hour, counts.get(hour, 0)) for hour in range(24)]
