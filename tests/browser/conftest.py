"""A real headless Chromium against a real server (werkzeug, in a thread) on a free local port.

Two servers: `live_server` (plain HTTP pages and the JSON API) and `live_socketio_server` (the
same with the Socket.IO middleware, for the live exam and the proctor pages). `log_in_page` logs a
new page of a browser context in.

The scenarios run on PostgreSQL only (see `database_url`).

Chromium is Debian's /usr/bin/chromium (`playwright install` cannot download browsers here).
Without it these tests are skipped, except in CI (CI=true), where a missing browser fails them.
"""
from __future__ import annotations

import os
import threading
import time

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
def database_url(postgresql_url):
    # The scenarios run on PostgreSQL, the production database, only: every service and page test
    # runs on SQLite too, and the browser scenarios are most of CI's time.
    return postgresql_url


@pytest.fixture
def test_config(test_config):
    # Flask-SocketIO would pick gevent (installed) without monkey patching: threads here.
    return {**test_config, "SOCKETIO_ASYNC_MODE": "threading"}


@pytest.fixture
def live_socketio_server(app, users):
    """The app with its Socket.IO middleware (polling and WebSocket through simple-websocket),
    served by werkzeug in threads on a free port, CSRF on; stopped afterwards."""
    from werkzeug.serving import make_server

    from exam_server.core.extensions import socketio

    assert socketio.server.eio.async_mode == "threading"
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-socketio-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        # Finish every Socket.IO session (its disconnect handler writes to the database) and the
        # request threads before the app fixture empties the database.
        eio = socketio.server.eio
        for sid, sock in list(eio.sockets.items()):
            # abort: run the disconnect handler now, without waiting for a poll that never comes
            sock.close(wait=False, abort=True)
            eio.sockets.pop(sid, None)
        for worker in threading.enumerate():
            if worker is not threading.current_thread() and "process_request" in worker.name:
                worker.join(timeout=10)
        time.sleep(0.3)


@pytest.fixture
def log_in_page():
    """log_in_page(context, "proctor1") -> a new page of that browser context, logged in."""

    def do(context, username: str):
        page = context.new_page()
        page.goto("/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.click('form.login-card button[type="submit"]')
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    return do


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
