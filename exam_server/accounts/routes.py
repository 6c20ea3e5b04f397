"""Login pages, API tokens and user administration."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from exam_server.accounts import services
from exam_server.accounts.models import Role, User
from exam_server.core.auth import csrf_exempt, public, roles
from exam_server.core.db import session
from exam_server.core.errors import ApiError
from exam_server.core.http import json_body

bp = Blueprint("accounts", __name__)
ALL_ROLES = tuple(r.value for r in Role)


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login is a phishing tool.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login_page():
    if request.method == "POST":
        user = services.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            flash(_("Wrong username or password."), "error")
            return render_template("login.html"), 401
        session.commit()  # a password rehash, if any
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
@roles(*ALL_ROLES)
def logout():
    logout_user()
    return redirect(url_for("accounts.login_page"))


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        cookie_session["lang"] = code
    return redirect(_safe_next(request.form.get("next") or request.referrer and request.referrer.split(
        request.host, 1)[-1]))


@bp.route("/home")
@roles(*ALL_ROLES)
def home():
    return render_template("home.html")


@bp.route("/api/v1/auth/token", methods=["POST"])
@public
@csrf_exempt
def api_token():
    body = json_body()
    user = services.authenticate(str(body.get("username", "")), str(body.get("password", "")))
    if user is None:
        raise ApiError("bad_credentials", "Wrong username or password.", 401)
    ttl = current_app.config["API_TOKEN_TTL_SECONDS"]
    token = services.issue_token(user, ttl)
    session.commit()
    return {"token": token, "token_type": "Bearer", "expires_in": ttl, "role": user.role.value}, 201


@bp.route("/api/v1/auth/token", methods=["DELETE"])
@roles(*ALL_ROLES)
def api_token_revoke():
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        services.revoke_token(header[7:].strip())
        session.commit()
    return "", 204


@bp.route("/api/v1/me")
@roles(*ALL_ROLES)
def api_me():
    return _user_json(current_user)


def _user_json(user: User) -> dict:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role.value,
            "is_active": user.is_active}


@bp.route("/api/v1/users")
@roles("admin")
def api_users():
    return {"users": [_user_json(u) for u in session.scalars(select(User).order_by(User.username))]}


@bp.route("/api/v1/users", methods=["POST"])
@roles("admin")
def api_create_user():
    body = json_body()
    user = services.create_user(str(body.get("username", "")), str(body.get("password", "")),
                                str(body.get("role", "")), str(body.get("full_name", "")))
    session.commit()
    return _user_json(user), 201
