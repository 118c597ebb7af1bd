"""`pathways subject-access PERSON_ID --output DIR`: everything held about one person, as JSON and HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pathways.access.policies import is_data_protection_lead
from pathways.accounts.models import User
from pathways.dataprotection.selectors import person_lookup
from pathways.dataprotection.services import subject_access_write


class Command(BaseCommand):
    help = "Write DIR/subject-access-<id>.json and .html: everything Pathways holds about one person (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person", metavar="PERSON_ID", help="the person's Pathways id, or their PNC ID")
        parser.add_argument("--output", type=Path, required=True, metavar="DIR", help="folder to write the files to")
        parser.add_argument("--user", help="username of the data protection lead making the export (audited)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user '{options['user']}'")
            if not is_data_protection_lead(user):
                raise CommandError(f"{user.username} is not a data protection lead")
        person = person_lookup(query=options["person"])
        if person is None:
            raise CommandError(f"No person has the id or PNC ID '{options['person']}'")
        paths = subject_access_write(person=person, directory=options["output"], by=user, via="command")
        for path in paths:
            self.stdout.write(str(path))
