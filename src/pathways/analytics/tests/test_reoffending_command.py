"""The `pathways reoffending` command on a folder of partner files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pathways.analytics.tests.test_reoffending_definition import History, index_on

D = dt.date


def write_folder(folder: Path, history: History) -> None:
    for name, frame in history.frames().items():
        frame.to_csv(folder / f"{name}.csv", index=False)


def test_the_command_prints_the_documented_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    h = History()
    index_on(h, h.person("a"), D(2023, 2, 1))
    h.offence("a", "r1", D(2023, 5, 1), ("conviction_fine", D(2023, 6, 1)))
    index_on(h, h.person("b", sex="F"), D(2023, 2, 1))
    write_folder(tmp_path, h)
    call_command(
        "reoffending",
        "--data",
        str(tmp_path),
        "--cohort-start",
        "2023-01-01",
        "--cohort-end",
        "2023-03-31",
        "--by",
        "sex",
        "--format",
        "json",
    )
    out = json.loads(capsys.readouterr().out)
    assert (out["cohort"], out["reoffenders"], out["rate"], out["reoffences"]) == (2, 1, 0.5, 1)
    assert (out["per_reoffender"], out["per_offender"]) == (1.0, 0.5)
    assert [(g["group"], g["cohort"], g["reoffenders"]) for g in out["breakdowns"]["sex"]] == [("F", 1, 0), ("M", 1, 1)]


def test_missing_files_and_bad_dates_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"missing people\.csv"):
        call_command(
            "reoffending", "--data", str(tmp_path), "--cohort-start", "2023-01-01", "--cohort-end", "2023-03-31"
        )
    with pytest.raises(CommandError, match="not a date"):
        call_command(
            "reoffending", "--data", str(tmp_path), "--cohort-start", "2023-13-01", "--cohort-end", "2023-03-31"
        )


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_an_unreadable_date_in_a_file_is_refused_by_both_engines(tmp_path: Path, engine: str) -> None:
    h = History()
    index_on(h, h.person("a"), D(2023, 2, 1))
    write_folder(tmp_path, h)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(outcomes.read_text().replace("2023-02-01", "2023-02-30"))
    with pytest.raises(CommandError, match=r"outcomes\.csv"):
        call_command(
            "reoffending",
            "--data",
            str(tmp_path),
            "--cohort-start",
            "2023-01-01",
            "--cohort-end",
            "2023-03-31",
            "--engine",
            engine,
        )


def test_a_database_file_loaded_earlier_keeps_its_schemes(tmp_path: Path) -> None:
    from pathways.analytics.engines import DuckDBEngine
    from pathways.analytics.measures import PRESETS

    h = History()
    index_on(h, h.person("a"), D(2023, 2, 1))
    index_on(h, h.person("b"), D(2023, 2, 1))
    write_folder(tmp_path, h)
    (tmp_path / "schemes.csv").write_text("person_id,scheme\na,IOM\n")
    database = str(tmp_path / "partnership.duckdb")
    first = DuckDBEngine(database)
    first.load_folder(tmp_path)
    first.close()
    reopened = DuckDBEngine(database)
    result = reopened.reoffending(PRESETS["moj"], start=D(2023, 1, 1), end=D(2023, 3, 31), by=["scheme"])
    assert {group: f.cohort for group, f in result.breakdowns["scheme"]} == {"IOM": 1, "none": 1}
