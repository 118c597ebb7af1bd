from django.apps import AppConfig


class ResolutionsConfig(AppConfig):
    """Out-of-court resolutions: the tiered community resolution framework, its decision
    support, Community Remedy, diversion contracts and Level 2 case-conference panels."""

    name = "pathways.resolutions"
    label = "resolutions"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from pathways.offending.models import Offence
        from pathways.resolutions.signals import offence_saved

        post_save.connect(offence_saved, sender=Offence, dispatch_uid="resolutions.offence_breaches_contracts")
