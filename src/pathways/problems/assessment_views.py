"""The assessment page: the before-and-after figures against a comparison area, displacement
next door, and the partnership's verdict that ends the cycle. Thin: the figures are
`problems.assessment`'s, the verdict `problems.stages.conclude`'s."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from pathways.access.decorators import requires
from pathways.analytics import charts
from pathways.problems import assessment, stages
from pathways.problems.board_views import problem_for, stage_context
from pathways.problems.models import Area, Assessment, Problem, ResponseAction, Stage, Verdict
from pathways.problems.places import OFFENCES, SOURCES
from pathways.problems.policies import can_move_stage, can_see_problem_board, can_work_problem
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin, apply_service_errors

NOT_PARTNER = "Only staff of the owner or a partner agency work out a problem's figures"
NOT_OWNER = "Only the problem's owner or a supervisor of the owner's agency gives the verdict"


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        error_messages={
            "required": f"Enter the {label.lower()}",
            "invalid": f"Enter the {label.lower()} as a date, like 2025-01-31",
        },
        widget=forms.DateInput(attrs={"autocomplete": "off"}),
    )


class FiguresForm(GovukFormMixin, forms.Form):
    comparison_area_codes = forms.MultipleChoiceField(
        label="Comparison areas",
        help_text="Areas like the problem's place where the response did not happen. They must not overlap the place.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one comparison area"},
    )
    buffer_area_codes = forms.MultipleChoiceField(
        label="Areas around the place",
        help_text="Where crime may have moved to, or where the response helped too. "
        "Ticked: the areas whose boundaries touch the place.",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    before_from = _date("Before period start")
    before_to = _date("Before period end")
    after_from = _date("After period start")
    after_to = _date("After period end")
    source = forms.ChoiceField(
        label="Count crimes from",
        choices=list(SOURCES.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the crimes are counted from"},
    )

    def __init__(self, *args: Any, problem: Problem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = problem.area_codes or []
        areas = [(a.code, str(a)) for a in Area.objects.exclude(code__in=own).only("code", "name")]
        self.fields["comparison_area_codes"].choices = areas
        self.fields["buffer_area_codes"].choices = areas


class VerdictForm(GovukFormMixin, forms.Form):
    verdict = forms.ChoiceField(
        label="Verdict",
        choices=Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a verdict"},
    )
    note = forms.CharField(
        label="Why the partnership reached this verdict",
        help_text="What the figures, the partners and the people affected say. Kept with the verdict.",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why the partnership reached this verdict"},
    )


def _initial(problem: Problem, current: Assessment | None) -> dict[str, Any]:
    """This cycle's last choices; otherwise the problem's period before, the same length after
    the response's last action finished, and the areas touching the place around it."""
    if current is not None:
        return {
            "comparison_area_codes": current.comparison_area_codes,
            "buffer_area_codes": current.buffer_area_codes,
            "before_from": current.before_from,
            "before_to": current.before_to,
            "after_from": current.after_from,
            "after_to": current.after_to,
            "source": current.figures.get("source", OFFENCES),
        }
    earlier = problem.assessments.order_by("-cycle").first()
    finished = ResponseAction.objects.filter(problem=problem, cycle=problem.cycle).aggregate(Max("finished_on"))
    last = finished["finished_on__max"] or problem.period_to
    length = problem.period_to - problem.period_from
    after_from = max(last, problem.period_to) + dt.timedelta(days=1)
    return {
        "comparison_area_codes": earlier.comparison_area_codes if earlier else [],
        "buffer_area_codes": assessment.areas_around(problem),
        "before_from": problem.period_from,
        "before_to": problem.period_to,
        "after_from": after_from,
        "after_to": after_from + length,
        "source": earlier.figures.get("source", OFFENCES) if earlier else OFFENCES,
    }


def _chart(figures: dict[str, Any]) -> str:
    monthly = figures["monthly"]
    series = [("Problem place", monthly["treated"]), ("Comparison areas", monthly["comparison"])]
    if monthly.get("buffer"):
        series.append(("Areas around the place", monthly["buffer"]))
    labels = [dt.date.fromisoformat(f"{m}-01").strftime("%b %Y") for m in monthly["months"]]
    return str(charts.line_chart("Crimes each month", labels, series, percent=False))


def _net_effect(figures: dict[str, Any]) -> str:
    """Bowers and Johnson's net effect in words: crimes prevented in the place and around it."""
    moved = figures.get("displacement") or {}
    net = moved.get("net_effect")
    if net is None:
        return ""
    shown = round(abs(net))
    if shown == 0:
        return "Taking the place and the areas around it together, there were as many crimes as if both had followed the comparison areas."
    more_or_fewer = "fewer" if net > 0 else "more"
    return (
        f"Taking the place and the areas around it together, there were about {shown} {more_or_fewer} "
        f"crime{'s' if shown != 1 else ''} than if both had followed the comparison areas."
    )


def _periods(figures: dict[str, Any]) -> dict[str, dt.date]:
    return {
        f"{name}_{end}": dt.date.fromisoformat(figures[name][end])
        for name in ("before", "after")
        for end in ("from", "to")
    }


def _monthly_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    monthly = figures["monthly"]
    buffer = monthly.get("buffer") or [None] * len(monthly["months"])
    return [
        {"month": dt.date.fromisoformat(f"{m}-01"), "period": p, "treated": t, "comparison": c, "buffer": b}
        for m, p, t, c, b in zip(
            monthly["months"], monthly["period"], monthly["treated"], monthly["comparison"], buffer, strict=True
        )
    ]


def _work_out(request: HttpRequest, problem: Problem, form: FiguresForm) -> bool:
    if not can_work_problem(request.user, problem):
        raise PermissionDenied(NOT_PARTNER)
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        assessment.work_out(
            problem=problem,
            by=request.user,  # type: ignore[arg-type]
            comparison_area_codes=data["comparison_area_codes"],
            buffer_area_codes=data["buffer_area_codes"],
            before=(data["before_from"], data["before_to"]),
            after=(data["after_from"], data["after_to"]),
            source=data["source"],
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return False
    messages.success(request, "The figures are worked out and kept with this cycle's assessment.")
    return True


def _conclude(request: HttpRequest, problem: Problem, form: VerdictForm) -> bool:
    if not can_move_stage(request.user, problem):
        raise PermissionDenied(NOT_OWNER)
    if not form.is_valid():
        return False
    try:
        stages.conclude(
            problem=problem,
            by=request.user,  # type: ignore[arg-type]
            verdict=form.cleaned_data["verdict"],
            note=form.cleaned_data["note"],
        )
    except stages.StageRefused as exc:
        form.add_error(None, exc.reasons)
        return False
    if form.cleaned_data["verdict"] == Verdict.NOT_SOLVED:
        messages.success(request, "Not solved: the problem is back in analysis, in a new cycle.")
    else:
        messages.success(request, "The verdict is given and the problem is closed.")
    return True


@requires(can_see_problem_board, "Only partner agencies' staff see problems")
def assessment_page(request: HttpRequest, problem_id: uuid.UUID) -> HttpResponse:
    problem = problem_for(request, problem_id)
    at_stage = problem.stage == Stage.ASSESSMENT
    current = stages.current_assessment(problem) if at_stage else None
    works = at_stage and can_work_problem(request.user, problem)
    decides = at_stage and can_move_stage(request.user, problem) and bool(current and current.figures)
    figures_form = verdict_form = None
    if works:
        posted = request.POST if request.method == "POST" and request.POST.get("action") == "figures" else None
        figures_form = FiguresForm(posted, problem=problem, initial=None if posted else _initial(problem, current))
    if decides:
        posted = request.POST if request.method == "POST" and request.POST.get("action") == "verdict" else None
        verdict_form = VerdictForm(posted)
    if request.method == "POST":
        action = request.POST.get("action")
        if not at_stage:
            raise PermissionDenied("The figures are worked out, and the verdict given, at the assessment stage")
        if action == "verdict":
            if verdict_form is None:  # no figures yet, or not theirs to give
                if not can_move_stage(request.user, problem):
                    raise PermissionDenied(NOT_OWNER)
                verdict_form = VerdictForm(request.POST)
                verdict_form.is_valid()
                verdict_form.add_error(None, "Work out the before-and-after figures against a comparison area")
            elif _conclude(request, problem, verdict_form):
                return redirect("problems:assessment", problem_id=problem.pk)
        else:
            if figures_form is None:
                raise PermissionDenied(NOT_PARTNER)
            if _work_out(request, problem, figures_form):
                return redirect("problems:assessment", problem_id=problem.pk)
    figures = current.figures if current and current.figures else None
    history = [
        (a, a.figures.get("estimate"), a.figures.get("displacement"))
        for a in problem.assessments.exclude(verdict="").select_related("decided_by").order_by("-cycle")
    ]
    return render(
        request,
        "problems/assessment.html",
        {
            **stage_context(problem, request.user),
            "at_stage": at_stage,
            "stage_label": problem.get_stage_display(),
            "missing": [] if at_stage else stages.missing_for_next_stage(problem),
            "figures": figures,
            "chart": _chart(figures) if figures else None,
            "monthly": _monthly_rows(figures) if figures else [],
            "net_effect": _net_effect(figures) if figures else "",
            "computed_at": dt.datetime.fromisoformat(figures["computed_at"]) if figures else None,
            "periods": _periods(figures) if figures else None,
            "figures_form": figures_form,
            "verdict_form": verdict_form,
            "may_decide": at_stage and can_move_stage(request.user, problem),
            "history": history,
            "form": verdict_form if verdict_form is not None and verdict_form.errors else figures_form,
        },
    )


urlpatterns: list[URLPattern] = [
    path("<uuid:problem_id>/assessment/", assessment_page, name="assessment"),
]
