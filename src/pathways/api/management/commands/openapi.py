"""`pathways openapi`: print the API's OpenAPI schema as JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the OpenAPI schema of the Pathways API as JSON."

    def handle(self, *args: Any, **options: Any) -> None:
        from pathways.api.routes import api

        self.stdout.write(
            json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), indent=2, sort_keys=True, default=str)
        )
