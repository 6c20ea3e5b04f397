"""The application factory."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, redirect, request, url_for
from flask_babel import Babel, get_locale
from flask_login import current_user

from exam_server.core import auth, db, errors
from exam_server.core.config import load_config

babel = Babel()


def select_locale() -> str:
    from flask import session as cookie_session

    chosen = request.args.get("lang") or cookie_session.get("lang")
    if chosen in ("vi", "en"):
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in ("vi", "en"):
        return current_user.locale
    return "vi"  # Vietnamese first, whatever the browser says: the product's audience


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config(config))
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))

    db.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale

    from exam_server.accounts.routes import bp as accounts_bp
    from exam_server.bank.api import bp as bank_api_bp
    from exam_server.bank.media_routes import bp as media_bp
    from exam_server.bank.pages import bp as bank_pages_bp
    from exam_server.exams.api import bp as exams_api_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(bank_api_bp)
    app.register_blueprint(bank_pages_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(exams_api_bp)

    @app.route("/")
    @auth.public
    def index():
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login_page"))
        if current_user.role.value in ("teacher", "admin"):
            return redirect(url_for("bank_pages.item_list"))
        return redirect(url_for("accounts.home"))

    @app.route("/healthz")
    @auth.public
    def healthz():
        return {"status": "ok"}

    app.view_functions["static"].allowed_roles = None  # static files are public
    return app
