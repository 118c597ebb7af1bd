from django.urls import path

from pathways.resolutions import contract_views, panel_views, views

app_name = "resolutions"
urlpatterns = [
    path("", views.resolution_list, name="list"),
    path("new/<uuid:person_id>/", views.resolution_new, name="new"),
    path("<uuid:resolution_id>/", views.resolution_detail, name="detail"),
    path("<uuid:resolution_id>/decide/", views.resolution_decide, name="decide"),
    path("<uuid:resolution_id>/actions/", views.action_new, name="action-new"),
    path("<uuid:resolution_id>/actions/<uuid:action_id>/", views.action_finish, name="action-finish"),
    path("<uuid:resolution_id>/victims/<uuid:victim_id>/", views.victim_told, name="victim-told"),
    path("review/", views.review_queue, name="review-queue"),
    path("<uuid:resolution_id>/review/", views.review, name="review"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:version>/", views.rules_version, name="rules-version"),
    path("rules/edit/<str:section>/", views.rules_edit, name="rules-edit"),
    *contract_views.urlpatterns,
    *panel_views.urlpatterns,
]
