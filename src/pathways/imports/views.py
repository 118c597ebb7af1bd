from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from pathways.access.policies import can_import
from pathways.accounts.models import Role
from pathways.imports.forms import UploadForm
from pathways.imports.models import ImportBatch
from pathways.imports.services import import_file
from pathways.linkage.services import import_linkage_counts


def upload(request: HttpRequest) -> HttpResponse:
    if not can_import(request.user):
        raise PermissionDenied("Only administrators, supervisors and analysts load partner files")
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        report = import_file(
            kind=form.cleaned_data["kind"],
            agency=form.cleaned_data["agency"],
            filename=upload_file.name,
            content=upload_file.read(),
            by=request.user,
            via="web",
        )
        return redirect("imports:batch", batch_id=report.batch.pk)
    batches = _batches_visible(request).select_related("agency")[:20]
    return render(request, "imports/upload.html", {"form": form, "batches": batches})


def _batches_visible(request: HttpRequest):  # type: ignore[no-untyped-def]
    if request.user.has_role(Role.ADMINISTRATOR):
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(agency_id=request.user.agency_id)


def batch_detail(request: HttpRequest, batch_id: uuid.UUID) -> HttpResponse:
    if not can_import(request.user):
        raise PermissionDenied("Only administrators, supervisors and analysts see import reports")
    batch = get_object_or_404(_batches_visible(request).select_related("agency", "uploaded_by"), pk=batch_id)
    return render(request, "imports/batch.html", {"batch": batch, "linkage": import_linkage_counts(batch)})
