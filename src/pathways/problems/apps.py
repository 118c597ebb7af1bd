from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "pathways.problems"
    label = "problems"
    verbose_name = "Problem solving (SARA)"
    default_auto_field = "django.db.models.BigAutoField"
