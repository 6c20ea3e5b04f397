"""The proctor's room for 40 (issue 10) in a real headless Chromium at 1366x768.

The demo room is filled to 40 candidates in every state a room sees (the attempts are set in the
database as the server's own moves leave them: not arrived, checked in, running online and
offline, paused, submitted with the connection gone, terminated; one open incident). The page must
show the 40 compact rows on one screen, count the room as the table below says, offer in each
candidate's menu only what that state allows (terminating apart, last), filter and sort, keep the
room buttons to what is legal, take `progress` counts only when newer, and never show a candidate
who handed in as having lost the connection. The screenshot goes to /tmp/proctor-room-40.png
(docs/proctor-room-40.png is a copy).
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.browser

ROOM_SIZE = 40
# How many candidates the scenario puts in each state (by candidate number order after the demo's own).
PLAN = {"not_arrived": 10, "checked_in": 6, "online": 14, "offline": 3, "paused": 2, "submitted": 4, "terminated": 1}
# The counters those make, by hand: every token-holder is checked in; "in progress" counts the
# running attempts (online and offline), "offline" the running or paused ones without a connection.
EXPECTED_COUNTS = {"registered": 40, "checked_in": 30, "in_progress": 17, "paused": 2, "submitted": 4,
                   "offline": 3, "incidents": 1}
# What each state's menu offers (docs/protocol.md's transitions), the destructive group last.
MENUS = {
    "not_arrived": (["admit", "note"], []),
    "checked_in": (["admit", "move", "message", "note", "checkin"], ["terminate"]),
    "in_progress": (["pause", "extend", "move", "message", "admit", "note", "checkin"], ["terminate"]),
    "paused": (["resume", "extend", "move", "message", "admit", "note", "checkin"], ["terminate"]),
    "submitted": (["note", "checkin"], []),
    "terminated": (["note", "checkin"], []),
}
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang",
         "Đặng Văn Hải", "Bùi Thị Hoa", "Đỗ Minh Khang", "Hồ Thị Lan", "Ngô Văn Long", "Dương Thị Mai",
         "Lý Văn Nam", "Phan Thị Oanh", "Trịnh Quốc Phong", "Đinh Thị Quyên", "Mai Văn Sơn", "Tạ Thị Thu",
         "Lương Văn Tuấn", "Chu Thị Uyên", "Cao Văn Vinh", "Hà Thị Xuân", "Kiều Văn Yên", "Tôn Nữ Ánh Dương",
         "Quách Văn Bảo", "Lâm Thị Châu", "Thái Văn Đức", "Văn Thị Hằng", "Khúc Văn Khôi", "Âu Thị Linh",
         "Nghiêm Văn Mạnh", "Doãn Thị Nga", "Giáp Văn Phúc", "Ông Thị Quỳnh", "Mạc Văn Tài", "Lục Thị Trang",
         "Viên Văn Trí"]


@pytest.fixture
def full_room(demo_exam_factory, app, users):
    from sqlalchemy import select

    from exam_server.accounts.models import User
    from exam_server.core.db import session, utcnow
    from exam_server.exams import services as exams
    from exam_server.exams.models import Candidate, Exam
    from exam_server.live.models import Attempt, AttemptStatus, IncidentKind
    from exam_server.live.proctoring import raise_incident
    from exam_server.live.tokens import issue_session_tokens

    def fill(exam):
        room = exams.list_rooms(exam)[0]
        have = sum(1 for c in exams.list_candidates(exam) if c.room_id == room.id)
        session.add_all([Candidate(exam_id=exam.id, room_id=room.id, candidate_number=f"TS{100 + i:03d}", full_name=name,
                                   date_of_birth=date(2008, 1 + i % 12, 1 + i % 28), citizen_id=f"0012080{i:05d}")
                         for i, name in enumerate(NAMES[:ROOM_SIZE - have])])
        session.flush()
        exams.assign_papers(exam, app.config["SECRET_KEY"])

    d = demo_exam_factory(prepare=fill, candidates=0)
    assert d["room_size"] == ROOM_SIZE
    now = utcnow()
    with app.app_context():
        proctor = session.get(User, users["proctor1"])
        room_candidates = sorted((c for c in exams.list_candidates(session.get(Exam, d["exam_id"]))
                                  if c.room_id == d["room_id"]), key=lambda c: c.candidate_number)
        states, at = {}, 0
        for state, n in PLAN.items():
            for c in room_candidates[at:at + n]:
                states[c.id] = state
            at += n
        issue_session_tokens([c for c in room_candidates if states[c.id] != "not_arrived"], proctor, "manual",
                             "Thẻ không đọc được", now)
        for attempt in session.scalars(select(Attempt).where(Attempt.candidate_id.in_(list(states)))):
            state = states[attempt.candidate_id]
            if state in ("online", "offline", "paused", "submitted", "terminated"):
                attempt.started_at = now - timedelta(minutes=12)
                attempt.status = AttemptStatus.IN_PROGRESS
            if state in ("online", "paused"):
                attempt.connection_sid = f"test-sid-{attempt.id}"      # held by a (pretend) open exam page
            if state in ("offline", "submitted", "terminated"):
                attempt.offline_since = now - timedelta(minutes=2)
            if state == "paused":
                attempt.status, attempt.paused_at = AttemptStatus.PAUSED, now - timedelta(minutes=1)
            if state in ("submitted", "terminated"):
                attempt.status = AttemptStatus.SUBMITTED if state == "submitted" else AttemptStatus.TERMINATED
                attempt.finished_at = now - timedelta(minutes=1)
            attempt.state_version += 1
        first_online = next(c for c in room_candidates if states[c.id] == "online")
        raise_incident(first_online, IncidentKind.FOCUS_LOST, "the exam page lost focus for 4.0 s", now)
        session.commit()
        by_state = {}
        for c in room_candidates:
            by_state.setdefault(states[c.id], []).append(c.id)
    return {**d, "by_state": by_state}


def menu_of(page, candidate_id):
    page.click(f'tr[data-candidate-id="{candidate_id}"] [data-menu-toggle]')
    menu = page.locator("[data-menu]")
    menu.wait_for(state="visible")
    normal = menu.locator(":scope > [role=menuitem]").evaluate_all("els => els.map(e => e.dataset.action)")
    danger = menu.locator(".menu-danger [role=menuitem]").evaluate_all("els => els.map(e => e.dataset.action)")
    last = menu.locator("[role=menuitem]").last.get_attribute("data-action")
    page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    return normal, danger, last


def test_a_room_of_40_fits_one_screen_with_counters_menus_filters_and_legal_room_actions(
        chromium, live_socketio_server, log_in_page, full_room, app):
    context = chromium.new_context(base_url=live_socketio_server, viewport={"width": 1366, "height": 768},
                                   locale="vi-VN")
    context.set_default_timeout(15_000)
    try:
        page = log_in_page(context, "proctor1")
        page.goto(f"/proctor/exams/{full_room['exam_id']}/rooms/{full_room['room_id']}")
        page.wait_for_selector('#proctor-app[data-joined="true"]')
        # --- 40 compact lines on one 1366x768 screen, nothing cut off sideways -------------------------
        assert page.locator("[data-rows] tr[data-candidate-id]").count() == ROOM_SIZE
        boxes = page.evaluate("""() => [...document.querySelectorAll('[data-rows] tr')].map(r => {
            const b = r.getBoundingClientRect(); return [b.top, b.bottom, b.left, b.right]; })""")
        assert all(top >= 0 and bottom <= 768 for top, bottom, _l, _r in boxes), max(b[1] for b in boxes)
        assert all(0 <= left and right <= 1366 for _t, _b, left, right in boxes)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.screenshot(path="/tmp/proctor-room-40.png")

        # --- the counters, as the table in the module's docstring says ---------------------------------
        counts = {name: int(page.inner_text(f'[data-count="{name}"]')) for name in EXPECTED_COUNTS}
        assert counts == EXPECTED_COUNTS

        # --- a candidate who handed in is not "offline", though the connection is gone -----------------
        for cid in full_room["by_state"]["submitted"]:
            row = page.locator(f'tr[data-candidate-id="{cid}"]')
            assert row.locator('[data-conn-state="finished"]').count() == 1
            assert row.get_attribute("data-offline") == "false"
        for cid in full_room["by_state"]["offline"]:
            assert page.locator(f'tr[data-candidate-id="{cid}"] [data-conn-state="offline"]').count() == 1

        # --- each state's menu offers only what it allows; terminate apart and last --------------------
        seen = {"online": "in_progress", "offline": "in_progress"}
        for plan_state, ids in full_room["by_state"].items():
            state = seen.get(plan_state, plan_state)
            normal, danger, last = menu_of(page, ids[0])
            assert (normal, danger) == MENUS[state], (plan_state, normal, danger)
            if danger:
                assert last == "terminate"
        # Terminating asks for a reason and says what it does before anything happens.
        page.click(f'tr[data-candidate-id="{full_room["by_state"]["online"][1]}"] [data-menu-toggle]')
        page.click('[data-menu] [data-action="terminate"]')
        assert page.locator("[data-dialog-warning]").is_visible()
        assert page.locator("[data-dialog-ok]").get_attribute("class").endswith("danger")
        page.click('[data-dialog] button[value="cancel"]')
        state_of = page.get_attribute(f'tr[data-candidate-id="{full_room["by_state"]["online"][1]}"]', "data-state")
        assert state_of == "in_progress"

        # --- filter and sort ----------------------------------------------------------------------------
        page.select_option("[data-filter]", "offline")
        shown = page.locator("[data-rows] tr[data-candidate-id]")
        assert sorted(int(x) for x in shown.evaluate_all("els => els.map(e => e.dataset.candidateId)")) == sorted(
            full_room["by_state"]["offline"])
        page.click('[data-counter="submitted"]')                   # a counter filters too
        assert shown.count() == 4 and page.input_value("[data-filter]") == "submitted"
        page.click('[data-counter="submitted"]')                   # again: everyone
        assert shown.count() == ROOM_SIZE
        page.select_option("[data-sort]", "state")
        order = shown.evaluate_all("els => els.map(e => e.dataset.state)")
        assert order[:2] == ["paused", "paused"] and order[-1] == "terminated"
        page.select_option("[data-sort]", "number")

        # --- progress counts: a newer one is shown, an older one arriving late is not -------------------
        relay = app.extensions["live_relay"]
        cid = full_room["by_state"]["online"][2]
        key = (full_room["exam_id"], full_room["room_id"])
        relay.send_progress({key: [{"candidate_id": cid, "answered": 7, "last_seq": 40}]})
        page.wait_for_selector(f'tr[data-candidate-id="{cid}"] [data-answered="7"]')
        relay.send_progress({key: [{"candidate_id": cid, "answered": 2, "last_seq": 12}]})
        relay.send_progress({key: [{"candidate_id": cid, "answered": 8, "last_seq": 41}]})
        page.wait_for_selector(f'tr[data-candidate-id="{cid}"] [data-answered="8"]')

        # --- room_update rows: an older version arriving late is not shown, a newer one is -------------
        from exam_server.core.db import session, utcnow
        from exam_server.core.extensions import socketio
        from exam_server.exams.models import Candidate
        from exam_server.live.relay import PROCTOR, proctor_room
        from exam_server.live.views import candidate_views, room_state

        with app.app_context():
            candidate = session.get(Candidate, cid)
            row = candidate_views([candidate], utcnow())[0]
            state = room_state(candidate.room)
        late = {**row, "version": row["version"] - 1, "state": "terminated"}
        newer = {**row, "version": row["version"] + 1, "kiosk": "K09"}
        for rows in ([late], [newer]):
            socketio.emit("room_update", {**state, "candidates": rows}, to=proctor_room(*key), namespace=PROCTOR)
        page.wait_for_selector(f'tr[data-candidate-id="{cid}"] [data-kiosk="K09"]')
        assert page.get_attribute(f'tr[data-candidate-id="{cid}"]', "data-state") == "in_progress"

        # --- room actions only when legal: start once, pause when running, resume when paused ----------
        start, pause, resume = (page.locator(f'[data-room-action="{a}"]') for a in ("start_room", "pause", "resume"))
        assert start.is_enabled() and pause.is_disabled() and not resume.is_visible()
        start.click()
        page.wait_for_selector('[data-room-action="start_room"]:disabled')
        assert pause.is_enabled() and not resume.is_visible()
        pause.click()
        page.fill("#d-reason", "Mất điện")
        page.click("[data-dialog-ok]")
        page.wait_for_selector('[data-room-action="resume"]:enabled')
        assert not pause.is_visible() and start.is_disabled()
        # The room's push: every running attempt is paused now, the counters follow.
        page.wait_for_selector(f'[data-count="paused"]:text-is("{EXPECTED_COUNTS["paused"] + EXPECTED_COUNTS["in_progress"]}")')
        assert page.inner_text('[data-count="in_progress"]') == "0"
        page.screenshot(path="/tmp/proctor-room-40-paused.png")
    finally:
        context.close()
