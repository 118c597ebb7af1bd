from django.apps import AppConfig


class IomConfig(AppConfig):
    name = "pathways.iom"
    label = "iom"
    verbose_name = "Integrated offender management"
    default_auto_field = "django.db.models.BigAutoField"
