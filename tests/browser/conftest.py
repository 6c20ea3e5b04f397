"""A real headless Chromium against a real server (werkzeug, in a thread) on a free local port.

Chromium is Debian's /usr/bin/chromium (`playwright install` cannot download browsers here).
Without it these tests are skipped, except in CI (CI=true), where a missing browser fails them.
"""
from __future__ import annotations

import os
import threading

import pytest

from tests.conftest import IN_CI, PASSWORD

CHROMIUM = os.environ.get("EXAM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM}"
        if IN_CI:
            pytest.fail(message + ": CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app, users):
    """The test app served over HTTP, CSRF checks on (as in production), stopped afterwards."""
    from werkzeug.serving import make_server

    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def browser_context(chromium, live_server):
    context = chromium.new_context(base_url=live_server, viewport={"width": 1400, "height": 1000},
                                   locale="vi-VN")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def log_in(browser_context):
    """log_in("teacher1") -> a new page of a browser session logged in as that user."""

    def do(username: str):
        page = browser_context.new_page() if not browser_context.pages else browser_context.pages[0]
        page.goto("/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.click('form.login-card button[type="submit"]')
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    return do
