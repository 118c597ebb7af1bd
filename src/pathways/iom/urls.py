from pathways.iom import board_views, cohort_views, figures_views, plan_views, tag_views

app_name = "iom"
urlpatterns = [
    *cohort_views.urlpatterns,
    *plan_views.urlpatterns,
    *board_views.urlpatterns,
    *tag_views.urlpatterns,
    *figures_views.urlpatterns,
]
