"""The quarterly return on a page and as a CSV file: co-ordinators for their own service, analysts
for the services whose outcomes the agreements share with them (see `dataset.services_for`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from pathways.access.decorators import requires
from pathways.accounts.models import Agency, AgencyKind, User
from pathways.restorative import dataset
from pathways.restorative.policies import can_see_rj_dataset
from pathways.web.forms import GovukFormMixin

REFUSAL = "Only the service's co-ordinators and analysts see the restorative justice return"


class ReturnForm(GovukFormMixin, forms.Form):
    service = forms.ChoiceField(label="Service")
    quarter = forms.CharField(label="Quarter", max_length=7, help_text="For example, 2026-Q3 (July to September)")

    def __init__(self, *args: Any, services: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [(s.code, s.name) for s in services]

    def clean_quarter(self) -> str:
        quarter = self.cleaned_data["quarter"].strip().upper()
        try:
            dataset.quarter_bounds(quarter)
        except dataset.QuarterError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return quarter


@requires(can_see_rj_dataset, REFUSAL)
def dataset_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    services = list(dataset.services_for(user))
    initial = {"quarter": dataset.last_complete_quarter(timezone.localdate())}
    if services:
        initial["service"] = services[0].code
    # With nothing asked for yet, the page shows the first service's last complete quarter.
    form = ReturnForm({**initial, **request.GET.dict()}, services=services)
    context: dict[str, Any] = {"form": form, "services": services}
    if services and form.is_valid():
        code, quarter = form.cleaned_data["service"], form.cleaned_data["quarter"]
        service = next(s for s in services if s.code == code)
        start, end = dataset.quarter_bounds(quarter)
        result = dataset.rj_return(service, start, end)
        dataset.return_seen(user=user, service=service, quarter=quarter, export=False)
        context.update(
            service=service,
            quarter=quarter,
            start=start,
            end=end,
            sections=_sections(result),
        )
    return render(request, "restorative/dataset.html", context, status=400 if services and form.errors else 200)


def _sections(result: dataset.Return) -> list[dict[str, Any]]:
    """The rows grouped by measure, in the return's order, with the users' words."""
    sections: dict[str, dict[str, Any]] = {}
    for measure, breakdown, value in result.rows():
        section = sections.setdefault(
            measure,
            {"measure": measure, "label": dataset.MEASURES[measure], "rate": measure in dataset.RATES, "rows": []},
        )
        section["rows"].append({"breakdown": dataset.breakdown_label(measure, breakdown), "value": value})
    return list(sections.values())


@requires(can_see_rj_dataset, REFUSAL)
def dataset_csv(request: HttpRequest, quarter: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    quarter = quarter.upper()
    try:
        start, end = dataset.quarter_bounds(quarter)
    except dataset.QuarterError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    services = dataset.services_for(user)
    code = request.GET.get("service", "")
    if not code and user.agency and user.agency.kind == AgencyKind.RJ_SERVICE:
        code = user.agency.code
    service = services.filter(code=code).first()
    if service is None:
        raise PermissionDenied("You may not see that service's return")
    text = dataset.csv_text(dataset.rj_return(service, start, end), quarter)
    dataset.return_seen(user=user, service=service, quarter=quarter, export=True)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rj-return-{service.code}-{quarter}.csv"'
    return response


urlpatterns: list[URLPattern] = [
    path("dataset/", dataset_page, name="dataset"),
    path("dataset/<str:quarter>.csv", dataset_csv, name="dataset-csv"),
]
