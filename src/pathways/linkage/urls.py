from django.urls import path  # noqa: F401

from pathways.linkage import review_views
from pathways.linkage.model_views import urlpatterns as model_urlpatterns

app_name = "linkage"

urlpatterns: list = [
    *review_views.urlpatterns,
    *model_urlpatterns,
]
