"""The application factory."""
from __future__ import annotations

import importlib
from typing import Any

from flask import Flask, redirect, request, url_for
from flask_babel import Babel, get_locale
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from exam_server.core import auth, db, errors, guard, limits, logs, metrics, ops
from exam_server.core.config import load_config
from exam_server.core.extensions import socketio
from exam_server.core.wire import JsonPacket

babel = Babel()

# Each feature's HTTP blueprints, by module; a module exposes `bp`.
BLUEPRINT_MODULES = (
    "exam_server.accounts.routes",
    "exam_server.bank.api",
    "exam_server.bank.pages",
    "exam_server.bank.media_routes",
    "exam_server.exams.api",
    "exam_server.exams.pages",      # the admin's exam pages: list, new exam, one exam's rooms/roster/forms/kiosks
    "exam_server.live.routes",      # session tokens, live pages (student exam page, proctor room)
    "exam_server.live.pages",       # the student's exam page, the proctor's room pages
    "exam_server.results.api",      # results, essay scoring queue, corrections
    "exam_server.results.pages",    # results tables, a candidate's result, blind essay queue, my results
    "exam_server.results.lookup",   # a candidate's released result by candidate number + citizen ID + birth date
    "exam_server.checkin.api",      # kiosk check-in (chip evidence), manual admission, photos
    "exam_server.analysis.pages",   # item analysis per exam and on the bank's item page, exports, calibration
    "exam_server.indicators.api",   # indicators, definitions, org units, officials' scopes, exports
    "exam_server.indicators.pages", # the dashboard and its wall mode
    "exam_server.indicators.oneroster",  # OneRoster 1.2 gradebook results (REST, read-only) and CSV zip
    "exam_server.admission.api",    # short manual admission codes: issued by the proctor, typed by the candidate
    "exam_server.jobs.api",         # background jobs: status, progress, result, file
)


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
    logs.init_app(app)

    db.init_app(app)
    metrics.init_app(app)
    errors.init_app(app)
    guard.init_app(app)             # security headers (CSP), JSON shape limits
    auth.init_app(app)
    limits.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    from exam_server.results import formats as result_formats  # exam day: the `score` filter (7,25)

    result_formats.init_app(app)

    for module_name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(module_name).bp)
    socketio.init_app(app, message_queue=app.config["REDIS_URL"],
                      channel=app.config.get("SOCKETIO_CHANNEL", "flask-socketio"),
                      async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
                      cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
                      ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
                      ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"], serializer=JsonPacket)
    from exam_server.live import runtime as live_runtime

    live_runtime.init_app(app, socketio)
    from exam_server.audit import receivers as audit_receivers

    audit_receivers.connect()       # the tamper-evident audit chain follows the domain signals
    from exam_server.audit.services import SEQUENCER
    from exam_server.core import drains

    drains.start(app, socketio, SEQUENCER)          # this process's sequencer of the chain

    from exam_server import indicators

    indicators.init_app(app, socketio)     # signal receivers (aggregates, feed) and /dashboard
    if app.config.get("NODE_NAME"):
        app.wsgi_app = ops.NodeCookie(app.wsgi_app, app.config["NODE_NAME"], app.config["SESSION_COOKIE_SECURE"])
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:   # outermost, so Socket.IO requests see the client's address and scheme too
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    @app.route("/")
    @auth.public
    def index():
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login_page"))
        if current_user.role.value in ("teacher", "admin"):
            return redirect(url_for("bank_pages.item_list"))
        if current_user.role.value == "official":
            return redirect(url_for("dashboard_pages.dashboard"))
        if current_user.role.value == "proctor":
            return redirect(url_for("live_pages.proctor_list"))
        return redirect(url_for("accounts.home"))

    @app.route("/healthz")
    @auth.public
    def healthz():
        """Alive: the process answers (a load balancer restarts it otherwise)."""
        return {"status": "ok"}

    @app.route("/readyz")
    @auth.public
    def readyz():
        """Ready for students: the database and (when configured) Redis answer, and the process
        is not draining; 503 otherwise, with what failed."""
        checks = ops.readiness(app)
        return {"status": "ready" if all(checks.values()) else "not_ready", "checks": checks}, \
            200 if all(checks.values()) else 503

    app.view_functions["static"].allowed_roles = None  # static files are public
    return app
