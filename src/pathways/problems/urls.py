from pathways.problems import (
    analysis_views,
    assessment_views,
    board_views,
    response_views,
    scanning_views,
    streetcrime_views,
)

app_name = "problems"

# Each module keeps its own routes, so the stages can be read (and changed) one at a time.
urlpatterns: list = [
    *board_views.urlpatterns,
    *scanning_views.urlpatterns,
    *streetcrime_views.urlpatterns,
    *analysis_views.urlpatterns,
    *response_views.urlpatterns,
    *assessment_views.urlpatterns,
]
