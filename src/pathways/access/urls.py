from django.urls import path

from pathways.access import views

app_name = "access"
urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.person_events, name="people"),
    path("people/<uuid:person_id>/", views.person_events, name="person"),
    path("users/", views.user_events, name="users"),
    path("users/<str:username>/", views.user_events, name="user"),
    path("break-glass/", views.break_glass_events, name="break-glass"),
    path("exports/", views.export_events, name="exports"),
]
