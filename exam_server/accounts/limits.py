"""Rate limits on password logins (/login and /api/v1/auth/token), counting failed attempts only.

Three moving windows (settings in core.config): per client address, per account and address
(a guesser at one machine backs off quickly), per account from anywhere (a distributed guesser backs
off too, at a limit far above anything a person types). Only failures count, and a window is a
back-off, not a lock: it empties as the failures age. Students sit exams with session tokens issued
at check-in, not passwords, so nobody can keep a candidate out of an exam through these limits.
"""
from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from exam_server.core.limits import limiter


def _username() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username", "") if isinstance(body, dict) else ""
    else:
        name = request.form.get("username", "")
    return str(name or "").strip().lower()[:64]


def _failed(response) -> bool:
    return response.status_code in (401, 403)


def _per(setting: str):
    return lambda: current_app.config[setting]


def login_limits(view):
    for setting, key in (("LOGIN_LIMIT_PER_ADDRESS", get_remote_address),
                         ("LOGIN_LIMIT_PER_ACCOUNT_ADDRESS", lambda: f"{_username()}@{get_remote_address()}"),
                         ("LOGIN_LIMIT_PER_ACCOUNT", lambda: f"account:{_username()}")):
        view = limiter.limit(_per(setting), key_func=key, methods=["POST"], deduct_when=_failed,
                             scope=f"login-{setting}")(view)
    return view
