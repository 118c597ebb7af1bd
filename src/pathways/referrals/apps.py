from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "pathways.referrals"
    label = "referrals"
    verbose_name = "Service directory and referrals"
    default_auto_field = "django.db.models.BigAutoField"
