"""Signing in: a password, then a code from an authenticator app; locking after repeated
failures; sessions that end after 30 minutes idle; and the security headers on every page."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathways.access.models import AuditEvent
from pathways.testing import PASSWORD, signed_in_client, totp_code, totp_device

LOCKED = "Your account is locked after 5 failed attempts. Try again in 30 minutes or ask your administrator."


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def give_password(client: Client, username: str = "officer", password: str = PASSWORD, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/sign-in/", data)


def wait_a_moment(device: TOTPDevice) -> None:
    """django-otp refuses codes for a second or two after a wrong one; the person waits."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def wrong_code(device: TOTPDevice) -> str:
    return "000000" if totp_code(device) != "000000" else "111111"


def audit_trail() -> list[tuple[str, str, dict]]:
    return list(AuditEvent.objects.order_by("id").values_list("action", "username", "detail"))


# The two steps -----------------------------------------------------------------------------------


def test_the_right_password_leads_to_the_code_page_but_does_not_sign_in(officer):
    totp_device(officer)
    client = Client()
    response = give_password(client)
    assert (response.status_code, response["Location"]) == (302, "/sign-in/code/")

    page = client.get("/sign-in/code/")
    assert page.status_code == 200
    assert "Enter the 6-digit code from your authenticator app" in page.content.decode()
    assert "Signed in as" not in page.content.decode()
    # Not signed in: every other page sends them back to the code, the API refuses the session.
    for path in ["/", "/people/", "/imports/"]:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/sign-in/code/"), path
    assert client.get("/api/v1/people", {"name": "Smith"}).status_code == 401
    assert AuditEvent.objects.filter(action="sign_in").count() == 0


def test_a_wrong_code_is_refused_and_audited_and_the_right_code_signs_in(officer):
    device = totp_device(officer)
    client = Client()
    give_password(client)

    wrong = client.post("/sign-in/code/", {"code": wrong_code(device)})
    assert wrong.status_code == 200
    assert "The code is not right" in wrong.content.decode()
    assert audit_trail() == [("sign_in_failed", "officer", {"step": "code"})]
    failed = AuditEvent.objects.get()
    assert (failed.user_id, failed.agency_code) == (officer.pk, "wessex-police")
    assert client.get("/")["Location"] == "/sign-in/code/"

    # django-otp makes them wait a moment after a wrong code; waiting is not a failed attempt.
    hurried = client.post("/sign-in/code/", {"code": totp_code(device)})
    assert "Wait a few seconds" in hurried.content.decode()
    assert AuditEvent.objects.count() == 1

    wait_a_moment(device)
    right = client.post("/sign-in/code/", {"code": totp_code(device)})
    assert (right.status_code, right["Location"]) == (302, "/")
    assert client.get("/").status_code == 200
    # The sign-in is audited once, when the second factor is passed.
    assert audit_trail() == [("sign_in_failed", "officer", {"step": "code"}), ("sign_in", "officer", {})]


def test_the_code_is_checked_for_form_before_it_is_tried(officer):
    totp_device(officer)
    client = Client()
    give_password(client)
    for code, message in [
        ("", "Enter the 6-digit code"),
        ("12345", "must be 6 digits"),
        ("12ab56", "must be 6 digits"),
    ]:
        response = client.post("/sign-in/code/", {"code": code})
        assert message in response.content.decode()
        assert response.content.decode().startswith("<!DOCTYPE html>")
    assert not AuditEvent.objects.exists()
    assert not AccessAttempt.objects.exists()


def test_a_code_works_only_once(officer):
    device = totp_device(officer)
    client = Client()
    give_password(client)
    code = totp_code(device)
    assert client.post("/sign-in/code/", {"code": code}).status_code == 302
    client.post("/sign-out/")

    again = Client()
    give_password(again)
    wait_a_moment(device)
    replay = again.post("/sign-in/code/", {"code": code})
    assert "The code is not right" in replay.content.decode()


def test_after_both_steps_the_person_is_back_where_they_were_going(officer):
    device = totp_device(officer)
    client = Client()
    assert client.get("/people/")["Location"] == "/sign-in/?next=/people/"
    assert give_password(client, next_url="/people/")["Location"] == "/sign-in/code/"
    assert client.post("/sign-in/code/", {"code": totp_code(device)})["Location"] == "/people/"


def test_a_next_address_off_the_site_is_ignored(officer):
    device = totp_device(officer)
    client = Client()
    give_password(client, next_url="https://elsewhere.example/")
    assert client.post("/sign-in/code/", {"code": totp_code(device)})["Location"] == "/"


def test_a_session_signed_in_without_the_second_factor_is_sent_to_the_code_page(officer):
    device = totp_device(officer)
    client = Client()
    client.force_login(officer)  # as if signed in by password alone
    response = client.get("/people/")
    assert (response.status_code, response["Location"]) == (302, "/sign-in/code/")
    assert client.get("/api/v1/people", {"name": "Smith"}).status_code == 401
    assert client.post("/sign-in/code/", {"code": totp_code(device)})["Location"] == "/people/"
    assert client.get("/people/").status_code == 200


def test_signed_in_client_has_passed_both_factors(officer):
    client = signed_in_client(officer)
    assert client.get("/").status_code == 200
    assert client.get("/sign-in/")["Location"] == "/"


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(db):
    client = Client()
    assert client.get("/sign-in/code/")["Location"] == "/sign-in/"
    assert client.get("/sign-in/set-up/")["Location"] == "/sign-in/"


# Setting up an authenticator app ---------------------------------------------------------------


def test_a_user_without_an_authenticator_sets_one_up_before_going_anywhere(officer):
    client = Client()
    give_password(client)
    assert client.get("/sign-in/code/")["Location"] == "/sign-in/set-up/"
    page = client.get("/sign-in/set-up/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Set up an authenticator app" in html
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    device = TOTPDevice.objects.get(user=officer)
    assert not device.confirmed
    secret = base64.b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in html
    # Reloading keeps the same key, so an app that scanned it still works.
    client.get("/sign-in/set-up/")
    assert TOTPDevice.objects.filter(user=officer).count() == 1
    assert client.get("/")["Location"] == "/sign-in/code/"

    wrong = client.post("/sign-in/set-up/", {"code": wrong_code(device)})
    assert "The code is not right" in wrong.content.decode()
    assert audit_trail() == [("sign_in_failed", "officer", {"step": "set-up"})]
    wait_a_moment(device)

    right = client.post("/sign-in/set-up/", {"code": totp_code(device)})
    assert right["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert [a for a, _, _ in audit_trail()] == ["sign_in_failed", "create", "sign_in"]
    assert AuditEvent.objects.get(action="create").object_type == "authenticator"

    # Next time: the code page, and the set-up page is not offered again.
    client.post("/sign-out/")
    give_password(client)
    assert client.get("/sign-in/set-up/")["Location"] == "/sign-in/code/"


# Locking ---------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account(officer):
    totp_device(officer)
    client = Client()
    for _ in range(4):
        response = give_password(client, password="wrong")
        assert response.status_code == 200 and "Enter a correct username and password" in response.content.decode()
    fifth = give_password(client, password="wrong")
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()
    assert "Your account is locked" in fifth.content.decode()

    # Even the right password, from anywhere, is refused for now.
    elsewhere = Client(REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="another browser")
    refused = give_password(elsewhere)
    assert refused.status_code == 429 and LOCKED in refused.content.decode()
    assert elsewhere.get("/sign-in/code/")["Location"] == "/sign-in/"
    assert AuditEvent.objects.filter(action="sign_in_failed", username="officer").count() == 6
    assert not AuditEvent.objects.filter(action="sign_in").exists()


def test_wrong_codes_count_towards_the_lock_with_wrong_passwords(officer):
    device = totp_device(officer)
    client = Client()
    give_password(client, password="wrong")
    give_password(client, password="wrong")
    give_password(client)
    for attempt in range(3):
        wait_a_moment(device)
        response = client.post("/sign-in/code/", {"code": wrong_code(device)})
        assert response.status_code == (429 if attempt == 2 else 200)
    assert LOCKED in response.content.decode()
    # The half-done sign-in is over, and the right code now changes nothing.
    assert client.get("/sign-in/code/")["Location"] == "/sign-in/"
    assert give_password(client).status_code == 429
    assert [d for a, _, d in audit_trail() if a == "sign_in_failed"].count({"step": "code"}) == 3


def test_the_lock_lifts_after_thirty_minutes_and_a_sign_in_clears_the_count(officer):
    device = totp_device(officer)
    client = Client()
    for _ in range(5):
        give_password(client, password="wrong")
    assert give_password(client).status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=31))

    assert give_password(client)["Location"] == "/sign-in/code/"
    assert client.post("/sign-in/code/", {"code": totp_code(device)})["Location"] == "/"
    assert not AccessAttempt.objects.filter(username="officer").exists()


# Sessions --------------------------------------------------------------------------------------


def test_a_session_ends_after_thirty_minutes_without_a_request(officer, monkeypatch):
    client = signed_in_client(officer)
    real_now = timezone.now

    def at(minutes: int) -> None:
        monkeypatch.setattr(timezone, "now", lambda: real_now() + dt.timedelta(minutes=minutes))

    at(20)
    assert client.get("/").status_code == 200
    at(45)  # 25 minutes after the last request: still signed in
    assert client.get("/").status_code == 200
    at(76)  # 31 minutes idle
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/sign-in/?next=/")


def test_session_cookies_are_http_only_and_end_with_the_browser(officer, settings):
    assert (settings.SESSION_COOKIE_AGE, settings.SESSION_SAVE_EVERY_REQUEST) == (30 * 60, True)
    client = Client()
    give_password(client)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]


def settings_read_with(secure_cookies: str) -> list[str]:
    """Some settings as a fresh process reads them with PATHWAYS_SECURE_COOKIES set so."""
    script = (
        "import django; from django.conf import settings as s; django.setup(); "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_NAME, s.SECURE_HSTS_SECONDS)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pathways.config.settings",
        "PATHWAYS_SECURE_COOKIES": secure_cookies,
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout.split()


def test_behind_https_cookies_are_secure_and_hsts_is_sent():
    assert settings_read_with("1") == ["True", "True", "__Host-sessionid", str(365 * 24 * 60 * 60)]
    assert settings_read_with("0") == ["False", "False", "sessionid", "0"]


# Headers ---------------------------------------------------------------------------------------


def csp(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_sends_the_security_headers(officer, signed_in):
    client = signed_in_client(officer) if signed_in else Client()
    response = client.get("/" if signed_in else "/sign-in/")
    assert response.status_code == 200
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert "Strict-Transport-Security" not in response  # only behind HTTPS (see above)


def test_pages_have_no_inline_script_or_style(officer):
    client = signed_in_client(officer)
    for path in ["/", "/people/", "/sign-in/"]:
        html = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path


# The demo --------------------------------------------------------------------------------------


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", "--people", "10", *args, stdout=out)
    return out.getvalue()


def test_the_demo_prints_authenticator_secrets_and_codes_only_in_demo_mode(db, settings, monkeypatch, tmp_path):
    from pathways.accounts.models import User

    monkeypatch.setenv("PATHWAYS_DATA_DIR", str(tmp_path))
    settings.DEMO_MODE = False
    printed = run_demo()
    officer = User.objects.get(username="officer")
    device = TOTPDevice.objects.get(user=officer, confirmed=True)
    secret = base64.b32encode(device.bin_key).decode()
    assert secret not in printed
    assert "printed only in demo mode" in printed
    assert not re.search(r"^\s+officer\s+\S+\s+\d{6}$", printed, re.MULTILINE)
    with pytest.raises(CommandError, match="only in demo mode"):
        run_demo("--codes")

    settings.DEMO_MODE = True
    for output in (run_demo(), run_demo("--codes")):  # a re-run on the built demo, and codes alone
        line = re.search(rf"^\s+officer\s+{secret}\s+(\d{{6}})$", output, re.MULTILINE)
        assert line, output
    client = Client()
    give_password(client, password="wessex-demo-2026")
    assert client.post("/sign-in/code/", {"code": line.group(1)})["Location"] == "/"
