from django.apps import AppConfig


class ResolutionsConfig(AppConfig):
    """Out-of-court resolutions: the tiered community resolution framework, its decision
    support, Community Remedy, diversion contracts and Level 2 case-conference panels."""

    name = "pathways.resolutions"
    label = "resolutions"
