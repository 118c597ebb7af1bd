"""`pathways audit verify`: recompute the audit trail's hash chain and say whether it is intact.

Exits 0 with "Audit trail intact: N events", or names the first event that was altered, or
where the chain breaks because an event was removed or inserted, and exits 1.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from pathways.access import chain


class Command(BaseCommand):
    help = "Check the audit trail: `verify` recomputes every event's hash in order."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser(
            "verify",
            help="recompute the hash chain and name the first event that was altered, removed or inserted",
        )
        verify.add_argument("--chunk-size", type=int, default=10_000, help="events read from the database at a time")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(chunk_size=options["chunk_size"])

    def _verify(self, *, chunk_size: int) -> None:
        started = time.perf_counter()
        result = chain.verify(chunk_size=chunk_size)
        seconds = time.perf_counter() - started
        if not result.intact:
            raise CommandError(f"Audit trail broken: {result.problem} ({result.count} events before it are intact).")
        self.stdout.write(f"Audit trail intact: {result.count} events")
        if result.last_id is not None and result.last_at is not None:
            at = timezone.localtime(result.last_at).strftime("%Y-%m-%d %H:%M:%S %Z")
            self.stdout.write(f"Last event: {result.last_id} at {at}, hash {result.last_hash}")
        self.stdout.write(f"Checked in {seconds:.2f} s ({result.count / max(seconds, 1e-9):,.0f} events a second)")
