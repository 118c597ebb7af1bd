"""The cohort's pages: who we manage, who the score puts forward, each member's page, the
score's configuration and the schemes. Thin: the rules are in `cohort`, `selection` and
`scoring`; every read of a named person is audited."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.policies import request_purpose
from pathways.access.services import access_person, audit_record
from pathways.iom import cohort, scoring, selection, selectors
from pathways.iom.cohort_forms import (
    AdoptForm,
    DeclineForm,
    ExitForm,
    LeadForm,
    ReviewForm,
    SchemeForm,
    ScoreConfigForm,
    SupporterForm,
    TierForm,
)
from pathways.iom.models import CandidateDecision, Membership, Scheme, ScoreConfig, SupportingWorker
from pathways.iom.policies import (
    can_decide_cohort,
    can_keep_score_config,
    can_read_iom_configuration,
    can_work_iom,
)
from pathways.iom.reference import MANAGED_BY_TIER, CandidateDecisionKind, ManagedBy, Tier
from pathways.offending.reference import OffenceGroup
from pathways.people.models import Person
from pathways.web.forms import apply_service_errors

IOM_ONLY = "Only officers, supervisors and caseworkers of the IOM partner agencies work the cohort"
PANEL_ONLY = "Only the IOM panel's supervisors adopt, decline, review, re-tier and de-select"
CONFIG_KEEPERS_ONLY = "Only the IOM panel's supervisors and administrators change the score's configuration"


def _managed_by(tier: str) -> str:
    return ManagedBy(MANAGED_BY_TIER[tier]).label if tier in MANAGED_BY_TIER else ""


def _person(request: HttpRequest, person_id: uuid.UUID) -> Person:
    return access_person(user=request.user, person_id=person_id, purpose=request_purpose(request))  # type: ignore[arg-type]


def _membership(request: HttpRequest, membership_id: uuid.UUID) -> Membership:
    return selectors.access_membership(
        user=request.user,  # type: ignore[arg-type]
        membership_id=membership_id,
        purpose=request_purpose(request),
    )


# The cohort -------------------------------------------------------------------------------


@requires(can_work_iom, IOM_ONLY)
def cohort_list(request: HttpRequest) -> HttpResponse:
    schemes = list(Scheme.objects.order_by("name"))
    chosen = next((s for s in schemes if s.code == request.GET.get("scheme")), None)
    tier = request.GET.get("tier", "")
    if tier not in Tier.values:
        tier = ""
    members = selectors.cohort(request.user, scheme=chosen)  # type: ignore[arg-type]
    if tier:
        members = members.filter(tier=tier)
    members = list(members)
    # "How many people we manage": every open membership the user may see, by scheme and tier,
    # whatever the filter, so the totals are always in view.
    counts: dict[Any, Counter[str]] = {}
    for row in (
        selectors.cohort(request.user)  # type: ignore[arg-type]
        .order_by()
        .values("scheme_id", "tier")
        .annotate(n=Count("pk"))
    ):
        counts.setdefault(row["scheme_id"], Counter())[row["tier"]] = row["n"]
    totals = [
        {
            "scheme": s,
            "total": sum(counts.get(s.pk, Counter()).values()),
            "tiers": [(label, counts.get(s.pk, Counter())[value]) for value, label in Tier.choices],
        }
        for s in schemes
    ]
    audit_record(
        user=request.user,  # type: ignore[arg-type]
        action=AuditEvent.Action.SEARCH,
        object_type="iom_cohort",
        object_id=chosen.code if chosen else "",
        purpose=request_purpose(request),
        detail={"scheme": chosen.code if chosen else "", "tier": tier, "count": len(members)},
    )
    return render(
        request,
        "iom/cohort.html",
        {
            "members": [{"m": m, "managed_by": _managed_by(m.tier)} for m in members],
            "schemes": schemes,
            "chosen": chosen,
            "tier": tier,
            "tiers": Tier.choices,
            "totals": totals,
            "grand_total": sum(t["total"] for t in totals),
            "can_decide": can_decide_cohort(request.user),
        },
    )


# Candidates and the panel's decisions -----------------------------------------------------


@requires(can_work_iom, IOM_ONLY)
def candidate_list(request: HttpRequest) -> HttpResponse:
    schemes = list(Scheme.objects.filter(active=True).order_by("name"))
    code = request.GET.get("scheme") or (schemes[0].code if len(schemes) == 1 else "")
    scheme = next((s for s in schemes if s.code == code), None)
    if code and scheme is None:
        raise Http404("No such scheme open to new members")
    config = cohort.config_current()
    found = (
        selection.candidates(request.user, scheme, config=config, purpose=request_purpose(request))  # type: ignore[arg-type]
        if scheme
        else []
    )
    return render(
        request,
        "iom/candidates.html",
        {
            "schemes": schemes,
            "scheme": scheme,
            "candidates": found,
            "config": config,
            "tiers": Tier.choices,
            "agencies": AdoptForm().fields["lead_agency"].queryset,
            "can_decide": can_decide_cohort(request.user),
        },
    )


def _decide(request: HttpRequest, scheme_code: str, person_id: uuid.UUID, *, adopting: bool) -> HttpResponse:
    scheme = get_object_or_404(Scheme, code=scheme_code)
    person = _person(request, person_id)
    adopt_form = AdoptForm(request.POST if adopting and request.method == "POST" else None, prefix="adopt")
    decline_form = DeclineForm(request.POST if not adopting and request.method == "POST" else None, prefix="decline")
    form: forms.Form = adopt_form if adopting else decline_form
    if adopting and request.method != "POST":
        adopt_form.initial["lead_agency"] = scheme.lead_agency_id
    if request.method == "POST" and form.is_valid():
        try:
            if adopting:
                membership = cohort.adopt(by=request.user, person=person, scheme=scheme, data=adopt_form.to_input())  # type: ignore[arg-type]
                messages.success(request, f"{person.full_name} adopted into the {scheme.name} cohort")
                return redirect("iom:member", membership_id=membership.pk)
            cohort.decline(by=request.user, person=person, scheme=scheme, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
            messages.success(
                request,
                f"{person.full_name} declined for {scheme.name}. They come back as a candidate only after a new proven offence.",
            )
            return redirect(f"{reverse('iom:candidates')}?scheme={scheme.code}")
        except ValidationError as error:
            apply_service_errors(form, error)
    config = cohort.config_current()
    result = cohort.person_score(person, config=config)
    return render(
        request,
        "iom/cohort_decision.html",
        {
            "scheme": scheme,
            "person": person,
            "score": result,
            "explanation": result.explanation(config.config),
            "config": config,
            "adopt_form": adopt_form,
            "decline_form": decline_form,
            "error_form": form if form.errors else None,
            "decisions": CandidateDecision.objects.filter(person=person, scheme=scheme).select_related("decided_by"),
        },
        status=400 if form.errors else 200,
    )


@requires(can_decide_cohort, PANEL_ONLY)
def adopt(request: HttpRequest, scheme_code: str, person_id: uuid.UUID) -> HttpResponse:
    return _decide(request, scheme_code, person_id, adopting=True)


@requires(can_decide_cohort, PANEL_ONLY)
def decline(request: HttpRequest, scheme_code: str, person_id: uuid.UUID) -> HttpResponse:
    return _decide(request, scheme_code, person_id, adopting=False)


# A member --------------------------------------------------------------------------------


def _member_page(request: HttpRequest, membership: Membership, **bound: forms.Form) -> HttpResponse:
    """The member page; `bound` holds a form that failed, shown with its errors in place."""
    panel = can_decide_cohort(request.user) and membership.is_open
    forms_ = {
        "review_form": ReviewForm(prefix="review"),
        "tier_form": TierForm(prefix="tier", initial={"tier": membership.tier}),
        "lead_form": LeadForm(
            prefix="lead", initial={"lead_agency": membership.lead_agency_id, "lead_worker": membership.lead_worker_id}
        ),
        "exit_form": ExitForm(prefix="exit"),
        "supporter_form": SupporterForm(prefix="supporter"),
    }
    forms_.update(bound)
    error_form = next((f for f in bound.values() if f.errors), None)
    config = membership.config.config
    parts = membership.score_parts or {}
    others = (
        selectors.memberships_visible_to(request.user)  # type: ignore[arg-type]
        .filter(person=membership.person)
        .exclude(pk=membership.pk)
        .select_related("scheme")
        .order_by("-adopted_on")
    )
    return render(
        request,
        "iom/member.html",
        {
            "membership": membership,
            "person": membership.person,
            "managed_by": _managed_by(membership.tier),
            "parts": [(name.capitalize(), parts.get(name)) for name in ("recency", "frequency", "gravity", "victims")],
            "config": config,
            "events": membership.events.select_related("by").order_by("on", "created_at"),
            "supporters": membership.supporting_workers.select_related("agency").order_by("until", "since", "name"),
            "others": others,
            "can_work": can_work_iom(request.user) and membership.is_open,
            "panel": panel,
            "error_form": error_form,
            **forms_,
        },
        status=400 if error_form else 200,
    )


@requires(can_work_iom, IOM_ONLY)
def member(request: HttpRequest, membership_id: uuid.UUID) -> HttpResponse:
    return _member_page(request, _membership(request, membership_id))


def _member_action(
    request: HttpRequest,
    membership_id: uuid.UUID,
    form_class: type[forms.Form],
    prefix: str,
    act: Callable[[Membership, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    membership = _membership(request, membership_id)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            act(membership, form.cleaned_data)
            messages.success(request, done)
            return redirect("iom:member", membership_id=membership.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return _member_page(request, membership, **{f"{prefix}_form": form})


@require_POST
@requires(can_decide_cohort, PANEL_ONLY)
def member_review(request: HttpRequest, membership_id: uuid.UUID) -> HttpResponse:
    return _member_action(
        request,
        membership_id,
        ReviewForm,
        "review",
        lambda m, d: cohort.review(by=request.user, membership=m, note=d["note"]),  # type: ignore[arg-type]
        "Review recorded",
    )


@require_POST
@requires(can_decide_cohort, PANEL_ONLY)
def member_tier(request: HttpRequest, membership_id: uuid.UUID) -> HttpResponse:
    return _member_action(
        request,
        membership_id,
        TierForm,
        "tier",
        lambda m, d: cohort.tier_change(by=request.user, membership=m, tier=d["tier"], reason=d["reason"]),  # type: ignore[arg-type]
        "Risk tier changed",
    )


@require_POST
@requires(can_decide_cohort, PANEL_ONLY)
def member_lead(request: HttpRequest, membership_id: uuid.UUID) -> HttpResponse:
    return _member_action(
        request,
        membership_id,
        LeadForm,
        "lead",
        lambda m, d: cohort.lead_change(
            by=request.user,  # type: ignore[arg-type]
            membership=m,
            lead_agency=d["lead_agency"],
            lead_worker=d["lead_worker"],
            reason=d["reason"],
        ),
        "Lead changed",
    )


@require_POST
@requires(can_decide_cohort, PANEL_ONLY)
def member_exit(request: HttpRequest, membership_id: uuid.UUID) -> HttpResponse:
    return _member_action(
        request,
        membership_id,
        ExitForm,
        "exit",
        lambda m, d: cohort.deselect(by=request.user, membership=m, reason=d["reason"], on=d["on"]),  # type: ignore[arg-type]
        "Removed from the cohort",
    )


@require_POST
@requires(can_work_iom, IOM_ONLY)
def supporter_add(request: HttpRequest, membership_id: uuid.UUID) -> HttpResponse:
    return _member_action(
        request,
        membership_id,
        SupporterForm,
        "supporter",
        lambda m, d: cohort.supporting_worker_add(
            by=request.user,  # type: ignore[arg-type]
            membership=m,
            agency=d["agency"],
            name=d["name"],
            role=d["role"],
        ),
        "Supporting worker added",
    )


@require_POST
@requires(can_work_iom, IOM_ONLY)
def supporter_end(request: HttpRequest, membership_id: uuid.UUID, worker_id: uuid.UUID) -> HttpResponse:
    membership = _membership(request, membership_id)
    worker = get_object_or_404(SupportingWorker, pk=worker_id, membership=membership, until__isnull=True)
    try:
        cohort.supporting_worker_end(by=request.user, worker=worker)  # type: ignore[arg-type]
        messages.success(request, f"{worker.name} no longer supports them")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("iom:member", membership_id=membership.pk)


# The score's configuration -----------------------------------------------------------------


@requires(
    can_read_iom_configuration, "Only those who work the cohort or see its figures read the score's configuration"
)
def score_config(request: HttpRequest) -> HttpResponse:
    current = cohort.config_current()
    form = ScoreConfigForm(
        request.POST if request.method == "POST" else None,
        initial={"config": json.dumps(current.config, indent=2, sort_keys=True)},
    )
    problems: list[str] = []
    if request.method == "POST":
        if not can_keep_score_config(request.user):
            raise PermissionDenied(CONFIG_KEEPERS_ONLY)
        if form.is_valid():
            try:
                saved = cohort.config_save(
                    by=request.user,  # type: ignore[arg-type]
                    config=form.cleaned_data["config"],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, f"Version {saved.version} of the score's configuration saved")
                return redirect("iom:score")
            except ValidationError as error:
                # Each problem names its path in the configuration (e.g. gravity_by_group.theft).
                problems = [p for p in error.message_dict.get("config", []) if not p.startswith("note:")]
                for p in problems:
                    form.add_error("config", p)
                if any(p.startswith("note:") for p in error.message_dict.get("config", [])):
                    form.add_error("note", "Say what changed, and why")
    used = Counter(
        dict(Membership.objects.order_by().values("config_id").annotate(n=Count("pk")).values_list("config_id", "n"))
    )
    declined = Counter(
        dict(
            CandidateDecision.objects.filter(decision=CandidateDecisionKind.DECLINED)
            .order_by()
            .values("config_id")
            .annotate(n=Count("pk"))
            .values_list("config_id", "n")
        )
    )
    versions = [
        {"config": v, "adoptions": used[v.pk], "declines": declined[v.pk]}
        for v in ScoreConfig.objects.select_related("created_by").order_by("-version")
    ]
    settings = current.config
    return render(
        request,
        "iom/score.html",
        {
            "current": current,
            "settings": settings,
            "groups": [
                (label, settings.get("gravity_by_group", {}).get(value, 0)) for value, label in OffenceGroup.choices
            ],
            "codes": sorted((settings.get("gravity_by_code") or {}).items()),
            "window_days": round(settings["lookback_months"] * scoring.DAYS_IN_MONTH),
            "versions": versions,
            "form": form,
            "can_keep": can_keep_score_config(request.user),
        },
        status=400 if form.errors else 200,
    )


# Schemes -----------------------------------------------------------------------------------


@requires(can_work_iom, IOM_ONLY)
def scheme_list(request: HttpRequest) -> HttpResponse:
    open_counts = dict(
        selectors.cohort(request.user)  # type: ignore[arg-type]
        .order_by()
        .values("scheme_id")
        .annotate(n=Count("pk"))
        .values_list("scheme_id", "n")
    )
    schemes = Scheme.objects.select_related("lead_agency").order_by("-active", "name")
    groups = dict(OffenceGroup.choices)
    return render(
        request,
        "iom/schemes.html",
        {
            "rows": [
                {
                    "scheme": s,
                    "members": open_counts.get(s.pk, 0),
                    "groups": [groups.get(g, g) for g in s.offence_groups],
                }
                for s in schemes
            ],
            "can_decide": can_decide_cohort(request.user),
        },
    )


def _scheme_form(request: HttpRequest, scheme: Scheme | None) -> HttpResponse:
    initial = SchemeForm.initial_for(scheme) if scheme else {"active": True}
    form = SchemeForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = cohort.scheme_save(by=request.user, data=form.to_input(), scheme=scheme)  # type: ignore[arg-type]
            messages.success(request, f"{saved.name} saved")
            return redirect("iom:schemes")
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "iom/scheme_form.html",
        {"form": form, "scheme": scheme, "heading": f"Change {scheme.name}" if scheme else "Add a scheme"},
        status=400 if form.errors else 200,
    )


@requires(can_decide_cohort, PANEL_ONLY)
def scheme_new(request: HttpRequest) -> HttpResponse:
    return _scheme_form(request, None)


@requires(can_decide_cohort, PANEL_ONLY)
def scheme_edit(request: HttpRequest, scheme_code: str) -> HttpResponse:
    return _scheme_form(request, get_object_or_404(Scheme, code=scheme_code))


urlpatterns: list[URLPattern] = [
    path("", cohort_list, name="cohort"),
    path("candidates/", candidate_list, name="candidates"),
    path("candidates/<slug:scheme_code>/<uuid:person_id>/adopt/", adopt, name="adopt"),
    path("candidates/<slug:scheme_code>/<uuid:person_id>/decline/", decline, name="decline"),
    path("members/<uuid:membership_id>/", member, name="member"),
    path("members/<uuid:membership_id>/review/", member_review, name="review"),
    path("members/<uuid:membership_id>/tier/", member_tier, name="tier"),
    path("members/<uuid:membership_id>/lead/", member_lead, name="lead"),
    path("members/<uuid:membership_id>/exit/", member_exit, name="exit"),
    path("members/<uuid:membership_id>/supporters/", supporter_add, name="supporter-add"),
    path("members/<uuid:membership_id>/supporters/<uuid:worker_id>/end/", supporter_end, name="supporter-end"),
    path("score/", score_config, name="score"),
    path("schemes/", scheme_list, name="schemes"),
    path("schemes/new/", scheme_new, name="scheme-new"),
    path("schemes/<slug:scheme_code>/", scheme_edit, name="scheme-edit"),
]
