"""Every page needs a signed-in user, unless the view says it is public."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as open to signed-out visitors (sign-in, health check)."""
    view.pathways_public = True  # type: ignore[attr-defined]
    return view


class SignInRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        # The API authenticates each request by token (see pathways.api); static files
        # are public by nature.
        if request.path.startswith(("/api/", settings.STATIC_URL)):
            return None
        if getattr(view_func, "pathways_public", False) or getattr(
            getattr(view_func, "view_class", None), "pathways_public", False
        ):
            return None
        if request.user.is_authenticated:
            return None
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
