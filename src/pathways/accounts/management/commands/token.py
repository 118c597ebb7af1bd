"""`pathways token create USERNAME`: make an API token (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pathways.accounts.models import User
from pathways.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user. The token is printed once; only its hash is kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user '{options['username']}'")
        _, key = api_token_create(user=user, name=options["name"])
        self.stdout.write(key)
