from django.urls import path

from pathways.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.framework, name="framework"),
    path("cohort/", views.cohort, name="cohort"),
    path("cohort/people/", views.cohort_people, name="cohort-people"),
    path("data-quality/", views.data_quality, name="data-quality"),
    path("strategic-assessment/", views.strategic_assessment, name="strategic-assessment"),
    path("panel-report/", views.panel_report_page, name="panel-report"),
    path("panel-report.pdf", views.panel_report_pdf, name="panel-report-pdf"),
]
