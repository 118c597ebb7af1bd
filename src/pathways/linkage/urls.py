from django.urls import path  # noqa: F401  (each part adds its routes below)

app_name = "linkage"

urlpatterns: list = []

from pathways.linkage.model_views import urlpatterns as model_urlpatterns  # noqa: E402

urlpatterns += model_urlpatterns
