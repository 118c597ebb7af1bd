from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "pathways.risk"
    label = "risk"
    verbose_name = "Risk scores: OGRS3, local models, fairness audits and overrides"
    default_auto_field = "django.db.models.BigAutoField"
