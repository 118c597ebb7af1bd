from django.apps import AppConfig


class RestorativeConfig(AppConfig):
    """The restorative justice service: referrals, consent, assessment, facilitators and their
    allocation, preparation and meetings, agreements, satisfaction and the quarterly return."""

    name = "pathways.restorative"
    label = "restorative"
