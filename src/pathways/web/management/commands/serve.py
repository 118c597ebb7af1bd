"""`pathways serve`: run the web service with gunicorn (migrating first)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Pathways on http://HOST:PORT with gunicorn, after bringing the database up to date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", verbosity=0, interactive=False)
        from gunicorn.app.base import BaseApplication

        from pathways.config.wsgi import application

        class _Server(BaseApplication):
            def load_config(self) -> None:
                self.cfg.set("bind", f"{options['host']}:{options['port']}")
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("accesslog", "-")
                self.cfg.set("timeout", 120)

            def load(self) -> Any:
                return application

        self.stdout.write(f"Pathways is at http://{options['host']}:{options['port']}/ (Ctrl+C stops it)")
        _Server().run()
