"""`exam-server indicators ...` and `exam-server feed ...` (added to the CLI by cli.py)."""
from __future__ import annotations

import sys
import time
from pathlib import Path


def _context(args):
    from exam_server.cli import _app

    return _app(args).app_context()


def cmd_recompute(args) -> int:
    from exam_server.core.db import session
    from exam_server.indicators.recompute import recompute

    with _context(args):
        started = time.perf_counter()
        counts = recompute(args.exam or None)
        session.commit()
    print(f"recomputed {counts['exams']} exam(s), {counts['facts']} candidate(s) "
          f"in {time.perf_counter() - started:.2f} s")
    return 0


def cmd_refresh_mastery(args) -> int:
    from exam_server.core.db import session
    from exam_server.indicators import mastery

    with _context(args):
        counted = mastery.refresh(args.exam or None)
        session.commit()
    print(f"mastery: {counted} candidate(s) counted")
    return 0


def cmd_analyze(args) -> int:
    from sqlalchemy import select

    from exam_server.core.db import session, utcnow
    from exam_server.indicators.models import IndicatorExam
    from exam_server.indicators.quality import analyze

    with _context(args):
        ids = args.exam or list(session.scalars(select(IndicatorExam.exam_id)))
        counts = analyze(ids, utcnow())
        session.commit()
    print(f"item analysis: {counts['exams']} exam(s) analysed, {counts['forms']} form(s), "
          f"{counts['flagged_items']} flagged item(s)")
    return 0


def cmd_import_units(args) -> int:
    from sqlalchemy import select

    from exam_server.core.db import session, utcnow
    from exam_server.core.errors import ApiError
    from exam_server.indicators.models import IndicatorExam
    from exam_server.indicators.recompute import recompute
    from exam_server.indicators.units import import_units

    path = Path(args.file)
    with _context(args):
        try:
            counts = import_units(path.read_bytes(), path.name, utcnow())
        except ApiError as exc:
            print(f"exam-server: {exc.message}", file=sys.stderr)
            for error in exc.extra.get("errors", []):
                print(f"  row {error['row']}, {error['field']}: {error['reason']}", file=sys.stderr)
            return 1
        recompute(list(session.scalars(select(IndicatorExam.exam_id))))
        session.commit()
    print(f"{counts['units']} unit(s): {counts['created']} created, {counts['updated']} updated")
    return 0


def cmd_scope(args) -> int:
    from exam_server.cli import _actor
    from exam_server.core.db import session
    from exam_server.core.errors import ApiError
    from exam_server.indicators.units import set_scope

    with _context(args):
        user = _actor(args.username)
        if user.role.value != "official":
            print(f"exam-server: {args.username} is not an official", file=sys.stderr)
            return 1
        try:
            units = set_scope(user.id, args.units)
        except ApiError as exc:
            print(f"exam-server: {exc.message}", file=sys.stderr)
            return 1
        session.commit()
    print(f"{args.username} sees {', '.join(u.code for u in units) or 'nothing'}")
    return 0


def cmd_add_endpoint(args) -> int:
    from exam_server.core.db import session
    from exam_server.core.errors import ApiError
    from exam_server.indicators.feed import add_endpoint

    with _context(args):
        try:
            endpoint, secret = add_endpoint(args.name, args.kind, args.url, args.unit)
        except ApiError as exc:
            print(f"exam-server: {exc.message}", file=sys.stderr)
            return 1
        session.commit()
    print(f"endpoint {endpoint.id} ({endpoint.kind}) -> {endpoint.url}")
    print(f"signing secret (give it to the receiver; it is not shown again): {secret}")
    return 0


def cmd_deliver(args) -> int:
    from exam_server.core.db import session, utcnow
    from exam_server.indicators.feed import deliver_due, enqueue_snapshots

    with _context(args) as ctx:
        interval = ctx.app.config["FEED_INTERVAL_SECONDS"]
        while True:
            made = enqueue_snapshots(utcnow())
            session.commit()
            counts = deliver_due(utcnow())
            print(f"queued {made}, delivered {counts['delivered']}, failed {counts['failed']}", flush=True)
            if not args.loop:
                return 0
            time.sleep(interval)


def add_parsers(sub) -> None:
    ind = sub.add_parser("indicators", help="the learning-outcome indicators")
    ind_sub = ind.add_subparsers(dest="indicators_command", required=True)
    rec = ind_sub.add_parser("recompute", help="rebuild facts and every aggregate from the exams' tables")
    rec.add_argument("--exam", type=int, action="append", metavar="ID", help="only this exam (repeatable)")
    rec.set_defaults(func=cmd_recompute)
    mas = ind_sub.add_parser("refresh-mastery", help="count the results stored since the last refresh "
                                                     "into mastery per topic and cognitive level")
    mas.add_argument("--exam", type=int, action="append", metavar="ID", help="only this exam (repeatable)")
    mas.set_defaults(func=cmd_refresh_mastery)
    ana = ind_sub.add_parser("analyze", help="store the item analysis (reliability per form, flagged items) "
                                             "of the exams as indicators")
    ana.add_argument("--exam", type=int, action="append", metavar="ID", help="only this exam (repeatable)")
    ana.set_defaults(func=cmd_analyze)
    imp = ind_sub.add_parser("import-units", help="import the organisation tree from a .csv or .xlsx")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import_units)
    scope = ind_sub.add_parser("scope", help="set the units an official sees")
    scope.add_argument("username")
    scope.add_argument("units", nargs="*", metavar="UNIT_CODE")
    scope.set_defaults(func=cmd_scope)

    feed = sub.add_parser("feed", help="the push feed to operations centers and Learning Record Stores")
    feed_sub = feed.add_subparsers(dest="feed_command", required=True)
    add = feed_sub.add_parser("add-endpoint", help="add a receiver; prints its signing secret once")
    add.add_argument("name")
    add.add_argument("kind", choices=("indicators", "xapi"))
    add.add_argument("url")
    add.add_argument("--unit", help="unit code: the snapshots cover this unit and its children")
    add.set_defaults(func=cmd_add_endpoint)
    deliver = feed_sub.add_parser("deliver", help="queue snapshots of changed exams and send what is due")
    deliver.add_argument("--loop", action="store_true", help="keep going every EXAM_FEED_INTERVAL_SECONDS")
    deliver.set_defaults(func=cmd_deliver)
