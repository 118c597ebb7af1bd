from django.urls import path

from pathways.dataprotection import views

app_name = "dataprotection"
urlpatterns = [
    path("", views.index, name="index"),
    path("retention/", views.rules, name="rules"),
    path("retention/preview/", views.preview, name="preview"),
    path("retention/<slug:category>/", views.rule_edit, name="rule-edit"),
    path("legal-holds/", views.holds, name="holds"),
    path("legal-holds/<uuid:hold_id>/lift/", views.hold_lift, name="hold-lift"),
    path("subject-access/", views.subject_access, name="subject-access"),
    path("subject-access/<uuid:person_id>/download/", views.subject_access_download, name="subject-access-download"),
]
