from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Measures defined once and run on DuckDB (embedded) or Apache Spark."""

    name = "pathways.analytics"
    label = "analytics"
