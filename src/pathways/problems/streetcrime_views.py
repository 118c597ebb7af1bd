"""Pages for the published data scanning counts: loading a police.uk street-level crime file
(`/problems/street-crime/`) and area boundaries (`/problems/areas/`). Thin: the checks and
loading are in `problems.streetcrime` and `problems.areas`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from pathways.access.decorators import requires
from pathways.accounts.models import Agency, AgencyKind
from pathways.imports.models import ImportBatch, ImportKind
from pathways.problems.areas import areas_import_geojson, neighbours_of_every_area
from pathways.problems.models import Area, AreaKind
from pathways.problems.policies import can_import_street_crime, can_keep_areas
from pathways.problems.streetcrime import CRIME_TYPES, street_crime_import
from pathways.web.forms import GovukFormMixin, apply_service_errors

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
LOADERS_ONLY = "Only administrators, supervisors and analysts load police.uk files"
KEEPERS_ONLY = "Only administrators and analysts keep area boundaries"


class StreetCrimeForm(GovukFormMixin, forms.Form):
    agency = forms.ModelChoiceField(
        label="Police force the file is from",
        queryset=Agency.objects.filter(kind=AgencyKind.POLICE).order_by("name"),
        error_messages={"required": "Select the police force the file is from"},
    )
    file = forms.FileField(
        label="Upload a police.uk street-level crime file",
        help_text="The CSV file for one force and one month from data.police.uk, as downloaded",
        error_messages={"required": "Select a CSV file to upload", "empty": "The selected file is empty"},
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("The selected file must be a CSV")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 50 MB")
        return upload


@requires(can_import_street_crime, LOADERS_ONLY)
def street_crime_upload(request: HttpRequest) -> HttpResponse:
    form = StreetCrimeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = street_crime_import(
            data=upload.read(), filename=upload.name, agency=form.cleaned_data["agency"], by=request.user, via="web"
        )
        return redirect(reverse("problems:street-crime-upload") + f"?batch={batch.pk}#report")
    batches = ImportBatch.objects.filter(kind=ImportKind.STREET_CRIME).select_related("agency", "uploaded_by")
    shown = None
    wanted = request.GET.get("batch", "")
    if wanted:
        try:
            shown = batches.filter(pk=wanted).first()
        except ValidationError:
            shown = None  # not a batch id
    return render(
        request,
        "problems/streetcrime_upload.html",
        {"form": form, "batches": batches[:20], "batch": shown, "crime_types": CRIME_TYPES},
    )


class AreasForm(GovukFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What the areas are",
        choices=AreaKind.choices,
        error_messages={"required": "Select what the areas are"},
    )
    file = forms.FileField(
        label="Upload a boundary file",
        help_text="A GeoJSON FeatureCollection in longitude and latitude (WGS84), such as an ONS boundary file, "
        "with each area's code and name in its properties (LSOA21CD and LSOA21NM, or code and name)",
        error_messages={"required": "Select a GeoJSON file to upload", "empty": "The selected file is empty"},
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".geojson", ".json")):
            raise forms.ValidationError("The selected file must be GeoJSON (.geojson or .json)")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 50 MB")
        return upload


@requires(can_keep_areas, KEEPERS_ONLY)
def areas(request: HttpRequest) -> HttpResponse:
    form = AreasForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = areas_import_geojson(
                data=form.cleaned_data["file"].read(), kind=form.cleaned_data["kind"], by=request.user
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{changed} area{'s' if changed != 1 else ''} added or changed")
            return redirect("problems:areas")
    kind = request.GET.get("kind") or ""
    kind = kind if kind in AreaKind.values else ""
    held = Area.objects.all()
    if kind:
        held = held.filter(kind=kind)
    neighbours = neighbours_of_every_area(kind or None)
    rows = [(a, neighbours.get(a.code, [])) for a in held.only("code", "name", "kind")[:500]]
    return render(
        request,
        "problems/areas.html",
        {
            "form": form,
            "rows": rows,
            "count": held.count(),
            "kind": kind,
            "kinds": AreaKind.choices,
        },
    )


urlpatterns: list[URLPattern] = [
    path("street-crime/", street_crime_upload, name="street-crime-upload"),
    path("areas/", areas, name="areas"),
]
