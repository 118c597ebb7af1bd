from django.apps import AppConfig


class SharingConfig(AppConfig):
    """Information-sharing agreements, consent, restrictions and break-glass access."""

    name = "pathways.sharing"
    label = "sharing"
