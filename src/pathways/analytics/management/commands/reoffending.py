"""`pathways reoffending`: proven reoffending for a cohort, from partner files or the service."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from pathways.accounts.models import User
from pathways.analytics.engines import DataError, engine_named
from pathways.analytics.measures import BREAKDOWNS, load_presets
from pathways.analytics.sources import service_extract


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
        parser.add_argument(
            "--as-user",
            help="without --data: analyse only what this user's agency may see for performance analysis "
            "(by default the operator sees the whole database)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on standard error")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            presets = load_presets(options["preset_file"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"cannot read the preset file: {exc}") from exc
        if options["preset"] not in presets:
            raise CommandError(f"unknown preset '{options['preset']}' (presets: {', '.join(presets)})")
        if options["suppress"] < 0:
            raise CommandError("--suppress takes a count of zero or more")
        user = None
        if options["as_user"]:
            if options["data"] is not None:
                raise CommandError("--as-user applies to the service's database; it cannot be used with --data")
            user = User.objects.select_related("agency").filter(username=options["as_user"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user '{options['as_user']}'")
        # One step to load, one for the cohort, one per breakdown.
        bar = tqdm(
            total=2 + len(options["by"]),
            desc="proven reoffending",
            unit="step",
            file=sys.stderr,
            disable=options["no_progress"],
            leave=False,
        )

        def step(message: str) -> None:
            bar.set_postfix_str(message)
            bar.update(1)

        engine = engine_named(options["engine"])
        try:
            if options["data"] is not None:
                bar.set_postfix_str(f"reading {options['data']}")
                engine.load_folder(options["data"])
            else:
                bar.set_postfix_str("reading the service's database")
                engine.load_frames(service_extract(user, via="command").frames)
            result = engine.reoffending(
                presets[options["preset"]],
                start=options["cohort_start"],
                end=options["cohort_end"],
                by=options["by"],
                progress=step,
            )
            bar.update(1)
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
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
