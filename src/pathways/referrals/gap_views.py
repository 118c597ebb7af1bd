"""The gaps in provision page and its CSV. Thin: the counting is in `referrals.gaps`; the page
shows counts only, and each viewing (and download) is audited."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.common.reference import Pathway
from pathways.referrals import gaps as gap_counts
from pathways.referrals.policies import can_see_gaps

GAPS_ONLY = "Only analysts, supervisors and administrators see the gaps in provision"


@requires(can_see_gaps, GAPS_ONLY)
def gaps_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    everywhere = gap_counts.gaps(today=today)
    town, area = request.GET.get("town", "").strip(), request.GET.get("area", "").strip().upper()
    codes = gap_counts.areas_chosen(
        town=town, area=area, towns={row.code: row.town for row in everywhere.rows if row.town}
    )
    # The filter only narrows the rows: the whole table is counted once, for the filter's choices too.
    result = everywhere if codes is None else everywhere.only(codes)
    as_csv = request.GET.get("format") == "csv"
    audit_record(
        user=request.user,  # type: ignore[arg-type]
        action=AuditEvent.Action.EXPORT if as_csv else AuditEvent.Action.READ,
        object_type="service_gaps",
        detail={"town": town, "area": area, "rows": len(result.rows), "gaps": result.gap_count},
    )
    if as_csv:
        response = HttpResponse(gap_counts.csv_text(result), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="gaps-in-provision-{today.isoformat()}.csv"'
        return response
    return render(
        request,
        "referrals/gaps.html",
        {
            "result": result,
            "pathways": Pathway.choices,
            "towns": gap_counts.towns_of(everywhere),
            "areas": [(row.code, row.label) for row in everywhere.rows if row.code],
            "town": town,
            "area": area,
            "small": gap_counts.SMALL,
            "query": request.GET.urlencode(),
        },
    )


urlpatterns: list[URLPattern] = [
    path("gaps/", gaps_page, name="gaps"),
]
