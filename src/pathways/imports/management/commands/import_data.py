"""`pathways import KIND FILE --agency CODE`: check and load one partner file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pathways.imports.commands import file_agency_user
from pathways.imports.formats import FORMATS
from pathways.imports.services import import_file


class Command(BaseCommand):
    help = "Check a partner CSV file and, if every row is good, load it in one transaction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(FORMATS), help="what the file holds")
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument("--agency", required=True, help="code of the agency the file comes from")
        parser.add_argument("--user", help="username to record as having loaded it")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        path, agency, user = file_agency_user(options)
        report = import_file(
            kind=options["kind"],
            agency=agency,
            filename=path.name,
            content=path.read_bytes(),
            by=user,
            via="command",
        )
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2, default=str))
        elif report.ok:
            self.stdout.write(
                f"{path.name}: {report.rows} rows checked; {report.created} new, {report.updated} changed, {report.unchanged} unchanged."
            )
            if report.linkage:
                counts = report.linkage
                self.stdout.write(
                    f"Records arriving for the first time: {counts['joined_by_identifier']} joined a person by reference or PNC ID, "
                    f"{counts['joined_by_model']} joined a person by the linkage model, "
                    f"{counts['queued_for_review']} wait for review, {counts['new_people']} new people."
                )
        else:
            for error in report.errors:
                self.stderr.write(str(error))
            more = report.error_count - len(report.errors)
            if more > 0:
                self.stderr.write(f"… and {more} more")
        if not report.ok:
            raise CommandError(f"{path.name}: {report.error_count} problem(s) found; nothing was imported.")
