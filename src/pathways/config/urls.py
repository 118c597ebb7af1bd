from django.urls import include, path

from pathways.api.routes import api

urlpatterns = [
    path("", include("pathways.web.urls")),
    path("people/", include("pathways.people.urls")),
    path("imports/", include("pathways.imports.urls")),
    path("audit/", include("pathways.access.urls")),
    path("sharing/", include("pathways.sharing.urls")),
    path("data-protection/", include("pathways.dataprotection.urls")),
    path("performance/", include("pathways.analytics.urls")),
    path("resolutions/", include("pathways.resolutions.urls")),
    path("restorative/", include("pathways.restorative.urls")),
    path("iom/", include("pathways.iom.urls")),
    path("risk/", include("pathways.risk.urls")),
    path("evaluation/", include("pathways.evaluation.urls")),
    path("linkage/", include("pathways.linkage.urls")),
    path("problems/", include("pathways.problems.urls")),
    path("services/", include("pathways.referrals.urls")),
    path("api/v1/", api.urls),
]
