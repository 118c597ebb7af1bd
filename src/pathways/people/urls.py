from django.urls import path

from pathways.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("<uuid:person_id>/", views.person_detail, name="detail"),
]
