"""Command-line pieces of the simulator, mountable as subcommands of the exam-kiosk CLI.

    make-test-pki DIR
    simulate-card --profile PROFILE.json --pki DIR [--port 35963] [--access bac|pace|both]
                  [--fault NAME[:ARG]] [--latency-ms N]

``add_subcommands(subparsers)`` registers both; each sets ``func`` to a handler taking the
parsed arguments and returning an exit code. ``main()`` runs them standalone
(``python -m kiosk_client.simulator.cli ...``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .faults import FAULTS
from .profile import DEFAULT_PROFILE


def cmd_make_test_pki(args: argparse.Namespace) -> int:
    from .pki import make_test_pki

    pki = make_test_pki(args.dir, key_kind=args.key)
    print(f"test PKI written to {pki.dir}: CSCA {pki.csca_cert.name}, DS {pki.ds_cert.name}, "
          "fault variants and AA keys")
    return 0


def cmd_simulate_card(args: argparse.Namespace) -> int:
    from .card import VirtualCard
    from .vpcd import VpcdBridge

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")
    try:
        card = VirtualCard.from_paths(
            args.profile, args.pki, access=args.access, fault=args.fault, latency_ms=args.latency_ms,
            pace_curve=args.pace_curve, aa_kind=args.aa_key,
            photo_bytes=args.photo_kb * 1024 if args.photo_kb else None,
        )
    except (OSError, ValueError) as exc:
        print(f"simulate-card: {exc}", file=sys.stderr)
        return 2
    bridge = VpcdBridge(card, host=args.host, port=args.port)

    def _stop(signum, frame):  # SIGTERM from a test fixture or systemd: leave cleanly
        bridge.stop(timeout=0)

    signal.signal(signal.SIGTERM, _stop)
    p = card.profile
    print(f"virtual CCCD {p.id_number} ({p.full_name}), access={args.access}, "
          f"fault={card.fault or 'none'}, CAN={p.can}, MRZ info={p.mrz_info}", flush=True)
    print(f"connecting to vpcd at {args.host}:{args.port} "
          f"(reader 'Virtual PCD 00 {args.port - 35963:02d}'); Ctrl-C to stop", flush=True)
    try:
        bridge.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        bridge.stop(timeout=0)
    return 0


def add_subcommands(subparsers) -> None:
    p = subparsers.add_parser("make-test-pki", help="write a test CSCA, Document Signers and AA keys")
    p.add_argument("dir", help="directory to write the PEM files to")
    p.add_argument("--key", choices=("rsa", "ec"), default="rsa", help="CSCA/DS key type (default rsa)")
    p.set_defaults(func=cmd_make_test_pki)

    s = subparsers.add_parser("simulate-card", help="present a virtual CCCD to pcscd through vpcd")
    s.add_argument("--profile", default=str(DEFAULT_PROFILE), help="card holder profile JSON")
    s.add_argument("--pki", required=True, help="directory made by make-test-pki")
    s.add_argument("--host", default="127.0.0.1", help="vpcd host (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=35963, help="vpcd port (default 35963 = 'Virtual PCD 00 00')")
    s.add_argument("--access", choices=("bac", "pace", "both"), default="both")
    s.add_argument("--fault", default=None, metavar="NAME[:ARG]",
                   help="one of: " + ", ".join(FAULTS))
    s.add_argument("--latency-ms", type=float, default=0, help="extra delay per APDU")
    s.add_argument("--pace-curve", choices=("brainpoolP256r1", "P-256"), default="brainpoolP256r1")
    s.add_argument("--aa-key", choices=("ec256", "rsa1024", "rsa2048"), default="ec256")
    s.add_argument("--photo-kb", type=int, default=0, help="re-encode the DG2 portrait to about N KB")
    s.add_argument("-v", "--verbose", action="store_true")
    s.set_defaults(func=cmd_simulate_card)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-simulator", description=__doc__.splitlines()[0])
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
