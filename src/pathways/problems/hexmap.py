"""The hex map: hexagon cells shaded by how many incidents each holds, over the place's outline
(and the neighbouring areas' outlines, lighter), drawn here as inline SVG.

No online map service sees where a problem is, and the page needs no script. Each cell has a
`<title>` (its count, read out by screen readers and shown on hover); the page puts a table of
the busiest cells beside the map as its text alternative. Colours are set as presentation
attributes, not inline styles, which the pages' Content-Security-Policy refuses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from pathways.problems.scanning import Cell

# GOV.UK blue, from light to dark: five classes, so the difference between them is visible.
SHADES = ["#f3f2f1", "#d2e2f1", "#a6c5e3", "#5694ca", "#1d70b8", "#003078"]
OUTLINE = "#0b0c0c"
NEIGHBOUR = "#b1b4b6"
WIDTH = 640
FONT = "GDS Transport, arial, sans-serif"


def classes(counts: Sequence[int], n: int = 5) -> list[int]:
    """Upper bounds of `n` classes of equal width from 1 to the highest count (0 is its own)."""
    top = max(counts, default=0)
    if top <= 0:
        return []
    step = max(1, math.ceil(top / n))
    return sorted({min(top, step * k) for k in range(1, n + 1)})


def _shade(count: int, bounds: list[int]) -> str:
    if count <= 0:
        return SHADES[0]
    for k, bound in enumerate(bounds):
        if count <= bound:
            return SHADES[min(k + 1, len(SHADES) - 1)]
    return SHADES[-1]


def _rings(geometry: BaseGeometry) -> Iterable[Sequence[tuple[float, float]]]:
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    for polygon in polygons:
        if isinstance(polygon, Polygon):
            yield list(polygon.exterior.coords)
            for hole in polygon.interiors:
                yield list(hole.coords)


def hex_map_svg(
    scan_cells: Sequence[Cell],
    outline: BaseGeometry | None,
    *,
    neighbours: dict[str, BaseGeometry] | None = None,
    title: str = "Hex map of incidents",
) -> str:
    """An SVG of the cells (shaded by count) over the outline and the neighbours' outlines."""
    neighbours = neighbours or {}
    points = [(lon, lat) for cell in scan_cells for lat, lon in cell.boundary]
    if outline is not None and not outline.is_empty:
        minx, miny, maxx, maxy = outline.bounds
        points += [(minx, miny), (maxx, maxy)]
    if not points:
        return ""
    minx, maxx = min(p[0] for p in points), max(p[0] for p in points)
    miny, maxy = min(p[1] for p in points), max(p[1] for p in points)
    if neighbours:
        # A margin, so that the areas around the place show as more than a line at the edge.
        margin_x, margin_y = (maxx - minx) * 0.12, (maxy - miny) * 0.12
        minx, maxx, miny, maxy = minx - margin_x, maxx + margin_x, miny - margin_y, maxy + margin_y
    # Longitude shrinks with latitude: scale it so the map is not stretched east to west.
    aspect = math.cos(math.radians((miny + maxy) / 2))
    span_x, span_y = max((maxx - minx) * aspect, 1e-6), max(maxy - miny, 1e-6)
    scale = (WIDTH - 20) / span_x
    height = min(900, span_y * scale + 20)
    scale = min(scale, (height - 20) / span_y)

    def xy(lon: float, lat: float) -> str:
        return f"{10 + (lon - minx) * aspect * scale:.1f},{10 + (maxy - lat) * scale:.1f}"

    def path(geometry: BaseGeometry) -> str:
        return " ".join("M" + " L".join(xy(x, y) for x, y in ring) + " Z" for ring in _rings(geometry))

    bounds = classes([c.count for c in scan_cells])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-hex-map" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-labelledby="hex-map-title hex-map-desc">',
        f'<title id="hex-map-title">{escape(title)}</title>',
        f'<desc id="hex-map-desc">{len(scan_cells)} hexagons; darker hexagons hold more incidents. '
        "The table after the map lists the busiest.</desc>",
    ]
    window = Polygon([(minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy)])
    for code, shape in sorted(neighbours.items()):
        clipped = shape.intersection(window)
        if not clipped.is_empty:
            parts.append(
                f'<path d="{path(clipped)}" fill="none" stroke="{NEIGHBOUR}" stroke-width="1.5" '
                f'stroke-dasharray="4 3"><title>{escape(code)}</title></path>'
            )
            label = clipped.representative_point()
            parts.append(
                f'<text x="{xy(label.x, label.y).split(",")[0]}" y="{xy(label.x, label.y).split(",")[1]}" '
                f'font-size="13" font-family="{FONT}" fill="#505a5f" text-anchor="middle">{escape(code)}</text>'
            )
    for cell in scan_cells:
        ring = " L".join(xy(lon, lat) for lat, lon in cell.boundary)
        noun = "incident" if cell.count == 1 else "incidents"
        parts.append(
            f'<path d="M{ring} Z" fill="{_shade(cell.count, bounds)}" stroke="#ffffff" stroke-width="0.5" '
            f'data-cell="{cell.id}" data-count="{cell.count}"><title>{cell.count} {noun}</title></path>'
        )
    if outline is not None and not outline.is_empty:
        parts.append(f'<path d="{path(outline)}" fill="none" stroke="{OUTLINE}" stroke-width="2"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def legend(scan_cells: Sequence[Cell]) -> list[tuple[str, str]]:
    """(colour, label) for each class of the map, for the key below it."""
    bounds = classes([c.count for c in scan_cells])
    rows = [(SHADES[0], "None")]
    low = 1
    for k, bound in enumerate(bounds):
        rows.append((SHADES[min(k + 1, len(SHADES) - 1)], f"{low}" if low == bound else f"{low} to {bound}"))
        low = bound + 1
    return rows
