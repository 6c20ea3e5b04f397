"""Issue 11: logins, sessions, accounts, the CSRF/bearer rule, JSON shape, security headers."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD


def _login(client, username, password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def _token(client, username, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password, **extra})


# --- rate limits on logins -------------------------------------------------------------------

def test_wrong_passwords_back_off_with_429_and_retry_after(client, users):
    # EXAM_LOGIN_LIMIT_PER_ACCOUNT_ADDRESS: 5 failures per minute from one address for one account.
    for _ in range(5):
        assert _login(client, "teacher1", "wrong password").status_code == 401
    refused = _login(client, "teacher1")                  # the right password is refused too, for now
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert _login(client, "teacher2").status_code == 302  # another account from the same address: fine


def test_token_endpoint_is_limited_in_the_api_error_shape(client, users):
    for _ in range(5):
        assert _token(client, "teacher1", "nope-nope").status_code == 401
    refused = _token(client, "teacher1")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert set(refused.get_json()) >= {"error", "message", "field"}


def test_successful_logins_do_not_count(client, users):
    for _ in range(12):
        assert _token(client, "teacher1").status_code == 201


@pytest.fixture
def tight_address_limit(test_config):
    return test_config


def test_per_address_limit_counts_every_account(app, client, users):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "8 per minute"
    for name in ("teacher1", "teacher2", "proctor1", "student1"):
        for _ in range(2):
            assert _token(client, name, "wrong-password").status_code == 401
    assert _token(client, "admin").status_code == 429


# --- sessions end on the server --------------------------------------------------------------

def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_logout_ends_a_copied_session(app, client, users):
    assert _login(client, "teacher1").status_code == 302
    copied = _cookie(client)
    assert _with_cookie(app, copied).get("/api/v1/me").status_code == 200
    client.post("/logout")
    assert _with_cookie(app, copied).get("/api/v1/me").status_code == 401
    assert _with_cookie(app, copied).get("/home").status_code == 302          # back to the login page


def test_password_change_ends_other_sessions_and_checks_the_policy(app, client, users):
    assert _login(client, "teacher1").status_code == 302
    elsewhere = app.test_client()
    assert _login(elsewhere, "teacher1").status_code == 302
    weak = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "password1"})
    assert weak.status_code == 422 and weak.get_json()["error"] == "common_password"
    wrong = client.post("/api/v1/me/password", json={"current_password": "x" * 9, "new_password": "a fine new one"})
    assert wrong.status_code == 422
    changed = client.post("/api/v1/me/password", json={"current_password": PASSWORD,
                                                       "new_password": "a fine new one"})
    assert changed.status_code == 200
    assert client.get("/api/v1/me").status_code == 200                          # this browser stays in
    assert elsewhere.get("/api/v1/me").status_code == 401                       # every other session ends
    assert _token(app.test_client(), "teacher1", "a fine new one").status_code == 201


def test_deactivation_ends_cookie_sessions_tokens_and_is_audited(app, client, users, token_for):
    from sqlalchemy import select

    from exam_server.audit.models import AuditRecord
    from exam_server.core.db import session

    student = app.test_client()
    assert _login(student, "student1").status_code == 302
    bearer = token_for("student1")
    admin = token_for("admin")
    done = client.post(f"/api/v1/users/{users['student1']}/deactivate", headers=admin)
    assert done.status_code == 200 and done.get_json()["is_active"] is False
    assert student.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert _login(app.test_client(), "student1").status_code == 401
    assert client.post(f"/api/v1/users/{users['admin']}/deactivate", headers=admin).status_code == 409
    assert client.post(f"/api/v1/users/{users['student1']}/deactivate",
                       headers=token_for("teacher1")).status_code == 403
    back = client.post(f"/api/v1/users/{users['student1']}/reactivate", headers=admin)
    assert back.get_json()["is_active"] is True
    assert _login(app.test_client(), "student1").status_code == 302
    with app.app_context():
        kinds = session.scalars(select(AuditRecord.kind).where(
            AuditRecord.subject == f"user:{users['student1']}").order_by(AuditRecord.id)).all()
    assert kinds == ["account.create", "account.deactivate", "account.activate"]


def test_the_accounts_page_deactivates_and_reactivates(app, login, users):
    browser = login("admin")
    page = browser.get("/users").get_data(as_text=True)
    assert "student1" in page and f'/users/{users["student1"]}/active' in page
    assert browser.post(f"/users/{users['student1']}/active", data={"active": "0"}).status_code == 302
    assert "deactivated" in browser.get("/users?lang=en").get_data(as_text=True)
    assert _login(app.test_client(), "student1").status_code == 401
    browser.post(f"/users/{users['student1']}/active", data={"active": "1"})
    assert _login(app.test_client(), "student1").status_code == 302
    assert login("teacher1").get("/users").status_code == 403


# --- CSRF only skipped for a valid bearer token ----------------------------------------------

@pytest.mark.parametrize("header", ["Bearer bogus", "Bearer ", "Bearer expired-or-revoked-token"])
def test_a_bogus_bearer_header_neither_skips_csrf_nor_runs_as_the_cookie_user(app, users, header):
    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True)).group(1)
    assert _login(browser, "teacher1", csrf_token=token).status_code == 302
    forged = browser.post("/api/v1/items", json={}, headers={"Authorization": header})
    assert forged.status_code in (400, 401) and forged.status_code != 422
    assert browser.get("/api/v1/me", headers={"Authorization": header}).status_code == 401   # never mixed


def test_a_valid_bearer_token_needs_no_csrf_and_ignores_the_cookie(app, users, token_for):
    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True)).group(1)
    assert _login(browser, "student1", csrf_token=token).status_code == 302
    me = browser.get("/api/v1/me", headers=token_for("teacher1")).get_json()
    assert me["username"] == "teacher1"
    assert browser.post("/api/v1/items", json={}, headers=token_for("teacher1")).status_code == 422


# --- JSON shape ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/items", "/api/v1/auth/token", "/api/v1/checkin/challenge",
                                  "/api/v1/users"])
@pytest.mark.parametrize("levels", [100, 50_000])
def test_deeply_nested_json_bodies_are_400(client, token_for, path, levels):
    body = '{"a":' + "[" * levels + "1" + "]" * levels + "}"
    response = client.post(path, data=body, content_type="application/json", headers=token_for("admin"))
    assert response.status_code == 400, response.data[:200]
    assert response.get_json()["error"] == "too_deep" and set(response.get_json()) >= {"message", "field"}


# --- headers ---------------------------------------------------------------------------------

def test_every_response_carries_the_browser_policy(client, login):
    for response in (client.get("/login"), client.get("/api/v1/me"), client.get("/static/css/app.css"),
                     login("teacher1").get("/items")):
        csp = response.headers["Content-Security-Policy"]
        for directive in ("script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'",
                          "style-src 'self'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        response.close()


# --- password policy, TOTP, create-user -------------------------------------------------------

@pytest.mark.parametrize("password, code", [("short", "weak_password"), ("password1", "common_password"),
                                            ("iloveyou2", "common_password"), ("aaaaaaaaaaaa", "common_password"),
                                            ("xx-newbie-xx", "weak_password")])
def test_password_policy(client, token_for, password, code):
    response = client.post("/api/v1/users", headers=token_for("admin"),
                           json={"username": "newbie", "password": password, "role": "student"})
    assert response.status_code == 422 and response.get_json()["error"] == code


def test_totp_is_required_for_admins_and_codes_are_single_use(app, client, users):
    import pyotp

    from exam_server.accounts.models import User
    from exam_server.core.db import session

    app.config["TOTP_REQUIRED_ROLES"] = ("admin",)
    refused = _token(client, "admin")
    assert refused.status_code == 401 and refused.get_json()["error"] == "totp_not_enrolled"
    assert _login(client, "admin").status_code == 401
    assert _token(client, "teacher1").status_code == 201                    # not required for teachers
    with app.app_context():
        from exam_server.accounts import totp

        totp.enrol(session.get(User, users["admin"]))
        session.commit()
        secret = session.get(User, users["admin"]).totp_secret
    assert _token(client, "admin").get_json()["error"] == "totp_required"
    assert _token(client, "admin", code="000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
                  ).get_json()["error"] == "totp_wrong"
    code = pyotp.TOTP(secret).now()
    assert _token(client, "admin", code=code).status_code == 201
    assert _token(client, "admin", code=code).get_json()["error"] == "totp_reused"


@pytest.fixture
def cli_env(monkeypatch, app, test_config):
    monkeypatch.setenv("EXAM_DATABASE_URL", test_config["DATABASE_URL"])
    monkeypatch.setenv("EXAM_INSTANCE_PATH", test_config["INSTANCE_PATH"])
    monkeypatch.setenv("EXAM_SECRET_KEY", "cli-test")
    return test_config


def test_totp_cli_enrols_and_prints_the_code(cli_env, users, capsys):
    import time

    import pyotp

    from exam_server.cli import main

    assert main(["totp-enrol", "admin"]) == 0
    secret = re.search(r"secret: ([A-Z2-7]+)", capsys.readouterr().out).group(1)
    assert main(["totp-code", "admin"]) == 0
    assert capsys.readouterr().out.strip() in {pyotp.TOTP(secret).now(), pyotp.TOTP(secret).at(time.time() - 30)}
    with pytest.raises(SystemExit, match="no second factor"):
        main(["totp-code", "teacher1"])


def test_the_demo_admin_logs_in_with_the_code_the_cli_prints(cli_env, client, capsys):
    from exam_server.cli import main
    from exam_server.demo import DEMO_PASSWORD

    assert main(["demo", "--no-serve"]) == 0             # EXAM_TOTP_REQUIRED_ROLES: admin (the default)
    assert "exam-server totp-code admin" in capsys.readouterr().out
    assert _token(client, "admin", DEMO_PASSWORD).get_json()["error"] == "totp_required"
    assert main(["totp-code", "admin"]) == 0
    code = capsys.readouterr().out.strip()
    assert _token(client, "admin", DEMO_PASSWORD, code=code).status_code == 201


def test_create_user_without_a_terminal_says_so(monkeypatch, capsys):
    import io

    from exam_server.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as exit_info:
        main(["create-user", "someone", "--role", "teacher"])
    assert "no terminal" in str(exit_info.value.code) and "--password" in str(exit_info.value.code)
