"""What `pathways link` and `pathways dedupe` share: options, the progress bar, the summary, exit 2."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pathways.linkage.batch import BatchFileError, BatchSummary

BAD_INPUT = 2


class BatchCommand(BaseCommand):
    stages: tuple[str, ...] = ()

    def add_common_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threshold",
            type=float,
            help="lowest match probability counted as the same person, 0 to 1 "
            "(default: 0.85 with --model default or train; the partnership's link threshold with --model partnership)",
        )
        parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb", help="default duckdb")
        parser.add_argument(
            "--model",
            choices=["train", "default", "partnership"],
            default="train",
            help="train: learn from the input itself (default); default: the shipped model; "
            "partnership: the service's active linkage model",
        )
        parser.add_argument("--format", choices=["text", "json"], default="text", help="of the summary (default text)")

    def run(self, options: dict[str, Any], work: Callable[[Callable[[str], None]], BatchSummary]) -> None:
        from tqdm import tqdm

        bar = tqdm(
            total=len(self.stages),
            unit="stage",
            file=sys.stderr,
            disable=options["verbosity"] == 0,
            bar_format="{desc:<12} {bar} {n_fmt}/{total_fmt} stages [{elapsed}]",
            dynamic_ncols=True,
        )
        started: list[str] = []

        def on_stage(name: str) -> None:
            if started:
                bar.update(1)
            started.append(name)
            bar.set_description_str(name)

        if options["verbosity"] < 2:
            # Splink warns of levels training never saw; the engine gives those a weight of its own.
            logging.getLogger("splink").setLevel(logging.ERROR)
        try:
            summary = work(on_stage)
        except BatchFileError as exc:
            bar.close()
            raise CommandError(str(exc), returncode=BAD_INPUT) from exc
        except ValueError as exc:
            # The engine's own refusals (a threshold, a model it cannot use) are the user's to fix.
            bar.close()
            raise CommandError(str(exc), returncode=BAD_INPUT) from exc
        bar.update(bar.total - bar.n)
        bar.set_description_str("done")
        bar.close()
        if options["format"] == "json":
            self.stdout.write(json.dumps(summary.as_dict(), indent=2))
        else:
            self.stdout.write(summary_text(summary))


_TREATED = {
    "names_with_digits": "names with digits",
    "dates_of_birth_impossible": "impossible dates of birth (e.g. 30 February)",
    "dates_of_birth_unreadable": "dates of birth not in the form YYYY-MM-DD",
    "dates_of_birth_in_future": "dates of birth in the future",
    "dates_of_birth_before_1900": "dates of birth before 1900",
    "postcodes_invalid": "postcodes that are not UK postcodes",
    "pnc_ids_invalid": "PNC IDs not shaped like 2019/0123456A",
}
_MISSING = {
    "names_missing": "without a given name or surname",
    "dates_of_birth_missing": "without a date of birth",
    "postcodes_missing": "without a postcode",
    "sexes_unknown": "sex not known",
}


def summary_text(summary: BatchSummary) -> str:
    lines = []
    for file in summary.files:
        lines.append(f"{file['path']}: {file['records']:,} records")
        treated = {k: v for k, v in file["treated_as_missing"].items() if v}
        if treated:
            lines.append("  treated as missing:")
            lines.extend(f"    {count:>9,}  {_TREATED.get(key, key)}" for key, count in treated.items())
        else:
            lines.append("  no messy values")
        blank = {k: v for k, v in file["missing"].items() if v}
        if blank:
            lines.append("  left blank in the file:")
            lines.extend(f"    {count:>9,}  {_MISSING.get(key, key)}" for key, count in blank.items())
    found = summary.found
    lines.append(f"Model: {summary.model_description}; engine {summary.engine}; threshold {summary.threshold:g}")
    if summary.command == "dedupe":
        lines.append(
            f"Found {found['pairs']:,} pairs; {found['clusters']:,} people "
            f"({found['records_in_shared_clusters']:,} records share a person with another; "
            f"the largest has {found['largest_cluster']:,} records)"
        )
    else:
        lines.append(
            f"Found {found['pairs']:,} pairs ({found['left_records_linked']:,} left records and "
            f"{found['right_records_linked']:,} right records linked)"
        )
    seconds = ", ".join(f"{stage} {s:.1f}s" for stage, s in summary.seconds.items())
    lines.append(f"Wrote {summary.output} in {sum(summary.seconds.values()):.1f}s ({seconds})")
    return "\n".join(lines)
