"""Manual admission codes (issue 10): short, single use, valid for minutes, bound to the candidate,
withdrawn after a few wrong tries, rate-limited per address; exchanged for the long session token.

Expected values come from the rule (docs/protocol.md, "Admission codes"): 8 characters of
ABCDEFGHJKMNPQRSTUVWXYZ23456789 shown as XXXX-XXXX, EXAM_ADMISSION_CODE_TTL_SECONDS (600 here),
EXAM_ADMISSION_CODE_MAX_TRIES (5 here), EXAM_ADMISSION_CODE_RATE_LIMIT.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

LOOK_ALIKES = set("01ILO")
TTL_SECONDS = 600
MAX_TRIES = 5


@pytest.fixture
def test_config(test_config):
    return {**test_config, "ADMISSION_CODE_TTL_SECONDS": TTL_SECONDS, "ADMISSION_CODE_MAX_TRIES": MAX_TRIES,
            "ADMISSION_CODE_RATE_LIMIT": "1000 per minute"}


@pytest.fixture
def room(app, users):
    """A published, open exam; room P01 (proctor1) with candidates 020001 and 020002, room P02 with 020003."""
    from exam_server.accounts.models import User
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate, DeliveryMode, Exam, ExamRoom, ExamStatus, ScoreRounding

    now = datetime.now(UTC)
    with app.app_context():
        exam = Exam(title="Vật lí 12", subject="physics", grade=12, opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(hours=3), duration_minutes=50, delivery_mode=DeliveryMode.ALL_ON_PAGE, score_rounding=ScoreRounding.QUARTER,
                    status=ExamStatus.PUBLISHED, created_by_id=users["admin"])
        session.add(exam)
        session.flush()
        p01 = ExamRoom(exam_id=exam.id, name="P01", kiosk_count=2)
        p02 = ExamRoom(exam_id=exam.id, name="P02", kiosk_count=2)
        p01.proctors.append(session.get(User, users["proctor1"]))
        session.add_all([p01, p02])
        session.flush()
        rows = [Candidate(exam_id=exam.id, room_id=room_id, candidate_number=number, full_name=name,
                          date_of_birth=date(2008, 5, 1), citizen_id=f"001208{number}")
                for room_id, number, name in (
            (p01.id, "020001", "Trần Văn Cường"), (p01.id, "020002", "Đỗ Thị Dung"), (p02.id, "020003", "Vũ Văn Em"))]
        session.add_all(rows)
        session.commit()
        return {"exam_id": exam.id, "room_id": p01.id, "a": rows[0].id, "b": rows[1].id, "other_room": rows[2].id}


def issue(client, headers, candidate_id, reason="Thẻ không đọc được"):
    return client.post("/api/v1/admission/codes", headers=headers, json={"candidate_id": candidate_id, "reason": reason})


def redeem(client, number, code):
    return client.post("/api/v1/admission/redeem", json={"candidate_number": number, "code": code})


def test_a_code_is_short_grouped_without_look_alikes_and_only_for_the_room(client, token_for, room):
    proctor = token_for("proctor1")
    codes = set()
    for _ in range(20):
        response = issue(client, proctor, room["a"])
        assert response.status_code == 201, response.get_json()
        data = response.get_json()
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", data["code"]), data["code"]
        assert not LOOK_ALIKES & set(data["code"])
        assert data["ttl_seconds"] == TTL_SECONDS and data["candidate"]["candidate_number"] == "020001"
        codes.add(data["code"])
    assert len(codes) == 20                                          # random, not a sequence
    assert issue(client, proctor, room["other_room"]).status_code == 403   # not this proctor's room
    assert issue(client, token_for("student1"), room["a"]).status_code == 403
    assert issue(client, token_for("teacher1"), room["a"]).status_code == 403
    assert issue(client, proctor, room["a"], reason=" ").status_code == 422
    assert issue(client, token_for("admin"), room["other_room"]).status_code == 201


def test_the_code_is_exchanged_once_for_a_long_token_and_a_manual_checkin(app, client, token_for, room, users):
    from sqlalchemy import select

    from exam_server.checkin.models import CheckIn
    from exam_server.core.db import session
    from exam_server.live.tokens import authenticate

    code = issue(client, token_for("proctor1"), room["a"]).get_json()["code"]
    typed = code.replace("-", " ").lower()                              # as a person may type it
    response = redeem(client, "020001", typed)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert len(data["token"]) >= 40 and data["token"] != code         # the page holds the long secret
    assert data["candidate"] == {"candidate_number": "020001", "full_name": "Trần Văn Cường"}
    with app.app_context():
        candidate, _exam = authenticate(data["token"])
        assert candidate.id == room["a"]
        checkin = session.scalars(select(CheckIn).where(CheckIn.candidate_id == room["a"])).one()
        assert (checkin.method, checkin.verified, checkin.actor_id, checkin.note) == (
            "manual", False, users["proctor1"], "Thẻ không đọc được")
    again = redeem(client, "020001", code)                              # single use
    assert again.status_code == 400 and again.get_json()["error"] == "bad_code"


def test_a_code_is_bound_to_its_candidate(client, token_for, room):
    proctor = token_for("proctor1")
    code_a = issue(client, proctor, room["a"]).get_json()["code"]
    code_b = issue(client, proctor, room["b"]).get_json()["code"]
    assert redeem(client, "020002", code_a).get_json()["error"] == "bad_code"   # A's code, B's number
    assert redeem(client, "020003", code_a).get_json()["error"] == "bad_code"   # a number with no code
    assert redeem(client, "020001", code_a).status_code == 200
    assert redeem(client, "020002", code_b).status_code == 200                  # B's code survived one wrong try


def test_a_code_expires_after_its_minutes(app, token_for, room, users):
    from exam_server.accounts.models import User
    from exam_server.admission import services
    from exam_server.core.db import session

    issued_at = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    with app.app_context():
        proctor = session.get(User, users["proctor1"])
        _row, first = services.issue(proctor, room["a"], "quên thẻ", issued_at)
        _row, second = services.issue(proctor, room["b"], "quên thẻ", issued_at)
        session.commit()
        late = services.redeem("020001", first, issued_at + timedelta(seconds=TTL_SECONDS))
        assert (late.token, late.error) == (None, "bad_code")
        in_time = services.redeem("020002", second, issued_at + timedelta(seconds=TTL_SECONDS - 1))
        assert in_time.error is None and in_time.token


def test_wrong_tries_withdraw_the_code(client, token_for, room):
    code = issue(client, token_for("proctor1"), room["a"]).get_json()["code"]
    wrong = "".join("B" if ch == "A" else "A" if ch != "-" else "-" for ch in code)   # differs in every letter
    lefts = []
    for _ in range(MAX_TRIES):
        response = redeem(client, "020001", wrong)
        assert response.status_code == 400
        lefts.append((response.get_json()["error"], response.get_json()["tries_left"]))
    assert lefts == [("bad_code", 4), ("bad_code", 3), ("bad_code", 2), ("bad_code", 1), ("code_locked", 0)]
    assert redeem(client, "020001", code).get_json()["error"] == "bad_code"     # the right one, too late
    fresh = issue(client, token_for("proctor1"), room["a"]).get_json()["code"]
    assert redeem(client, "020001", fresh).status_code == 200


def test_a_new_code_replaces_the_older_and_malformed_codes_are_refused(client, token_for, room):
    proctor = token_for("proctor1")
    old = issue(client, proctor, room["a"]).get_json()["code"]
    new = issue(client, proctor, room["a"]).get_json()["code"]
    assert redeem(client, "020001", old).get_json()["error"] == "bad_code"
    for typed in ("ABC", "ABCD-EFG0", "IIII-1111", 12345678, None):
        response = redeem(client, "020001", typed)
        assert response.status_code == 422 and response.get_json()["error"] == "bad_code_format", typed
    assert redeem(client, "", new).get_json()["error"] == "bad_value"
    assert redeem(client, "020001", new).status_code == 200


def test_redeeming_is_rate_limited_per_address(app, client, room):
    app.config["ADMISSION_CODE_RATE_LIMIT"] = "3 per minute"     # read on every request
    answers = [redeem(client, "020001", "ABCD-EFGH").status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429]


def test_a_room_sheet_gives_every_waiting_candidate_a_code_in_one_call(app, client, token_for, room, users):
    """The printable sheet: a code per candidate of the room whose attempt is not over (020001
    and 020002 of P01, not 020003 of P02), earlier unused codes withdrawn, each code redeemable
    once with its own candidate number; only the room's proctor or an admin may make it."""
    from exam_server.core.db import session
    from exam_server.live.models import Attempt, AttemptStatus

    url = f"/api/v1/exams/{room['exam_id']}/rooms/{room['room_id']}/admission-codes"
    earlier = issue(client, token_for("proctor1"), room["a"]).get_json()["code"]
    with app.app_context():   # 020002 has already submitted: no code for them
        session.add(Attempt(exam_id=room["exam_id"], candidate_id=room["b"], status=AttemptStatus.SUBMITTED,
                            paused_seconds=0.0, extra_seconds=0, disconnect_reported=False, state_version=1))
        session.commit()
    assert client.post(url, headers=token_for("student1"), json={"reason": "x"}).status_code == 403
    assert client.post(url, headers=token_for("proctor1"), json={}).status_code == 422
    made = client.post(url, headers=token_for("proctor1"), json={"reason": "Máy đọc thẻ hỏng"})
    assert made.status_code == 201, made.get_json()
    sheet = made.get_json()
    assert [c["candidate_number"] for c in sheet["codes"]] == ["020001"]
    code = sheet["codes"][0]["code"]
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code)
    assert redeem(client, "020001", earlier).status_code == 400          # replaced by the sheet
    assert redeem(client, "020003", code).status_code == 400             # bound to its candidate
    assert redeem(client, "020001", code).status_code == 200
    assert redeem(client, "020001", code).status_code == 400             # once


def test_the_sheet_page_prints_the_codes(app, login, room, users):
    http = login("proctor1")
    page = http.get(f"/proctor/exams/{room['exam_id']}/rooms/{room['room_id']}/admission-sheet")
    assert page.status_code == 200 and 'name="reason"' in page.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    printed = http.post(f"/proctor/exams/{room['exam_id']}/rooms/{room['room_id']}/admission-sheet",
                        data={"reason": "Phiếu in", "csrf_token": csrf})
    text = printed.get_data(as_text=True)
    assert printed.status_code == 200
    assert text.count('class="admission-slip"') == 2 and "020001" in text and "020002" in text and "020003" not in text
    assert len(re.findall(r'class="slip-code" lang="en">[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}<', text)) == 2
