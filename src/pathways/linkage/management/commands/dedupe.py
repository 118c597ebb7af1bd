"""`pathways dedupe`: which records of one people file are the same person.

    pathways dedupe --input A.csv --output clusters.csv [--threshold P] [--engine duckdb|spark]
                    [--model train|default|partnership] [--format text|json]

Writes `person_id,cluster_id` for every record (a record on its own is its own cluster). A file
that cannot be linked ends with exit code 2, one line per problem naming file, row and column,
and no output; messy values are treated as missing and counted in the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from pathways.linkage.batch import STAGES, run_dedupe
from pathways.linkage.management.commands._batch import BatchCommand


class Command(BatchCommand):
    help = "Group the records of a people file into people (record linkage within one file)."
    stages = STAGES

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", type=Path, required=True, help="people file (docs/data-formats.md)")
        parser.add_argument("--output", type=Path, required=True, help="CSV to write: person_id,cluster_id")
        self.add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.run(
            options,
            lambda on_stage: run_dedupe(
                input_path=options["input"],
                output=options["output"],
                threshold=options["threshold"],
                engine=options["engine"],
                model=options["model"],
                on_stage=on_stage,
            ),
        )
