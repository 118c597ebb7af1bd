"""The partner file formats (documented in docs/data-formats.md) and row validation.

Each column knows how to read its text; a row's problems are collected, never raised
one at a time, so that a person can fix the whole file from one report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from pathways.iom.reference import TagBasis, TagEventKind, TagType
from pathways.offending.reference import OFFENCE_CODE_PATTERN, OffenceGroup, Outcome
from pathways.people.reference import PNC_PATTERN, Ethnicity, Sex, normalise_pnc, normalise_postcode


class CellError(ValueError):
    """A value that cannot be read; the message says why in words a person can act on."""


REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


def read_reference(text: str) -> str:
    if not REFERENCE_PATTERN.match(text):
        raise CellError("must be 1–64 letters, digits, '.', '_', '/' or '-', starting with a letter or digit")
    return text


def read_date(text: str) -> dt.date:
    try:
        value = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CellError(f"'{text}' is not a date in the form YYYY-MM-DD") from exc
    if len(text) != 10:
        raise CellError(f"'{text}' is not a date in the form YYYY-MM-DD")
    if value > timezone.localdate():
        raise CellError(f"{text} is in the future")
    if value.year < 1900:
        raise CellError(f"{text} is before 1900")
    return value


def read_time(text: str) -> dt.time:
    """A time of day, 24-hour clock: HH:MM (seconds, if given, are kept)."""
    if not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", text):
        raise CellError(f"'{text}' is not a time of day in the form HH:MM (24-hour clock)")
    try:
        return dt.time.fromisoformat(text)
    except ValueError as exc:
        raise CellError(f"'{text}' is not a time of day in the form HH:MM (24-hour clock)") from exc


def read_name(text: str) -> str:
    if len(text) > 100:
        raise CellError("is longer than 100 characters")
    if any(ch.isdigit() for ch in text):
        raise CellError(f"'{text}' contains digits")
    return text


def read_sex(text: str) -> str:
    value = text.upper()
    if value not in Sex.values:
        raise CellError(f"'{text}' is not one of M, F, U")
    return value


def read_ethnicity(text: str) -> str:
    value = text.upper()
    if value not in Ethnicity.values:
        raise CellError(f"'{text}' is not an ethnicity code (A1…A9, B1…B9, M1…M9, W1…W9, O1, O9, NS)")
    return value


def read_pnc(text: str) -> str:
    value = normalise_pnc(text)
    if not PNC_PATTERN.match(value):
        raise CellError(f"'{text}' is not a PNC ID like 2019/0123456A")
    return value


def read_postcode(text: str) -> str:
    value = normalise_postcode(text)
    if value is None:
        raise CellError(f"'{text}' is not a UK postcode")
    return value


def read_offence_code(text: str) -> str:
    value = text.upper()
    if not OFFENCE_CODE_PATTERN.match(value):
        raise CellError(f"'{text}' is not a Home Office offence code like 105A or 8N")
    return value


def read_offence_group(text: str) -> str:
    value = text.lower()
    if value not in OffenceGroup.values:
        raise CellError(f"'{text}' is not an offence group ({', '.join(OffenceGroup.values)})")
    return value


def read_outcome(text: str) -> str:
    value = text.lower()
    if value not in Outcome.values:
        raise CellError(
            f"'{text}' is not a Home Office outcome number 1–22 or a court result "
            "(conviction_custody, conviction_suspended, conviction_community, conviction_fine, "
            "conviction_discharge, acquittal)"
        )
    return value


def read_datetime(text: str) -> dt.datetime:
    """An ISO 8601 date and time; one without an offset is UK local time (as suppliers' clocks are)."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CellError(f"'{text}' is not a date and time in the form YYYY-MM-DDTHH:MM:SS") from exc
    if len(text) < 16 or text[10] not in "T ":
        raise CellError(f"'{text}' is not a date and time in the form YYYY-MM-DDTHH:MM:SS (the time is needed)")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now():
        raise CellError(f"{text} is in the future")
    if value.year < 1900:
        raise CellError(f"{text} is before 1900")
    return value


def read_choice(choices: Any, what: str) -> Callable[[str], str]:
    def read(text: str) -> str:
        value = text.lower()
        if value not in choices.values:
            raise CellError(f"'{text}' is not {what} ({', '.join(choices.values)})")
        return value

    return read


def read_coordinate(low: float, high: float) -> Callable[[str], Decimal]:
    def read(text: str) -> Decimal:
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise CellError(f"'{text}' is not a number") from exc
        if not (Decimal(str(low)) <= value <= Decimal(str(high))):
            raise CellError(f"{text} is outside {low} to {high}")
        return value.quantize(Decimal("0.00001"))

    return read


def read_reference_list(text: str) -> list[str]:
    return [read_reference(part.strip()) for part in text.split(";") if part.strip()]


def read_text(limit: int) -> Callable[[str], str]:
    def read(text: str) -> str:
        if len(text) > limit:
            raise CellError(f"is longer than {limit} characters")
        return text

    return read


@dataclass(frozen=True)
class Column:
    name: str
    read: Callable[[str], Any]
    required: bool = True


@dataclass(frozen=True)
class FileFormat:
    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


FORMATS: dict[str, FileFormat] = {
    "people": FileFormat(
        kind="people",
        key=("person_id",),
        columns=(
            Column("person_id", read_reference),
            Column("given_name", read_name),
            Column("surname", read_name),
            Column("date_of_birth", read_date, required=False),
            Column("sex", read_sex, required=False),
            Column("ethnicity", read_ethnicity, required=False),
            Column("address_1", read_text(200), required=False),
            Column("address_2", read_text(200), required=False),
            Column("town", read_text(100), required=False),
            Column("postcode", read_postcode, required=False),
            Column("pnc_id", read_pnc, required=False),
            Column("other_id", read_reference, required=False),
        ),
    ),
    "offences": FileFormat(
        kind="offences",
        key=("offence_id",),
        columns=(
            Column("offence_id", read_reference),
            Column("person_id", read_reference),
            Column("offence_date", read_date),
            Column("offence_time", read_time, required=False),
            Column("offence_code", read_offence_code),
            Column("offence_group", read_offence_group),
            Column("area", read_text(50), required=False),
            Column("latitude", read_coordinate(49.0, 61.0), required=False),
            Column("longitude", read_coordinate(-8.7, 2.0), required=False),
            Column("victim_ids", read_reference_list, required=False),
        ),
    ),
    "outcomes": FileFormat(
        kind="outcomes",
        key=("offence_id", "outcome", "outcome_date"),
        columns=(
            Column("offence_id", read_reference),
            Column("outcome_date", read_date),
            Column("outcome", read_outcome),
        ),
    ),
    "custody": FileFormat(
        kind="custody",
        key=("person_id", "offence_id", "sentence_date"),
        columns=(
            Column("person_id", read_reference),
            Column("offence_id", read_reference),
            Column("sentence_date", read_date),
            Column("release_date", read_date, required=False),
        ),
    ),
    # The tag suppliers' files (electronic monitoring), loaded by the police or probation.
    "tags": FileFormat(
        kind="tags",
        key=("supplier", "tag_reference"),
        columns=(
            Column("supplier", read_reference),
            Column("tag_reference", read_reference),
            Column("person_id", read_reference),
            Column("pnc_id", read_pnc, required=False),
            Column("tag_type", read_choice(TagType, "a type of tag")),
            Column("basis", read_choice(TagBasis, "a basis for wearing the tag")),
            Column("fitted_on", read_date),
            Column("removed_on", read_date, required=False),
        ),
    ),
    "tag_events": FileFormat(
        kind="tag_events",
        key=("supplier", "tag_reference", "event_reference"),
        columns=(
            Column("supplier", read_reference),
            Column("tag_reference", read_reference),
            Column("event_reference", read_reference),
            Column("occurred_at", read_datetime),
            Column("event_type", read_choice(TagEventKind, "a tag event type")),
            Column("detail", read_text(500), required=False),
        ),
    ),
}

# The kinds that come from tag suppliers: loaded by those `iom.policies.can_import_tags` allows.
TAG_KINDS = frozenset({"tags", "tag_events"})

# Columns named by the partner formats that a file may leave out entirely.
HEADER_OPTIONAL = {
    "people": set(),
    "offences": {"offence_time", "area", "latitude", "longitude", "victim_ids"},
    "outcomes": set(),
    "custody": set(),
    "tags": {"pnc_id"},
    "tag_events": {"detail"},
}


@dataclass
class RowError:
    file: str
    row: int  # the line number in the file, the header being row 1
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any] = field(default_factory=dict)


def parse_row(
    fmt: FileFormat, filename: str, row_number: int, raw: dict[str, str | None]
) -> tuple[ParsedRow, list[RowError]]:
    parsed = ParsedRow(row=row_number)
    errors: list[RowError] = []
    for column in fmt.columns:
        text = (raw.get(column.name) or "").strip()
        if not text:
            if column.required:
                errors.append(RowError(filename, row_number, column.name, "is empty but is required"))
            parsed.values[column.name] = [] if column.read is read_reference_list else None
            continue
        try:
            parsed.values[column.name] = column.read(text)
        except CellError as exc:
            errors.append(RowError(filename, row_number, column.name, str(exc)))
    return parsed, errors


def csv_bytes(kind: str, rows: Sequence[dict[str, Any]], *, columns: Sequence[str] | None = None) -> bytes:
    """A partner file of `kind` with the given rows, as a partner would send it; columns default
    to the documented ones. The demo writes its supplier files with it, and tests their files."""
    columns = list(columns or FORMATS[kind].column_names)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue().encode()
