"""The linkage model: which records are the same person, how sure, and why.

Splink 4 does the scoring, on DuckDB (the default, in one connection) or on Spark in local
mode. This module is the whole contract the rest of the service uses (docs/linkage.md):
``prepare``, ``train``, ``predict_pairs``, ``cluster`` and ``default_splink_settings``.

The shipped model in ``default_model.json`` is trained on synthetic partner records; to
train it again run ``uv run python -m pathways.linkage.engine``
(see ``write_default_model``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from pathways.people.names import canonical_given_name, fold, given_name_key, surname_key

RECORD_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "given_name",
    "surname",
    "date_of_birth",
    "sex",
    "postcode",
    "address_1",
    "town",
    "pnc_id",
    "other_id",
)

# Used when present: a source that does not record it compares as missing, never as different.
OPTIONAL_COLUMNS: tuple[str, ...] = ("ethnicity",)

Engine = Literal["duckdb", "spark"]

# As ModelVersion's defaults: at or above the link threshold a record joins the person; between
# the review threshold and it, the pair waits for someone to decide.
DEFAULT_LINK_THRESHOLD = 0.95
DEFAULT_REVIEW_THRESHOLD = 0.5
# `pathways dedupe` and `pathways link` have no review band: a pair is linked or it is not. The
# model's probabilities are calibrated, so the uncertain pairs between this and the import's
# link threshold are mostly the same person (names agree, date of birth missing, moved); at
# 10,000 synthetic records this threshold gives the best F1 (benchmarks/linkage.py).
DEFAULT_BATCH_THRESHOLD = 0.85

DEFAULT_MODEL_PATH = Path(__file__).with_name("default_model.json")
DUCKDB_MEMORY_LIMIT = os.environ.get("PATHWAYS_LINKAGE_MEMORY", "6GB")

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_PNC = re.compile(r"^([0-9]{2}|[0-9]{4})/?([0-9]{1,7})([A-Z])$")
_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_SEXES = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F"}
_SEX_UNKNOWN = {"", "U", "UNKNOWN", "NOT KNOWN", "X"}
# The 2001 census codes' "not stated" and its spellings: missing, not a value that agrees with itself.
_ETHNICITY_UNKNOWN = {"", "NS", "Z", "NOT STATED", "NOT KNOWN", "UNKNOWN"}
_EARLIEST_BIRTH = dt.date(1900, 1, 1)


@dataclass
class PreparationSummary:
    """How many values of each kind were unusable and so treated as missing."""

    records: int = 0
    names_missing: int = 0
    dates_of_birth_missing: int = 0
    dates_of_birth_unreadable: int = 0
    dates_of_birth_impossible: int = 0
    dates_of_birth_in_future: int = 0
    dates_of_birth_before_1900: int = 0
    postcodes_missing: int = 0
    postcodes_invalid: int = 0
    pnc_ids_invalid: int = 0
    sexes_unknown: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def dates_of_birth_unusable(self) -> int:
        return (
            self.dates_of_birth_unreadable
            + self.dates_of_birth_impossible
            + self.dates_of_birth_in_future
            + self.dates_of_birth_before_1900
        )


@dataclass
class TrainingResult:
    splink_settings: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


# --- cleaning ---------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def clean_date_of_birth(value: object, *, today: dt.date | None = None) -> tuple[str | None, str | None]:
    """(ISO date or None, why it was rejected or None)."""
    text = _text(value)
    if not text:
        return None, "missing"
    match = _ISO_DATE.match(text)
    if not match:
        return None, "unreadable"
    try:
        born = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None, "impossible"
    if born > (today or dt.datetime.now(dt.UTC).date()):
        return None, "in_future"
    if born < _EARLIEST_BIRTH:
        return None, "before_1900"
    return born.isoformat(), None


def clean_postcode(value: object) -> str | None:
    """ "wx1 2ab" → "WX1 2AB"; None when it is not shaped like a UK postcode."""
    compact = re.sub(r"\s+", "", _text(value)).upper()
    match = _POSTCODE.match(compact)
    return f"{match[1]} {match[2]}" if match else None


def clean_pnc_id(value: object) -> str | None:
    """ "19/123456a" → "2019/0123456A"; None when it is not shaped like a PNC ID."""
    compact = re.sub(r"\s+", "", _text(value)).upper()
    match = _PNC.match(compact)
    if not match:
        return None
    year = match[1]
    if len(year) == 2:
        # A two-digit year is this century unless that would be in the future.
        this_year = dt.datetime.now(dt.UTC).year % 100
        year = f"{20 if int(year) <= this_year else 19}{year}"
    return f"{year}/{int(match[2]):07d}{match[3]}"


def _first_given_name(value: object) -> str:
    for part in re.split(r"[\s\-]+", _text(value)):
        folded = fold(part)
        if folded:
            return folded
    return ""


def prepare(records: pd.DataFrame) -> tuple[pd.DataFrame, PreparationSummary]:
    """Clean records for comparison; a messy value becomes missing and is counted, never an error.

    Args:
        records: one row per record with the columns of ``RECORD_COLUMNS`` (strings).

    Returns:
        The cleaned frame Splink compares (folded names, canonical given name, ISO date of
        birth and its parts, normalised postcode with its sector and district, PNC ID) and a
        ``PreparationSummary``.
    """
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"records lack the column(s) {', '.join(missing)}; expected {', '.join(RECORD_COLUMNS)}")
    ids = records["unique_id"].map(_text)
    if (ids == "").any():
        row = int((ids == "").to_numpy().nonzero()[0][0]) + 1
        raise ValueError(f"record {row} has no unique_id")
    if ids.duplicated().any():
        raise ValueError(f"unique_id {ids[ids.duplicated()].iloc[0]!r} appears more than once")

    summary = PreparationSummary(records=len(records))
    today = dt.datetime.now(dt.UTC).date()

    def by_value(column: str, clean: Any) -> pd.Series:
        # A million records hold far fewer distinct values: clean each once.
        values = records[column].map(_text)
        cleaned = {value: clean(value) for value in set(values)}
        return values.map(cleaned.__getitem__)

    given = by_value("given_name", _first_given_name)
    surname = by_value("surname", fold)
    summary.names_missing = int(((given == "") | (surname == "")).sum())

    dob_checked = by_value("date_of_birth", lambda v: clean_date_of_birth(v, today=today))
    dob = dob_checked.map(lambda checked: checked[0])
    problems = dob_checked.map(lambda checked: checked[1]).value_counts()
    summary.dates_of_birth_missing = int(problems.get("missing", 0))
    summary.dates_of_birth_unreadable = int(problems.get("unreadable", 0))
    summary.dates_of_birth_impossible = int(problems.get("impossible", 0))
    summary.dates_of_birth_in_future = int(problems.get("in_future", 0))
    summary.dates_of_birth_before_1900 = int(problems.get("before_1900", 0))

    raw_postcode = records["postcode"].map(_text)
    postcode = by_value("postcode", clean_postcode)
    summary.postcodes_missing = int((raw_postcode == "").sum())
    summary.postcodes_invalid = int(((raw_postcode != "") & postcode.isna()).sum())

    raw_pnc = records["pnc_id"].map(_text)
    pnc = by_value("pnc_id", clean_pnc_id)
    summary.pnc_ids_invalid = int(((raw_pnc != "") & pnc.isna()).sum())

    sex = by_value("sex", lambda v: _SEXES.get(v.upper()))
    summary.sexes_unknown = int(sex.isna().sum())

    if "ethnicity" in records.columns:
        ethnicity = by_value("ethnicity", lambda v: None if v.upper() in _ETHNICITY_UNKNOWN else v.upper())
    else:
        ethnicity = pd.Series(None, index=records.index, dtype=object)

    outward = postcode.map(lambda p: p.split(" ")[0] if isinstance(p, str) else None)
    frame = pd.DataFrame(
        {
            "unique_id": ids,
            "given_name": given,
            "given_canonical": given.map(lambda g: canonical_given_name(g) if g else ""),
            "given_key": by_value("given_name", lambda v: given_name_key(_first_given_name(v))),
            "given_initial": given.map(lambda g: g[:1]),
            "surname": surname,
            "surname_key": surname.map(lambda v: surname_key(v) if v else ""),
            "date_of_birth": dob,
            "dob_year": dob.map(lambda d: d[:4] if d else None),
            "dob_month": dob.map(lambda d: d[5:7] if d else None),
            "dob_day": dob.map(lambda d: d[8:10] if d else None),
            "sex": sex,
            "ethnicity": ethnicity,
            "postcode": postcode,
            "postcode_sector": postcode.map(lambda p: f"{p[:-2]}" if p else None),
            "postcode_district": outward,
            "address_1": by_value("address_1", fold),
            "town": by_value("town", fold),
            "pnc_id": pnc,
            "other_id": by_value("other_id", lambda v: re.sub(r"\s+", "", v).upper()),
        },
        columns=PREPARED_COLUMNS,
    ).reset_index(drop=True)
    # Splink reads None as missing; an empty string would be a value that agrees with itself.
    frame = frame.astype(object).where(frame.notna() & (frame != ""), None)
    return frame, summary


def _prepared(records: pd.DataFrame) -> tuple[pd.DataFrame, PreparationSummary | None]:
    """Records as ``prepare`` makes them; records it already made are used as they are, so that
    a batch run cleans a million records once rather than once per stage."""
    if set(PREPARED_COLUMNS) <= set(records.columns):
        return records, None
    return prepare(records)


PREPARED_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "given_name",
    "given_canonical",
    "given_key",
    "given_initial",
    "surname",
    "surname_key",
    "date_of_birth",
    "dob_year",
    "dob_month",
    "dob_day",
    "sex",
    "ethnicity",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "address_1",
    "town",
    "pnc_id",
    "other_id",
)


# --- the model's shape ------------------------------------------------------------------


def _null(column: str, label: str) -> dict[str, Any]:
    return {
        "sql_condition": f"{column}_l IS NULL OR {column}_r IS NULL",
        "label_for_charts": label,
        "is_null_level": True,
    }


def _level(sql: str, label: str, *, tf: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if tf:
        level.update(tf_adjustment_column=tf, tf_adjustment_weight=1.0)
    return level


def _else(label: str) -> dict[str, Any]:
    return {"sql_condition": "ELSE", "label_for_charts": label}


# Splink treats comparisons as independent, but twins agree on surname, date of birth and often
# address *because* they are siblings: only the given name tells them apart. This level gives
# a wholly different given name, where surname and date of birth agree, a fixed weight that
# outweighs those agreements, so twins fall below the review threshold unless something else
# (a PNC ID, another reference) says they are one person. Training leaves it as set.
TWINS_MATCH_WEIGHT = -32.0


def _twins_level() -> dict[str, Any]:
    return {
        "sql_condition": (
            "date_of_birth_l = date_of_birth_r AND surname_key_l = surname_key_r AND "
            "given_canonical_l <> given_canonical_r"
        ),
        "label_for_charts": "Different given names, same surname and date of birth (twins?)",
        "m_probability": 2.0**TWINS_MATCH_WEIGHT,
        "u_probability": 1.0,
        "fix_m_probability": True,
        "fix_u_probability": True,
    }


def _swapped_counted_under_surname(sql: str) -> dict[str, Any]:
    # Both names agree once swapped: one piece of evidence, so only the surname comparison weighs it.
    return {
        "sql_condition": sql,
        "label_for_charts": "Given name and surname swapped",
        "m_probability": 0.5,
        "u_probability": 0.5,
        "fix_m_probability": True,
        "fix_u_probability": True,
    }


def _comparisons() -> list[dict[str, Any]]:
    """Each comparison lists its levels strongest first; the first non-null level is full agreement."""
    swapped = "given_name_l = surname_r AND surname_l = given_name_r"
    return [
        {
            "output_column_name": "given_name",
            "comparison_description": "Given name",
            "comparison_levels": [
                _null("given_name", "Given name missing"),
                _level("given_name_l = given_name_r", "Same given name", tf="given_name"),
                _swapped_counted_under_surname(swapped),
                _level(
                    "given_canonical_l = given_canonical_r", "Known variant of the same name (e.g. Bill and William)"
                ),
                _level("jaro_winkler_similarity(given_name_l, given_name_r) >= 0.92", "Very similar spelling"),
                _level("damerau_levenshtein(given_name_l, given_name_r) <= 1", "One letter wrong, missing or swapped"),
                _level("jaro_winkler_similarity(given_name_l, given_name_r) >= 0.8", "Similar spelling"),
                _twins_level(),
                _else("Different given names"),
            ],
        },
        {
            "output_column_name": "surname",
            "comparison_description": "Surname",
            "comparison_levels": [
                _null("surname", "Surname missing"),
                _level("surname_l = surname_r", "Same surname", tf="surname"),
                _level(swapped, "Given name and surname swapped"),
                _level("jaro_winkler_similarity(surname_l, surname_r) >= 0.92", "Very similar spelling"),
                _level("damerau_levenshtein(surname_l, surname_r) <= 1", "One letter wrong, missing or swapped"),
                _level(
                    "(length(surname_r) >= 3 AND instr(surname_l, surname_r) > 0)"
                    " OR (length(surname_l) >= 3 AND instr(surname_r, surname_l) > 0)",
                    "One surname is part of the other (e.g. double-barrelled)",
                ),
                _level("jaro_winkler_similarity(surname_l, surname_r) >= 0.8", "Similar spelling"),
                _else("Different surnames"),
            ],
        },
        {
            "output_column_name": "date_of_birth",
            "comparison_description": "Date of birth",
            "comparison_levels": [
                _null("date_of_birth", "Date of birth missing"),
                _level("date_of_birth_l = date_of_birth_r", "Same date of birth"),
                _level(
                    "dob_year_l = dob_year_r AND dob_day_l = dob_month_r AND dob_month_l = dob_day_r",
                    "Day and month swapped",
                ),
                _level("levenshtein(date_of_birth_l, date_of_birth_r) <= 1", "One digit different"),
                _level("dob_year_l = dob_year_r AND dob_month_l = dob_month_r", "Same year and month, different day"),
                _else("Different dates of birth"),
            ],
        },
        {
            "output_column_name": "sex",
            "comparison_description": "Sex",
            "comparison_levels": [
                _null("sex", "Sex not known"),
                _level("sex_l = sex_r", "Same sex"),
                _else("Different sex"),
            ],
        },
        {
            "output_column_name": "ethnicity",
            "comparison_description": "Ethnicity",
            "comparison_levels": [
                _null("ethnicity", "Ethnicity not stated"),
                _level("ethnicity_l = ethnicity_r", "Same ethnicity", tf="ethnicity"),
                _else("Different ethnicity"),
            ],
        },
        {
            "output_column_name": "postcode",
            "comparison_description": "Postcode",
            "comparison_levels": [
                _level("postcode_l = postcode_r", "Same postcode", tf="postcode"),
                # A record without a postcode often still has the street and town: where they
                # agree, that is the same address, not a missing one.
                _level(
                    "(postcode_l IS NULL OR postcode_r IS NULL) AND address_1_l = address_1_r AND town_l = town_r",
                    "Postcode missing, same first line of address and town",
                ),
                _null("postcode", "Postcode missing"),
                _level("postcode_sector_l = postcode_sector_r", "Same postcode sector (nearby street)"),
                _level("postcode_district_l = postcode_district_r", "Same postcode district (same area)"),
                _else("Different area"),
            ],
        },
        {
            "output_column_name": "pnc_id",
            "comparison_description": "PNC ID",
            "comparison_levels": [
                _null("pnc_id", "PNC ID missing"),
                _level("pnc_id_l = pnc_id_r", "Same PNC ID"),
                _else("Different PNC IDs"),
            ],
        },
        {
            "output_column_name": "other_id",
            "comparison_description": "Other reference",
            "comparison_levels": [
                _null("other_id", "Other reference missing"),
                _level("other_id_l = other_id_r", "Same other reference"),
                _else("Different other references"),
            ],
        },
    ]


# OR-ed: a pair is compared when any rule holds. Each is narrow enough for a million records:
# names alone only when they agree exactly; a name's sound or initial only with a year of
# birth, a date of birth, a district or an address beside it.
BLOCKING_RULES: tuple[str, ...] = (
    "l.pnc_id = r.pnc_id",
    "l.date_of_birth = r.date_of_birth AND l.surname_key = r.surname_key",
    "l.date_of_birth = r.date_of_birth AND l.given_initial = r.given_initial",
    "l.given_canonical = r.given_canonical AND l.surname = r.surname",
    "l.given_key = r.given_key AND l.surname_key = r.surname_key AND l.dob_year = r.dob_year",
    "l.surname = r.surname AND l.given_initial = r.given_initial AND l.postcode_district = r.postcode_district",
    "l.postcode = r.postcode AND l.given_initial = r.given_initial",
    "l.given_name = r.surname AND l.surname = r.given_name",
    "l.date_of_birth = r.date_of_birth AND l.given_initial = substr(r.surname, 1, 1)",
    "l.address_1 = r.address_1 AND l.town = r.town AND l.given_key = r.given_key AND substr(l.surname, 1, 1) = substr(r.surname, 1, 1)",
    "l.other_id = r.other_id",
)

# Pairs these rules find are almost all the same person: they set λ (the prior).
DETERMINISTIC_RULES: tuple[str, ...] = (
    "l.pnc_id = r.pnc_id",
    "l.given_name = r.given_name AND l.surname = r.surname AND l.date_of_birth = r.date_of_birth",
)

# m is learnt by EM on pairs blocked each of these ways; each leaves the other comparisons free.
# Both find pairs that are nearly all the same person, so EM's two classes are clean: rules
# that also gather siblings or namesakes (a shared postcode, a date of birth) teach it that a
# different date of birth is common among matches.
EM_BLOCKING_RULES: tuple[str, ...] = (
    "l.pnc_id = r.pnc_id",
    "l.given_name = r.given_name AND l.surname = r.surname",
)


def model_shape(*, link_type: str = "dedupe_only") -> dict[str, Any]:
    """An untrained Splink settings dict: comparisons, blocking rules, no m or u yet."""
    return {
        "link_type": link_type,
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-5,
        "comparisons": _comparisons(),
        "blocking_rules_to_generate_predictions": [{"blocking_rule": rule} for rule in BLOCKING_RULES],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
    }


# --- backends ---------------------------------------------------------------------------

# Function names that differ between DuckDB (the settings' own dialect) and Splink's Spark jar.
_SPARK_FUNCTIONS = {"jaro_winkler_similarity(": "jaro_winkler("}


def _for_engine(settings: dict[str, Any], engine: Engine) -> dict[str, Any]:
    settings = json.loads(json.dumps(settings))
    settings["sql_dialect"] = engine
    if engine == "spark":
        for comparison in settings["comparisons"]:
            for level in comparison["comparison_levels"]:
                for duck, spark in _SPARK_FUNCTIONS.items():
                    level["sql_condition"] = level["sql_condition"].replace(duck, spark)
    return settings


def _to_duckdb_settings(settings: dict[str, Any]) -> dict[str, Any]:
    settings = json.loads(json.dumps(settings))
    settings["sql_dialect"] = "duckdb"
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            for duck, spark in _SPARK_FUNCTIONS.items():
                level["sql_condition"] = level["sql_condition"].replace(spark, duck)
    return settings


class _Backend:
    """One database for one piece of work: a DuckDB connection or the Spark session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        if engine == "duckdb":
            import duckdb
            from splink import DuckDBAPI

            threads = max(1, min(os.cpu_count() or 1, 8))
            self.con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT, "threads": threads})
            self.db_api = DuckDBAPI(connection=self.con)
        elif engine == "spark":
            from splink import SparkAPI

            self.spark = spark_session()
            self.db_api = SparkAPI(spark_session=self.spark, break_lineage_method="persist")
        else:
            raise ValueError(f"unknown engine {engine!r}; use 'duckdb' or 'spark'")

    def table(self, frame: pd.DataFrame) -> Any:
        if self.engine == "duckdb":
            return frame
        from pyspark.sql.types import DoubleType, StringType, StructField, StructType

        fields = [
            StructField(c, DoubleType() if c == "match_probability" else StringType(), True) for c in frame.columns
        ]
        clean = frame.astype(object).where(frame.notna(), None)
        return self.spark.createDataFrame(clean.to_dict("records") or [], schema=StructType(fields))

    def close(self) -> None:
        if self.engine == "duckdb":
            self.con.close()


def spark_session() -> Any:
    """The local Spark session the analytics engine uses, with Splink's similarity functions added."""
    from splink.backends.spark import similarity_jar_location

    from pathways.analytics.engines import spark_session as analytics_session

    session = analytics_session()
    # The session may have been started without the jar (by analytics); ADD JAR works at any time.
    if session.conf.get("pathways.linkage.jar", "") != "added":
        session.sql(f"ADD JAR '{similarity_jar_location()}'")
        session.conf.set("pathways.linkage.jar", "added")
    if not session.sparkContext.getCheckpointDir():
        # Splink breaks long query plans by checkpointing.
        session.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="pathways-linkage-spark-"))
    return session


def _linker(backend: _Backend, tables: list[Any], settings: dict[str, Any], aliases: list[str] | None = None) -> Any:
    from splink import Linker

    return Linker(
        tables if len(tables) > 1 else tables[0],
        _for_engine(settings, backend.engine),
        backend.db_api,
        set_up_basic_logging=False,
        input_table_aliases=aliases,
    )


# --- training ---------------------------------------------------------------------------


def train(
    records: pd.DataFrame,
    *,
    engine: Engine = "duckdb",
    max_pairs: float = 2e6,
    recall: float = 0.8,
    seed: int = 1,
    em_blocking_rules: tuple[str, ...] | None = None,
) -> TrainingResult:
    """Learn the model from unlabelled records of one or more agencies (dedupe).

    λ from ``DETERMINISTIC_RULES`` (assumed to find ``recall`` of true matches), u from
    ``max_pairs`` random pairs, m by expectation maximisation on ``EM_BLOCKING_RULES``.
    """
    prepared, preparation = _prepared(records)
    backend = _Backend(engine)
    try:
        linker = _linker(backend, [backend.table(prepared)], model_shape())
        linker.training.estimate_probability_two_random_records_match(list(DETERMINISTIC_RULES), recall=recall)
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in em_blocking_rules or EM_BLOCKING_RULES:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        settings = linker.misc.save_model_to_json()
    finally:
        backend.close()
    settings = _fill_unseen_levels(_to_duckdb_settings(settings), max_pairs=max_pairs)
    settings["probability_two_random_records_match"] *= (len(prepared) - 1) / (REFERENCE_RECORDS - 1)
    return TrainingResult(
        splink_settings=settings, summary=model_summary(settings, records=len(prepared), preparation=preparation)
    )


MAX_AGAINST = 15.0  # the strongest evidence against a match one trained level may give, in bits
# Agencies record ethnicity differently (self-described, officer-observed, out of date), far
# more often than the training data may show: a different ethnicity counts against a match, but
# never by more than this.
MAX_AGAINST_BY_COMPARISON = {"ethnicity": 4.0}


# A saved model's λ (probability_two_random_records_match) is for a file of this many records.
# A person has about as many records whatever the size of the file, so in a file ten times
# larger a random pair is ten times less likely to be one person: predict_pairs scales λ down
# for larger inputs (never up: a handful of records says nothing about the population).
REFERENCE_RECORDS = 10_000


def prior_for(splink_settings: dict[str, Any], *, records: int) -> float:
    """λ for a comparison among ``records`` records (the larger side, when linking two files)."""
    reference = float(splink_settings["probability_two_random_records_match"])
    return reference * min(1.0, (REFERENCE_RECORDS - 1) / max(records - 1, 1))


def _fill_unseen_levels(settings: dict[str, Any], *, max_pairs: float) -> dict[str, Any]:
    """Give a level the training never saw a value Splink can use.

    A u never seen in ``max_pairs`` random pairs is at most about 1 / ``max_pairs``; a level
    never seen among likely matches gets m = u, a weight of 0: no evidence either way.
    """
    for comparison in settings["comparisons"]:
        most_against = MAX_AGAINST_BY_COMPARISON.get(comparison["output_column_name"], MAX_AGAINST)
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            if level.get("u_probability") is None:
                level["u_probability"] = 1.0 / max_pairs
            if level.get("m_probability") is None:
                level["m_probability"] = level["u_probability"]
            elif not level.get("fix_m_probability"):
                # A level EM almost never saw among matches says "impossible" (weights of -90
                # have been seen); no single field disagreeing is that certain.
                level["m_probability"] = max(level["m_probability"], level["u_probability"] * 2.0**-most_against)
    return settings


def model_summary(
    settings: dict[str, Any], *, records: int | None = None, preparation: PreparationSummary | None = None
) -> dict[str, Any]:
    """λ and, per comparison level, m, u and the match weight a reviewer reads."""
    comparisons = []
    for comparison in settings["comparisons"]:
        levels = []
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            levels.append({"level": level["label_for_charts"], "m": m, "u": u, "match_weight": weight})
        comparisons.append({"comparison": _comparison_name(comparison), "levels": levels})
    return {
        "probability_two_random_records_match": settings["probability_two_random_records_match"],
        "probability_is_for_records": REFERENCE_RECORDS,
        "records": records,
        "preparation": preparation.as_dict() if preparation else None,
        "comparisons": comparisons,
    }


@cache
def _default_model_text() -> str:
    return DEFAULT_MODEL_PATH.read_text()


def default_splink_settings() -> dict[str, Any]:
    """The model trained on synthetic partner records, used until a partnership trains its own."""
    return json.loads(_default_model_text())


def write_default_model(*, people: int = 8000, seed: int = 9, path: Path = DEFAULT_MODEL_PATH) -> TrainingResult:
    """Train on synthetic partner records and write the shipped model."""
    from pathways.linkage.synthetic import partner_records, records_for_engine

    result = train(records_for_engine(partner_records(people=people, seed=seed)))
    settings = dict(result.splink_settings)
    settings.pop("linker_uid", None)
    path.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")
    _default_model_text.cache_clear()
    return result


# --- scoring ----------------------------------------------------------------------------


# What a reviewer calls each comparison (Splink does not keep its own description when saving).
COMPARISON_NAMES = {
    "given_name": "Given name",
    "surname": "Surname",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "postcode": "Postcode",
    "pnc_id": "PNC ID",
    "other_id": "Other reference",
}


def _comparison_name(comparison: dict[str, Any]) -> str:
    column = comparison["output_column_name"]
    return COMPARISON_NAMES.get(column, comparison.get("comparison_description") or column)


def _level_tables(settings: dict[str, Any]) -> list[tuple[str, str, dict[int, str], int]]:
    """Per comparison: (column, description, gamma → label, gamma of full agreement).

    Splink numbers a comparison's levels: the null level -1, then the rest from n-1 (first)
    down to 0 (the else level).
    """
    tables = []
    for comparison in settings["comparisons"]:
        levels = comparison["comparison_levels"]
        others = [lv for lv in levels if not lv.get("is_null_level")]
        labels = {-1: next((lv["label_for_charts"] for lv in levels if lv.get("is_null_level")), "Missing")}
        for i, level in enumerate(others):
            labels[len(others) - 1 - i] = level["label_for_charts"]
        tables.append((comparison["output_column_name"], _comparison_name(comparison), labels, len(others) - 1))
    return tables


def _shown(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _explain(row: dict[str, Any], tables: list[tuple[str, str, dict[int, str], int]]) -> list[dict[str, Any]]:
    explained = []
    for column, description, labels, top in tables:
        gamma = int(row[f"gamma_{column}"])
        bf = float(row.get(f"bf_{column}") or 1.0)
        tf = row.get(f"bf_tf_adj_{column}")
        if tf is not None and not (isinstance(tf, float) and math.isnan(tf)):
            bf *= float(tf)
        explained.append(
            {
                "comparison": description,
                "level": labels.get(gamma, str(gamma)),
                "left": _shown(row.get(f"{column}_l")),
                "right": _shown(row.get(f"{column}_r")),
                # A missing value neither agrees nor disagrees, even where a level looks past it
                # (a missing postcode with the same street and town).
                "agrees": None
                if gamma == -1 or not _shown(row.get(f"{column}_l")) or not _shown(row.get(f"{column}_r"))
                else gamma == top,
                "match_weight": round(math.log2(bf), 4) if bf > 0 else float("-inf"),
            }
        )
    return explained


PAIR_COLUMNS = ("left_id", "right_id", "match_probability", "match_weight", "comparison")


def predict_pairs(
    left: pd.DataFrame,
    right: pd.DataFrame | None = None,
    *,
    splink_settings: dict[str, Any],
    threshold: float,
    engine: Engine = "duckdb",
    explain: bool = True,
) -> pd.DataFrame:
    """Score the pairs of records the blocking rules bring together, keeping those at or above ``threshold``.

    Args:
        left: records (``RECORD_COLUMNS``); compared with each other when ``right`` is None.
        right: records of another source, compared only with ``left`` (link only).
        splink_settings: a trained model, e.g. ``default_splink_settings()``.
        threshold: the lowest match probability kept, 0 to 1.
        explain: False leaves ``comparison`` empty (None), for batch runs of millions of pairs.

    Returns:
        ``left_id, right_id, match_probability, match_weight, comparison`` (the explanation,
        one entry per comparison), most probable first.
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    left_prepared, _ = _prepared(left)
    settings = dict(splink_settings)
    frames = [left_prepared]
    aliases = None
    if right is None:
        settings["link_type"] = "dedupe_only"
    else:
        right_prepared, _ = _prepared(right)
        frames.append(right_prepared)
        settings["link_type"] = "link_only"
        aliases = ["a_left", "b_right"]
    # Only an explanation needs each pair's values and Bayes factors; without them a million
    # records' pairs take less than half the memory.
    settings["retain_matching_columns"] = explain
    settings["retain_intermediate_calculation_columns"] = explain
    settings["probability_two_random_records_match"] = prior_for(splink_settings, records=max(len(f) for f in frames))
    if any(len(f) == 0 for f in frames) or (right is None and len(left_prepared) < 2):
        return pd.DataFrame(columns=list(PAIR_COLUMNS))

    backend = _Backend(engine)
    try:
        linker = _linker(backend, [backend.table(f) for f in frames], settings, aliases)
        predictions = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    finally:
        backend.close()
    return _pairs_from_predictions(predictions, settings, explain=explain)


def _pairs_from_predictions(predictions: pd.DataFrame, settings: dict[str, Any], *, explain: bool) -> pd.DataFrame:
    if predictions.empty:
        return pd.DataFrame(columns=list(PAIR_COLUMNS))
    if not explain:
        left_is_right = predictions.get("source_dataset_l", pd.Series("", index=predictions.index)) == "b_right"
        pairs = pd.DataFrame(
            {
                "left_id": predictions["unique_id_l"].where(~left_is_right, predictions["unique_id_r"]).astype(str),
                "right_id": predictions["unique_id_r"].where(~left_is_right, predictions["unique_id_l"]).astype(str),
                "match_probability": predictions["match_probability"].astype(float),
                "match_weight": predictions["match_weight"].astype(float),
                "comparison": None,
            }
        )
        return pairs.sort_values(
            ["match_probability", "left_id", "right_id"], ascending=[False, True, True], ignore_index=True
        )
    tables = _level_tables(settings)
    out = []
    for row in predictions.to_dict("records"):
        left_id, right_id = str(row["unique_id_l"]), str(row["unique_id_r"])
        if row.get("source_dataset_l") == "b_right":
            # Keep left ids on the left even if Splink ordered the pair the other way.
            left_id, right_id = right_id, left_id
            row = {
                k[:-2] + ("_r" if k.endswith("_l") else "_l") if k.endswith(("_l", "_r")) else k: v
                for k, v in row.items()
            }
        out.append(
            {
                "left_id": left_id,
                "right_id": right_id,
                "match_probability": float(row["match_probability"]),
                "match_weight": float(row["match_weight"]),
                "comparison": _explain(row, tables),
            }
        )
    pairs = pd.DataFrame(out, columns=list(PAIR_COLUMNS))
    return pairs.sort_values(
        ["match_probability", "left_id", "right_id"], ascending=[False, True, True], ignore_index=True
    )


def cluster(records: pd.DataFrame, pairs: pd.DataFrame, *, threshold: float, engine: Engine = "duckdb") -> pd.DataFrame:
    """Group records into people: connected components of the pairs at or above ``threshold``.

    Returns ``unique_id, cluster_id`` for every record, a record with no pair in a cluster of its own.
    """
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    nodes = pd.DataFrame({"unique_id": records["unique_id"].map(_text)})
    edges = pd.DataFrame(
        {
            "left_id": pairs["left_id"].astype(str) if len(pairs) else pd.Series([], dtype=object),
            "right_id": pairs["right_id"].astype(str) if len(pairs) else pd.Series([], dtype=object),
            "match_probability": pairs["match_probability"].astype(float) if len(pairs) else pd.Series([], dtype=float),
        }
    )
    if nodes.empty:
        return pd.DataFrame(columns=["unique_id", "cluster_id"])
    if edges.empty:
        return pd.DataFrame({"unique_id": nodes["unique_id"], "cluster_id": nodes["unique_id"]})
    backend = _Backend(engine)
    try:
        clusters = cluster_pairwise_predictions_at_threshold(
            backend.table(nodes),
            backend.table(edges),
            backend.db_api,
            node_id_column_name="unique_id",
            edge_id_column_name_left="left_id",
            edge_id_column_name_right="right_id",
            threshold_match_probability=threshold,
        ).as_pandas_dataframe()
    finally:
        backend.close()
    clusters = clusters[["unique_id", "cluster_id"]].astype(str)
    return clusters.sort_values("unique_id", ignore_index=True)


if __name__ == "__main__":
    result = write_default_model()
    print(json.dumps(result.summary, indent=2))
