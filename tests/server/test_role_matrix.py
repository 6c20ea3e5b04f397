"""Walk every route with every role: the answer is 403 exactly where the role is not allowed.

A route that declares no access rule (`@roles(...)` or `@public`) fails this test, so no route can
forget one. Arguments are filled with harmless values: an allowed role may get 400/404/422, never
401/403, and nobody ever gets a 500.
"""
from __future__ import annotations

import pytest

from tests.conftest import ROLE_USERS

SAMPLE_ARGS = {"identifier": "no-such-item", "number": 1, "action": "submit", "code": "en",
               "name": "0" * 64 + ".png", "filename": "css/app.css", "exam_id": 1, "room_id": 1,
               "candidate_id": 1, "transition": "close", "user_id": 1, "unit_id": 1, "job_id": 1,
               "sourced_id": "e1-u1"}
ROLES = ("admin", "teacher", "proctor", "student", "official")


def _routes(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, view, method


def _url(app, rule):
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{a: SAMPLE_ARGS[a] for a in rule.arguments})


def test_every_route_declares_its_roles(app):
    missing = [rule.rule for rule, view, _ in _routes(app) if not hasattr(view, "allowed_roles")]
    assert missing == [], f"routes without @roles or @public: {missing}"


@pytest.mark.parametrize("role", ROLES + ("anonymous",))
def test_role_matrix(app, users, token_for, role):
    checked = 0
    for rule, view, method in _routes(app):
        allowed = view.allowed_roles
        url = _url(app, rule)
        # Revoking a token must not log the rest of the walk out: that request gets its own.
        fresh = rule.endpoint == "accounts.api_token_revoke"
        headers = {} if role == "anonymous" else token_for(ROLE_USERS[role], fresh=fresh)
        # Pages are reached with a session cookie; the bearer token stands in for it here
        # (same user loader), and the browser test covers real cookie sessions.
        response = app.test_client().open(url, method=method, headers=headers,
                                           json={} if method in ("POST", "PUT") else None)
        status = response.status_code
        response.close()  # static files are streamed from an open file
        where = f"{method} {rule.rule} as {role}: {status}"
        assert status < 500, where
        if allowed is None:
            assert status != 403, where  # public; a login with wrong credentials may answer 401
        elif role == "anonymous":
            assert status in (401, 302), where
        elif role in allowed:
            assert status not in (401, 403), where
        else:
            assert status == 403, where
        checked += 1
    assert checked > 20
