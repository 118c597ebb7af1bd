"""The directory's pages: search, one entry, adding and changing an entry. Thin: the rules are
in `referrals.directory`. The directory names services, never people, so reading it is not
audited; adding and changing an entry are."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from pathways.access.decorators import requires
from pathways.accounts.models import Role
from pathways.common.reference import Pathway
from pathways.referrals import directory
from pathways.referrals.forms import SearchForm, ServiceForm
from pathways.referrals.models import ContactRoute, Referral, ReferralStatus, Service
from pathways.referrals.policies import can_manage_service, can_refer, can_search_directory
from pathways.web.forms import apply_service_errors

SIGNED_IN_STAFF = "Only the partnership's staff use the service directory"
KEEPERS = "Only partners' supervisors, caseworkers and administrators keep directory entries"
PATHWAY_LABELS = dict(Pathway.choices)
# Accepted, and everything that follows acceptance.
_TAKEN_ON = [ReferralStatus.ACCEPTED, ReferralStatus.IN_CONTACT, ReferralStatus.CLOSED]


def pathway_labels(codes: list[str]) -> list[str]:
    return [PATHWAY_LABELS.get(c, c) for c in codes or []]


@requires(can_search_directory, SIGNED_IN_STAFF)
def directory_search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    services: list[Service] = []
    searched = form.is_bound and form.is_valid()
    if searched:
        data = form.cleaned_data
        services = list(
            directory.services_search(
                need=data["need"] or "", pathway=data["pathway"] or "", area=data["area"] or "", age=data["age"]
            )
        )
    elif not form.is_bound:
        services = list(directory.services_search())
    return render(
        request,
        "referrals/directory.html",
        {
            "form": form,
            "results": [(s, pathway_labels(s.pathways)) for s in services[:300]],
            "count": len(services),
            "may_add": can_manage_service(request.user),
        },
    )


def _year_counts(service: Service, today: dt.date) -> dict[str, int]:
    """Referrals to this service since 1 January, and how many it took on: counts, never people."""
    since = today.replace(month=1, day=1)
    return Referral.objects.filter(service=service, created_at__date__gte=since).aggregate(
        made=Count("pk"), accepted=Count("pk", filter=Q(status__in=_TAKEN_ON))
    )


@requires(can_search_directory, SIGNED_IN_STAFF)
def service_detail(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    service = get_object_or_404(Service.objects.select_related("receiving_agency", "managed_by"), pk=service_id)
    return render(
        request,
        "referrals/service.html",
        {
            "service": service,
            "pathways": pathway_labels(service.pathways),
            "counts": _year_counts(service, timezone.localdate()),
            "through_pathways": service.contact_route == ContactRoute.PATHWAYS and service.receiving_agency_id,
            "may_refer": can_refer(request.user),
            "may_change": can_manage_service(request.user, service),
        },
    )


def _service_form_page(request: HttpRequest, service: Service | None) -> HttpResponse:
    admin = request.user.has_role(Role.ADMINISTRATOR)  # type: ignore[union-attr]
    initial = ServiceForm.initial_of(service) if service else {"is_active": True, "managed_by": request.user.agency}  # type: ignore[union-attr]
    form = ServiceForm(request.POST or None, initial=initial, may_choose_manager=admin)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            fields = form.service_fields()
            if not admin:
                fields.pop("managed_by", None)
            try:
                saved = directory.service_save(by=request.user, service=service, **fields)  # type: ignore[arg-type]
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"{saved.name} is saved in the directory.")
                return redirect("referrals:service", service_id=saved.pk)
    return render(request, "referrals/service_form.html", {"form": form, "service": service}, status=status)


@requires(can_manage_service, KEEPERS)
def service_new(request: HttpRequest) -> HttpResponse:
    return _service_form_page(request, None)


@requires(can_manage_service, KEEPERS)
def service_edit(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    service = get_object_or_404(Service, pk=service_id)
    if not can_manage_service(request.user, service):
        raise PermissionDenied("Only the partner that keeps this entry, or an administrator, may change it")
    return _service_form_page(request, service)


urlpatterns: list[URLPattern] = [
    path("", directory_search, name="directory"),
    path("new/", service_new, name="service-new"),
    path("<uuid:service_id>/", service_detail, name="service"),
    path("<uuid:service_id>/change/", service_edit, name="service-edit"),
]
