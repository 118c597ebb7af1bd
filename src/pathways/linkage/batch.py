"""Batch linkage of partner people files outside the service: `pathways link` and `pathways dedupe`.

This module reads and checks the files, runs the engine stage by stage and writes the outputs.
A file that cannot be linked at all — missing, empty, without a column the people format needs,
with a record that has no `person_id` or shares it with another record — stops the run with a
`BatchFileError` naming the file, row and column, before any output is written. A messy value in
a usable file (an impossible date of birth, a postcode that is not one, a name with digits) is
treated as missing and counted in the summary instead.

Rows are numbered as in a spreadsheet: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

# The people format (docs/data-formats.md): all twelve columns in the header, even when empty.
PEOPLE_COLUMNS: tuple[str, ...] = (
    "person_id",
    "given_name",
    "surname",
    "date_of_birth",
    "sex",
    "ethnicity",
    "address_1",
    "address_2",
    "town",
    "postcode",
    "pnc_id",
    "other_id",
)
PAIRS_COLUMNS: tuple[str, ...] = ("left_id", "right_id", "match_probability")
CLUSTERS_COLUMNS: tuple[str, ...] = ("person_id", "cluster_id")
STAGES: tuple[str, ...] = ("reading", "preparing", "training", "scoring", "clustering", "writing")

ModelChoice = Literal["default", "partnership", "train"]
EngineChoice = Literal["duckdb", "spark"]

_DIGIT = re.compile(r"\d")
# Enough problems to fix a file from one report without flooding a terminal.
SHOWN_PROBLEMS = 20
# Splink turns a threshold into a match weight, and 1.0 into an infinite one it cannot query;
# score from just below it and keep only what reaches the threshold asked for.
HIGHEST_SCORING_THRESHOLD = 1 - 1e-9
# The probabilities written to pairs.csv: more digits than any threshold a person would type.
PROBABILITY_DECIMALS = 6


class BatchFileError(ValueError):
    """A file that cannot be linked; `.problems` holds one line per problem, file, row and column."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        super().__init__("\n".join(shown) + (f"\n… and {more} more problems" if more > 0 else ""))


@dataclass
class PeopleFile:
    """One checked people file: its records in the engine's columns, keyed by `person_id`."""

    path: Path
    records: pd.DataFrame
    # Names with digits, blanked before the engine sees them (the engine counts the rest).
    names_with_digits: int = 0
    blank_rows: int = 0

    def __len__(self) -> int:
        return len(self.records)


@dataclass
class BatchSummary:
    """What a run read, what it treated as missing, what it found and how long each stage took."""

    command: str
    engine: str
    model: str
    threshold: float
    output: str
    files: list[dict[str, Any]] = field(default_factory=list)
    found: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    model_description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "engine": self.engine,
            "model": self.model,
            "model_description": self.model_description,
            "threshold": self.threshold,
            "output": self.output,
            "files": self.files,
            "found": self.found,
            "seconds": {stage: round(s, 2) for stage, s in self.seconds.items()},
        }


# --- reading and checking -------------------------------------------------------------------


def _decode_check(path: Path) -> None:
    """Fail early, and in words, on a file that is missing, unreadable or not UTF-8."""
    if not path.exists():
        raise BatchFileError([f"{path}: no such file"])
    if path.is_dir():
        raise BatchFileError([f"{path}: is a folder, not a CSV file"])
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
    except OSError as exc:
        raise BatchFileError([f"{path}: cannot read the file ({exc.strerror or exc})"]) from exc
    try:
        # A multi-byte character cut at the end of the sample is not an error.
        head.decode("utf-8-sig", errors="strict") if len(head) < (1 << 16) else head[:-4].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchFileError(
            [f"{path}: the file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and try again"]
        ) from exc


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            if any(cell.strip() for cell in row):
                return [cell.strip() for cell in row]
    return []


def read_people_file(path: Path) -> PeopleFile:
    """Read and check a people file (docs/data-formats.md) for linkage.

    Returns the records with the engine's columns (`unique_id` is the `person_id`), every value a
    string. Raises `BatchFileError` for a file that cannot be linked; messy values are kept for
    the engine to treat as missing, except names with digits, which are blanked here and counted.
    """
    _decode_check(path)
    header = _header(path)
    if not header:
        raise BatchFileError([f"{path}: the file is empty; it needs a header row and at least one record"])
    problems: list[str] = []
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(f"{path}: row 1, column {name}: the column appears more than once")
        seen.add(name)
    present = ", ".join(name for name in header if name) or "none"
    for name in PEOPLE_COLUMNS:
        if name not in seen:
            problems.append(
                f"{path}: row 1, column {name}: no such column; a people file has all twelve columns "
                f"({', '.join(PEOPLE_COLUMNS)}), and this one has {present}"
            )
    if problems:
        raise BatchFileError(problems)

    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            encoding="utf-8-sig",
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            skipinitialspace=False,
            engine="c",
        )
    except UnicodeDecodeError as exc:
        raise BatchFileError([f"{path}: the file is not UTF-8 text; save it as 'CSV UTF-8' and try again"]) from exc
    except pd.errors.ParserError as exc:
        raise BatchFileError([f"{path}: {_parser_problem(exc)}"]) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    # Spreadsheet row numbers before blank rows are dropped: header row 1, first record row 2.
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame = frame[list(PEOPLE_COLUMNS)]
    # Only the id is stripped here (for the checks below): the engine strips every value it
    # cleans, and stripping twelve million cells in Python took most of the reading time.
    frame["person_id"] = frame["person_id"].str.strip()
    maybe_blank = frame.index[frame["person_id"] == ""]
    blank = pd.Series(False, index=frame.index)
    if len(maybe_blank):
        blank[maybe_blank] = frame.loc[maybe_blank].apply(lambda row: not "".join(row).strip(), axis=1)
    blank_rows = int(blank.sum())
    frame = frame[~blank]
    if frame.empty:
        raise BatchFileError([f"{path}: the file has a header but no records"])

    ids = frame["person_id"]
    for row in ids.index[ids == ""][:SHOWN_PROBLEMS]:
        problems.append(f"{path}: row {row}, column person_id: empty; every record needs its person_id")
    missing_ids = int((ids == "").sum())
    if missing_ids > SHOWN_PROBLEMS:
        problems.append(f"{path}: {missing_ids} records in all have no person_id")
    named = ids[ids != ""]
    repeated = named[named.duplicated(keep=False)]
    if not repeated.empty:
        first_row = repeated.groupby(repeated, sort=False).head(1)
        first = dict(zip(first_row.to_numpy(), first_row.index, strict=True))
        later = repeated[repeated.duplicated(keep="first")]
        for row, person_id in later.items():
            problems.append(
                f"{path}: row {row}, column person_id: '{person_id}' appears more than once "
                f"(first at row {first[person_id]}); each record needs its own person_id"
            )
    if problems:
        raise BatchFileError(problems)

    names_with_digits = 0
    for column in ("given_name", "surname"):
        # Names repeat: look at each distinct one once.
        names = frame[column]
        with_digits = [name for name in names.unique() if _DIGIT.search(name)]
        digits = names.isin(with_digits)
        names_with_digits += int(digits.sum())
        frame.loc[digits, column] = ""

    records = pd.DataFrame(
        {
            "unique_id": frame["person_id"],
            "given_name": frame["given_name"],
            "surname": frame["surname"],
            "date_of_birth": frame["date_of_birth"],
            "sex": frame["sex"],
            "ethnicity": frame["ethnicity"],
            "postcode": frame["postcode"],
            "address_1": frame["address_1"],
            "town": frame["town"],
            "pnc_id": frame["pnc_id"],
            "other_id": frame["other_id"],
        }
    ).reset_index(drop=True)
    return PeopleFile(path=path, records=records, names_with_digits=names_with_digits, blank_rows=blank_rows)


def _parser_problem(exc: Exception) -> str:
    """pandas says 'Expected 12 fields in line 5, saw 13'; say it in the people format's words."""
    text = str(exc).strip()
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        expected, line, saw = match.groups()
        return f"row {line}: has {saw} cells but the header has {expected} columns (a comma inside a name needs quotes)"
    return f"cannot be read as CSV ({text})"


# --- writing ----------------------------------------------------------------------------------


def check_output(path: Path) -> None:
    """Refuse, before any work, an output that could not be written."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise BatchFileError([f"{path}: is a folder; give the name of the CSV file to write"])
    if not folder.is_dir():
        raise BatchFileError([f"{path}: the folder {folder} does not exist"])
    if not os.access(folder, os.W_OK):
        raise BatchFileError([f"{path}: cannot write to the folder {folder}"])


def write_atomically(frame: pd.DataFrame, path: Path, *, float_format: str | None = None) -> None:
    """Write a CSV file whole or not at all: to a temporary file beside it, then renamed over it."""
    folder = path.parent if str(path.parent) else Path(".")
    descriptor, partial = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
            frame.to_csv(handle, index=False, float_format=float_format, lineterminator="\n")
        # mkstemp makes the file readable by its owner only; give it what a plain write would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise


# --- the runs ---------------------------------------------------------------------------------


class Stages:
    """The stages of one run, timed, each reported to a progress callback as it starts."""

    def __init__(self, names: tuple[str, ...], on_stage: Callable[[str], None] | None = None) -> None:
        self.names = names
        self.on_stage = on_stage or (lambda name: None)
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.on_stage(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


@dataclass
class ModelInUse:
    splink_settings: dict[str, Any] | None
    choice: str
    description: str
    link_threshold: float


def _active_model() -> Any:
    from django.db import DatabaseError

    from pathways.linkage.models import LinkageModel

    try:
        return LinkageModel.objects.filter(is_active=True).first()
    except DatabaseError:
        # A batch run needs no database; one that has not been set up has no active model.
        return None


def choose_model(choice: ModelChoice) -> ModelInUse:
    """The model a run scores with (for `train`, the settings come later, from the input itself)."""
    from pathways.linkage.engine import DEFAULT_BATCH_THRESHOLD, default_splink_settings

    if choice == "default":
        return ModelInUse(default_splink_settings(), "default", "the shipped model", DEFAULT_BATCH_THRESHOLD)
    if choice == "partnership":
        active = _active_model()
        if active is None:
            raise BatchFileError(
                [
                    "--model partnership: the partnership has no active linkage model; "
                    "use --model train (learn from the input) or --model default"
                ]
            )
        return ModelInUse(
            active.splink_settings, "partnership", f"the partnership's model v{active.version}", active.link_threshold
        )
    if choice == "train":
        return ModelInUse(None, "train", "trained on the input", DEFAULT_BATCH_THRESHOLD)
    raise ValueError(f"unknown model {choice!r}")


def _file_summary(people: PeopleFile, preparation: Any) -> dict[str, Any]:
    counts = preparation.as_dict() if preparation is not None else {}
    records = counts.pop("records", len(people))
    treated_as_missing = {
        "names_with_digits": people.names_with_digits,
        "dates_of_birth_impossible": counts.get("dates_of_birth_impossible", 0),
        "dates_of_birth_unreadable": counts.get("dates_of_birth_unreadable", 0),
        "dates_of_birth_in_future": counts.get("dates_of_birth_in_future", 0),
        "dates_of_birth_before_1900": counts.get("dates_of_birth_before_1900", 0),
        "postcodes_invalid": counts.get("postcodes_invalid", 0),
        "pnc_ids_invalid": counts.get("pnc_ids_invalid", 0),
    }
    missing = {
        "names_missing": counts.get("names_missing", 0),
        "dates_of_birth_missing": counts.get("dates_of_birth_missing", 0),
        "postcodes_missing": counts.get("postcodes_missing", 0),
        "sexes_unknown": counts.get("sexes_unknown", 0),
    }
    return {
        "path": str(people.path),
        "records": records,
        "blank_rows": people.blank_rows,
        "treated_as_missing": treated_as_missing,
        "missing": missing,
    }


# Training on more records than this uses a random sample of them. The model's parameters are
# proportions (m and u per level, and λ: matches among all pairs, which a random sample of
# records keeps), so a large sample learns what the whole file would teach; but expectation
# maximisation works on the pairs each of its blocking rules makes, which grow with the square
# of the records: at 1,000,000 records training took two minutes of a five-minute budget.
TRAINING_SAMPLE = 250_000
TRAINING_SEED = 9


def _train(records: pd.DataFrame, engine: EngineChoice) -> tuple[dict[str, Any], int]:
    """A model learnt from the records (or a random sample of them); and how many it learnt from."""
    from pathways.linkage.engine import train

    if len(records) <= TRAINING_SAMPLE:
        return train(records, engine=engine).splink_settings, len(records)
    sample = records.sample(n=TRAINING_SAMPLE, random_state=TRAINING_SEED).reset_index(drop=True)
    settings = train(sample, engine=engine).splink_settings
    # train() takes its input for the whole file and states λ for a file of the engine's
    # reference size by scaling it with the number of records. A random sample of records has
    # the whole file's λ, not a smaller file's, so scale it as the whole file.
    settings["probability_two_random_records_match"] *= (len(records) - 1) / (len(sample) - 1)
    return settings, len(sample)


def run_dedupe(
    *,
    input_path: Path,
    output: Path,
    threshold: float | None = None,
    engine: EngineChoice = "duckdb",
    model: ModelChoice = "train",
    on_stage: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Group the records of one people file into people; write `person_id,cluster_id` for every record."""
    from pathways.linkage.engine import cluster, predict_pairs, prepare

    check_output(output)
    chosen = choose_model(model)
    threshold = chosen.link_threshold if threshold is None else threshold
    _check_threshold(threshold)
    stages = Stages(STAGES, on_stage)
    with stages.stage("reading"):
        people = read_people_file(input_path)
    with stages.stage("preparing"):
        # Cleaned once here; training and scoring take the prepared records as they are.
        prepared, preparation = prepare(people.records)
    settings = chosen.splink_settings
    description = chosen.description
    with stages.stage("training"):
        if settings is None:
            settings, learnt_from = _train(prepared, engine)
            description = _trained_on(learnt_from, len(prepared))
    with stages.stage("scoring"):
        pairs = predict_pairs(
            prepared,
            splink_settings=settings,
            threshold=min(threshold, HIGHEST_SCORING_THRESHOLD),
            engine=engine,
            explain=False,
        )
        pairs = pairs[pairs["match_probability"] >= threshold]
    with stages.stage("clustering"):
        clusters = cluster(prepared, pairs, threshold=threshold, engine=engine)
        out = pd.DataFrame({"person_id": clusters["unique_id"].astype(str), "cluster_id": clusters["cluster_id"]})
    with stages.stage("writing"):
        write_atomically(out[list(CLUSTERS_COLUMNS)], output)
    sizes = out.groupby("cluster_id").size()
    return BatchSummary(
        command="dedupe",
        engine=engine,
        model=chosen.choice,
        model_description=description,
        threshold=threshold,
        output=str(output),
        files=[_file_summary(people, preparation)],
        found={
            "pairs": len(pairs),
            "clusters": len(sizes),
            "records_in_shared_clusters": int(sizes[sizes > 1].sum()),
            "largest_cluster": int(sizes.max()) if len(sizes) else 0,
        },
        seconds=stages.seconds,
    )


def run_link(
    *,
    left_path: Path,
    right_path: Path,
    output: Path,
    threshold: float | None = None,
    engine: EngineChoice = "duckdb",
    model: ModelChoice = "train",
    on_stage: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Find the records of one people file that are the same person as a record of another;
    write `left_id,right_id,match_probability` for each pair at or above the threshold."""
    from pathways.linkage.engine import predict_pairs, prepare

    check_output(output)
    chosen = choose_model(model)
    threshold = chosen.link_threshold if threshold is None else threshold
    _check_threshold(threshold)
    stages = Stages(tuple(s for s in STAGES if s != "clustering"), on_stage)
    with stages.stage("reading"):
        problems: list[str] = []
        files: list[PeopleFile] = []
        for path in (left_path, right_path):
            try:
                files.append(read_people_file(path))
            except BatchFileError as exc:
                problems.extend(exc.problems)
        if problems:
            raise BatchFileError(problems)
        left, right = files
    with stages.stage("preparing"):
        left_prepared, left_preparation = prepare(left.records)
        right_prepared, right_preparation = prepare(right.records)
    settings = chosen.splink_settings
    description = chosen.description
    with stages.stage("training"):
        if settings is None:
            # One model for both files: the same person in either is what it learns to see.
            both = pd.concat(
                [
                    left_prepared.assign(unique_id="l:" + left_prepared["unique_id"]),
                    right_prepared.assign(unique_id="r:" + right_prepared["unique_id"]),
                ],
                ignore_index=True,
            )
            settings, learnt_from = _train(both, engine)
            description = _trained_on(learnt_from, len(both))
    with stages.stage("scoring"):
        pairs = predict_pairs(
            left_prepared,
            right_prepared,
            splink_settings=settings,
            threshold=min(threshold, HIGHEST_SCORING_THRESHOLD),
            engine=engine,
            explain=False,
        )
        pairs = pairs[pairs["match_probability"] >= threshold]
        out = pd.DataFrame(
            {
                "left_id": pairs["left_id"].astype(str),
                "right_id": pairs["right_id"].astype(str),
                "match_probability": pairs["match_probability"].astype(float).round(PROBABILITY_DECIMALS),
            }
        )
    with stages.stage("writing"):
        write_atomically(out[list(PAIRS_COLUMNS)], output)
    return BatchSummary(
        command="link",
        engine=engine,
        model=chosen.choice,
        model_description=description,
        threshold=threshold,
        output=str(output),
        files=[_file_summary(left, left_preparation), _file_summary(right, right_preparation)],
        found={
            "pairs": len(out),
            "left_records_linked": int(out["left_id"].nunique()),
            "right_records_linked": int(out["right_id"].nunique()),
        },
        seconds=stages.seconds,
    )


def _trained_on(learnt_from: int, records: int) -> str:
    if learnt_from == records:
        return f"trained on the input ({records:,} records)"
    return f"trained on a random sample of {learnt_from:,} of the input's {records:,} records"


def _check_threshold(threshold: float) -> None:
    if not 0 <= threshold <= 1:
        raise BatchFileError([f"--threshold must be between 0 and 1, not {threshold}"])
