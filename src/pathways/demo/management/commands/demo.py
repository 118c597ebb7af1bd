"""`pathways demo`: build the fictional Wessex partnership and print how to sign in."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from pathways.config import env
from pathways.demo.services import (
    DemoCode,
    DemoUser,
    demo_build,
    demo_codes,
    demo_exists,
    demo_partner_files,
    demo_users_with_new_tokens,
)
from pathways.people.models import Person


class Command(BaseCommand):
    help = (
        "Build the demo partnership (agencies, a user for each role, a synthetic population) and print sign-in details."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--people",
            type=int,
            default=20000,
            help="how many people (default 20,000; 1,000,000 for scale work)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=2026,
            help="the same seed always builds the same partnership",
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="the demo's 'today' (YYYY-MM-DD); the same seed and date build an identical partnership",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the embedded SQLite database and build afresh",
        )
        parser.add_argument("--serve", action="store_true", help="then serve it on http://127.0.0.1:8000")
        parser.add_argument(
            "--codes",
            action="store_true",
            help="only print each demo user's authenticator code for now (demo mode only)",
        )
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["people"] < 10:
            raise CommandError("--people must be at least 10")
        if options["codes"]:
            if not settings.DEMO_MODE:
                raise CommandError("Authenticator codes are printed only in demo mode (PATHWAYS_DEMO_MODE=1).")
            if not demo_exists():
                raise CommandError("There is no demo partnership here yet: run `pathways demo` first.")
            self._print_codes(demo_codes())
            return
        if options["reset"]:
            self._reset()
        call_command("migrate", verbosity=0, interactive=False)
        if demo_exists():
            self.stdout.write("The demo partnership is already built here (use --reset to build it afresh).")
            users = demo_users_with_new_tokens()
        else:
            if Person.objects.exists():
                raise CommandError("This database already holds people who are not the demo's; use an empty database.")
            self.stdout.write(
                f"Building the Wessex demo partnership with {options['people']:,} people (seed {options['seed']})…"
            )
            result = demo_build(
                people=options["people"], seed=options["seed"], today=options["as_of"], progress=self._progress
            )
            self.stdout.write("")
            sizes = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in result.sizes.items())
            self.stdout.write(f"Built in {result.seconds:.0f} s: {sizes}.")
            users = result.users
        self.stdout.write(f"\nSign in at http://127.0.0.1:{options['port']}/ as any of these (all fictional):\n")
        self.stdout.write(f"  {'username':<16} {'password':<18} {'agency':<50} roles")
        for u in users:
            self.stdout.write(f"  {u.username:<16} {u.password:<18} {u.agency:<50} {', '.join(u.roles)}")
        if settings.DEMO_MODE:
            self._print_codes(users)
        else:
            self.stdout.write(
                "\nSigning in also takes a code from each user's authenticator app. The demo users' "
                "authenticator secrets and codes are printed only in demo mode: run "
                "`PATHWAYS_DEMO_MODE=1 uv run pathways demo` (as `make demo` does)."
            )
        self.stdout.write("\nAPI tokens (Authorization: Bearer …), new each time this runs:")
        for u in users:
            self.stdout.write(f"  {u.username:<16} {u.api_token}")
        files = demo_partner_files(env.data_dir() / "demo-files")
        self.stdout.write(
            "\nPartner files to try (as admin): the people files on the import page, agency Wessex Probation;"
            " the police.uk street-level crime files on Problem solving's street-level crime page:"
        )
        for path in files:
            self.stdout.write(f"  {path}")
        if options["serve"]:
            call_command("serve", port=options["port"], no_migrate=True)

    def _print_codes(self, users: Sequence[DemoUser | DemoCode]) -> None:
        self.stdout.write(
            "\nAfter the password, Pathways asks for the 6-digit code from an authenticator app. Add a "
            "user's secret to an app (as a time-based key), or type the code below: it changes every "
            "30 seconds and works once, within the next 30 to 60 seconds (`pathways demo --codes` "
            "prints fresh ones):\n"
        )
        self.stdout.write(f"  {'username':<16} {'authenticator secret':<34} code now")
        for u in users:
            self.stdout.write(f"  {u.username:<16} {u.totp_secret:<34} {u.totp_code}")

    def _reset(self) -> None:
        db = settings.DATABASES["default"]
        if connection.vendor != "sqlite" or db["NAME"] == ":memory:":
            raise CommandError(
                "--reset only deletes the embedded SQLite database; drop and recreate other databases yourself."
            )
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(db["NAME"]) + suffix).unlink(missing_ok=True)

    def _progress(self, done: int, total: int) -> None:
        width = 40
        filled = int(width * done / total)
        sys.stdout.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} people")
        sys.stdout.flush()
