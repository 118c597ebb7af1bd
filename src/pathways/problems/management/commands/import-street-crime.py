"""`pathways import-street-crime FILE --agency CODE`: check and load one police.uk street-level
crime file. A rejected file prints every problem by row and column and exits with status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pathways.imports.commands import file_agency_user
from pathways.imports.models import ImportBatch
from pathways.problems.streetcrime import street_crime_import


class Command(BaseCommand):
    help = "Check a police.uk street-level crime CSV file and, if every row is good, load it in one transaction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the police.uk CSV file (one force, one month)")
        parser.add_argument("--agency", required=True, help="code of the police agency the file is about")
        parser.add_argument("--user", help="username to record as having loaded it")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        path, agency, user = file_agency_user(options)
        batch = street_crime_import(data=path.read_bytes(), filename=path.name, agency=agency, by=user, via="command")
        rejected = batch.status == ImportBatch.Status.REJECTED
        if options["format"] == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "filename": batch.filename,
                        "status": batch.status,
                        "rows": batch.rows,
                        "created": batch.created_count,
                        "updated": batch.updated_count,
                        "unchanged": batch.unchanged_count,
                        "errors": batch.errors,
                        "batch_id": str(batch.pk),
                    },
                    indent=2,
                )
            )
        elif not rejected:
            self.stdout.write(
                f"{path.name}: {batch.rows} rows checked; {batch.created_count} new, "
                f"{batch.updated_count} changed, {batch.unchanged_count} unchanged."
            )
        else:
            for e in batch.errors:
                where = f"row {e['row']}" + (f", column {e['column']}" if e["column"] else "")
                self.stderr.write(f"{path.name}, {where}: {e['message']}")
        if rejected:
            raise CommandError(
                f"{path.name}: {len(batch.errors)} problem(s) found; nothing was imported.", returncode=2
            )
