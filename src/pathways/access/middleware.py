"""Every page needs a user who has signed in with both factors, unless the view says it is public;
and every response carries the security headers Django does not send itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect

# Between the password and the code, the session holds who is signing in (they are not signed
# in yet: request.user is anonymous) and the page they were going to.
PENDING_USER_SESSION_KEY = "pathways_sign_in_user"
PENDING_BACKEND_SESSION_KEY = "pathways_sign_in_backend"
NEXT_SESSION_KEY = "pathways_sign_in_next"


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as open to signed-out visitors (the sign-in steps, health check)."""
    view.pathways_public = True  # type: ignore[attr-defined]
    return view


def is_verified(user: Any) -> bool:
    """Signed in and past the second factor. django-otp's OTPMiddleware gives each user
    `is_verified()`; without it nobody counts as verified."""
    check = getattr(user, "is_verified", None)
    return bool(user is not None and user.is_authenticated and callable(check) and check())


class SignInRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        # Static files are public by nature.
        if request.path.startswith(settings.STATIC_URL):
            return None
        # The API authenticates each request by token (see pathways.api). A browser session
        # counts there too, but only once it has passed the second factor.
        if request.path.startswith("/api/"):
            if request.user.is_authenticated and not is_verified(request.user):
                request.user = AnonymousUser()
            return None
        if getattr(view_func, "pathways_public", False) or getattr(
            getattr(view_func, "view_class", None), "pathways_public", False
        ):
            return None
        if is_verified(request.user):
            return None
        if request.user.is_authenticated or PENDING_USER_SESSION_KEY in request.session:
            # Password given, code not yet: the code page (or, with no authenticator set up yet,
            # the set-up page) and then on to this page.
            if request.method == "GET":
                request.session[NEXT_SESSION_KEY] = request.get_full_path()
            return redirect("web:sign-in-code")
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)


class SecurityHeadersMiddleware:
    """Permissions-Policy (no page needs the camera, microphone, location…), and no caching of
    pages and API answers: they hold personal data, and a shared computer's cache should not."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if not request.path.startswith(settings.STATIC_URL):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class RejectNulCharactersMiddleware:
    """Refuse a request whose query or form values hold a NUL character.

    No person's name, reference or reason contains one; PostgreSQL cannot store one in text; and
    every search and read is audited with what was asked, so it would otherwise fail deep inside
    the audit trail instead of at the boundary with a clear answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            "\x00" in request.path
            or _holds_nul(request.GET)
            or (request.method == "POST" and request.content_type != "multipart/form-data" and _holds_nul(request.POST))
        ):
            return HttpResponseBadRequest("A value in the request contains a NUL character, which no field accepts.")
        return self.get_response(request)


def _holds_nul(values: Any) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)) for key in values)
