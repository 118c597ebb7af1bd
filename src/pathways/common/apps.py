from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "pathways.common"
    label = "common"
