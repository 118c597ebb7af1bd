from django.apps import AppConfig


class DataprotectionConfig(AppConfig):
    """Retention rules, legal holds and subject access requests."""

    name = "pathways.dataprotection"
    label = "dataprotection"
