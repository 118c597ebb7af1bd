"""One headless Debian Chromium for the whole session; a fresh browser context (no cookies) per test.

Browsers are never downloaded by Playwright: the tests drive /usr/bin/chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from pathways.accounts.models import User
from pathways.testing import totp_code, totp_device

CHROMIUM = os.environ.get("PATHWAYS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Pages are served from a thread in the test process. A cold Chromium's first page can take
# over ten seconds on a busy two-core machine (seen while the suite ran in two workers);
# thirty is still quick to fail for a broken page.
TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (run `make browser`)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        expect.set_options(timeout=TIMEOUT_MS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Every journey signs in; a deliberately slow password hash would be most of its time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page(browser: Browser, live_server: Any, transactional_db: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # Every page keeps to its Content-Security-Policy: the browser reports anything it refused.
    refused: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()
    assert not refused, "\n".join(refused)


def sign_in(page: Page, live_server: Any, username: str, password: str) -> None:
    """Sign in through the sign-in page, as a person would, and wait for the page that follows.

    After a right password comes the code from the user's authenticator app (set up for them
    here if they have none); the helper works the code out as the app would."""
    user = User.objects.filter(username=username).first()
    device = totp_device(user) if user is not None else None
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if device is not None and page.url.endswith("/sign-in/code/"):
        enter_code(page, totp_code(device))


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Enter the 6-digit code from your authenticator app").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
