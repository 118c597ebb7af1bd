"""Sign-in, sign-out, the home page for each role, and the health check."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pathways.access.middleware import public
from pathways.access.policies import can_import
from pathways.accounts.models import Role
from pathways.imports.models import ImportBatch
from pathways.web.forms import GovukFormMixin


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
    template_name = "web/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True
    pathways_public = True


class SignOutView(auth_views.LogoutView):
    pathways_public = True


# What each role comes to do, first things first.
_ROLE_TASKS = {
    Role.OFFICER: [
        (
            "Find a person",
            "people:search",
            "Check someone's history before deciding how to resolve an offence.",
        )
    ],
    Role.SUPERVISOR: [("Find a person", "people:search", "Look up the people your team is working with.")],
    Role.CASEWORKER: [("Find a person", "people:search", "See what you may see about the people you work with.")],
    Role.RJ_COORDINATOR: [("Find a person", "people:search", "Look up the people in a restorative justice referral.")],
    Role.FACILITATOR: [("Find a person", "people:search", "Look up the people in the cases allocated to you.")],
    Role.ANALYST: [
        (
            "Import partner data",
            "imports:upload",
            "Load a partner's people, offences, outcomes or custody file.",
        )
    ],
    Role.ADMINISTRATOR: [("Import partner data", "imports:upload", "Load a partner's file and read its report.")],
}


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    tasks: list[tuple[str, str, str]] = []
    for role in user.roles:
        for task in _ROLE_TASKS.get(role, []):
            if task not in tasks:
                tasks.append(task)
    if not tasks:
        tasks = _ROLE_TASKS[Role.CASEWORKER]
    recent_imports = (
        ImportBatch.objects.filter(agency=user.agency).select_related("agency")[:5] if can_import(user) else []
    )
    return render(request, "web/home.html", {"tasks": tasks, "recent_imports": recent_imports})


@public
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
