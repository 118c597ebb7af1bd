"""`pathways`: the one command for everything a user runs.

Each sub-command is a Django management command, so the same code serves the CLI, the
tests (`call_command`) and operators used to `manage.py`. A few user-facing names are
aliases for commands whose module name cannot be a Python keyword.
"""

from __future__ import annotations

import os
import sys

ALIASES = {"import": "import_data", "subject-access": "subject_access"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathways.config.settings")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] in ALIASES:
        args[1] = ALIASES[args[1]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
