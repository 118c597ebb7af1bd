"""Django's `flush`, made to respect the append-only audit trail.

Emptying a database destroys its audit trail, so this refuses except on a test database
(where Django's test runner empties tables after every test that commits) or the demo. There
the audit triggers are switched off only for the duration of the flush, and back on after it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        name = str(connection.settings_dict["NAME"])
        disposable = name.startswith("test_") or "memory" in name or settings.DEMO_MODE
        if not disposable:
            raise CommandError("flush would destroy the audit trail; it runs only on a test database or in demo mode.")
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO access_audit_maintenance (reason) VALUES ('flush')")
        try:
            super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM access_audit_maintenance")
