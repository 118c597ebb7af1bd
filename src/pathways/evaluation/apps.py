from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "pathways.evaluation"
    label = "evaluation"
    verbose_name = "Impact evaluation against matched comparison groups"
    default_auto_field = "django.db.models.BigAutoField"
