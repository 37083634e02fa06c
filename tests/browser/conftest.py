"""Playwright (sync API) against pytest-django's live server, in Debian's headless Chromium.

Playwright's sync API runs an event loop in the test thread, so Django's "no ORM calls from async
code" guard must be relaxed for the fixtures that build data there."""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("ANDON_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session", autouse=True)
def _patient_assertions():
    # CI runs two test processes on two cores; give web-first assertions room to wait.
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


@pytest.fixture(autouse=True)
def _browser_settings(settings):
    settings.DEBUG = False


# Package scope, not session: Playwright's sync API keeps an asyncio loop on this thread while it
# runs, and Django's async_to_sync (the readiness probe) refuses to run beside one, so the loop
# must be gone before a test outside tests/browser runs on the same worker.
@pytest.fixture(scope="package")
def browser():
    path = chromium_path()
    if path is None:
        message = "Chromium not installed (apt-get install chromium, or set ANDON_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: a missing browser must not pass silently
        pytest.skip(message)
    vendored = Path(__file__).resolve().parents[2] / "andon/static/vendor/htmx/htmx.min.js"
    if not vendored.exists():
        pytest.fail("front-end libraries missing: run `npm ci && python -m django vendor`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a fresh, isolated browser context (one per user) at a given width."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="zh-CN",
            base_url=live_server.url,
        )

        # Nothing may come from outside the live server: intranets have no CDN.
        def guard(route):
            if route.request.url.startswith(live_server.url):
                route.continue_()
            else:
                external.append(route.request.url)
                route.abort()

        external: list[str] = []
        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        page.external_requests = external
        contexts.append(context)
        return page

    yield open_page
    for context in contexts:
        context.close()
