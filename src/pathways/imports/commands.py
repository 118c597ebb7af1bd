"""What every file-loading command checks before it reads a row: the file, the agency it is
from and the user who loads it — each refused in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from pathways.accounts.models import Agency, User


def file_agency_user(options: dict[str, Any]) -> tuple[Path, Agency, User | None]:
    path: Path = options["file"]
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    agency = Agency.objects.filter(code=options["agency"]).first()
    if agency is None:
        codes = ", ".join(Agency.objects.values_list("code", flat=True)) or "none yet"
        raise CommandError(f"No agency with code '{options['agency']}' (agencies: {codes})")
    user = None
    if options["user"]:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user '{options['user']}'")
    return path, agency, user
