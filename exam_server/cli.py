"""`exam-server`: run the server, load the demo, migrate, manage users, move items in and out."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from exam_server.core.migrate import upgrade


def _app(args, serving: bool = False, migrate: bool = False):
    from exam_server.app import create_app
    from exam_server.core.config import load_config

    # The development server is Werkzeug's, with threads: Flask-SocketIO would otherwise pick
    # gevent (installed for gunicorn) and, without gunicorn's monkey patching, no Socket.IO
    # connection would ever complete. deploy/ runs gunicorn with gevent instead.
    overrides = {"SOCKETIO_ASYNC_MODE": "threading"} if serving else None
    if migrate:
        # Before the app exists: create_app starts the live relay and the deadline sweeper, which
        # read the live tables at once (on a new database they found none and logged errors).
        upgrade(load_config(overrides)["DATABASE_URL"])
    args.app = create_app(overrides)
    return args.app


def _serve(app, host: str, port: int) -> None:
    """The development server, with Socket.IO (polling and websocket) for the live pages."""
    from exam_server.core.extensions import socketio

    socketio.run(app, host=host, port=port, debug=False, use_reloader=False, log_output=True,
                 allow_unsafe_werkzeug=True)


def _actor(username: str):
    from sqlalchemy import select

    from exam_server.accounts.models import User
    from exam_server.core.db import session

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        sys.exit(f"exam-server: no user {username!r} (create one with `exam-server create-user`)")
    return user


def cmd_db_upgrade(args) -> int:
    app = _app(args, migrate=True)
    print(f"database is at the newest schema: {_display_url(app.config['DATABASE_URL'])}")
    return 0


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_run(args) -> int:
    app = _app(args, serving=True, migrate=True)
    _print_urls(args.host, args.port)
    _serve(app, args.host, args.port)
    return 0


def _base_url(host: str, port: int) -> str:
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"


def _print_urls(host: str, port: int) -> None:
    base = _base_url(host, port)
    print(f"Exam server on {base}/", flush=True)
    print(f"  teacher pages:  {base}/bank/items", flush=True)
    print(f"  JSON API:       {base}/api/v1/  (token: POST /api/v1/auth/token)", flush=True)


def cmd_demo(args) -> int:
    from exam_server import demo
    from exam_server.demo.checkin import demo_checkin

    app = _app(args, serving=not args.no_serve, migrate=True)
    with app.app_context():
        summary = demo.load_demo()
        checkin = demo_checkin()
    print(summary, flush=True)
    if args.no_serve:
        return 0
    if checkin is None:  # pragma: no cover - load_demo always sets the check-in up
        _print_urls(args.host, args.port)
        _serve(app, args.host, args.port)
        return 0
    from exam_server.demo.card import checkin_lines, demo_card

    def say(text: str) -> None:
        print(text, flush=True)

    try:
        with demo_card(checkin.pki_dir, say=say, enabled=not args.no_card, portrait=checkin.portrait) as card:
            _print_urls(args.host, args.port)
            state = "off" if args.no_card else "in" if card is not None else "failed"
            for line in checkin_lines(checkin, _base_url(args.host, args.port), state):
                say(line)
            _serve(app, args.host, args.port)
    except KeyboardInterrupt:
        return 130
    return 0


def cmd_create_user(args) -> int:
    from exam_server.accounts.services import create_user
    from exam_server.core.db import session
    from exam_server.core.errors import ApiError

    password = args.password
    if not password:
        if not sys.stdin.isatty():
            sys.exit("exam-server: no terminal to ask for the password: give --password, or run this in a terminal")
        try:
            password = getpass.getpass("Password: ")
        except (EOFError, KeyboardInterrupt):
            sys.exit("\nexam-server: no password given; no account created")
    app = _app(args)
    with app.app_context():
        try:
            user = create_user(args.username, password, args.role, args.full_name or "")
        except ApiError as exc:
            sys.exit(f"exam-server: {exc.message}")
        session.commit()
        print(f"created {user.role.value} {user.username}")
    return 0


def cmd_import_qti(args) -> int:
    from exam_server.bank import transfer
    from exam_server.core.db import session
    from exam_server.core.errors import ApiError

    path = Path(args.path)
    if not path.exists():
        sys.exit(f"exam-server: {path} does not exist")
    defaults = {k: v for k, v in (("subject", args.subject), ("grade", args.grade)) if v}
    app = _app(args)
    with app.app_context():
        actor = _actor(args.user)
        try:
            report = transfer.import_qti(path, path.name, actor, defaults)
        except ApiError as exc:
            report = transfer.TransferReport(errors=[{"file": str(path), "reason": exc.message}])
        session.commit()
    result = {"imported": report.imported, "skipped": report.skipped, "errors": report.errors}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"imported {report.imported}, skipped {report.skipped}, errors {len(report.errors)}")
        for error in report.errors:
            print(f"  {error['file']}: {error['reason']}")
    return 0 if not report.errors else 1


def cmd_export_qti(args) -> int:
    from exam_server.bank import transfer
    from exam_server.bank.search import SearchFilters

    app = _app(args)
    with app.app_context():
        filters = SearchFilters(status=args.status or "", subject=args.subject or "")
        filters.check()
        data = transfer.export_qti(args.ids.split(",") if args.ids else [], filters)
    Path(args.output).write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes)")
    return 0


def cmd_enrol_kiosk(args) -> int:
    from exam_server.checkin import services as checkin
    from exam_server.core.db import session
    from exam_server.core.errors import ApiError

    app = _app(args)
    try:
        public_key = Path(args.public_key).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        sys.exit(f"exam-server enrol-kiosk: cannot read {args.public_key}: {exc}")
    with app.app_context():
        try:
            kiosk = checkin.enrol_kiosk(args.exam, args.room, args.name, public_key, None)
        except ApiError as exc:
            sys.exit(f"exam-server enrol-kiosk: {exc.message}")
        session.commit()
        print(f"kiosk {kiosk.name} enrolled with id {kiosk.id} (exam {kiosk.exam_id}, room {kiosk.room_id}); "
              f"start it with: exam-kiosk run --kiosk-id {kiosk.id} --key KEYFILE --server URL")
    return 0


def cmd_purge_photos(args) -> int:
    from exam_server.checkin import services as checkin
    from exam_server.core.db import session

    app = _app(args)
    with app.app_context():
        count = checkin.purge_photos()
        session.commit()
    print(f"{count} check-in photo{'s' if count != 1 else ''} past the retention date deleted")
    return 0


def cmd_worker(args) -> int:
    """Background jobs: an RQ worker on the Redis of EXAM_REDIS_URL (deploy/exam-worker.service)."""
    from exam_server.app import create_app
    from exam_server.jobs.worker import run_worker

    # No live runtime in a worker: no relay, no sweeper (those belong to the server processes).
    app = args.app = create_app({"LIVE_BACKGROUND": False})
    if not app.config["REDIS_URL"]:
        sys.exit("exam-server worker: set EXAM_REDIS_URL (without Redis, jobs run in the server's own process)")
    run_worker(app, burst=args.burst, queue_name=args.queue)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="exam-server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve the platform (development server; use gunicorn in production)")
    demo = sub.add_parser("demo", help="load demo users and items, then serve")
    for p in (run, demo):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=5000)
    demo.add_argument("--no-serve", action="store_true", help="load the demo data and exit")
    demo.add_argument("--no-card", action="store_true",
                      help="do not put the simulated citizen ID card in the reader 'Virtual PCD 00 01'")
    run.set_defaults(func=cmd_run)
    demo.set_defaults(func=cmd_demo)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="migrate to the newest schema").set_defaults(func=cmd_db_upgrade)

    user = sub.add_parser("create-user", help="create an account")
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=("admin", "teacher", "proctor", "student", "official"))
    user.add_argument("--full-name")
    user.add_argument("--password", help="omit to be asked (keeps it out of shell history)")
    user.set_defaults(func=cmd_create_user)

    imp = sub.add_parser("import-qti", help="import a QTI 3.0/2.1 item, package (.zip) or folder")
    imp.add_argument("path")
    imp.add_argument("--user", default="admin", help="the account the items are created by")
    imp.add_argument("--subject", help="subject for items that do not say")
    imp.add_argument("--grade", type=int, help="grade for items that do not say")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(func=cmd_import_qti)

    exp = sub.add_parser("export-qti", help="export items as a QTI 3.0 package")
    exp.add_argument("output")
    exp.add_argument("--ids", help="comma-separated identifiers (default: every item that matches)")
    exp.add_argument("--status", help="only items whose latest version has this status")
    exp.add_argument("--subject")
    exp.set_defaults(func=cmd_export_qti)

    kiosk = sub.add_parser("enrol-kiosk", help="enrol a check-in kiosk's public key for an exam room")
    kiosk.add_argument("--exam", type=int, required=True, metavar="ID")
    kiosk.add_argument("--room", type=int, required=True, metavar="ID")
    kiosk.add_argument("--name", required=True, help="the kiosk's label, e.g. K01")
    kiosk.add_argument("--public-key", required=True, metavar="FILE",
                       help="the Ed25519 public key (PEM) from `exam-kiosk run --make-key`")
    kiosk.set_defaults(func=cmd_enrol_kiosk)

    purge = sub.add_parser("purge-photos", help="delete check-in photos past their retention date")
    purge.set_defaults(func=cmd_purge_photos)

    from exam_server.accounts.commands import add_parsers as account_parsers
    from exam_server.audit.commands import add_parsers as audit_parsers

    account_parsers(sub, _app)
    audit_parsers(sub, _app)

    from exam_server.indicators.commands import add_parsers as indicator_parsers

    indicator_parsers(sub)
    worker = sub.add_parser("worker", help="run background jobs (imports, exports, assembly) from the Redis queue")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.add_argument("--queue", help="the queue to work (default: EXAM_JOBS_QUEUE)")
    worker.set_defaults(func=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    from exam_server.core.config import ConfigError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"exam-server: {exc}", file=sys.stderr)
        return 2
    finally:
        app = getattr(args, "app", None)
        if app is not None:
            app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    sys.exit(main())
