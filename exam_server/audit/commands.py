"""`exam-server audit verify`: walk the audit chain and name the first broken record."""
from __future__ import annotations


def cmd_audit_verify(args) -> int:
    from exam_server.audit.services import chain_all, verify
    from exam_server.core.db import session

    with args.make_app(args).app_context():
        chain_all()             # what commits queued and no sequencer has chained yet
        verdict = verify(session)
    if verdict.ok:
        print(f"audit chain intact: {verdict.checked} records")
        return 0
    print(f"audit chain BROKEN at record {verdict.broken_id}: {verdict.reason} "
          f"({verdict.checked} records before it are intact)")
    return 1


def add_parsers(sub, make_app) -> None:
    audit = sub.add_parser("audit", help="the tamper-evident audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check the hash chain; name the first broken record").set_defaults(
        func=cmd_audit_verify, make_app=make_app)
