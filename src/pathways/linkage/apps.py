from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "pathways.linkage"
    label = "linkage"
    verbose_name = "Record linkage: one person across agencies"
    default_auto_field = "django.db.models.BigAutoField"
