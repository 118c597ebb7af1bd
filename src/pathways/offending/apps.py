from django.apps import AppConfig


class OffendingConfig(AppConfig):
    name = "pathways.offending"
    label = "offending"
