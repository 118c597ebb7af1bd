from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "pathways.access"
    label = "access"

    def ready(self) -> None:
        from pathways.access import signals  # noqa: F401  (sign-in events into the audit trail)
