from django.urls import path  # noqa: F401  (each part adds its routes below)

from pathways.linkage import review_views

app_name = "linkage"

urlpatterns: list = [
    *review_views.urlpatterns,
]
