"""The role matrix against a table written by hand (issue 11): who may reach each route and each
socket event, as the product's rules say, not as the views declare. A route or socket event missing
from the table fails, so a new one must be given its row. Then ownership with real ids: a proctor
acts on the room that is theirs and is refused the other room (HTTP and socket), a student reads
their own result and not another's.

Letters: A admin, T teacher, P proctor, S student, O official (indicators), * anyone (public, anonymous included).
"""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, ROLE_USERS
from tests.server.exam_factories import live_exam

ROUTES = """
GET /                                                                        *
GET /admin/exams                                                             A
GET /admin/exams/<int:exam_id>                                               A
POST /api/v1/auth/token                                                      *
DELETE /api/v1/auth/token                                                    ATPSO
POST /api/v1/checkin/admit                                                   AP
POST /api/v1/checkin/challenge                                               *
POST /api/v1/checkin/evidence                                                *
POST /api/v1/checkin/kiosks                                                  A
GET /api/v1/checkin/kiosks                                                   A
POST /api/v1/checkin/kiosks/revoke                                           A
GET /api/v1/checkin/photos/<int:number>                                      AP
POST /api/v1/essay-scores                                                    AT
POST /api/v1/exams                                                           A
GET /api/v1/exams                                                            ATP
GET /api/v1/exams/<int:exam_id>                                              ATP
PUT /api/v1/exams/<int:exam_id>                                              A
POST /api/v1/exams/<int:exam_id>/<any(publish, unpublish, close, reopen):transition>  A
POST /api/v1/exams/<int:exam_id>/assemble                                    A
PUT /api/v1/exams/<int:exam_id>/blueprint                                    A
GET /api/v1/exams/<int:exam_id>/candidates                                   ATP
GET /api/v1/exams/<int:exam_id>/candidates/<int:candidate_id>/paper          A
GET /api/v1/exams/<int:exam_id>/candidates/<int:candidate_id>/result         ATS
POST /api/v1/exams/<int:exam_id>/candidates/<int:candidate_id>/session-token AP
GET /api/v1/exams/<int:exam_id>/corrections                                  AT
POST /api/v1/exams/<int:exam_id>/corrections                                 A
PUT /api/v1/exams/<int:exam_id>/essay-policy                                 A
GET /api/v1/exams/<int:exam_id>/essay-queue                                  AT
GET /api/v1/exams/<int:exam_id>/forms                                        AT
GET /api/v1/exams/<int:exam_id>/results                                      AT
POST /api/v1/exams/<int:exam_id>/rooms                                       A
GET /api/v1/exams/<int:exam_id>/rooms/<int:room_id>/checkins                 AP
GET /api/v1/exams/<int:exam_id>/rooms/<int:room_id>/live                     AP
PUT /api/v1/exams/<int:exam_id>/rooms/<int:room_id>/proctors                 A
POST /api/v1/exams/<int:exam_id>/roster                                      A
GET /api/v1/export/qti                                                       AT
POST /api/v1/import/qti                                                      AT
POST /api/v1/import/spreadsheet                                              AT
GET /api/v1/items                                                            AT
POST /api/v1/items                                                           AT
GET /api/v1/items/<identifier>                                               AT
PUT /api/v1/items/<identifier>                                               AT
POST /api/v1/items/<identifier>/<any(submit, withdraw, approve, request_changes, retire):action>  AT
GET /api/v1/items/<identifier>/events                                        AT
GET /api/v1/items/<identifier>/versions/<int:number>                         AT
POST /api/v1/items/preview                                                   AT
GET /api/v1/me                                                               ATPSO
POST /api/v1/me/password                                                     ATPSO
POST /api/v1/media                                                           AT
GET /api/v1/review-queue                                                     AT
GET /api/v1/users                                                            A
POST /api/v1/users                                                           A
POST /api/v1/users/<int:user_id>/deactivate                                  A
POST /api/v1/users/<int:user_id>/reactivate                                  A
PUT /api/v1/users/<int:user_id>/role                                         A
GET /bank/export                                                             AT
GET /bank/import                                                             AT
GET /bank/items                                                              AT
GET /bank/items/<identifier>                                                 AT
GET /bank/items/<identifier>/edit                                            AT
GET /bank/items/<identifier>/versions/<int:number>                           AT
GET /bank/items/new                                                          AT
GET /bank/review                                                             AT
GET /exam                                                                    *
GET /healthz                                                                 *
GET /home                                                                    ATPSO
POST /lang/<code>                                                            *
GET /login                                                                   *
POST /login                                                                  *
POST /logout                                                                 ATPSO
GET /media/<name>                                                            ATPS
GET /metrics                                                                 *
GET /my-results                                                              S
GET /proctor                                                                 AP
GET /proctor/exams/<int:exam_id>/rooms/<int:room_id>                         AP
GET /readyz                                                                  *
GET /results/exams                                                           AT
GET /results/exams/<int:exam_id>                                             AT
GET /results/exams/<int:exam_id>/candidates/<int:candidate_id>               AT
GET /results/exams/<int:exam_id>/essays                                      AT
GET /results/exams/<int:exam_id>/item-analysis                               AT
GET /results/exams/<int:exam_id>/item-analysis.csv                           AT
GET /results/exams/<int:exam_id>/item-analysis.xlsx                          AT
POST /results/exams/<int:exam_id>/item-analysis/calibrate                    AT
GET /static/<path:filename>                                                  *
GET /users                                                                   A
POST /users/<int:user_id>/active                                             A
POST /api/v1/admission/codes                                                 AP
POST /api/v1/admission/redeem                                                *
POST /api/v1/checkin/own-portrait                                            *
POST /api/v1/exams/<int:exam_id>/blueprint/availability                      A
PUT /api/v1/exams/<int:exam_id>/results-release                              A
POST /api/v1/exams/<int:exam_id>/rooms/<int:room_id>/admission-codes         AP
POST /api/v1/export/qti                                                      AT
GET /api/v1/indicators                                                       AO
GET /api/v1/indicators/definitions                                           AO
GET /api/v1/indicators/exams                                                 AO
GET /api/v1/indicators/openapi.json                                          AO
GET /api/v1/indicators/mastery                                               AO
GET /api/v1/indicators/quality                                               AO
GET /api/v1/indicators/summary                                               AO
GET /api/v1/indicators/trend                                                 AO
GET /api/v1/jobs                                                             AT
GET /api/v1/jobs/<int:job_id>                                                AT
GET /api/v1/jobs/<int:job_id>/file                                           AT
PUT /api/v1/officials/<int:user_id>/scope                                    A
GET /api/v1/org-units                                                        AO
GET /api/v1/org-units/<int:unit_id>                                          AO
POST /api/v1/org-units/import                                                A
POST /api/v1/review/bulk                                                     AT
GET /dashboard                                                               AO
GET /dashboard/wall                                                          AO
GET /ims/oneroster/gradebook/v1p2/export.zip                                 AO
GET /ims/oneroster/gradebook/v1p2/lineItems                                  AO
GET /ims/oneroster/gradebook/v1p2/lineItems/<sourced_id>                     AO
GET /ims/oneroster/gradebook/v1p2/lineItems/<sourced_id>/results             AO
GET /ims/oneroster/gradebook/v1p2/results                                    AO
GET /ims/oneroster/gradebook/v1p2/results/<sourced_id>                       AO
GET /proctor/exams/<int:exam_id>/rooms/<int:room_id>/admission-sheet         AP
POST /proctor/exams/<int:exam_id>/rooms/<int:room_id>/admission-sheet        AP
GET /results/exams/<int:exam_id>/export                                      AT
GET /results/lookup                                                          *
POST /results/lookup                                                         *
"""

# Socket events by namespace: who may connect (a session token for /student), and each event.
SOCKET_EVENTS = {
    "/student": ("answer", "flag", "focus_lost", "submit", "sync"),
    "/proctor": ("join", "start_room", "pause", "resume", "extend", "move", "terminate", "note", "message",
                 "issue_token"),
}
LETTERS = {"A": "admin", "T": "teacher", "P": "proctor", "S": "student", "O": "official"}


def _table() -> dict[tuple[str, str], frozenset[str] | None]:
    table = {}
    for line in ROUTES.strip().splitlines():
        method, rest = line.split(" ", 1)
        rule, who = rest.rsplit(None, 1)
        table[(method, rule.strip())] = None if who == "*" else frozenset(LETTERS[c] for c in who)
    return table


def _app_routes(app):
    return {(m, r.rule): r for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_row_and_every_row_a_route(app):
    assert sorted(set(_app_routes(app)) - set(_table())) == [], "new routes need a row in ROUTES"
    assert sorted(set(_table()) - set(_app_routes(app))) == [], "rows for routes that are gone"


def test_every_socket_event_has_a_row():
    from exam_server.live.sockets import ProctorNamespace, StudentNamespace

    assert set(StudentNamespace.EVENTS) == set(SOCKET_EVENTS["/student"])
    assert set(ProctorNamespace.EVENTS) == set(SOCKET_EVENTS["/proctor"])


@pytest.fixture
def exam(app, client, token_for, users):
    return live_exam(app, client, token_for, users)


def _url(app, rule, exam, users):
    from flask import url_for

    args = {"identifier": "no-such-item", "number": 1, "action": "submit", "code": "en",
            "name": "0" * 64 + ".png", "filename": "css/app.css", "exam_id": exam.exam_id, "room_id": exam.room_id,
            "candidate_id": exam.candidate(1), "transition": "close", "user_id": users["student1"],
            "unit_id": 1, "job_id": 1, "sourced_id": "e1-u1"}
    with app.test_request_context():
        return url_for(rule.endpoint, **{a: args[a] for a in rule.arguments})


@pytest.mark.parametrize("role", ("admin", "teacher", "proctor", "student", "official", "anonymous"))
def test_each_role_reaches_exactly_its_rows(app, users, token_for, exam, role):
    routes = _app_routes(app)
    wrong = []
    for (method, rule_text), allowed in sorted(_table().items()):
        rule = routes[(method, rule_text)]
        if method != "GET" and rule_text in ("/logout", "/api/v1/auth/token", "/api/v1/me/password"):
            fresh = True     # must not end the token the rest of the walk uses
        else:
            fresh = False
        headers = {} if role == "anonymous" else token_for(ROLE_USERS[role], fresh=fresh)
        response = app.test_client().open(_url(app, rule, exam, users), method=method, headers=headers,
                                          json={} if method in ("POST", "PUT") else None)
        status = response.status_code
        response.close()
        if status >= 500:
            wrong.append(f"{method} {rule_text} as {role}: {status}")
        elif allowed is None:
            if status == 403:
                wrong.append(f"{method} {rule_text} (public) as {role}: 403")
        elif role == "anonymous":
            if status not in (401, 302):
                wrong.append(f"{method} {rule_text} as anonymous: {status}")
        elif (role in allowed) == (status in (401, 403)):
            wrong.append(f"{method} {rule_text} as {role}: {status}, table says {'yes' if role in allowed else 'no'}")
    assert wrong == []


def test_proctors_reach_their_own_room_only(app, client, users, token_for, exam):
    proctor = token_for("proctor1")
    mine, theirs = exam.room_id, exam.other_room_id
    for path in ("/api/v1/exams/{e}/rooms/{r}/live", "/api/v1/exams/{e}/rooms/{r}/checkins",
                 "/proctor/exams/{e}/rooms/{r}"):
        assert client.get(path.format(e=exam.exam_id, r=mine), headers=proctor).status_code == 200, path
        assert client.get(path.format(e=exam.exam_id, r=theirs), headers=proctor).status_code == 403, path
    token = f"/api/v1/exams/{exam.exam_id}/candidates/{{c}}/session-token"
    assert client.post(token.format(c=exam.candidate(1)), json={"reason": "card reader broken"},
                       headers=proctor).status_code == 201                      # 010001 sits in P01
    assert client.post(token.format(c=exam.candidate(3)), json={"reason": "card reader broken"},
                       headers=proctor).status_code == 403                      # 010003 sits in P02


def test_every_proctor_event_refuses_the_other_room(app, users, exam):
    from exam_server.core.extensions import socketio

    http = app.test_client()
    assert http.post("/login", data={"username": "proctor1", "password": PASSWORD}).status_code == 302
    boss = socketio.test_client(app, namespace="/proctor", flask_test_client=http)
    assert boss.is_connected("/proctor")
    theirs = {"exam_id": exam.exam_id, "room_id": exam.other_room_id}
    payloads = {"join": theirs, "start_room": theirs, "note": {**theirs, "text": "x"},
                "message": {**theirs, "text": "x"}}
    for event in SOCKET_EVENTS["/proctor"]:
        data = payloads.get(event, {**theirs, "candidate_id": exam.candidate(3), "reason": "x", "minutes": 5,
                                    "kiosk": "K01"})
        answer = boss.emit(event, data, namespace="/proctor", callback=True)
        assert answer["ok"] is False and answer["error"] == "not_your_room", (event, answer)
    for username in ("teacher1", "student1"):
        other = app.test_client()
        assert other.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
        assert not socketio.test_client(app, namespace="/proctor", flask_test_client=other).is_connected("/proctor")


def test_student_namespace_needs_a_session_token_not_an_account(app, users, exam):
    from exam_server.core.extensions import socketio

    for username in ("student1", "proctor1", "admin"):
        http = app.test_client()
        assert http.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
        assert not socketio.test_client(app, namespace="/student", flask_test_client=http).is_connected("/student")


def test_a_student_reads_only_their_own_result(app, client, users, token_for, exam):
    url = f"/api/v1/exams/{exam.exam_id}/candidates/{{c}}/result"
    response = client.get(url.format(c=exam.candidate(2)), headers=token_for("student1"))
    assert response.status_code in (403, 404)
