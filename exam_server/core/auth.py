"""Who is asking, and may they: login manager, bearer tokens, CSRF, and the roles decorator.

Every view is decorated with `@roles(...)` or `@public`; a test walks the URL map and fails on
any view that declares neither, so a new route cannot forget its access rule.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, g, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from exam_server.core.errors import ApiError, wants_json

login_manager = LoginManager()
SESSION_GENERATION = "_gen"
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    csrf.init_app(app)

    @login_manager.user_loader
    def _load_user(user_id: str):
        from flask import session as cookie_session

        from exam_server.accounts.models import User
        from exam_server.core.db import session

        user = session.get(User, int(user_id)) if user_id.isdigit() else None
        # A session made before the user's last logout, password change or deactivation is over.
        if user is None or not user.is_active or cookie_session.get(SESSION_GENERATION) != user.session_generation:
            return None
        return user

    @app.before_request
    def _bearer_or_cookie():
        # A request carrying a bearer token is authenticated by that token alone: a bogus or expired
        # token makes it anonymous, whatever the cookie says (never a mix of the two).
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return
        from flask_login import AnonymousUserMixin

        from exam_server.accounts.services import user_for_token

        user = user_for_token(header[7:].strip())
        g._login_user = user if user is not None else AnonymousUserMixin()
        g.auth_by_token = user is not None

    @app.before_request
    def _csrf_unless_bearer():
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        # A valid bearer token is not sent by the browser on its own, so it cannot be forged
        # cross-site; every other write (cookie or anonymous) must carry the CSRF token.
        if g.get("auth_by_token"):
            return
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "csrf_exempt", False):
            return
        csrf.protect()


def start_session(user) -> None:
    """Log the user in with a cookie session of their current generation."""
    from flask import session as cookie_session
    from flask_login import login_user

    login_user(user)
    cookie_session[SESSION_GENERATION] = user.session_generation


def current_role() -> str | None:
    return current_user.role.value if current_user.is_authenticated else None


def _deny_anonymous():
    if wants_json():
        raise ApiError("unauthenticated", "Log in or send an API token.", 401)
    return redirect(url_for("accounts.login_page", next=request.full_path))


def roles(*allowed: str) -> Callable:
    """Allow only users with one of these roles. Anonymous users are sent to log in (401 for API)."""
    allowed_set = frozenset(allowed)

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return _deny_anonymous()
            if current_user.role.value not in allowed_set:
                raise ApiError("forbidden", "Your role may not use this page.", 403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed_set
        return wrapper

    return decorate


def csrf_exempt(view):
    """For endpoints that cookie-less API clients call to obtain a token."""
    view.csrf_exempt = True
    return view


def public(view):
    view.allowed_roles = None  # explicitly open to everyone
    return view
