from django.urls import path

from pathways.linkage import merge_views, review_views
from pathways.linkage.model_views import urlpatterns as model_urlpatterns

app_name = "linkage"

urlpatterns: list = [
    path("merges/<uuid:merge_id>/undo/", merge_views.merge_undo, name="merge-undo"),
    *review_views.urlpatterns,
    *model_urlpatterns,
]
