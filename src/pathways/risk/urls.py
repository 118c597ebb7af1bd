from django.urls import path  # noqa: F401  (views add their routes here)

from pathways.risk import judgement_views
from pathways.risk.model_views import urlpatterns as model_urlpatterns

app_name = "risk"
urlpatterns: list = [*model_urlpatterns]
urlpatterns += judgement_views.urlpatterns
