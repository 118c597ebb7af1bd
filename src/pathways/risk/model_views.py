"""The partnership's own reoffending models with their model cards, and fairness audits of any
score: pages for analysts and supervisors (see `model_policies`). No page names anyone."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.risk import dataset, model_services
from pathways.risk.fairness import SMALL_GROUP
from pathways.risk.model_forms import AuditFileForm, ModelAuditForm, Ogrs3AuditForm, TrainForm
from pathways.risk.model_policies import can_read_models_and_audits, can_see_audit, can_train_models
from pathways.risk.models import FairnessAudit, LocalModel
from pathways.web.forms import apply_service_errors

REFUSAL = "Only analysts and supervisors see the risk models and fairness audits"
TRAIN_REFUSAL = "Only analysts train a model or choose the active one"

# Each figure in plain words, in the order the tables show them.
METRICS: list[tuple[str, str, str]] = [
    ("n", "People", "How many people the figures are about."),
    ("base_rate", "Reoffended", "The share of these people who reoffended: what the score is trying to foresee."),
    (
        "auc",
        "AUC",
        "How well the score ranks people: the chance that someone who reoffended has a higher score than someone who "
        "did not. 0.5 is no better than tossing a coin; 1 is perfect ranking. It does not depend on the threshold.",
    ),
    (
        "fpr",
        "False positive rate",
        "Of the people who did not reoffend, the share the score flagged anyway. A higher rate for one group means "
        "that group's people are more often wrongly flagged.",
    ),
    (
        "fnr",
        "False negative rate",
        "Of the people who reoffended, the share the score did not flag.",
    ),
    (
        "ppv",
        "Positive predictive value",
        "Of the people the score flagged, the share who did reoffend: what a flag means for the person in front of you.",
    ),
    ("accuracy", "Accuracy", "The share of people whose flag (or no flag) matched what happened."),
]


def _tables(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The audit's figures as tables for the page: overall, then one per group column, each row
    with its intervals, a small-group flag and its calibration."""
    intervals = result.get("intervals", {})
    calibration = result.get("calibration", {})
    small = result.get("small", {})

    def row(label: str, figures: dict[str, Any], bounds: dict[str, Any], bins: list[Any], is_small: bool) -> dict:
        return {
            "label": label,
            "cells": [
                {"key": key, "value": figures.get(key), "interval": (bounds or {}).get(key)} for key, _, _ in METRICS
            ],
            "small": is_small,
            "no_auc": figures.get("auc") is None,
            "calibration": bins or [],
        }

    tables = [
        {
            "caption": "Everyone",
            "column": "",
            "rows": [
                row(
                    "Everyone",
                    result.get("overall", {}),
                    intervals.get("overall", {}),
                    calibration.get("overall", []),
                    (result.get("overall", {}).get("n") or 0) < SMALL_GROUP,
                )
            ],
        }
    ]
    for column, values in result.get("groups", {}).items():
        tables.append(
            {
                "caption": f"By {dataset.GROUPS.get(column, column).lower()}",
                "column": column,
                "rows": [
                    row(
                        str(value),
                        figures,
                        intervals.get("groups", {}).get(column, {}).get(value, {}),
                        calibration.get("groups", {}).get(column, {}).get(value, []),
                        bool(small.get(column, {}).get(value)),
                    )
                    for value, figures in values.items()
                ],
            }
        )
    return tables


def _report_context(result: dict[str, Any]) -> dict[str, Any]:
    tables = _tables(result or {})
    return {
        "tables": tables,
        "metrics": METRICS,
        "small_group": SMALL_GROUP,
        "probability": (result or {}).get("calibration", {}).get("kind", "probability") == "probability",
        "any_small": any(r["small"] for t in tables for r in t["rows"]),
        "any_no_auc": any(r["no_auc"] for t in tables for r in t["rows"]),
        "notes": (result or {}).get("notes", []),
    }


@requires(can_read_models_and_audits, REFUSAL)
@require_http_methods(["GET", "POST"])
def models(request: HttpRequest) -> HttpResponse:
    """Every version with its headline figures, the active one marked; analysts train a new one."""
    user: User = request.user  # type: ignore[assignment]
    may_train = can_train_models(user)
    if request.method == "POST" and not may_train:
        raise PermissionDenied(TRAIN_REFUSAL)
    initial = {}
    if may_train:
        end = dataset.latest_complete_end(timezone.localdate())
        initial = {"period_end": end, "period_start": end.replace(year=end.year - 2)}
    form = TrainForm(request.POST or None, initial=initial) if may_train else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            model = model_services.local_model_train(
                by=user,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                features=form.cleaned_data["features"],
                justifications=form.justifications(),
                name=form.cleaned_data["name"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Version {model.version} trained. Read its model card before making it active.")
            return redirect("risk:model", version=model.version)
    return render(
        request,
        "risk/model_list.html",
        {
            "versions": LocalModel.objects.select_related("trained_by").defer("estimator"),
            "form": form,
            "refused": list(dataset.REFUSED_FEATURES),
            "ogrs3": dataset.ogrs3_available(),
        },
        status=400 if form is not None and form.errors else 200,
    )


def _version(version: int) -> LocalModel:
    return get_object_or_404(LocalModel.objects.select_related("trained_by").defer("estimator"), version=version)


@requires(can_read_models_and_audits, REFUSAL)
@require_http_methods(["GET", "POST"])
def model(request: HttpRequest, version: int) -> HttpResponse:
    """The model card: every section, the calibration, and the fairness by group; analysts may
    audit the version on another period."""
    user: User = request.user  # type: ignore[assignment]
    chosen = _version(version)
    may_train = can_train_models(user)
    if request.method == "POST" and not may_train:
        raise PermissionDenied(TRAIN_REFUSAL)
    form = ModelAuditForm(request.POST or None) if may_train else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            saved = model_services.fairness_audit_of_model(
                by=user,
                model=LocalModel.objects.get(pk=chosen.pk),
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                threshold=form.cleaned_data["threshold"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("risk:audit", audit_id=saved.pk)
    feature_labels = {**dataset.features_offered(), **dataset.REFUSED_FEATURES}
    return render(
        request,
        "risk/model_card.html",
        {
            "model": chosen,
            "card": chosen.card,
            "performance": chosen.performance,
            "features": [
                {"name": f, "label": feature_labels.get(f, f), "justification": chosen.justifications.get(f, "")}
                for f in chosen.features
            ],
            "may_train": may_train,
            "form": form,
            **_report_context(chosen.fairness),
        },
        status=400 if form is not None and form.errors else 200,
    )


@requires(can_train_models, TRAIN_REFUSAL)
@require_POST
def model_activate(request: HttpRequest, version: int) -> HttpResponse:
    chosen = get_object_or_404(LocalModel, version=version)
    model_services.local_model_activate(by=request.user, model=chosen)  # type: ignore[arg-type]
    messages.success(request, f"Version {chosen.version} is now the active model.")
    return redirect("risk:model", version=chosen.version)


@requires(can_read_models_and_audits, REFUSAL)
@require_http_methods(["GET", "POST"])
def audits(request: HttpRequest) -> HttpResponse:
    """The audits this agency ran, and a form to audit a score supplied in a file."""
    user: User = request.user  # type: ignore[assignment]
    form = AuditFileForm(request.POST or None, request.FILES or None)
    file_problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            saved = model_services.fairness_audit_run(
                by=user,
                title=form.cleaned_data["title"],
                filename=upload.name,
                content=upload.read(),
                score_column=form.cleaned_data["score_column"],
                outcome_column=form.cleaned_data["outcome_column"],
                group_columns=form.groups(),
                threshold=form.cleaned_data["threshold"],
            )
        except ValidationError as error:
            problems = error.message_dict if hasattr(error, "error_dict") else {}
            file_problems = problems.pop("file", []) if problems else []
            if file_problems:
                form.add_error(
                    "file",
                    f"{upload.name} could not be audited: {len(file_problems)} problem"
                    f"{'s' if len(file_problems) != 1 else ''} found, listed below",
                )
            if problems:
                apply_service_errors(form, ValidationError(problems))
            elif not file_problems:
                apply_service_errors(form, error)
        else:
            messages.success(request, f"Audit of {saved.filename} saved.")
            return redirect("risk:audit", audit_id=saved.pk)
    return render(
        request,
        "risk/audit_list.html",
        {
            "audits": FairnessAudit.objects.filter(agency_id=user.agency_id).select_related("by"),
            "form": form,
            "file_problems": file_problems,
            "ogrs3_form": Ogrs3AuditForm(prefix="ogrs3") if dataset.ogrs3_available() else None,
        },
        status=400 if form.errors else 200,
    )


@requires(can_read_models_and_audits, REFUSAL)
@require_POST
def audit_ogrs3(request: HttpRequest) -> HttpResponse:
    """Audit OGRS3 on the partnership's own history; problems go back to the audits page."""
    user: User = request.user  # type: ignore[assignment]
    form = Ogrs3AuditForm(request.POST, prefix="ogrs3")
    if form.is_valid():
        try:
            saved = model_services.fairness_audit_of_ogrs3(
                by=user,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                threshold=form.cleaned_data["threshold"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("risk:audit", audit_id=saved.pk)
    return render(
        request,
        "risk/audit_list.html",
        {
            "audits": FairnessAudit.objects.filter(agency_id=user.agency_id).select_related("by"),
            "form": AuditFileForm(),
            "ogrs3_form": form,
            "file_problems": [],
        },
        status=400,
    )


@requires(can_read_models_and_audits, REFUSAL)
@require_http_methods(["GET"])
def audit(request: HttpRequest, audit_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    found = FairnessAudit.objects.select_related("by", "agency").filter(pk=audit_id).first()
    if found is None or not can_see_audit(user, found):
        # Another agency's audit is not found, rather than forbidden: its title is theirs.
        raise Http404("No such audit")
    audit_record(user=user, action=AuditEvent.Action.READ, object_type="fairness_audit", object_id=str(found.pk))
    return render(request, "risk/audit_report.html", {"audit": found, **_report_context(found.result)})


urlpatterns: list[URLPattern] = [
    path("models/", models, name="models"),
    path("models/<int:version>/", model, name="model"),
    path("models/<int:version>/activate/", model_activate, name="model-activate"),
    path("audits/", audits, name="audits"),
    path("audits/ogrs3/", audit_ogrs3, name="audit-ogrs3"),
    path("audits/<uuid:audit_id>/", audit, name="audit"),
]
