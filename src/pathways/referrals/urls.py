from pathways.referrals import directory_views, gap_views, referral_views

app_name = "referrals"

urlpatterns: list = [
    *directory_views.urlpatterns,
    *referral_views.urlpatterns,
    *gap_views.urlpatterns,
]
