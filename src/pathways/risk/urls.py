from django.urls import path  # noqa: F401  (views add their routes here)

from pathways.risk import judgement_views

app_name = "risk"
urlpatterns: list = []
urlpatterns += judgement_views.urlpatterns
