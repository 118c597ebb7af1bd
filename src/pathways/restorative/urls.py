from django.urls import path

from pathways.restorative import (
    case_views,
    dataset_views,
    facilitator_views,
    meeting_views,
    referral_views,
)

app_name = "restorative"
urlpatterns = [
    path("cases/<uuid:case_id>/", case_views.case_detail, name="case"),
    *referral_views.urlpatterns,
    *facilitator_views.urlpatterns,
    *meeting_views.urlpatterns,
    *dataset_views.urlpatterns,
]
