"""A real headless Chromium against a real server (werkzeug, in a thread) on a free local port.

Two servers: `live_server` (plain HTTP pages and the JSON API) and `live_socketio_server` (the
same with the Socket.IO middleware, for the live exam and the proctor pages). `log_in_page` logs a
new page of a browser context in.

The scenarios run on PostgreSQL only (see `database_url`).

Chromium is Debian's /usr/bin/chromium (`playwright install` cannot download browsers here).
Without it these tests are skipped, except in CI (CI=true), where a missing browser fails them.
"""
from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from decimal import Decimal

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
        # Playwright's wait_for_function evaluates its string with `new Function` in the page, which
        # the app's CSP (no 'unsafe-eval') refuses: scenarios bypass the CSP unless they ask for it
        # (bypass_csp=False); test_csp_browser.py enforces it on every page.
        launched_new_context = browser.new_context

        def new_context(**options):
            options.setdefault("bypass_csp", True)
            return launched_new_context(**options)

        browser.new_context = new_context
        yield browser
        browser.close()


@contextlib.contextmanager
def _served(app, name: str):
    """The app served by werkzeug in threads on a free port, CSRF checks on (as in production)."""
    from werkzeug.serving import make_server

    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def live_server(app, users):
    """The test app over HTTP, stopped afterwards."""
    with _served(app, "live-server") as base:
        yield base


@pytest.fixture
def database_url(postgresql_url):
    # The scenarios run on PostgreSQL, the production database, only: every service and page test
    # runs on SQLite too, and the browser scenarios are most of CI's time.
    return postgresql_url


@pytest.fixture
def test_config(test_config):
    # Flask-SocketIO would pick gevent (installed) without monkey patching: threads here.
    # Jobs in a thread of the server, as in the demo: the pages really poll a job to its end.
    return {**test_config, "SOCKETIO_ASYNC_MODE": "threading", "JOBS_BACKEND": "thread"}


@pytest.fixture
def live_socketio_server(app, users):
    """The app with its Socket.IO middleware (polling and WebSocket through simple-websocket),
    served by werkzeug in threads on a free port, CSRF on; stopped afterwards."""
    from exam_server.core.extensions import socketio

    assert socketio.server.eio.async_mode == "threading"
    try:
        with _served(app, "live-socketio-server") as base:
            yield base
    finally:
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


class LiveContexts:
    """Browser contexts on the live Socket.IO server, one per person at a screen (Vietnamese
    locale, 1280x900); ``close_all()`` ends them (again at teardown, for a test that failed)."""

    def __init__(self, chromium, base: str) -> None:
        self.chromium, self.base, self.opened = chromium, base, []

    def new(self, timeout_ms: int = 15_000, enforce_csp: bool = False):
        context = self.chromium.new_context(base_url=self.base, viewport={"width": 1280, "height": 900},
                                            locale="vi-VN", bypass_csp=not enforce_csp)
        context.set_default_timeout(timeout_ms)
        self.opened.append(context)
        return context

    def close_all(self) -> None:
        while self.opened:
            self.opened.pop().close()


@pytest.fixture
def live_contexts(chromium, live_socketio_server):
    contexts = LiveContexts(chromium, live_socketio_server)
    yield contexts
    contexts.close_all()


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


# --- the demo exam and the exam page's helpers (shared by the live scenarios) --------------------

@pytest.fixture
def demo_exam_factory(app, users):
    """demo_exam_factory(prepare=None, candidates=2) -> the demo exam (demo bank, Phòng 01 with
    proctor1 and the demo roster), and what a test needs to answer it: per candidate (the first
    `candidates` of the roster), each question's type, shown body and key. `prepare(exam)` runs
    in the app context before that is read (e.g. to change the delivery mode); it is committed."""
    from sqlalchemy import select

    from exam_server.bank.services import version_to_item
    from exam_server.core.db import session
    from exam_server.demo import load_demo
    from exam_server.demo.exam import DEMO_EXAM_TITLE
    from exam_server.exams import services as exams
    from exam_server.exams.models import Exam

    def make(prepare=None, candidates: int = 2) -> dict:
        with app.app_context():
            load_demo()
            exam = session.scalar(select(Exam).where(Exam.title == DEMO_EXAM_TITLE))
            if prepare is not None:
                prepare(exam)
                session.commit()
            room = exams.list_rooms(exam)[0]
            out = {"exam_id": exam.id, "room_id": room.id, "candidates": [],
                   "room_size": sum(1 for c in exams.list_candidates(exam) if c.room_id == room.id)}
            for candidate in exams.list_candidates(exam)[:candidates]:
                shown = {q["number"]: q for q in exams.render_paper(candidate)["questions"]}
                questions = []
                for entry in exams.paper_for(candidate):
                    item = version_to_item(entry.item_version)
                    questions.append({"number": entry.number, "type": item.content.type, "item": item,
                                      "points": entry.points, "body": shown[entry.number]["body"]})
                out["candidates"].append({"id": candidate.id, "number": candidate.candidate_number,
                                          "name": candidate.full_name, "questions": questions})
        return out

    return make


@pytest.fixture
def demo_exam(demo_exam_factory):
    """The demo exam as published (one question per page), its first two candidates."""
    return demo_exam_factory()


class ExamPageHelpers:
    """Driving the student's exam page and the proctor's room page as people would."""

    SCREENSHOTS = "/tmp"

    @staticmethod
    def correct_response(q):
        key = q["item"].content.key
        if q["type"] == "single_choice":
            return key["correct"]
        if q["type"] == "true_false_cluster":
            return dict(key["values"])
        if q["type"] == "numeric":
            return format(Decimal(str(key["value"])).normalize(), "f").replace(".", ",")
        if q["type"] == "multiple_response":
            return list(key["correct"])
        if q["type"] == "text_entry":
            return key["accepted"][0]
        if q["type"] == "matching":
            return dict(key["pairs"])
        if q["type"] == "ordering":
            return list(key["order"])
        if q["type"] == "extended_text":   # the demo exam's essay: some text (a teacher marks it later)
            return "Giải x^2 - 2x = 0 được x = 0, x = 2; S = 4/3."
        raise AssertionError(f"no answer for {q['type']}")

    @staticmethod
    def wrong_response(q):
        key = q["item"].content.key
        if q["type"] == "single_choice":
            return next(o["id"] for o in q["body"]["options"] if o["id"] != key["correct"])
        if q["type"] == "true_false_cluster":
            values = dict(key["values"])
            first = next(iter(values))
            values[first] = not values[first]   # three of four right
            return values
        if q["type"] == "numeric":
            return "9999"
        if q["type"] == "extended_text":
            return "Không biết."
        raise AssertionError(q["type"])

    @staticmethod
    def answer(page, q, response, navigate: bool = True):
        """Answer question q on the exam page through its inputs, as a student would (first going
        to it with the question list, unless `navigate` is false: all questions on one page)."""
        if navigate:
            page.click(f'[data-nav="{q["number"]}"]')
        section = page.locator(f'section[data-question="{q["number"]}"]')
        section.wait_for(state="visible")
        if q["type"] == "single_choice":
            section.locator(f'input[type=radio][value="{response}"]').check()
        elif q["type"] == "true_false_cluster":
            rows = section.locator(".tf-table tbody tr")
            for i, statement in enumerate(q["body"]["statements"]):
                if statement["id"] in response:
                    value = "true" if response[statement["id"]] else "false"
                    rows.nth(i).locator(f'input[value="{value}"]').check()
        elif q["type"] == "numeric":
            section.locator("input.answer-input").fill(response)
        elif q["type"] == "extended_text":
            section.locator("textarea.answer-essay").fill(response)
        elif q["type"] == "multiple_response":
            for option in section.locator("input[type=checkbox]").all():
                option.set_checked(option.get_attribute("value") in response)
        elif q["type"] == "text_entry":
            section.locator("input.answer-input").fill(response)
        elif q["type"] == "matching":
            selects = section.locator(".match-sources select")
            for i, source in enumerate(q["body"]["sources"]):
                if source["id"] in response:
                    selects.nth(i).select_option(response[source["id"]])
        elif q["type"] == "ordering":
            # With the move buttons, as a keyboard user would: each choice up to its place.
            for place, choice_id in enumerate(response):
                item = section.locator(f'.order-list li[data-id="{choice_id}"]')
                while section.locator(".order-list li").nth(place).get_attribute("data-id") != choice_id:
                    item.locator("[data-up]").click()
        else:
            raise AssertionError(q["type"])

    @staticmethod
    def pending(page) -> int:
        return page.evaluate("window.examPage.pending().length")

    def wait_saved(self, page, timeout=15_000):
        try:
            page.wait_for_selector('[data-save-state][data-kind="saved"]', timeout=timeout)
        except Exception:  # noqa: BLE001 - any failure: report the page state
            page.screenshot(path=f"{self.SCREENSHOTS}/live-exam-not-saved.png", full_page=True)
            raise AssertionError(
                f"not saved: {page.inner_text('[data-save-state]')!r}, pending {self.pending(page)}, "
                f"title {page.get_attribute('[data-save-state]', 'title')!r}, " + page.evaluate(
                    "(() => { const s = window.examPage.state; return JSON.stringify({connected: s.connected, "
                    "flushing: s.flushing, attempt: s.attemptId, socket: s.socket && s.socket.connected, "
                    "status: s.status, paused: s.paused, lastError: s.lastError, log: window.examLog}); })()")
            ) from None
        assert self.pending(page) == 0

    @staticmethod
    def timer_seconds(page) -> int:
        return int(page.get_attribute("[data-timer]", "data-seconds"))

    @staticmethod
    def candidate_action(proctor, candidate_id, action):
        """Choose an action in a candidate's menu on the proctor's room page."""
        proctor.click(f'tr[data-candidate-id="{candidate_id}"] [data-menu-toggle]')
        proctor.click(f'[data-menu] button[data-action="{action}"][data-candidate="{candidate_id}"]')

    def admission_code(self, proctor, candidate, reason="Đầu đọc thẻ hỏng, điểm danh thủ công") -> str:
        """A manual admission code from the proctor's room page (its menu, a reason): the code shown."""
        self.candidate_action(proctor, candidate["id"], "admit")
        proctor.fill("#d-reason", reason)
        proctor.click("[data-dialog-ok]")
        shown = proctor.locator("[data-code-dialog] [data-code]")
        shown.wait_for(state="visible")
        code = shown.inner_text().strip()
        assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code), code
        proctor.click('[data-code-dialog] button[value="close"]')
        return code

    @staticmethod
    def enter_code(page, number, code):
        """On the exam page's entry: the candidate number and the admission code, as typed."""
        page.fill("#candidate-number", number)
        page.fill("#session-token", code)
        page.click("[data-token-form] button[type=submit]")


@pytest.fixture
def exam_ui():
    """Helpers for the exam and proctor pages: exam_ui.answer(page, q, response), wait_saved(page),
    correct_response(q), wrong_response(q), timer_seconds(page), pending(page),
    candidate_action(proctor, candidate_id, action), admission_code(proctor, c), enter_code(page, number, code)."""
    return ExamPageHelpers()
