"""Login pages, API tokens and user administration."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import select

from exam_server.accounts import services, totp
from exam_server.accounts.limits import login_limits
from exam_server.accounts.models import Role, User
from exam_server.core.auth import csrf_exempt, public, roles, start_session
from exam_server.core.db import session
from exam_server.core.errors import ApiError, NotFound
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
@login_limits
def login_page():
    if request.method == "POST":
        user = services.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            flash(_("Wrong username or password."), "error")
            return render_template("login.html"), 401
        try:
            totp.check(user, request.form.get("code"))
        except ApiError as exc:
            session.rollback()
            flash(_("Wrong or missing code from the authenticator app.") if exc.code != "totp_not_enrolled"
                  else _("Your role needs a second factor: ask an administrator to enrol one."), "error")
            return render_template("login.html", ask_code=True), 401
        session.commit()  # a password rehash, the TOTP step, if any
        start_session(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
@roles(*ALL_ROLES)
def logout():
    # Every session of this user ends, not only this cookie: a copied cookie is dead too.
    if not g.get("auth_by_token"):
        services.end_sessions(current_user._get_current_object())
        session.commit()
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
@login_limits
def api_token():
    body = json_body()
    user = services.authenticate(str(body.get("username", "")), str(body.get("password", "")))
    if user is None:
        raise ApiError("bad_credentials", "Wrong username or password.", 401)
    totp.check(user, str(body.get("code") or ""))
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
                                str(body.get("role", "")), str(body.get("full_name", "")), actor_id=current_user.id)
    session.commit()
    return _user_json(user), 201


@bp.route("/api/v1/me/password", methods=["POST"])
@roles(*ALL_ROLES)
def api_change_password():
    body = json_body()
    user = current_user._get_current_object()
    services.change_password(user, str(body.get("current_password", "")), str(body.get("new_password", "")))
    session.commit()
    if not g.get("auth_by_token"):
        start_session(user)      # this browser stays logged in; every other session ends
    return {"ok": True}


def _user_or_404(user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.", "user_id")
    return user


@bp.route("/api/v1/users/<int:user_id>/deactivate", methods=["POST"])
@roles("admin")
def api_deactivate_user(user_id: int):
    return _set_active(user_id, False)


@bp.route("/api/v1/users/<int:user_id>/reactivate", methods=["POST"])
@roles("admin")
def api_reactivate_user(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = _user_or_404(user_id)
    services.set_active(user, active, current_user)
    session.commit()
    return _user_json(user)


@bp.route("/api/v1/users/<int:user_id>/role", methods=["PUT"])
@roles("admin")
def api_set_role(user_id: int):
    user = _user_or_404(user_id)
    services.set_role(user, json_body().get("role"), current_user)
    session.commit()
    return _user_json(user)


@bp.route("/users")
@roles("admin")
def users_page():
    return render_template("accounts/users.html", users=session.scalars(select(User).order_by(User.username)).all())


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles("admin")
def users_set_active(user_id: int):
    user = _user_or_404(user_id)
    active = request.form.get("active") == "1"
    try:
        services.set_active(user, active, current_user._get_current_object())
    except ApiError as exc:
        flash(exc.message, "error")
        return redirect(url_for("accounts.users_page"))
    session.commit()
    flash(_("%(name)s is active again.", name=user.username) if active
          else _("%(name)s is deactivated: every session ended.", name=user.username), "ok")
    return redirect(url_for("accounts.users_page"))
