"""Pages for keeping the linkage model: its versions, each version explained with its accuracy on
the pairs people decided, retraining, thresholds and activation. Administrators only
(`policies.can_keep_linkage_model`). No page shows anyone's record: only counts and the model."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.linkage import model_services
from pathways.linkage.model_forms import RetrainForm, ThresholdsForm
from pathways.linkage.models import LinkageModel, SourceRecord
from pathways.linkage.policies import can_keep_linkage_model
from pathways.web.forms import apply_service_errors

REFUSAL = "Only administrators keep the linkage model"


@requires(can_keep_linkage_model, REFUSAL)
@require_http_methods(["GET", "POST"])
def models(request: HttpRequest) -> HttpResponse:
    """Every version, the active one marked; retrain on the partnership's records."""
    user: User = request.user  # type: ignore[assignment]
    form = RetrainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            model = model_services.train_model(by=user, description=form.cleaned_data["description"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Version {model.version} trained on {model.trained_on_records} records. "
                "Check it against the reviewers' decisions before making it active.",
            )
            return redirect("linkage:model", version=model.version)
    return render(
        request,
        "linkage/model_list.html",
        {
            "versions": LinkageModel.objects.select_related("trained_by").defer("splink_settings"),
            "records": SourceRecord.objects.count(),
            "minimum": model_services.MIN_TRAINING_RECORDS,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


def _version(version: int) -> LinkageModel:
    return get_object_or_404(LinkageModel.objects.select_related("trained_by"), version=version)


def _model_page(request: HttpRequest, chosen: LinkageModel, form: ThresholdsForm) -> HttpResponse:
    return render(
        request,
        "linkage/model_detail.html",
        {
            "model": chosen,
            "explained": model_services.explain_model(chosen),
            "accuracy": model_services.label_accuracy(chosen),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@requires(can_keep_linkage_model, REFUSAL)
@require_http_methods(["GET"])
def model(request: HttpRequest, version: int) -> HttpResponse:
    """One version explained, with its accuracy on the labelled pairs and its thresholds."""
    chosen = _version(version)
    audit_record(
        user=request.user,  # type: ignore[arg-type]
        action=AuditEvent.Action.READ,
        object_type="linkage_model",
        object_id=str(chosen.pk),
        detail={"version": chosen.version},
    )
    form = ThresholdsForm(
        initial={"link_threshold": chosen.link_threshold, "review_threshold": chosen.review_threshold}
    )
    return _model_page(request, chosen, form)


@requires(can_keep_linkage_model, REFUSAL)
@require_POST
def model_thresholds(request: HttpRequest, version: int) -> HttpResponse:
    chosen = _version(version)
    form = ThresholdsForm(request.POST)
    if form.is_valid():
        try:
            model_services.set_thresholds(
                chosen,
                form.cleaned_data["link_threshold"],
                form.cleaned_data["review_threshold"],
                request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Version {chosen.version} now links at {chosen.link_threshold} and sends pairs from "
                f"{chosen.review_threshold} to review.",
            )
            return redirect("linkage:model", version=chosen.version)
    chosen.refresh_from_db()
    return _model_page(request, chosen, form)


@requires(can_keep_linkage_model, REFUSAL)
@require_POST
def model_activate(request: HttpRequest, version: int) -> HttpResponse:
    chosen = _version(version)
    model_services.activate(chosen, request.user)  # type: ignore[arg-type]
    messages.success(request, f"Version {chosen.version} is now the model that links records on import.")
    return redirect("linkage:model", version=chosen.version)


urlpatterns: list[URLPattern] = [
    path("models/", models, name="models"),
    path("models/<int:version>/", model, name="model"),
    path("models/<int:version>/thresholds/", model_thresholds, name="model-thresholds"),
    path("models/<int:version>/activate/", model_activate, name="model-activate"),
]
