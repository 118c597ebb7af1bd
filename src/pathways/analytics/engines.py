"""Where the measure runs: DuckDB (embedded, the default) or Apache Spark (for data that
outgrows one machine). Both take the same four tables and run the same SQL from `measures`;
Spark is imported only when asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from pathways.analytics.measures import (
    BREAKDOWNS,
    Dialect,
    DuckDBDialect,
    Figures,
    Preset,
    Result,
    SparkDialect,
    aggregate_sql,
    order_groups,
    person_level_sql,
    within_sql,
)

# Column types of the partner files (docs/data-formats.md); anything else in a file is ignored.
COLUMNS: dict[str, dict[str, str]] = {
    "people": {
        "person_id": "VARCHAR",
        "date_of_birth": "DATE",
        "sex": "VARCHAR",
        "ethnicity": "VARCHAR",
        "postcode": "VARCHAR",
    },
    "offences": {
        "offence_id": "VARCHAR",
        "person_id": "VARCHAR",
        "offence_date": "DATE",
        "offence_code": "VARCHAR",
        "offence_group": "VARCHAR",
    },
    "outcomes": {"offence_id": "VARCHAR", "outcome_date": "DATE", "outcome": "VARCHAR"},
    "custody": {"person_id": "VARCHAR", "offence_id": "VARCHAR", "sentence_date": "DATE", "release_date": "DATE"},
    "schemes": {"person_id": "VARCHAR", "scheme": "VARCHAR"},
}
REQUIRED = ["people", "offences", "outcomes", "custody"]


class DataError(ValueError):
    """The partner files cannot be read as the measure needs them: says which file and why."""


def folder_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    files = {name: folder / f"{name}.csv" for name in COLUMNS if (folder / f"{name}.csv").is_file()}
    missing = [f"{n}.csv" for n in REQUIRED if n not in files]
    if missing:
        raise DataError(f"{folder}: missing {', '.join(missing)} (see docs/data-formats.md)")
    for name, path in files.items():
        header = path.open(encoding="utf-8-sig").readline().strip().split(",")
        absent = [c for c in COLUMNS[name] if c not in header]
        if absent:
            raise DataError(f"{path}: the header lacks column(s) {', '.join(absent)}")
    return files


class Engine:
    name = "engine"
    dialect: Dialect

    def load_folder(self, folder: Path) -> None:
        raise NotImplementedError

    def load_frames(self, frames: dict[str, pd.DataFrame]) -> None:
        raise NotImplementedError

    def sql(self, query: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def materialise(self, name: str, query: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    @property
    def has_schemes(self) -> bool:
        return self._has_schemes

    def reoffending(
        self,
        preset: Preset,
        *,
        start: dt.date,
        end: dt.date,
        by: list[str] | None = None,
        within: dict[str, str] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Result:
        if end < start:
            raise DataError(f"the cohort ends ({end}) before it starts ({start})")
        unknown = (set(by or []) | set(within or {})) - set(BREAKDOWNS)
        if unknown:
            raise DataError(f"unknown breakdown(s) {', '.join(sorted(unknown))}; choose from {', '.join(BREAKDOWNS)}")
        step = progress or (lambda _message: None)
        step("finding the cohort and their proven reoffences")
        self.materialise(
            "cohort_people",
            person_level_sql(preset, start=start, end=end, dialect=self.dialect, has_schemes=self.has_schemes),
        )
        [overall] = self.sql(aggregate_sql(None, within))
        result = Result(preset=preset, start=start, end=end, engine=self.name, overall=_figures(overall))
        for name in by or []:
            step(f"breaking down by {name}")
            rows = [(str(r["grp"]), _figures(r)) for r in self.sql(aggregate_sql(name, within))]
            result.breakdowns[name] = order_groups(name, rows)
        return result

    def people_in(self, within: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The people behind a figure of the last run (for users allowed to see them)."""
        return self.sql(f"SELECT * FROM cohort_people {within_sql(within)} ORDER BY index_date, person_id")


def _figures(row: dict[str, Any]) -> Figures:
    return Figures(
        cohort=int(row["cohort"] or 0),
        reoffenders=int(row["reoffenders"] or 0),
        reoffences=int(row["reoffences"] or 0),
        total_days_to_first=int(row["total_days_to_first"] or 0),
    )


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = DuckDBDialect()

    def __init__(
        self, database: str = ":memory:", *, memory_limit: str | None = None, threads: int | None = None
    ) -> None:
        import duckdb

        self.con = duckdb.connect(database)
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        # A database file loaded earlier (load_folder) keeps its tables, the optional schemes among them.
        [(schemes,)] = self.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schemes'").fetchall()
        self._has_schemes = schemes > 0

    def load_folder(self, folder: Path) -> None:
        files = folder_files(folder)
        for name, path in files.items():
            types = ", ".join(f"'{c}': '{t}'" for c, t in COLUMNS[name].items())
            columns = ", ".join(COLUMNS[name])
            try:
                self.con.execute(
                    f"CREATE OR REPLACE TABLE {name} AS SELECT {columns} FROM read_csv(?, header = true, "
                    f"types = {{{types}}}, dateformat = '%Y-%m-%d', all_varchar = false, null_padding = true)",
                    [str(path)],
                )
            except Exception as exc:  # DuckDB names the line and the value; pass it on to the user.
                raise DataError(f"{path}: {exc}") from exc
        self._has_schemes = "schemes" in files

    def load_frames(self, frames: dict[str, pd.DataFrame]) -> None:
        for name, frame in frames.items():
            self.con.register(f"{name}_frame", frame)
            casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in COLUMNS[name].items())
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {casts} FROM {name}_frame")
            self.con.unregister(f"{name}_frame")
        self._has_schemes = "schemes" in frames

    def sql(self, query: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(query)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def materialise(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")

    def close(self) -> None:
        self.con.close()


def spark_session(*, master: str = "local[2]") -> Any:
    """The local Spark session Pathways runs in (one per process; an existing one is reused)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("pathways")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )


class SparkEngine(Engine):
    name = "spark"
    dialect = SparkDialect()

    def __init__(self, *, master: str = "local[2]", session: Any = None) -> None:
        self.spark = session if session is not None else spark_session(master=master)
        self._has_schemes = False

    def _schema(self, name: str) -> Any:
        from pyspark.sql.types import DateType, StringType, StructField, StructType

        return StructType(
            [StructField(c, DateType() if t == "DATE" else StringType(), True) for c, t in COLUMNS[name].items()]
        )

    def load_folder(self, folder: Path) -> None:
        files = folder_files(folder)
        for name, path in files.items():
            frame = (
                self.spark.read.option("header", True)
                .option("dateFormat", "yyyy-MM-dd")
                .option("mode", "FAILFAST")
                .csv(str(path))
            )
            for column, kind in COLUMNS[name].items():
                if kind != "DATE":
                    continue
                # Spark turns an unreadable date into null without a word; DuckDB refuses the file. Refuse here too.
                bad = frame.where(
                    f"{column} IS NOT NULL AND trim({column}) <> '' AND to_date({column}, 'yyyy-MM-dd') IS NULL"
                )
                example = bad.select(column).first()
                if example is not None:
                    raise DataError(
                        f"{path}: column {column} holds '{example[0]}', which is not a date in the form YYYY-MM-DD"
                    )
            frame = frame.selectExpr(
                *[f"CAST({c} AS {'DATE' if t == 'DATE' else 'STRING'}) AS {c}" for c, t in COLUMNS[name].items()]
            )
            frame.createOrReplaceTempView(name)
        self._has_schemes = "schemes" in files

    def load_frames(self, frames: dict[str, pd.DataFrame]) -> None:
        for name, frame in frames.items():
            records = frame[list(COLUMNS[name])].astype(object).where(frame.notna(), None).to_dict("records")
            self.spark.createDataFrame(records, schema=self._schema(name)).createOrReplaceTempView(name)
        self._has_schemes = "schemes" in frames

    def sql(self, query: str) -> list[dict[str, Any]]:
        return [row.asDict() for row in self.spark.sql(query).collect()]

    def materialise(self, name: str, query: str) -> None:
        self.spark.sql(query).cache().createOrReplaceTempView(name)

    def close(self) -> None:
        self.spark.catalog.clearCache()


def engine_named(name: str) -> Engine:
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine()
    raise DataError(f"unknown engine '{name}': choose duckdb or spark")
