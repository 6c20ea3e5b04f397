"""exam-kiosk: the exam check-in kiosk's command line.

    exam-kiosk read-card (--qr TEXT | --mrz TEXT | --document-number N --birth YYMMDD --expiry YYMMDD
                          | --can DIGITS) --trust DIR [--reader NAME] [--challenge HEX]
                         [--photo OUT.jpg] [--json]
    exam-kiosk make-test-pki DIR            (simulator)
    exam-kiosk simulate-card ...            (simulator)
    exam-kiosk [--lang vi|en] run --server URL --kiosk-id ID --key FILE [--reader NAME]
                   [--camera N | --qr-image FILE] [--photo-image FILE]
                   [--browser CMD | --open] [--once] [--lang vi|en]
                   (check-in loop; --make-key --key FILE creates the key)

The check-in kiosk speaks Vietnamese; ``--lang en`` (before or after ``run``) switches its messages
to English (kiosk_client/messages.py, kiosk_client/translations).

read-card exits 0 when the card was read, even if passive or active authentication
failed: that is reported in the output with ok false, never hidden. It exits 1 with a
one-line message on stderr when the card cannot be read (no card, card removed, wrong key
after all candidates, unreadable card, reader problem), and 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys

from kiosk_client import i18n
from kiosk_client import messages as M
from kiosk_client.i18n import _


def _access(args: argparse.Namespace):
    from kiosk_client.qr import QrError, parse_qr

    if args.qr is not None:
        try:
            return parse_qr(args.qr)
        except QrError as exc:
            raise ValueError(f"--qr: {exc}") from None
    if args.mrz is not None:
        return args.mrz
    if args.can is not None:
        if not args.can.isdigit():
            raise ValueError("--can must be digits")
        return args.can
    parts = (args.document_number, args.birth, args.expiry)
    if all(parts):
        return tuple(parts)
    raise ValueError("give --qr, --mrz, --can, or --document-number with --birth and --expiry")


def _print_human(result: dict) -> None:
    pa, aa = result["passive_auth"], result["active_auth"]
    print(f"{result['full_name']}  ID {result['id_number']}  born {result['date_of_birth']}  sex {result['sex']}")
    print(f"document {result['document_number']}, expires {result['date_of_expiry']}, access {result['access']}")
    print(f"passive authentication: {'OK' if pa['ok'] else 'FAILED: ' + str(pa.get('failure'))}")
    aa_text = {True: "OK", None: "not available"}.get(aa["ok"], "FAILED")
    if aa.get("failure") and aa["ok"] is not True:
        aa_text += f" ({aa['failure']})"
    print(f"active authentication: {aa_text}")
    print(f"{result['apdus']} APDUs in {result['seconds']:.3f} s")


def cmd_read_card(args: argparse.Namespace) -> int:
    from kiosk_client.readcard import CardReadError, read_card

    try:
        access = _access(args)
        challenge = bytes.fromhex(args.challenge) if args.challenge else None
        if challenge is not None and len(challenge) != 8:
            raise ValueError("--challenge must be 8 bytes (16 hex digits)")
    except ValueError as exc:
        print(f"exam-kiosk read-card: {exc}", file=sys.stderr)
        return 2
    from kiosk_client.card.pcsc import PcscReader

    try:
        result = read_card(PcscReader(), access, args.trust, challenge=challenge,
                           want_photo=bool(args.photo), reader_name=args.reader)
    except CardReadError as exc:
        print(f"exam-kiosk read-card: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"exam-kiosk read-card: {exc}", file=sys.stderr)
        return 2
    if args.photo:
        if result.photo:
            try:
                with open(args.photo, "wb") as f:
                    f.write(result.photo)
                result["photo"] = args.photo
            except OSError as exc:
                result["photo_error"] = f"cannot write {args.photo}: {exc}"
        else:
            result["photo_error"] = "no portrait could be read from DG2"
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_human(result)
    return 0


def _browser(command: str | None, open_default: bool = False):
    if not command:
        def show(url: str) -> None:
            print(_(M.EXAM_PAGE).format(url=url), flush=True)
            if open_default:  # --open: the desktop's web browser, when there is one
                import webbrowser

                if not webbrowser.open(url):
                    print(_(M.NO_BROWSER), flush=True)

        return show
    import shlex
    import subprocess

    def open_url(url: str) -> None:
        subprocess.Popen([*shlex.split(command), url])

    return open_url


def cmd_run(args: argparse.Namespace) -> int:
    from kiosk_client.checkin import CheckinError, KioskFlow, ServerClient, load_key, make_key

    if args.make_key:
        if not args.key:
            print(_(M.MAKE_KEY_NEEDS_KEY), file=sys.stderr)
            return 2
        try:
            public = make_key(args.key)
        except FileExistsError:
            print(_(M.KEY_EXISTS).format(path=args.key), file=sys.stderr)
            return 2
        print(_(M.KEY_WRITTEN).format(path=args.key, public=public))
        print(_(M.ENROL_IT).format(public=public))
        return 0
    if not args.key:
        print(_(M.RUN_NEEDS_KEY), file=sys.stderr)
        return 2
    if not args.server or not args.kiosk_id or not str(args.kiosk_id).isdigit():
        print(_(M.RUN_NEEDS_SERVER), file=sys.stderr)
        return 2
    try:
        key = load_key(args.key)
    except CheckinError as exc:
        print(_(M.RUN_ERROR).format(detail=exc.message), file=sys.stderr)
        return 2
    from kiosk_client.camera import CameraError

    photo_camera = None
    try:
        if args.qr_image:
            from kiosk_client.camera import SimulatedCamera

            camera = SimulatedCamera(args.qr_image)
        else:
            from kiosk_client.camera import OpenCvCamera

            camera = photo_camera = OpenCvCamera(args.camera)
        if args.photo_image:   # a simulated camera frame: the live photo the server compares
            from kiosk_client.camera import SimulatedCamera

            photo_camera = SimulatedCamera(args.photo_image)
    except CameraError as exc:
        print(_(M.RUN_ERROR).format(detail=exc), file=sys.stderr)
        return 1
    from kiosk_client.card.pcsc import PcscReader

    flow = KioskFlow(ServerClient(args.server, int(args.kiosk_id), key), PcscReader(), camera,
                     reader_name=args.reader, trust_dir=args.trust, open_browser=_browser(args.browser, args.open),
                     say=lambda text: print(text, flush=True), photo_camera=photo_camera,
                     card_timeout=args.card_timeout, photo_delay=0 if args.photo_image else 1.5,
                     # At a console the cardholder can type the CAN or the MRZ when the QR fails.
                     ask=input if sys.stdin.isatty() else None)
    try:
        return flow.run(once=args.once)
    finally:
        flow.close()
        camera.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="exam-kiosk", description="Exam check-in kiosk (CCCD chip reader).")
    parser.add_argument("--lang", choices=i18n.LANGUAGES, default=i18n.DEFAULT_LANGUAGE,
                        help="the language of the kiosk's messages (default vi: Vietnamese)")
    sub = parser.add_subparsers(dest="command", required=True)

    r = sub.add_parser("read-card", help="read and verify a CCCD chip through PC/SC",
                       description="Read a CCCD: BAC/PACE, DG1, DG13, DG14, DG15, SOD (DG2 with --photo), "
                                   "passive and active authentication. Exit 0 when read (check passive_auth.ok "
                                   "and active_auth.ok), 1 when the card could not be read, 2 on usage errors.")
    key = r.add_mutually_exclusive_group()
    key.add_argument("--qr", metavar="TEXT", help="text of the card's front QR code (CAN + expiry candidates)")
    key.add_argument("--mrz", metavar="TEXT", help="the 90-character TD1 MRZ")
    key.add_argument("--can", metavar="DIGITS", help="Card Access Number (last 6 digits of the ID number)")
    r.add_argument("--document-number", metavar="N", help="MRZ document number (with --birth and --expiry)")
    r.add_argument("--birth", metavar="YYMMDD")
    r.add_argument("--expiry", metavar="YYMMDD")
    r.add_argument("--trust", required=True, metavar="DIR", help="directory of trusted CSCA certificates")
    r.add_argument("--reader", metavar="NAME", help="PC/SC reader name (part); default: first with a card")
    r.add_argument("--challenge", metavar="HEX", help="8-byte Active Authentication challenge (default random)")
    r.add_argument("--photo", metavar="OUT.jpg", help="also read DG2 and write the portrait here")
    r.add_argument("--json", action="store_true", help="print the result as JSON")
    r.set_defaults(func=cmd_read_card)

    run = sub.add_parser("run", help="the kiosk's check-in loop (card, QR, chip, server, browser)",
                         description="Wait for a card, read its QR from the camera, read the chip with the "
                                     "server's challenge, send the signed evidence, open the exam page; "
                                     "--make-key creates the kiosk key pair. With --once: exit 0 after a "
                                     "check-in, 1 when it failed (the reason is printed).")
    run.add_argument("--server", metavar="URL", help="the exam server, e.g. https://exam.school.vn")
    run.add_argument("--kiosk-id", metavar="ID", help="the id `exam-server enrol-kiosk` printed")
    run.add_argument("--key", metavar="FILE", help="the kiosk's Ed25519 private key (PEM)")
    run.add_argument("--make-key", action="store_true", help="create the key pair at --key (and --key.pub), exit")
    run.add_argument("--reader", metavar="NAME", help="PC/SC reader name (part); default: first with a card")
    cam = run.add_mutually_exclusive_group()
    cam.add_argument("--camera", type=int, default=0, metavar="N", help="OpenCV camera index (default 0)")
    cam.add_argument("--qr-image", metavar="FILE", help="read the QR from this image instead of a camera")
    browser = run.add_mutually_exclusive_group()
    browser.add_argument("--browser", metavar="CMD", help="command that opens the exam URL (default: print it)")
    browser.add_argument("--open", action="store_true",
                         help="also open the printed exam URL in the default web browser (if there is one)")
    run.add_argument("--photo-image", metavar="FILE",
                     help="the live photo from this image (a simulated camera frame) instead of the camera")
    run.add_argument("--trust", metavar="DIR", help="CSCA certificates for the kiosk's own (advisory) check")
    run.add_argument("--card-timeout", type=float, metavar="S", help="give up waiting for a card after S seconds")
    run.add_argument("--once", action="store_true", help="check in one card, then exit")
    # Also after `run` (SUPPRESS: not given here keeps the value given before `run`).
    run.add_argument("--lang", choices=i18n.LANGUAGES, default=argparse.SUPPRESS,
                     help="the language of the kiosk's messages (default vi: Vietnamese)")
    run.set_defaults(func=cmd_run)

    try:
        from kiosk_client.simulator.cli import add_subcommands
    except ImportError:  # pragma: no cover - simulator not installed
        pass
    else:
        add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    i18n.use(args.lang)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
