"""Sign-in (a password, then a code from an authenticator app), sign-out, the home page for
each role, and the health check."""

from __future__ import annotations

import base64
import enum

import qrcode
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django import forms
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathFillImage

from pathways.access.middleware import (
    NEXT_SESSION_KEY,
    PENDING_BACKEND_SESSION_KEY,
    PENDING_USER_SESSION_KEY,
    is_verified,
    public,
)
from pathways.access.models import AuditEvent
from pathways.access.policies import can_import
from pathways.access.services import audit_record
from pathways.accounts.models import Role, User
from pathways.accounts.services import authenticator_confirm, authenticator_pending
from pathways.imports.models import ImportBatch
from pathways.iom.policies import can_decide_cohort, can_see_iom_figures, can_work_iom
from pathways.linkage.policies import can_review_links
from pathways.web.forms import CodeForm, GovukFormMixin


class SignInForm(GovukFormMixin, AuthenticationForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "Enter a correct username and password",
        "inactive": "This account has been switched off",
    }


class SignInView(auth_views.LoginView):
    """Step 1: username and password. A right password does not sign anyone in: it remembers, in
    the session, who is signing in, and sends them on to step 2 (the code, or setting up an
    authenticator app). django-axes has already counted the attempt."""

    template_name = "web/sign_in.html"
    authentication_form = SignInForm
    pathways_public = True

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:  # type: ignore[no-untyped-def]
        if is_verified(request.user):
            return HttpResponseRedirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignInForm) -> HttpResponse:
        request = self.request
        user = form.get_user()
        next_url = self.get_success_url()
        if request.user.is_authenticated:
            logout(request)  # half signed in as someone (not past the code): start again
        else:
            request.session.cycle_key()
        request.session[PENDING_USER_SESSION_KEY] = str(user.pk)
        request.session[PENDING_BACKEND_SESSION_KEY] = user.backend
        request.session[NEXT_SESSION_KEY] = next_url
        return redirect("web:sign-in-code")


class SignOutView(auth_views.LogoutView):
    pathways_public = True


# Step 2 ---------------------------------------------------------------------------------------


class _Check(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    WAIT = "wait"  # django-otp slows down guessing: 1, 2, 4… seconds after each wrong code
    LOCKED = "locked"


_ERRORS = {
    _Check.WRONG: "The code is not right. Enter the newest code from your authenticator app",
    _Check.WAIT: "Wait a few seconds, then enter the newest code from your authenticator app",
}


def _user_to_verify(request: HttpRequest) -> User | None:
    """Whoever gave the right password in this session (or is signed in without the second factor)."""
    if request.user.is_authenticated:
        return request.user  # type: ignore[return-value]
    pk = request.session.get(PENDING_USER_SESSION_KEY)
    if pk is None:
        return None
    return User.objects.select_related("agency").filter(pk=pk, is_active=True).first()


def _forget_sign_in(request: HttpRequest) -> str:
    """End a half-done sign-in; returns where the person was going."""
    for key in (PENDING_USER_SESSION_KEY, PENDING_BACKEND_SESSION_KEY):
        request.session.pop(key, None)
    next_url = request.session.pop(NEXT_SESSION_KEY, "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("id").first()


def _is_locked(request: HttpRequest, user: User) -> bool:
    return not AxesProxyHandler.is_allowed(request, get_credentials(user.get_username()))


def _check_code(request: HttpRequest, user: User, device: TOTPDevice, code: str, *, step: str) -> _Check:
    """Check a code against the device. A wrong code is a failed sign-in: audited, and counted
    by django-axes with wrong passwords towards locking the account."""
    if _is_locked(request, user):
        return _Check.LOCKED
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return _Check.WAIT
        if device.verify_token(code):  # each code works once
            return _Check.RIGHT
    audit_record(user=user, action=AuditEvent.Action.SIGN_IN_FAILED, detail={"step": step})
    AxesProxyHandler.user_login_failed(
        sender=_check_code, credentials=get_credentials(user.get_username()), request=request
    )
    return _Check.LOCKED if getattr(request, "axes_locked_out", False) else _Check.WRONG


def _complete_sign_in(request: HttpRequest, user: User, device: TOTPDevice) -> HttpResponse:
    """Both factors given: sign in (the `sign_in` audit event is written now, by
    pathways.access.signals, and axes forgets earlier failures) and mark the session verified."""
    backend = request.session.get(PENDING_BACKEND_SESSION_KEY, "django.contrib.auth.backends.ModelBackend")
    next_url = _forget_sign_in(request)
    if request.user.is_authenticated:
        request.session.cycle_key()
    else:
        login(request, user, backend=backend)
    otp_login(request, device)
    return HttpResponseRedirect(next_url)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Step 2: "Enter the 6-digit code from your authenticator app"."""
    if is_verified(request.user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    user = _user_to_verify(request)
    if user is None:
        _forget_sign_in(request)
        return redirect(settings.LOGIN_URL)
    device = _confirmed_device(user)
    if device is None:
        return redirect("web:sign-in-set-up")
    if _is_locked(request, user):
        return locked_out(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = _check_code(request, user, device, form.cleaned_data["code"], step="code")
        if result is _Check.RIGHT:
            return _complete_sign_in(request, user, device)
        if result is _Check.LOCKED:
            return locked_out(request)
        form.add_error("code", _ERRORS[result])
    return render(request, "web/sign_in_code.html", {"form": form})


@public
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_set_up(request: HttpRequest) -> HttpResponse:
    """Step 2 for someone with no authenticator app yet: scan the QR code (or type the key),
    then enter a code from the app to show it works. Until then they can go nowhere else."""
    if is_verified(request.user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    user = _user_to_verify(request)
    if user is None:
        _forget_sign_in(request)
        return redirect(settings.LOGIN_URL)
    if _confirmed_device(user) is not None:
        return redirect("web:sign-in-code")
    if _is_locked(request, user):
        return locked_out(request)
    device = authenticator_pending(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = _check_code(request, user, device, form.cleaned_data["code"], step="set-up")
        if result is _Check.RIGHT:
            device = authenticator_confirm(user=user, device=device)
            return _complete_sign_in(request, user, device)
        if result is _Check.LOCKED:
            return locked_out(request)
        form.add_error("code", _ERRORS[result])
    secret = base64.b32encode(device.bin_key).decode()
    qr = qrcode.make(device.config_url, image_factory=SvgPathFillImage, box_size=10, border=4)
    context = {
        "form": form,
        "qr_code": "data:image/svg+xml;base64," + base64.b64encode(qr.to_string()).decode(),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "web/sign_in_set_up.html", context)


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """What django-axes shows after too many failed attempts (AXES_LOCKOUT_CALLABLE), and what the
    code pages show a locked account. A half-done sign-in ends here."""
    _forget_sign_in(request)
    if request.user.is_authenticated and not is_verified(request.user):
        logout(request)
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "web/locked_out.html", context, status=429)


# What each role comes to do, first things first.
_ROLE_TASKS = {
    Role.OFFICER: [
        (
            "Find a person",
            "people:search",
            "Check someone's history, then resolve an offence from their record.",
        ),
        (
            "My resolutions",
            "resolutions:list",
            "Community resolutions, diversion contracts and referrals you have under way.",
        ),
        ("Restorative justice referrals", "restorative:referrals", "Refer a case, and follow your agency's referrals."),
        ("The IOM cohort", "iom:cohort", "The people partners manage together: their tier, lead, needs and plan."),
        (
            "Today's review board",
            "iom:board",
            "What is new about cohort members since the last board, and the decisions and partner actions agreed.",
        ),
        (
            "Problem solving",
            "problems:board",
            "Problems the partners work together through Scanning, Analysis, Response and Assessment.",
        ),
        (
            "Services and referrals",
            "referrals:list",
            "Find a service for someone, refer them with their consent, and follow what became of it.",
        ),
    ],
    Role.SUPERVISOR: [
        (
            "What works: impact evaluation",
            "evaluation:index",
            "Compare the reoffending of people who received an intervention with a matched comparison group.",
        ),
        ("Find a person", "people:search", "Look up the people your team is working with."),
        ("The IOM cohort", "iom:cohort", "The people partners manage together: their tier, lead, needs and plan."),
        (
            "Today's review board",
            "iom:board",
            "What is new about cohort members since the last board, and the decisions and partner actions agreed.",
        ),
        (
            "IOM candidates",
            "iom:candidates",
            "People ranked by the recency, frequency and gravity of their offending, for the panel to adopt or decline.",
        ),
        ("Tags and alerts", "iom:tags", "Tags worn by cohort members, their alerts, and who reoffended while tagged."),
        (
            "Decisions to review",
            "resolutions:review-queue",
            "Out-of-court decisions the rules say a supervisor must see.",
        ),
        (
            "Level 2 panels",
            "resolutions:panels",
            "Case-conference panels, their sittings and the cases listed for them.",
        ),
        (
            "Resolution figures",
            "resolutions:figures",
            "Resolutions by tier and route, completion, victim satisfaction and overrides.",
        ),
        (
            "Resolution rules",
            "resolutions:rules",
            "The gravity matrix, eligibility rules and Community Remedy menu, with their versions.",
        ),
        (
            "Problem solving",
            "problems:board",
            "Problems the partners work together through Scanning, Analysis, Response and Assessment.",
        ),
        (
            "Services and referrals",
            "referrals:list",
            "Find a service for someone, refer them with their consent, and follow what became of it.",
        ),
        (
            "Gaps in provision",
            "referrals:gaps",
            "Assessed needs on the seven pathways against the services in each area: where need has no service.",
        ),
    ],
    Role.CASEWORKER: [
        ("Find a person", "people:search", "See what you may see about the people you work with."),
        ("Restorative justice referrals", "restorative:referrals", "Refer a case, and follow your agency's referrals."),
        ("The IOM cohort", "iom:cohort", "The people partners manage together: their tier, lead, needs and plan."),
        (
            "Today's review board",
            "iom:board",
            "What is new about cohort members since the last board, and the decisions and partner actions agreed.",
        ),
        (
            "Services and referrals",
            "referrals:list",
            "Find a service for someone, refer them with their consent, and follow what became of it.",
        ),
        (
            "Problem solving",
            "problems:board",
            "Problems the partners work together through Scanning, Analysis, Response and Assessment.",
        ),
    ],
    Role.RJ_COORDINATOR: [
        (
            "Referrals and cases",
            "restorative:queue",
            "New referrals waiting for a decision, with their ages, and every open case.",
        ),
        (
            "Facilitators",
            "restorative:facilitators",
            "The register: vetting, training, supervision, capacity, and what expires soon.",
        ),
        ("Venues", "restorative:venues", "Rooms partners lend for meetings, their access and when they can be used."),
        (
            "Neighbourhood Justice Panels",
            "resolutions:panels",
            "Panels of trained volunteers, their sittings and cases.",
        ),
        ("Quarterly return", "restorative:dataset", "The standard RJ dataset for a quarter, as a page and a CSV."),
        (
            "Refer a case",
            "restorative:referral-new",
            "Enter a victim's own referral, or one that came by phone or letter.",
        ),
    ],
    Role.FACILITATOR: [
        ("My cases", "restorative:my-cases", "The restorative justice cases allocated to you."),
        ("Find a person", "people:search", "Look up the people in the cases allocated to you."),
    ],
    Role.ANALYST: [
        (
            "What works: impact evaluation",
            "evaluation:index",
            "Compare the reoffending of people who received an intervention with a matched comparison group.",
        ),
        (
            "Performance framework",
            "analytics:framework",
            "Proven reoffending for successive cohorts, by tier and intervention; drill down to the people behind a figure.",
        ),
        (
            "Data quality and timeliness",
            "analytics:data-quality",
            "When each partner's data last arrived, how late and how complete it is, and what the gaps do to the figures.",
        ),
        (
            "Strategic assessment",
            "analytics:strategic-assessment",
            "Where crime happens, who offends and who is harmed, and how much offending is reoffending.",
        ),
        ("Restorative justice return", "restorative:dataset", "The quarterly standard RJ dataset for each service."),
        (
            "Is IOM working?",
            "iom:figures",
            "The cohort's proven offending before and after adoption, the change in score and the cost of crime avoided.",
        ),
        (
            "Risk models and fairness audits",
            "risk:models",
            "Train the partnership's own reoffending model and read its model card; audit any score for fairness.",
        ),
        (
            "Panel report",
            "analytics:panel-report",
            "The quarterly reducing-reoffending report for the Police and Crime Panel, as a page and a PDF.",
        ),
        (
            "Import partner data",
            "imports:upload",
            "Load a partner's people, offences, outcomes or custody file.",
        ),
        (
            "Problem solving",
            "problems:board",
            "Problems the partners work together through Scanning, Analysis, Response and Assessment.",
        ),
        (
            "Gaps in provision",
            "referrals:gaps",
            "Assessed needs on the seven pathways against the services in each area: where need has no service.",
        ),
        (
            "Street-level crime",
            "problems:street-crime-upload",
            "Load a month of police.uk street-level crime for scanning and assessing problems.",
        ),
    ],
    Role.ADMINISTRATOR: [
        ("Import partner data", "imports:upload", "Load a partner's file and read its report."),
        (
            "Resolution rules",
            "resolutions:rules",
            "The gravity matrix, eligibility rules and Community Remedy menu, with their versions.",
        ),
        (
            "Information-sharing agreements",
            "sharing:agreements",
            "Set up and review what partners share, for which purposes.",
        ),
        (
            "Review break-glass accesses",
            "sharing:break-glass-queue",
            "Decide whether each emergency access was justified.",
        ),
        ("Audit trail", "access:home", "Who looked at a person, what a user looked at, exports."),
        (
            "Retention and subject access",
            "dataprotection:index",
            "Retention rules, legal holds and subject access requests.",
        ),
        (
            "Gaps in provision",
            "referrals:gaps",
            "Assessed needs on the seven pathways against the services in each area: where need has no service.",
        ),
        (
            "Street-level crime",
            "problems:street-crime-upload",
            "Load a month of police.uk street-level crime for scanning and assessing problems.",
        ),
    ],
}


def _iom_task_allowed(user: User, url_name: str) -> bool:
    """IOM tasks only for the partners who work IOM; the candidates only for the panel."""
    if url_name == "iom:candidates":
        return can_decide_cohort(user)
    if url_name == "iom:figures":
        return can_see_iom_figures(user)
    return not url_name.startswith("iom:") or can_work_iom(user)


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    tasks: list[tuple[str, str, str]] = []
    for role in user.roles:
        for task in _ROLE_TASKS.get(role, []):
            if task not in tasks:
                tasks.append(task)
    if not tasks:
        tasks = _ROLE_TASKS[Role.CASEWORKER]
    from pathways.restorative.facilitators import expiry_reminders
    from pathways.restorative.policies import can_coordinate, can_refer

    if not can_refer(user):  # housing and health caseworkers do not refer to RJ
        tasks = [t for t in tasks if not t[1].startswith("restorative:referral")]
    tasks = [t for t in tasks if _iom_task_allowed(user, t[1])]
    if can_review_links(user):
        from pathways.linkage.review import waiting_count

        waiting = waiting_count(user)
        if waiting:
            tasks.insert(
                0,
                (
                    f"{waiting} pair{'s' if waiting != 1 else ''} of records wait{'' if waiting != 1 else 's'} for review",
                    "linkage:review",
                    "Records the linkage model was unsure about: decide whether each pair is the same person.",
                ),
            )
    tasks = _referrals_waiting(user) + tasks
    recent_imports = (
        ImportBatch.objects.filter(agency=user.agency).select_related("agency")[:5] if can_import(user) else []
    )
    reminders = expiry_reminders(user.agency) if can_coordinate(user) else []
    return render(
        request, "web/home.html", {"tasks": tasks, "recent_imports": recent_imports, "rj_reminders": reminders}
    )


def _referrals_waiting(user: User) -> list[tuple[str, str, str]]:
    """Referrals sent to the user's agency that nobody has triaged yet come first."""
    if not user.has_role(Role.CASEWORKER, Role.SUPERVISOR):
        return []
    from pathways.referrals.models import Referral, ReferralStatus

    waiting = Referral.objects.filter(receiving_agency=user.agency_id, status=ReferralStatus.SENT).count()
    if not waiting:
        return []
    label = f"{waiting} referral{'s' if waiting != 1 else ''} wait{'' if waiting != 1 else 's'} for triage"
    return [(label, "referrals:list", "People referred to your agency's services: accept, decline or redirect each.")]


@public
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
