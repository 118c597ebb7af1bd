"""Recording a resolution in a few screens (the facts, then the decision), the resolution's
page (actions, the victim told), the supervisor's review queue, and the rules page."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pathways.access.decorators import requires
from pathways.access.policies import request_purpose, sharing_view
from pathways.access.services import access_person
from pathways.offending.models import Offence
from pathways.offending.reference import OFFENCE_TYPES_BY_CODE
from pathways.resolutions import engine, selectors, services
from pathways.resolutions.forms import (
    NEW_INCIDENT,
    ActionFinishForm,
    ActionForm,
    DecisionForm,
    ResolutionStartForm,
    ReviewForm,
    RulesSectionForm,
    VictimToldForm,
    in_two_weeks,
)
from pathways.resolutions.models import Resolution, RuleSet
from pathways.resolutions.policies import (
    can_edit_resolution_rules,
    can_record_resolutions,
    can_review_resolutions,
    can_run_panels,
)
from pathways.resolutions.reference import ROUTE_ORDER, ROUTES_WITH_ACTIONS, ActionKind, Route, Status
from pathways.resolutions.rules import SECTION_LABELS, SECTIONS, RulesInvalid
from pathways.sharing.reference import Category
from pathways.web.forms import apply_service_errors

RECORDERS = "Only officers and supervisors record resolutions"


def _resolution(request: HttpRequest, resolution_id: uuid.UUID) -> Resolution:
    return selectors.access_resolution(user=request.user, resolution_id=resolution_id, purpose=request_purpose(request))


@requires(can_record_resolutions, RECORDERS)
def resolution_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "resolutions/list.html",
        {
            "resolutions": selectors.resolutions_of_officer(request.user)[:200],
            "can_review": can_review_resolutions(request.user),
            "can_edit_rules": can_edit_resolution_rules(request.user),
            "can_run_panels": can_run_panels(request.user),
        },
    )


def _open_offences(person: Any, view: Any) -> list[Offence]:
    """The person's offences this user may see that have no outcome or resolution yet."""
    offences = Offence.objects.filter(person=person, outcomes__isnull=True, resolutions__isnull=True).order_by(
        "-offence_date"
    )
    return view.visible(Category.OFFENDING_HISTORY, offences, person)


@requires(can_record_resolutions, RECORDERS)
def resolution_new(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    purpose = request_purpose(request)
    person = access_person(user=request.user, person_id=person_id, purpose=purpose)
    view = sharing_view(request.user, purpose)
    offences = _open_offences(person, view)
    rules = services.rule_set_current().rules
    form = ResolutionStartForm(request.POST or None, offences=offences, rules=rules)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        offence, incident = None, None
        if data["offence"] == NEW_INCIDENT:
            kind = OFFENCE_TYPES_BY_CODE[data["offence_type"]]
            incident = services.NewIncident(
                reference=data["reference"],
                offence_date=data["offence_date"],
                offence_code=kind.code,
                offence_group=kind.group,
                area=data["area"],
            )
        else:
            offence = next(o for o in offences if str(o.pk) == data["offence"])
        facts = set(data["circumstances_facts"])
        try:
            resolution = services.resolution_start(
                by=request.user,
                person=person,
                view=view,
                offence=offence,
                incident=incident,
                admission=data["admission"],
                victims=[
                    services.VictimInput(
                        name=data["victim_name"], wants=data["victim_wants"], wishes=data["victim_wishes"]
                    )
                ],
                aggravating=data["aggravating"],
                mitigating=data["mitigating"],
                flags=data["flags"],
                on_bail="on_bail" in facts,
                under_supervision="under_supervision" in facts,
                lives_locally="not_local" not in facts,
                circumstances=data["circumstances"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("resolutions:decide", resolution_id=resolution.pk)
    return render(request, "resolutions/new.html", {"form": form, "person": person})


def _route_options(recommendation: engine.Recommendation) -> list[dict[str, Any]]:
    """Every route, lightest first, saying which is recommended and which need a supervisor or are closed."""
    options = []
    for value in ROUTE_ORDER:
        excluded = recommendation.excluded.get(value)
        options.append(
            {
                "value": value,
                "label": Route(value).label,
                "recommended": value == recommendation.route,
                "closed": bool(excluded and not excluded["supervisor_may_approve"]),
                "needs_supervisor": bool(excluded and excluded["supervisor_may_approve"]),
                "why": "; ".join(excluded["reasons"]) if excluded else "",
            }
        )
    return options


@requires(can_record_resolutions, RECORDERS)
def resolution_decide(request: HttpRequest, resolution_id: uuid.UUID) -> HttpResponse:
    resolution = _resolution(request, resolution_id)
    if resolution.status != Status.DRAFT:
        return redirect("resolutions:detail", resolution_id=resolution.pk)
    recommendation = services.recommendation_of(resolution)
    rules = resolution.rule_set.rules
    form = DecisionForm(
        request.POST or None,
        rules=rules,
        initial={"route": recommendation.route, "owner": request.user.display_name, "due_on": in_two_weeks()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resolution = services.resolution_decide(
                resolution=resolution,
                by=request.user,
                route=data["route"],
                override_reason=data["override_reason"],
                actions=_decision_actions(data, rules),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if resolution.status == Status.AWAITING_REVIEW:
                messages.success(request, "Decision recorded. It is waiting for a supervisor's review.")
            else:
                messages.success(request, f"Decision recorded: {resolution.get_route_display()}.")
            return redirect("resolutions:detail", resolution_id=resolution.pk)
    return render(
        request,
        "resolutions/decide.html",
        {
            "form": form,
            "resolution": resolution,
            "recommendation": recommendation,
            "routes": _route_options(recommendation),
            "with_actions": sorted(ROUTES_WITH_ACTIONS),
        },
    )


def _decision_actions(data: dict[str, Any], rules: dict[str, Any]) -> list[services.ActionInput]:
    labels = dict(ActionKind.choices)
    detail = (data.get("action_detail") or "").strip()
    actions = []
    for kind in data.get("actions") or []:
        description = labels[kind]
        if kind in (ActionKind.REPARATION_VICTIM, ActionKind.REPARATION_COMMUNITY) and detail:
            description = f"{description}: {detail}"
        if kind == ActionKind.COMPENSATION:
            description = f"Compensation of £{data['compensation']:.2f}"
        actions.append(
            services.ActionInput(
                kind=kind,
                description=description,
                owner=data["owner"],
                due_on=data["due_on"],
                amount=data.get("compensation") if kind == ActionKind.COMPENSATION else None,
            )
        )
    if data.get("remedy"):
        remedy = next(r for r in rules["community_remedy"] if r["code"] == data["remedy"])
        actions.append(
            services.ActionInput(
                kind=ActionKind.COMMUNITY_REMEDY,
                code=remedy["code"],
                description=remedy["label"],
                owner=data["owner"],
                due_on=data["due_on"],
            )
        )
    return actions


@requires(can_record_resolutions, RECORDERS)
def resolution_detail(request: HttpRequest, resolution_id: uuid.UUID) -> HttpResponse:
    resolution = _resolution(request, resolution_id)
    rules = resolution.rule_set.rules
    actions = list(resolution.actions.all())
    return render(
        request,
        "resolutions/detail.html",
        {
            "resolution": resolution,
            "recommendation": services.recommendation_of(resolution),
            "actions": actions,
            "victims": list(resolution.victims.all()),
            "finish_form": ActionFinishForm(),
            "told_form": VictimToldForm(),
            "action_form": ActionForm(rules=rules, initial={"owner": request.user.display_name}),
            "can_add_actions": resolution.route in ROUTES_WITH_ACTIONS
            and resolution.status in (Status.AGREED, Status.REFERRED),
            "can_tell_victim": bool(resolution.route)
            and resolution.status not in (Status.DRAFT, Status.AWAITING_REVIEW),
            "can_review": can_review_resolutions(request.user)
            and resolution.review_status == "pending"
            and resolution.officer_id != request.user.pk,
            "has_contract": hasattr(resolution, "contract"),
        },
    )


@requires(can_record_resolutions, RECORDERS)
def action_new(request: HttpRequest, resolution_id: uuid.UUID) -> HttpResponse:
    resolution = _resolution(request, resolution_id)
    rules = resolution.rule_set.rules
    form = ActionForm(request.POST or None, rules=rules, initial={"owner": request.user.display_name})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        description = data["description"].strip() or dict(ActionKind.choices)[data["kind"]]
        code = ""
        if data["kind"] == ActionKind.COMMUNITY_REMEDY:
            remedy = next(r for r in rules["community_remedy"] if r["code"] == data["remedy"])
            code, description = remedy["code"], data["description"].strip() or remedy["label"]
        try:
            services.action_add(
                resolution=resolution,
                by=request.user,
                action=services.ActionInput(
                    kind=data["kind"],
                    code=code,
                    description=description,
                    owner=data["owner"],
                    due_on=data["due_on"],
                    amount=data["amount"],
                ),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Action added.")
            return redirect("resolutions:detail", resolution_id=resolution.pk)
    return render(request, "resolutions/action_new.html", {"form": form, "resolution": resolution})


@requires(can_record_resolutions, RECORDERS)
def action_finish(request: HttpRequest, resolution_id: uuid.UUID, action_id: uuid.UUID) -> HttpResponse:
    resolution = _resolution(request, resolution_id)
    action = resolution.actions.filter(pk=action_id).first()
    if action is None:
        raise Http404("No such action")
    form = ActionFinishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_finish(
                action=action,
                by=request.user,
                done=form.cleaned_data["done"] == "yes",
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            resolution.refresh_from_db()
            finished = " The resolution is complete." if resolution.status == Status.COMPLETED else ""
            messages.success(request, f"{action.description}: recorded.{finished}")
            return redirect("resolutions:detail", resolution_id=resolution.pk)
    return render(request, "resolutions/action_finish.html", {"form": form, "resolution": resolution, "action": action})


@requires(can_record_resolutions, RECORDERS)
def victim_told(request: HttpRequest, resolution_id: uuid.UUID, victim_id: uuid.UUID) -> HttpResponse:
    resolution = _resolution(request, resolution_id)
    victim = resolution.victims.filter(pk=victim_id).first()
    if victim is None:
        raise Http404("No such victim")
    form = VictimToldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.victim_told(
                victim=victim,
                by=request.user,
                on=form.cleaned_data["on"],
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Recorded that {victim.name} was told the outcome.")
            return redirect("resolutions:detail", resolution_id=resolution.pk)
    return render(request, "resolutions/victim_told.html", {"form": form, "resolution": resolution, "victim": victim})


@requires(can_review_resolutions, "Only supervisors review resolutions")
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "resolutions/review_queue.html", {"resolutions": selectors.review_queue(request.user)})


@requires(can_review_resolutions, "Only supervisors review resolutions")
def review(request: HttpRequest, resolution_id: uuid.UUID) -> HttpResponse:
    resolution = _resolution(request, resolution_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.resolution_review(
                resolution=resolution,
                by=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Review of {resolution.reference} recorded.")
            return redirect("resolutions:review-queue")
    return render(
        request,
        "resolutions/review.html",
        {"form": form, "resolution": resolution, "recommendation": services.recommendation_of(resolution)},
    )


# --- The rules ------------------------------------------------------------------------

RULE_KEEPERS = "Only supervisors and administrators keep the resolution rules"


@requires(can_edit_resolution_rules, RULE_KEEPERS)
def rules(request: HttpRequest) -> HttpResponse:
    current = services.rule_set_current()
    return render(
        request,
        "resolutions/rules.html",
        {
            "rule_set": current,
            "sections": _sections(current),
            "versions": selectors.rule_set_versions()[:50],
            "editable": True,
        },
    )


@requires(can_edit_resolution_rules, RULE_KEEPERS)
def rules_version(request: HttpRequest, version: int) -> HttpResponse:
    rule_set = RuleSet.objects.filter(version=version).select_related("created_by").first()
    if rule_set is None:
        raise Http404("No such version")
    return render(
        request,
        "resolutions/rules.html",
        {
            "rule_set": rule_set,
            "sections": _sections(rule_set),
            "versions": selectors.rule_set_versions()[:50],
            "editable": False,
            "decisions": Resolution.objects.filter(rule_set=rule_set).count(),
        },
    )


def _sections(rule_set: RuleSet) -> list[dict[str, Any]]:
    return [
        {"key": key, "label": SECTION_LABELS[key], "json": json.dumps(rule_set.rules[key], indent=2)}
        for key in SECTIONS
    ]


@requires(can_edit_resolution_rules, RULE_KEEPERS)
def rules_edit(request: HttpRequest, section: str) -> HttpResponse:
    if section not in SECTIONS:
        raise Http404("No such section")
    current = services.rule_set_current()
    form = RulesSectionForm(request.POST or None, initial={"content": json.dumps(current.rules[section], indent=2)})
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        rules = {**current.rules, section: form.cleaned_data["content"]}
        try:
            saved = services.rule_set_save(by=request.user, rules=rules, note=form.cleaned_data["note"])
        except RulesInvalid as invalid:
            problems = invalid.errors
            form.add_error("content", "The rules have problems: see the list above")
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Saved as version {saved.version}. New decisions use it from now on.")
            return redirect("resolutions:rules")
    return render(
        request,
        "resolutions/rules_edit.html",
        {"form": form, "section": section, "label": SECTION_LABELS[section], "problems": problems, "rule_set": current},
    )
