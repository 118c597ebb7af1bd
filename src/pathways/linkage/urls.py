from django.urls import path

from pathways.linkage import merge_views, review_views

app_name = "linkage"

urlpatterns: list = [
    path("merges/<uuid:merge_id>/undo/", merge_views.merge_undo, name="merge-undo"),
    *review_views.urlpatterns,
]
