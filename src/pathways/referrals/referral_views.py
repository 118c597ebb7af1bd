"""Referring a person, the agency's referrals (made and received), and one referral's page.
Thin: the rules are in `referrals.referring`.

Who is named on a referral's timeline: each worker of the viewer's own agency by name; to the
receiving agency, the referrer by name too (they may need to call them back). Any other
agency's worker is shown by agency and role only: the referrer needs to know which agency did
what and when, and takes it up with that agency, not with one of its staff.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to, request_purpose
from pathways.access.services import access_person, audit_record
from pathways.accounts.models import User
from pathways.referrals import directory, referring
from pathways.referrals.directory_views import pathway_labels
from pathways.referrals.forms import CloseForm, ContactForm, ReferForm, TriageForm, WithdrawForm
from pathways.referrals.models import (
    OPEN_REFERRAL_STATUSES,
    ContactRoute,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Service,
)
from pathways.referrals.policies import can_follow, can_refer, can_triage, referral_visible, sees_contact_notes
from pathways.web.forms import apply_service_errors

REFERRERS = "Only officers, supervisors and caseworkers make and receive referrals"
MADE, RECEIVED = "made", "received"
STATUS_TAGS = {
    ReferralStatus.SENT: "govuk-tag--blue",
    ReferralStatus.ACCEPTED: "govuk-tag--turquoise",
    ReferralStatus.IN_CONTACT: "govuk-tag--green",
    ReferralStatus.CLOSED: "govuk-tag--grey",
    ReferralStatus.DECLINED: "govuk-tag--red",
    ReferralStatus.REDIRECTED: "govuk-tag--purple",
    ReferralStatus.WITHDRAWN: "govuk-tag--grey",
}


def receivable_services() -> QuerySet[Service]:
    """Services a referral can be made to through Pathways: the linking service first."""
    return (
        Service.objects.filter(is_active=True, contact_route=ContactRoute.PATHWAYS, receiving_agency__isnull=False)
        .select_related("receiving_agency")
        .order_by("-is_linking_service", "name")
    )


@requires(can_refer, REFERRERS)
def refer(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = access_person(user=request.user, person_id=person_id, purpose=request_purpose(request))  # type: ignore[arg-type]
    query = (request.GET.get("q") or "").strip()[:200]
    services = receivable_services()
    if query:
        services = services.filter(pk__in=directory.services_search(need=query).values("pk"))
    form = ReferForm(request.POST or None, services=services, initial={"consent_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = referring.referral_make(
                    by=request.user,  # type: ignore[arg-type]
                    person=person,
                    service=data["service"],
                    pathways=data["pathways"],
                    reason=data["reason"],
                    consent=data["consent"],
                    consent_note=data["consent_note"],
                    consent_on=data["consent_on"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"Referral {referral.reference} is sent to {referral.service.name}.")
                return redirect("referrals:detail", referral_id=referral.pk)
    return render(
        request,
        "referrals/refer.html",
        {"person": person, "form": form, "query": query, "found": services.count()},
        status=status,
    )


@dataclass
class Row:
    referral: Referral
    person_name: str
    days: int
    tag: str


def _rows(user: User, referrals: list[Referral]) -> list[Row]:
    # A person the user may no longer see (a restriction placed since) is listed without their name.
    visible = set(people_visible_to(user).filter(pk__in={r.person_id for r in referrals}).values_list("pk", flat=True))
    today = timezone.localdate()
    return [
        Row(
            referral=r,
            person_name=r.person.full_name if r.person_id in visible else "Someone you may no longer see",
            days=(today - timezone.localtime(r.created_at).date()).days,
            tag=STATUS_TAGS.get(r.status, ""),
        )
        for r in referrals
    ]


@requires(can_refer, REFERRERS)
def referral_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    tab = request.GET.get("tab") if request.GET.get("tab") in (MADE, RECEIVED) else None
    made = Referral.objects.filter(referring_agency_id=user.agency_id)
    received = Referral.objects.filter(receiving_agency_id=user.agency_id)
    if tab is None:
        # Open on the side that has something to do: the received tab when referrals wait for triage.
        tab = RECEIVED if received.filter(status=ReferralStatus.SENT).exists() else MADE
    chosen = made if tab == MADE else received
    counts = chosen.aggregate(total=Count("pk"), **{s: Count("pk", filter=Q(status=s)) for s in ReferralStatus.values})
    status = request.GET.get("status", "")
    if status == "open":
        chosen = chosen.filter(status__in=OPEN_REFERRAL_STATUSES)
    elif status in ReferralStatus.values:
        chosen = chosen.filter(status=status)
    else:
        status = ""
    shown = list(chosen.select_related("person", "service", "referring_agency", "receiving_agency")[:300])
    # The list names people: which people a user was shown is kept, as for the IOM cohort.
    audit_record(
        user=user,
        action=AuditEvent.Action.SEARCH,
        object_type="referrals",
        object_id=tab,
        purpose=request_purpose(request),
        detail={"tab": tab, "status": status, "people": sorted({str(r.person_id) for r in shown})},
    )
    return render(
        request,
        "referrals/list.html",
        {
            "tab": tab,
            "rows": _rows(user, shown),
            "counts": counts,
            "status": status,
            "statuses": ReferralStatus.choices,
            "waiting": received.filter(status=ReferralStatus.SENT).count(),
            "made_count": made.count(),
            "received_count": received.count(),
        },
    )


@dataclass
class Step:
    event: ReferralEvent
    who: str
    tag: str


def _who(event: ReferralEvent, viewer: User, referral: Referral) -> str:
    agency = event.agency.name
    if event.agency_id == viewer.agency_id or (
        referral.receiving_agency_id == viewer.agency_id and event.by_id == referral.referred_by_id
    ):
        return f"{event.by.display_name}, {agency}"
    roles = ", ".join(event.by.role_labels).lower() if hasattr(event.by, "role_labels") else ""
    return f"A {roles} at {agency}" if roles else agency


def _timeline(referral: Referral, viewer: User) -> list[Step]:
    events = referral.events.select_related("by", "agency").order_by("created_at")
    return [Step(e, _who(e, viewer, referral), STATUS_TAGS.get(e.to_status, "")) for e in events]


def _access_referral(request: HttpRequest, referral_id: uuid.UUID) -> Referral:
    """The referral, if the user's agency made or received it; anyone else finds nothing (404),
    and the refusal is audited. Opening it is a read of the person, audited."""
    user: User = request.user  # type: ignore[assignment]
    referral = (
        Referral.objects.select_related(
            "person", "service", "referring_agency", "receiving_agency", "referred_by", "redirected_from"
        )
        .filter(pk=referral_id)
        .first()
    )
    if referral is None or not referral_visible(user, referral):
        audit_record(user=user, action=AuditEvent.Action.REFUSED, object_type="referral", object_id=str(referral_id))
        raise Http404("No such referral")
    access_person(user=user, person_id=referral.person_id, purpose=request_purpose(request))
    return referral


def _act(request: HttpRequest, referral: Referral, forms: dict[str, Any]) -> HttpResponse | None:
    """Do what the posted form asks. None when the form has errors (the page shows them)."""
    user: User = request.user  # type: ignore[assignment]
    action = request.POST.get("action")
    form = forms.get(action or "")
    if form is None:
        # A form from a page opened before someone else moved the referral on (or not one of
        # this user's): nothing to do now, said in words.
        status = ReferralStatus(referral.status).label.lower()
        messages.warning(request, f"Referral {referral.reference} is {status}: that cannot be done now.")
        return redirect("referrals:detail", referral_id=referral.pk)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        if action == "triage":
            if data["decision"] == TriageForm.ACCEPT:
                referring.referral_accept(referral=referral, by=user)
                said = f"Accepted: {referral.reference} waits for your contact with the person."
            elif data["decision"] == TriageForm.DECLINE:
                referring.referral_decline(referral=referral, by=user, reason=data["reason"])
                said = "Declined: the referrer is told why."
            else:
                made = referring.referral_redirect(
                    referral=referral, by=user, to_service=data["to_service"], reason=data["reason"]
                )
                said = f"Redirected: {made.reference} is sent to {made.service.name}."
        elif action == "contact":
            referring.referral_contact(
                referral=referral, by=user, on=data["on"], method=data["method"], note=data["note"]
            )
            said = "The contact is recorded."
        elif action == "close":
            referring.referral_close(referral=referral, by=user, outcome=data["outcome"], reason=data["reason"])
            said = f"Closed: {referral.reference}'s outcome is sent to the referrer."
        else:
            referring.referral_withdraw(referral=referral, by=user, reason=data["reason"])
            said = f"Withdrawn: {referral.receiving_agency.name} is told why."
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None
    except referring.ReferralRefused as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, said)
    return redirect("referrals:detail", referral_id=referral.pk)


@requires(can_refer, REFERRERS)
def referral_detail(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    referral = _access_referral(request, referral_id)
    triages = can_triage(user, referral)
    follows = can_follow(user, referral)
    moves = referring.next_moves(referral)
    posted = request.POST if request.method == "POST" else None

    def bound(name: str) -> Any:
        return posted if posted is not None and posted.get("action") == name else None

    forms: dict[str, Any] = {}
    if triages and ReferralStatus.ACCEPTED in moves:
        forms["triage"] = TriageForm(bound("triage"), services=receivable_services().exclude(pk=referral.service_id))
    if triages and referral.status in (ReferralStatus.ACCEPTED, ReferralStatus.IN_CONTACT):
        forms["contact"] = ContactForm(bound("contact"), initial={"on": timezone.localdate()})
    if triages and ReferralStatus.CLOSED in moves:
        forms["close"] = CloseForm(bound("close"))
    if follows and ReferralStatus.WITHDRAWN in moves:
        forms["withdraw"] = WithdrawForm(bound("withdraw"))
    status = 200
    if posted is not None:
        done = _act(request, referral, forms)
        if done is not None:
            return done
        status = 400
    errors = next((f for f in forms.values() if f.is_bound and f.errors), None)
    redirects = (
        list(referral.redirects.select_related("service")) if referral.status == ReferralStatus.REDIRECTED else []
    )
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "pathways": pathway_labels(referral.pathways),
            "timeline": _timeline(referral, user),
            "tag": STATUS_TAGS.get(referral.status, ""),
            "forms": forms,
            "form": errors,  # the error summary's form, when one has errors
            "triages": triages,
            "follows": follows,
            "receives": referral.receiving_agency_id == user.agency_id,
            "contacts": referral.contacts.select_related("by") if sees_contact_notes(user, referral) else None,
            "redirects": [(r, can_follow(user, r) or referral_visible(user, r)) for r in redirects],
            "referrer": referral.referred_by.display_name,
        },
        status=status,
    )


def referral_list_url(tab: str = MADE) -> str:
    return f"{reverse('referrals:list')}?tab={tab}"


urlpatterns: list[URLPattern] = [
    path("refer/<uuid:person_id>/", refer, name="refer"),
    path("referrals/", referral_list, name="list"),
    path("referrals/<uuid:referral_id>/", referral_detail, name="detail"),
]
