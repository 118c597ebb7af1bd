"""`pathways link`: which records of one people file are the same person as records of another.

    pathways link --left A.csv --right B.csv --output pairs.csv [--threshold P]
                  [--engine duckdb|spark] [--model train|default|partnership] [--format text|json]

Writes `left_id,right_id,match_probability` for each pair at or above the threshold. A file
that cannot be linked ends with exit code 2, one line per problem naming file, row and column,
and no output; messy values are treated as missing and counted in the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from pathways.linkage.batch import STAGES, run_link
from pathways.linkage.management.commands._batch import BatchCommand


class Command(BatchCommand):
    help = "Link the records of two people files: the pairs that are the same person."
    stages = tuple(stage for stage in STAGES if stage != "clustering")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--left", type=Path, required=True, help="people file (docs/data-formats.md)")
        parser.add_argument("--right", type=Path, required=True, help="people file to link with --left")
        parser.add_argument(
            "--output", type=Path, required=True, help="CSV to write: left_id,right_id,match_probability"
        )
        self.add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.run(
            options,
            lambda on_stage: run_link(
                left_path=options["left"],
                right_path=options["right"],
                output=options["output"],
                threshold=options["threshold"],
                engine=options["engine"],
                model=options["model"],
                on_stage=on_stage,
            ),
        )
