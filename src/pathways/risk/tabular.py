"""Reading a table a partnership supplies (a vendor's scores, its own history) for an audit or a
model, with every problem reported at once in the words a spreadsheet user sees: the file, the row
as numbered in the spreadsheet (the header is row 1) and the column."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

import pandas as pd

# Blank text cells become this, so that a group "not recorded" is counted and shown rather than
# silently merged with another or dropped.
NOT_RECORDED = "Not recorded"

# Enough problems to fix a file without flooding a terminal; `.problems` keeps them all.
SHOWN_PROBLEMS = 20


class TableError(ValueError):
    """A table that cannot be used; `.problems` lists every problem found, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        text = "\n".join(shown) + (f"\n… and {more} more problems" if more > 0 else "")
        super().__init__(text)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_table(
    content: bytes,
    filename: str,
    *,
    required: Sequence[str],
    numeric: Sequence[str] = (),
    binary: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a CSV file (UTF-8, with or without a byte-order mark) into a data frame.

    `required` columns must be present; `numeric` columns must hold a number in every row (read as
    floats); `binary` columns must hold 0 or 1 in every row (read as integers). Other columns are
    kept as text, with blank cells as "Not recorded". Raises TableError naming every problem.
    """
    problems: list[str] = []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            [f"{filename}: the file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and try again"]
        ) from exc
    records = list(csv.reader(io.StringIO(text, newline="")))
    # Spreadsheet row numbers: the header is row 1, so the n-th record is row n.
    numbered = [(number, row) for number, row in enumerate(records, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise TableError([f"{filename}: the file is empty; it needs a header row and at least one row of data"])
    header_row, header = numbered[0]
    header = [name.strip() for name in header]
    rows = numbered[1:]
    present = ", ".join(name for name in header if name) or "none"
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(f"{filename}: row {header_row}, column {name}: the column appears more than once")
        seen.add(name)
    missing = [name for name in dict.fromkeys([*required, *numeric, *binary]) if name not in seen]
    for name in missing:
        problems.append(
            f"{filename}: row {header_row}, column {name}: no such column; the columns present are {present}"
        )
    if not rows:
        problems.append(f"{filename}: there are no rows of data below the header")
        raise TableError(problems)
    # Carry on past missing columns: the values in the columns that are there may need fixing too.

    index = {name: position for position, name in enumerate(header)}
    numeric_set, binary_set = set(numeric), set(binary)
    columns: dict[str, list[object]] = {name: [] for name in header if name}
    for number, row in rows:
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            problems.append(f"{filename}: row {number}: has {len(row)} values but the header has {len(header)} columns")
            continue
        for name, position in index.items():
            if not name:
                continue
            cell = row[position].strip() if position < len(row) else ""
            value: object = cell
            if name in binary_set:
                parsed = _number(cell)
                if parsed not in (0.0, 1.0):
                    shown = f"'{cell}'" if cell else "blank"
                    problems.append(f"{filename}: row {number}, column {name}: {shown} is not 0 or 1 (1 = reoffended)")
                value = int(parsed) if parsed in (0.0, 1.0) else 0
            elif name in numeric_set:
                parsed = _number(cell)
                if parsed is None:
                    shown = f"'{cell}' is not a number" if cell else "blank; a number is needed"
                    problems.append(f"{filename}: row {number}, column {name}: {shown}")
                value = parsed if parsed is not None else math.nan
            elif not cell:
                value = NOT_RECORDED
            columns[name].append(value)
    if problems:
        raise TableError(problems)
    frame = pd.DataFrame(columns)
    for name in numeric_set - binary_set:
        frame[name] = frame[name].astype(float)
    for name in binary_set:
        frame[name] = frame[name].astype(int)
    return frame
