"""Areas and their boundaries: loading ONS boundary files (GeoJSON) and finding neighbours.

A boundary file is loaded whole or not at all: every feature is checked first (a code, a name,
a valid Polygon or MultiPolygon), and a file with any bad feature is refused naming each one by
its index. Neighbours are areas whose boundaries touch or overlap: assessment looks for
displacement there, and the hex map draws them around a problem's place.
"""

from __future__ import annotations

import json
import re
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.problems.models import Area, AreaKind

# ONS names its columns by the kind of area and the year of the boundaries: LSOA21CD, WD24NM …
_ONS_CODE = re.compile(r"^[A-Z]+\d{2}CD$", re.IGNORECASE)
_ONS_NAME = re.compile(r"^[A-Z]+\d{2}NM$", re.IGNORECASE)
MAX_REPORTED_ERRORS = 50


def _property(properties: dict[str, Any], plain: str, ons: re.Pattern[str]) -> str:
    for key, value in properties.items():
        if key.lower() == plain and value not in (None, ""):
            return str(value).strip()
    for key, value in properties.items():
        if ons.match(key) and value not in (None, ""):
            return str(value).strip()
    return ""


def _feature(index: int, feature: Any) -> tuple[dict[str, Any] | None, list[str]]:
    where = f"Feature {index}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [f"{where} is not a GeoJSON Feature"]
    properties = feature.get("properties") or {}
    errors = []
    code = _property(properties, "code", _ONS_CODE)
    name = _property(properties, "name", _ONS_NAME) or code
    if not code:
        errors.append(f"{where} has no code in its properties (such as LSOA21CD or code)")
    elif len(code) > 20:
        errors.append(f"{where}: the code {code[:30]} is longer than 20 characters")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        errors.append(f"{where} ({code or 'no code'}): the geometry must be a Polygon or MultiPolygon")
        return None, errors
    try:
        outline = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        errors.append(f"{where} ({code or 'no code'}): the geometry cannot be read ({exc})")
        return None, errors
    if outline.is_empty or not outline.is_valid:
        reason = "it is empty" if outline.is_empty else explain_validity(outline)
        errors.append(f"{where} ({code or 'no code'}): the boundary is not a valid shape: {reason}")
    else:
        minx, miny, maxx, maxy = outline.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            errors.append(
                f"{where} ({code}): the boundary is not in longitude and latitude (WGS84); "
                "ONS files in British National Grid need converting first"
            )
    if errors:
        return None, errors
    return {"code": code, "name": name[:200], "boundary": mapping(outline)}, []


def _as_geojson(geometry: dict[str, Any]) -> dict[str, Any]:
    """shapely's mapping() gives tuples; JSONField keeps lists either way, but equality with what
    is held (to count unchanged areas) needs the same shape."""
    return json.loads(json.dumps(geometry))


def areas_import_geojson(*, data: bytes, kind: str, by: User | None) -> int:
    """Load a FeatureCollection of area boundaries of one kind; returns how many areas were
    created or changed. Raises ValidationError (every bad feature named) and saves nothing
    if any feature is wrong."""
    if kind not in AreaKind.values:
        raise ValidationError({"kind": f"Unknown kind of area '{kind}'"})
    try:
        collection = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError({"file": f"The file is not GeoJSON: {exc}"}) from exc
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ValidationError({"file": "The file must be a GeoJSON FeatureCollection"})
    features = collection.get("features") or []
    if not features:
        raise ValidationError({"file": "The file has no features"})
    areas: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for index, feature in enumerate(features):
        area, problems = _feature(index, feature)
        errors.extend(problems)
        if area is None:
            continue
        if area["code"] in areas:
            errors.append(f"Feature {index}: the code {area['code']} appears twice in the file")
        areas[area["code"]] = area
    if errors:
        more = len(errors) - MAX_REPORTED_ERRORS
        shown = errors[:MAX_REPORTED_ERRORS] + ([f"… and {more} more"] if more > 0 else [])
        raise ValidationError({"file": shown})
    changed = 0
    with transaction.atomic():
        held = {a.code: a for a in Area.objects.filter(code__in=list(areas))}
        for code, values in areas.items():
            boundary = _as_geojson(values["boundary"])
            area = held.get(code)
            if area is None:
                Area.objects.create(code=code, name=values["name"], kind=kind, boundary=boundary)
                changed += 1
            elif (area.name, area.kind, area.boundary) != (values["name"], kind, boundary):
                area.name, area.kind, area.boundary = values["name"], kind, boundary
                area.save()
                changed += 1
        audit_record(
            user=by,
            action=AuditEvent.Action.IMPORT,
            object_type="area_boundaries",
            detail={"kind": kind, "features": len(areas), "changed": changed},
        )
    return changed


def _outlines(kind: str | None = None) -> tuple[list[str], list[BaseGeometry]]:
    rows = Area.objects.exclude(boundary=None)
    if kind:
        rows = rows.filter(kind=kind)
    codes, shapes = [], []
    for code, boundary in rows.values_list("code", "boundary"):
        if boundary:
            codes.append(code)
            shapes.append(shape(boundary))
    return codes, shapes


def area_neighbours(code: str) -> list[str]:
    """The areas (of the same kind) whose boundaries touch or overlap the area's, by code."""
    area = Area.objects.filter(code=code).first()
    if area is None or not area.boundary:
        return []
    codes, shapes = _outlines(area.kind)
    if not shapes:
        return []
    tree = shapely.STRtree(shapes)
    found = tree.query(shape(area.boundary), predicate="intersects")
    return sorted(codes[i] for i in found if codes[i] != code)


def neighbours_of_every_area(kind: str | None = None) -> dict[str, list[str]]:
    """Each area's neighbours (of its own kind) at once, one tree per kind: for the areas page."""
    if kind is None:
        found: dict[str, list[str]] = {}
        for each in AreaKind.values:
            found.update(neighbours_of_every_area(each))
        return found
    codes, shapes = _outlines(kind)
    if not shapes:
        return {}
    tree = shapely.STRtree(shapes)
    # query() with an array gives pairs (input index, tree index) of every intersecting pair.
    pairs = tree.query(shapes, predicate="intersects")
    found = {code: [] for code in codes}
    for a, b in zip(*pairs, strict=True):
        if a != b:
            found[codes[a]].append(codes[b])
    return {code: sorted(n) for code, n in found.items()}


def outlines_of(codes: list[str]) -> dict[str, BaseGeometry]:
    """The boundaries of the given areas that have one, by code."""
    return {a.code: shape(a.boundary) for a in Area.objects.filter(code__in=codes) if a.boundary}
