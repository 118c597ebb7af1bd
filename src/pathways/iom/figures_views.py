"""Is IOM working: the cohort's before-and-after figures, and the unit costs of crime that price
them. Workers see the memberships of people they may see; analysts see suppressed totals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.iom import impact, unit_costs
from pathways.iom.cost_models import UnitCostTable
from pathways.iom.models import Scheme
from pathways.iom.policies import can_keep_score_config, can_read_iom_configuration, can_see_iom_figures
from pathways.web.forms import GovukFormMixin, apply_service_errors

FIGURES_REFUSAL = "Only the IOM partners and analysts see the cohort's figures"
COSTS_REFUSAL = "Only the IOM partners, analysts, the panel's supervisors and administrators see the unit costs"


def _framework_link(user: User) -> str | None:
    """The performance framework's drill-down by scheme for its latest complete quarterly cohort,
    if this user may use the performance pages."""
    from pathways.access.policies import can_analyse_performance
    from pathways.analytics.measures import PRESETS
    from pathways.analytics.selectors import complete_quarters
    from pathways.analytics.views import cohort_link

    if not can_analyse_performance(user):
        return None
    quarters = complete_quarters(timezone.localdate(), PRESETS["moj"], 1)
    if not quarters:
        return None
    return cohort_link("analytics:cohort", "moj", quarters[-1], {}, "scheme")


def _member_link(membership_id: Any) -> str | None:
    """The member page, once it exists (it is built alongside this one)."""
    try:
        return reverse("iom:member", args=[membership_id])
    except NoReverseMatch:
        return None


@require_GET
@requires(can_see_iom_figures, FIGURES_REFUSAL)
def figures(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    schemes = list(Scheme.objects.order_by("name"))
    code = request.GET.get("scheme", "")
    scheme = next((s for s in schemes if s.code == code), None)
    result = impact.cohort_impact(user, scheme=scheme)
    audit_record(
        user=user,
        action=AuditEvent.Action.READ,
        object_type="iom_figures",
        detail={
            "scheme": scheme.code if scheme else "",
            "memberships": len(result.members),
            "suppressed": result.suppressed,
            "unit_costs_version": result.table.version,
        },
    )
    return render(
        request,
        "iom/figures.html",
        {
            "result": result,
            "schemes": schemes,
            "chosen": scheme,
            "unknown_scheme": bool(code) and scheme is None,
            "framework_link": _framework_link(user),
            "members": [{"impact": i, "link": _member_link(i.membership.pk)} for i in result.members],
            "not_costed_types": unit_costs.not_costed_offence_types(),
            "small": impact.SMALL,
        },
    )


class UnitCostsForm(GovukFormMixin, forms.Form):
    """One field a category: blank leaves the category out (its offences are then not costed)."""

    source = forms.CharField(
        label="Source",
        max_length=500,
        help_text="Where the figures come from, for example the report and its table.",
        error_messages={"required": "Say where the figures come from"},
    )
    note = forms.CharField(
        label="What changed, and why",
        max_length=500,
        error_messages={"required": "Say what changed, and why"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category in unit_costs.CATEGORIES:
            self.fields[category.code] = forms.DecimalField(
                label=f"{category.label} (£ per crime)",
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
                help_text=(
                    f"Published: £{category.published:,}"
                    + ("" if category.checked else " (to be checked against the report)")
                    + ". Leave blank to leave these offences not costed."
                ),
                error_messages={
                    "invalid": f"Enter the cost of {category.label.lower()} as a number of pounds, like 1350",
                    "min_value": f"The cost of {category.label.lower()} cannot be negative",
                    "max_digits": f"The cost of {category.label.lower()} is too large",
                    "max_decimal_places": f"Give the cost of {category.label.lower()} to the penny at most",
                },
                widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "decimal"}),
            )
        # The categories first, then where they come from and why.
        self.order_fields([c.code for c in unit_costs.CATEGORIES] + ["source", "note"])

    def costs(self) -> dict[str, Any]:
        return {
            c.code: self.cleaned_data[c.code] for c in unit_costs.CATEGORIES if self.cleaned_data[c.code] is not None
        }


def _apply_cost_errors(form: UnitCostsForm, error: ValidationError) -> None:
    """The service names the category at the start of each problem; put it beside that field."""
    if not hasattr(error, "error_dict"):
        apply_service_errors(form, error)
        return
    for field, problems in error.message_dict.items():
        for problem in problems:
            code, _, message = problem.partition(": ")
            if field == "costs" and code in form.fields:
                form.add_error(code, message)
            else:
                form.add_error(field if field in form.fields else None, problem)


@require_http_methods(["GET", "POST"])
@requires(can_read_iom_configuration, COSTS_REFUSAL)
def unit_costs_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    current = unit_costs.table_current()
    may_edit = can_keep_score_config(user)
    form = None
    if may_edit:
        initial: dict[str, Any] = {"source": current.source, **current.costs}
        form = UnitCostsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only the IOM panel's supervisors and administrators keep the unit costs of crime")
        if form.is_valid():
            try:
                saved = unit_costs.table_save(
                    by=user,
                    costs=form.costs(),
                    source=form.cleaned_data["source"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                _apply_cost_errors(form, error)
            else:
                messages.success(request, f"Unit costs of crime version {saved.version} saved.")
                return redirect("iom:unit-costs")
    return render(
        request,
        "iom/figures_unit_costs.html",
        {
            "current": current,
            "rows": unit_costs.rows(current),
            "versions": UnitCostTable.objects.select_related("created_by").order_by("-version"),
            "not_costed_types": unit_costs.not_costed_offence_types(),
            "form": form,
            "prices": unit_costs.PRICES,
        },
        status=400 if form is not None and form.errors else 200,
    )


urlpatterns = [
    path("figures/", figures, name="figures"),
    path("unit-costs/", unit_costs_page, name="unit-costs"),
]
