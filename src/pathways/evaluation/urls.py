from django.urls import path

from pathways.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:evaluation_id>/", views.detail, name="detail"),
]
