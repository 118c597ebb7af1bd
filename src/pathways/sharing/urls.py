from django.urls import path

from pathways.sharing import views

app_name = "sharing"
urlpatterns = [
    path("", views.agreement_list, name="agreements"),
    path("agreements/new/", views.agreement_edit, name="agreement-new"),
    path("agreements/<uuid:agreement_id>/", views.agreement_detail, name="agreement"),
    path("agreements/<uuid:agreement_id>/edit/", views.agreement_edit, name="agreement-edit"),
    path("purpose/", views.purpose_choose, name="purpose"),
    path("break-glass/", views.break_glass, name="break-glass"),
    path("break-glass/review/", views.break_glass_queue_view, name="break-glass-queue"),
    path("break-glass/<uuid:access_id>/review/", views.break_glass_review, name="break-glass-review"),
    path("people/<uuid:person_id>/consent/", views.consent, name="consent"),
    path("people/<uuid:person_id>/restriction/", views.restriction, name="restriction"),
]
