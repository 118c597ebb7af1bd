"""`pathways reoffending`: proven reoffending for a cohort, from partner files or the service."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pathways.analytics.engines import DataError, engine_named
from pathways.analytics.measures import BREAKDOWNS, load_presets


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"'{text}' is not a date in the form YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = "Proven reoffending (MoJ definition by default) for a cohort window, on DuckDB or Spark."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data", type=Path, help="folder of partner files (people.csv, offences.csv, outcomes.csv, custody.csv)"
        )
        parser.add_argument("--cohort-start", required=True, type=_date)
        parser.add_argument("--cohort-end", required=True, type=_date)
        parser.add_argument("--preset", default="moj")
        parser.add_argument("--preset-file", type=Path, help="JSON file of local presets")
        parser.add_argument("--by", action="append", default=[], choices=BREAKDOWNS)
        parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        parser.add_argument("--format", choices=["json", "csv", "table"], default="table")
        parser.add_argument("--suppress", type=int, default=0, help="hide counts under N (for publication)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["data"] is None:
            raise CommandError("--data DIR is required for now: reading the service's own database comes next")
        try:
            presets = load_presets(options["preset_file"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"cannot read the preset file: {exc}") from exc
        if options["preset"] not in presets:
            raise CommandError(f"unknown preset '{options['preset']}' (presets: {', '.join(presets)})")
        engine = engine_named(options["engine"])
        try:
            engine.load_folder(options["data"])
            result = engine.reoffending(
                presets[options["preset"]],
                start=options["cohort_start"],
                end=options["cohort_end"],
                by=options["by"],
                progress=lambda message: sys.stderr.write(f"… {message}\n"),
            )
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            engine.close()
        out = result.as_dict(suppress=options["suppress"])
        if options["format"] == "json":
            self.stdout.write(json.dumps(out, indent=2, default=str))
        elif options["format"] == "csv":
            writer = csv.writer(self.stdout)
            writer.writerow(["breakdown", "group", "cohort", "reoffenders", "rate", "reoffences"])
            writer.writerow(["overall", "all", out["cohort"], out["reoffenders"], out["rate"], out["reoffences"]])
            for name, groups in out["breakdowns"].items():
                for g in groups:
                    writer.writerow([name, g["group"], g["cohort"], g["reoffenders"], g["rate"], g["reoffences"]])
        else:
            rate = f"{out['rate']:.1%}" if out["rate"] is not None else "–"
            self.stdout.write(
                f"Cohort {out['cohort']}, reoffenders {out['reoffenders']} ({rate}), reoffences {out['reoffences']}"
            )
            for name, groups in out["breakdowns"].items():
                self.stdout.write(f"\n{name}")
                for g in groups:
                    r = f"{g['rate']:.1%}" if g["rate"] is not None else "–"
                    self.stdout.write(f"  {g['group']:<24} {g['cohort']!s:>8} {g['reoffenders']!s:>8} {r:>7}")
