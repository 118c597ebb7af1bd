"""Loading police.uk street-level crime files, exactly as police.uk publishes them.

The whole file is checked before anything is written: a file with any bad row is rejected (its
batch lists every problem by row and column) and nothing else is saved. An accepted file is
written in one transaction. Each row is kept by its Crime ID; anti-social behaviour rows have
none, so they are kept by a hash of the whole row (and how many identical rows came before it in
the file: police.uk publishes two ASB reports on the same street in the same month as two
identical rows). Loading the same file twice therefore changes nothing, and a crime published
again with a new outcome is updated.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.imports.models import ImportBatch, ImportKind
from pathways.problems.models import StreetCrime

HEADER: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
ASB = "Anti-social behaviour"
# police.uk's crime types since May 2013 (https://data.police.uk/about/#columns).
CRIME_TYPES: tuple[str, ...] = (
    ASB,
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)
# A report keeps this many errors; a file with more is plainly the wrong file.
MAX_REPORTED_ERRORS = 5000
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Lengths of the columns as they are kept (`StreetCrime`): a longer value is refused, not cut.
_LENGTHS = {
    "Crime ID": 64,
    "Reported by": 200,
    "Falls within": 200,
    "Location": 300,
    "LSOA code": 12,
    "LSOA name": 200,
    "Last outcome category": 200,
}
_CHUNK = 500


@dataclass(frozen=True)
class RowError:
    row: int  # the line number in the file, the header being row 1
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ParsedCrime:
    row: int
    values: dict[str, Any]


def _coordinate(text: str, column: str, row: int, low: float, high: float) -> tuple[Decimal | None, RowError | None]:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, RowError(row, column, f"'{text}' is not a number")
    if not value.is_finite() or not (low <= value <= high):
        return None, RowError(row, column, f"{text} is outside {low} to {high}")
    return value.quantize(Decimal("0.000001")), None


def _parse(row: int, raw: dict[str, str], occurrence: int) -> tuple[ParsedCrime | None, list[RowError]]:
    errors: list[RowError] = []
    v = {k: (raw.get(k) or "").strip() for k in HEADER}
    month: dt.date | None = None
    found = _MONTH.match(v["Month"])
    if not found or not 1 <= int(found.group(2)) <= 12:
        errors.append(RowError(row, "Month", f"'{v['Month']}' is not a month written YYYY-MM (such as 2026-03)"))
    else:
        month = dt.date(int(found.group(1)), int(found.group(2)), 1)
    longitude = latitude = None
    if bool(v["Longitude"]) != bool(v["Latitude"]):
        column = "Latitude" if v["Longitude"] else "Longitude"
        errors.append(RowError(row, column, "give both longitude and latitude, or leave both empty"))
    elif v["Longitude"]:
        longitude, error = _coordinate(v["Longitude"], "Longitude", row, -180, 180)
        errors.extend([error] if error else [])
        latitude, error = _coordinate(v["Latitude"], "Latitude", row, -90, 90)
        errors.extend([error] if error else [])
    if v["Crime type"] not in CRIME_TYPES:
        errors.append(
            RowError(row, "Crime type", f"'{v['Crime type']}' is not one of police.uk's {len(CRIME_TYPES)} crime types")
        )
    elif not v["Crime ID"] and v["Crime type"] != ASB:
        errors.append(RowError(row, "Crime ID", f"a {v['Crime type']} row needs its Crime ID (only ASB has none)"))
    for column, limit in _LENGTHS.items():
        if len(v[column]) > limit:
            errors.append(RowError(row, column, f"is {len(v[column])} characters long; at most {limit} are kept"))
    if errors:
        return None, errors
    if v["Crime ID"]:
        key = v["Crime ID"]
    else:
        whole = "\x1f".join(v[k] for k in HEADER)
        key = hashlib.sha256(f"{whole}\x1e{occurrence}".encode()).hexdigest()
    return ParsedCrime(
        row=row,
        values={
            "row_key": key,
            "crime_id": v["Crime ID"],
            "month": month,
            "reported_by": v["Reported by"],
            "falls_within": v["Falls within"],
            "longitude": longitude,
            "latitude": latitude,
            "location": v["Location"],
            "lsoa_code": v["LSOA code"],
            "lsoa_name": v["LSOA name"],
            "crime_type": v["Crime type"],
            "last_outcome": v["Last outcome category"],
            "context": v["Context"],
        },
    ), []


def read_street_crime(data: bytes) -> tuple[list[ParsedCrime], list[RowError]]:
    """Every row of a police.uk file checked on its own; nothing is looked up or written."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [RowError(0, "", f"the file is not UTF-8 text (byte {exc.start} cannot be read)")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if not any(header):
        return [], [RowError(1, "", "the file is empty: it needs police.uk's header row")]
    missing = [c for c in HEADER if c not in header]
    unknown = [c for c in header if c not in HEADER]
    twice = sorted({c for c in header if header.count(c) > 1})
    errors = [RowError(1, c, "this column is missing from the header row") for c in missing]
    errors += [RowError(1, c, "this column is not in police.uk's street-level crime files") for c in unknown]
    errors += [RowError(1, c, "this column appears more than once in the header row") for c in twice]
    if errors:
        return [], errors
    rows: list[ParsedCrime] = []
    first_seen: dict[str, int] = {}
    identical: dict[tuple[str, ...], int] = {}
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(reader.line_num, "", f"cannot be read as CSV: {exc}"))
            break
        row = reader.line_num
        if not any(v.strip() for v in values):
            continue  # a blank line is not a row
        if len(values) != len(header):
            errors.append(RowError(row, "", f"has {len(values)} values but the header has {len(header)} columns"))
            continue
        raw = dict(zip(header, values, strict=True))
        whole = tuple(raw[k].strip() for k in HEADER)
        occurrence = identical.get(whole, 0)
        identical[whole] = occurrence + 1
        parsed, row_errors = _parse(row, raw, occurrence)
        errors.extend(row_errors)
        if parsed is None:
            continue
        crime_id = parsed.values["crime_id"]
        if crime_id and crime_id in first_seen:
            errors.append(RowError(row, "Crime ID", f"{crime_id} appears again (first at row {first_seen[crime_id]})"))
            continue
        if crime_id:
            first_seen[crime_id] = row
        rows.append(parsed)
    if not rows and not errors:
        errors.append(RowError(2, "", "the file has a header but no rows"))
    return rows, errors


def _held(keys: Iterable[str]) -> dict[str, StreetCrime]:
    keys = sorted(set(keys))
    found: dict[str, StreetCrime] = {}
    for start in range(0, len(keys), _CHUNK):
        for crime in StreetCrime.objects.filter(row_key__in=keys[start : start + _CHUNK]):
            found[crime.row_key] = crime
    return found


def _load(rows: list[ParsedCrime], batch: ImportBatch) -> tuple[int, int, int]:
    held = _held(r.values["row_key"] for r in rows)
    new: list[StreetCrime] = []
    changed: list[StreetCrime] = []
    unchanged = 0
    fields = [k for k in rows[0].values if k != "row_key"] if rows else []
    for parsed in rows:
        crime = held.get(parsed.values["row_key"])
        if crime is None:
            new.append(StreetCrime(batch=batch, **parsed.values))
            continue
        differs = {k: v for k, v in parsed.values.items() if k != "row_key" and getattr(crime, k) != v}
        if not differs:
            unchanged += 1
            continue
        for name, value in differs.items():
            setattr(crime, name, value)
        crime.batch = batch  # the row as it now stands came in this file
        crime.updated_at = timezone.now()  # bulk_update does not stamp it
        changed.append(crime)
    StreetCrime.objects.bulk_create(new, batch_size=_CHUNK)
    StreetCrime.objects.bulk_update(changed, [*fields, "batch", "updated_at"], batch_size=_CHUNK)
    return len(new), len(changed), unchanged


def street_crime_import(
    *, data: bytes, filename: str, agency: Agency, by: User | None, via: str = "web"
) -> ImportBatch:
    """Check a police.uk file and, only if every row is good, load all of it in one transaction.
    Returns the batch: rejected (with `errors`, nothing else written) or imported (with counts)."""
    rows, errors = read_street_crime(data)
    batch_fields = {
        "agency": agency,
        "kind": ImportKind.STREET_CRIME,
        "filename": filename[:255],
        "sha256": hashlib.sha256(data).hexdigest(),
        "uploaded_by": by,
        "via": via,
        "rows": len(rows),
    }
    if errors:
        errors.sort(key=lambda e: (e.row, e.column))
        batch = ImportBatch.objects.create(
            status=ImportBatch.Status.REJECTED,
            errors=[e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]],
            **batch_fields,
        )
    else:
        with transaction.atomic():
            batch = ImportBatch.objects.create(status=ImportBatch.Status.IMPORTED, **batch_fields)
            batch.created_count, batch.updated_count, batch.unchanged_count = _load(rows, batch)
            batch.save(update_fields=["created_count", "updated_count", "unchanged_count", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.IMPORT,
        object_type="import_batch",
        object_id=str(batch.pk),
        detail={
            "kind": ImportKind.STREET_CRIME,
            "filename": filename,
            "status": batch.status,
            "rows": batch.rows,
            "created": batch.created_count,
            "updated": batch.updated_count,
            "errors": len(errors),
        },
        via=via,
    )
    return batch
