"""Every page of the platform loads in headless Chromium under the app's Content-Security-Policy
with no violation reported (issue 11): no inline script, handler or style attribute anywhere,
including what the pages' modules render after they load.

Violations are caught twice: the document's `securitypolicyviolation` events (an init script, which
CSP does not govern) and Chromium's console reports. A control injects an inline style and must
be caught, so the detector itself is tested."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.server.test_results import all_right, answer, exam  # noqa: F401  (the scored exam fixture)

pytestmark = pytest.mark.browser

WATCH = """
window.__csp = [];
window.__cspWaiters = [];
window.__cspAtLeast = (n) => new Promise((resolve) => {
    const check = () => (window.__csp.length >= n ? resolve(window.__csp.length) : window.__cspWaiters.push(check));
    check();
});
document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    window.__cspWaiters.splice(0).forEach((check) => check());
});
"""


def _pages(app, demo) -> dict[str, list[str]]:
    from exam_server.bank.models import Item
    from exam_server.core.db import session

    with app.app_context():
        ident = session.scalar(select(Item.identifier).order_by(Item.id))
    e, r = demo["exam_id"], demo["room_id"]
    # Written by hand from the URL map: every HTML page, each with the role that may see it.
    return {
        "anonymous": ["/login", "/exam"],
        "admin": ["/home", "/users", "/bank/items", "/bank/items/new", f"/bank/items/{ident}",
                  f"/bank/items/{ident}/edit", f"/bank/items/{ident}/versions/1", "/bank/review", "/bank/import",
                  "/bank/export", "/admin/exams", f"/admin/exams/{e}", "/proctor", f"/proctor/exams/{e}/rooms/{r}",
                  "/results/exams", f"/results/exams/{e}", f"/results/exams/{e}/essays",
                  f"/results/exams/{e}/item-analysis"],
        "student1": ["/home", "/my-results"],
    }


def _settle(page) -> None:
    # Pages fetch and render after load; Socket.IO pages never go network-idle, so bound the wait.
    try:
        page.wait_for_load_state("networkidle", timeout=2500)
    except Exception:  # noqa: BLE001, S110 - a live page keeps its socket open
        pass


def _violations(page, console: list[str]) -> list[str]:
    return page.evaluate("window.__csp") + [m for m in console if "Content Security Policy" in m]


def test_every_page_loads_without_a_csp_violation(app, live_contexts, log_in_page, demo_exam_factory, token_for,
                                                  client):
    demo = demo_exam_factory(candidates=1)
    response = client.post(f"/api/v1/exams/{demo['exam_id']}/candidates/{demo['candidates'][0]['id']}/session-token",
                           json={"reason": "CSP test"}, headers=token_for("proctor1"))
    assert response.status_code == 201, response.get_json()
    student_exam = f"/exam#token={response.get_json()['token']}"
    pages = {**_pages(app, demo), "candidate": [student_exam]}     # the exam page, admitted
    assert _visit_all(live_contexts, log_in_page, pages) == {}


def _visit_all(live_contexts, log_in_page, pages: dict[str, list[str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    visited = 0
    for who, paths in pages.items():
        context = live_contexts.new(enforce_csp=True)
        context.add_init_script(WATCH)
        console: list[str] = []
        page = context.new_page() if who in ("anonymous", "candidate") else log_in_page(context, who)
        page.on("console", lambda message, sink=console: sink.append(message.text))
        for path in paths:
            console.clear()
            answer = page.goto(path)
            assert answer is not None and answer.status == 200, (who, path, answer and answer.status)
            assert "script-src 'self'" in answer.headers["content-security-policy"]
            if who == "candidate":
                page.wait_for_selector('#exam-app[data-state]')
            _settle(page)
            visited += 1
            if problems := _violations(page, console):
                found[f"{who} {path}"] = problems
        context.close()
    assert visited == sum(len(p) for p in pages.values())
    return found


def test_results_pages_of_a_scored_exam_load_without_a_csp_violation(app, chromium, live_server, log_in_page,
                                                                     exam):  # noqa: F811 - the fixture
    """The results pages with real rows (plain HTTP server): a candidate's result, the essay queue."""
    answer(app, exam, 0, all_right())
    base = f"/results/exams/{exam['id']}"
    context = chromium.new_context(base_url=live_server, locale="vi-VN", bypass_csp=False)
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH)
    page = log_in_page(context, "admin")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    found = {}
    for path in (base, f"{base}/candidates/{exam['candidates'][0]}", f"{base}/essays"):
        console.clear()
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        _settle(page)
        if problems := _violations(page, console):
            found[path] = problems
    context.close()
    assert found == {}


def test_the_detector_catches_an_inline_style_and_an_inline_script(live_contexts):
    context = live_contexts.new(enforce_csp=True)
    context.add_init_script(WATCH)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/login")
    page.evaluate("""() => {
        document.body.insertAdjacentHTML('beforeend', '<div style="color: red">x</div>');
        const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.append(s);
    }""")
    assert page.evaluate("window.__cspAtLeast(2)") >= 2      # resolves as the reports arrive
    got = _violations(page, console)
    assert any(v.startswith("style-src") for v in got) and any(v.startswith("script-src") for v in got)
    assert page.evaluate("window.__ran === undefined")
